// Runtime-agnostic TypeScript API over the Rivulet WebAssembly core. Nothing here touches the file
// system or the network: node.ts and web.ts obtain the .wasm bytes and call createCore().
//
// Memory model: the core works on addresses in its own linear memory. `core.alloc(size)` reserves a
// Region once; a host reads socket/file bytes straight into `region.bytes()` and calls the `*At`
// functions with (ptr, len) — bytes cross JS↔WASM at most once. The convenience functions that take a
// Uint8Array copy it into a scratch region first (one copy). Views returned by the core (record keys
// and values, region.bytes()) alias linear memory: they are valid until the region is reused, and
// must be re-fetched after memory grows (regions handle that for you).
//
// RivuletCore is the one instance a host holds; each concern lives in its own module (checksums,
// varints, batch reading/encoding/header edits, append, legacy message sets, segment scans, indexes)
// and RivuletCore hands its calls to them.

import { type AppendOptions, type AppendSummary, Appender } from './append.js';
import { BatchHeaderEditor } from './batch-edit.js';
import { type BatchInput, BatchEncoder, type RawBatchInput, type RecordInput } from './batch-encoder.js';
import type { BatchInfo } from './batch-info.js';
import { type Batch, BatchReader, type ValidateOptions } from './batch-reader.js';
import { type KeyHash, keyHash128, LogCleanerPass, OffsetMap } from './compaction.js';
import { Checksums } from './crc.js';
import { big, type Int64 } from './int64.js';
import { OffsetIndex, TimeIndex } from './indexes.js';
import { type LegacyInfo, type LegacyMessage, LegacyMessageSets } from './legacy.js';
import { CoreMemory } from './memory.js';
import type { RecordView } from './records.js';
import { SegmentScanner } from './scan.js';
import { SegmentIndexer } from './segment-indexer.js';
import { Varints } from './varint.js';

export type { AppendBatchSummary, AppendOptions, AppendSummary } from './append.js';
export type { BatchInput, RawBatchInput, RecordInput } from './batch-encoder.js';
export type { BatchInfo } from './batch-info.js';
export type { Batch } from './batch-reader.js';
export type {
  CleanAction, CleanedBatch, CleanPassParams, CleanPassStats, CleanPassSummary, KeyHash, MapPutSummary, RecordsFilterSummary,
} from './compaction.js';
export { LogCleanerPass, OFFSET_MAP_MAX_SLOTS, OffsetMap } from './compaction.js';
export type { CoreExports } from './exports.js';
export { OffsetIndex, TimeIndex } from './indexes.js';
export type { Int64 } from './int64.js';
export type { LegacyInfo, LegacyMessage } from './legacy.js';
export { Region } from './memory.js';
export type { Header, RecordView } from './records.js';
export { SegmentIndexer } from './segment-indexer.js';

/** The core instance: one WebAssembly instance plus typed wrappers. */
export class RivuletCore extends CoreMemory {
  private readonly checksums = new Checksums(this);
  private readonly varints = new Varints(this);
  private readonly reader = new BatchReader(this);
  private readonly encoder = new BatchEncoder(this);
  private readonly editor = new BatchHeaderEditor(this);
  private readonly legacy = new LegacyMessageSets(this);
  private readonly scanner = new SegmentScanner(this);
  private readonly appender = new Appender(this);

  // ---- CRCs ----

  /** CRC-32C (Castagnoli) of bytes, as an unsigned 32-bit number. */
  crc32c(bytes: Uint8Array): number {
    return this.checksums.crc32c(bytes);
  }
  /** CRC-32 (IEEE) of bytes. */
  crc32(bytes: Uint8Array): number {
    return this.checksums.crc32(bytes);
  }
  /** CRC-32C of bytes already in linear memory. */
  crc32cAt(ptr: number, len: number): number {
    return this.checksums.crc32cAt(ptr, len);
  }
  crc32At(ptr: number, len: number): number {
    return this.checksums.crc32At(ptr, len);
  }

  // ---- Varints (mostly for tests and protocol code) ----

  /** Decodes a zig-zag varint at bytes[offset]; returns value and the next offset, or throws CoreError. */
  readVarint(bytes: Uint8Array, offset = 0): { value: number; next: number } {
    return this.varints.readVarint(bytes, offset);
  }
  readVarlong(bytes: Uint8Array, offset = 0): { value: bigint; next: number } {
    return this.varints.readVarlong(bytes, offset);
  }
  readUnsignedVarint(bytes: Uint8Array, offset = 0): { value: number; next: number } {
    return this.varints.readUnsignedVarint(bytes, offset);
  }
  writeVarint(v: number): Uint8Array {
    return this.varints.writeVarint(v);
  }
  writeVarlong(v: Int64): Uint8Array {
    return this.varints.writeVarlong(v);
  }
  writeUnsignedVarint(v: number): Uint8Array {
    return this.varints.writeUnsignedVarint(v);
  }

