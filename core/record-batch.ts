// Record batch v2 (magic 2): validate, iterate records as views, assign the base offset, set
// LogAppendTime. Layout (big-endian):
//   0 baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 | 16 magic i8 | 17 crc u32
//   21 attributes i16 | 23 lastOffsetDelta i32 | 27 baseTimestamp i64 | 35 maxTimestamp i64
//   43 producerId i64 | 51 producerEpoch i16 | 53 baseSequence i32 | 57 recordCount i32 | 61 records
// batchLength counts from byte 12; the CRC-32C covers byte 21 to the end.
// Record: length varint | attributes i8 | timestampDelta varlong | offsetDelta varint |
//         keyLength varint, key | valueLength varint, value | headerCount varint,
//         [headerKeyLength varint, headerKey, headerValueLength varint, headerValue]

import { be16, be32, be64, putBe32, putBe64 } from './bytes';
import { crc32cOf, crc32cPatch } from './crc32c';
import {
  E_BAD_COMPRESSION, E_BAD_CRC, E_BAD_LENGTH, E_BAD_MAGIC, E_COMPRESSED, E_HEADER, E_KEY_LENGTH, E_OFFSET_DELTA,
  E_KEY_REQUIRED, E_OUT_OF_BOUNDS, E_RECORD_BODY, E_RECORD_COUNT, E_RECORD_LENGTH, E_TRUNCATED, E_VALUE_LENGTH, OK, errorPos,
  fail,
} from './errors';
import { readable, writable } from './memory/arena';
import { readVarint, readVarlong, varErr, varPos } from './varint';

export const OFF_BASE_OFFSET: usize = 0;
export const OFF_BATCH_LENGTH: usize = 8;
export const OFF_LEADER_EPOCH: usize = 12;
export const OFF_MAGIC: usize = 16;
export const OFF_CRC: usize = 17;
export const OFF_ATTRIBUTES: usize = 21;
export const OFF_LAST_OFFSET_DELTA: usize = 23;
export const OFF_BASE_TIMESTAMP: usize = 27;
export const OFF_MAX_TIMESTAMP: usize = 35;
export const OFF_PRODUCER_ID: usize = 43;
export const OFF_PRODUCER_EPOCH: usize = 51;
export const OFF_BASE_SEQUENCE: usize = 53;
export const OFF_RECORD_COUNT: usize = 57;
export const BATCH_HEADER_SIZE: i32 = 61;
/** baseOffset + batchLength fields. */
export const LOG_OVERHEAD: i32 = 12;

export const ATTR_COMPRESSION_MASK: i32 = 0x07;
export const ATTR_TIMESTAMP_TYPE: i32 = 0x08;
export const ATTR_TRANSACTIONAL: i32 = 0x10;
export const ATTR_CONTROL: i32 = 0x20;
export const ATTR_DELETE_HORIZON: i32 = 0x40;

/** Validation flags. */
/** Producer-side rules: recordCount >= 1, recordCount == lastOffsetDelta + 1, offsetDelta == index. */
export const VF_STRICT: i32 = 1;
/** Skip the CRC check (data the host already trusts, e.g. read back from its own segment). */
export const VF_SKIP_CRC: i32 = 2;
/** Every record of an uncompressed batch must have a key (keyLength >= 0): E_KEY_REQUIRED otherwise. */
export const VF_REQUIRE_KEY: i32 = 4;

