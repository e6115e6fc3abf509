// Legacy message sets (magic 0 and 1), used by producers and consumers older than Kafka 0.11
// (Produce v0-2, Fetch v0-3). Entry layout (big-endian):
//   0 offset i64 | 8 messageSize i32 | 12 crc u32 | 16 magic i8 | 17 attributes i8
//   magic 1: 18 timestamp i64 | then key (i32 length, -1 = null, bytes) | value (i32 length, bytes)
// The CRC-32 (IEEE) covers magic .. end of the message. attributes & 7 is the compression codec; a
// compressed message is a wrapper whose value is a compressed inner message set. attributes & 8 (magic
// 1) marks LogAppendTime.

import { be16, be32, be64, putBe32, putBe64 } from './bytes';
import { crc32Of } from './crc32';
import {
  E_BAD_COMPRESSION, E_BAD_CRC, E_BAD_LENGTH, E_BAD_MAGIC, E_COMPRESSED, E_INVALID_ARGUMENT, E_KEY_LENGTH,
  E_LEGACY_COMPRESSED, E_OUT_OF_BOUNDS, E_OUTPUT_TOO_SMALL, E_RECORD_BODY, E_TRUNCATED, E_VALUE_LENGTH, OK, errorPos, fail,
} from './errors';
import { readable, writable } from './memory/arena';
import {
  ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TIMESTAMP_TYPE, BATCH_HEADER_SIZE, LOG_OVERHEAD, OFF_ATTRIBUTES,
  OFF_BASE_OFFSET, OFF_BASE_SEQUENCE, OFF_BASE_TIMESTAMP, OFF_BATCH_LENGTH, OFF_CRC, OFF_LAST_OFFSET_DELTA,
  OFF_LEADER_EPOCH, OFF_MAGIC, OFF_MAX_TIMESTAMP, OFF_PRODUCER_EPOCH, OFF_PRODUCER_ID, OFF_RECORD_COUNT, VF_SKIP_CRC,
  parseRecord, recKeyLen, recKeyPtr, recOffsetDelta, recTimestampDelta, recValueLen, recValuePtr, validateBatchAt,
} from './record-batch';
import { crc32cOf } from './crc32c';
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint';

export const LM_OFFSET: usize = 0;
export const LM_SIZE: usize = 8;
export const LM_CRC: usize = 12;
export const LM_MAGIC: usize = 16;
export const LM_ATTRIBUTES: usize = 17;
export const LM_TIMESTAMP: usize = 18;
/** Log overhead (offset + size) plus the smallest message body for magic 0 / 1. */
export const LEGACY_LOG_OVERHEAD: i32 = 12;
export const MIN_MESSAGE_V0: i32 = 14; // crc 4 + magic 1 + attributes 1 + key length 4 + value length 4
export const MIN_MESSAGE_V1: i32 = 22; // + timestamp 8

// Parsed message (module state for callers inside the core).
export let msgOffset: i64 = 0;
export let msgMagic: i32 = 0;
export let msgAttributes: i32 = 0;
export let msgTimestamp: i64 = -1;
export let msgKeyPtr: usize = 0;
export let msgKeyLen: i32 = -1;
export let msgValuePtr: usize = 0;
export let msgValueLen: i32 = -1;
export let msgCrc: u32 = 0;

