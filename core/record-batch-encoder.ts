// Builds v2 record batches. The host describes records with fixed-size descriptors pointing at key,
// value and header bytes it has placed in linear memory; the encoder writes the records section and
// the header and computes the CRC. A host that compresses encodes the records section alone
// (encodeRecords), compresses it, and wraps the result with encodeBatchRaw.

import { putBe16, putBe32, putBe64 } from './bytes';
import { crc32cOf } from './crc32c';
import { E_COMPRESSED, E_HEADER, E_INVALID_ARGUMENT, E_KEY_LENGTH, E_OUT_OF_BOUNDS, E_OUTPUT_TOO_SMALL, E_VALUE_LENGTH, fail } from './errors';
import { readable, writable } from './memory/arena';
import {
  BATCH_HEADER_SIZE, LOG_OVERHEAD, OFF_ATTRIBUTES, OFF_BASE_OFFSET, OFF_BASE_SEQUENCE, OFF_BASE_TIMESTAMP,
  OFF_BATCH_LENGTH, OFF_CRC, OFF_LAST_OFFSET_DELTA, OFF_LEADER_EPOCH, OFF_MAGIC, OFF_MAX_TIMESTAMP, OFF_PRODUCER_EPOCH,
  OFF_PRODUCER_ID, OFF_RECORD_COUNT,
} from './record-batch';
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint';

// Record descriptor (little-endian, 40 bytes).
export const RD_TIMESTAMP_DELTA: usize = 0; // i64
export const RD_OFFSET_DELTA: usize = 8; // i32
export const RD_ATTRIBUTES: usize = 12; // i32 (record attributes byte, unused by Kafka: 0)
export const RD_KEY_PTR: usize = 16; // i32
export const RD_KEY_LEN: usize = 20; // i32, -1 = null
export const RD_VALUE_PTR: usize = 24;
export const RD_VALUE_LEN: usize = 28; // -1 = null
export const RD_HEADERS_PTR: usize = 32; // i32 address of headerCount header descriptors
export const RD_HEADER_COUNT: usize = 36;
export const RECORD_DESC_SIZE: i32 = 40;
// Header descriptor (16 bytes): keyPtr, keyLen (>= 0), valuePtr, valueLen (-1 = null).
export const HEADER_DESC_SIZE: i32 = 16;

// Batch header parameters (little-endian, 64 bytes).
export const BH_BASE_OFFSET: usize = 0; // i64
export const BH_BASE_TIMESTAMP: usize = 8; // i64
export const BH_MAX_TIMESTAMP: usize = 16; // i64 (used when BH_FLAGS has EF_EXPLICIT_MAX or there are no records)
export const BH_PRODUCER_ID: usize = 24; // i64
export const BH_LEADER_EPOCH: usize = 32; // i32
export const BH_ATTRIBUTES: usize = 36; // i32
export const BH_PRODUCER_EPOCH: usize = 40; // i32
export const BH_BASE_SEQUENCE: usize = 44; // i32
export const BH_LAST_OFFSET_DELTA: usize = 48; // i32 (used when EF_EXPLICIT_LAST_DELTA, else the last record's offsetDelta)
export const BH_FLAGS: usize = 52; // i32
export const BH_RECORD_COUNT: usize = 56; // i32 (encodeBatchRaw only)
export const BATCH_HEADER_PARAMS_SIZE: i32 = 64;
export const EF_EXPLICIT_MAX: i32 = 1;
export const EF_EXPLICIT_LAST_DELTA: i32 = 2;

let encMaxDelta: i64 = 0;
let encLastOffsetDelta: i32 = -1;

@inline function bytesSize(len: i32): i32 {
  return len < 0 ? 1 : sizeOfVarint(len) + len;
}