// ---- BatchInfo: filled by batchValidate (little-endian, host reads it with a DataView). ----
export const BI_BASE_OFFSET: usize = 0; // i64
export const BI_BATCH_LENGTH: usize = 8; // i32
export const BI_LEADER_EPOCH: usize = 12; // i32
export const BI_MAGIC: usize = 16; // i32
export const BI_ATTRIBUTES: usize = 20; // i32
export const BI_LAST_OFFSET_DELTA: usize = 24; // i32
export const BI_RECORD_COUNT: usize = 28; // i32
export const BI_BASE_TIMESTAMP: usize = 32; // i64
export const BI_MAX_TIMESTAMP: usize = 40; // i64 (as stored)
export const BI_PRODUCER_ID: usize = 48; // i64
export const BI_PRODUCER_EPOCH: usize = 56; // i32
export const BI_BASE_SEQUENCE: usize = 60; // i32
export const BI_CRC: usize = 64; // u32
export const BI_SIZE: usize = 68; // i32, whole batch incl. the 12-byte log overhead
export const BI_RECORDS_MAX_TIMESTAMP: usize = 72; // i64: max over records (= stored max when compressed/empty)
export const BI_MAX_TIMESTAMP_DELTA_INDEX: usize = 80; // i32 offsetDelta of the first record with the max timestamp, -1 if unknown
export const BI_RECORDS_POS: usize = 84; // i32 absolute address of the records section
export const BI_ERROR_POS: usize = 88; // i32 absolute address of the failing byte
export const BI_RECORDS_MIN_TIMESTAMP: usize = 96; // i64: min over records (= baseTimestamp when compressed/empty)
export const BATCH_INFO_SIZE: i32 = 104;

// Scratch: a validated batch's computed values, for callers inside the core.
export let lastRecordsMaxTimestamp: i64 = 0;
export let lastRecordsMinTimestamp: i64 = 0;
export let lastMaxDelta: i32 = -1;

/**
 * Parses one record starting at p, bounded by end. Returns the address after it, or 0 with the
 * error in recErr / recErrPos. Fills the rec* globals with the record's fields.
 */
export let recErr: i32 = 0;
export let recErrPos: usize = 0;
export let recTimestampDelta: i64 = 0;
export let recOffsetDelta: i32 = 0;
export let recAttributes: i32 = 0;
export let recKeyPtr: usize = 0;
export let recKeyLen: i32 = 0;
export let recValuePtr: usize = 0;
export let recValueLen: i32 = 0;
export let recHeadersPtr: usize = 0;
export let recHeaderCount: i32 = 0;

// @ts-ignore: decorator
@inline
function recFail(code: i32, at: usize): usize {
  recErr = code;
  recErrPos = at;
  return 0;
}

export function parseRecord(p: usize, end: usize): usize {
  const len = readVarint(p, end);
  let q = varPos;
  if (q == 0) return recFail(varErr == E_TRUNCATED ? E_RECORD_LENGTH : varErr, p);
  // Smallest body: attributes, timestampDelta, offsetDelta, keyLength, valueLength, headerCount.
  if (len < 6 || <u64>q + <u64>len > <u64>end) return recFail(E_RECORD_LENGTH, p);
  const bodyEnd = q + <usize>len;
  recAttributes = <i32>load<u8>(q);
  q++;
  recTimestampDelta = readVarlong(q, bodyEnd);
  if (varPos == 0) return recFail(varErr == E_TRUNCATED ? E_RECORD_BODY : varErr, q);
  q = varPos;
  recOffsetDelta = readVarint(q, bodyEnd);
  if (varPos == 0) return recFail(varErr == E_TRUNCATED ? E_RECORD_BODY : varErr, q);
  q = varPos;
  const kl = readVarint(q, bodyEnd);
  if (varPos == 0) return recFail(varErr == E_TRUNCATED ? E_RECORD_BODY : varErr, q);
  if (kl < -1 || (kl > 0 && <u64>varPos + <u64>kl > <u64>bodyEnd)) return recFail(E_KEY_LENGTH, q);
  q = varPos;
  recKeyPtr = q;
  recKeyLen = kl;
  if (kl > 0) q += <usize>kl;
  const vl = readVarint(q, bodyEnd);
  if (varPos == 0) return recFail(varErr == E_TRUNCATED ? E_RECORD_BODY : varErr, q);
  if (vl < -1 || (vl > 0 && <u64>varPos + <u64>vl > <u64>bodyEnd)) return recFail(E_VALUE_LENGTH, q);
  q = varPos;
  recValuePtr = q;
  recValueLen = vl;
  if (vl > 0) q += <usize>vl;
  const hc = readVarint(q, bodyEnd);
  if (varPos == 0) return recFail(varErr == E_TRUNCATED ? E_RECORD_BODY : varErr, q);
  if (hc < 0) return recFail(E_HEADER, q);
  q = varPos;
  recHeadersPtr = q;
  recHeaderCount = hc;
  for (let h = 0; h < hc; h++) {
    const hk = readVarint(q, bodyEnd);
    if (varPos == 0) return recFail(varErr == E_TRUNCATED ? E_HEADER : varErr, q);
    if (hk < 0 || <u64>varPos + <u64>hk > <u64>bodyEnd) return recFail(E_HEADER, q);
    q = varPos + <usize>hk;
    const hv = readVarint(q, bodyEnd);
    if (varPos == 0) return recFail(varErr == E_TRUNCATED ? E_HEADER : varErr, q);
    if (hv < -1 || (hv > 0 && <u64>varPos + <u64>hv > <u64>bodyEnd)) return recFail(E_HEADER, q);
    q = varPos;
    if (hv > 0) q += <usize>hv;
  }
  if (q != bodyEnd) return recFail(E_RECORD_BODY, q);
  return bodyEnd;
}