/** Parses and checks the message entry at p (avail bytes). Returns its total size or an error. */
export function parseMessageAt(p: usize, avail: i32, skipCrc: bool): i32 {
  if (avail < LEGACY_LOG_OVERHEAD) return fail(E_TRUNCATED, p);
  const size = be32(p + LM_SIZE);
  if (size < MIN_MESSAGE_V0) return fail(E_BAD_LENGTH, p + LM_SIZE);
  if (size > avail - LEGACY_LOG_OVERHEAD) return fail(E_TRUNCATED, p + LM_SIZE);
  const end = p + <usize>LEGACY_LOG_OVERHEAD + <usize>size;
  const magic = <i32>load<i8>(p + LM_MAGIC);
  if (magic != 0 && magic != 1) return fail(E_BAD_MAGIC, p + LM_MAGIC);
  if (magic == 1 && size < MIN_MESSAGE_V1) return fail(E_BAD_LENGTH, p + LM_SIZE);
  const crc = <u32>be32(p + LM_CRC);
  if (!skipCrc && crc32Of(p + LM_MAGIC, <usize>(size - 4)) != crc) return fail(E_BAD_CRC, p + LM_CRC);
  const attributes = <i32>load<u8>(p + LM_ATTRIBUTES);
  if ((attributes & 7) > 4) return fail(E_BAD_COMPRESSION, p + LM_ATTRIBUTES);
  let q = p + LM_TIMESTAMP;
  let ts: i64 = -1;
  if (magic == 1) {
    ts = be64(q);
    q += 8;
  }
  const kl = be32(q);
  q += 4;
  if (kl < -1 || (kl > 0 && <u64>q + <u64>kl + 4 > <u64>end)) return fail(E_KEY_LENGTH, q - 4);
  msgKeyPtr = q;
  if (kl > 0) q += <usize>kl;
  if (q + 4 > end) return fail(E_VALUE_LENGTH, q);
  const vl = be32(q);
  q += 4;
  if (vl < -1 || (vl > 0 && <u64>q + <u64>vl > <u64>end)) return fail(E_VALUE_LENGTH, q - 4);
  msgValuePtr = q;
  if (vl > 0) q += <usize>vl;
  if (q != end) return fail(E_RECORD_BODY, q);
  msgOffset = be64(p);
  msgMagic = magic;
  msgAttributes = attributes;
  msgTimestamp = ts;
  msgKeyLen = kl;
  msgValueLen = vl;
  msgCrc = crc;
  return size + LEGACY_LOG_OVERHEAD;
}

// ---- Legacy info (little-endian). ----
export const LI_COUNT: usize = 0; // i32 messages
export const LI_MAGIC: usize = 4; // i32 magic of the first message (-1 when the set mixes magics)
export const LI_CODEC: usize = 8; // i32 codec of the first compressed wrapper, 0 if none
export const LI_ERROR_POS: usize = 12; // i32 absolute address of a failure
export const LI_FIRST_OFFSET: usize = 16; // i64
export const LI_LAST_OFFSET: usize = 24; // i64
export const LI_MAX_TIMESTAMP: usize = 32; // i64 (-1 if none)
export const LI_BYTES: usize = 40; // i32 bytes consumed
export const LI_COMPRESSED: usize = 44; // i32 number of compressed wrapper messages
export const LI_REQUIRED: usize = 48; // i32 output size needed by a conversion
export const LI_SKIPPED: usize = 52; // i32 batches skipped by v2ToLegacy (control batches)
export const LEGACY_INFO_SIZE: i32 = 56;

/**
 * Validates a message set (every message: size, magic 0/1, CRC-32, key/value bounds). A trailing partial
 * message is an error unless allowPartial (then it ends the set; LI_BYTES tells where). Returns the
 * message count or an error.
 */
export function legacyValidate(p: usize, len: i32, allowPartial: i32, info: usize): i32 {
  if (!writable(info, LEGACY_INFO_SIZE)) return fail(E_OUT_OF_BOUNDS, info);
  if (!readable(p, len)) return fail(E_OUT_OF_BOUNDS, p);
  let pos: i32 = 0;
  let count = 0;
  let magic = -2;
  let codec = 0;
  let compressed = 0;
  let first: i64 = -1;
  let last: i64 = -1;
  let maxTs: i64 = -1;
  store<i32>(info + LI_ERROR_POS, 0);
  while (pos < len) {
    const size = parseMessageAt(p + <usize>pos, len - pos, false);
    if (size < 0) {
      if (allowPartial && size == E_TRUNCATED) break;
      store<i32>(info + LI_ERROR_POS, <i32>errorPos);
      return size;
    }
    if (count == 0) first = msgOffset;
    last = msgOffset;
    magic = magic == -2 ? msgMagic : magic == msgMagic ? magic : -1;
    const c = msgAttributes & 7;
    if (c != 0) {
      compressed++;
      if (codec == 0) codec = c;
    }
    if (msgTimestamp > maxTs) maxTs = msgTimestamp;
    count++;
    pos += size;
  }
  store<i32>(info + LI_COUNT, count);
  store<i32>(info + LI_MAGIC, magic == -2 ? -1 : magic);
  store<i32>(info + LI_CODEC, codec);
  store<i64>(info + LI_FIRST_OFFSET, first);
  store<i64>(info + LI_LAST_OFFSET, last);
  store<i64>(info + LI_MAX_TIMESTAMP, maxTs);
  store<i32>(info + LI_BYTES, pos);
  store<i32>(info + LI_COMPRESSED, compressed);
  return count;
}


