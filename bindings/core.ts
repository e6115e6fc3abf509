// Runtime-agnostic TypeScript API over the Rivulet WebAssembly core. Nothing here touches the file
// system or the network: node.ts and web.ts obtain the .wasm bytes and call createCore().
//
// Memory model: the core works on addresses in its own linear memory. `core.alloc(size)` reserves a
// Region once; a host reads socket/file bytes straight into `region.bytes()` and calls the `*At`
// functions with (ptr, len) — bytes cross JS↔WASM at most once. The convenience functions that take a
// Uint8Array copy it into a scratch region first (one copy). Views returned by the core (record keys
// and values, region.bytes()) alias linear memory: they are valid until the region is reused, and
// must be re-fetched after memory grows (regions handle that for you).

import { CoreError } from './errors.js';
import {
  AF_KEEP_MAX_TIMESTAMP, AF_LOG_APPEND_TIME, AF_REJECT_CONTROL, AF_RELAXED, AF_SET_LEADER_EPOCH, AF_SKIP_CRC, AppendBatch,
  AppendResult as AR, ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TIMESTAMP_TYPE, ATTR_TRANSACTIONAL, BatchHeader,
  BatchInfo as BI, BatchParams as BP, EF_EXPLICIT_LAST_DELTA, EF_EXPLICIT_MAX, HEADER_DESC_BYTES, LegacyCursor as LC,
  LegacyInfo as LI, OFFSET_INDEX_ENTRY, OffsetIndexState as OX, RecordCursor as RC, RecordDesc as RD, SegmentState as SG,
  TIME_INDEX_ENTRY, TimeIndexState as TX, VF_SKIP_CRC, VF_STRICT,
} from './layout.js';

/** The raw exports of rivulet-core.wasm (addresses are numbers, 64-bit values are bigints). */
export interface CoreExports {
  readonly memory: WebAssembly.Memory;
  crc32c(p: number, n: number): number;
  crc32cContinue(crc: number, p: number, n: number): number;
  crc32(p: number, n: number): number;
  crc32Continue(crc: number, p: number, n: number): number;
  lastErrorPos(): number;
  arenaAlloc(size: number, align: number): number;
  arenaBase(): number;
  arenaMark(): number;
  arenaReset(mark: number): void;
  memoryBytes(): number;
  varintDecode(p: number, end: number): number;
  varlongDecode(p: number, end: number): bigint;
  uvarintDecode(p: number, end: number): number;
  varintPos(): number;
  varintError(): number;
  varintEncode(p: number, v: number): number;
  varlongEncode(p: number, v: bigint): number;
  uvarintEncode(p: number, v: number): number;
  batchValidate(p: number, avail: number, flags: number, info: number): number;
  batchPeek(p: number, avail: number, info: number): number;
  batchRecordsBegin(p: number, size: number, cursor: number): number;
  recordsBegin(p: number, len: number, count: number, cursor: number): number;
  recordNext(cursor: number): number;
  headersDecode(p: number, end: number, count: number, out: number): number;
  batchSetBaseOffset(p: number, size: number, offset: bigint): number;
  batchSetLeaderEpoch(p: number, size: number, epoch: number): number;
  batchSetLogAppendTime(p: number, size: number, time: bigint): number;
  batchSetMaxTimestamp(p: number, size: number, time: bigint): number;
  batchUpdateCrc(p: number, size: number): number;
  recordsSize(descs: number, count: number): number;
  batchSize(descs: number, count: number): number;
  encodeRecords(descs: number, count: number, out: number, cap: number): number;
  encodeBatch(params: number, descs: number, count: number, out: number, cap: number): number;
  encodeBatchRaw(params: number, records: number, len: number, out: number, cap: number): number;
  appendRecords(p: number, len: number, nextOffset: bigint, logAppendTime: bigint, leaderEpoch: number, flags: number, result: number, segment: number): number;
  segmentInit(segment: number, offsetIndexState: number, timeIndexState: number, interval: number, position: number): number;
  segmentIndexBatches(p: number, len: number, segment: number): number;
  legacyValidate(p: number, len: number, allowPartial: number, info: number): number;
  legacyBegin(p: number, len: number, cursor: number): number;
  legacyNext(cursor: number): number;
  legacyToV2(p: number, len: number, out: number, cap: number, info: number): number;
  v2ToLegacy(p: number, len: number, toMagic: number, verifyCrc: number, out: number, cap: number, info: number): number;
  offsetIndexInit(state: number, region: number, capacity: number, baseOffset: bigint, sizeBytes: number): number;
  offsetIndexAppend(state: number, offset: bigint, position: number): number;
  offsetIndexLookup(state: number, target: bigint, out: number): number;
  offsetIndexTruncateTo(state: number, offset: bigint): number;
  timeIndexInit(state: number, region: number, capacity: number, baseOffset: bigint, sizeBytes: number): number;
  timeIndexMaybeAppend(state: number, timestamp: bigint, offset: bigint): number;
  timeIndexLookup(state: number, target: bigint, out: number): number;
  timeIndexTruncateTo(state: number, offset: bigint): number;
  scanForOffset(p: number, len: number, target: bigint): number;
  scanForTimestamp(p: number, len: number, target: bigint): number;
  readonly [name: string]: unknown;
}

export type Int64 = bigint | number;
const big = (v: Int64): bigint => (typeof v === 'bigint' ? BigInt.asIntN(64, v) : BigInt(Math.trunc(v)));

/** A reserved range of linear memory. */
export class Region {
  constructor(private readonly core: RivuletCore, readonly ptr: number, readonly size: number) {}
  /** A view of the whole region (re-created if memory has grown since). */
  bytes(): Uint8Array {
    return this.core.u8.subarray(this.ptr, this.ptr + this.size);
  }
  /** A view of the first n bytes. */
  view(n: number = this.size, offset = 0): Uint8Array {
    return this.core.u8.subarray(this.ptr + offset, this.ptr + offset + n);
  }
  /** Copies src into the region at offset. */
  write(src: Uint8Array, offset = 0): void {
    if (offset < 0 || offset + src.length > this.size) throw new RangeError(`region of ${this.size} bytes cannot take ${src.length} at ${offset}`);
    this.core.u8.set(src, this.ptr + offset);
  }
}

