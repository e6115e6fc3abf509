// Rivulet WebAssembly core: exported entry points. All pointers are addresses in this module's
// linear memory; structures are described in the files that define them and mirrored in
// bindings/layout.ts. Every entry point checks its pointers and lengths and returns typed error codes
// (errors.ts) instead of trapping.

import { crc32Of, crc32Update } from './crc32';
import { crc32cOf, crc32cUpdate } from './crc32c';
import { E_OUT_OF_BOUNDS, fail } from './errors';
import { readable } from './memory/arena';

export { lastErrorPos } from './errors';
export { arenaAlloc, arenaBase, arenaMark, arenaReset, memoryBytes } from './memory/arena';
export {
  uvarintDecode, uvarintEncode, varintDecode, varintEncode, varintError, varintPos, varlongDecode, varlongEncode,
} from './varint';
export {
  batchPeek, batchRecordsBegin, batchSetBaseOffset, batchSetLeaderEpoch, batchSetLogAppendTime, batchSetMaxTimestamp,
  batchUpdateCrc, batchValidate, headersDecode, recordNext, recordsBegin,
} from './record-batch';
export { batchSize, encodeBatch, encodeBatchRaw, encodeRecords, recordsSize } from './record-batch-encoder';
export { appendRecords, segmentIndexBatches, segmentInit } from './append';
export { keyHash128 } from './murmur3';
export {
  offsetMapGet, offsetMapInit, offsetMapPut, offsetMapPutBatches, offsetMapPutRecords, offsetMapReset,
} from './offset-map';
export { cleanBatches, cleanFinishBatch, cleanRecords } from './log-cleaner';
export { legacyBegin, legacyNext, legacyToV2, legacyValidate, v2ToLegacy } from './legacy-message-set';
export { scanForOffset, scanForTimestamp } from './segment-scan';
export { offsetIndexAppend, offsetIndexInit, offsetIndexLookup, offsetIndexTruncateTo } from './offset-index';
export { timeIndexInit, timeIndexLookup, timeIndexMaybeAppend, timeIndexTruncateTo } from './time-index';

/** CRC-32C of [p, p+n); for n < 0 or out-of-memory ranges returns 0 and sets lastErrorPos. */
export function crc32c(p: usize, n: i32): u32 {
  if (!readable(p, n)) {
    fail(E_OUT_OF_BOUNDS, p);
    return 0;
  }
  return crc32cOf(p, <usize>n);
}

/** Continues a CRC-32C: `crc` is a previous result (0 to start). */
export function crc32cContinue(crc: u32, p: usize, n: i32): u32 {
  if (!readable(p, n)) {
    fail(E_OUT_OF_BOUNDS, p);
    return crc;
  }
  return ~crc32cUpdate(~crc, p, <usize>n);
}

/** CRC-32 (IEEE) of [p, p+n). */
export function crc32(p: usize, n: i32): u32 {
  if (!readable(p, n)) {
    fail(E_OUT_OF_BOUNDS, p);
    return 0;
  }
  return crc32Of(p, <usize>n);
}

export function crc32Continue(crc: u32, p: usize, n: i32): u32 {
  if (!readable(p, n)) {
    fail(E_OUT_OF_BOUNDS, p);
    return crc;
  }
  return ~crc32Update(~crc, p, <usize>n);
}

/** Layout/ABI version; bump when any structure layout changes. */
export const LAYOUT_VERSION: i32 = 2;
export {
  BATCH_INFO_SIZE, RECORD_CURSOR_SIZE, BI_RECORDS_MAX_TIMESTAMP, BI_RECORDS_MIN_TIMESTAMP, RC_RECORD_SIZE,
} from './record-batch';
export { APPEND_RESULT_HEADER, APPEND_BATCH_ENTRY, SEGMENT_STATE_SIZE, AR_BATCHES, AR_TIME_ENTRIES, AR_MIN_TIMESTAMP } from './append';
export { RECORD_DESC_SIZE, HEADER_DESC_SIZE, BATCH_HEADER_PARAMS_SIZE, BH_RECORD_COUNT } from './record-batch-encoder';
export { LEGACY_INFO_SIZE, LEGACY_CURSOR_SIZE, LI_SKIPPED, LC_MESSAGE_SIZE } from './legacy-message-set';
export { OFFSET_INDEX_STATE_SIZE } from './offset-index';
export { TIME_INDEX_STATE_SIZE } from './time-index';
export { OFFSET_MAP_STATE_SIZE, OFFSET_MAP_ENTRY_SIZE, MAP_PUT_RESULT_SIZE, MP_LAST_OFFSET, OM_LAST_OFFSET, OM_TABLE } from './offset-map';
export {
  CLEAN_PARAMS_SIZE, CLEAN_RESULT_HEADER, CLEAN_BATCH_ENTRY, CE_LEADER_EPOCH, CR_KEYLESS_DROPPED, RECORDS_FILTER_SIZE,
  RF_MAX_TIMESTAMP, CLEAN_GROWTH_PER_RECORD,
} from './log-cleaner';
export {
  E_TRUNCATED, E_BAD_LENGTH, E_BAD_MAGIC, E_BAD_CRC, E_RECORD_COUNT, E_RECORD_LENGTH, E_VARINT_OVERFLOW, E_RECORD_BODY,
  E_KEY_LENGTH, E_VALUE_LENGTH, E_HEADER, E_OFFSET_DELTA, E_OUT_OF_BOUNDS, E_OUTPUT_TOO_SMALL, E_COMPRESSED,
  E_LEGACY_COMPRESSED, E_INDEX_FULL, E_INDEX_ORDER, E_EMPTY, E_TOO_MANY_BATCHES, E_INVALID_ARGUMENT,
  E_BAD_COMPRESSION, E_CONTROL_BATCH, E_OFFSET_OVERFLOW, E_INDEX_CORRUPT, E_KEY_REQUIRED,
} from './errors';