/** Size of one record's body (without its length varint), or an error. Checks the descriptor. */
function recordBodySize(d: usize): i32 {
  const kl = load<i32>(d + RD_KEY_LEN);
  const vl = load<i32>(d + RD_VALUE_LEN);
  const hc = load<i32>(d + RD_HEADER_COUNT);
  if (kl < -1 || (kl > 0 && !readable(<usize>load<u32>(d + RD_KEY_PTR), kl))) return fail(E_KEY_LENGTH, d);
  if (vl < -1 || (vl > 0 && !readable(<usize>load<u32>(d + RD_VALUE_PTR), vl))) return fail(E_VALUE_LENGTH, d);
  if (hc < 0 || hc > 0x100000) return fail(E_HEADER, d);
  const hp = <usize>load<u32>(d + RD_HEADERS_PTR);
  if (hc > 0 && !readable(hp, hc * HEADER_DESC_SIZE)) return fail(E_HEADER, d);
  let size: i64 = 1 + <i64>sizeOfVarlong(load<i64>(d + RD_TIMESTAMP_DELTA)) + <i64>sizeOfVarint(load<i32>(d + RD_OFFSET_DELTA));
  size += <i64>bytesSize(kl) + <i64>bytesSize(vl) + <i64>sizeOfVarint(hc);
  for (let h = 0; h < hc; h++) {
    const hd = hp + <usize>(h * HEADER_DESC_SIZE);
    const hkl = load<i32>(hd, 4);
    const hvl = load<i32>(hd, 12);
    if (hkl < 0 || !readable(<usize>load<u32>(hd), hkl)) return fail(E_HEADER, hd);
    if (hvl < -1 || (hvl > 0 && !readable(<usize>load<u32>(hd, 8), hvl))) return fail(E_HEADER, hd);
    size += <i64>bytesSize(hkl) + <i64>bytesSize(hvl);
  }
  if (size > 0x7fff0000) return fail(E_INVALID_ARGUMENT, d);
  return <i32>size;
}

@inline function putBytes(q: usize, ptr: usize, len: i32): usize {
  q = writeVarint(q, len);
  if (len > 0) {
    memory.copy(q, ptr, <usize>len);
    q += <usize>len;
  }
  return q;
}

/** Size of the records section for `count` descriptors, or an error. */
export function recordsSize(descs: usize, count: i32): i32 {
  if (count < 0 || !readable(descs, count * RECORD_DESC_SIZE) || count > 0x1000000) return fail(E_INVALID_ARGUMENT, descs);
  let total: i64 = 0;
  encMaxDelta = i64.MIN_VALUE;
  encLastOffsetDelta = -1;
  for (let i = 0; i < count; i++) {
    const d = descs + <usize>(i * RECORD_DESC_SIZE);
    const body = recordBodySize(d);
    if (body < 0) return body;
    total += <i64>sizeOfVarint(body) + <i64>body;
    const td = load<i64>(d + RD_TIMESTAMP_DELTA);
    if (i == 0 || td > encMaxDelta) encMaxDelta = td;
    encLastOffsetDelta = load<i32>(d + RD_OFFSET_DELTA);
  }
  if (total > 0x7fff0000) return fail(E_INVALID_ARGUMENT, descs);
  return <i32>total;
}

function writeRecords(descs: usize, count: i32, q: usize): usize {
  for (let i = 0; i < count; i++) {
    const d = descs + <usize>(i * RECORD_DESC_SIZE);
    const body = recordBodySize(d);
    q = writeVarint(q, body);
    store<u8>(q, <u8>load<i32>(d + RD_ATTRIBUTES));
    q++;
    q = writeVarlong(q, load<i64>(d + RD_TIMESTAMP_DELTA));
    q = writeVarint(q, load<i32>(d + RD_OFFSET_DELTA));
    q = putBytes(q, <usize>load<u32>(d + RD_KEY_PTR), load<i32>(d + RD_KEY_LEN));
    q = putBytes(q, <usize>load<u32>(d + RD_VALUE_PTR), load<i32>(d + RD_VALUE_LEN));
    const hc = load<i32>(d + RD_HEADER_COUNT);
    q = writeVarint(q, hc);
    const hp = <usize>load<u32>(d + RD_HEADERS_PTR);
    for (let h = 0; h < hc; h++) {
      const hd = hp + <usize>(h * HEADER_DESC_SIZE);
      q = putBytes(q, <usize>load<u32>(hd), load<i32>(hd, 4));
      q = putBytes(q, <usize>load<u32>(hd, 8), load<i32>(hd, 12));
    }
  }
  return q;
}

/** Encodes only the records section into out; returns its size or an error (E_OUTPUT_TOO_SMALL). */
export function encodeRecords(descs: usize, count: i32, out: usize, cap: i32): i32 {
  const size = recordsSize(descs, count);
  if (size < 0) return size;
  if (!writable(out, cap)) return fail(E_OUT_OF_BOUNDS, out);
  if (size > cap) return fail(E_OUTPUT_TOO_SMALL, out);
  writeRecords(descs, count, out);
  return size;
}