/** Header fields of a v2 record batch. */
export interface BatchInfo {
  baseOffset: bigint;
  batchLength: number;
  /** Whole batch in bytes (batchLength + 12). */
  size: number;
  partitionLeaderEpoch: number;
  magic: number;
  attributes: number;
  compression: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  recordCount: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  /** Max over the records (equals maxTimestamp for compressed or empty batches). */
  recordsMaxTimestamp: bigint;
  /** Min over the records (equals baseTimestamp for compressed or empty batches). */
  recordsMinTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  crc: number;
}

export interface Header {
  key: string;
  value: Uint8Array | null;
}

/** One record; key/value/headers are views into linear memory (copy with .slice() to keep them). */
export interface RecordView {
  offsetDelta: number;
  timestampDelta: bigint;
  attributes: number;
  /** baseOffset + offsetDelta. */
  offset: bigint;
  /** baseTimestamp + timestampDelta, or maxTimestamp for LogAppendTime batches. */
  timestamp: bigint;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Header[];
}

export interface Batch extends BatchInfo {
  /** Position of the batch in the input. */
  position: number;
  /** The batch's records (empty for compressed batches: decompress `recordsBytes` first). */
  records: RecordView[];
  /** Raw bytes of the records section (view). */
  recordsBytes: Uint8Array;
}

export interface RecordInput {
  key?: Uint8Array | string | null;
  value?: Uint8Array | string | null;
  headers?: Array<{ key: string; value: Uint8Array | string | null }> | Record<string, Uint8Array | string | null>;
  /** Absolute timestamp (ms); used to compute timestampDelta from the batch's baseTimestamp. */
  timestamp?: Int64;
  timestampDelta?: Int64;
  /** Defaults to the record's index. */
  offsetDelta?: number;
  attributes?: number;
}

export interface BatchInput {
  records: RecordInput[];
  baseOffset?: Int64;
  /** Defaults to the first record's timestamp, else Date.now(). */
  baseTimestamp?: Int64;
  /** Defaults to baseTimestamp + max(timestampDelta). */
  maxTimestamp?: Int64;
  /** Defaults to the last record's offsetDelta. */
  lastOffsetDelta?: number;
  partitionLeaderEpoch?: number;
  /** Raw attributes; ORed with the flags below. */
  attributes?: number;
  timestampType?: 'CreateTime' | 'LogAppendTime';
  transactional?: boolean;
  control?: boolean;
  producerId?: Int64;
  producerEpoch?: number;
  baseSequence?: number;
}

export interface RawBatchInput extends Omit<BatchInput, 'records'> {
  /** Encoded (possibly compressed) records section. */
  records: Uint8Array;
  recordCount: number;
  /** Compression codec id (1 gzip, 2 snappy, 3 lz4, 4 zstd) stored in the attributes. */
  compression?: number;
  maxTimestamp: Int64;
  lastOffsetDelta: number;
}

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

export interface LegacyMessage {
  offset: bigint;
  magic: number;
  attributes: number;
  compression: number;
  /** -1 for magic 0. */
  timestamp: bigint;
  timestampType: 'CreateTime' | 'LogAppendTime';
  key: Uint8Array | null;
  value: Uint8Array | null;
  crc: number;
}

export interface LegacyInfo {
  count: number;
  /** Magic of the messages, -1 when mixed or empty. */
  magic: number;
  /** Codec of the first compressed wrapper message, 0 if none. */
  codec: number;
  compressedCount: number;
  firstOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  bytes: number;
}

/** Batch entries the append result area holds unless a call asks for more. */
const DEFAULT_MAX_BATCHES = 1024;

const enc = new TextEncoder();
const dec = new TextDecoder();
const toBytes = (v: Uint8Array | string): Uint8Array => (typeof v === 'string' ? enc.encode(v) : v);

/** A growable scratch area for the convenience wrappers. */
class Scratch {
  ptr = 0;
  size = 0;
  constructor(private readonly core: RivuletCore) {}
  ensure(n: number): number {
    if (n > this.size) {
      const size = Math.max(n, this.size * 2, 64 * 1024);
      this.ptr = this.core.allocPtr(size, 64);
      this.size = size;
    }
    return this.ptr;
  }
}

/** The core instance: one WebAssembly instance plus typed wrappers. */
export class RivuletCore {
  readonly exports: CoreExports;
  private buf: ArrayBuffer | null = null;
  private _u8!: Uint8Array;
  private _dv!: DataView;
  private readonly small: number; // 1 KiB of small structs
  private readonly info: number;
  private readonly cursor: number;
  private readonly params: number;
  private readonly legacyInfo: number;
  private readonly legacyCursor: number;
  private readonly out16: number;
  private readonly input: Scratch;
  private readonly output: Scratch;
  private readonly staging: Scratch;

  constructor(instance: WebAssembly.Instance) {
    this.exports = instance.exports as unknown as CoreExports;
    this.small = this.allocPtr(1024, 64);
    this.info = this.small; // BatchInfo.BYTES (104) < 128
    this.cursor = this.small + 128;
    this.params = this.small + 192;
    this.legacyInfo = this.small + 256;
    this.legacyCursor = this.small + 320;
    this.out16 = this.small + 384;
    this.input = new Scratch(this);
    this.output = new Scratch(this);
    this.staging = new Scratch(this);
    // Reserved now so that the first calls do not grow memory (growth detaches views the host holds).
    this.input.ensure(64 * 1024);
    this.output.ensure(64 * 1024);
    this.staging.ensure(64 * 1024);
    this.appendResult = this.alloc(AR.HEADER_BYTES + DEFAULT_MAX_BATCHES * AppendBatch.BYTES);
    this.dv.setInt32(this.appendResult.ptr + AR.CAPACITY, DEFAULT_MAX_BATCHES, true);
  }

  /** Current byte view of linear memory. */
  get u8(): Uint8Array {
    if (this.exports.memory.buffer !== this.buf) this.refresh();
    return this._u8;
  }
  /** Current DataView of linear memory. */
  get dv(): DataView {
    if (this.exports.memory.buffer !== this.buf) this.refresh();
    return this._dv;
  }
  private refresh(): void {
    this.buf = this.exports.memory.buffer;
    this._u8 = new Uint8Array(this.buf);
    this._dv = new DataView(this.buf);
  }

