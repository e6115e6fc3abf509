// One-pass broker append. Input: the `records` bytes of one Produce partition (one or more v2
// batches) in a host region. Pass 1 validates every batch (length, magic, CRC-32C, every record) and
// notes its position; nothing is modified unless all batches are valid. Pass 2 walks only the batch
// headers: assigns consecutive offsets from nextOffset, stamps the leader epoch, sets LogAppendTime
// (or corrects maxTimestamp to the records' real maximum, as Kafka does) with an O(1) CRC fix-up, and,
// when a segment state is given, appends the sparse offset/time index entries for the segment the
// bytes are about to be written to. The host then writes the region as-is to the segment file.

import { be32, be64, putBe32, putBe64 } from './bytes';
import {
  E_CONTROL_BATCH, E_EMPTY, E_INDEX_FULL, E_OFFSET_OVERFLOW, E_OUT_OF_BOUNDS, E_TOO_MANY_BATCHES, OK, errorPos, fail,
} from './errors';
import { readable, writable } from './memory/arena';
import { OFFSET_ENTRY_SIZE, OX_BASE_OFFSET, OX_CAPACITY, OX_SIZE, offsetIndexAppendAt, offsetIndexStateOk } from './offset-index';
import {
  ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TIMESTAMP_TYPE, OFF_ATTRIBUTES, OFF_BASE_OFFSET, OFF_LAST_OFFSET_DELTA,
  OFF_LEADER_EPOCH, OFF_MAX_TIMESTAMP, OFF_RECORD_COUNT, VF_REQUIRE_KEY, VF_SKIP_CRC, VF_STRICT, lastMaxDelta, lastRecordsMaxTimestamp, lastRecordsMinTimestamp,
  patchAttributesAndMaxTimestamp, validateBatchAt,
} from './record-batch';
import { timeIndexFree, timeIndexMaybeAppendAt, timeIndexStateOk } from './time-index';

// Flags.
/** Stamp LogAppendTime = logAppendTime on every batch (topic message.timestamp.type=LogAppendTime). */
export const AF_LOG_APPEND_TIME: i32 = 1;
/** Reject control batches (appends coming from clients). */
export const AF_REJECT_CONTROL: i32 = 2;
/** Do not require producer rules (count == lastOffsetDelta+1, offsetDelta == index): replication. */
export const AF_RELAXED: i32 = 4;
/** Skip CRC verification (bytes the host already verified). */
export const AF_SKIP_CRC: i32 = 8;
/** Stamp partitionLeaderEpoch on every batch. */
export const AF_SET_LEADER_EPOCH: i32 = 16;
/** Keep each batch's maxTimestamp as sent even if the records say otherwise. */
export const AF_KEEP_MAX_TIMESTAMP: i32 = 32;
/** Every record of an uncompressed batch must have a key (a compacted topic): E_KEY_REQUIRED otherwise. */
export const AF_REQUIRE_KEY: i32 = 64;

// Result area (little-endian). Header, then `capacity` batch entries.
export const AR_ERROR: usize = 0; // i32 error code (0 ok)
export const AR_ERROR_POS: usize = 4; // i32 byte offset of the failure, relative to the region start
export const AR_BATCH_COUNT: usize = 8; // i32
export const AR_RECORD_COUNT: usize = 12; // i32
export const AR_FIRST_OFFSET: usize = 16; // i64
export const AR_LAST_OFFSET: usize = 24; // i64
export const AR_MAX_TIMESTAMP: usize = 32; // i64 (-1 when no batch has a timestamp)
export const AR_OFFSET_OF_MAX_TIMESTAMP: usize = 40; // i64
export const AR_BYTES: usize = 48; // i32 bytes validated (= region length on success)
export const AR_ERROR_BATCH: usize = 52; // i32 index of the failing batch (-1 none)
export const AR_CAPACITY: usize = 56; // i32 (input) number of batch entries the area holds
export const AR_CODECS: usize = 60; // i32 bit set of compression codecs seen (bit n = codec n)
export const AR_NEXT_OFFSET: usize = 64; // i64 lastOffset + 1
export const AR_INDEX_ENTRIES: usize = 72; // i32 offset index entries appended
export const AR_TIME_ENTRIES: usize = 76; // i32 time index entries appended
export const AR_MIN_TIMESTAMP: usize = 80; // i64 min record timestamp (compressed batches: their baseTimestamp)
export const AR_BATCHES: usize = 88;
export const APPEND_RESULT_HEADER: i32 = 88;
// Batch entry (32 bytes):
export const AB_POS: usize = 0; // i32 relative position of the batch in the region
export const AB_SIZE: usize = 4; // i32
export const AB_BASE_OFFSET: usize = 8; // i64 assigned
export const AB_MAX_TIMESTAMP: usize = 16; // i64 after the append
export const AB_RECORD_COUNT: usize = 24; // i32
export const AB_ATTRIBUTES: usize = 28; // i32 after the append
export const APPEND_BATCH_ENTRY: i32 = 32;