/**
 * Validates the batch at p (avail bytes available). Returns the batch's total size (> 0) or an error
 * code; errorPos is set on failure. Computes the max record timestamp into lastRecordsMaxTimestamp.
 * The caller guarantees [p, p+avail) is readable.
 */
export function validateBatchAt(p: usize, avail: i32, flags: i32): i32 {
  if (avail < LOG_OVERHEAD) return fail(E_TRUNCATED, p);
  const batchLength = be32(p + OFF_BATCH_LENGTH);
  if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) return fail(E_BAD_LENGTH, p + OFF_BATCH_LENGTH);
  if (batchLength > avail - LOG_OVERHEAD) return fail(E_TRUNCATED, p + OFF_BATCH_LENGTH);
  const size = batchLength + LOG_OVERHEAD;
  const magic = <i32>load<i8>(p + OFF_MAGIC);
  if (magic != 2) return fail(E_BAD_MAGIC, p + OFF_MAGIC);
  if ((flags & VF_SKIP_CRC) == 0) {
    const stored = <u32>be32(p + OFF_CRC);
    if (crc32cOf(p + OFF_ATTRIBUTES, <usize>(size - <i32>OFF_ATTRIBUTES)) != stored) return fail(E_BAD_CRC, p + OFF_CRC);
  }
  const attributes = be16(p + OFF_ATTRIBUTES);
  const codec = attributes & ATTR_COMPRESSION_MASK;
  if (codec > 4) return fail(E_BAD_COMPRESSION, p + OFF_ATTRIBUTES);
  const lastOffsetDelta = be32(p + OFF_LAST_OFFSET_DELTA);
  const count = be32(p + OFF_RECORD_COUNT);
  if (count < 0) return fail(E_RECORD_COUNT, p + OFF_RECORD_COUNT);
  if (flags & VF_STRICT) {
    if (count == 0 || lastOffsetDelta != count - 1) return fail(E_RECORD_COUNT, p + OFF_RECORD_COUNT);
  } else if (lastOffsetDelta < -1 || <i64>count > <i64>lastOffsetDelta + 1) {
    return fail(E_RECORD_COUNT, p + OFF_RECORD_COUNT);
  }
  lastRecordsMaxTimestamp = be64(p + OFF_MAX_TIMESTAMP);
  lastRecordsMinTimestamp = be64(p + OFF_BASE_TIMESTAMP);
  lastMaxDelta = -1;
  if (codec != 0 || count == 0) {
    // Compressed records are opaque here; an empty batch has only its header.
    if (codec == 0 && size != BATCH_HEADER_SIZE) return fail(E_RECORD_COUNT, p + <usize>BATCH_HEADER_SIZE);
    return size;
  }
  const end = p + <usize>size;
  let q = p + <usize>BATCH_HEADER_SIZE;
  let maxDelta: i64 = i64.MIN_VALUE;
  let minDelta: i64 = i64.MAX_VALUE;
  let maxAt: i32 = -1;
  let prevDelta: i32 = -1;
  const strict = (flags & VF_STRICT) != 0;
  const requireKey = (flags & VF_REQUIRE_KEY) != 0;
  for (let i = 0; i < count; i++) {
    if (q >= end) return fail(E_RECORD_COUNT, q);
    const next = parseRecord(q, end);
    if (next == 0) return fail(recErr, recErrPos);
    const od = recOffsetDelta;
    if (strict ? od != i : od <= prevDelta || od > lastOffsetDelta) return fail(E_OFFSET_DELTA, q);
    if (requireKey && recKeyLen < 0) return fail(E_KEY_REQUIRED, q);
    prevDelta = od;
    if (i == 0 || recTimestampDelta > maxDelta) {
      maxDelta = recTimestampDelta;
      maxAt = od;
    }
    if (recTimestampDelta < minDelta) minDelta = recTimestampDelta;
    q = next;
  }
  if (q != end) return fail(E_RECORD_COUNT, q);
  lastRecordsMaxTimestamp = be64(p + OFF_BASE_TIMESTAMP) + maxDelta;
  lastRecordsMinTimestamp = be64(p + OFF_BASE_TIMESTAMP) + minDelta;
  lastMaxDelta = maxAt;
  return size;
}