function writeHeader(params: usize, out: usize, recordsLen: i32, count: i32, lastOffsetDelta: i32, maxTs: i64): i32 {
  const size = BATCH_HEADER_SIZE + recordsLen;
  putBe64(out + OFF_BASE_OFFSET, load<i64>(params + BH_BASE_OFFSET));
  putBe32(out + OFF_BATCH_LENGTH, size - LOG_OVERHEAD);
  putBe32(out + OFF_LEADER_EPOCH, load<i32>(params + BH_LEADER_EPOCH));
  store<u8>(out + OFF_MAGIC, 2);
  putBe16(out + OFF_ATTRIBUTES, load<i32>(params + BH_ATTRIBUTES));
  putBe32(out + OFF_LAST_OFFSET_DELTA, lastOffsetDelta);
  putBe64(out + OFF_BASE_TIMESTAMP, load<i64>(params + BH_BASE_TIMESTAMP));
  putBe64(out + OFF_MAX_TIMESTAMP, maxTs);
  putBe64(out + OFF_PRODUCER_ID, load<i64>(params + BH_PRODUCER_ID));
  putBe16(out + OFF_PRODUCER_EPOCH, load<i32>(params + BH_PRODUCER_EPOCH));
  putBe32(out + OFF_BASE_SEQUENCE, load<i32>(params + BH_BASE_SEQUENCE));
  putBe32(out + OFF_RECORD_COUNT, count);
  putBe32(out + OFF_CRC, <i32>crc32cOf(out + OFF_ATTRIBUTES, <usize>(size - <i32>OFF_ATTRIBUTES)));
  return size;
}

/** Size encodeBatch will need, or an error. */
export function batchSize(descs: usize, count: i32): i32 {
  const r = recordsSize(descs, count);
  return r < 0 ? r : r + BATCH_HEADER_SIZE;
}

/**
 * Encodes a whole uncompressed batch from header params and record descriptors into out (cap bytes).
 * maxTimestamp = baseTimestamp + max(timestampDelta) unless EF_EXPLICIT_MAX; lastOffsetDelta = the
 * last record's offsetDelta unless EF_EXPLICIT_LAST_DELTA. Returns the batch size or an error.
 */
export function encodeBatch(params: usize, descs: usize, count: i32, out: usize, cap: i32): i32 {
  if (!readable(params, BATCH_HEADER_PARAMS_SIZE)) return fail(E_OUT_OF_BOUNDS, params);
  // Descriptors describe plain records: compressed batches go through encodeRecords + encodeBatchRaw.
  if (load<i32>(params + BH_ATTRIBUTES) & 7) return fail(E_COMPRESSED, params + BH_ATTRIBUTES);
  const recLen = recordsSize(descs, count);
  if (recLen < 0) return recLen;
  if (!writable(out, cap)) return fail(E_OUT_OF_BOUNDS, out);
  if (recLen + BATCH_HEADER_SIZE > cap) return fail(E_OUTPUT_TOO_SMALL, out);
  const flags = load<i32>(params + BH_FLAGS);
  const maxTs = (flags & EF_EXPLICIT_MAX) || count == 0 ? load<i64>(params + BH_MAX_TIMESTAMP) : load<i64>(params + BH_BASE_TIMESTAMP) + encMaxDelta;
  const lastDelta = (flags & EF_EXPLICIT_LAST_DELTA) || count == 0 ? load<i32>(params + BH_LAST_OFFSET_DELTA) : encLastOffsetDelta;
  writeRecords(descs, count, out + <usize>BATCH_HEADER_SIZE);
  return writeHeader(params, out, recLen, count, lastDelta, maxTs);
}

/**
 * Wraps an already encoded (possibly compressed) records section [records, records+len) into a batch in
 * out. Uses BH_MAX_TIMESTAMP, BH_LAST_OFFSET_DELTA and BH_RECORD_COUNT from params as given.
 * records may equal out + 61 (the host wrote the section in place). Returns the batch size or an error.
 */
export function encodeBatchRaw(params: usize, records: usize, len: i32, out: usize, cap: i32): i32 {
  if (!readable(params, BATCH_HEADER_PARAMS_SIZE)) return fail(E_OUT_OF_BOUNDS, params);
  if (!readable(records, len)) return fail(E_OUT_OF_BOUNDS, records);
  if (!writable(out, cap)) return fail(E_OUT_OF_BOUNDS, out);
  if (len > 0x7fff0000 - BATCH_HEADER_SIZE || len + BATCH_HEADER_SIZE > cap) return fail(E_OUTPUT_TOO_SMALL, out);
  const dst = out + <usize>BATCH_HEADER_SIZE;
  if (dst != records) memory.copy(dst, records, <usize>len);
  return writeHeader(params, out, len, load<i32>(params + BH_RECORD_COUNT), load<i32>(params + BH_LAST_OFFSET_DELTA), load<i64>(params + BH_MAX_TIMESTAMP));
}
