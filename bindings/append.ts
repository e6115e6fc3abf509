// The one-pass broker append through the core: validate every batch of a `records` field, assign
// offsets (and LogAppendTime / leader epoch), maintain the segment's indexes, and summarise the result.

import { big, type Int64 } from './int64.js';
import {
  AF_KEEP_MAX_TIMESTAMP, AF_LOG_APPEND_TIME, AF_REJECT_CONTROL, AF_RELAXED, AF_REQUIRE_KEY, AF_SET_LEADER_EPOCH, AF_SKIP_CRC, AppendBatch,
  AppendResult as AR,
} from './layout.js';
import type { CoreMemory, Region } from './memory.js';
import type { SegmentIndexer } from './segment-indexer.js';

export interface AppendOptions {
  /** First offset to assign. */
  nextOffset: Int64;
  /** When set, every batch gets LogAppendTime with this timestamp. */
  logAppendTime?: Int64;
  /** When set, stamped into every batch's partitionLeaderEpoch. */
  leaderEpoch?: number;
  /** Reject control batches (appends from clients). Default true. */
  rejectControl?: boolean;
  /** Replication mode: do not enforce producer rules on counts/offset deltas. */
  relaxed?: boolean;
  skipCrc?: boolean;
  /** Keep maxTimestamp as sent (default: corrected to the records' max, as Kafka does). */
  keepMaxTimestamp?: boolean;
  /** Every record of an uncompressed batch must have a key (a compacted topic): KEY_REQUIRED otherwise. */
  requireKey?: boolean;
  /** Update this segment's sparse indexes in the same call. */
  segment?: SegmentIndexer;
  /** Batch entries the result can hold (default 1024). */
  maxBatches?: number;
}

export interface AppendBatchSummary {
  position: number;
  size: number;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  recordCount: number;
  attributes: number;
}

export interface AppendSummary {
  /** 0 or a core error code (see ErrorCode / kafkaErrorFor). */
  error: number;
  /** Byte position of the failure in the records region. */
  errorPosition: number;
  /** Index of the failing batch, -1 if none/unknown. */
  errorBatch: number;
  batchCount: number;
  recordCount: number;
  firstOffset: bigint;
  lastOffset: bigint;
  nextOffset: bigint;
  maxTimestamp: bigint;
  offsetOfMaxTimestamp: bigint;
  /**
   * Smallest record timestamp (compressed batches contribute their baseTimestamp; -1 when no records),
   * so the host can check message.timestamp.difference.max.ms with min and max.
   */
  minTimestamp: bigint;
  bytes: number;
  /** Bit n set when a batch used compression codec n. */
  codecs: number;
  indexEntries: number;
  timeIndexEntries: number;
  batches: AppendBatchSummary[];
}

/** Batch entries the append result area holds unless a call asks for more. */
const DEFAULT_MAX_BATCHES = 1024;

const resultBytes = (batches: number): number => AR.HEADER_BYTES + batches * AppendBatch.BYTES;

export class Appender {
  /** The append result area (header, then one entry per batch); replaced by a larger one on demand. */
  private result: Region;

  constructor(private readonly mem: CoreMemory) {
    this.result = mem.alloc(resultBytes(DEFAULT_MAX_BATCHES));
    mem.dv.setInt32(this.result.ptr + AR.CAPACITY, DEFAULT_MAX_BATCHES, true);
  }

  appendAt(ptr: number, len: number, opts: AppendOptions): AppendSummary {
    const cap = opts.maxBatches ?? DEFAULT_MAX_BATCHES;
    if (this.result.size < resultBytes(cap)) this.result = this.mem.alloc(resultBytes(cap));
    const res = this.result.ptr;
    this.mem.dv.setInt32(res + AR.CAPACITY, cap, true);
    this.mem.exports.appendRecords(ptr, len, big(opts.nextOffset), big(opts.logAppendTime ?? -1n), opts.leaderEpoch ?? -1, appendFlags(opts), res, opts.segment?.state ?? 0);
    return readAppendResult(this.mem.dv, res);
  }

