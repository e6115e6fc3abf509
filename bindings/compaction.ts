// The log cleaner's primitives in the core (core/murmur3.ts, core/offset-map.ts, core/log-cleaner.ts): the
// 128-bit key hash, the offset map (key → last offset, in linear memory) and the filter-and-rewrite pass over
// whole batches. The host reads segment bytes into linear memory once and calls the `*At` functions with
// addresses; compressed batches come back to the host (decompress, filterRecordsAt, compress, finishBatchAt),
// which storage/cleaner/wasm-cleaner-core.ts does.

import { CoreError } from './errors.js';
import { big, type Int64 } from './int64.js';
import {
  CLEAN_STOP_COMPRESSED, CLEAN_STOP_END, CleanBatch as CE,
  CleanParams as CP, CleanResult as CR, MAP_STOP_COMPRESSED, MAP_STOP_FULL, MapPutResult as MP, OFFSET_MAP_ENTRY,
  OffsetMapState as OM, RecordsFilter as RF,
} from './layout.js';
import type { CoreMemory } from './memory.js';

/** Most slots an offset map may have (core/offset-map.ts OFFSET_MAP_MAX_SLOTS). */
export const OFFSET_MAP_MAX_SLOTS = 0x5555555;

export interface KeyHash {
  /** h1 of MurmurHash3 x64_128. */
  hi: bigint;
  /** h2. */
  lo: bigint;
}

export interface MapPutSummary {
  /** Bytes of whole batches taken from the start of the input. */
  bytes: number;
  /** Why it stopped: every whole batch taken, the next batch could overfill the map, or it is compressed (at `bytes`). */
  stop: 'end' | 'full' | 'compressed';
  /** Keyed records put. */
  records: number;
  batches: number;
  /** Last offset of the last batch taken, -1n if none. */
  lastOffset: bigint;
}

/** One batch written by the cleaner pass. `position` is relative to the output given to the call. */
export interface CleanedBatch {
  position: number;
  size: number;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  /** The batch's last offset (as a segment scan reports it). */
  offsetOfMaxTimestamp: bigint;
  recordCount: number;
  leaderEpoch: number;
}

export interface CleanPassStats {
  batchesRead: number;
  recordsRead: number;
  recordsKept: number;
  tombstonesDropped: number;
  keylessDropped: number;
}

export interface CleanPassSummary {
  bytesRead: number;
  bytesWritten: number;
  /** Why it stopped: every whole batch done, a compressed batch at `bytesRead`, or no room in the output for it. */
  stop: 'end' | 'compressed' | 'output-full';
  batches: CleanedBatch[];
  stats: CleanPassStats;
}

export type CleanAction = 'drop' | 'copy' | 'empty' | 'rebuild';

export interface RecordsFilterSummary extends Omit<CleanPassStats, 'batchesRead'> {
  action: CleanAction;
  /** Bytes of the new records section ('rebuild'). */
  sectionBytes: number;
  /** Attributes, baseTimestamp and maxTimestamp the rebuilt batch gets. */
  attributes: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
}

export interface CleanPassParams {
  nowMs: Int64;
  /** The delete horizon a batch with a kept tombstone gets now: nowMs + delete.retention.ms. */
  horizonMs: Int64;
  /** Last offsets of the batches kept even when empty (live idempotent producers' last batches). */
  retainLastOffsets: Iterable<Int64>;
}

/** By action code (core/log-cleaner.ts CLEAN_DROP, CLEAN_COPY, CLEAN_EMPTY, CLEAN_REBUILD). */
const ACTIONS: readonly CleanAction[] = ['drop', 'copy', 'empty', 'rebuild'];
const enc = new TextEncoder();
const keyBytes = (k: Uint8Array | string): Uint8Array => (typeof k === 'string' ? enc.encode(k) : k);

