// What storage needs from the WASM core. The host never parses record batches itself: validation, offset
// assignment, LogAppendTime, batch headers and index lookups all go through this port. wasm-storage-core.ts adapts
// the core's bindings to it; tests may substitute a reference implementation.
//
// Offsets and timestamps are JS numbers on this side (safe to 2^53; asserted at the boundary).

/** One batch as the core saw it. `position` is relative to the start of the bytes given to the core. */
export interface BatchInfo {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  /** The batch's max timestamp (after LogAppendTime, if applied). */
  maxTimestamp: number;
  /** Offset of the record with the max timestamp (the batch's last offset if the core can't tell). */
  offsetOfMaxTimestamp: number;
  recordCount: number;
  /** The batch's partitionLeaderEpoch as stored (after any stamping by assign), -1 when none. */
  leaderEpoch: number;
}

export interface AssignParams {
  /** Offset to give the first record of the first batch. */
  nextOffset: number;
  /** >= 0: set LogAppendTime with this timestamp (message.timestamp.type=LogAppendTime); -1: keep CreateTime. */
  logAppendTimeMs: number;
  /** max.message.bytes: a batch larger than this is rejected (MESSAGE_TOO_LARGE). */
  maxBatchBytes: number;
  /** >= 0: stamp this partitionLeaderEpoch on every batch (a leader's append); absent or -1: keep what was sent. */
  leaderEpoch?: number;
  /** Reject a record without a key in an uncompressed batch (a compacted topic) with INVALID_RECORD. */
  requireKey?: boolean;
}

export type AssignResult =
  | { ok: true; batches: BatchInfo[] }
  | { ok: false; errorCode: number; message: string };

export interface ScanResult {
  /** Bytes from the start that hold whole, valid batches. */
  validBytes: number;
  batches: BatchInfo[];
  /** Why the scan stopped: end of input, an incomplete batch at the end, or an invalid batch. */
  stop: 'end' | 'partial' | 'invalid';
}

/** The fixed fields of a v2 batch header that storage needs to move around a file without decoding. */
export interface BatchHeader {
  baseOffset: number;
  /** Whole batch size in bytes (log overhead included). */
  size: number;
  lastOffset: number;
  maxTimestamp: number;
  magic: number;
  /** partitionLeaderEpoch (-1 when none or not a batch header). */
  leaderEpoch: number;
}

/** Bytes needed by readHeader: the whole fixed v2 batch header. */
export const HEADER_PEEK_BYTES = 61;
/** Smallest possible v2 batch (header with zero records). */
export const MIN_BATCH_BYTES = 61;

/** A core's linear memory, for callers that place bytes there themselves (see LinearFrameArena). */
export interface LinearMemory {
  /** Reserves `size` bytes (never freed) and returns their address. May grow memory. */
  alloc(size: number, align: number): number;
  /** A view of the whole memory as it is now (growth detaches earlier views). */
  bytes(): Uint8Array;
}

export interface StorageCore {
  /**
   * Copies `src` into the core's staging region of linear memory and returns that region as a view.
   * The view is valid until the next stage() (or memory growth); the segment write goes straight from it.
   * Bytes already in linear memory (a Produce frame reassembled there) are returned as they are, uncopied.
   */
  stage(src: Uint8Array): Uint8Array;
  /** The core's linear memory, when it has one (the WASM core). */
  readonly linear?: LinearMemory;
  /**
   * A writable view of `size` bytes of the staging region (e.g. to read file bytes straight into linear
   * memory before scan()). Valid until the next region()/stage() call.
   */
  region(size: number): Uint8Array;
  /** Validates every batch of a staged view, assigns offsets (and LogAppendTime) in place. */
  assign(view: Uint8Array, params: AssignParams): AssignResult;
  /** Validates batches from the start of `bytes` (CRC included) without changing them; stops at the first bad one. */
  scan(bytes: Uint8Array, maxBatches: number): ScanResult;
  /** Header of the batch at `bytes[pos]`; null if fewer than HEADER_PEEK_BYTES remain; magic -1 if it is not a batch header. No CRC check. */
  readHeader(bytes: Uint8Array, pos: number): BatchHeader | null;
  // Lookups: `owner` + `generation` identify an index whose entries only grow between calls with the
  // same generation, so the core may keep it resident in linear memory and copy only new entries.
  /** Offset index (8-byte big-endian entries: relative offset, position): slot of the last entry with relative offset <= target, or -1. */
  offsetIndexLookup(index: Uint8Array, entries: number, targetRelativeOffset: number, owner?: object, generation?: number): number;
  /** Time index (12-byte entries: timestamp, relative offset): slot of the last entry with timestamp <= target, or -1. */
  timeIndexLookup(index: Uint8Array, entries: number, targetTimestamp: number, owner?: object, generation?: number): number;
  /** Within one whole batch: offset and timestamp of the first record with timestamp >= t, or null. */
  findRecordByTimestamp(batch: Uint8Array, t: number): { offset: number; timestamp: number } | null;
}