  // ---- Record batches ----

  /**
   * Validates the batch at [ptr, ptr+avail) (the first batch there). Returns its size (> 0) or a
   * negative error code; `lastErrorPosition()` gives the failing address.
   * strict: producer rules (recordCount == lastOffsetDelta + 1 >= 1, offsetDelta == index).
   */
  validateBatchAt(ptr: number, avail: number, opts: ValidateOptions = {}): number {
    return this.reader.validateBatchAt(ptr, avail, opts);
  }
  /** Validates the first batch in bytes and returns its header (throws CoreError when invalid). */
  validateBatch(bytes: Uint8Array, opts: ValidateOptions = {}): BatchInfo {
    return this.reader.validateBatch(bytes, opts);
  }
  /** Returns 0 when the first batch in bytes is valid, else the error code (no throw). */
  checkBatch(bytes: Uint8Array, opts: ValidateOptions = {}): number {
    return this.reader.checkBatch(bytes, opts);
  }
  /** Records of the (validated) batch at ptr (size bytes). Views alias linear memory. */
  recordsAt(ptr: number, size: number): RecordView[] {
    return this.reader.recordsAt(ptr, size);
  }
  /**
   * Decodes a bare records section (e.g. after the host decompressed a batch): `count` records; offsets
   * and timestamps are computed from the given batch header.
   */
  decodeRecords(records: Uint8Array, count: number, batch: Pick<BatchInfo, 'baseOffset' | 'baseTimestamp' | 'maxTimestamp' | 'timestampType'>): RecordView[] {
    return this.reader.decodeRecords(records, count, batch);
  }
  /**
   * Validates and decodes every batch in bytes (a Fetch/Produce `records` field or a segment slice).
   * A partial trailing batch (as at the end of a Fetch response) ends the iteration when allowPartial.
   * Views alias linear memory and are overwritten by the next call that copies input.
   */
  decodeBatches(bytes: Uint8Array, opts: { allowPartial?: boolean; skipCrc?: boolean } = {}): Batch[] {
    return this.reader.decodeBatches(bytes, opts);
  }

  /** Encodes an uncompressed v2 batch; returns a fresh Uint8Array. */
  encodeBatch(b: BatchInput): Uint8Array {
    return this.encoder.encodeBatch(b);
  }
  /** Encodes into the output scratch area; returns its address and size (valid until the next encode). */
  encodeBatchInPlace(b: BatchInput): { ptr: number; size: number } {
    return this.encoder.encodeBatchInPlace(b);
  }
  /** Encodes only the records section (for a host that compresses it). */
  encodeRecords(records: RecordInput[], baseTimestamp: Int64): Uint8Array {
    return this.encoder.encodeRecords(records, baseTimestamp);
  }
  /** Wraps an encoded (e.g. compressed) records section into a batch. */
  encodeBatchRaw(b: RawBatchInput): Uint8Array {
    return this.encoder.encodeBatchRaw(b);
  }

  // ---- In-place edits on batches ----

  /** Sets the base offset of the batch at bytes[0] (outside the CRC). Works on any Uint8Array. */
  setBaseOffset(batch: Uint8Array, offset: Int64): void {
    this.editor.setBaseOffset(batch, offset);
  }
  /** Sets LogAppendTime = time on the batch and fixes its CRC (no full re-scan). Modifies batch. */
  setLogAppendTime(batch: Uint8Array, time: Int64): void {
    this.editor.setLogAppendTime(batch, time);
  }
  /** Sets maxTimestamp (CreateTime) and fixes the CRC. */
  setMaxTimestamp(batch: Uint8Array, time: Int64): void {
    this.editor.setMaxTimestamp(batch, time);
  }

  // ---- One-pass broker append ----

  /**
   * Validates and appends the records region [ptr, ptr+len) in place: assigns offsets from
   * opts.nextOffset, optionally LogAppendTime / leader epoch, and updates the segment's indexes.
   * Never throws for bad input: check `error`.
   */
  appendAt(ptr: number, len: number, opts: AppendOptions): AppendSummary {
    return this.appender.appendAt(ptr, len, opts);
  }
  /** appendAt over a copy of bytes; the modified bytes are copied back into `bytes`. */
  append(bytes: Uint8Array, opts: AppendOptions): AppendSummary {
    return this.appender.append(bytes, opts);
  }
  /**
   * The minimal-overhead append for a hot loop: returns the error code only; read details with
   * `lastAppend()` if needed.
   */
  appendFast(ptr: number, len: number, nextOffset: bigint, flags: number, logAppendTime = -1n, leaderEpoch = -1, segment = 0): number {
    return this.appender.appendFast(ptr, len, nextOffset, flags, logAppendTime, leaderEpoch, segment);
  }
  lastAppend(): AppendSummary {
    return this.appender.lastAppend();
  }

