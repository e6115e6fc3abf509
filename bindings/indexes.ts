// Kafka's offset and time indexes in the core's linear memory. This module owns the index bytes there,
// the state block the core keeps over them, and the init/lookup/append/truncate calls.
//
// An index is held one of two ways:
// - OffsetIndex / TimeIndex own a fixed region the core appends to (the public API; a SegmentIndexer
//   maintains them during appendAt);
// - ResidentIndex keeps a copy of an index that lives elsewhere (storage's index files, in JS memory):
//   reloaded when its owner or generation changes, extended with only the new entries otherwise.

import { CoreError, ErrorCode } from './errors.js';
import type { CoreExports } from './exports.js';
import { big, type Int64 } from './int64.js';
import { OFFSET_INDEX_ENTRY, OffsetIndexState as OX, TIME_INDEX_ENTRY, TimeIndexState as TX } from './layout.js';
import type { CoreMemory, Region } from './memory.js';

/** What differs between the two index kinds: entry and state sizes, and the core's functions. */
export interface IndexKind {
  readonly name: string;
  readonly entryBytes: number;
  readonly stateBytes: number;
  /** Where the state block keeps the entries' size in bytes. */
  readonly sizeField: number;
  readonly init: 'offsetIndexInit' | 'timeIndexInit';
  readonly lookup: 'offsetIndexLookup' | 'timeIndexLookup';
  readonly truncateTo: 'offsetIndexTruncateTo' | 'timeIndexTruncateTo';
}

/** Kafka's .index: 8-byte entries (relative offset, position; big-endian). */
export const OFFSET_INDEX: IndexKind = {
  name: 'offset index', entryBytes: OFFSET_INDEX_ENTRY, stateBytes: OX.BYTES, sizeField: OX.SIZE,
  init: 'offsetIndexInit', lookup: 'offsetIndexLookup', truncateTo: 'offsetIndexTruncateTo',
};

/** Kafka's .timeindex: 12-byte entries (timestamp, relative offset; big-endian). */
export const TIME_INDEX: IndexKind = {
  name: 'time index', entryBytes: TIME_INDEX_ENTRY, stateBytes: TX.BYTES, sizeField: TX.SIZE,
  init: 'timeIndexInit', lookup: 'timeIndexLookup', truncateTo: 'timeIndexTruncateTo',
};

/** Bytes a lookup writes: the entry found (offset, then position or timestamp). */
const FOUND_BYTES = 16;

/** The core's state block over index bytes in linear memory, and the calls on it. */
abstract class CoreIndex {
  readonly state: number;
  /** Where lookups leave the entry they found. */
  protected readonly found: number;
  private readonly initFn: CoreExports[IndexKind['init']];
  private readonly lookupFn: CoreExports[IndexKind['lookup']];

  protected constructor(protected readonly core: CoreMemory, protected readonly kind: IndexKind) {
    this.state = core.allocPtr(kind.stateBytes, 8);
    this.found = core.allocPtr(FOUND_BYTES, 8);
    this.initFn = core.exports[kind.init];
    this.lookupFn = core.exports[kind.lookup];
  }

  /** Bytes of entries the index holds. */
  get sizeBytes(): number {
    return this.core.dv.getInt32(this.state + this.kind.sizeField, true);
  }

  /** Points the state at [ptr, ptr+capacity) whose first `sizeBytes` are entries; the core's code. */
  protected init(ptr: number, capacity: number, baseOffset: bigint, sizeBytes: number): number {
    return this.initFn(this.state, ptr, capacity, baseOffset, sizeBytes);
  }

  /** Slot of the last entry <= target, -1 when none; the entry is left at `found`. */
  protected lookupSlot(target: bigint): number {
    const slot = this.lookupFn(this.state, target, this.found);
    if (slot < -1) throw new CoreError(slot, `${this.kind.name} lookup`);
    return slot;
  }
}

/** An index in a region of its own, `existing` bytes (from disk) loaded into it. */
abstract class RegionIndex extends CoreIndex {
  readonly region: Region;

  protected constructor(core: CoreMemory, kind: IndexKind, readonly baseOffset: bigint, capacityBytes: number, existing?: Uint8Array) {
    super(core, kind);
    const cap = capacityBytes - (capacityBytes % kind.entryBytes);
    this.region = core.alloc(cap, 8);
    const used = existing?.length ?? 0;
    if (used > cap) throw new CoreError(ErrorCode.INDEX_CORRUPT, `${kind.name} larger than its capacity`);
    if (existing) this.region.write(existing);
    const r = this.init(this.region.ptr, cap, baseOffset, used);
    if (r < 0) throw new CoreError(r, kind.name, core.lastErrorPosition() - this.region.ptr);
  }

