// Byte layouts of the structures shared with the WebAssembly core (little-endian, in linear memory).
// Mirrors core/*.ts; test/core checks these against the constants the .wasm exports.

export const LAYOUT_VERSION = 2;

/** BatchInfo, filled by batchValidate / batchPeek (core/record-batch.ts). */
export const BatchInfo = {
  BASE_OFFSET: 0, BATCH_LENGTH: 8, LEADER_EPOCH: 12, MAGIC: 16, ATTRIBUTES: 20, LAST_OFFSET_DELTA: 24,
  RECORD_COUNT: 28, BASE_TIMESTAMP: 32, MAX_TIMESTAMP: 40, PRODUCER_ID: 48, PRODUCER_EPOCH: 56,
  BASE_SEQUENCE: 60, CRC: 64, SIZE: 68, RECORDS_MAX_TIMESTAMP: 72, MAX_TIMESTAMP_DELTA_INDEX: 80,
  RECORDS_POS: 84, ERROR_POS: 88, RECORDS_MIN_TIMESTAMP: 96, BYTES: 104,
} as const;

/** Record cursor (core/record-batch.ts). */
export const RecordCursor = {
  POS: 0, END: 4, INDEX: 8, COUNT: 12, TIMESTAMP_DELTA: 16, OFFSET_DELTA: 24, ATTRIBUTES: 28, KEY_PTR: 32,
  KEY_LEN: 36, VALUE_PTR: 40, VALUE_LEN: 44, HEADERS_PTR: 48, HEADER_COUNT: 52, RECORD_PTR: 56, RECORD_SIZE: 60,
  BYTES: 64,
} as const;

/** Record descriptor for the encoder (core/record-batch-encoder.ts). */
export const RecordDesc = {
  TIMESTAMP_DELTA: 0, OFFSET_DELTA: 8, ATTRIBUTES: 12, KEY_PTR: 16, KEY_LEN: 20, VALUE_PTR: 24, VALUE_LEN: 28,
  HEADERS_PTR: 32, HEADER_COUNT: 36, BYTES: 40,
} as const;
export const HEADER_DESC_BYTES = 16;

/** Batch header parameters for the encoder. */
export const BatchParams = {
  BASE_OFFSET: 0, BASE_TIMESTAMP: 8, MAX_TIMESTAMP: 16, PRODUCER_ID: 24, LEADER_EPOCH: 32, ATTRIBUTES: 36,
  PRODUCER_EPOCH: 40, BASE_SEQUENCE: 44, LAST_OFFSET_DELTA: 48, FLAGS: 52, RECORD_COUNT: 56, BYTES: 64,
} as const;
export const EF_EXPLICIT_MAX = 1;
export const EF_EXPLICIT_LAST_DELTA = 2;

/** Append result area (core/append.ts): header then per-batch entries. */
export const AppendResult = {
  ERROR: 0, ERROR_POS: 4, BATCH_COUNT: 8, RECORD_COUNT: 12, FIRST_OFFSET: 16, LAST_OFFSET: 24,
  MAX_TIMESTAMP: 32, OFFSET_OF_MAX_TIMESTAMP: 40, BYTES: 48, ERROR_BATCH: 52, CAPACITY: 56, CODECS: 60,
  NEXT_OFFSET: 64, INDEX_ENTRIES: 72, TIME_ENTRIES: 76, MIN_TIMESTAMP: 80, BATCHES: 88, HEADER_BYTES: 88,
} as const;
export const AppendBatch = { POS: 0, SIZE: 4, BASE_OFFSET: 8, MAX_TIMESTAMP: 16, RECORD_COUNT: 24, ATTRIBUTES: 28, BYTES: 32 } as const;

/** Append flags. */
export const AF_LOG_APPEND_TIME = 1;
export const AF_REJECT_CONTROL = 2;
export const AF_RELAXED = 4;
export const AF_SKIP_CRC = 8;
export const AF_SET_LEADER_EPOCH = 16;
export const AF_KEEP_MAX_TIMESTAMP = 32;
export const AF_REQUIRE_KEY = 64;

/** Validation flags. */
export const VF_STRICT = 1;
export const VF_SKIP_CRC = 2;
export const VF_REQUIRE_KEY = 4;

/** Segment state (core/append.ts). */
export const SegmentState = {
  OFFSET_INDEX: 0, TIME_INDEX: 4, INDEX_INTERVAL: 8, BYTES_SINCE_ENTRY: 12, POSITION: 16, MAX_TIMESTAMP: 24,
  OFFSET_OF_MAX_TIMESTAMP: 32, BYTES: 40,
} as const;

