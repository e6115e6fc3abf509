// The log cleaner's filter-and-rewrite pass (Kafka's LogCleaner with KIP-534's delete horizon) over whole
// v2 batches in linear memory, against an offset map (offset-map.ts). The rules are those stated in
// storage/cleaner/cleaner-core.ts:
// - a record is kept when it has a key, the map has no later offset for the key, and it is not a tombstone
//   whose batch's delete horizon has passed;
// - a kept tombstone in a batch without a horizon makes the batch rebuilt with horizon = nowMs +
//   delete.retention.ms (attribute 0x40, baseTimestamp = horizon, timestampDeltas rewritten so that each
//   record's timestamp is unchanged);
// - control batches are copied; a batch with nothing kept is dropped, or kept as a header with zero records
//   when its last offset is in the retained list (the last batch of a live idempotent producer: uncompressed,
//   since it has no records section, the rest of its header unchanged); a batch with
//   everything kept and no new horizon is copied byte for byte; any other is rebuilt (new recordCount,
//   CreateTime maxTimestamp over the kept records, batchLength, CRC-32C; everything else unchanged).
//
// CRC rule: the cleaner never puts a new CRC over bytes it has not verified. A batch's CRC-32C is checked
// (E_BAD_CRC when wrong) exactly where the cleaner signs something read from it: before a rebuild, before an
// empty header is written (its new CRC covers the producer id/epoch/sequence the header keeps), and before
// stopping at a compressed batch (CLEAN_STOP_COMPRESSED promises the host a valid batch, which it may
// rebuild). A batch copied byte for byte (control batches too) keeps its own CRC, so a corruption in it stays
// visible to every reader, and a batch whose records are all dropped is gone; neither is checked, as in
// Kafka's cleaner (MemoryRecords.filterTo checks no CRC at all). A batch that does not parse reports
// E_BAD_CRC when its CRC is wrong too, so a corruption is named as one.
//
// Compressed batches stop cleanBatches (CLEAN_STOP_COMPRESSED): the host decompresses the records section,
// filters it with cleanRecords, compresses the new section when the batch is rebuilt, and cleanFinishBatch
// writes the batch. Each batch is decided in one pass over its records, which notes each record's start
// and keep decision in a scratch area (batches of up to SCRATCH_RECORDS records); a rebuild then copies the
// kept runs from those notes without parsing or hashing again. A batch with more records, or one getting a
// new horizon (its timestampDeltas are rewritten), is written in a second pass over its records, the
// decision recomputed there when it was not noted (the map does not change in between).

import { be16, be32, be64, putBe32, putBe64, putBe16 } from './bytes';
import { crc32cOf } from './crc32c';
import {
  E_BAD_CRC, E_INVALID_ARGUMENT, E_OFFSET_DELTA, E_OUT_OF_BOUNDS, E_OUTPUT_TOO_SMALL, E_RECORD_COUNT, OK, fail,
} from './errors';
import { readable, writable } from './memory/arena';
import { hashHi, hashLo, murmur3x64 } from './murmur3';
import { mapGetHash, offsetMapStateOk, wholeBatchAt } from './offset-map';
import {
  ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_DELETE_HORIZON, ATTR_TIMESTAMP_TYPE, BATCH_HEADER_SIZE, LOG_OVERHEAD,
  OFF_ATTRIBUTES, OFF_BASE_OFFSET, OFF_BASE_TIMESTAMP, OFF_BATCH_LENGTH, OFF_CRC, OFF_LAST_OFFSET_DELTA,
  OFF_LEADER_EPOCH, OFF_MAX_TIMESTAMP, OFF_RECORD_COUNT, parseRecord, recErr, recErrPos, recKeyLen, recKeyPtr,
  recOffsetDelta, recTimestampDelta, recValueLen,
} from './record-batch';
import { readVarint, readVarlong, sizeOfVarlong, varPos, writeVarint, writeVarlong } from './varint';

