// A plain TypeScript CleanerCore that follows the rules of storage/cleaner/cleaner-core.ts, for testing the
// cleaning around it (cleanLog) without the WASM cleaner core: batches are validated and decoded with the
// core's bindings, the offset map is a Map from the key's hex to its offset, and changed batches are
// encoded again with the bindings' encoder. Uncompressed batches only.
import type { Batch, RecordInput, RivuletCore } from '../../../bindings/core.js';
import type { BatchInfo } from '../../../storage/core-port.js';
import type { CleanerCore, CleanOutput, CleanParams, CleanStats, MapPutResult } from '../../../storage/cleaner/cleaner-core.js';

const HEADER_BYTES = 61;
const ATTR_DELETE_HORIZON = 0x40;
const ATTR_TIMESTAMP_TYPE = 0x08;

const hex = (key: Uint8Array): string => Buffer.from(key).toString('hex');

/** One decoded batch with its records copied out of linear memory (encoding may move it). */
interface OwnedBatch {
  info: Batch;
  bytes: Uint8Array;
  records: { offset: number; timestamp: number; timestampDelta: number; offsetDelta: number; attributes: number; key: Uint8Array | null; value: Uint8Array | null; headers: { key: string; value: Uint8Array | null }[] }[];
}

export class ModelCleanerCore implements CleanerCore {
  private memory = new Uint8Array(1 << 16);
  private readonly map = new Map<string, number>();
  private limit = 0;
  /** Calls of each kind (tests check the chunking). */
  readonly calls = { region: 0, mapPut: 0, clean: 0 };
  /** The largest region asked for (a chunk grown for a batch bigger than the read buffer). */
  largestRegion = 0;
  /** The lowest base offset of a batch put into the map since mapReset (-1: none). */
  firstOffsetPut = -1;

  constructor(private readonly rc: RivuletCore) {}

  region(size: number): Uint8Array {
    this.calls.region++;
    this.largestRegion = Math.max(this.largestRegion, size);
    if (size > this.memory.byteLength) this.memory = new Uint8Array(Math.max(size, this.memory.byteLength * 2));
    return this.memory.subarray(0, size);
  }

  mapReset(slots: number, loadFactor: number): void {
    this.map.clear();
    this.firstOffsetPut = -1;
    this.limit = Math.floor(slots * loadFactor);
  }
  get mapSize(): number {
    return this.map.size;
  }
  get mapLimit(): number {
    return this.limit;
  }

  mapPut(input: Uint8Array): MapPutResult {
    this.calls.mapPut++;
    let bytes = 0;
    let lastOffset = -1;
    let records = 0;
    for (const b of this.wholeBatches(input)) {
      if (!b.info.isControl) {
        if (this.map.size + b.info.recordCount > this.limit) return { bytes, lastOffset, full: true, records };
        const base = Number(b.info.baseOffset);
        if (this.firstOffsetPut < 0 || base < this.firstOffsetPut) this.firstOffsetPut = base;
        for (const r of b.records) {
          if (r.key === null) continue;
          this.map.set(hex(r.key), r.offset);
          records++;
        }
      }
      bytes = b.info.position + b.info.size;
      lastOffset = Number(b.info.baseOffset) + b.info.lastOffsetDelta;
    }
    return { bytes, lastOffset, full: false, records };
  }

  mapGet(key: Uint8Array): number {
    return this.map.get(hex(key)) ?? -1;
  }

  clean(input: Uint8Array, params: CleanParams): CleanOutput {
    this.calls.clean++;
    const stats: CleanStats = { batchesRead: 0, batchesWritten: 0, recordsRead: 0, recordsKept: 0, tombstonesDropped: 0, keylessDropped: 0 };
    const parts: Uint8Array[] = [];
    const infos: BatchInfo[] = [];
    let bytesRead = 0;
    let outPos = 0;
    for (const b of this.wholeBatches(input)) {
      bytesRead = b.info.position + b.info.size;
      stats.batchesRead++;
      stats.recordsRead += b.records.length;
      const out = this.cleanBatch(b, params, stats);
      if (out === null) continue;
      const info = this.rc.validateBatch(out);
      const baseOffset = Number(info.baseOffset);
      const lastOffset = baseOffset + info.lastOffsetDelta;
      infos.push({ position: outPos, size: out.byteLength, baseOffset, lastOffset, maxTimestamp: Number(info.maxTimestamp), offsetOfMaxTimestamp: lastOffset, recordCount: info.recordCount, leaderEpoch: info.partitionLeaderEpoch });
      parts.push(out);
      outPos += out.byteLength;
      stats.batchesWritten++;
    }
    const output = new Uint8Array(outPos);
    let at = 0;
    for (const p of parts) {
      output.set(p, at);
      at += p.byteLength;
    }
    return { output, batches: infos, bytesRead, stats };
  }

