// A log segment: `<20-digit base offset>.log` plus its `.index` and `.timeindex`, as in Kafka.
// The .log file holds record batches exactly as the core left them; the segment never decodes them —
// it writes staged views, reads byte ranges, and walks batch headers through the core.
import { HEADER_PEEK_BYTES, MIN_BATCH_BYTES, type BatchHeader, type BatchInfo, type StorageCore } from './core-port.js';
import { invariant, invariantViolation } from './errors.js';
import { fsyncInBackground, readAt, readInto, writeFully, type StorageFs } from './fs.js';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';
import type { CleanedSegmentState } from './cleaner/clean-job.js';
import { joinPath } from './path.js';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const DELETED_SUFFIX = '.deleted';

/** Kafka's file name for a base offset: 20 digits, zero padded. */
export function offsetFileName(baseOffset: number): string {
  invariant(Number.isSafeInteger(baseOffset) && baseOffset >= 0, `base offset ${baseOffset}`);
  return String(baseOffset).padStart(20, '0');
}

export function parseOffsetFileName(name: string, suffix: string): number | null {
  if (!name.endsWith(suffix)) return null;
  const stem = name.slice(0, -suffix.length);
  if (!/^\d{20}$/.test(stem)) return null;
  const n = Number(stem);
  return Number.isSafeInteger(n) ? n : null;
}

/** A byte range of a segment file, returned to fetch as it is. */
export class FileRange {
  constructor(
    private readonly fs: StorageFs,
    readonly fd: number,
    readonly position: number,
    readonly size: number,
    /** First offset of the first batch in the range. */
    readonly firstOffset: number,
  ) {}
  /** The bytes (one read from the page cache). Call right away: the segment may be deleted later. */
  read(): Uint8Array {
    const b = readAt(this.fs, this.fd, this.position, this.size);
    invariant(b.byteLength === this.size, 'file range fully readable');
    return b;
  }
  /** Reads the bytes straight into `target` at `at` (e.g. a response buffer being encoded). */
  readInto(target: Uint8Array, at: number): void {
    invariant(at >= 0 && at + this.size <= target.byteLength, 'file range fits the target');
    let done = 0;
    for (let i = 0; done < this.size; i++) {
      invariant(i < 1 << 20, 'read makes progress');
      const n = this.fs.readSync(this.fd, target, at + done, this.size - done, this.position + done);
      invariant(n > 0, 'file range fully readable');
      done += n;
    }
  }
}

export interface SegmentOptions {
  fs: StorageFs;
  core: StorageCore;
  maxIndexBytes: number;
  indexIntervalBytes: number;
}

/** Header walks read the file in small chunks into one reused buffer (walks are synchronous). */
const WALK_CHUNK = 4096;
const walkBuf = new Uint8Array(WALK_CHUNK);
/** A fetch longer than this jumps through the offset index to near its end before walking headers. */
const INDEX_JUMP_BYTES = 32 * 1024;
const MAX_WALK_STEPS = 1 << 26;