/** MurmurHash3 x64_128 of bytes (the offset map's key hash). */
export function keyHash128(mem: CoreMemory, bytes: Uint8Array, seed = 0): KeyHash {
  const p = mem.copyIn(bytes);
  const out = mem.output.ensure(16);
  const r = mem.exports.keyHash128(p, bytes.length, seed >>> 0, out);
  if (r < 0) throw new CoreError(r, 'key hash');
  const dv = mem.dv;
  return { hi: dv.getBigUint64(out, true), lo: dv.getBigUint64(out + 8, true) };
}

/** The cleaner's offset map in linear memory: its slots are reserved once and only grow. */
export class OffsetMap {
  readonly state: number;
  private readonly putResult: number;
  private entries = 0;
  private entriesSlots = 0;

  constructor(private readonly mem: CoreMemory, slots: number, limit: number) {
    this.state = mem.allocPtr(OM.BYTES, 64);
    this.putResult = mem.allocPtr(MP.SIZE, 64);
    this.resize(slots, limit);
  }

  /** Empties the map and sizes it to `slots` (24 bytes each), accepting up to `limit` keys (<= slots). */
  resize(slots: number, limit: number): void {
    if (!Number.isInteger(slots) || slots <= 0 || slots > OFFSET_MAP_MAX_SLOTS) throw new RangeError(`offset map slots ${slots} not in 1..${OFFSET_MAP_MAX_SLOTS}`);
    if (!Number.isInteger(limit) || limit < 0 || limit > slots) throw new RangeError(`offset map limit ${limit} not in 0..${slots}`);
    if (slots > this.entriesSlots) {
      this.entries = this.mem.allocPtr(slots * OFFSET_MAP_ENTRY, 64);
      this.entriesSlots = slots;
    }
    const r = this.mem.exports.offsetMapInit(this.state, this.entries, slots, limit);
    if (r < 0) throw new CoreError(r, 'offset map init');
  }

  reset(): void {
    const r = this.mem.exports.offsetMapReset(this.state);
    if (r < 0) throw new CoreError(r, 'offset map reset');
  }

  get slots(): number {
    return this.mem.dv.getInt32(this.state + OM.SLOTS, true);
  }
  get limit(): number {
    return this.mem.dv.getInt32(this.state + OM.LIMIT, true);
  }
  /** Keys held (distinct key hashes). */
  get size(): number {
    return this.mem.dv.getInt32(this.state + OM.SIZE, true);
  }
  /** Largest offset put since the last reset, -1n if none. */
  get lastOffset(): bigint {
    return this.mem.dv.getBigInt64(this.state + OM.LAST_OFFSET, true);
  }

  /** Maps key → offset (a later put of the same key replaces it). Throws CoreError INDEX_FULL at the limit. */
  put(key: Uint8Array | string, offset: Int64): void {
    const k = keyBytes(key);
    const r = this.mem.exports.offsetMapPut(this.state, this.mem.copyIn(k), k.length, big(offset));
    if (r < 0) throw new CoreError(r, 'offset map put');
  }

  /** The offset mapped to key, or -1n. */
  get(key: Uint8Array | string): bigint {
    const k = keyBytes(key);
    const r = this.mem.exports.offsetMapGet(this.state, this.mem.copyIn(k), k.length);
    if (r < -1n) throw new CoreError(Number(r), 'offset map get');
    return r;
  }

  /** Puts the keyed records of the whole batches at the start of [ptr, ptr+len). Throws CoreError on a corrupt batch. */
  putBatchesAt(ptr: number, len: number): MapPutSummary {
    const res = this.putResult;
    const r = this.mem.exports.offsetMapPutBatches(this.state, ptr, len, res);
    const dv = this.mem.dv;
    if (r < 0) throw new CoreError(r, 'offset map put batches', dv.getInt32(res + MP.BYTES, true));
    const stop = dv.getInt32(res + MP.STOP, true);
    return {
      bytes: dv.getInt32(res + MP.BYTES, true),
      stop: stop === MAP_STOP_FULL ? 'full' : stop === MAP_STOP_COMPRESSED ? 'compressed' : 'end',
      records: dv.getInt32(res + MP.RECORDS, true),
      batches: dv.getInt32(res + MP.BATCHES, true),
      lastOffset: dv.getBigInt64(res + MP.LAST_OFFSET, true),
    };
  }