/** The header of the batch being finished, copied aside so that the output may overlap it. */
const HEADER_ASIDE: usize = memory.data(64, 8);

/** Records of one batch whose starts and keep decisions decide() notes for rewrite(). */
const SCRATCH_RECORDS: i32 = 4096;
/** u32 start of each record, then the section's end (SCRATCH_RECORDS + 1 entries). */
const SCRATCH_STARTS: usize = memory.data((SCRATCH_RECORDS + 1) << 2, 16);
/** u8 per record: 1 kept, 0 dropped. */
const SCRATCH_KEEP: usize = memory.data(SCRATCH_RECORDS, 16);

// Clean parameters (little-endian, CLEAN_PARAMS_SIZE bytes).
export const CP_NOW: usize = 0; // i64 nowMs
export const CP_HORIZON: usize = 8; // i64 the delete horizon a batch gets now: nowMs + delete.retention.ms
export const CP_RETAIN: usize = 16; // i32 address of the retained batches' last offsets (i64, ascending)
export const CP_RETAIN_COUNT: usize = 20; // i32
export const CLEAN_PARAMS_SIZE: i32 = 24;

// Clean result (little-endian): header, then CR_CAPACITY batch entries.
export const CR_BYTES_READ: usize = 0; // i32 bytes of whole batches consumed from the input
export const CR_BYTES_WRITTEN: usize = 4; // i32 bytes written to the output
export const CR_STOP: usize = 8; // i32 why it stopped (CLEAN_STOP_*)
export const CR_CAPACITY: usize = 12; // i32 (input) batch entries the area holds
export const CR_BATCH_COUNT: usize = 16; // i32 batches written (= entries filled)
export const CR_BATCHES_READ: usize = 20; // i32
export const CR_RECORDS_READ: usize = 24; // i32
export const CR_RECORDS_KEPT: usize = 28; // i32
export const CR_TOMBSTONES_DROPPED: usize = 32; // i32 tombstones dropped because their horizon passed
export const CR_KEYLESS_DROPPED: usize = 36; // i32
export const CR_BATCHES: usize = 40;
export const CLEAN_RESULT_HEADER: i32 = 40;
// Batch entry: one written batch, as storage indexes it.
export const CE_POS: usize = 0; // i32 position relative to the output start
export const CE_SIZE: usize = 4; // i32
export const CE_BASE_OFFSET: usize = 8; // i64
export const CE_LAST_OFFSET: usize = 16; // i64
export const CE_MAX_TIMESTAMP: usize = 24; // i64 as written
export const CE_OFFSET_OF_MAX_TIMESTAMP: usize = 32; // i64 the batch's last offset (as storage's scan reports it)
export const CE_RECORD_COUNT: usize = 40; // i32
export const CE_LEADER_EPOCH: usize = 44; // i32
export const CLEAN_BATCH_ENTRY: i32 = 48;
/** Every whole batch was consumed (a trailing partial batch, if any, is left). */
export const CLEAN_STOP_END: i32 = 0;
/** The batch at CR_BYTES_READ is compressed (and whole, with a valid CRC). */
export const CLEAN_STOP_COMPRESSED: i32 = 1;
/** The output or the entries could not take the batch at CR_BYTES_READ: continue with a larger output. */
export const CLEAN_STOP_OUTPUT_FULL: i32 = 2;

// Records filter result (cleanRecords → cleanFinishBatch), little-endian, RECORDS_FILTER_SIZE bytes.
export const RF_ACTION: usize = 0; // i32 CLEAN_*
export const RF_RECORDS_READ: usize = 4; // i32
export const RF_RECORDS_KEPT: usize = 8; // i32
export const RF_TOMBSTONES_DROPPED: usize = 12; // i32
export const RF_KEYLESS_DROPPED: usize = 16; // i32
export const RF_SECTION_BYTES: usize = 20; // i32 bytes of the new records section (CLEAN_REBUILD)
export const RF_ATTRIBUTES: usize = 24; // i32 attributes of the rebuilt batch
export const RF_BASE_TIMESTAMP: usize = 32; // i64 baseTimestamp of the rebuilt batch
export const RF_MAX_TIMESTAMP: usize = 40; // i64 maxTimestamp of the rebuilt batch
export const RECORDS_FILTER_SIZE: i32 = 48;
/** Batch actions. */
export const CLEAN_DROP: i32 = 0;
export const CLEAN_COPY: i32 = 1;
export const CLEAN_EMPTY: i32 = 2;
export const CLEAN_REBUILD: i32 = 3;