/** Offset / time index state blocks. */
export const OffsetIndexState = { REGION: 0, CAPACITY: 4, SIZE: 8, BASE_OFFSET: 16, LAST_OFFSET: 24, BYTES: 32 } as const;
export const TimeIndexState = {
  REGION: 0, CAPACITY: 4, SIZE: 8, BASE_OFFSET: 16, LAST_TIMESTAMP: 24, LAST_OFFSET: 32, BYTES: 40,
} as const;
export const OFFSET_INDEX_ENTRY = 8;
export const TIME_INDEX_ENTRY = 12;

/** Offset map state and slots (core/offset-map.ts). */
export const OffsetMapState = { ENTRIES: 0, SLOTS: 4, LIMIT: 8, SIZE: 12, LAST_OFFSET: 16, TABLE: 24, BYTES: 32 } as const;
export const OFFSET_MAP_ENTRY = 24;
/** Map-put result (core/offset-map.ts). */
export const MapPutResult = { BYTES: 0, STOP: 4, RECORDS: 8, BATCHES: 12, LAST_OFFSET: 16, SIZE: 24 } as const;
export const MAP_STOP_END = 0;
export const MAP_STOP_FULL = 1;
export const MAP_STOP_COMPRESSED = 2;

/** Log cleaner pass (core/log-cleaner.ts): parameters, result header and batch entries, records filter. */
export const CleanParams = { NOW: 0, HORIZON: 8, RETAIN: 16, RETAIN_COUNT: 20, BYTES: 24 } as const;
export const CleanResult = {
  BYTES_READ: 0, BYTES_WRITTEN: 4, STOP: 8, CAPACITY: 12, BATCH_COUNT: 16, BATCHES_READ: 20, RECORDS_READ: 24,
  RECORDS_KEPT: 28, TOMBSTONES_DROPPED: 32, KEYLESS_DROPPED: 36, BATCHES: 40, HEADER_BYTES: 40,
} as const;
export const CleanBatch = {
  POS: 0, SIZE: 4, BASE_OFFSET: 8, LAST_OFFSET: 16, MAX_TIMESTAMP: 24, OFFSET_OF_MAX_TIMESTAMP: 32, RECORD_COUNT: 40,
  LEADER_EPOCH: 44, BYTES: 48,
} as const;
export const CLEAN_STOP_END = 0;
export const CLEAN_STOP_COMPRESSED = 1;
export const CLEAN_STOP_OUTPUT_FULL = 2;
export const RecordsFilter = {
  ACTION: 0, RECORDS_READ: 4, RECORDS_KEPT: 8, TOMBSTONES_DROPPED: 12, KEYLESS_DROPPED: 16, SECTION_BYTES: 20,
  ATTRIBUTES: 24, BASE_TIMESTAMP: 32, MAX_TIMESTAMP: 40, BYTES: 48,
} as const;
export const CLEAN_DROP = 0;
export const CLEAN_COPY = 1;
export const CLEAN_EMPTY = 2;
export const CLEAN_REBUILD = 3;
/** Bytes a record can grow by when the cleaner rewrites its timestampDelta for a new delete horizon. */
export const CLEAN_GROWTH_PER_RECORD = 10;

/** Legacy info / cursor (core/legacy-message-set.ts). */
export const LegacyInfo = {
  COUNT: 0, MAGIC: 4, CODEC: 8, ERROR_POS: 12, FIRST_OFFSET: 16, LAST_OFFSET: 24, MAX_TIMESTAMP: 32, BYTES: 40,
  COMPRESSED: 44, REQUIRED: 48, SKIPPED: 52, SIZE: 56,
} as const;
export const LegacyCursor = {
  POS: 0, END: 4, OFFSET: 8, TIMESTAMP: 16, MAGIC: 24, ATTRIBUTES: 28, KEY_PTR: 32, KEY_LEN: 36, VALUE_PTR: 40,
  VALUE_LEN: 44, CRC: 48, MESSAGE_PTR: 52, MESSAGE_SIZE: 56, BYTES: 64,
} as const;

/** Record batch v2 header byte offsets (big-endian fields, Kafka's format). */
export const BatchHeader = {
  BASE_OFFSET: 0, BATCH_LENGTH: 8, LEADER_EPOCH: 12, MAGIC: 16, CRC: 17, ATTRIBUTES: 21, LAST_OFFSET_DELTA: 23,
  BASE_TIMESTAMP: 27, MAX_TIMESTAMP: 35, PRODUCER_ID: 43, PRODUCER_EPOCH: 51, BASE_SEQUENCE: 53, RECORD_COUNT: 57,
  SIZE: 61,
} as const;

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;
export const ATTR_DELETE_HORIZON = 0x40;