  get entries(): number {
    return this.sizeBytes / this.kind.entryBytes;
  }
  get isFull(): boolean {
    return this.sizeBytes + this.kind.entryBytes > this.region.size;
  }
  /** The entries as stored on disk (a view: copy before the next append if you keep it). */
  bytes(): Uint8Array {
    return this.region.view(this.sizeBytes);
  }
  /** Drops entries with offset >= `offset`; returns the remaining count. */
  truncateTo(offset: Int64): number {
    return this.core.exports[this.kind.truncateTo](this.state, big(offset));
  }
}

/** Kafka's offset index (8-byte entries: relative offset, position; big-endian) in linear memory. */
export class OffsetIndex extends RegionIndex {
  constructor(core: CoreMemory, baseOffset: bigint, capacityBytes: number, existing?: Uint8Array) {
    super(core, OFFSET_INDEX, baseOffset, capacityBytes, existing);
  }
  get lastOffset(): bigint {
    return this.core.dv.getBigInt64(this.state + OX.LAST_OFFSET, true);
  }
  append(offset: Int64, position: number): void {
    const r = this.core.exports.offsetIndexAppend(this.state, big(offset), position);
    if (r < 0) throw new CoreError(r, 'offset index append');
  }
  /** Largest entry with offset <= target; {baseOffset, 0, slot -1} when none. */
  lookup(target: Int64): { offset: bigint; position: number; slot: number } {
    const slot = this.lookupSlot(big(target));
    const dv = this.core.dv;
    return { offset: dv.getBigInt64(this.found, true), position: dv.getInt32(this.found + 8, true), slot };
  }
}

/** Kafka's time index (12-byte entries: timestamp, relative offset; big-endian) in linear memory. */
export class TimeIndex extends RegionIndex {
  constructor(core: CoreMemory, baseOffset: bigint, capacityBytes: number, existing?: Uint8Array) {
    super(core, TIME_INDEX, baseOffset, capacityBytes, existing);
  }
  /** Appends when timestamp > the last entry's; returns whether it did. */
  maybeAppend(timestamp: Int64, offset: Int64): boolean {
    const r = this.core.exports.timeIndexMaybeAppend(this.state, big(timestamp), big(offset));
    if (r < 0) throw new CoreError(r, 'time index append');
    return r === 1;
  }
  /** Largest entry with timestamp <= target; {baseOffset, -1, slot -1} when none. */
  lookup(target: Int64): { offset: bigint; timestamp: bigint; slot: number } {
    const slot = this.lookupSlot(big(target));
    const dv = this.core.dv;
    return { offset: dv.getBigInt64(this.found, true), timestamp: dv.getBigInt64(this.found + 8, true), slot };
  }
  get lastTimestamp(): bigint {
    return this.core.dv.getBigInt64(this.state + TX.LAST_TIMESTAMP, true);
  }
}

/** Smallest region a ResidentIndex reserves. */
const MIN_RESIDENT_BYTES = 4096;

/**
 * A resident copy of an index kept elsewhere, reused while the same index is looked up. The region grows
 * geometrically (the arena never frees: old regions are abandoned).
 */
export class ResidentIndex extends CoreIndex {
  private ptr = 0;
  private capacity = 0;
  private owner: object | null = null;
  private generation = -1;
  private bytesIn = 0;

  constructor(core: CoreMemory, kind: IndexKind) {
    super(core, kind);
  }

  /**
   * Slot of the last entry <= target among the first `bytes` bytes of `index` (-1 when none; relative
   * offsets for the offset index). `owner` + `generation` identify an index whose entries only grow
   * between calls with the same generation: then only the new entries are copied in.
   */
  lookup(index: Uint8Array, bytes: number, owner: object, generation: number, target: bigint): number {
    this.load(index, bytes, owner, generation);
    return this.lookupSlot(target);
  }

  private load(index: Uint8Array, bytes: number, owner: object, generation: number): void {
    const same = this.owner === owner && this.generation === generation && bytes >= this.bytesIn;
    if (same && bytes === this.bytesIn) return;
    if (bytes > this.capacity) {
      const capacity = Math.max(bytes, this.capacity * 2, MIN_RESIDENT_BYTES);
      this.ptr = this.core.allocPtr(capacity, 8);
      this.capacity = capacity;
      return this.fullLoad(index, bytes, owner, generation);
    }
    if (!same) return this.fullLoad(index, bytes, owner, generation);
    // Appended entries only: copy the new bytes and extend the state's size.
    this.core.u8.set(index.subarray(this.bytesIn, bytes), this.ptr + this.bytesIn);
    this.core.dv.setInt32(this.state + this.kind.sizeField, bytes, true);
    this.bytesIn = bytes;
  }

  private fullLoad(index: Uint8Array, bytes: number, owner: object, generation: number): void {
    this.core.u8.set(index.subarray(0, bytes), this.ptr);
    const r = this.init(this.ptr, this.capacity, 0n, bytes);
    if (r < 0) {
      this.owner = null;
      throw new CoreError(r, this.kind.name);
    }
    this.owner = owner;
    this.generation = generation;
    this.bytesIn = bytes;
  }
}