/** Bytes a record can grow by when its timestampDelta is rewritten (varlong 1 → 10, and its length varint). */
export const CLEAN_GROWTH_PER_RECORD: i32 = 10;

// The decision for the batch being filtered (filled by decide, used by rewrite and the callers).
let fAction: i32 = 0;
let fRead: i32 = 0;
let fKept: i32 = 0;
let fTombstonesDropped: i32 = 0;
let fKeylessDropped: i32 = 0;
let fNewHorizon: bool = false;
let fAttributes: i32 = 0;
let fBaseTimestamp: i64 = 0;
let fMaxTimestamp: i64 = 0;
/** Whether decide() noted the batch's record starts and keep decisions in the scratch area. */
let fNoted: bool = false;
/** The largest timestamp (baseTimestamp + timestampDelta) of the kept records, i64.MIN_VALUE if none. */
let fKeptMaxTs: i64 = 0;

function paramsOk(params: usize): bool {
  if (!readable(params, CLEAN_PARAMS_SIZE)) return false;
  const n = load<i32>(params + CP_RETAIN_COUNT);
  return n >= 0 && n < 0x10000000 && readable(<usize>load<u32>(params + CP_RETAIN), n << 3);
}

/** Whether lastOffset is in the params' ascending retained list (binary search). */
function retained(params: usize, lastOffset: i64): bool {
  const a = <usize>load<u32>(params + CP_RETAIN);
  let lo: i32 = 0;
  let hi: i32 = load<i32>(params + CP_RETAIN_COUNT);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<i64>(a + (<usize>mid << 3)) < lastOffset) lo = mid + 1;
    else hi = mid;
  }
  return lo < load<i32>(params + CP_RETAIN_COUNT) && load<i64>(a + (<usize>lo << 3)) == lastOffset;
}

/** 1: keep the record just parsed; 0: drop it (counted). The batch's base offset and horizon state are given. */
// @ts-ignore: decorator
@inline
function keep(s: usize, baseOffset: i64, horizonPassed: bool): i32 {
  if (recKeyLen < 0) {
    fKeylessDropped++;
    return 0;
  }
  murmur3x64(recKeyPtr, <usize>recKeyLen, 0);
  if (mapGetHash(s, hashHi, hashLo) > baseOffset + <i64>recOffsetDelta) return 0;
  if (recValueLen < 0 && horizonPassed) {
    fTombstonesDropped++;
    return 0;
  }
  return 1;
}

/**
 * First pass over the records section [q, end) of `count` records of the batch whose header is at b:
 * validates the records, decides what is kept and the batch's action. OK or an error.
 */
