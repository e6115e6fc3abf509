// Common host side of Kafka's two index files: fixed-size big-endian entries, the file preallocated to
// segment.index.bytes while its segment is active and trimmed to its entries on roll/close. Entries are
// kept in memory (a Uint8Array read through a DataView); new ones reach the file in one pwrite when the segment persists its indexes
// (roll, flush, close). Lookups run in the core over these bytes.
import type { StorageFs } from './fs.js';
import { invariant, invariantViolation } from './errors.js';

export abstract class IndexFile {
  protected data: Uint8Array;
  /** Big-endian access to `data` (replaced with it when it grows). */
  protected dv: DataView;
  protected _entries = 0;
  /** Bumped whenever entries are removed (so the core's resident copy is reloaded). */
  protected generation = 0;
  /** First entry not yet written to the file. */
  private dirtyFrom = 0;
  /**
   * Entries were written to the file since its last fsync. A length change alone (preallocate, trim)
   * needs no fsync: a file left preallocated by a crash loads the same (its zero tail is dropped).
   */
  unsynced = false;
  /** The file's length as this object last read or set it (-1: not known), so a length already right is not set again. */
  private fileBytes = -1;
  readonly maxEntries: number;

  protected constructor(
    protected readonly fs: StorageFs,
    public path: string,
    readonly baseOffset: number,
    readonly entrySize: number,
    maxIndexBytes: number,
    initial?: Uint8Array,
  ) {
    this.maxEntries = Math.floor(maxIndexBytes / entrySize);
    invariant(this.maxEntries >= 1, 'index holds at least one entry');
    this.data = initial ?? new Uint8Array(Math.min(this.maxEntries, 64) * entrySize);
    this.dv = new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength);
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
    if (this._entries >= this.maxEntries) throw invariantViolation(`index ${this.path} is full`);
    const pos = this._entries * this.entrySize;
    if (pos + this.entrySize > this.data.byteLength) {
      const grown = new Uint8Array(Math.min(this.maxEntries * this.entrySize, Math.max(this.data.byteLength * 2, this.entrySize * 64)));
      grown.set(this.data.subarray(0, pos));
      this.data = grown;
      this.dv = new DataView(grown.buffer);
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
    this.unsynced = true;
    if (this.fileBytes >= 0 && to > this.fileBytes) this.fileBytes = to;
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
    this.unsynced = true;
    this.fileBytes = -1;
    this.fs.ftruncateSync(fd, 0);
    this.persist(fd);
    this.fs.ftruncateSync(fd, this.lengthFor(preallocate));
    this.fileBytes = this.lengthFor(preallocate);
  }

  /** Sets the file length: preallocated (active segment) or trimmed to the entries (roll, close). */
  setFileLength(fd: number, preallocate: boolean): void {
    const bytes = this.lengthFor(preallocate);
    this.fileBytes = -1;
    this.fs.ftruncateSync(fd, bytes);
    this.fileBytes = bytes;
  }

  /**
   * Whether setFileLength(preallocate) would change the file (or its length is not known): a segment that
   * joins the log with its index files already trimmed (a cleaned segment) opens no descriptor to trim them.
   */
  needsFileLength(preallocate: boolean): boolean {
    return this.fileBytes !== this.lengthFor(preallocate);
  }

  private lengthFor(preallocate: boolean): number {
    return preallocate ? this.maxEntries * this.entrySize : this.sizeInBytes;
  }

  /** Records the file's length, as read with the entries (readEntries) or as a cleaning wrote it. */
  withFileLength(fileBytes: number): this {
    this.fileBytes = fileBytes;
    return this;
  }

  /** A copy of the entries, byte for byte what a trimmed file holds. */
  entryBytes(): Uint8Array {
    return this.view().slice();
  }

  /**
   * Reads an index file. A preallocated file (crash before trim) ends in zero entries; these are dropped
   * (no real entry is all zero: position 0 is never indexed, as in Kafka). Returns whole entries only.
   * Reads from the start in chunks and stops at the first all-zero entry, so a preallocated 10 MiB file
   * with a few entries costs a few KiB, not 10 MiB (which made an unclean start of 10,000 partitions
   * take minutes). Stopping early never loses correctness: a sparse index may hold fewer entries, and
   * loading walks the batch headers after the last entry anyway. Returns the file's length with them.
   */
  static readEntries(fs: StorageFs, path: string, entrySize: number, maxBytes: number): { entries: Uint8Array; fileBytes: number } {
    const fd = fs.openSync(path, 'r');
    try {
      const fileBytes = fs.fstatSize(fd);
      return { entries: IndexFile.readOpen(fs, fd, fileBytes, entrySize, maxBytes), fileBytes };
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The entries of an open index file of `fileBytes` (readEntries). */
  private static readOpen(fs: StorageFs, fd: number, fileBytes: number, entrySize: number, maxBytes: number): Uint8Array {
    const limit = Math.floor(Math.min(fileBytes, maxBytes) / entrySize) * entrySize;
    const chunk = entrySize * 1024;
    let out = new Uint8Array(Math.min(limit, chunk));
    let have = 0;
    for (let steps = 0; have < limit; steps++) {
      invariant(steps < 1 << 24, 'index read makes progress');
      const want = Math.min(chunk, limit - have);
      if (have + want > out.byteLength) {
        const grown = new Uint8Array(Math.min(limit, Math.max(out.byteLength * 2, have + want)));
        grown.set(out.subarray(0, have));
        out = grown;
      }
      let got = 0;
      while (got < want) {
        const n = fs.readSync(fd, out, have + got, want - got, have + got);
        if (n === 0) break;
        got += n;
      }
      const whole = Math.floor(got / entrySize) * entrySize;
      for (let p = have; p < have + whole; p += entrySize) {
        let zero = true;
        for (let i = 0; i < entrySize; i++) if (out[p + i] !== 0) {
          zero = false;
          break;
        }
        if (zero) return out.slice(0, p);
      }
      have += whole;
      if (got < want) break;
    }
    return out.slice(0, have);
  }
}
