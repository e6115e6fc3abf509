// The cleaner's port (cleaner-core.ts) over the WASM core's bindings (bindings/compaction.ts), in the linear
// memory of the core instance it is given. Segment bytes are read into `region()` once; the offset map and the
// filter-and-rewrite pass run over them in the core with no per-record host call. Compressed batches are the one
// exception the core hands back: they are decompressed and (when they change) compressed again here through the
// BatchCodecs, so callers see whole batches in and whole batches out.
//
// Regions: the input region and the output region (sized from it when region() is called, so that a clean()
// without new horizons or compressed batches grows no memory) grow geometrically; the codec scratch regions too;
// the map's slots are reserved at mapReset and only grow. The core's arena never frees: an outgrown region is
// abandoned, so the total reserved stays under twice the largest request of each kind.
import { type CleanedBatch, LogCleanerPass, type OffsetMap } from '../../bindings/compaction.js';
import type { RivuletCore } from '../../bindings/core.js';
import { BatchHeader as BH, CLEAN_GROWTH_PER_RECORD } from '../../bindings/layout.js';
import type { BatchInfo } from '../core-port.js';
import { invariant } from '../errors.js';
import type { BatchCodecs, CleanerCore, CleanOutput, CleanParams, CleanStats, MapPutResult } from './cleaner-core.js';

/** Output bytes reserved beyond the input's size (headroom for rewritten timestamp deltas). */
const OUTPUT_SLACK = 4096;

/** A growable region of linear memory (a larger request reserves a new one). */
class Area {
  ptr = 0;
  cap = 0;
  constructor(private readonly core: RivuletCore) {}
  ensure(n: number): number {
    if (n > this.cap) {
      const cap = Math.max(n, this.cap * 2, 256);
      this.ptr = this.core.allocPtr(cap, 64);
      this.cap = cap;
    }
    return this.ptr;
  }
}

function toInfo(b: CleanedBatch, base: number): BatchInfo {
  const lastOffset = Number(b.lastOffset);
  invariant(Number.isSafeInteger(lastOffset), 'cleaned batch offsets are safe integers');
  return {
    position: base + b.position,
    size: b.size,
    baseOffset: Number(b.baseOffset),
    lastOffset,
    maxTimestamp: Number(b.maxTimestamp),
    offsetOfMaxTimestamp: Number(b.offsetOfMaxTimestamp),
    recordCount: b.recordCount,
    leaderEpoch: b.leaderEpoch,
  };
}

export class WasmCleanerCore implements CleanerCore {
  private readonly map: OffsetMap;
  private readonly pass: LogCleanerPass;
  private readonly input: Area;
  private readonly output: Area;
  /** Decompressed records sections, their filtered copies, and the recompressed sections. */
  private readonly decompressed: Area;
  private readonly filtered: Area;
  private readonly compressed: Area;
  /** Bytes of the last records section decompress() wrote. */
  private decompressedLen = 0;

  constructor(readonly core: RivuletCore, private readonly codecs: BatchCodecs | null) {
    this.map = core.offsetMap(1, 0);
    this.pass = new LogCleanerPass(core);
    this.input = new Area(core);
    this.output = new Area(core);
    this.decompressed = new Area(core);
    this.filtered = new Area(core);
    this.compressed = new Area(core);
  }

  region(size: number): Uint8Array {
    invariant(Number.isInteger(size) && size >= 0, 'region size is a non-negative integer');
    // Everything a clean() of this input needs is reserved now, before the caller fills the view.
    this.output.ensure(size + (size >> 3) + OUTPUT_SLACK);
    this.pass.ensureEntries(Math.ceil(size / BH.SIZE) + 1);
    const p = this.input.ensure(size);
    return this.core.u8.subarray(p, p + size);
  }

  mapReset(slots: number, loadFactor: number): void {
    invariant(loadFactor > 0 && loadFactor <= 1, 'offset map load factor in (0, 1]');
    this.map.resize(slots, Math.min(slots, Math.floor(slots * loadFactor)));
  }

  get mapSize(): number {
    return this.map.size;
  }

  get mapLimit(): number {
    return this.map.limit;
  }

  private ptrOf(view: Uint8Array): number {
    invariant(view.buffer === this.core.exports.memory.buffer, 'input is a view of the core linear memory (from region())');
    return view.byteOffset;
  }

  mapPut(input: Uint8Array): MapPutResult {
    const ptr = this.ptrOf(input);
    const len = input.byteLength;
    let pos = 0;
    let records = 0;
    let lastOffset = -1;
    let full = false;
    let done = false;
    // Each round takes at least one batch or ends.
    for (let round = 0; round <= len / BH.SIZE + 1 && !done; round++) {
      const r = this.map.putBatchesAt(ptr + pos, len - pos);
      pos += r.bytes;
      records += r.records;
      if (r.batches > 0) lastOffset = Number(r.lastOffset);
      full = r.stop === 'full';
      done = r.stop !== 'compressed';
      if (done) break;
      const b = ptr + pos;
      const { size, lastOffset: last } = this.headerOf(b);
      const section = this.decompress(b, size);
      records += this.map.putRecordsAt(b, section, this.decompressedLen);
      lastOffset = last;
      pos += size;
    }
    invariant(done, 'map-put ended within its bound');
    return { bytes: pos, lastOffset, full, records };
  }

  mapGet(key: Uint8Array): number {
    return Number(this.map.get(key));
  }