function decide(s: usize, b: usize, q: usize, end: usize, count: i32, params: usize): i32 {
  const attributes = be16(b + OFF_ATTRIBUTES) & 0xffff;
  const baseOffset = be64(b + OFF_BASE_OFFSET);
  const lastOffsetDelta = be32(b + OFF_LAST_OFFSET_DELTA);
  const baseTimestamp = be64(b + OFF_BASE_TIMESTAMP);
  const hasHorizon = (attributes & ATTR_DELETE_HORIZON) != 0;
  const horizonPassed = hasHorizon && load<i64>(params + CP_NOW) >= baseTimestamp;
  fRead = count;
  fKept = 0;
  fTombstonesDropped = 0;
  fKeylessDropped = 0;
  let keptTombstones = 0;
  let prev = -1;
  let maxTs: i64 = i64.MIN_VALUE;
  const noted = count <= SCRATCH_RECORDS;
  for (let i = 0; i < count; i++) {
    if (q >= end) return fail(E_RECORD_COUNT, q);
    const next = parseRecord(q, end);
    if (next == 0) return fail(recErr, recErrPos);
    const od = recOffsetDelta;
    if (od <= prev || od > lastOffsetDelta) return fail(E_OFFSET_DELTA, q);
    prev = od;
    const k = keep(s, baseOffset, horizonPassed);
    if (k) {
      fKept++;
      if (recValueLen < 0) keptTombstones++;
      const ts = baseTimestamp + recTimestampDelta;
      if (ts > maxTs) maxTs = ts;
    }
    if (noted) {
      store<u32>(SCRATCH_STARTS + (<usize>i << 2), <u32>q);
      store<u8>(SCRATCH_KEEP + <usize>i, <u8>k);
    }
    q = next;
  }
  if (q != end) return fail(E_RECORD_COUNT, q);
  if (noted) store<u32>(SCRATCH_STARTS + (<usize>count << 2), <u32>end);
  fNoted = noted;
  fKeptMaxTs = maxTs;
  fNewHorizon = !hasHorizon && keptTombstones > 0;
  fAttributes = fNewHorizon ? attributes | ATTR_DELETE_HORIZON : attributes;
  fBaseTimestamp = fNewHorizon ? load<i64>(params + CP_HORIZON) : baseTimestamp;
  fMaxTimestamp = be64(b + OFF_MAX_TIMESTAMP);
  if (fKept == 0) {
    fAction = retained(params, baseOffset + <i64>lastOffsetDelta) ? CLEAN_EMPTY : CLEAN_DROP;
    // No records section to decompress: readers must not try.
    fAttributes &= ~ATTR_COMPRESSION_MASK;
  }
  else if (fKept == count && !fNewHorizon) fAction = CLEAN_COPY;
  else fAction = CLEAN_REBUILD;
  return OK;
}

/** Upper bound of the bytes a rebuilt records section of [q, end) takes. */
// @ts-ignore: decorator
@inline
function rebuiltBound(sectionLen: i32): i64 {
  return <i64>sectionLen + (fNewHorizon ? <i64>fKept * <i64>CLEAN_GROWTH_PER_RECORD : 0);
}

/**
 * Second pass (CLEAN_REBUILD): writes the kept records of [q, end) at w (room checked by the caller with
 * rebuiltBound), rewriting timestampDeltas for a new horizon; sets fMaxTimestamp. Returns the bytes written.
 */