  /** Reserves `size` bytes of linear memory (never freed; reserve at start-up and reuse). */
  alloc(size: number, align = 64): Region {
    return new Region(this, this.allocPtr(size, align), size);
  }
  /** @internal */
  allocPtr(size: number, align: number): number {
    const p = this.exports.arenaAlloc(size, align) >>> 0;
    if (p === 0) throw new RangeError(`rivulet core: cannot reserve ${size} bytes of linear memory`);
    return p;
  }

  // ---- CRCs ----

  /** CRC-32C (Castagnoli) of bytes, as an unsigned 32-bit number. */
  crc32c(bytes: Uint8Array): number {
    const p = this.copyIn(bytes);
    return this.exports.crc32c(p, bytes.length) >>> 0;
  }
  /** CRC-32 (IEEE) of bytes. */
  crc32(bytes: Uint8Array): number {
    const p = this.copyIn(bytes);
    return this.exports.crc32(p, bytes.length) >>> 0;
  }
  /** CRC-32C of bytes already in linear memory. */
  crc32cAt(ptr: number, len: number): number {
    return this.exports.crc32c(ptr, len) >>> 0;
  }
  crc32At(ptr: number, len: number): number {
    return this.exports.crc32(ptr, len) >>> 0;
  }

  /** Copies bytes into the input scratch area (unless they already are a view of linear memory). */
  copyIn(bytes: Uint8Array): number {
    if (bytes.buffer === this.exports.memory.buffer) return bytes.byteOffset;
    const p = this.input.ensure(bytes.length);
    this.u8.set(bytes, p);
    return p;
  }

  // ---- Varints (mostly for tests and protocol code) ----

  /** Decodes a zig-zag varint at bytes[offset]; returns value and the next offset, or throws CoreError. */
  readVarint(bytes: Uint8Array, offset = 0): { value: number; next: number } {
    const p = this.copyIn(bytes);
    const v = this.exports.varintDecode(p + offset, p + bytes.length);
    const q = this.exports.varintPos() >>> 0;
    if (q === 0) throw new CoreError(this.exports.varintError(), 'varint', offset);
    return { value: v, next: q - p };
  }
  readVarlong(bytes: Uint8Array, offset = 0): { value: bigint; next: number } {
    const p = this.copyIn(bytes);
    const v = this.exports.varlongDecode(p + offset, p + bytes.length);
    const q = this.exports.varintPos() >>> 0;
    if (q === 0) throw new CoreError(this.exports.varintError(), 'varlong', offset);
    return { value: v, next: q - p };
  }
  readUnsignedVarint(bytes: Uint8Array, offset = 0): { value: number; next: number } {
    const p = this.copyIn(bytes);
    const v = this.exports.uvarintDecode(p + offset, p + bytes.length) >>> 0;
    const q = this.exports.varintPos() >>> 0;
    if (q === 0) throw new CoreError(this.exports.varintError(), 'unsigned varint', offset);
    return { value: v, next: q - p };
  }
  writeVarint(v: number): Uint8Array {
    const p = this.output.ensure(16);
    const q = this.exports.varintEncode(p, v | 0) >>> 0;
    return this.u8.slice(p, q);
  }
  writeVarlong(v: Int64): Uint8Array {
    const p = this.output.ensure(16);
    const q = this.exports.varlongEncode(p, big(v)) >>> 0;
    return this.u8.slice(p, q);
  }
  writeUnsignedVarint(v: number): Uint8Array {
    const p = this.output.ensure(16);
    const q = this.exports.uvarintEncode(p, v >>> 0) >>> 0;
    return this.u8.slice(p, q);
  }

  // ---- Record batches ----

  private readInfo(): BatchInfo {
    const dv = this.dv;
    const i = this.info;
    const attributes = dv.getInt32(i + BI.ATTRIBUTES, true);
    return {
      baseOffset: dv.getBigInt64(i + BI.BASE_OFFSET, true),
      batchLength: dv.getInt32(i + BI.BATCH_LENGTH, true),
      size: dv.getInt32(i + BI.SIZE, true),
      partitionLeaderEpoch: dv.getInt32(i + BI.LEADER_EPOCH, true),
      magic: dv.getInt32(i + BI.MAGIC, true),
      attributes,
      compression: attributes & ATTR_COMPRESSION_MASK,
      timestampType: attributes & ATTR_TIMESTAMP_TYPE ? 'LogAppendTime' : 'CreateTime',
      isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
      isControl: (attributes & ATTR_CONTROL) !== 0,
      lastOffsetDelta: dv.getInt32(i + BI.LAST_OFFSET_DELTA, true),
      recordCount: dv.getInt32(i + BI.RECORD_COUNT, true),
      baseTimestamp: dv.getBigInt64(i + BI.BASE_TIMESTAMP, true),
      maxTimestamp: dv.getBigInt64(i + BI.MAX_TIMESTAMP, true),
      recordsMaxTimestamp: dv.getBigInt64(i + BI.RECORDS_MAX_TIMESTAMP, true),
      recordsMinTimestamp: dv.getBigInt64(i + BI.RECORDS_MIN_TIMESTAMP, true),
      producerId: dv.getBigInt64(i + BI.PRODUCER_ID, true),
      producerEpoch: dv.getInt32(i + BI.PRODUCER_EPOCH, true),
      baseSequence: dv.getInt32(i + BI.BASE_SEQUENCE, true),
      crc: dv.getUint32(i + BI.CRC, true),
    };
  }

  /**
   * Validates the batch at [ptr, ptr+avail) (the first batch there). Returns its size (> 0) or a
   * negative error code; `lastErrorPosition()` gives the failing address.
   * strict: producer rules (recordCount == lastOffsetDelta + 1 >= 1, offsetDelta == index).
   */
  validateBatchAt(ptr: number, avail: number, opts: { strict?: boolean; skipCrc?: boolean } = {}): number {
    const flags = (opts.strict ? VF_STRICT : 0) | (opts.skipCrc ? VF_SKIP_CRC : 0);
    return this.exports.batchValidate(ptr, avail, flags, this.info);
  }

  /** Absolute address where the last failing call detected the problem. */
  lastErrorPosition(): number {
    return this.exports.lastErrorPos() >>> 0;
  }

  /** Validates the first batch in bytes and returns its header (throws CoreError when invalid). */
  validateBatch(bytes: Uint8Array, opts: { strict?: boolean; skipCrc?: boolean } = {}): BatchInfo {
    const p = this.copyIn(bytes);
    const r = this.validateBatchAt(p, bytes.length, opts);
    if (r < 0) throw new CoreError(r, 'record batch', this.lastErrorPosition() - p);
    return this.readInfo();
  }