// ---- Legacy cursor (little-endian, 64 bytes). ----
export const LC_POS: usize = 0; // i32 next message address
export const LC_END: usize = 4; // i32
export const LC_OFFSET: usize = 8; // i64
export const LC_TIMESTAMP: usize = 16; // i64 (-1 for magic 0)
export const LC_MAGIC: usize = 24; // i32
export const LC_ATTRIBUTES: usize = 28; // i32
export const LC_KEY_PTR: usize = 32;
export const LC_KEY_LEN: usize = 36;
export const LC_VALUE_PTR: usize = 40;
export const LC_VALUE_LEN: usize = 44;
export const LC_CRC: usize = 48; // u32
export const LC_MESSAGE_PTR: usize = 52;
export const LC_MESSAGE_SIZE: usize = 56;
export const LEGACY_CURSOR_SIZE: i32 = 64;

export function legacyBegin(p: usize, len: i32, cursor: usize): i32 {
  if (!writable(cursor, LEGACY_CURSOR_SIZE)) return fail(E_OUT_OF_BOUNDS, cursor);
  if (!readable(p, len)) return fail(E_OUT_OF_BOUNDS, p);
  store<i32>(cursor + LC_POS, <i32>p);
  store<i32>(cursor + LC_END, <i32>(p + <usize>len));
  return OK;
}

/** Next message (CRC checked): 1, 0 at the end, or an error. */
export function legacyNext(cursor: usize): i32 {
  if (!writable(cursor, LEGACY_CURSOR_SIZE)) return fail(E_OUT_OF_BOUNDS, cursor);
  const p = <usize>load<u32>(cursor + LC_POS);
  const end = <usize>load<u32>(cursor + LC_END);
  if (end < p || !readable(p, <i32>(end - p))) return fail(E_OUT_OF_BOUNDS, p);
  if (p == end) return 0;
  const size = parseMessageAt(p, <i32>(end - p), false);
  if (size < 0) return size;
  store<i32>(cursor + LC_POS, <i32>(p + <usize>size));
  store<i64>(cursor + LC_OFFSET, msgOffset);
  store<i64>(cursor + LC_TIMESTAMP, msgTimestamp);
  store<i32>(cursor + LC_MAGIC, msgMagic);
  store<i32>(cursor + LC_ATTRIBUTES, msgAttributes);
  store<i32>(cursor + LC_KEY_PTR, <i32>msgKeyPtr);
  store<i32>(cursor + LC_KEY_LEN, msgKeyLen);
  store<i32>(cursor + LC_VALUE_PTR, <i32>msgValuePtr);
  store<i32>(cursor + LC_VALUE_LEN, msgValueLen);
  store<u32>(cursor + LC_CRC, msgCrc);
  store<i32>(cursor + LC_MESSAGE_PTR, <i32>p);
  store<i32>(cursor + LC_MESSAGE_SIZE, size);
  return 1;
}

@inline function v2BytesSize(len: i32): i32 {
  return len < 0 ? 1 : sizeOfVarint(len) + len;
}

/**
 * Converts an uncompressed legacy message set into one v2 batch (baseOffset 0, offsetDelta = index,
 * CreateTime, producerId -1, epoch -1, sequence -1, leader epoch -1; offsets are assigned by the
 * append). Magic 0 messages get timestamp -1. A compressed wrapper → E_LEGACY_COMPRESSED with LI_CODEC
 * set (decompress the wrapper's value and convert the inner set). Returns the batch size or an error;
 * LI_REQUIRED gets the size needed.
 */