function rewrite(s: usize, b: usize, q: usize, end: usize, count: i32, params: usize, w: usize): i32 {
  const attributes = be16(b + OFF_ATTRIBUTES) & 0xffff;
  if (fNoted && !fNewHorizon) {
    // Runs of kept records, copied as they are from decide()'s notes.
    const w0 = w;
    let i = 0;
    while (i < count) {
      if (load<u8>(SCRATCH_KEEP + <usize>i) == 0) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < count && load<u8>(SCRATCH_KEEP + <usize>j) != 0) j++;
      const from = <usize>load<u32>(SCRATCH_STARTS + (<usize>i << 2));
      const to = <usize>load<u32>(SCRATCH_STARTS + (<usize>j << 2));
      memory.copy(w, from, to - from);
      w += to - from;
      i = j;
    }
    if ((attributes & ATTR_TIMESTAMP_TYPE) == 0) fMaxTimestamp = fKeptMaxTs;
    return <i32>(w - w0);
  }
  const baseOffset = be64(b + OFF_BASE_OFFSET);
  const baseTimestamp = be64(b + OFF_BASE_TIMESTAMP);
  const horizonPassed = (attributes & ATTR_DELETE_HORIZON) != 0 && load<i64>(params + CP_NOW) >= baseTimestamp;
  const keepDropped = fKeylessDropped;
  const keepTombstones = fTombstonesDropped;
  const w0 = w;
  let maxTs: i64 = i64.MIN_VALUE;
  for (let i = 0; i < count; i++) {
    const next = parseRecord(q, end);
    if (fNoted ? load<u8>(SCRATCH_KEEP + <usize>i) != 0 : keep(s, baseOffset, horizonPassed) != 0) {
      const ts = baseTimestamp + recTimestampDelta;
      if (ts > maxTs) maxTs = ts;
      if (!fNewHorizon) {
        memory.copy(w, q, next - q);
        w += next - q;
      } else {
        // length varint | attributes | timestampDelta varlong | the rest, copied.
        readVarint(q, end);
        const body = varPos;
        readVarlong(body + 1, next);
        const rest = varPos;
        const delta = ts - fBaseTimestamp;
        const newLen = <i32>(next - rest) + 1 + sizeOfVarlong(delta);
        w = writeVarint(w, newLen);
        store<u8>(w, load<u8>(body));
        w = writeVarlong(w + 1, delta);
        memory.copy(w, rest, next - rest);
        w += next - rest;
      }
    }
    q = next;
  }
  // keep() may have counted the drops again: the decision's counts stand.
  fKeylessDropped = keepDropped;
  fTombstonesDropped = keepTombstones;
  if ((attributes & ATTR_TIMESTAMP_TYPE) == 0) fMaxTimestamp = maxTs;
  return <i32>(w - w0);
}

/** Writes at w the header of the batch at b with recordCount, attributes, timestamps of the decision, then the CRC. */
function writeHeader(b: usize, w: usize, sectionLen: i32, count: i32): i32 {
  const size = BATCH_HEADER_SIZE + sectionLen;
  memory.copy(w, b, <usize>BATCH_HEADER_SIZE);
  putBe32(w + OFF_BATCH_LENGTH, size - LOG_OVERHEAD);
  putBe16(w + OFF_ATTRIBUTES, fAttributes);
  putBe64(w + OFF_BASE_TIMESTAMP, fBaseTimestamp);
  putBe64(w + OFF_MAX_TIMESTAMP, fMaxTimestamp);
  putBe32(w + OFF_RECORD_COUNT, count);
  putBe32(w + OFF_CRC, <i32>crc32cOf(w + OFF_ATTRIBUTES, <usize>(size - <i32>OFF_ATTRIBUTES)));
  return size;
}

/** Fills a batch entry for the batch written at w (size bytes), at position pos. */
function fillEntry(e: usize, w: usize, pos: i32, size: i32): void {
  const baseOffset = be64(w + OFF_BASE_OFFSET);
  const lastOffset = baseOffset + <i64>be32(w + OFF_LAST_OFFSET_DELTA);
  store<i32>(e + CE_POS, pos);
  store<i32>(e + CE_SIZE, size);
  store<i64>(e + CE_BASE_OFFSET, baseOffset);
  store<i64>(e + CE_LAST_OFFSET, lastOffset);
  store<i64>(e + CE_MAX_TIMESTAMP, be64(w + OFF_MAX_TIMESTAMP));
  store<i64>(e + CE_OFFSET_OF_MAX_TIMESTAMP, lastOffset);
  store<i32>(e + CE_RECORD_COUNT, be32(w + OFF_RECORD_COUNT));
  store<i32>(e + CE_LEADER_EPOCH, be32(w + OFF_LEADER_EPOCH));
}

/** Whether the CRC-32C of the whole batch at b (size bytes) matches the one it carries. */
function crcOk(b: usize, size: i32): bool {
  return crc32cOf(b + OFF_ATTRIBUTES, <usize>(size - <i32>OFF_ATTRIBUTES)) == <u32>be32(b + OFF_CRC);
}