export class LogSegment {
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  logFd: number;
  private indexFd: number;
  private timeIndexFd: number;
  /** Bytes of whole batches in the .log file (the known-good end; any bytes past it are garbage). */
  size: number;
  /** Offset after the last batch (valid for the active segment and after a tail scan). */
  nextOffset: number;
  maxTimestampSoFar = -1;
  offsetOfMaxTimestampSoFar: number;
  private bytesSinceLastIndexEntry = 0;
  /** Max timestamp of the first batch (Kafka's rolling-based timestamp), -1 if none. */
  rollingBasedTimestamp = -1;
  /** Async I/O (fdatasync) in flight on this segment's fd: close waits for it. */
  pendingIo = 0;
  /** Writes (appends, truncations) to the .log so far, and how many of them an fdatasync covered. */
  private logWrites = 0;
  private syncedLogWrites = 0;
  private closed = false;
  private closeWhenIdle = false;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly o: SegmentOptions,
    readonly offsetIndex: OffsetIndex,
    readonly timeIndex: TimeIndex,
    fds: { log: number; index: number; timeIndex: number },
    size: number,
    /** When the segment was created (for time roll when it has no timestamps). */
    readonly createdMs: number,
  ) {
    const stem = offsetFileName(baseOffset);
    this.logPath = joinPath(dir, stem + LOG_SUFFIX);
    this.indexPath = joinPath(dir, stem + INDEX_SUFFIX);
    this.timeIndexPath = joinPath(dir, stem + TIME_INDEX_SUFFIX);
    this.logFd = fds.log;
    this.indexFd = fds.index;
    this.timeIndexFd = fds.timeIndex;
    this.size = size;
    this.nextOffset = baseOffset;
    this.offsetOfMaxTimestampSoFar = baseOffset;
  }

  /** Creates empty files for a new active segment (indexes preallocated). */
  static create(dir: string, baseOffset: number, o: SegmentOptions, nowMs: number): LogSegment {
    const stem = joinPath(dir, offsetFileName(baseOffset));
    const opened: number[] = [];
    try {
      const log = o.fs.openSync(stem + LOG_SUFFIX, 'wx+');
      opened.push(log);
      const oi = new OffsetIndex(o.fs, stem + INDEX_SUFFIX, baseOffset, o.maxIndexBytes, o.core);
      const ti = new TimeIndex(o.fs, stem + TIME_INDEX_SUFFIX, baseOffset, o.maxIndexBytes, o.core);
      // The index files are created preallocated and closed again: only the .log fd stays open.
      const index = o.fs.openSync(stem + INDEX_SUFFIX, 'w+');
      opened.push(index);
      oi.setFileLength(index, true);
      const timeIndex = o.fs.openSync(stem + TIME_INDEX_SUFFIX, 'w+');
      opened.push(timeIndex);
      ti.setFileLength(timeIndex, true);
      o.fs.closeSync(opened.pop()!);
      o.fs.closeSync(opened.pop()!);
      return new LogSegment(dir, baseOffset, o, oi, ti, { log, index: -1, timeIndex: -1 }, 0, nowMs);
    } catch (e) {
      for (const fd of opened) safely(() => o.fs.closeSync(fd));
      for (const s of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) safely(() => o.fs.unlinkSync(stem + s));
      throw e;
    }
  }

  /**
   * Opens existing files. Missing index files are created empty and `needsRebuild` is set. The caller
   * then either recovers the segment (unclean start) or sanity-checks and loads its tail (clean start).
   */
  static open(dir: string, baseOffset: number, o: SegmentOptions, nowMs: number): { segment: LogSegment; needsRebuild: boolean } {
    const stem = joinPath(dir, offsetFileName(baseOffset));
    let needsRebuild = false;
    const log = o.fs.openSync(stem + LOG_SUFFIX, 'r+');
    // Index files are read whole into memory and not kept open (opened again when they are written).
    const loadIdx = <T>(path: string, load: () => T, empty: () => T): { idx: T; fd: number } => {
      if (o.fs.existsSync(path)) {
        try {
          return { idx: load(), fd: -1 };
        } catch {
          /* unreadable: rebuild */
        }
      }
      needsRebuild = true;
      o.fs.closeSync(o.fs.openSync(path, 'w+'));
      return { idx: empty(), fd: -1 };
    };
    const oi = loadIdx(
      stem + INDEX_SUFFIX,
      () => OffsetIndex.load(o.fs, stem + INDEX_SUFFIX, baseOffset, o.maxIndexBytes, o.core),
      () => new OffsetIndex(o.fs, stem + INDEX_SUFFIX, baseOffset, o.maxIndexBytes, o.core),
    );
    const ti = loadIdx(
      stem + TIME_INDEX_SUFFIX,
      () => TimeIndex.load(o.fs, stem + TIME_INDEX_SUFFIX, baseOffset, o.maxIndexBytes, o.core),
      () => new TimeIndex(o.fs, stem + TIME_INDEX_SUFFIX, baseOffset, o.maxIndexBytes, o.core),
    );
    const size = o.fs.fstatSize(log);
    const seg = new LogSegment(dir, baseOffset, o, oi.idx, ti.idx, { log, index: oi.fd, timeIndex: ti.fd }, size, nowMs);
    const lastTime = ti.idx.lastEntry();
    if (lastTime) {
      seg.maxTimestampSoFar = lastTime.timestamp;
      seg.offsetOfMaxTimestampSoFar = lastTime.offset;
    }
    return { segment: seg, needsRebuild };
  }

  /**
   * Opens a segment that joins the log as an inactive one (a cleaned segment just swapped in): its indexes
   * loaded and sanity-checked, its end found by a header walk; if any of that fails (an index file missing
   * or damaged) the batches are validated and both indexes rebuilt, as recovery does.
   */
  static openInactive(dir: string, baseOffset: number, o: SegmentOptions, nowMs: number, maxBatchBytes: number): LogSegment {
    const { segment: s, needsRebuild } = LogSegment.open(dir, baseOffset, o, nowMs);
    try {
      const sane = !needsRebuild && s.offsetIndex.sanityCheck(s.size, null) === null && s.timeIndex.sanityCheck(null) === null && s.loadTail().ok;
      if (!sane) {
        s.recover(maxBatchBytes);
        s.flushSync();
      }
      s.onBecomeInactive();
    } catch (e) {
      s.close();
      throw e;
    } finally {
      s.releaseIndexFds();
    }
    return s;
  }

  /**
   * Opens a cleaned segment just swapped in (files at their final names) from what its cleaning handed over:
   * its .log opened, its size checked against the file's, its indexes taken from `state` (byte for byte what
   * the trimmed index files hold) and sanity-checked; no index file or batch is read. Null if any of that does
   * not hold: the caller opens it from its files instead (openInactive).
   */
  static openCleaned(dir: string, baseOffset: number, o: SegmentOptions, nowMs: number, size: number, state: CleanedSegmentState): LogSegment | null {
    const stem = joinPath(dir, offsetFileName(baseOffset));
    const log = o.fs.openSync(stem + LOG_SUFFIX, 'r+');
    let s: LogSegment | null = null;
    try {
      if (o.fs.fstatSize(log) !== size) return null;
      const oi = new OffsetIndex(o.fs, stem + INDEX_SUFFIX, baseOffset, o.maxIndexBytes, o.core, state.offsetIndex).withFileLength(state.offsetIndex.byteLength);
      const ti = new TimeIndex(o.fs, stem + TIME_INDEX_SUFFIX, baseOffset, o.maxIndexBytes, o.core, state.timeIndex).withFileLength(state.timeIndex.byteLength);
      if (oi.sanityCheck(size, null) !== null || ti.sanityCheck(null) !== null) return null;
      const empty = size === 0;
      if (empty !== (state.nextOffset === baseOffset) || state.nextOffset < baseOffset) return null;
      const seg = new LogSegment(dir, baseOffset, o, oi, ti, { log, index: -1, timeIndex: -1 }, size, nowMs);
      seg.nextOffset = state.nextOffset;
      seg.maxTimestampSoFar = state.maxTimestamp;
      seg.offsetOfMaxTimestampSoFar = state.offsetOfMaxTimestamp;
      seg.rollingBasedTimestamp = state.firstBatchMaxTimestamp;
      seg.bytesSinceLastIndexEntry = state.bytesSinceLastIndexEntry;
      seg.onBecomeInactive(); // the final time-index entry and trimmed files: a cleaning wrote them so already
      s = seg;
      return s;
    } catch {
      return null; // entries that are not whole: from the files instead
    } finally {
      if (s === null) o.fs.closeSync(log);
    }
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** The largest timestamp in the segment (for time retention), or -1. */
  get largestTimestamp(): number {
    return this.maxTimestampSoFar;
  }

  /**
   * Appends a staged view holding whole, offset-assigned batches (positions in `batches` are relative to
   * the view). One write from the view; index entries are kept in memory and written to the index files
   * on roll, flush and close (Kafka's mmap'd indexes are as lazy: an unclean start rebuilds the indexes
   * of every segment from the recovery point, which always includes the active one). All or nothing:
   * on error the in-memory state is unchanged (bytes past `size` in the file are garbage).
   */
  append(view: Uint8Array, batches: readonly BatchInfo[]): void {
    invariant(!this.closed, 'append to an open segment');
    invariant(batches.length > 0, 'append has batches');
    if (batches[0]!.baseOffset < this.nextOffset) throw invariantViolation(`offsets increase: ${batches[0]!.baseOffset} >= ${this.nextOffset}`);
    invariant(this.size + view.byteLength <= 0x7fffffff, 'segment positions fit int32');
    // The state indexBatches changes, kept in locals (no object per append) to undo it on error.
    const savedOi = this.offsetIndex.entries;
    const savedTi = this.timeIndex.entries;
    const savedMaxTs = this.maxTimestampSoFar;
    const savedOffMaxTs = this.offsetOfMaxTimestampSoFar;
    const savedSince = this.bytesSinceLastIndexEntry;
    const savedRolling = this.rollingBasedTimestamp;
    this.logWrites++;
    writeFully(this.o.fs, this.logFd, view, this.size);
    try {
      this.indexBatches(batches, this.size);
    } catch (e) {
      this.offsetIndex.truncateToSlot(savedOi);
      this.timeIndex.truncateToSlot(savedTi);
      this.maxTimestampSoFar = savedMaxTs;
      this.offsetOfMaxTimestampSoFar = savedOffMaxTs;
      this.bytesSinceLastIndexEntry = savedSince;
      this.rollingBasedTimestamp = savedRolling;
      throw e;
    }
    const last = batches[batches.length - 1]!;
    invariant(last.position + last.size === view.byteLength, 'batches cover the view');
    this.size += view.byteLength;
    this.nextOffset = last.lastOffset + 1;
  }

  /** Kafka's sparse indexing: an entry when more than index.interval.bytes were appended since the last. */
  private indexBatches(batches: readonly BatchInfo[], basePosition: number): void {
    let expect = this.nextOffset;
    for (const b of batches) {
      if (!(b.baseOffset >= expect && b.lastOffset >= b.baseOffset)) throw invariantViolation(`batch offsets strictly increase (${b.baseOffset} after ${expect - 1})`);
      expect = b.lastOffset + 1;
      if (this.rollingBasedTimestamp < 0 && this.size === 0 && b === batches[0]) this.rollingBasedTimestamp = b.maxTimestamp;
      if (b.maxTimestamp > this.maxTimestampSoFar) {
        this.maxTimestampSoFar = b.maxTimestamp;
        this.offsetOfMaxTimestampSoFar = b.offsetOfMaxTimestamp;
      }
      if (this.bytesSinceLastIndexEntry > this.o.indexIntervalBytes) {
        if (!this.offsetIndex.isFull) this.offsetIndex.append(b.lastOffset, basePosition + b.position);
        this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
        this.bytesSinceLastIndexEntry = 0;
      }
      this.bytesSinceLastIndexEntry += b.size;
    }
  }

  /** Offset of `size` after a failed append: cut any garbage past the known-good end. */
  truncateGarbage(): void {
    this.logWrites++;
    this.o.fs.ftruncateSync(this.logFd, this.size);
  }

  /**
   * Reads batch headers from `from` up to `to` (exclusive), calling `visit` for each whole batch; stops
   * when `visit` returns false. Returns the position where the walk stopped and whether the bytes there
   * looked wrong (a batch header that is cut short or claims an impossible size).
   */
  walkHeaders(from: number, to: number, visit: (h: BatchHeader, pos: number) => boolean): { pos: number; bad: boolean } {
    let pos = from;
    let buf: Uint8Array | null = null;
    let bufPos = 0;
    for (let steps = 0; pos < to; steps++) {
      invariant(steps < MAX_WALK_STEPS, 'header walk is bounded');
      if (to - pos < MIN_BATCH_BYTES) return { pos, bad: true };
      if (buf === null || pos < bufPos || pos + HEADER_PEEK_BYTES > bufPos + buf.byteLength) {
        bufPos = pos;
        const want = Math.min(WALK_CHUNK, to - pos);
        const got = readInto(this.o.fs, this.logFd, walkBuf.subarray(0, want), pos);
        buf = walkBuf.subarray(0, got);
      }
      const h = this.o.core.readHeader(buf, pos - bufPos);
      if (h === null || h.magic !== 2 || h.size < MIN_BATCH_BYTES || pos + h.size > to || h.lastOffset < h.baseOffset) return { pos, bad: true };
      if (!visit(h, pos)) return { pos, bad: false };
      pos += h.size;
    }
    return { pos, bad: false };
  }

  /** Clean start: trust the files; walk headers after the last index entry to find the end state. */
  loadTail(): { ok: boolean; why?: string } {
    const start = this.offsetIndex.lastEntry();
    let next = this.offsetIndex.entries > 0 ? start.offset + 1 : this.baseOffset;
    let since = 0;
    let first = true;
    const r = this.walkHeaders(start.position, this.size, (h, pos) => {
      if (first && this.offsetIndex.entries > 0 && (pos !== start.position || h.lastOffset !== start.offset)) return false;
      if (first && this.rollingBasedTimestamp < 0 && pos === 0) this.rollingBasedTimestamp = h.maxTimestamp;
      first = false;
      next = h.lastOffset + 1;
      since += h.size;
      if (h.maxTimestamp > this.maxTimestampSoFar) {
        this.maxTimestampSoFar = h.maxTimestamp;
        this.offsetOfMaxTimestampSoFar = h.lastOffset;
      }
      return true;
    });
    if (r.bad || r.pos !== this.size) return { ok: false, why: `batch headers do not reach the end of ${this.logPath} (stopped at ${r.pos} of ${this.size})` };
    if (this.rollingBasedTimestamp < 0 && this.size > 0 && this.offsetIndex.entries > 0) {
      const h0 = this.walkFirstHeader();
      if (h0) this.rollingBasedTimestamp = h0.maxTimestamp;
    }
    this.nextOffset = next;
    this.bytesSinceLastIndexEntry = since;
    return { ok: true };
  }

  private walkFirstHeader(): BatchHeader | null {
    let found: BatchHeader | null = null;
    this.walkHeaders(0, this.size, (h) => {
      found = h;
      return false;
    });
    return found;
  }

  /**
   * Unclean start: validates every batch with the core (CRC included), truncates at the first invalid or
   * incomplete one, and rebuilds both indexes. Returns the number of bytes truncated.
   */
  recover(maxBatchBytes: number): number {
    this.logWrites++; // whatever recovery cuts or keeps gets fsynced
    this.clearIndexState();
    const fileSize = this.o.fs.fstatSize(this.logFd);
    let pos = 0;
    let next = this.baseOffset;
    let chunk = 1 << 20;
    this.size = 0;
    this.nextOffset = this.baseOffset;
    for (let steps = 0; pos < fileSize; steps++) {
      invariant(steps < MAX_WALK_STEPS, 'recovery loop is bounded');
      const len = Math.min(chunk, fileSize - pos);
      const region = this.o.core.region(len);
      const got = readInto(this.o.fs, this.logFd, region, pos);
      if (got === 0) break;
      const scan = this.o.core.scan(region.subarray(0, got), 1 << 20);
      let ok = true;
      const good: BatchInfo[] = [];
      for (const b of scan.batches) {
        if (b.baseOffset < next || b.lastOffset - this.baseOffset > 0x7fffffff) {
          ok = false;
          break;
        }
        good.push(b);
        next = b.lastOffset + 1;
      }
      if (good.length > 0) {
        this.indexBatches(good, pos);
        const last = good[good.length - 1]!;
        this.nextOffset = last.lastOffset + 1;
        pos += last.position + last.size;
        this.size = pos;
      }
      if (!ok || scan.stop === 'invalid') break;
      if (scan.stop === 'partial' && good.length === 0) {
        // One batch larger than the chunk: grow the chunk if its header claims a plausible size.
        const h = this.o.core.readHeader(region, 0);
        if (h === null || h.size < MIN_BATCH_BYTES || pos + h.size > fileSize || h.size > Math.max(maxBatchBytes, chunk) * 2 + (1 << 20)) break;
        chunk = Math.max(chunk * 2, h.size);
      }
    }
    const truncated = fileSize - this.size;
    if (truncated > 0) this.o.fs.ftruncateSync(this.logFd, this.size);
    try {
      this.offsetIndex.rewrite(this.idxFd(), false);
      this.timeIndex.rewrite(this.timeIdxFd(), false);
    } finally {
      this.releaseIndexFds();
    }
    return truncated;
  }

  /** Empties both indexes and forgets what they were derived from, before recovery re-reads the batches. */
  private clearIndexState(): void {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.maxTimestampSoFar = -1;
    this.offsetOfMaxTimestampSoFar = this.baseOffset;
    this.bytesSinceLastIndexEntry = 0;
    this.rollingBasedTimestamp = -1;
  }

  /**
   * Kafka's LogSegment.truncateTo: drops the batch holding `offset` and every later one (so the segment ends at
   * a batch boundary), cuts the file there as a failed append's garbage is cut, drops the index entries past
   * the cut and rewrites both index files preallocated (the segment is, or becomes, the active one). The end
   * state comes from the header walk a clean start uses. Returns the bytes cut; the caller flushes.
   */
  truncateTo(offset: number, maxBatchBytes: number): number {
    const hit = offset <= this.baseOffset ? { position: 0, baseOffset: this.baseOffset } : this.translateOffset(offset, this.size);
    if (hit === null || hit.position >= this.size) return 0;
    const cut = hit.position;
    const bytes = this.size - cut;
    this.offsetIndex.truncateToSlot(this.offsetIndex.slotsBeforePosition(cut));
    this.timeIndex.truncateToSlot(this.timeIndex.slotsBelowOffset(hit.baseOffset));
    const lastTime = this.timeIndex.lastEntry();
    this.maxTimestampSoFar = lastTime?.timestamp ?? -1;
    this.offsetOfMaxTimestampSoFar = lastTime?.offset ?? this.baseOffset;
    if (cut === 0) this.rollingBasedTimestamp = -1;
    this.size = cut;
    this.truncateGarbage();
    // What remains was whole before the cut; should its headers not walk, validate it as recovery does.
    if (!this.loadTail().ok) this.recover(maxBatchBytes);
    try {
      this.offsetIndex.rewrite(this.idxFd(), true);
      this.timeIndex.rewrite(this.timeIdxFd(), true);
    } finally {
      this.releaseIndexFds();
    }
    return bytes;
  }

  /** Position and first offset of the first batch holding an offset >= target, searching from the index. */
  translateOffset(target: number, maxPosition: number): { position: number; baseOffset: number; lastOffset: number } | null {
    const start = this.offsetIndex.lookup(target);
    let found: { position: number; baseOffset: number; lastOffset: number } | null = null;
    this.walkHeaders(start.position, Math.min(maxPosition, this.size), (h, pos) => {
      if (h.lastOffset >= target) {
        found = { position: pos, baseOffset: h.baseOffset, lastOffset: h.lastOffset };
        return false;
      }
      return true;
    });
    return found;
  }

  /**
   * The byte range for a fetch starting at `target`: whole batches from the one holding `target`, up to
   * `maxBytes` but always at least one whole batch (KIP-74) when `minOneBatch`. Ends at `maxPosition`.
   */
  read(target: number, maxBytes: number, maxPosition: number, minOneBatch: boolean): FileRange | null {
    const limit = Math.min(maxPosition, this.size);
    const start = this.translateOffset(target, limit);
    if (start === null) return null;
    // Batches before an index entry inside the budget are all whole and within it: jump there.
    let walkFrom = start.position;
    if (maxBytes > INDEX_JUMP_BYTES) {
      const e = this.offsetIndex.floorByPosition(Math.min(start.position + maxBytes, limit));
      if (e !== null && e.position > start.position) walkFrom = e.position;
    }
    let end = walkFrom;
    this.walkHeaders(walkFrom, limit, (h, pos) => {
      const first = pos === start.position;
      if (pos + h.size - start.position > maxBytes && !(first && minOneBatch)) return false;
      end = pos + h.size;
      return true;
    });
    if (end === start.position) return new FileRange(this.o.fs, this.logFd, start.position, 0, start.baseOffset);
    return new FileRange(this.o.fs, this.logFd, start.position, end - start.position, start.baseOffset);
  }

  /**
   * The first batch whose max timestamp >= t: its bytes, so the core can pick the record. Uses the time
   * index then the offset index, then walks headers (Kafka's findOffsetByTimestamp).
   */
  findBatchByTimestamp(t: number, startingOffset: number): { batch: Uint8Array; header: BatchHeader } | null {
    const te = this.timeIndex.lookup(t);
    const from = this.offsetIndex.lookup(Math.max(te.offset, startingOffset));
    let hit: { header: BatchHeader; pos: number } | null = null;
    this.walkHeaders(from.position, this.size, (h, pos) => {
      if (h.maxTimestamp >= t && h.lastOffset >= startingOffset) {
        hit = { header: h, pos };
        return false;
      }
      return true;
    });
    if (hit === null) return null;
    const { header, pos } = hit as { header: BatchHeader; pos: number };
    return { header, batch: readAt(this.o.fs, this.logFd, pos, header.size) };
  }

  /** Writes index entries still only in memory to the index files (one pwrite each). */
  persistIndexes(): void {
    try {
      if (this.offsetIndex.hasUnwritten) this.offsetIndex.persist(this.idxFd());
      if (this.timeIndex.hasUnwritten) this.timeIndex.persist(this.timeIdxFd());
    } finally {
      this.releaseIndexFds();
    }
  }

  /** On roll and close: final time index entry, indexes written and trimmed to their entries. */
  onBecomeInactive(): void {
    if (this.maxTimestampSoFar >= 0) this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, true);
    try {
      if (this.offsetIndex.hasUnwritten) this.offsetIndex.persist(this.idxFd());
      if (this.timeIndex.hasUnwritten) this.timeIndex.persist(this.timeIdxFd());
      // A length already right (index files a cleaning wrote trimmed) is let be: no descriptor, no ftruncate.
      if (this.offsetIndex.needsFileLength(false)) this.offsetIndex.setFileLength(this.idxFd(), false);
      if (this.timeIndex.needsFileLength(false)) this.timeIndex.setFileLength(this.timeIdxFd(), false);
    } finally {
      this.releaseIndexFds();
    }
  }

  /** For the (re)opened active segment: indexes preallocated again. */
  onBecomeActive(): void {
    try {
      if (this.offsetIndex.needsFileLength(true)) this.offsetIndex.setFileLength(this.idxFd(), true);
      if (this.timeIndex.needsFileLength(true)) this.timeIndex.setFileLength(this.timeIdxFd(), true);
    } finally {
      this.releaseIndexFds();
    }
  }

  /** Synchronous flush of the log and both indexes (roll, shutdown). */
  flushSync(): void {
    try {
      if (this.offsetIndex.hasUnwritten) this.offsetIndex.persist(this.idxFd());
      if (this.timeIndex.hasUnwritten) this.timeIndex.persist(this.timeIdxFd());
      // The .log only if written since its last fdatasync (a log closed twice, or reloaded and untouched).
      if (this.logWrites !== this.syncedLogWrites) {
        const writes = this.logWrites;
        this.o.fs.fdatasyncSync(this.logFd);
        this.syncedLogWrites = writes;
      }
      // Only index files whose entries changed (a small partition often has no offset-index entry).
      if (this.offsetIndex.unsynced) this.o.fs.fsyncSync(this.idxFd());
      if (this.timeIndex.unsynced) this.o.fs.fsyncSync(this.timeIdxFd());
      this.offsetIndex.unsynced = this.timeIndex.unsynced = false;
    } finally {
      this.releaseIndexFds();
    }
  }

  /**
   * The index half of flushSync() for a rolled segment whose .log is already synced, with the fsyncs on the
   * thread pool: each is a journal commit that took 2-7 ms on the main thread here while writeback ran, per
   * file, per roll. Entries not yet written go out first (small pwrites); each fsync gets an fd of its own,
   * so an fd the segment closes meanwhile is never the one synced. A segment deleted meanwhile is skipped.
   */
  async flushIndexesInBackground(): Promise<void> {
    this.persistIndexes();
    for (const [index, path] of [[this.offsetIndex, this.indexPath], [this.timeIndex, this.timeIndexPath]] as const) {
      if (!index.unsynced || this.deleted) continue;
      index.unsynced = false; // entries persisted from here on mark it again
      try {
        await fsyncInBackground(this.o.fs, path);
      } catch (e) {
        if (this.deleted) return; // renamed `.deleted` under us: nothing left to make durable
        index.unsynced = true;
        throw e;
      }
    }
  }

  /**
   * Index files are opened only while they are written (create, roll, flush, close, recovery) and closed
   * right after: every segment, the active one included, keeps just its .log fd open, so a broker with
   * 10,000 partitions holds 10,000 fds, not 30,000. Lookups never need them: entries live in memory.
   */
  private idxFd(): number {
    if (this.indexFd < 0) this.indexFd = this.o.fs.openSync(this.indexPath, 'r+');
    return this.indexFd;
  }
  private timeIdxFd(): number {
    if (this.timeIndexFd < 0) this.timeIndexFd = this.o.fs.openSync(this.timeIndexPath, 'r+');
    return this.timeIndexFd;
  }
  /** Closes the index fds (after every operation that opened them). */
  releaseIndexFds(): void {
    for (const fd of [this.indexFd, this.timeIndexFd]) if (fd >= 0) safely(() => this.o.fs.closeSync(fd));
    this.indexFd = this.timeIndexFd = -1;
  }

  close(): void {
    if (this.closed) return;
    if (this.pendingIo > 0) {
      this.closeWhenIdle = true;
      return;
    }
    this.closed = true;
    for (const fd of [this.logFd, this.indexFd, this.timeIndexFd]) if (fd >= 0) safely(() => this.o.fs.closeSync(fd));
    this.indexFd = this.timeIndexFd = -1;
  }

  private deleted = false;

  /** Bookkeeping around async I/O on logFd (group commit's fdatasync). Returns the writes it will cover. */
  ioStarted(): number {
    this.pendingIo++;
    return this.logWrites;
  }
  /** An fdatasync that started after `writes` writes succeeded. */
  logSynced(writes: number): void {
    if (writes > this.syncedLogWrites) this.syncedLogWrites = writes;
  }
  ioDone(): void {
    this.pendingIo--;
    if (this.pendingIo === 0 && this.closeWhenIdle) this.close();
  }

  /** Whether markDeleted() ran: the files carry the `.deleted` suffix now. */
  get isDeleted(): boolean {
    return this.deleted;
  }

  /** The three file paths after markDeleted(). */
  deletedPaths(): string[] {
    return [this.logPath, this.indexPath, this.timeIndexPath].map((p) => p + DELETED_SUFFIX);
  }

  /**
   * Renames the files to `.deleted` (Kafka's async delete); returns the new paths. A failed rename is let be
   * (the next start removes what is left), unless `strict`: a segment replaced by a cleaned one must not stay
   * under its own name, so there the error is thrown (the .log's first: the indexes alone are harmless).
   */
  markDeleted(strict = false): string[] {
    this.deleted = true;
    const out: string[] = [];
    for (const p of [this.logPath, this.indexPath, this.timeIndexPath]) {
      try {
        this.o.fs.renameSync(p, p + DELETED_SUFFIX);
        out.push(p + DELETED_SUFFIX);
      } catch (e) {
        if (strict && p === this.logPath) throw e;
        /* already gone */
      }
    }
    return out;
  }
}

function safely(f: () => void): void {
  try {
    f();
  } catch {
    /* best effort */
  }
}