  // ---- Legacy message sets ----

  /** Validates a magic 0/1 message set (CRC-32 of every message). Throws CoreError. */
  validateLegacy(bytes: Uint8Array, opts: { allowPartial?: boolean } = {}): LegacyInfo {
    return this.legacy.validateLegacy(bytes, opts);
  }
  /** Messages of a magic 0/1 set (compressed wrappers are returned as they are: value = compressed set). */
  legacyMessages(bytes: Uint8Array): LegacyMessage[] {
    return this.legacy.legacyMessages(bytes);
  }
  /**
   * Converts an uncompressed magic 0/1 message set into one v2 batch (offsets unassigned: baseOffset 0,
   * offsetDelta = index). A compressed wrapper throws CoreError LEGACY_COMPRESSED (decompress the
   * wrapper value with its codec — validateLegacy().codec — and convert the inner set).
   */
  legacyToV2(bytes: Uint8Array): Uint8Array {
    return this.legacy.legacyToV2(bytes);
  }
  /**
   * Converts v2 batches (uncompressed, with assigned offsets) into a magic 0 or 1 message set for
   * Fetch v0–3; control batches are dropped, headers are lost.
   */
  v2ToLegacy(bytes: Uint8Array, toMagic: 0 | 1, opts: { verifyCrc?: boolean } = {}): Uint8Array {
    return this.legacy.v2ToLegacy(bytes, toMagic, opts);
  }

  // ---- Segment scans (after an index lookup) ----

  /**
   * Position in `bytes` (segment data from an index position on) of the first batch whose last offset
   * is >= target; bytes.length when none. Header-only walk, no CRC.
   */
  scanForOffset(bytes: Uint8Array, target: Int64): number {
    return this.scanner.scanForOffset(bytes, target);
  }
  /** Position of the first batch whose maxTimestamp is >= target; bytes.length when none. */
  scanForTimestamp(bytes: Uint8Array, target: Int64): number {
    return this.scanner.scanForTimestamp(bytes, target);
  }

  // ---- Indexes ----

  /** An offset index over a region of `capacityBytes` (Kafka's layout); `existing` = bytes loaded from disk. */
  offsetIndex(baseOffset: Int64, capacityBytes: number, existing?: Uint8Array): OffsetIndex {
    return new OffsetIndex(this, big(baseOffset), capacityBytes, existing);
  }
  timeIndex(baseOffset: Int64, capacityBytes: number, existing?: Uint8Array): TimeIndex {
    return new TimeIndex(this, big(baseOffset), capacityBytes, existing);
  }
  /** Segment bookkeeping so appendAt can maintain the indexes (index.interval.bytes default 4096). */
  segmentIndexer(offsetIndex: OffsetIndex, timeIndex: TimeIndex, opts: { indexIntervalBytes?: number; position?: number } = {}): SegmentIndexer {
    return new SegmentIndexer(this, offsetIndex, timeIndex, opts.indexIntervalBytes ?? 4096, opts.position ?? 0);
  }

  // ---- Log compaction ----

  /** MurmurHash3 x64_128 of bytes (the offset map's key hash; seed 0 there). */
  keyHash128(bytes: Uint8Array, seed = 0): KeyHash {
    return keyHash128(this, bytes, seed);
  }
  /** A cleaner offset map of `slots` slots (24 bytes each) accepting up to `limit` keys. */
  offsetMap(slots: number, limit: number): OffsetMap {
    return new OffsetMap(this, slots, limit);
  }
  /** The cleaner's filter-and-rewrite pass (its own parameter and result areas). */
  logCleanerPass(): LogCleanerPass {
    return new LogCleanerPass(this);
  }
}

/** Instantiates the core from a compiled module (synchronous). */
export function createCoreFromModule(module: WebAssembly.Module): RivuletCore {
  return new RivuletCore(new WebAssembly.Instance(module, {}));
}

/** Instantiates the core from .wasm bytes (asynchronous; works everywhere). */
export async function createCore(bytes: Uint8Array | ArrayBuffer | WebAssembly.Module): Promise<RivuletCore> {
  if (bytes instanceof WebAssembly.Module) return new RivuletCore(await WebAssembly.instantiate(bytes, {}));
  const { instance } = await WebAssembly.instantiate(bytes as unknown as BufferSource, {});
  return new RivuletCore(instance);
}

/** Synchronous instantiation from bytes (Node, Deno, Bun; browsers limit sync compiles of large modules). */
export function createCoreSync(bytes: Uint8Array | ArrayBuffer): RivuletCore {
  return new RivuletCore(new WebAssembly.Instance(new WebAssembly.Module(bytes as unknown as BufferSource), {}));
}