function cleanDone(result: usize, read: i32, written: i32, stop: i32, batches: i32): void {
  store<i32>(result + CR_BYTES_READ, read);
  store<i32>(result + CR_BYTES_WRITTEN, written);
  store<i32>(result + CR_STOP, stop);
  store<i32>(result + CR_BATCH_COUNT, batches);
}

// @ts-ignore: decorator
@inline
function addStat(result: usize, field: usize, n: i32): void {
  store<i32>(result + field, load<i32>(result + field) + n);
}

/**
 * The filter-and-rewrite pass over the whole batches at the start of [p, p+len) into [out, out+cap), against
 * the map at s. Fills the result (header and one entry per batch written); stops at the end of the whole
 * batches, at a compressed batch, or when the output or the entries cannot take the next batch. Returns OK
 * or an error (a corrupt batch: the result then describes what was done before it).
 */
export function cleanBatches(s: usize, p: usize, len: i32, out: usize, cap: i32, params: usize, result: usize): i32 {
  if (!writable(result, CLEAN_RESULT_HEADER)) return fail(E_OUT_OF_BOUNDS, result);
  const capacity = load<i32>(result + CR_CAPACITY);
  if (capacity < 0 || capacity > 0x1000000 || !writable(result, CLEAN_RESULT_HEADER + capacity * CLEAN_BATCH_ENTRY)) return fail(E_OUT_OF_BOUNDS, result);
  memory.fill(result + CR_BATCH_COUNT, 0, <usize>(CLEAN_RESULT_HEADER - <i32>CR_BATCH_COUNT));
  cleanDone(result, 0, 0, CLEAN_STOP_END, 0);
  if (!offsetMapStateOk(s)) return fail(E_OUT_OF_BOUNDS, s);
  if (!paramsOk(params)) return fail(E_OUT_OF_BOUNDS, params);
  if (!readable(p, len)) return fail(E_OUT_OF_BOUNDS, p);
  if (!writable(out, cap)) return fail(E_OUT_OF_BOUNDS, out);
  // The output must not overlap the input: rebuilt batches are written while their input is read.
  if (<u64>out < <u64>p + <u64>len && <u64>p < <u64>out + <u64>cap) return fail(E_INVALID_ARGUMENT, out);
  let pos = 0;
  let w = 0;
  let n = 0;
  let stop = CLEAN_STOP_END;
  while (pos < len) {
    const b = p + <usize>pos;
    const size = wholeBatchAt(b, len - pos);
    if (size < 0) {
      cleanDone(result, pos, w, CLEAN_STOP_END, n);
      return size;
    }
    if (size == 0) break;
    const attributes = be16(b + OFF_ATTRIBUTES);
    const count = be32(b + OFF_RECORD_COUNT);
    let action: i32 = CLEAN_DROP;
    if (attributes & ATTR_CONTROL) {
      // Copied byte for byte: its own CRC goes with it.
      action = CLEAN_COPY;
      fRead = count;
      fKept = count;
      fTombstonesDropped = 0;
      fKeylessDropped = 0;
    } else if ((attributes & ATTR_COMPRESSION_MASK) != 0 && count > 0) {
      // The host may rebuild it: handed over only with a valid CRC.
      if (!crcOk(b, size)) {
        cleanDone(result, pos, w, CLEAN_STOP_END, n);
        return fail(E_BAD_CRC, b + OFF_CRC);
      }
      stop = CLEAN_STOP_COMPRESSED;
      break;
    } else {
      // A compressed batch without records has nothing to decompress: its section is not read.
      const sectionEnd = (attributes & ATTR_COMPRESSION_MASK) != 0 ? b + <usize>BATCH_HEADER_SIZE : b + <usize>size;
      const r = decide(s, b, b + <usize>BATCH_HEADER_SIZE, sectionEnd, count, params);
      if (r < 0) {
        cleanDone(result, pos, w, CLEAN_STOP_END, n);
        return crcOk(b, size) ? r : fail(E_BAD_CRC, b + OFF_CRC);
      }
      action = fAction;
      // A new CRC is put only over verified bytes (an empty header keeps the producer's id/epoch/sequence).
      if ((action == CLEAN_REBUILD || action == CLEAN_EMPTY) && !crcOk(b, size)) {
        cleanDone(result, pos, w, CLEAN_STOP_END, n);
        return fail(E_BAD_CRC, b + OFF_CRC);
      }
    }
    const need: i64 = action == CLEAN_DROP ? 0
      : action == CLEAN_COPY ? <i64>size
      : action == CLEAN_EMPTY ? <i64>BATCH_HEADER_SIZE
      : <i64>BATCH_HEADER_SIZE + rebuiltBound(size - BATCH_HEADER_SIZE);
    if (need > <i64>(cap - w) || (action != CLEAN_DROP && n >= capacity)) {
      stop = CLEAN_STOP_OUTPUT_FULL;
      break;
    }
    const dst = out + <usize>w;
    let written = 0;
    if (action == CLEAN_COPY) {
      memory.copy(dst, b, <usize>size);
      written = size;
    } else if (action == CLEAN_EMPTY) {
      written = writeHeader(b, dst, 0, 0);
    } else if (action == CLEAN_REBUILD) {
      const sectionLen = rewrite(s, b, b + <usize>BATCH_HEADER_SIZE, b + <usize>size, count, params, dst + <usize>BATCH_HEADER_SIZE);
      written = writeHeader(b, dst, sectionLen, fKept);
    }
    if (written > 0) {
      fillEntry(result + CR_BATCHES + <usize>(n * CLEAN_BATCH_ENTRY), dst, w, written);
      n++;
      w += written;
    }
    addStat(result, CR_BATCHES_READ, 1);
    addStat(result, CR_RECORDS_READ, fRead);
    addStat(result, CR_RECORDS_KEPT, fKept);
    addStat(result, CR_TOMBSTONES_DROPPED, fTombstonesDropped);
    addStat(result, CR_KEYLESS_DROPPED, fKeylessDropped);
    pos += size;
  }
  cleanDone(result, pos, w, stop, n);
  return OK;
}