  clean(input: Uint8Array, params: CleanParams): CleanOutput {
    const ptr = this.ptrOf(input);
    const len = input.byteLength;
    invariant(Number.isSafeInteger(params.nowMs) && params.deleteRetentionMs >= 0, 'clean params: nowMs a safe integer, deleteRetentionMs >= 0');
    // delete.retention.ms may be as large as Long.MAX_VALUE: the horizon saturates (tombstones then never expire).
    const horizonMs = Math.min(params.nowMs + params.deleteRetentionMs, Number.MAX_SAFE_INTEGER);
    this.pass.setParams({ nowMs: params.nowMs, horizonMs, retainLastOffsets: params.retainBatchLastOffsets });
    this.pass.ensureEntries(Math.ceil(len / BH.SIZE) + 1);
    this.output.ensure(len + (len >> 3) + OUTPUT_SLACK);
    const batches: BatchInfo[] = [];
    const stats: CleanStats = { batchesRead: 0, batchesWritten: 0, recordsRead: 0, recordsKept: 0, tombstonesDropped: 0, keylessDropped: 0 };
    let inPos = 0;
    let outPos = 0;
    let done = false;
    // Each round consumes at least one batch, or grows the output (at most once per batch) and retries it.
    for (let round = 0; round <= 2 * (len / BH.SIZE + 1) && !done; round++) {
      const s = this.pass.cleanAt(this.map, ptr + inPos, len - inPos, this.output.ptr + outPos, this.output.cap - outPos);
      for (const b of s.batches) batches.push(toInfo(b, outPos));
      stats.batchesRead += s.stats.batchesRead;
      stats.recordsRead += s.stats.recordsRead;
      stats.recordsKept += s.stats.recordsKept;
      stats.tombstonesDropped += s.stats.tombstonesDropped;
      stats.keylessDropped += s.stats.keylessDropped;
      inPos += s.bytesRead;
      outPos += s.bytesWritten;
      done = s.stop === 'end';
      if (done) break;
      const b = ptr + inPos;
      const header = this.headerOf(b);
      if (s.stop === 'output-full') {
        this.growOutput(outPos, BH.SIZE + header.size + header.recordCount * CLEAN_GROWTH_PER_RECORD);
        continue;
      }
      const written = this.cleanCompressed(b, header, outPos, stats);
      if (written !== null) {
        batches.push(written);
        outPos += written.size;
      }
      inPos += header.size;
    }
    invariant(done, 'clean ended within its bound');
    stats.batchesWritten = batches.length;
    return { output: this.core.u8.subarray(this.output.ptr, this.output.ptr + outPos), batches, bytesRead: inPos, stats };
  }

  /** Filters one compressed batch (whole, CRC checked by the core) and writes what is left of it at outPos. */
  private cleanCompressed(b: number, header: { size: number; codec: number; recordCount: number }, outPos: number, stats: CleanStats): BatchInfo | null {
    const section = this.decompress(b, header.size);
    const sectionLen = this.decompressedLen;
    const filteredCap = sectionLen + header.recordCount * CLEAN_GROWTH_PER_RECORD;
    const filtered = this.filtered.ensure(filteredCap);
    const f = this.pass.filterRecordsAt(this.map, b, section, sectionLen, filtered, filteredCap);
    stats.batchesRead++;
    stats.recordsRead += f.recordsRead;
    stats.recordsKept += f.recordsKept;
    stats.tombstonesDropped += f.tombstonesDropped;
    stats.keylessDropped += f.keylessDropped;
    let newSection = 0;
    let newLen = 0;
    if (f.action === 'rebuild') {
      const packed = this.codecsFor(header.codec, b).compress(header.codec, this.core.u8.subarray(filtered, filtered + f.sectionBytes));
      newSection = this.compressed.ensure(packed.length);
      this.core.u8.set(packed, newSection);
      newLen = packed.length;
    }
    this.growOutput(outPos, BH.SIZE + Math.max(header.size, newLen));
    const e = this.pass.finishBatchAt(b, newSection, newLen, this.output.ptr + outPos, this.output.cap - outPos);
    return e === null ? null : toInfo(e, outPos);
  }

  /** Decompresses the records section of the batch at b into the decompressed area; returns its address (length in decompressedLen). */
  private decompress(b: number, size: number): number {
    const codec = this.core.dv.getInt16(b + BH.ATTRIBUTES) & 7;
    const data = this.codecsFor(codec, b).decompress(codec, this.core.u8.subarray(b + BH.SIZE, b + size));
    const p = this.decompressed.ensure(data.length);
    this.core.u8.set(data, p);
    this.decompressedLen = data.length;
    return p;
  }

  private codecsFor(codec: number, b: number): BatchCodecs {
    if (this.codecs === null) {
      const base = this.core.dv.getBigInt64(b + BH.BASE_OFFSET);
      throw new Error(`log cleaner: the batch at offset ${base} is compressed (codec ${codec}) and this cleaner was given no codecs`);
    }
    return this.codecs;
  }

  private headerOf(b: number): { size: number; codec: number; recordCount: number; lastOffset: number } {
    const dv = this.core.dv;
    return {
      size: dv.getInt32(b + BH.BATCH_LENGTH) + 12,
      codec: dv.getInt16(b + BH.ATTRIBUTES) & 7,
      recordCount: dv.getInt32(b + BH.RECORD_COUNT),
      lastOffset: Number(dv.getBigInt64(b + BH.BASE_OFFSET)) + dv.getInt32(b + BH.LAST_OFFSET_DELTA),
    };
  }

  /** Makes the output hold outPos + more bytes, keeping its first outPos bytes. */
  private growOutput(outPos: number, more: number): void {
    if (outPos + more <= this.output.cap) return;
    const old = this.output.ptr;
    const p = this.output.ensure(Math.max(outPos + more, this.output.cap * 2));
    this.core.u8.copyWithin(p, old, old + outPos);
  }
}