  /** Puts the keyed records of a decompressed records section of the batch whose header is at batchPtr. Returns the records put. */
  putRecordsAt(batchPtr: number, recordsPtr: number, len: number): number {
    const r = this.mem.exports.offsetMapPutRecords(this.state, batchPtr, recordsPtr, len);
    if (r < 0) throw new CoreError(r, 'offset map put records', this.mem.lastErrorPosition() - recordsPtr);
    return r;
  }
}

/** The filter-and-rewrite pass: its parameters, result area and records filter result, reserved once. */
export class LogCleanerPass {
  private readonly params: number;
  private readonly filter: number;
  private readonly entry: number;
  private result = 0;
  private resultCapacity = 0;
  private retain = 0;
  private retainCapacity = 0;

  constructor(private readonly mem: CoreMemory) {
    this.params = mem.allocPtr(CP.BYTES, 64);
    this.filter = mem.allocPtr(RF.BYTES, 64);
    this.entry = mem.allocPtr(CE.BYTES, 64);
    this.ensureEntries(64);
    this.setParams({ nowMs: 0, horizonMs: 0, retainLastOffsets: [] });
  }

  /** Makes the result area hold at least `batches` entries. */
  ensureEntries(batches: number): void {
    if (batches <= this.resultCapacity) return;
    const cap = Math.max(batches, this.resultCapacity * 2);
    this.result = this.mem.allocPtr(CR.HEADER_BYTES + cap * CE.BYTES, 64);
    this.resultCapacity = cap;
  }

  /** Sets the parameters of the calls that follow. */
  setParams(p: CleanPassParams): void {
    const offsets = BigInt64Array.from(p.retainLastOffsets, (o) => big(o)).sort();
    if (offsets.length > this.retainCapacity) {
      const cap = Math.max(offsets.length, this.retainCapacity * 2);
      this.retain = this.mem.allocPtr(cap * 8, 64);
      this.retainCapacity = cap;
    }
    const dv = this.mem.dv;
    for (let i = 0; i < offsets.length; i++) dv.setBigInt64(this.retain + i * 8, offsets[i]!, true);
    dv.setBigInt64(this.params + CP.NOW, big(p.nowMs), true);
    dv.setBigInt64(this.params + CP.HORIZON, big(p.horizonMs), true);
    dv.setUint32(this.params + CP.RETAIN, this.retain, true);
    dv.setInt32(this.params + CP.RETAIN_COUNT, offsets.length, true);
  }

  /**
   * Cleans the whole batches at the start of [ptr, ptr+len) into [outPtr, outPtr+outCap) against the map.
   * Throws CoreError on a corrupt batch (position relative to ptr).
   */
  cleanAt(map: OffsetMap, ptr: number, len: number, outPtr: number, outCap: number): CleanPassSummary {
    const res = this.result;
    this.mem.dv.setInt32(res + CR.CAPACITY, this.resultCapacity, true);
    const r = this.mem.exports.cleanBatches(map.state, ptr, len, outPtr, outCap, this.params, res);
    const dv = this.mem.dv;
    if (r < 0) throw new CoreError(r, 'clean', this.mem.lastErrorPosition() - ptr);
    const count = dv.getInt32(res + CR.BATCH_COUNT, true);
    const batches: CleanedBatch[] = new Array(count);
    for (let i = 0; i < count; i++) batches[i] = readEntry(dv, res + CR.BATCHES + i * CE.BYTES);
    const stop = dv.getInt32(res + CR.STOP, true);
    return {
      bytesRead: dv.getInt32(res + CR.BYTES_READ, true),
      bytesWritten: dv.getInt32(res + CR.BYTES_WRITTEN, true),
      stop: stop === CLEAN_STOP_END ? 'end' : stop === CLEAN_STOP_COMPRESSED ? 'compressed' : 'output-full',
      batches,
      stats: {
        batchesRead: dv.getInt32(res + CR.BATCHES_READ, true),
        recordsRead: dv.getInt32(res + CR.RECORDS_READ, true),
        recordsKept: dv.getInt32(res + CR.RECORDS_KEPT, true),
        tombstonesDropped: dv.getInt32(res + CR.TOMBSTONES_DROPPED, true),
        keylessDropped: dv.getInt32(res + CR.KEYLESS_DROPPED, true),
      },
    };
  }