  private cleanBatch(b: OwnedBatch, params: CleanParams, stats: CleanStats): Uint8Array | null {
    const info = b.info;
    if (info.isControl) {
      stats.recordsKept += b.records.length;
      return b.bytes;
    }
    const hasHorizon = (info.attributes & ATTR_DELETE_HORIZON) !== 0;
    const horizon = Number(info.baseTimestamp);
    const kept = b.records.filter((r) => {
      if (r.key === null) {
        stats.keylessDropped++;
        return false;
      }
      const mapped = this.map.get(hex(r.key));
      if (mapped !== undefined && mapped > r.offset) return false;
      if (r.value === null && hasHorizon && params.nowMs >= horizon) {
        stats.tombstonesDropped++;
        return false;
      }
      return true;
    });
    stats.recordsKept += kept.length;
    const lastOffset = Number(info.baseOffset) + info.lastOffsetDelta;
    if (kept.length === 0 && !params.retainBatchLastOffsets.has(lastOffset)) return null;
    const needsHorizon = !hasHorizon && kept.some((r) => r.value === null);
    if (kept.length === b.records.length && !needsHorizon) return b.bytes;
    const baseTimestamp = needsHorizon ? params.nowMs + params.deleteRetentionMs : horizon;
    const logAppendTime = (info.attributes & ATTR_TIMESTAMP_TYPE) !== 0;
    const maxTimestamp = logAppendTime || kept.length === 0 ? Number(info.maxTimestamp) : Math.max(...kept.map((r) => r.timestamp));
    const records: RecordInput[] = kept.map((r) => ({
      key: r.key,
      value: r.value,
      headers: r.headers,
      attributes: r.attributes,
      offsetDelta: r.offsetDelta,
      // The record's own timestamp is unchanged under a new base timestamp.
      timestampDelta: BigInt(horizon + r.timestampDelta - baseTimestamp),
    }));
    return this.rc.encodeBatch({
      records,
      baseOffset: info.baseOffset,
      baseTimestamp: BigInt(baseTimestamp),
      maxTimestamp: BigInt(maxTimestamp),
      lastOffsetDelta: info.lastOffsetDelta,
      partitionLeaderEpoch: info.partitionLeaderEpoch,
      attributes: info.attributes | (needsHorizon ? ATTR_DELETE_HORIZON : 0),
      producerId: info.producerId,
      producerEpoch: info.producerEpoch,
      baseSequence: info.baseSequence,
    });
  }

  /** The whole, valid batches at the start of `input` (a partial batch at the end is left). */
  private wholeBatches(input: Uint8Array): OwnedBatch[] {
    const out: OwnedBatch[] = [];
    const dv = new DataView(input.buffer, input.byteOffset, input.byteLength);
    let pos = 0;
    while (input.byteLength - pos >= HEADER_BYTES) {
      const size = dv.getInt32(pos + 8) + 12;
      if (pos + size > input.byteLength) break;
      const bytes = input.slice(pos, pos + size);
      const [batch] = this.rc.decodeBatches(bytes);
      if (batch === undefined || batch.size !== size) throw new Error(`model cleaner core: invalid batch at ${pos}`);
      if (batch.compression !== 0) throw new Error('model cleaner core: compressed batches are not modelled');
      out.push({
        info: { ...batch, position: pos },
        bytes,
        records: batch.records.map((r) => ({
          offset: Number(r.offset),
          timestamp: Number(r.timestamp),
          timestampDelta: Number(r.timestampDelta),
          offsetDelta: r.offsetDelta,
          attributes: r.attributes,
          key: r.key === null ? null : r.key.slice(),
          value: r.value === null ? null : r.value.slice(),
          headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.slice() })),
        })),
      });
      pos += size;
    }
    return out;
  }
}