  /** Returns 0 when the first batch in bytes is valid, else the error code (no throw). */
  checkBatch(bytes: Uint8Array, opts: { strict?: boolean; skipCrc?: boolean } = {}): number {
    const p = this.copyIn(bytes);
    const r = this.validateBatchAt(p, bytes.length, opts);
    return r < 0 ? r : 0;
  }

  /**
   * Headers of a record the core has already validated (bounds and varints checked), decoded here in
   * JS so iteration never calls back into the core or grows memory (which would detach earlier views).
   */
  private readHeaders(u8: Uint8Array, p: number, count: number): Header[] {
    const headers: Header[] = new Array(count);
    const varint = (): number => {
      let result = 0;
      let shift = 0;
      for (;;) {
        const b = u8[p++]!;
        result |= (b & 0x7f) << shift;
        if (b < 0x80) break;
        shift += 7;
      }
      return (result >>> 1) ^ -(result & 1);
    };
    for (let h = 0; h < count; h++) {
      const kl = varint();
      const key = dec.decode(u8.subarray(p, p + kl));
      p += kl;
      const vl = varint();
      let value: Uint8Array | null = null;
      if (vl >= 0) {
        value = u8.subarray(p, p + vl);
        p += vl;
      }
      headers[h] = { key, value };
    }
    return headers;
  }

  /** Iterates the records of the records section at cursor state (internal). */
  private *cursorRecords(baseOffset: bigint, baseTimestamp: bigint, logAppendTime: bigint | null): Generator<RecordView> {
    const c = this.cursor;
    for (;;) {
      const r = this.exports.recordNext(c);
      if (r === 0) return;
      if (r < 0) throw new CoreError(r, 'record', this.lastErrorPosition());
      const dv = this.dv;
      const u8 = this.u8;
      const kp = dv.getUint32(c + RC.KEY_PTR, true);
      const kl = dv.getInt32(c + RC.KEY_LEN, true);
      const vp = dv.getUint32(c + RC.VALUE_PTR, true);
      const vl = dv.getInt32(c + RC.VALUE_LEN, true);
      const offsetDelta = dv.getInt32(c + RC.OFFSET_DELTA, true);
      const timestampDelta = dv.getBigInt64(c + RC.TIMESTAMP_DELTA, true);
      const headerCount = dv.getInt32(c + RC.HEADER_COUNT, true);
      const headers = headerCount === 0 ? [] : this.readHeaders(u8, dv.getUint32(c + RC.HEADERS_PTR, true), headerCount);
      yield {
        offsetDelta,
        timestampDelta,
        attributes: dv.getInt32(c + RC.ATTRIBUTES, true),
        offset: baseOffset + BigInt(offsetDelta),
        timestamp: logAppendTime ?? BigInt.asIntN(64, baseTimestamp + timestampDelta),
        key: kl < 0 ? null : u8.subarray(kp, kp + kl),
        value: vl < 0 ? null : u8.subarray(vp, vp + vl),
        headers,
      };
    }
  }

  /** Records of the (validated) batch at ptr (size bytes). Views alias linear memory. */
  recordsAt(ptr: number, size: number): RecordView[] {
    const r = this.exports.batchValidate(ptr, size, 0, this.info);
    if (r < 0) throw new CoreError(r, 'record batch', this.lastErrorPosition() - ptr);
    const info = this.readInfo();
    if (info.compression !== 0) throw new CoreError(-15, 'record batch is compressed');
    const b = this.exports.batchRecordsBegin(ptr, r, this.cursor);
    if (b < 0) throw new CoreError(b, 'record batch');
    return [...this.cursorRecords(info.baseOffset, info.baseTimestamp, info.timestampType === 'LogAppendTime' ? info.maxTimestamp : null)];
  }

  /**
   * Decodes a bare records section (e.g. after the host decompressed a batch): `count` records; offsets
   * and timestamps are computed from the given batch header.
   */
  decodeRecords(records: Uint8Array, count: number, batch: Pick<BatchInfo, 'baseOffset' | 'baseTimestamp' | 'maxTimestamp' | 'timestampType'>): RecordView[] {
    const p = this.copyIn(records);
    const b = this.exports.recordsBegin(p, records.length, count, this.cursor);
    if (b < 0) throw new CoreError(b, 'records');
    return [...this.cursorRecords(batch.baseOffset, batch.baseTimestamp, batch.timestampType === 'LogAppendTime' ? batch.maxTimestamp : null)];
  }

  /**
   * Validates and decodes every batch in bytes (a Fetch/Produce `records` field or a segment slice).
   * A partial trailing batch (as at the end of a Fetch response) ends the iteration when allowPartial.
   * Views alias linear memory and are overwritten by the next call that copies input.
   */
  decodeBatches(bytes: Uint8Array, opts: { allowPartial?: boolean; skipCrc?: boolean } = {}): Batch[] {
    const p = this.copyIn(bytes);
    const out: Batch[] = [];
    let pos = 0;
    while (pos < bytes.length) {
      const r = this.exports.batchValidate(p + pos, bytes.length - pos, opts.skipCrc ? VF_SKIP_CRC : 0, this.info);
      if (r < 0) {
        if (opts.allowPartial && r === -1) break;
        throw new CoreError(r, 'record batch', this.lastErrorPosition() - p);
      }
      const info = this.readInfo();
      const recordsBytes = this.u8.subarray(p + pos + BatchHeader.SIZE, p + pos + r);
      let records: RecordView[] = [];
      if (info.compression === 0) {
        this.exports.batchRecordsBegin(p + pos, r, this.cursor);
        records = [...this.cursorRecords(info.baseOffset, info.baseTimestamp, info.timestampType === 'LogAppendTime' ? info.maxTimestamp : null)];
      }
      out.push({ ...info, position: pos, records, recordsBytes });
      pos += r;
    }
    return out;
  }