/**
 * Filters the decompressed records section [records, records+len) of the (compressed, whole, valid) batch at b
 * against the map at s. Fills the filter result; for CLEAN_REBUILD writes the new records section at out (cap
 * bytes: len + CLEAN_GROWTH_PER_RECORD × recordCount always suffice). Returns OK or an error.
 */
export function cleanRecords(s: usize, b: usize, records: usize, len: i32, out: usize, cap: i32, params: usize, filter: usize): i32 {
  if (!writable(filter, RECORDS_FILTER_SIZE)) return fail(E_OUT_OF_BOUNDS, filter);
  if (!offsetMapStateOk(s)) return fail(E_OUT_OF_BOUNDS, s);
  if (!paramsOk(params)) return fail(E_OUT_OF_BOUNDS, params);
  if (!readable(b, BATCH_HEADER_SIZE)) return fail(E_OUT_OF_BOUNDS, b);
  if (!readable(records, len)) return fail(E_OUT_OF_BOUNDS, records);
  if (!writable(out, cap)) return fail(E_OUT_OF_BOUNDS, out);
  if (<u64>out < <u64>records + <u64>len && <u64>records < <u64>out + <u64>cap) return fail(E_INVALID_ARGUMENT, out);
  const count = be32(b + OFF_RECORD_COUNT);
  const lastOffsetDelta = be32(b + OFF_LAST_OFFSET_DELTA);
  if (count < 0 || lastOffsetDelta < -1 || <i64>count > <i64>lastOffsetDelta + 1) return fail(E_RECORD_COUNT, b + OFF_RECORD_COUNT);
  const end = records + <usize>len;
  const r = decide(s, b, records, end, count, params);
  if (r < 0) return r;
  let section = 0;
  if (fAction == CLEAN_REBUILD) {
    if (rebuiltBound(len) > <i64>cap) return fail(E_OUTPUT_TOO_SMALL, out);
    section = rewrite(s, b, records, end, count, params, out);
  }
  store<i32>(filter + RF_ACTION, fAction);
  store<i32>(filter + RF_RECORDS_READ, fRead);
  store<i32>(filter + RF_RECORDS_KEPT, fKept);
  store<i32>(filter + RF_TOMBSTONES_DROPPED, fTombstonesDropped);
  store<i32>(filter + RF_KEYLESS_DROPPED, fKeylessDropped);
  store<i32>(filter + RF_SECTION_BYTES, section);
  store<i32>(filter + RF_ATTRIBUTES, fAttributes);
  store<i64>(filter + RF_BASE_TIMESTAMP, fBaseTimestamp);
  store<i64>(filter + RF_MAX_TIMESTAMP, fMaxTimestamp);
  return OK;
}

