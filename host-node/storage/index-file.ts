// Common host side of Kafka's two index files: fixed-size big-endian entries, the file preallocated to
// segment.index.bytes while its segment is active and trimmed to its entries on roll/close. Entries are
// kept in memory (a Buffer); new ones reach the file in one pwrite when the segment persists its indexes
// (roll, flush, close). Lookups run in the core over these bytes.
import type { StorageFs } from './fs.js';
import { invariant } from './errors.js';

export abstract class IndexFile {
  protected data: Buffer;
  protected _entries = 0;
  /** Bumped whenever entries are removed (so the core's resident copy is reloaded). */
  protected generation = 0;
  /** First entry not yet written to the file. */
  private dirtyFrom = 0;
  readonly maxEntries: number;

  protected constructor(
    protected readonly fs: StorageFs,
    public path: string,
    readonly baseOffset: number,
    readonly entrySize: number,
    maxIndexBytes: number,
    initial?: Buffer,
  ) {
    this.maxEntries = Math.floor(maxIndexBytes / entrySize);
    invariant(this.maxEntries >= 1, 'index holds at least one entry');
    this.data = initial ?? Buffer.alloc(Math.min(this.maxEntries, 64) * entrySize);
    if (initial) {
      invariant(initial.byteLength % entrySize === 0, 'index bytes are whole entries');
      this._entries = initial.byteLength / entrySize;
      this.dirtyFrom = this._entries;
    }
  }

  get entries(): number {
    return this._entries;
  }
  /** Entries not yet written to the file. */
  get hasUnwritten(): boolean {
    return this.dirtyFrom < this._entries;
  }
  get isFull(): boolean {
    return this._entries >= this.maxEntries;
  }
  /** Bytes of the index that hold entries (what a trimmed file's size is). */
  get sizeInBytes(): number {
    return this._entries * this.entrySize;
  }
  /** The entries as one view (for the core's lookup). */
  protected view(): Uint8Array {
    return this.data.subarray(0, this._entries * this.entrySize);
  }

  /** Space for one more entry; returns its byte position in `data`. */
  protected slotForAppend(): number {
    invariant(this._entries < this.maxEntries, `index ${this.path} is full`);
    const pos = this._entries * this.entrySize;
    if (pos + this.entrySize > this.data.byteLength) {
      const grown = Buffer.alloc(Math.min(this.maxEntries * this.entrySize, Math.max(this.data.byteLength * 2, this.entrySize * 64)));
      this.data.copy(grown, 0, 0, pos);
      this.data = grown;
    }
    return pos;
  }
  protected commitAppend(): void {
    this._entries++;
  }

  /** Writes entries appended since the last call to the file (one pwrite, bounded retry on short writes). */
  persist(fd: number): void {
    if (this.dirtyFrom >= this._entries) return;
    const from = this.dirtyFrom * this.entrySize;
    const to = this._entries * this.entrySize;
    let done = 0;
    for (let i = 0; done < to - from; i++) {
      invariant(i < 1024, 'index write makes progress');
      done += this.fs.writeSync(fd, this.data, from + done, to - from - done, from + done);
    }
    this.dirtyFrom = this._entries;
  }

  /** Drops every entry (before a rebuild). */
  reset(): void {
    this.generation++;
    this._entries = 0;
    this.dirtyFrom = 0;
  }

  /** Drops entries from `slot` on. */
  truncateToSlot(slot: number): void {
    invariant(slot >= 0 && slot <= this._entries, 'truncate slot in range');
    if (slot < this._entries) this.generation++;
    this._entries = slot;
    this.dirtyFrom = Math.min(this.dirtyFrom, slot);
  }

  /** Rewrites the whole file from memory at the given size (entries, or preallocated to the max). */
  rewrite(fd: number, preallocate: boolean): void {
    this.dirtyFrom = 0;
    this.fs.ftruncateSync(fd, 0);
    this.persist(fd);
    this.fs.ftruncateSync(fd, preallocate ? this.maxEntries * this.entrySize : this.sizeInBytes);
  }

  /** Sets the file length: preallocated (active segment) or trimmed to the entries (roll, close). */
  setFileLength(fd: number, preallocate: boolean): void {
    this.fs.ftruncateSync(fd, preallocate ? this.maxEntries * this.entrySize : this.sizeInBytes);
  }

  /**
   * Reads an index file. A preallocated file (crash before trim) ends in zero entries; these are dropped
   * (no real entry is all zero: position 0 is never indexed, as in Kafka). Returns whole entries only.
   */
  static readEntries(fs: StorageFs, path: string, entrySize: number, maxBytes: number): Buffer {
    const raw = fs.readFileSync(path);
    let n = Math.floor(Math.min(raw.byteLength, maxBytes) / entrySize);
    outer: for (; n > 0; n--) {
      const p = (n - 1) * entrySize;
      for (let i = 0; i < entrySize; i++) if (raw[p + i] !== 0) break outer;
    }
    return Buffer.from(raw.subarray(0, n * entrySize));
  }
}