  private writeParams(b: Omit<BatchInput, 'records'>, baseTimestamp: bigint, attributesExtra: number, flags: number, count: number): void {
    const dv = this.dv;
    const q = this.params;
    let attributes = (b.attributes ?? 0) | attributesExtra;
    if (b.timestampType === 'LogAppendTime') attributes |= ATTR_TIMESTAMP_TYPE;
    if (b.transactional) attributes |= ATTR_TRANSACTIONAL;
    if (b.control) attributes |= ATTR_CONTROL;
    dv.setBigInt64(q + BP.BASE_OFFSET, big(b.baseOffset ?? 0n), true);
    dv.setBigInt64(q + BP.BASE_TIMESTAMP, baseTimestamp, true);
    dv.setBigInt64(q + BP.MAX_TIMESTAMP, b.maxTimestamp !== undefined ? big(b.maxTimestamp) : baseTimestamp, true);
    dv.setBigInt64(q + BP.PRODUCER_ID, big(b.producerId ?? -1n), true);
    dv.setInt32(q + BP.LEADER_EPOCH, b.partitionLeaderEpoch ?? -1, true);
    dv.setInt32(q + BP.ATTRIBUTES, attributes, true);
    dv.setInt32(q + BP.PRODUCER_EPOCH, b.producerEpoch ?? -1, true);
    dv.setInt32(q + BP.BASE_SEQUENCE, b.baseSequence ?? -1, true);
    dv.setInt32(q + BP.LAST_OFFSET_DELTA, b.lastOffsetDelta ?? -1, true);
    dv.setInt32(q + BP.FLAGS, flags, true);
    dv.setInt32(q + BP.RECORD_COUNT, count, true);
  }

