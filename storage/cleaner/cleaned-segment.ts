// The segment a cleaning writes for one group of old segments: `<base>.log.cleaned` with its
// `.index.cleaned` and `.timeindex.cleaned`, indexed exactly as LogSegment indexes appended batches (an
// offset-index entry per index.interval.bytes, time-index entries as the max timestamp grows, the final
// time-index entry a segment gets when it becomes inactive), and `<base>.groupend.cleaned`: the offset
// where the group ends, which crash recovery of the swap needs to know which old segments it replaces.
// Written by the cleaner thread only; the main thread renames the files into place and opens the segment
// from the state the writer hands over with them (its index entries, its end), without reading them back.
import type { BatchInfo, StorageCore } from '../core-port.js';
import type { CleanedSegmentState } from './clean-job.js';
import { invariant, invariantViolation } from '../errors.js';
import { writeFully, type StorageFs } from '../fs.js';
import { OffsetIndex } from '../offset-index.js';
import { TimeIndex } from '../time-index.js';
import { CLEANED_SUFFIX, GROUP_END_SUFFIX, cleanedFilePath, discardCleanedFiles } from './cleaned-files.js';

/** The four files of the cleaned segment with base offset `baseOffset`: log, index, time index, group end. */
export function cleanedSegmentPaths(dir: string, baseOffset: number): { log: string; index: string; timeIndex: string; groupEnd: string } {
  return {
    log: cleanedFilePath(dir, baseOffset, '.log', CLEANED_SUFFIX),
    index: cleanedFilePath(dir, baseOffset, '.index', CLEANED_SUFFIX),
    timeIndex: cleanedFilePath(dir, baseOffset, '.timeindex', CLEANED_SUFFIX),
    groupEnd: cleanedFilePath(dir, baseOffset, GROUP_END_SUFFIX, CLEANED_SUFFIX),
  };
}

export interface CleanedSegmentOptions {
  fs: StorageFs;
  /** For the index classes (their lookups; the writer itself only appends). */
  core: StorageCore;
  maxIndexBytes: number;
  indexIntervalBytes: number;
}