/**
 * Writes the batch at b as the filter result decided, at out (cap bytes): nothing (CLEAN_DROP), a copy
 * (CLEAN_COPY), the header with zero records (CLEAN_EMPTY), or the header around the (re)compressed records
 * section [section, section+len) with the filter's count, attributes and timestamps and a new CRC
 * (CLEAN_REBUILD; section may be out + 61). Fills the batch entry at entry (position 0). Returns the bytes
 * written (0 when dropped) or an error.
 */
export function cleanFinishBatch(b: usize, filter: usize, section: usize, len: i32, out: usize, cap: i32, entry: usize): i32 {
  if (!readable(filter, RECORDS_FILTER_SIZE)) return fail(E_OUT_OF_BOUNDS, filter);
  if (!writable(entry, CLEAN_BATCH_ENTRY)) return fail(E_OUT_OF_BOUNDS, entry);
  if (!readable(b, BATCH_HEADER_SIZE)) return fail(E_OUT_OF_BOUNDS, b);
  if (!writable(out, cap)) return fail(E_OUT_OF_BOUNDS, out);
  const action = load<i32>(filter + RF_ACTION);
  fAttributes = load<i32>(filter + RF_ATTRIBUTES);
  fBaseTimestamp = load<i64>(filter + RF_BASE_TIMESTAMP);
  fMaxTimestamp = load<i64>(filter + RF_MAX_TIMESTAMP);
  let size = 0;
  if (action == CLEAN_DROP) {
    memory.fill(entry, 0, <usize>CLEAN_BATCH_ENTRY);
    return 0;
  } else if (action == CLEAN_COPY) {
    size = be32(b + OFF_BATCH_LENGTH) + LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || !readable(b, size)) return fail(E_OUT_OF_BOUNDS, b);
    if (size > cap) return fail(E_OUTPUT_TOO_SMALL, out);
    if (out != b) memory.copy(out, b, <usize>size);
  } else if (action == CLEAN_EMPTY) {
    if (cap < BATCH_HEADER_SIZE) return fail(E_OUTPUT_TOO_SMALL, out);
    memory.copy(HEADER_ASIDE, b, <usize>BATCH_HEADER_SIZE);
    size = writeHeader(HEADER_ASIDE, out, 0, 0);
  } else if (action == CLEAN_REBUILD) {
    if (!readable(section, len)) return fail(E_OUT_OF_BOUNDS, section);
    if (len > 0x7fff0000 - BATCH_HEADER_SIZE || len + BATCH_HEADER_SIZE > cap) return fail(E_OUTPUT_TOO_SMALL, out);
    memory.copy(HEADER_ASIDE, b, <usize>BATCH_HEADER_SIZE);
    const dst = out + <usize>BATCH_HEADER_SIZE;
    if (dst != section) memory.copy(dst, section, <usize>len);
    size = writeHeader(HEADER_ASIDE, out, len, load<i32>(filter + RF_RECORDS_KEPT));
  } else {
    return fail(E_INVALID_ARGUMENT, filter + RF_ACTION);
  }
  fillEntry(entry, out, 0, size);
  return size;
}