  /**
   * Lays the records out as encoder descriptors in the staging area; returns the descriptor address.
   * One copy of each key/value/header into linear memory.
   */
  private stageRecords(records: RecordInput[], baseTimestamp: bigint): number {
    const n = records.length;
    type H = { k: Uint8Array; v: Uint8Array | null };
    const keys: (Uint8Array | null)[] = new Array(n);
    const values: (Uint8Array | null)[] = new Array(n);
    const headers: H[][] = new Array(n);
    let dataBytes = 0;
    let headerCount = 0;
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      const k = r.key == null ? null : toBytes(r.key);
      const v = r.value == null ? null : toBytes(r.value);
      keys[i] = k;
      values[i] = v;
      dataBytes += (k?.length ?? 0) + (v?.length ?? 0);
      const hs: H[] = [];
      if (r.headers) {
        const list = Array.isArray(r.headers) ? r.headers : Object.entries(r.headers).map(([key, value]) => ({ key, value }));
        for (const h of list) {
          const hk = enc.encode(h.key);
          const hv = h.value == null ? null : toBytes(h.value);
          hs.push({ k: hk, v: hv });
          dataBytes += hk.length + (hv?.length ?? 0);
        }
      }
      headers[i] = hs;
      headerCount += hs.length;
    }
    const descBytes = n * RD.BYTES;
    const total = descBytes + headerCount * HEADER_DESC_BYTES + dataBytes;
    const base = this.staging.ensure(total);
    const u8 = this.u8;
    const dv = this.dv;
    let hd = base + descBytes;
    let data = hd + headerCount * HEADER_DESC_BYTES;
    const put = (b: Uint8Array | null): [number, number] => {
      if (b === null) return [0, -1];
      const at = data;
      u8.set(b, at);
      data += b.length;
      return [at, b.length];
    };
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      const d = base + i * RD.BYTES;
      const td = r.timestampDelta !== undefined ? big(r.timestampDelta) : r.timestamp !== undefined ? big(r.timestamp) - baseTimestamp : 0n;
      dv.setBigInt64(d + RD.TIMESTAMP_DELTA, td, true);
      dv.setInt32(d + RD.OFFSET_DELTA, r.offsetDelta ?? i, true);
      dv.setInt32(d + RD.ATTRIBUTES, r.attributes ?? 0, true);
      const [kp, kl] = put(keys[i]!);
      dv.setUint32(d + RD.KEY_PTR, kp, true);
      dv.setInt32(d + RD.KEY_LEN, kl, true);
      const [vp, vl] = put(values[i]!);
      dv.setUint32(d + RD.VALUE_PTR, vp, true);
      dv.setInt32(d + RD.VALUE_LEN, vl, true);
      const hs = headers[i]!;
      dv.setUint32(d + RD.HEADERS_PTR, hd, true);
      dv.setInt32(d + RD.HEADER_COUNT, hs.length, true);
      for (const h of hs) {
        const [hkp, hkl] = put(h.k);
        const [hvp, hvl] = put(h.v);
        dv.setUint32(hd, hkp, true);
        dv.setInt32(hd + 4, hkl, true);
        dv.setUint32(hd + 8, hvp, true);
        dv.setInt32(hd + 12, hvl, true);
        hd += HEADER_DESC_BYTES;
      }
    }
    return base;
  }

  private baseTimestampOf(b: BatchInput): bigint {
    if (b.baseTimestamp !== undefined) return big(b.baseTimestamp);
    const first = b.records[0];
    if (first?.timestamp !== undefined) return big(first.timestamp);
    return BigInt(Date.now());
  }

  /** Encodes an uncompressed v2 batch; returns a fresh Uint8Array. */
  encodeBatch(b: BatchInput): Uint8Array {
    const { ptr, size } = this.encodeBatchInPlace(b);
    return this.u8.slice(ptr, ptr + size);
  }

  /** Encodes into the output scratch area; returns its address and size (valid until the next encode). */
  encodeBatchInPlace(b: BatchInput): { ptr: number; size: number } {
    const baseTimestamp = this.baseTimestampOf(b);
    const n = b.records.length;
    const descs = this.stageRecords(b.records, baseTimestamp);
    const need = this.exports.batchSize(descs, n);
    if (need < 0) throw new CoreError(need, 'encode batch');
    const out = this.output.ensure(need);
    let flags = 0;
    if (b.maxTimestamp !== undefined) flags |= EF_EXPLICIT_MAX;
    if (b.lastOffsetDelta !== undefined) flags |= EF_EXPLICIT_LAST_DELTA;
    this.writeParams(b, baseTimestamp, 0, flags, n);
    const r = this.exports.encodeBatch(this.params, descs, n, out, need);
    if (r < 0) throw new CoreError(r, 'encode batch');
    return { ptr: out, size: r };
  }

  /** Encodes only the records section (for a host that compresses it). */
  encodeRecords(records: RecordInput[], baseTimestamp: Int64): Uint8Array {
    const descs = this.stageRecords(records, big(baseTimestamp));
    const need = this.exports.recordsSize(descs, records.length);
    if (need < 0) throw new CoreError(need, 'encode records');
    const out = this.output.ensure(need);
    const r = this.exports.encodeRecords(descs, records.length, out, need);
    if (r < 0) throw new CoreError(r, 'encode records');
    return this.u8.slice(out, out + r);
  }

  /** Wraps an encoded (e.g. compressed) records section into a batch. */
  encodeBatchRaw(b: RawBatchInput): Uint8Array {
    const baseTimestamp = b.baseTimestamp !== undefined ? big(b.baseTimestamp) : big(b.maxTimestamp);
    const src = this.copyIn(b.records);
    const out = this.output.ensure(b.records.length + BatchHeader.SIZE);
    this.writeParams(b, baseTimestamp, (b.compression ?? 0) & ATTR_COMPRESSION_MASK, 0, b.recordCount);
    this.dv.setInt32(this.params + BP.LAST_OFFSET_DELTA, b.lastOffsetDelta, true);
    const r = this.exports.encodeBatchRaw(this.params, src, b.records.length, out, b.records.length + BatchHeader.SIZE);
    if (r < 0) throw new CoreError(r, 'encode raw batch');
    return this.u8.slice(out, out + r);
  }

  // ---- In-place edits on batches ----

  /** Sets the base offset of the batch at bytes[0] (outside the CRC). Works on any Uint8Array. */
  setBaseOffset(batch: Uint8Array, offset: Int64): void {
    new DataView(batch.buffer, batch.byteOffset, batch.byteLength).setBigInt64(BatchHeader.BASE_OFFSET, big(offset));
  }

  /** Sets LogAppendTime = time on the batch and fixes its CRC (no full re-scan). Modifies batch. */
  setLogAppendTime(batch: Uint8Array, time: Int64): void {
    this.editHeader(batch, (p, n) => this.exports.batchSetLogAppendTime(p, n, big(time)));
  }
  /** Sets maxTimestamp (CreateTime) and fixes the CRC. */
  setMaxTimestamp(batch: Uint8Array, time: Int64): void {
    this.editHeader(batch, (p, n) => this.exports.batchSetMaxTimestamp(p, n, big(time)));
  }
  private editHeader(batch: Uint8Array, f: (p: number, n: number) => number): void {
    const size = new DataView(batch.buffer, batch.byteOffset, batch.byteLength).getInt32(BatchHeader.BATCH_LENGTH) + 12;
    if (!(size >= BatchHeader.SIZE && size <= batch.length)) throw new CoreError(-2, 'record batch');
    const inMemory = batch.buffer === this.exports.memory.buffer;
    const p = inMemory ? batch.byteOffset : this.input.ensure(size);
    if (!inMemory) {
      // Only the header is needed: the CRC fix-up does not read the records.
      this.u8.set(batch.subarray(0, BatchHeader.SIZE), p);
    }
    const r = f(p, size);
    if (r < 0) throw new CoreError(r, 'record batch');
    if (!inMemory) batch.set(this.u8.subarray(p, p + BatchHeader.SIZE));
  }

  // ---- One-pass broker append ----

  private appendResult: Region;

  /**
   * Validates and appends the records region [ptr, ptr+len) in place: assigns offsets from
   * opts.nextOffset, optionally LogAppendTime / leader epoch, and updates the segment's indexes.
   * Never throws for bad input: check `error`.
   */
  appendAt(ptr: number, len: number, opts: AppendOptions): AppendSummary {
    const cap = opts.maxBatches ?? DEFAULT_MAX_BATCHES;
    const need = AR.HEADER_BYTES + cap * AppendBatch.BYTES;
    if (this.appendResult.size < need) this.appendResult = this.alloc(need);
    const res = this.appendResult.ptr;
    this.dv.setInt32(res + AR.CAPACITY, cap, true);
    let flags = 0;
    if (opts.logAppendTime !== undefined) flags |= AF_LOG_APPEND_TIME;
    if (opts.rejectControl ?? true) flags |= AF_REJECT_CONTROL;
    if (opts.relaxed) flags |= AF_RELAXED;
    if (opts.skipCrc) flags |= AF_SKIP_CRC;
    if (opts.leaderEpoch !== undefined) flags |= AF_SET_LEADER_EPOCH;
    if (opts.keepMaxTimestamp) flags |= AF_KEEP_MAX_TIMESTAMP;
    this.exports.appendRecords(ptr, len, big(opts.nextOffset), big(opts.logAppendTime ?? -1n), opts.leaderEpoch ?? -1, flags, res, opts.segment?.state ?? 0);
    return this.readAppendResult(res);
  }

  /** appendAt over a copy of bytes; the modified bytes are copied back into `bytes`. */
  append(bytes: Uint8Array, opts: AppendOptions): AppendSummary {
    const p = this.copyIn(bytes);
    const s = this.appendAt(p, bytes.length, opts);
    if (s.error === 0 && bytes.buffer !== this.exports.memory.buffer) bytes.set(this.u8.subarray(p, p + bytes.length));
    return s;
  }

  private readAppendResult(res: number): AppendSummary {
    const dv = this.dv;
    const batchCount = dv.getInt32(res + AR.BATCH_COUNT, true);
    const error = dv.getInt32(res + AR.ERROR, true);
    const batches: AppendBatchSummary[] = [];
    if (error === 0) {
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
    }
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
      batches,
    };
  }

  /**
   * The minimal-overhead append for a hot loop: returns the error code only; read details with
   * `lastAppend()` if needed.
   */
  appendFast(ptr: number, len: number, nextOffset: bigint, flags: number, logAppendTime = -1n, leaderEpoch = -1, segment = 0): number {
    this.dv.setInt32(this.appendResult.ptr + AR.CAPACITY, (this.appendResult.size - AR.HEADER_BYTES) / AppendBatch.BYTES, true);
    return this.exports.appendRecords(ptr, len, nextOffset, logAppendTime, leaderEpoch, flags, this.appendResult.ptr, segment);
  }
  lastAppend(): AppendSummary {
    return this.readAppendResult(this.appendResult.ptr);
  }

  // ---- Legacy message sets ----

  private readLegacyInfo(): LegacyInfo {
    const dv = this.dv;
    const i = this.legacyInfo;
    return {
      count: dv.getInt32(i + LI.COUNT, true),
      magic: dv.getInt32(i + LI.MAGIC, true),
      codec: dv.getInt32(i + LI.CODEC, true),
      compressedCount: dv.getInt32(i + LI.COMPRESSED, true),
      firstOffset: dv.getBigInt64(i + LI.FIRST_OFFSET, true),
      lastOffset: dv.getBigInt64(i + LI.LAST_OFFSET, true),
      maxTimestamp: dv.getBigInt64(i + LI.MAX_TIMESTAMP, true),
      bytes: dv.getInt32(i + LI.BYTES, true),
    };
  }

  /** Validates a magic 0/1 message set (CRC-32 of every message). Throws CoreError. */
  validateLegacy(bytes: Uint8Array, opts: { allowPartial?: boolean } = {}): LegacyInfo {
    const p = this.copyIn(bytes);
    const r = this.exports.legacyValidate(p, bytes.length, opts.allowPartial ? 1 : 0, this.legacyInfo);
    if (r < 0) throw new CoreError(r, 'legacy message set', this.lastErrorPosition() - p);
    return this.readLegacyInfo();
  }

  /** Messages of a magic 0/1 set (compressed wrappers are returned as they are: value = compressed set). */
  legacyMessages(bytes: Uint8Array): LegacyMessage[] {
    const p = this.copyIn(bytes);
    const c = this.legacyCursor;
    let r = this.exports.legacyBegin(p, bytes.length, c);
    if (r < 0) throw new CoreError(r, 'legacy message set');
    const out: LegacyMessage[] = [];
    while ((r = this.exports.legacyNext(c)) === 1) {
      const dv = this.dv;
      const u8 = this.u8;
      const kp = dv.getUint32(c + LC.KEY_PTR, true);
      const kl = dv.getInt32(c + LC.KEY_LEN, true);
      const vp = dv.getUint32(c + LC.VALUE_PTR, true);
      const vl = dv.getInt32(c + LC.VALUE_LEN, true);
      const attributes = dv.getInt32(c + LC.ATTRIBUTES, true);
      out.push({
        offset: dv.getBigInt64(c + LC.OFFSET, true),
        magic: dv.getInt32(c + LC.MAGIC, true),
        attributes,
        compression: attributes & 7,
        timestamp: dv.getBigInt64(c + LC.TIMESTAMP, true),
        timestampType: attributes & ATTR_TIMESTAMP_TYPE ? 'LogAppendTime' : 'CreateTime',
        key: kl < 0 ? null : u8.subarray(kp, kp + kl),
        value: vl < 0 ? null : u8.subarray(vp, vp + vl),
        crc: dv.getUint32(c + LC.CRC, true),
      });
    }
    if (r < 0) throw new CoreError(r, 'legacy message', this.lastErrorPosition() - p);
    return out;
  }

  /**
   * Converts an uncompressed magic 0/1 message set into one v2 batch (offsets unassigned: baseOffset 0,
   * offsetDelta = index). A compressed wrapper throws CoreError LEGACY_COMPRESSED (decompress the
   * wrapper value with its codec — validateLegacy().codec — and convert the inner set).
   */
  legacyToV2(bytes: Uint8Array): Uint8Array {
    const p = this.copyIn(bytes);
    const cap = 61 + bytes.length * 2 + 64;
    const out = this.output.ensure(cap);
    let r = this.exports.legacyToV2(p, bytes.length, out, cap, this.legacyInfo);
    if (r === -14) {
      const need = this.dv.getInt32(this.legacyInfo + LI.REQUIRED, true);
      const out2 = this.output.ensure(need);
      const p2 = this.copyIn(bytes);
      r = this.exports.legacyToV2(p2, bytes.length, out2, need, this.legacyInfo);
      if (r < 0) throw new CoreError(r, 'legacy → v2');
      return this.u8.slice(out2, out2 + r);
    }
    if (r < 0) throw new CoreError(r, 'legacy → v2', this.lastErrorPosition() - p);
    return this.u8.slice(out, out + r);
  }

  /**
   * Converts v2 batches (uncompressed, with assigned offsets) into a magic 0 or 1 message set for
   * Fetch v0–3; control batches are dropped, headers are lost.
   */
  v2ToLegacy(bytes: Uint8Array, toMagic: 0 | 1, opts: { verifyCrc?: boolean } = {}): Uint8Array {
    const p = this.copyIn(bytes);
    const verify = opts.verifyCrc ?? true ? 1 : 0;
    let cap = bytes.length + 64;
    let out = this.output.ensure(cap);
    let r = this.exports.v2ToLegacy(p, bytes.length, toMagic, verify, out, cap, this.legacyInfo);
    if (r === -14) {
      cap = this.dv.getInt32(this.legacyInfo + LI.REQUIRED, true);
      out = this.output.ensure(cap);
      const p2 = this.copyIn(bytes);
      r = this.exports.v2ToLegacy(p2, bytes.length, toMagic, verify, out, cap, this.legacyInfo);
    }
    if (r < 0) throw new CoreError(r, 'v2 → legacy');
    return this.u8.slice(out, out + r);
  }

  // ---- Segment scans (after an index lookup) ----

  /**
   * Position in `bytes` (segment data from an index position on) of the first batch whose last offset
   * is >= target; bytes.length when none. Header-only walk, no CRC.
   */
  scanForOffset(bytes: Uint8Array, target: Int64): number {
    const p = this.copyIn(bytes);
    const r = this.exports.scanForOffset(p, bytes.length, big(target));
    if (r < 0) throw new CoreError(r, 'segment scan', this.lastErrorPosition() - p);
    return r;
  }
  /** Position of the first batch whose maxTimestamp is >= target; bytes.length when none. */
  scanForTimestamp(bytes: Uint8Array, target: Int64): number {
    const p = this.copyIn(bytes);
    const r = this.exports.scanForTimestamp(p, bytes.length, big(target));
    if (r < 0) throw new CoreError(r, 'segment scan', this.lastErrorPosition() - p);
    return r;
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

  /** @internal scratch for 16-byte lookup results */
  get lookupOut(): number {
    return this.out16;
  }
}