/** Writes the header fields of the batch at p into info (BatchInfo layout). */
export function fillBatchInfo(p: usize, size: i32, info: usize): void {
  store<i64>(info + BI_BASE_OFFSET, be64(p + OFF_BASE_OFFSET));
  store<i32>(info + BI_BATCH_LENGTH, be32(p + OFF_BATCH_LENGTH));
  store<i32>(info + BI_LEADER_EPOCH, be32(p + OFF_LEADER_EPOCH));
  store<i32>(info + BI_MAGIC, <i32>load<i8>(p + OFF_MAGIC));
  store<i32>(info + BI_ATTRIBUTES, be16(p + OFF_ATTRIBUTES) & 0xffff);
  store<i32>(info + BI_LAST_OFFSET_DELTA, be32(p + OFF_LAST_OFFSET_DELTA));
  store<i32>(info + BI_RECORD_COUNT, be32(p + OFF_RECORD_COUNT));
  store<i64>(info + BI_BASE_TIMESTAMP, be64(p + OFF_BASE_TIMESTAMP));
  store<i64>(info + BI_MAX_TIMESTAMP, be64(p + OFF_MAX_TIMESTAMP));
  store<i64>(info + BI_PRODUCER_ID, be64(p + OFF_PRODUCER_ID));
  store<i32>(info + BI_PRODUCER_EPOCH, be16(p + OFF_PRODUCER_EPOCH));
  store<i32>(info + BI_BASE_SEQUENCE, be32(p + OFF_BASE_SEQUENCE));
  store<u32>(info + BI_CRC, <u32>be32(p + OFF_CRC));
  store<i32>(info + BI_SIZE, size);
  store<i64>(info + BI_RECORDS_MAX_TIMESTAMP, lastRecordsMaxTimestamp);
  store<i32>(info + BI_MAX_TIMESTAMP_DELTA_INDEX, lastMaxDelta);
  store<i32>(info + BI_RECORDS_POS, <i32>(p + <usize>BATCH_HEADER_SIZE));
  store<i64>(info + BI_RECORDS_MIN_TIMESTAMP, lastRecordsMinTimestamp);
}

/**
 * Host entry: validates one batch at p with avail bytes; fills info (may be 0). Returns the batch size
 * or an error; on error info.errorPos holds the failing address.
 */
export function batchValidate(p: usize, avail: i32, flags: i32, info: usize): i32 {
  if (info != 0 && !writable(info, BATCH_INFO_SIZE)) return fail(E_OUT_OF_BOUNDS, info);
  if (!readable(p, avail)) return fail(E_OUT_OF_BOUNDS, p);
  const r = validateBatchAt(p, avail, flags);
  if (info != 0) {
    if (r > 0) {
      fillBatchInfo(p, r, info);
      store<i32>(info + BI_ERROR_POS, 0);
    } else {
      store<i32>(info + BI_ERROR_POS, <i32>errorPos);
    }
  }
  return r;
}