  append(bytes: Uint8Array, opts: AppendOptions): AppendSummary {
    const p = this.mem.copyIn(bytes);
    const s = this.appendAt(p, bytes.length, opts);
    if (s.error === 0 && bytes.buffer !== this.mem.exports.memory.buffer) bytes.set(this.mem.u8.subarray(p, p + bytes.length));
    return s;
  }

  appendFast(ptr: number, len: number, nextOffset: bigint, flags: number, logAppendTime = -1n, leaderEpoch = -1, segment = 0): number {
    this.mem.dv.setInt32(this.result.ptr + AR.CAPACITY, (this.result.size - AR.HEADER_BYTES) / AppendBatch.BYTES, true);
    return this.mem.exports.appendRecords(ptr, len, nextOffset, logAppendTime, leaderEpoch, flags, this.result.ptr, segment);
  }

  lastAppend(): AppendSummary {
    return readAppendResult(this.mem.dv, this.result.ptr);
  }
}

function appendFlags(opts: AppendOptions): number {
  let flags = 0;
  if (opts.logAppendTime !== undefined) flags |= AF_LOG_APPEND_TIME;
  if (opts.rejectControl ?? true) flags |= AF_REJECT_CONTROL;
  if (opts.relaxed) flags |= AF_RELAXED;
  if (opts.skipCrc) flags |= AF_SKIP_CRC;
  if (opts.leaderEpoch !== undefined) flags |= AF_SET_LEADER_EPOCH;
  if (opts.keepMaxTimestamp) flags |= AF_KEEP_MAX_TIMESTAMP;
  if (opts.requireKey) flags |= AF_REQUIRE_KEY;
  return flags;
}

function readAppendResult(dv: DataView, res: number): AppendSummary {
  const batchCount = dv.getInt32(res + AR.BATCH_COUNT, true);
  const error = dv.getInt32(res + AR.ERROR, true);
  return {
    error,
    errorPosition: dv.getInt32(res + AR.ERROR_POS, true),
    errorBatch: dv.getInt32(res + AR.ERROR_BATCH, true),
    batchCount,
    recordCount: dv.getInt32(res + AR.RECORD_COUNT, true),
    firstOffset: dv.getBigInt64(res + AR.FIRST_OFFSET, true),
    lastOffset: dv.getBigInt64(res + AR.LAST_OFFSET, true),
    nextOffset: dv.getBigInt64(res + AR.NEXT_OFFSET, true),
    maxTimestamp: dv.getBigInt64(res + AR.MAX_TIMESTAMP, true),
    offsetOfMaxTimestamp: dv.getBigInt64(res + AR.OFFSET_OF_MAX_TIMESTAMP, true),
    minTimestamp: dv.getBigInt64(res + AR.MIN_TIMESTAMP, true),
    bytes: dv.getInt32(res + AR.BYTES, true),
    codecs: dv.getInt32(res + AR.CODECS, true),
    indexEntries: dv.getInt32(res + AR.INDEX_ENTRIES, true),
    timeIndexEntries: dv.getInt32(res + AR.TIME_ENTRIES, true),
    batches: error === 0 ? readAppendBatches(dv, res, batchCount) : [],
  };
}

function readAppendBatches(dv: DataView, res: number, batchCount: number): AppendBatchSummary[] {
  const batches: AppendBatchSummary[] = [];
  for (let i = 0; i < batchCount; i++) {
    const e = res + AR.BATCHES + i * AppendBatch.BYTES;
    const baseOffset = dv.getBigInt64(e + AppendBatch.BASE_OFFSET, true);
    const recordCount = dv.getInt32(e + AppendBatch.RECORD_COUNT, true);
    batches.push({
      position: dv.getInt32(e + AppendBatch.POS, true),
      size: dv.getInt32(e + AppendBatch.SIZE, true),
      baseOffset,
      lastOffset: baseOffset + BigInt(recordCount - 1),
      maxTimestamp: dv.getBigInt64(e + AppendBatch.MAX_TIMESTAMP, true),
      recordCount,
      attributes: dv.getInt32(e + AppendBatch.ATTRIBUTES, true),
    });
  }
  return batches;
}