// Segment state (little-endian), optional: index bookkeeping for the segment being appended to.
export const SG_OFFSET_INDEX: usize = 0; // i32 address of an offset index state
export const SG_TIME_INDEX: usize = 4; // i32 address of a time index state
export const SG_INDEX_INTERVAL: usize = 8; // i32 index.interval.bytes
export const SG_BYTES_SINCE_ENTRY: usize = 12; // i32
export const SG_POSITION: usize = 16; // i32 current segment size (position the region will be written at)
export const SG_MAX_TIMESTAMP: usize = 24; // i64 max timestamp so far in the segment (-1)
export const SG_OFFSET_OF_MAX_TIMESTAMP: usize = 32; // i64
export const SEGMENT_STATE_SIZE: i32 = 40;

function finish(result: usize, code: i32, region: usize, batchIndex: i32): i32 {
  store<i32>(result + AR_ERROR, code);
  store<i32>(result + AR_ERROR_POS, code != 0 ? <i32>(errorPos - region) : 0);
  store<i32>(result + AR_ERROR_BATCH, batchIndex);
  return code;
}

/**
 * Validates and appends the records region [p, p+len). See the file comment. Returns 0 or an error
 * (also written to the result area with its byte position and batch index).
 */
export function appendRecords(
  p: usize, len: i32, nextOffset: i64, logAppendTime: i64, leaderEpoch: i32, flags: i32, result: usize, segment: usize,
): i32 {
  if (!writable(result, APPEND_RESULT_HEADER)) return fail(E_OUT_OF_BOUNDS, result);
  const capacity = load<i32>(result + AR_CAPACITY);
  if (capacity < 0 || capacity > 0x3ffffff || !writable(result, APPEND_RESULT_HEADER + capacity * APPEND_BATCH_ENTRY)) return fail(E_OUT_OF_BOUNDS, result);
  store<i32>(result + AR_BATCH_COUNT, 0);
  store<i32>(result + AR_RECORD_COUNT, 0);
  store<i64>(result + AR_FIRST_OFFSET, nextOffset);
  store<i64>(result + AR_LAST_OFFSET, nextOffset - 1);
  store<i64>(result + AR_NEXT_OFFSET, nextOffset);
  store<i64>(result + AR_MAX_TIMESTAMP, -1);
  store<i64>(result + AR_OFFSET_OF_MAX_TIMESTAMP, -1);
  store<i32>(result + AR_BYTES, 0);
  store<i32>(result + AR_CODECS, 0);
  store<i32>(result + AR_INDEX_ENTRIES, 0);
  store<i32>(result + AR_TIME_ENTRIES, 0);
  store<i64>(result + AR_MIN_TIMESTAMP, -1);
  if (!readable(p, len) || !writable(p, len)) {
    errorPos = p;
    return finish(result, E_OUT_OF_BOUNDS, p, -1);
  }
  if (len == 0) {
    errorPos = p;
    return finish(result, E_EMPTY, p, -1);
  }
  const vflags = ((flags & AF_RELAXED) ? 0 : VF_STRICT) | ((flags & AF_SKIP_CRC) ? VF_SKIP_CRC : 0) | ((flags & AF_REQUIRE_KEY) ? VF_REQUIRE_KEY : 0);
  const entries = result + AR_BATCHES;

  // Pass 1: validate everything, modify nothing.
  let pos: i32 = 0;
  let batches: i32 = 0;
  let records: i32 = 0;
  let codecs: i32 = 0;
  let minTs: i64 = i64.MAX_VALUE;
  while (pos < len) {
    const b = p + <usize>pos;
    const size = validateBatchAt(b, len - pos, vflags);
    if (size < 0) return finish(result, size, p, batches);
    const attributes = <i32>bswap<u16>(load<u16>(b + OFF_ATTRIBUTES));
    if ((flags & AF_REJECT_CONTROL) && (attributes & ATTR_CONTROL)) {
      errorPos = b + OFF_ATTRIBUTES;
      return finish(result, E_CONTROL_BATCH, p, batches);
    }
    if (batches >= capacity) {
      errorPos = b;
      return finish(result, E_TOO_MANY_BATCHES, p, batches);
    }
    const e = entries + <usize>(batches * APPEND_BATCH_ENTRY);
    store<i32>(e + AB_POS, pos);
    store<i32>(e + AB_SIZE, size);
    // Stash the records' max timestamp and its delta until pass 2 (fields are overwritten there).
    store<i64>(e + AB_MAX_TIMESTAMP, lastRecordsMaxTimestamp);
    store<i64>(e + AB_BASE_OFFSET, <i64>lastMaxDelta);
    const count = be32(b + OFF_RECORD_COUNT);
    store<i32>(e + AB_RECORD_COUNT, count);
    store<i32>(e + AB_ATTRIBUTES, attributes);
    codecs |= 1 << (attributes & ATTR_COMPRESSION_MASK);
    if (count > 0 && lastRecordsMinTimestamp < minTs) minTs = lastRecordsMinTimestamp;
    records += count;
    batches++;
    pos += size;
  }

  // Offset range and index room are checked before anything is written.
  if (segment != 0 && !writable(segment, SEGMENT_STATE_SIZE)) {
    errorPos = segment;
    return finish(result, E_OUT_OF_BOUNDS, p, -1);
  }
  const oxState = segment != 0 ? <usize>load<u32>(segment + SG_OFFSET_INDEX) : 0;
  const txState = segment != 0 ? <usize>load<u32>(segment + SG_TIME_INDEX) : 0;
  if (segment != 0) {
    if (!offsetIndexStateOk(oxState) || !timeIndexStateOk(txState)) {
      errorPos = segment;
      return finish(result, E_OUT_OF_BOUNDS, p, -1);
    }
    const oxFree = (load<i32>(oxState + OX_CAPACITY) - load<i32>(oxState + OX_SIZE)) / OFFSET_ENTRY_SIZE;
    if (oxFree < batches || timeIndexFree(txState) < batches) {
      errorPos = oxState;
      return finish(result, E_INDEX_FULL, p, -1);
    }
    // Relative offsets of everything appended must fit in 32 bits (Kafka rolls the segment otherwise).
    const lastPossible = nextOffset + <i64>records + <i64>batches; // generous bound for relaxed mode
    const rel = lastPossible - load<i64>(oxState + OX_BASE_OFFSET);
    if (nextOffset < load<i64>(oxState + OX_BASE_OFFSET) || rel > <i64>i32.MAX_VALUE) {
      errorPos = oxState;
      return finish(result, E_OFFSET_OVERFLOW, p, -1);
    }
  }

  // Pass 2: assign offsets, timestamps, index entries.
  let offset = nextOffset;
  let maxTs: i64 = -1;
  let offsetOfMax: i64 = -1;
  let ixEntries = 0;
  let txEntries = 0;
  let segPos = segment != 0 ? load<i32>(segment + SG_POSITION) : 0;
  let sinceEntry = segment != 0 ? load<i32>(segment + SG_BYTES_SINCE_ENTRY) : 0;
  const interval = segment != 0 ? load<i32>(segment + SG_INDEX_INTERVAL) : 0;
  let segMaxTs = segment != 0 ? load<i64>(segment + SG_MAX_TIMESTAMP) : -1;
  let segOffsetOfMax = segment != 0 ? load<i64>(segment + SG_OFFSET_OF_MAX_TIMESTAMP) : -1;
  for (let i = 0; i < batches; i++) {
    const e = entries + <usize>(i * APPEND_BATCH_ENTRY);
    const b = p + <usize>load<i32>(e + AB_POS);
    const size = load<i32>(e + AB_SIZE);
    let attributes = load<i32>(e + AB_ATTRIBUTES);
    const recordsMax = load<i64>(e + AB_MAX_TIMESTAMP);
    const maxDeltaIndex = <i32>load<i64>(e + AB_BASE_OFFSET);
    const lastOffsetDelta = be32(b + OFF_LAST_OFFSET_DELTA);
    putBe64(b + OFF_BASE_OFFSET, offset);
    if (flags & AF_SET_LEADER_EPOCH) putBe32(b + OFF_LEADER_EPOCH, leaderEpoch);
    let batchMax: i64;
    let batchOffsetOfMax: i64;
    const lastOffset = offset + <i64>lastOffsetDelta;
    if (flags & AF_LOG_APPEND_TIME) {
      attributes |= ATTR_TIMESTAMP_TYPE;
      patchAttributesAndMaxTimestamp(b, size, attributes, logAppendTime);
      batchMax = logAppendTime;
      batchOffsetOfMax = offset;
    } else {
      batchMax = recordsMax;
      if ((flags & AF_KEEP_MAX_TIMESTAMP) == 0 && (attributes & ATTR_TIMESTAMP_TYPE) == 0 && be64(b + OFF_MAX_TIMESTAMP) != recordsMax) {
        patchAttributesAndMaxTimestamp(b, size, attributes, recordsMax);
      }
      batchOffsetOfMax = maxDeltaIndex >= 0 ? offset + <i64>maxDeltaIndex : lastOffset;
    }
    if (batchMax > maxTs) {
      maxTs = batchMax;
      offsetOfMax = batchOffsetOfMax;
    }
    store<i64>(e + AB_BASE_OFFSET, offset);
    store<i64>(e + AB_MAX_TIMESTAMP, batchMax);
    store<i32>(e + AB_ATTRIBUTES, attributes);
    if (segment != 0) {
      // Kafka's LogSegment.append, batch by batch.
      if (batchMax > segMaxTs) {
        segMaxTs = batchMax;
        segOffsetOfMax = lastOffset;
      }
      if (sinceEntry > interval) {
        const r1 = offsetIndexAppendAt(oxState, lastOffset, segPos);
        if (r1 < 0) return finish(result, r1, p, i);
        ixEntries++;
        const r2 = timeIndexMaybeAppendAt(txState, segMaxTs, segOffsetOfMax);
        if (r2 < 0) return finish(result, r2, p, i);
        txEntries += r2;
        sinceEntry = 0;
      }
      segPos += size;
      sinceEntry += size;
    }
    offset = lastOffset + 1;
  }
  if (segment != 0) {
    store<i32>(segment + SG_POSITION, segPos);
    store<i32>(segment + SG_BYTES_SINCE_ENTRY, sinceEntry);
    store<i64>(segment + SG_MAX_TIMESTAMP, segMaxTs);
    store<i64>(segment + SG_OFFSET_OF_MAX_TIMESTAMP, segOffsetOfMax);
  }
  store<i32>(result + AR_BATCH_COUNT, batches);
  store<i32>(result + AR_RECORD_COUNT, records);
  store<i64>(result + AR_LAST_OFFSET, offset - 1);
  store<i64>(result + AR_NEXT_OFFSET, offset);
  store<i64>(result + AR_MAX_TIMESTAMP, maxTs);
  store<i64>(result + AR_OFFSET_OF_MAX_TIMESTAMP, offsetOfMax);
  store<i32>(result + AR_BYTES, len);
  store<i32>(result + AR_CODECS, codecs);
  store<i32>(result + AR_INDEX_ENTRIES, ixEntries);
  store<i32>(result + AR_TIME_ENTRIES, txEntries);
  store<i64>(result + AR_MIN_TIMESTAMP, minTs == i64.MAX_VALUE ? -1 : minTs);
  errorPos = 0;
  return finish(result, OK, p, -1);
}