/**
 * Reads only the header of the batch at p (no CRC, no records): fills info, returns the declared total
 * size (which may exceed avail: a partial batch at the end of a fetch) or an error.
 */
export function batchPeek(p: usize, avail: i32, info: usize): i32 {
  if (!writable(info, BATCH_INFO_SIZE)) return fail(E_OUT_OF_BOUNDS, info);
  if (!readable(p, avail)) return fail(E_OUT_OF_BOUNDS, p);
  if (avail < LOG_OVERHEAD) return fail(E_TRUNCATED, p);
  const batchLength = be32(p + OFF_BATCH_LENGTH);
  if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) return fail(E_BAD_LENGTH, p + OFF_BATCH_LENGTH);
  if (avail < BATCH_HEADER_SIZE) return fail(E_TRUNCATED, p);
  lastRecordsMaxTimestamp = be64(p + OFF_MAX_TIMESTAMP);
  lastRecordsMinTimestamp = be64(p + OFF_BASE_TIMESTAMP);
  lastMaxDelta = -1;
  fillBatchInfo(p, batchLength + LOG_OVERHEAD, info);
  return batchLength + LOG_OVERHEAD;
}

// ---- Record cursor (iteration without copies). Layout, little-endian: ----
export const RC_POS: usize = 0; // i32 address of the next record
export const RC_END: usize = 4; // i32 end of the batch
export const RC_INDEX: usize = 8; // i32 records returned so far
export const RC_COUNT: usize = 12; // i32 recordCount of the batch
export const RC_TIMESTAMP_DELTA: usize = 16; // i64
export const RC_OFFSET_DELTA: usize = 24; // i32
export const RC_ATTRIBUTES: usize = 28; // i32
export const RC_KEY_PTR: usize = 32; // i32
export const RC_KEY_LEN: usize = 36; // i32, -1 = null
export const RC_VALUE_PTR: usize = 40;
export const RC_VALUE_LEN: usize = 44; // -1 = null
export const RC_HEADERS_PTR: usize = 48;
export const RC_HEADER_COUNT: usize = 52;
export const RC_RECORD_PTR: usize = 56; // start of the record (its length varint)
export const RC_RECORD_SIZE: usize = 60; // bytes incl. the length varint
export const RECORD_CURSOR_SIZE: i32 = 64;

/**
 * Positions cursor at the first record of the batch at p (size bytes, as returned by batchValidate).
 * Returns 0, or E_COMPRESSED for a compressed batch (the host decompresses and uses recordsBegin).
 */
export function batchRecordsBegin(p: usize, size: i32, cursor: usize): i32 {
  if (!writable(cursor, RECORD_CURSOR_SIZE)) return fail(E_OUT_OF_BOUNDS, cursor);
  if (size < BATCH_HEADER_SIZE || !readable(p, size)) return fail(E_OUT_OF_BOUNDS, p);
  if (be16(p + OFF_ATTRIBUTES) & ATTR_COMPRESSION_MASK) return fail(E_COMPRESSED, p + OFF_ATTRIBUTES);
  store<i32>(cursor + RC_POS, <i32>(p + <usize>BATCH_HEADER_SIZE));
  store<i32>(cursor + RC_END, <i32>(p + <usize>size));
  store<i32>(cursor + RC_INDEX, 0);
  store<i32>(cursor + RC_COUNT, be32(p + OFF_RECORD_COUNT));
  return OK;
}

/** Positions cursor over a bare records section (e.g. decompressed by the host) of `count` records. */
export function recordsBegin(p: usize, len: i32, count: i32, cursor: usize): i32 {
  if (!writable(cursor, RECORD_CURSOR_SIZE)) return fail(E_OUT_OF_BOUNDS, cursor);
  if (!readable(p, len)) return fail(E_OUT_OF_BOUNDS, p);
  store<i32>(cursor + RC_POS, <i32>p);
  store<i32>(cursor + RC_END, <i32>(p + <usize>len));
  store<i32>(cursor + RC_INDEX, 0);
  store<i32>(cursor + RC_COUNT, count);
  return OK;
}

