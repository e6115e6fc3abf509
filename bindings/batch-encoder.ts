// Encoding v2 record batches through the core: records are laid out once in linear memory as encoder
// descriptors, and the core writes the batch (CRC-32C included) into the output scratch area.

import { CoreError } from './errors.js';
import { big, type Int64 } from './int64.js';
import {
  ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TIMESTAMP_TYPE, ATTR_TRANSACTIONAL, BatchHeader, BatchParams as BP,
  EF_EXPLICIT_LAST_DELTA, EF_EXPLICIT_MAX, HEADER_DESC_BYTES, RecordDesc as RD,
} from './layout.js';
import { type CoreMemory, Scratch } from './memory.js';

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

const enc = new TextEncoder();
const toBytes = (v: Uint8Array | string): Uint8Array => (typeof v === 'string' ? enc.encode(v) : v);

/** A record header as bytes, ready to be staged. */
interface StagedHeader {
  k: Uint8Array;
  v: Uint8Array | null;
}

function headersOf(r: RecordInput): StagedHeader[] {
  if (!r.headers) return [];
  const list = Array.isArray(r.headers) ? r.headers : Object.entries(r.headers).map(([key, value]) => ({ key, value }));
  return list.map((h) => ({ k: enc.encode(h.key), v: h.value == null ? null : toBytes(h.value) }));
}

export class BatchEncoder {
  /** The batch header parameters block. */
  private readonly params: number;
  /** Where records are laid out as descriptors. */
  private readonly staging: Scratch;
  /** Where stageRecords writes the next header descriptor, and the next key/value/header bytes. */
  private headerAt = 0;
  private dataAt = 0;

  constructor(private readonly mem: CoreMemory) {
    this.params = mem.allocPtr(BP.BYTES, 64);
    this.staging = new Scratch(mem);
  }

  private writeParams(b: Omit<BatchInput, 'records'>, baseTimestamp: bigint, attributesExtra: number, flags: number, count: number): void {
    const dv = this.mem.dv;
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
    const keys: (Uint8Array | null)[] = new Array(n);
    const values: (Uint8Array | null)[] = new Array(n);
    const headers: StagedHeader[][] = new Array(n);
    let dataBytes = 0;
    let headerCount = 0;
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      const k = (keys[i] = r.key == null ? null : toBytes(r.key));
      const v = (values[i] = r.value == null ? null : toBytes(r.value));
      const hs = (headers[i] = headersOf(r));
      dataBytes += (k?.length ?? 0) + (v?.length ?? 0);
      for (const h of hs) dataBytes += h.k.length + (h.v?.length ?? 0);
      headerCount += hs.length;
    }
    const descBytes = n * RD.BYTES;
    const base = this.staging.ensure(descBytes + headerCount * HEADER_DESC_BYTES + dataBytes);
    this.headerAt = base + descBytes;
    this.dataAt = this.headerAt + headerCount * HEADER_DESC_BYTES;
    const u8 = this.mem.u8;
    const dv = this.mem.dv;
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      const d = base + i * RD.BYTES;
      const td = r.timestampDelta !== undefined ? big(r.timestampDelta) : r.timestamp !== undefined ? big(r.timestamp) - baseTimestamp : 0n;
      dv.setBigInt64(d + RD.TIMESTAMP_DELTA, td, true);
      dv.setInt32(d + RD.OFFSET_DELTA, r.offsetDelta ?? i, true);
      dv.setInt32(d + RD.ATTRIBUTES, r.attributes ?? 0, true);
      this.putField(u8, dv, d + RD.KEY_PTR, keys[i]!);
      this.putField(u8, dv, d + RD.VALUE_PTR, values[i]!);
      this.putHeaders(u8, dv, d, headers[i]!);
    }
    return base;
  }

  /** Writes the record's header descriptors at `headerAt` and points descriptor d at them. */
  private putHeaders(u8: Uint8Array, dv: DataView, d: number, hs: StagedHeader[]): void {
    dv.setUint32(d + RD.HEADERS_PTR, this.headerAt, true);
    dv.setInt32(d + RD.HEADER_COUNT, hs.length, true);
    for (const h of hs) {
      this.putField(u8, dv, this.headerAt, h.k);
      this.putField(u8, dv, this.headerAt + 8, h.v);
      this.headerAt += HEADER_DESC_BYTES;
    }
  }

  /** Copies b to `dataAt` and writes its (address, length) pair at `field`; (0, -1) for null. */
  private putField(u8: Uint8Array, dv: DataView, field: number, b: Uint8Array | null): void {
    if (b === null) {
      dv.setUint32(field, 0, true);
      dv.setInt32(field + 4, -1, true);
      return;
    }
    u8.set(b, this.dataAt);
    dv.setUint32(field, this.dataAt, true);
    dv.setInt32(field + 4, b.length, true);
    this.dataAt += b.length;
  }

  private baseTimestampOf(b: BatchInput): bigint {
    if (b.baseTimestamp !== undefined) return big(b.baseTimestamp);
    const first = b.records[0];
    if (first?.timestamp !== undefined) return big(first.timestamp);
    return BigInt(Date.now());
  }

  encodeBatch(b: BatchInput): Uint8Array {
    const { ptr, size } = this.encodeBatchInPlace(b);
    return this.mem.u8.slice(ptr, ptr + size);
  }

  encodeBatchInPlace(b: BatchInput): { ptr: number; size: number } {
    const baseTimestamp = this.baseTimestampOf(b);
    const n = b.records.length;
    const descs = this.stageRecords(b.records, baseTimestamp);
    const need = this.mem.exports.batchSize(descs, n);
    if (need < 0) throw new CoreError(need, 'encode batch');
    const out = this.mem.output.ensure(need);
    let flags = 0;
    if (b.maxTimestamp !== undefined) flags |= EF_EXPLICIT_MAX;
    if (b.lastOffsetDelta !== undefined) flags |= EF_EXPLICIT_LAST_DELTA;
    this.writeParams(b, baseTimestamp, 0, flags, n);
    const r = this.mem.exports.encodeBatch(this.params, descs, n, out, need);
    if (r < 0) throw new CoreError(r, 'encode batch');
    return { ptr: out, size: r };
  }

  encodeRecords(records: RecordInput[], baseTimestamp: Int64): Uint8Array {
    const descs = this.stageRecords(records, big(baseTimestamp));
    const need = this.mem.exports.recordsSize(descs, records.length);
    if (need < 0) throw new CoreError(need, 'encode records');
    const out = this.mem.output.ensure(need);
    const r = this.mem.exports.encodeRecords(descs, records.length, out, need);
    if (r < 0) throw new CoreError(r, 'encode records');
    return this.mem.u8.slice(out, out + r);
  }

  encodeBatchRaw(b: RawBatchInput): Uint8Array {
    const baseTimestamp = b.baseTimestamp !== undefined ? big(b.baseTimestamp) : big(b.maxTimestamp);
    const src = this.mem.copyIn(b.records);
    const out = this.mem.output.ensure(b.records.length + BatchHeader.SIZE);
    this.writeParams(b, baseTimestamp, (b.compression ?? 0) & ATTR_COMPRESSION_MASK, 0, b.recordCount);
    this.mem.dv.setInt32(this.params + BP.LAST_OFFSET_DELTA, b.lastOffsetDelta, true);
    const r = this.mem.exports.encodeBatchRaw(this.params, src, b.records.length, out, b.records.length + BatchHeader.SIZE);
    if (r < 0) throw new CoreError(r, 'encode raw batch');
    return this.mem.u8.slice(out, out + r);
  }
}
