// Kafka's .index file: 8-byte big-endian entries (int32 offset relative to the segment's base offset,
// int32 byte position in the .log file); sparse (one entry per log.index.interval.bytes of batches),
// keyed by a batch's last offset at the batch's start position. Lookup goes through the core.
import type { StorageCore } from './core-port.js';
import { invariant, invariantViolation } from './errors.js';
import type { StorageFs } from './fs.js';
import { IndexFile } from './index-file.js';

export const OFFSET_INDEX_ENTRY = 8;

export interface OffsetPosition {
  offset: number;
  position: number;
}

export class OffsetIndex extends IndexFile {
  constructor(fs: StorageFs, path: string, baseOffset: number, maxIndexBytes: number, private readonly core: StorageCore, initial?: Uint8Array) {
    super(fs, path, baseOffset, OFFSET_INDEX_ENTRY, maxIndexBytes, initial);
  }

  static load(fs: StorageFs, path: string, baseOffset: number, maxIndexBytes: number, core: StorageCore): OffsetIndex {
    const read = IndexFile.readEntries(fs, path, OFFSET_INDEX_ENTRY, maxIndexBytes);
    return new OffsetIndex(fs, path, baseOffset, maxIndexBytes, core, read.entries).withFileLength(read.fileBytes);
  }

  entry(slot: number): OffsetPosition {
    const p = slot * OFFSET_INDEX_ENTRY;
    return { offset: this.baseOffset + this.dv.getInt32(p), position: this.dv.getInt32(p + 4) };
  }

  lastEntry(): OffsetPosition {
    return this._entries === 0 ? { offset: this.baseOffset, position: 0 } : this.entry(this._entries - 1);
  }

  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    if (!(rel >= 0 && rel <= 0x7fffffff)) throw invariantViolation(`offset ${offset} fits segment ${this.baseOffset}`);
    if (this._entries > 0) {
      const last = this.lastEntry();
      if (!(offset > last.offset && position > last.position)) throw invariantViolation(`index entries strictly increase (${offset}@${position} after ${last.offset}@${last.position})`);
    }
    const p = this.slotForAppend();
    this.dv.setInt32(p, rel);
    this.dv.setInt32(p + 4, position);
    this.commitAppend();
  }

  /** The last entry with offset <= target (or the segment start). */
  lookup(targetOffset: number): OffsetPosition {
    if (this._entries === 0 || targetOffset < this.baseOffset) return { offset: this.baseOffset, position: 0 };
    const rel = Math.min(targetOffset - this.baseOffset, 0x7fffffff);
    const slot = this.core.offsetIndexLookup(this.view(), this._entries, rel, this, this.generation);
    invariant(slot >= -1 && slot < this._entries, 'offset index lookup slot in range');
    return slot < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(slot);
  }

  /** The last entry whose position <= pos (positions increase with offsets), or null. */
  floorByPosition(pos: number): OffsetPosition | null {
    let lo = 0;
    let hi = this._entries - 1;
    let ans = -1;
    for (let steps = 0; lo <= hi; steps++) {
      invariant(steps < 64, 'binary search bounded');
      const mid = (lo + hi) >> 1;
      if (this.dv.getInt32(mid * OFFSET_INDEX_ENTRY + 4) <= pos) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans < 0 ? null : this.entry(ans);
  }

  /** How many entries point before byte `pos` (the slot to truncate to when the log is cut at `pos`). */
  slotsBeforePosition(pos: number): number {
    const e = this.floorByPosition(pos - 1);
    if (e === null) return 0;
    let lo = 0;
    let hi = this._entries - 1;
    for (let steps = 0; lo < hi; steps++) {
      invariant(steps < 64, 'binary search bounded');
      const mid = (lo + hi + 1) >> 1;
      if (this.dv.getInt32(mid * OFFSET_INDEX_ENTRY + 4) <= e.position) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
  /** Problems that make the index untrustworthy (clean start sanity check), or null. */
  sanityCheck(logSize: number, nextSegmentBase: number | null): string | null {
    let prevOff = -1;
    let prevPos = -1;
    for (let i = 0; i < this._entries; i++) {
      const e = this.entry(i);
      if (e.offset < this.baseOffset || e.offset <= prevOff || e.position <= prevPos) return `entry ${i} (${e.offset}@${e.position}) out of order`;
      prevOff = e.offset;
      prevPos = e.position;
    }
    if (prevPos >= logSize && this._entries > 0) return `last position ${prevPos} beyond log size ${logSize}`;
    if (nextSegmentBase !== null && prevOff >= nextSegmentBase) return `last offset ${prevOff} reaches next segment ${nextSegmentBase}`;
    return null;
  }
}
