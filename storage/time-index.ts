// Kafka's .timeindex file: 12-byte big-endian entries (int64 timestamp, int32 offset relative to the
// segment's base offset). Timestamps strictly increase: an entry is added only when the segment's max
// timestamp so far grows, pointing at the offset of that max timestamp. Lookup goes through the core.
import type { StorageCore } from './core-port.js';
import { invariant, invariantViolation } from './errors.js';
import type { StorageFs } from './fs.js';
import { IndexFile } from './index-file.js';

export const TIME_INDEX_ENTRY = 12;

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

export class TimeIndex extends IndexFile {
  constructor(fs: StorageFs, path: string, baseOffset: number, maxIndexBytes: number, private readonly core: StorageCore, initial?: Uint8Array) {
    super(fs, path, baseOffset, TIME_INDEX_ENTRY, maxIndexBytes, initial);
  }

  static load(fs: StorageFs, path: string, baseOffset: number, maxIndexBytes: number, core: StorageCore): TimeIndex {
    const read = IndexFile.readEntries(fs, path, TIME_INDEX_ENTRY, maxIndexBytes);
    return new TimeIndex(fs, path, baseOffset, maxIndexBytes, core, read.entries).withFileLength(read.fileBytes);
  }

  entry(slot: number): TimestampOffset {
    const p = slot * TIME_INDEX_ENTRY;
    return { timestamp: Number(this.dv.getBigInt64(p)), offset: this.baseOffset + this.dv.getInt32(p + 8) };
  }

  lastEntry(): TimestampOffset | null {
    return this._entries === 0 ? null : this.entry(this._entries - 1);
  }

  /** Appends if `timestamp` is greater than the last entry's. `force` ignores fullness (the final entry on roll). */
  maybeAppend(timestamp: number, offset: number, force = false): boolean {
    const last = this.lastEntry();
    if (last !== null) {
      if (offset < last.offset) throw invariantViolation(`time index offsets do not go back (${offset} < ${last.offset})`);
      if (timestamp <= last.timestamp) return false;
    }
    if (this.isFull) return false; // the sparse index only gets sparser; `force` kept for the roll call site
    void force;
    const rel = offset - this.baseOffset;
    invariant(rel >= 0 && rel <= 0x7fffffff, 'time index offset fits segment');
    const p = this.slotForAppend();
    this.dv.setBigInt64(p, BigInt(timestamp));
    this.dv.setInt32(p + 8, rel);
    this.commitAppend();
    return true;
  }

  /** The last entry with timestamp <= t, or (-1, baseOffset) when there is none. */
  lookup(t: number): TimestampOffset {
    if (this._entries === 0) return { timestamp: -1, offset: this.baseOffset };
    const slot = this.core.timeIndexLookup(this.view(), this._entries, t, this, this.generation);
    invariant(slot >= -1 && slot < this._entries, 'time index lookup slot in range');
    return slot < 0 ? { timestamp: -1, offset: this.baseOffset } : this.entry(slot);
  }

  /** How many entries point below `offset` (offsets never decrease along the index). */
  slotsBelowOffset(offset: number): number {
    let lo = 0;
    let hi = this._entries;
    for (let steps = 0; lo < hi; steps++) {
      invariant(steps < 64, 'binary search bounded');
      const mid = (lo + hi) >> 1;
      if (this.baseOffset + this.dv.getInt32(mid * TIME_INDEX_ENTRY + 8) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  sanityCheck(nextSegmentBase: number | null): string | null {
    let prevTs = Number.NEGATIVE_INFINITY;
    let prevOff = -1;
    for (let i = 0; i < this._entries; i++) {
      const e = this.entry(i);
      if (e.timestamp <= prevTs || e.offset < prevOff || e.offset < this.baseOffset) return `entry ${i} out of order`;
      prevTs = e.timestamp;
      prevOff = e.offset;
    }
    if (nextSegmentBase !== null && prevOff >= nextSegmentBase) return `last offset ${prevOff} reaches next segment ${nextSegmentBase}`;
    return null;
  }
}
