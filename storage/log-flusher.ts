// A log's flushing (Kafka's flush policy, LocalLog.flush and the roll's "flush-log" task): group commit
// of the active segment by flush.messages / flush.ms, background writeback of the active segment in steps
// and of rolled segments, the directory's fsync, the recovery point, and the acks=all waiters.
//
// Group commit: at most one fdatasync in flight per log; appends arriving meanwhile are covered by the
// next one, so N concurrent acks=all producers cost ~2 fsyncs, not N. Every fsync runs on the thread
// pool; the synchronous flushes are for flush() callers and close().
import { LONG_MAX, type LogConfig } from './config.js';
import { fsyncDir, fsyncInBackground, type StorageFs } from './fs.js';
import { DurableWaiters } from './group-commit.js';
import type { LogSegment } from './segment.js';
import { afterThisTurn, unrefTimer } from './timers.js';

/**
 * With the default flush policy (no fsync asked for), the active segment is still flushed in the background
 * each time this many bytes were appended since the last flush. The kernel would write them back anyway;
 * doing it in steps keeps each fdatasync small, where one fdatasync of a whole rolled segment (1 GiB) held
 * ext4's journal long enough to stall the appends to the next segment for tens to hundreds of ms. It also
 * moves the recovery point along, so an unclean restart has less to validate.
 */
const WRITEBACK_STEP_BYTES = 8 * 1024 * 1024;

/** What the flusher reads of its log, and what it tells the log. */
export interface FlushedLog {
  readonly logEndOffset: number;
  readonly config: LogConfig;
  readonly activeSegment: LogSegment;
  readonly closed: boolean;
  readonly offline: boolean;
  /** A flush failed: dirty pages may be lost, so the log goes offline until reopened. */
  flushFailed(error: unknown): void;
  /** Everything below `offset` is on disk: up to byte `position` of the segment at `segmentBase`. */
  flushed(offset: number, segmentBase: number, position: number): void;
}

export interface LogFlusherOptions {
  fs: StorageFs;
  /** The log's directory. */
  dir: string;
  recoveryPoint: number;
  /** The directory has entries (new log) not yet durable; see LogOptions.dirUnsynced. */
  dirUnsynced: boolean;
  syncParentDir: (() => void) | null;
  /** Called each time the recovery point moves. */
  onRecoveryPointChange?: () => void;
}

export class LogFlusher {
  private readonly fs: StorageFs;
  private readonly dir: string;
  /** Everything below is flushed to disk (Kafka's recovery point). */
  private _recoveryPoint: number;
  /** The directory has entries (new log, new segment) not yet fsynced; done before anything counts as flushed. */
  private dirUnsynced: boolean;
  private syncParentDir: (() => void) | null;
  private readonly onRecoveryPointChange: (() => void) | null;

  private readonly durable = new DurableWaiters();
  private flushScheduled = false;
  private flushInFlight = false;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** fdatasync calls made by group commit (for tests and metrics). */
  flushCount = 0;
  /**
   * Rolled segments whose flush runs in the background, oldest first, and the promise of the newest such
   * flush (they run one after another). The recovery point passes a rolled segment only once it is flushed.
   */
  private readonly rolledUnflushed: LogSegment[] = [];
  private rolledFlush: Promise<void> | null = null;
  /** Segment and byte position the last group-commit flush covered (see WRITEBACK_STEP_BYTES). */
  private flushedSegment: LogSegment | null = null;
  private flushedPos = 0;
  /** Bumped by each truncation: a flush that started before one must not mark offsets that were cut. */
  private truncations = 0;

  constructor(
    private readonly log: FlushedLog,
    o: LogFlusherOptions,
  ) {
    this.fs = o.fs;
    this.dir = o.dir;
    this._recoveryPoint = o.recoveryPoint;
    this.dirUnsynced = o.dirUnsynced;
    this.syncParentDir = o.syncParentDir;
    this.onRecoveryPointChange = o.onRecoveryPointChange ?? null;
  }

  get recoveryPoint(): number {
    return this._recoveryPoint;
  }