/**
 * Index bookkeeping for batches already in a segment (e.g. rebuilding indexes on recovery, or the host
 * appending bytes it did not pass through appendRecords). Walks the batch headers in [p, p+len)
 * (trusted: no CRC/record validation) as if they were appended at segment.position.
 * Returns the number of batches or an error.
 */
export function segmentIndexBatches(p: usize, len: i32, segment: usize): i32 {
  if (!readable(p, len)) return fail(E_OUT_OF_BOUNDS, p);
  if (!writable(segment, SEGMENT_STATE_SIZE)) return fail(E_OUT_OF_BOUNDS, segment);
  const oxState = <usize>load<u32>(segment + SG_OFFSET_INDEX);
  const txState = <usize>load<u32>(segment + SG_TIME_INDEX);
  if (!offsetIndexStateOk(oxState) || !timeIndexStateOk(txState)) return fail(E_OUT_OF_BOUNDS, segment);
  let pos: i32 = 0;
  let n = 0;
  let segPos = load<i32>(segment + SG_POSITION);
  let sinceEntry = load<i32>(segment + SG_BYTES_SINCE_ENTRY);
  const interval = load<i32>(segment + SG_INDEX_INTERVAL);
  let segMaxTs = load<i64>(segment + SG_MAX_TIMESTAMP);
  let segOffsetOfMax = load<i64>(segment + SG_OFFSET_OF_MAX_TIMESTAMP);
  while (pos < len) {
    const b = p + <usize>pos;
    const size = validateBatchAt(b, len - pos, VF_SKIP_CRC);
    if (size < 0) return size;
    const lastOffset = be64(b + OFF_BASE_OFFSET) + <i64>be32(b + OFF_LAST_OFFSET_DELTA);
    const batchMax = be64(b + OFF_MAX_TIMESTAMP);
    if (batchMax > segMaxTs) {
      segMaxTs = batchMax;
      segOffsetOfMax = lastOffset;
    }
    if (sinceEntry > interval) {
      const r1 = offsetIndexAppendAt(oxState, lastOffset, segPos);
      if (r1 < 0) return r1;
      const r2 = timeIndexMaybeAppendAt(txState, segMaxTs, segOffsetOfMax);
      if (r2 < 0) return r2;
      sinceEntry = 0;
    }
    segPos += size;
    sinceEntry += size;
    pos += size;
    n++;
    store<i32>(segment + SG_POSITION, segPos);
    store<i32>(segment + SG_BYTES_SINCE_ENTRY, sinceEntry);
    store<i64>(segment + SG_MAX_TIMESTAMP, segMaxTs);
    store<i64>(segment + SG_OFFSET_OF_MAX_TIMESTAMP, segOffsetOfMax);
  }
  return n;
}

/** Initialises a segment state block. */
export function segmentInit(segment: usize, offsetIndexState: usize, timeIndexState: usize, indexInterval: i32, position: i32): i32 {
  if (!writable(segment, SEGMENT_STATE_SIZE)) return fail(E_OUT_OF_BOUNDS, segment);
  store<i32>(segment + SG_OFFSET_INDEX, <i32>offsetIndexState);
  store<i32>(segment + SG_TIME_INDEX, <i32>timeIndexState);
  store<i32>(segment + SG_INDEX_INTERVAL, indexInterval);
  store<i32>(segment + SG_BYTES_SINCE_ENTRY, 0);
  store<i32>(segment + SG_POSITION, position);
  store<i64>(segment + SG_MAX_TIMESTAMP, -1);
  store<i64>(segment + SG_OFFSET_OF_MAX_TIMESTAMP, -1);
  return OK;
}