/** Decodes the next record into the cursor. Returns 1 (a record), 0 (end) or an error. */
export function recordNext(cursor: usize): i32 {
  if (!writable(cursor, RECORD_CURSOR_SIZE)) return fail(E_OUT_OF_BOUNDS, cursor);
  const p = <usize>load<u32>(cursor + RC_POS);
  const end = <usize>load<u32>(cursor + RC_END);
  const index = load<i32>(cursor + RC_INDEX);
  const count = load<i32>(cursor + RC_COUNT);
  if (end < p || !readable(p, <i32>(end - p))) return fail(E_OUT_OF_BOUNDS, p);
  if (index >= count) return p == end ? 0 : fail(E_RECORD_COUNT, p);
  if (p >= end) return fail(E_RECORD_COUNT, p);
  const next = parseRecord(p, end);
  if (next == 0) return fail(recErr, recErrPos);
  store<i32>(cursor + RC_POS, <i32>next);
  store<i32>(cursor + RC_INDEX, index + 1);
  store<i64>(cursor + RC_TIMESTAMP_DELTA, recTimestampDelta);
  store<i32>(cursor + RC_OFFSET_DELTA, recOffsetDelta);
  store<i32>(cursor + RC_ATTRIBUTES, recAttributes);
  store<i32>(cursor + RC_KEY_PTR, <i32>recKeyPtr);
  store<i32>(cursor + RC_KEY_LEN, recKeyLen);
  store<i32>(cursor + RC_VALUE_PTR, <i32>recValuePtr);
  store<i32>(cursor + RC_VALUE_LEN, recValueLen);
  store<i32>(cursor + RC_HEADERS_PTR, <i32>recHeadersPtr);
  store<i32>(cursor + RC_HEADER_COUNT, recHeaderCount);
  store<i32>(cursor + RC_RECORD_PTR, <i32>p);
  store<i32>(cursor + RC_RECORD_SIZE, <i32>(next - p));
  return 1;
}

/**
 * Decodes `count` headers starting at p (bounded by end, from a cursor) into out: per header four i32
 * (keyPtr, keyLen, valuePtr, valueLen with -1 = null). Returns count or an error.
 */
export function headersDecode(p: usize, end: usize, count: i32, out: usize): i32 {
  if (count < 0 || count > 0x1000000) return fail(E_HEADER, p);
  if (!writable(out, count << 4)) return fail(E_OUT_OF_BOUNDS, out);
  if (end < p || !readable(p, <i32>(end - p))) return fail(E_OUT_OF_BOUNDS, p);
  let q = p;
  for (let h = 0; h < count; h++) {
    const hk = readVarint(q, end);
    if (varPos == 0) return fail(varErr == E_TRUNCATED ? E_HEADER : varErr, q);
    if (hk < 0 || <u64>varPos + <u64>hk > <u64>end) return fail(E_HEADER, q);
    const o = out + (<usize>h << 4);
    store<i32>(o, <i32>varPos);
    store<i32>(o, hk, 4);
    q = varPos + <usize>hk;
    const hv = readVarint(q, end);
    if (varPos == 0) return fail(varErr == E_TRUNCATED ? E_HEADER : varErr, q);
    if (hv < -1 || (hv > 0 && <u64>varPos + <u64>hv > <u64>end)) return fail(E_HEADER, q);
    store<i32>(o, <i32>varPos, 8);
    store<i32>(o, hv, 12);
    q = varPos;
    if (hv > 0) q += <usize>hv;
  }
  return count;
}

// ---- In-place edits. ----

/** Sets the base offset (outside the CRC). */
export function batchSetBaseOffset(p: usize, size: i32, baseOffset: i64): i32 {
  if (size < BATCH_HEADER_SIZE || !writable(p, size)) return fail(E_OUT_OF_BOUNDS, p);
  putBe64(p + OFF_BASE_OFFSET, baseOffset);
  return OK;
}