/** Kafka's offset index (8-byte entries: relative offset, position; big-endian) in linear memory. */
export class OffsetIndex {
  readonly state: number;
  readonly region: Region;
  constructor(private readonly core: RivuletCore, readonly baseOffset: bigint, capacityBytes: number, existing?: Uint8Array) {
    const cap = capacityBytes - (capacityBytes % OFFSET_INDEX_ENTRY);
    this.region = core.alloc(cap, 8);
    this.state = core.allocPtr(OX.BYTES, 8);
    let used = 0;
    if (existing) {
      used = existing.length;
      if (used > cap) throw new CoreError(-25, 'offset index larger than its capacity');
      this.region.write(existing);
    }
    const r = core.exports.offsetIndexInit(this.state, this.region.ptr, cap, baseOffset, used);
    if (r < 0) throw new CoreError(r, 'offset index', core.lastErrorPosition() - this.region.ptr);
  }
  get entries(): number {
    return this.core.dv.getInt32(this.state + OX.SIZE, true) / OFFSET_INDEX_ENTRY;
  }
  get sizeBytes(): number {
    return this.core.dv.getInt32(this.state + OX.SIZE, true);
  }
  get isFull(): boolean {
    return this.sizeBytes + OFFSET_INDEX_ENTRY > this.region.size;
  }
  get lastOffset(): bigint {
    return this.core.dv.getBigInt64(this.state + OX.LAST_OFFSET, true);
  }
  /** The entries as stored on disk (a view: copy before the next append if you keep it). */
  bytes(): Uint8Array {
    return this.region.view(this.sizeBytes);
  }
  append(offset: Int64, position: number): void {
    const r = this.core.exports.offsetIndexAppend(this.state, big(offset), position);
    if (r < 0) throw new CoreError(r, 'offset index append');
  }
  /** Largest entry with offset <= target; {baseOffset, 0, slot -1} when none. */
  lookup(target: Int64): { offset: bigint; position: number; slot: number } {
    const out = this.core.lookupOut;
    const slot = this.core.exports.offsetIndexLookup(this.state, big(target), out);
    if (slot < -1) throw new CoreError(slot, 'offset index lookup');
    const dv = this.core.dv;
    return { offset: dv.getBigInt64(out, true), position: dv.getInt32(out + 8, true), slot };
  }
  /** Drops entries with offset >= `offset`; returns the remaining count. */
  truncateTo(offset: Int64): number {
    return this.core.exports.offsetIndexTruncateTo(this.state, big(offset));
  }
}