  /**
   * Filters the decompressed records section [recordsPtr, recordsPtr+len) of the compressed batch at batchPtr;
   * for 'rebuild' the new section is written at outPtr (len + CLEAN_GROWTH_PER_RECORD × recordCount bytes suffice).
   */
  filterRecordsAt(map: OffsetMap, batchPtr: number, recordsPtr: number, len: number, outPtr: number, outCap: number): RecordsFilterSummary {
    const f = this.filter;
    const r = this.mem.exports.cleanRecords(map.state, batchPtr, recordsPtr, len, outPtr, outCap, this.params, f);
    if (r < 0) throw new CoreError(r, 'clean records', this.mem.lastErrorPosition() - recordsPtr);
    const dv = this.mem.dv;
    return {
      action: ACTIONS[dv.getInt32(f + RF.ACTION, true)]!,
      sectionBytes: dv.getInt32(f + RF.SECTION_BYTES, true),
      recordsRead: dv.getInt32(f + RF.RECORDS_READ, true),
      recordsKept: dv.getInt32(f + RF.RECORDS_KEPT, true),
      tombstonesDropped: dv.getInt32(f + RF.TOMBSTONES_DROPPED, true),
      keylessDropped: dv.getInt32(f + RF.KEYLESS_DROPPED, true),
      attributes: dv.getInt32(f + RF.ATTRIBUTES, true),
      baseTimestamp: dv.getBigInt64(f + RF.BASE_TIMESTAMP, true),
      maxTimestamp: dv.getBigInt64(f + RF.MAX_TIMESTAMP, true),
    };
  }

  /**
   * Writes the batch at batchPtr as the last filterRecordsAt decided, at outPtr: nothing ('drop': null), a copy,
   * the empty header, or the header around the (re)compressed section [sectionPtr, sectionPtr+sectionLen).
   */
  finishBatchAt(batchPtr: number, sectionPtr: number, sectionLen: number, outPtr: number, outCap: number): CleanedBatch | null {
    const r = this.mem.exports.cleanFinishBatch(batchPtr, this.filter, sectionPtr, sectionLen, outPtr, outCap, this.entry);
    if (r < 0) throw new CoreError(r, 'clean finish batch');
    return r === 0 ? null : readEntry(this.mem.dv, this.entry);
  }
}

function readEntry(dv: DataView, e: number): CleanedBatch {
  return {
    position: dv.getInt32(e + CE.POS, true),
    size: dv.getInt32(e + CE.SIZE, true),
    baseOffset: dv.getBigInt64(e + CE.BASE_OFFSET, true),
    lastOffset: dv.getBigInt64(e + CE.LAST_OFFSET, true),
    maxTimestamp: dv.getBigInt64(e + CE.MAX_TIMESTAMP, true),
    offsetOfMaxTimestamp: dv.getBigInt64(e + CE.OFFSET_OF_MAX_TIMESTAMP, true),
    recordCount: dv.getInt32(e + CE.RECORD_COUNT, true),
    leaderEpoch: dv.getInt32(e + CE.LEADER_EPOCH, true),
  };
}