  /** True when the flush policy never asks for an explicit fsync (Kafka's defaults): HW = LEO at once. */
  get pageCacheDurable(): boolean {
    const c = this.log.config;
    return c['flush.messages'] >= LONG_MAX && c['flush.ms'] >= LONG_MAX;
  }

  // ---- durability waiters ---------------------------------------------------------------------------

  /** Resolves once the high watermark passes `offset`. */
  waitDurable(offset: number, highWatermark: number): Promise<void> {
    return this.durable.wait(offset, highWatermark);
  }
  /** The high watermark moved to `offset`: the waiters below it are done. */
  durableUpTo(offset: number): void {
    this.durable.advance(offset);
  }
  failWaiters(e: Error): void {
    this.durable.failAll(e);
  }

  // ---- group commit ---------------------------------------------------------------------------------

  /** After an append moved the log end: a flush by the policy, or a writeback step of the active segment. */
  afterAppend(): void {
    if (!this.pageCacheDurable) return this.afterUnflushedAppend();
    const seg = this.log.activeSegment;
    if (seg.size - this.flushedPosition(seg) >= WRITEBACK_STEP_BYTES) this.requestFlush();
  }

  private afterUnflushedAppend(): void {
    const c = this.log.config;
    if (this.log.logEndOffset - this._recoveryPoint >= c['flush.messages']) this.requestFlush();
    else if (c['flush.ms'] < LONG_MAX && this.flushTimer === null) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        this.requestFlush();
      }, c['flush.ms']);
      unrefTimer(this.flushTimer);
    }
  }

  /** At most one fdatasync in flight; requests meanwhile are served by the next one. */
  private requestFlush(): void {
    if (this.flushScheduled || this.log.closed || this.log.offline) return;
    this.flushScheduled = true;
    // Let the rest of this turn's appends join the same fdatasync.
    afterThisTurn(() => {
      this.flushScheduled = false;
      void this.runFlush();
    });
  }

  private async runFlush(): Promise<void> {
    const log = this.log;
    if (this.flushInFlight || log.closed || log.offline) return;
    const target = log.logEndOffset;
    if (target <= this._recoveryPoint) return;
    const seg = log.activeSegment;
    const position = seg.size;
    const truncations = this.truncations;
    this.flushInFlight = true;
    const writes = seg.ioStarted();
    try {
      // The target may lie past segments rolled and still being flushed: they go first.
      if (this.rolledFlush !== null) await this.rolledFlush;
      if (log.closed || log.offline) return;
      this.flushCount++;
      await this.fs.fdatasync(seg.logFd);
      seg.logSynced(writes);
      if (this.dirUnsynced && !log.closed) await this.syncDirInBackground();
    } catch (e) {
      log.flushFailed(e);
      return;
    } finally {
      seg.ioDone();
      this.flushInFlight = false;
    }
    if (log.closed) return;
    if (truncations !== this.truncations) {
      if (log.logEndOffset > this._recoveryPoint) this.requestFlush();
      return;
    }
    this.stop();
    this.flushedSegment = seg;
    this.flushedPos = position;
    this.markFlushed(target, seg.baseOffset, position);
    if (log.logEndOffset > this._recoveryPoint && !this.pageCacheDurable) this.afterUnflushedAppend();
  }

  private flushedPosition(seg: LogSegment): number {
    return this.flushedSegment === seg ? this.flushedPos : 0;
  }

  /** Cancels a pending flush.ms timer (close, offline, or a flush that just covered it). */
  stop(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  // ---- rolled segments ------------------------------------------------------------------------------

  /** A roll created a directory entry: the directory is fsynced before anything past it counts as flushed. */
  markDirUnsynced(): void {
    this.dirUnsynced = true;
  }

  /**
   * Flushes a rolled segment without holding up appends, as Kafka's roll schedules its "flush-log" task: an
   * fdatasync of a full segment (1 GiB by default) takes seconds here, and done inline it stopped the broker
   * for that long. The heavy part (the .log's fdatasync) runs on the thread pool; the index files and the
   * directory, small once the data is down, are synced after it. Then the recovery point (and, under a flush
   * policy, the high watermark) moves to `upTo`, the new segment's base. flushAllSync() syncs what is still pending.
   */
  segmentRolled(seg: LogSegment, upTo: number): void {
    this.rolledUnflushed.push(seg);
    const before = this.rolledFlush;
    const writes = seg.ioStarted();
    const log = this.log;
    const truncations = this.truncations;
    const run = async (): Promise<void> => {
      try {
        if (before !== null) await before;
        if (log.closed || log.offline) return;
        await this.fs.fdatasync(seg.logFd);
        if (log.closed || log.offline) return;
        seg.logSynced(writes);
        // Indexes (the .log is synced: no second fdatasync) and the directory, also off the main thread; a
        // segment retention removed meanwhile is done.
        if (!seg.isDeleted) await seg.flushIndexesInBackground();
        if (log.closed || log.offline) return;
        await this.syncDirInBackground();
      } catch (e) {
        if (!log.closed) log.flushFailed(e);
        return;
      } finally {
        seg.ioDone();
      }
      const i = this.rolledUnflushed.indexOf(seg);
      if (i >= 0) this.rolledUnflushed.splice(i, 1);
      if (truncations === this.truncations) this.markFlushed(upTo, upTo, 0);
    };
    const p = run();
    this.rolledFlush = p;
    void p.finally(() => {
      if (this.rolledFlush === p) this.rolledFlush = null;
    });
  }

  /**
   * The log was truncated to `offset` (`restart`: emptied and started over there): the recovery point comes
   * down to it (or is set to it on a restart), waiters for offsets past it fail,
   * deleted segments leave the pending list, and flushes in flight will not mark what they started with.
   */
  truncated(offset: number, restart: boolean, waiterError: Error): void {
    this.truncations++;
    this.durable.failFrom(restart ? 0 : offset, waiterError);
    for (let i = this.rolledUnflushed.length - 1; i >= 0; i--) if (this.rolledUnflushed[i]!.isDeleted) this.rolledUnflushed.splice(i, 1);
    this.flushedSegment = null;
    this.flushedPos = 0;
    if (this._recoveryPoint > offset || (restart && this._recoveryPoint !== offset)) {
      this._recoveryPoint = offset;
      this.onRecoveryPointChange?.();
    }
  }

  /** Resolves once the rolled segments pending at the call are flushed (or their flush failed). */
  whenRolledFlushed(): Promise<void> {
    return this.rolledFlush ?? Promise.resolve();
  }

  // ---- synchronous flush ----------------------------------------------------------------------------

  /**
   * Flushes now, on this thread: the rolled segments whose background flush is still pending, the active
   * segment (its indexes trimmed first when `trimActive`, as a close does) and the directory. Throws the
   * file layer's error; the caller then marks what it flushed with markFlushed().
   */
  flushAllSync(trimActive: boolean): void {
    for (const seg of this.rolledUnflushed) if (!seg.isDeleted) seg.flushSync();
    this.rolledUnflushed.length = 0;
    const active = this.log.activeSegment;
    if (trimActive) active.onBecomeInactive();
    active.flushSync();
    this.syncDir();
  }

  /** Everything below `offset` is on disk: the recovery point moves, and the log's high watermark with it. */
  markFlushed(offset: number, segmentBase: number, position: number): void {
    if (offset > this._recoveryPoint) {
      this._recoveryPoint = offset;
      this.onRecoveryPointChange?.();
    }
    this.log.flushed(offset, segmentBase, position);
  }

  // ---- the directory --------------------------------------------------------------------------------

  /** syncDir() with the directory's fsync on the thread pool (a roll's background flush, group commit). */
  private async syncDirInBackground(): Promise<void> {
    if (!this.dirUnsynced) return;
    this.dirUnsynced = false; // a roll meanwhile marks it again for the next flush
    try {
      await fsyncInBackground(this.fs, this.dir, true);
    } catch (e) {
      this.dirUnsynced = true;
      throw e;
    }
    this.syncParentDir?.();
    this.syncParentDir = null;
  }

  /** fsyncs the log's directory (and, for a new log, its parent) if it has entries not yet durable. */
  private syncDir(): void {
    if (!this.dirUnsynced) return;
    fsyncDir(this.fs, this.dir);
    this.syncParentDir?.();
    this.syncParentDir = null;
    this.dirUnsynced = false;
  }
}