/** Sets the partition leader epoch (outside the CRC). */
export function batchSetLeaderEpoch(p: usize, size: i32, epoch: i32): i32 {
  if (size < BATCH_HEADER_SIZE || !writable(p, size)) return fail(E_OUT_OF_BOUNDS, p);
  putBe32(p + OFF_LEADER_EPOCH, epoch);
  return OK;
}

/** 22 bytes: attributes(2) lastOffsetDelta(4) baseTimestamp(8) maxTimestamp(8) — the patchable head. */
const PATCH: usize = memory.data(32, 8);

/**
 * Rewrites attributes and maxTimestamp of a batch whose CRC is currently correct and fixes the CRC
 * without re-reading the records (CRC linearity, see crc32cPatch).
 */
export function patchAttributesAndMaxTimestamp(p: usize, size: i32, attributes: i32, maxTimestamp: i64): void {
  const oldAttr = load<u16>(p + OFF_ATTRIBUTES);
  const oldMax = load<u64>(p + OFF_MAX_TIMESTAMP);
  const newAttr = bswap<u16>(<u16>attributes);
  const newMax = bswap<u64>(<u64>maxTimestamp);
  if (oldAttr == newAttr && oldMax == newMax) return;
  // XOR difference over the CRC-covered bytes 21..43 (attributes .. maxTimestamp).
  memory.fill(PATCH, 0, 22);
  store<u16>(PATCH, oldAttr ^ newAttr);
  store<u64>(PATCH + (OFF_MAX_TIMESTAMP - OFF_ATTRIBUTES), oldMax ^ newMax);
  const covered = <usize>(size - <i32>OFF_ATTRIBUTES);
  const crc = crc32cPatch(<u32>be32(p + OFF_CRC), PATCH, 22, 0, covered);
  store<u16>(p + OFF_ATTRIBUTES, newAttr);
  store<u64>(p + OFF_MAX_TIMESTAMP, newMax);
  putBe32(p + OFF_CRC, <i32>crc);
}

/**
 * Sets the timestamp type to LogAppendTime and maxTimestamp to `time`, fixing the CRC. The batch
 * must be valid (its CRC correct); returns 0 or an error.
 */
export function batchSetLogAppendTime(p: usize, size: i32, time: i64): i32 {
  if (size < BATCH_HEADER_SIZE || !writable(p, size)) return fail(E_OUT_OF_BOUNDS, p);
  if (be32(p + OFF_BATCH_LENGTH) != size - LOG_OVERHEAD) return fail(E_BAD_LENGTH, p + OFF_BATCH_LENGTH);
  patchAttributesAndMaxTimestamp(p, size, (be16(p + OFF_ATTRIBUTES) & 0xffff) | ATTR_TIMESTAMP_TYPE, time);
  return OK;
}

/** Sets maxTimestamp (CreateTime) and fixes the CRC. */
export function batchSetMaxTimestamp(p: usize, size: i32, time: i64): i32 {
  if (size < BATCH_HEADER_SIZE || !writable(p, size)) return fail(E_OUT_OF_BOUNDS, p);
  if (be32(p + OFF_BATCH_LENGTH) != size - LOG_OVERHEAD) return fail(E_BAD_LENGTH, p + OFF_BATCH_LENGTH);
  patchAttributesAndMaxTimestamp(p, size, be16(p + OFF_ATTRIBUTES) & 0xffff, time);
  return OK;
}

/** Recomputes and stores the CRC over bytes 21..size; returns 0 or an error. */
export function batchUpdateCrc(p: usize, size: i32): i32 {
  if (size < BATCH_HEADER_SIZE || !writable(p, size)) return fail(E_OUT_OF_BOUNDS, p);
  putBe32(p + OFF_CRC, <i32>crc32cOf(p + OFF_ATTRIBUTES, <usize>(size - <i32>OFF_ATTRIBUTES)));
  return OK;
}