export function legacyToV2(p: usize, len: i32, out: usize, cap: i32, info: usize): i32 {
  const n = legacyValidate(p, len, 0, info);
  if (n < 0) return n;
  if (n == 0) return fail(E_INVALID_ARGUMENT, p);
  if (load<i32>(info + LI_COMPRESSED) > 0) return fail(E_LEGACY_COMPRESSED, p);
  if (!writable(out, cap)) return fail(E_OUT_OF_BOUNDS, out);
  // Pass 1: sizes and timestamps.
  let pos: i32 = 0;
  let baseTs: i64 = -1;
  let maxTs: i64 = -1;
  let total: i64 = BATCH_HEADER_SIZE;
  for (let i = 0; i < n; i++) {
    const size = parseMessageAt(p + <usize>pos, len - pos, true);
    if (i == 0) {
      baseTs = msgTimestamp;
      maxTs = msgTimestamp;
    } else if (msgTimestamp > maxTs) maxTs = msgTimestamp;
    const body = 1 + sizeOfVarlong(msgTimestamp - baseTs) + sizeOfVarint(i) + v2BytesSize(msgKeyLen) + v2BytesSize(msgValueLen) + 1;
    total += <i64>(sizeOfVarint(body) + body);
    pos += size;
  }
  if (total > 0x7fff0000) return fail(E_INVALID_ARGUMENT, p);
  store<i32>(info + LI_REQUIRED, <i32>total);
  if (total > <i64>cap) return fail(E_OUTPUT_TOO_SMALL, out);
  // Pass 2: write.
  let q = out + <usize>BATCH_HEADER_SIZE;
  pos = 0;
  for (let i = 0; i < n; i++) {
    const size = parseMessageAt(p + <usize>pos, len - pos, true);
    const body = 1 + sizeOfVarlong(msgTimestamp - baseTs) + sizeOfVarint(i) + v2BytesSize(msgKeyLen) + v2BytesSize(msgValueLen) + 1;
    q = writeVarint(q, body);
    store<u8>(q, 0);
    q++;
    q = writeVarlong(q, msgTimestamp - baseTs);
    q = writeVarint(q, i);
    q = writeVarint(q, msgKeyLen);
    if (msgKeyLen > 0) {
      memory.copy(q, msgKeyPtr, <usize>msgKeyLen);
      q += <usize>msgKeyLen;
    }
    q = writeVarint(q, msgValueLen);
    if (msgValueLen > 0) {
      memory.copy(q, msgValuePtr, <usize>msgValueLen);
      q += <usize>msgValueLen;
    }
    store<u8>(q, 0); // no headers
    q++;
    pos += size;
  }
  const bsize = <i32>total;
  putBe64(out + OFF_BASE_OFFSET, 0);
  putBe32(out + OFF_BATCH_LENGTH, bsize - LOG_OVERHEAD);
  putBe32(out + OFF_LEADER_EPOCH, -1);
  store<u8>(out + OFF_MAGIC, 2);
  store<u16>(out + OFF_ATTRIBUTES, 0);
  putBe32(out + OFF_LAST_OFFSET_DELTA, n - 1);
  putBe64(out + OFF_BASE_TIMESTAMP, baseTs);
  putBe64(out + OFF_MAX_TIMESTAMP, maxTs);
  putBe64(out + OFF_PRODUCER_ID, -1);
  store<u16>(out + OFF_PRODUCER_EPOCH, 0xffff);
  putBe32(out + OFF_BASE_SEQUENCE, -1);
  putBe32(out + OFF_RECORD_COUNT, n);
  putBe32(out + OFF_CRC, <i32>crc32cOf(out + OFF_ATTRIBUTES, <usize>(bsize - <i32>OFF_ATTRIBUTES)));
  return bsize;
}

/**
 * Converts v2 batches [p, p+len) (uncompressed; as stored, with assigned offsets) into a legacy message
 * set of magic toMagic (0 or 1), one message per record with its absolute offset; headers are dropped,
 * control batches skipped (LI_SKIPPED). Magic 1 carries CreateTime timestamps, or the batch's
 * maxTimestamp with attribute bit 3 for LogAppendTime batches. Returns bytes written or an error
 * (E_COMPRESSED for a compressed batch, E_OUTPUT_TOO_SMALL with LI_REQUIRED set).
 */