/** Kafka's time index (12-byte entries: timestamp, relative offset; big-endian) in linear memory. */
export class TimeIndex {
  readonly state: number;
  readonly region: Region;
  constructor(private readonly core: RivuletCore, readonly baseOffset: bigint, capacityBytes: number, existing?: Uint8Array) {
    const cap = capacityBytes - (capacityBytes % TIME_INDEX_ENTRY);
    this.region = core.alloc(cap, 8);
    this.state = core.allocPtr(TX.BYTES, 8);
    let used = 0;
    if (existing) {
      used = existing.length;
      if (used > cap) throw new CoreError(-25, 'time index larger than its capacity');
      this.region.write(existing);
    }
    const r = core.exports.timeIndexInit(this.state, this.region.ptr, cap, baseOffset, used);
    if (r < 0) throw new CoreError(r, 'time index', core.lastErrorPosition() - this.region.ptr);
  }
  get entries(): number {
    return this.core.dv.getInt32(this.state + TX.SIZE, true) / TIME_INDEX_ENTRY;
  }
  get sizeBytes(): number {
    return this.core.dv.getInt32(this.state + TX.SIZE, true);
  }
  get isFull(): boolean {
    return this.sizeBytes + TIME_INDEX_ENTRY > this.region.size;
  }
  get lastTimestamp(): bigint {
    return this.core.dv.getBigInt64(this.state + TX.LAST_TIMESTAMP, true);
  }
  bytes(): Uint8Array {
    return this.region.view(this.sizeBytes);
  }
  /** Appends when timestamp > the last entry's; returns whether it did. */
  maybeAppend(timestamp: Int64, offset: Int64): boolean {
    const r = this.core.exports.timeIndexMaybeAppend(this.state, big(timestamp), big(offset));
    if (r < 0) throw new CoreError(r, 'time index append');
    return r === 1;
  }
  /** Largest entry with timestamp <= target; {baseOffset, -1, slot -1} when none. */
  lookup(target: Int64): { offset: bigint; timestamp: bigint; slot: number } {
    const out = this.core.lookupOut;
    const slot = this.core.exports.timeIndexLookup(this.state, big(target), out);
    if (slot < -1) throw new CoreError(slot, 'time index lookup');
    const dv = this.core.dv;
    return { offset: dv.getBigInt64(out, true), timestamp: dv.getBigInt64(out + 8, true), slot };
  }
  truncateTo(offset: Int64): number {
    return this.core.exports.timeIndexTruncateTo(this.state, big(offset));
  }
}

/** Per-segment index bookkeeping (position, bytes since the last entry, max timestamp so far). */
export class SegmentIndexer {
  readonly state: number;
  constructor(private readonly core: RivuletCore, readonly offsetIndex: OffsetIndex, readonly timeIndex: TimeIndex, indexIntervalBytes: number, position: number) {
    this.state = core.allocPtr(SG.BYTES, 8);
    const r = core.exports.segmentInit(this.state, offsetIndex.state, timeIndex.state, indexIntervalBytes, position);
    if (r < 0) throw new CoreError(r, 'segment indexer');
  }
  /** Segment size so far (where the next append lands). */
  get position(): number {
    return this.core.dv.getInt32(this.state + SG.POSITION, true);
  }
  get bytesSinceLastEntry(): number {
    return this.core.dv.getInt32(this.state + SG.BYTES_SINCE_ENTRY, true);
  }
  get maxTimestamp(): bigint {
    return this.core.dv.getBigInt64(this.state + SG.MAX_TIMESTAMP, true);
  }
  get offsetOfMaxTimestamp(): bigint {
    return this.core.dv.getBigInt64(this.state + SG.OFFSET_OF_MAX_TIMESTAMP, true);
  }
  /** Index batches that are already in the segment (recovery): bytes are trusted, not CRC-checked. */
  indexExisting(bytes: Uint8Array): number {
    const p = this.core.copyIn(bytes);
    const r = this.core.exports.segmentIndexBatches(p, bytes.length, this.state);
    if (r < 0) throw new CoreError(r, 'segment index');
    return r;
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