export class CleanedSegmentWriter {
  readonly paths: ReturnType<typeof cleanedSegmentPaths>;
  private readonly offsetIndex: OffsetIndex;
  private readonly timeIndex: TimeIndex;
  private logFd = -1;
  private indexFd = -1;
  private timeIndexFd = -1;
  private groupEndFd = -1;
  /** Bytes written to the .log.cleaned. */
  size = 0;
  /** Offset after the last batch appended (offsets strictly increase across appends). */
  nextOffset: number;
  private maxTimestampSoFar = -1;
  private offsetOfMaxTimestampSoFar: number;
  private firstBatchMaxTimestamp = -1;
  private bytesSinceLastIndexEntry = 0;
  private state: 'open' | 'syncing' | 'finished' | 'aborted' = 'open';

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly o: CleanedSegmentOptions,
  ) {
    this.paths = cleanedSegmentPaths(dir, baseOffset);
    this.offsetIndex = new OffsetIndex(o.fs, this.paths.index, baseOffset, o.maxIndexBytes, o.core);
    this.timeIndex = new TimeIndex(o.fs, this.paths.timeIndex, baseOffset, o.maxIndexBytes, o.core);
    this.nextOffset = baseOffset;
    this.offsetOfMaxTimestampSoFar = baseOffset;
  }

  /**
   * Creates the .log, .index and .timeindex `.cleaned` files empty (a leftover of an earlier cleaning that
   * died is replaced, as Kafka's cleaner does). On failure nothing is left behind.
   */
  static create(dir: string, baseOffset: number, o: CleanedSegmentOptions): CleanedSegmentWriter {
    const w = new CleanedSegmentWriter(dir, baseOffset, o);
    try {
      for (const p of Object.values(w.paths)) if (o.fs.existsSync(p)) o.fs.unlinkSync(p);
      w.logFd = o.fs.openSync(w.paths.log, 'wx+');
      w.indexFd = o.fs.openSync(w.paths.index, 'wx+');
      w.timeIndexFd = o.fs.openSync(w.paths.timeIndex, 'wx+');
    } catch (e) {
      w.abort();
      throw e;
    }
    return w;
  }

  /**
   * Appends cleaned batches (`output` holds exactly `batches`, positions relative to it) at the end of the
   * .log.cleaned and indexes them as LogSegment.append does.
   */
  append(output: Uint8Array, batches: readonly BatchInfo[]): void {
    invariant(this.state === 'open', 'append to an open cleaned segment');
    if (batches.length === 0) {
      invariant(output.byteLength === 0, 'cleaned output without batches is empty');
      return;
    }
    const last = batches[batches.length - 1]!;
    invariant(batches[0]!.position === 0 && last.position + last.size === output.byteLength, 'cleaned batches cover the output');
    invariant(this.size + output.byteLength <= 0x7fffffff, 'cleaned segment positions fit int32');
    let expect = this.nextOffset;
    for (const b of batches) {
      if (!(b.baseOffset >= expect && b.lastOffset >= b.baseOffset)) throw invariantViolation(`cleaned batch offsets strictly increase (${b.baseOffset} after ${expect - 1})`);
      if (b.lastOffset - this.baseOffset > 0x7fffffff) throw invariantViolation(`offset ${b.lastOffset} fits cleaned segment ${this.baseOffset}`);
      expect = b.lastOffset + 1;
    }
    writeFully(this.o.fs, this.logFd, output, this.size);
    if (this.size === 0) this.firstBatchMaxTimestamp = batches[0]!.maxTimestamp;
    for (const b of batches) {
      if (b.maxTimestamp > this.maxTimestampSoFar) {
        this.maxTimestampSoFar = b.maxTimestamp;
        this.offsetOfMaxTimestampSoFar = b.offsetOfMaxTimestamp;
      }
      if (this.bytesSinceLastIndexEntry > this.o.indexIntervalBytes) {
        if (!this.offsetIndex.isFull) this.offsetIndex.append(b.lastOffset, this.size + b.position);
        this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
        this.bytesSinceLastIndexEntry = 0;
      }
      this.bytesSinceLastIndexEntry += b.size;
    }
    this.size += output.byteLength;
    this.nextOffset = expect;
  }

  /**
   * Completes the segment: the final time-index entry, both indexes written trimmed to their entries, the
   * group-end file; then everything synced on the thread pool, all four files at once (fdatasync for the
   * .log, fsync for the rest), and closed. The segment is durable when the promise resolves, with the
   * segment's state for the swap (LogSegment.openCleaned); the cleaning may go on with its next group
   * meanwhile. On a failed sync the promise rejects once every sync settled.
   */
  async finish(endOffset: number): Promise<CleanedSegmentState> {
    invariant(this.state === 'open', 'finish an open cleaned segment');
    invariant(Number.isSafeInteger(endOffset) && endOffset >= this.nextOffset && endOffset > this.baseOffset, `group end ${endOffset} after the cleaned batches (${this.nextOffset})`);
    this.state = 'syncing';
    const fs = this.o.fs;
    try {
      if (this.maxTimestampSoFar >= 0) this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, true);
      this.offsetIndex.rewrite(this.indexFd, false);
      this.timeIndex.rewrite(this.timeIndexFd, false);
      this.groupEndFd = fs.openSync(this.paths.groupEnd, 'wx');
      writeFully(fs, this.groupEndFd, new TextEncoder().encode(`${endOffset}\n`), 0);
      const fsync = (fd: number) => (fs.fsync !== undefined ? fs.fsync(fd) : fs.fdatasync(fd));
      // allSettled: no descriptor is closed while a sync of it may still run.
      const settled = await Promise.allSettled([fsync(this.groupEndFd), fs.fdatasync(this.logFd), fsync(this.indexFd), fsync(this.timeIndexFd)]);
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    } finally {
      this.closeFds();
    }
    this.state = 'finished';
    return {
      nextOffset: this.nextOffset,
      maxTimestamp: this.maxTimestampSoFar,
      offsetOfMaxTimestamp: this.offsetOfMaxTimestampSoFar,
      firstBatchMaxTimestamp: this.firstBatchMaxTimestamp,
      // As a segment's tail walk counts it: from the batch of the last entry (a full index has no new ones).
      bytesSinceLastIndexEntry: this.size - (this.offsetIndex.entries > 0 ? this.offsetIndex.lastEntry().position : 0),
      offsetIndex: this.offsetIndex.entryBytes(),
      timeIndex: this.timeIndex.entryBytes(),
    };
  }

  /** Closes whatever is open and removes every file of the cleaned segment (best effort; never throws). */
  abort(): void {
    this.closeFds();
    this.state = 'aborted';
    removeCleanedSegment(this.o.fs, this.dir, this.baseOffset);
  }

  private closeFds(): void {
    for (const fd of [this.logFd, this.indexFd, this.timeIndexFd, this.groupEndFd]) if (fd >= 0) safely(() => this.o.fs.closeSync(fd));
    this.logFd = this.indexFd = this.timeIndexFd = this.groupEndFd = -1;
  }
}

/** Removes the `.cleaned` files of the segment at `baseOffset`, those that exist (never throws). */
export function removeCleanedSegment(fs: StorageFs, dir: string, baseOffset: number): void {
  discardCleanedFiles(fs, dir, [baseOffset]);
}

function safely(f: () => void): void {
  try {
    f();
  } catch {
    /* best effort */
  }
}