export function v2ToLegacy(p: usize, len: i32, toMagic: i32, verifyCrc: i32, out: usize, cap: i32, info: usize): i32 {
  if (!writable(info, LEGACY_INFO_SIZE)) return fail(E_OUT_OF_BOUNDS, info);
  if (toMagic != 0 && toMagic != 1) return fail(E_INVALID_ARGUMENT, p);
  if (!readable(p, len)) return fail(E_OUT_OF_BOUNDS, p);
  if (!writable(out, cap)) return fail(E_OUT_OF_BOUNDS, out);
  store<i32>(info + LI_ERROR_POS, 0);
  const overhead: i64 = <i64>(LEGACY_LOG_OVERHEAD + (toMagic == 1 ? MIN_MESSAGE_V1 : MIN_MESSAGE_V0));
  // Pass 1: validate and size.
  let pos: i32 = 0;
  let total: i64 = 0;
  let count = 0;
  let skipped = 0;
  while (pos < len) {
    const b = p + <usize>pos;
    const size = validateBatchAt(b, len - pos, verifyCrc ? 0 : VF_SKIP_CRC);
    if (size < 0) {
      store<i32>(info + LI_ERROR_POS, <i32>errorPos);
      return size;
    }
    const attributes = be16(b + OFF_ATTRIBUTES);
    if (attributes & ATTR_CONTROL) {
      skipped++;
      pos += size;
      continue;
    }
    if (attributes & ATTR_COMPRESSION_MASK) return fail(E_COMPRESSED, b + OFF_ATTRIBUTES);
    const end = b + <usize>size;
    let q = b + <usize>BATCH_HEADER_SIZE;
    const n = be32(b + OFF_RECORD_COUNT);
    for (let i = 0; i < n; i++) {
      q = parseRecord(q, end);
      total += overhead + <i64>(recKeyLen > 0 ? recKeyLen : 0) + <i64>(recValueLen > 0 ? recValueLen : 0);
      count++;
    }
    pos += size;
  }
  store<i32>(info + LI_COUNT, count);
  store<i32>(info + LI_SKIPPED, skipped);
  store<i32>(info + LI_MAGIC, toMagic);
  if (total > 0x7fff0000) return fail(E_INVALID_ARGUMENT, p);
  store<i32>(info + LI_REQUIRED, <i32>total);
  if (total > <i64>cap) return fail(E_OUTPUT_TOO_SMALL, out);
  // Pass 2: write.
  let o = out;
  pos = 0;
  let maxTs: i64 = -1;
  let first: i64 = -1;
  let last: i64 = -1;
  while (pos < len) {
    const b = p + <usize>pos;
    const size = be32(b + OFF_BATCH_LENGTH) + LOG_OVERHEAD;
    const attributes = be16(b + OFF_ATTRIBUTES);
    pos += size;
    if (attributes & ATTR_CONTROL) continue;
    const logAppend = (attributes & ATTR_TIMESTAMP_TYPE) != 0;
    const baseOffset = be64(b + OFF_BASE_OFFSET);
    const baseTs = be64(b + OFF_BASE_TIMESTAMP);
    const batchMax = be64(b + OFF_MAX_TIMESTAMP);
    const end = b + <usize>size;
    let q = b + <usize>BATCH_HEADER_SIZE;
    const n = be32(b + OFF_RECORD_COUNT);
    for (let i = 0; i < n; i++) {
      q = parseRecord(q, end);
      const offset = baseOffset + <i64>recOffsetDelta;
      if (first < 0 && i == 0) first = offset;
      last = offset;
      const kl = recKeyLen;
      const vl = recValueLen;
      const msgSize = (toMagic == 1 ? MIN_MESSAGE_V1 : MIN_MESSAGE_V0) + (kl > 0 ? kl : 0) + (vl > 0 ? vl : 0);
      putBe64(o + LM_OFFSET, offset);
      putBe32(o + LM_SIZE, msgSize);
      store<u8>(o + LM_MAGIC, <u8>toMagic);
      let w = o + LM_TIMESTAMP;
      if (toMagic == 1) {
        const ts = logAppend ? batchMax : baseTs + recTimestampDelta;
        if (ts > maxTs) maxTs = ts;
        store<u8>(o + LM_ATTRIBUTES, logAppend ? <u8>ATTR_TIMESTAMP_TYPE : 0);
        putBe64(w, ts);
        w += 8;
      } else {
        store<u8>(o + LM_ATTRIBUTES, 0);
      }
      putBe32(w, kl);
      w += 4;
      if (kl > 0) {
        memory.copy(w, recKeyPtr, <usize>kl);
        w += <usize>kl;
      }
      putBe32(w, vl);
      w += 4;
      if (vl > 0) {
        memory.copy(w, recValuePtr, <usize>vl);
        w += <usize>vl;
      }
      putBe32(o + LM_CRC, <i32>crc32Of(o + LM_MAGIC, w - (o + LM_MAGIC)));
      o = w;
    }
  }
  store<i64>(info + LI_FIRST_OFFSET, first);
  store<i64>(info + LI_LAST_OFFSET, last);
  store<i64>(info + LI_MAX_TIMESTAMP, maxTs);
  store<i32>(info + LI_BYTES, <i32>(o - out));
  store<i32>(info + LI_CODEC, 0);
  store<i32>(info + LI_COMPRESSED, 0);
  return <i32>(o - out);
}
