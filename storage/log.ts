// A partition's log (Kafka's UnifiedLog + LocalLog): segments, offsets, appends through the core, fetch
// reads as file ranges, ListOffsets, DeleteRecords, rolls and retention. Flushing (the flush policy,
// group commit, the recovery point) is log-flusher.ts's; the offline state after a disk error is
// log-offline.ts's.
import type { LogConfig } from './config.js';
import type { BatchInfo, StorageCore } from './core-port.js';
import { ErrorCode, StorageError, invariant } from './errors.js';
import { fsyncDir, fsyncInBackground, type StorageFs } from './fs.js';
import type { CleanJob, CleanJobResult, CleanedGroup } from './cleaner/clean-job.js';
import { SWAP_SUFFIX, cleanedFilePath, discardCleanedFiles } from './cleaner/cleaned-files.js';
import { commitSwap, finishSwap } from './cleaner/segment-swap.js';
import { DataWaiters } from './group-commit.js';
import { LeaderEpochFileCache, type EpochEndOffset, type EpochEntry } from './leader-epoch-cache.js';
import { loadLeaderEpochCache } from './leader-epoch-load.js';
import { LogFlusher, type FlushedLog } from './log-flusher.js';
import { LogOfflineState, offlineReasonOf, type OfflineReason } from './log-offline.js';
import { loadSegments } from './recovery.js';
import { ProducerStateManager, readProducerBatchHeader, type ReplayStats } from './producer-state.js';
import { deleteSnapshot, listSnapshots, loadProducerState, writeSnapshot, type ProducerStateLoad } from './producer-snapshot.js';
import { FileRange, LogSegment, type SegmentOptions } from './segment.js';

export interface AppendInfo {
  firstOffset: number;
  lastOffset: number;
  /** LogAppendTime given to the batches, or -1 (CreateTime). */
  logAppendTime: number;
  maxTimestamp: number;
  logStartOffset: number;
  batchCount: number;
  recordCount: number;
  bytes: number;
}

export type Isolation = 'high_watermark' | 'log_end';

/**
 * What the high watermark follows. 'durable' (a single broker): the offset the flush policy made durable.
 * 'replicated' (a partition of a cluster): whatever the partition layer sets with updateHighWatermark.
 */
export type HighWatermarkMode = 'durable' | 'replicated';

export interface AppendOptions {
  /** >= 0: stamp this leader epoch on every batch (a leader's append) and record it in the epoch cache. */
  leaderEpoch?: number;
}

/** Batches a follower append may carry (a replica fetch response's records for one partition). */
const MAX_FOLLOWER_BATCHES = 1 << 20;

export interface FetchData {
  /** Whole batches as stored, or null when there is nothing to return from this offset (yet). */
  records: FileRange | null;
  highWatermark: number;
  logStartOffset: number;
  logEndOffset: number;
}

/** ListOffsets special timestamps (Kafka's ListOffsetsRequest constants). */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;
export const EARLIEST_LOCAL_TIMESTAMP = -4;

export interface OffsetAndTimestamp {
  offset: number;
  timestamp: number;
}

export type { OfflineReason };

export interface LogOptions {
  topic: string;
  partition: number;
  dir: string;
  config: LogConfig;
  fs: StorageFs;
  core: StorageCore;
  /** Wall clock in ms (injectable for roll/retention tests). */
  now?: () => number;
  clean: boolean;
  recoveryPoint: number;
  logStartOffset: number;
  /** How long after ENOSPC an append may probe the disk again (log.storage.retry.backoff.ms). */
  retryBackoffMs?: number;
  /** Called when the log start offset moves (DeleteRecords, retention), so it can be checkpointed. */
  onLogStartOffsetChange?: (log: Log) => void;
  /** Called when a segment's files are renamed `.deleted` (the manager removes them after file.delete.delay.ms). */
  onSegmentsDeleted?: (log: Log, segments: LogSegment[]) => void;
  /** Called after truncateTo/truncateFullyAndStartAt removed records from `offset` on (the cleaner's checkpoint follows). */
  onTruncated?: (log: Log, offset: number) => void;
  /** producer.id.expiration.ms: producers in a snapshot older than this are not loaded (default Kafka's 1 day). */
  producerIdExpirationMs?: number;
  /**
   * A new partition directory whose entry (and its parent's) is not yet durable: it is fsynced, with
   * `syncParentDir`, at the log's first flush rather than at creation (Kafka's LocalLog.flush flushes the
   * directory too when new segments are covered), so creating 10,000 partitions costs no fsyncs.
   */
  dirUnsynced?: boolean;
  /** Makes the parent (log) directory's entry for this log durable (the manager does it once for many logs). */
  syncParentDir?: () => void;
  /** Called each time the recovery point moves (a host that keeps it elsewhere than the manager's checkpoint). */
  onRecoveryPointChange?: (log: Log) => void;
  /**
   * Whether the producer state is kept (default true). A host without idempotent producers sets false: no
   * producer snapshot files, no replay of the log at open.
   */
  producerState?: boolean;
}

/** How the producer state was loaded (a snapshot, then a replay of the log after it). */
export interface ProducerStateLoadStats {
  /** Offset of the snapshot loaded, -1 if none (rebuilt from the log start). */
  snapshotOffset: number;
  corruptSnapshots: number;
  replay: ReplayStats;
}

export class Log {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  private _config: LogConfig;
  private readonly fs: StorageFs;
  readonly core: StorageCore;
  private readonly now: () => number;
  private readonly hooks: Pick<LogOptions, 'onLogStartOffsetChange' | 'onSegmentsDeleted' | 'onTruncated'>;
  /** Bumped whenever segments leave the list (retention, DeleteRecords, truncation, a swap) and at close. */
  private _generation = 0;
  /** The directory fsync after the last swap (on the thread pool). */
  private swapDirSync: Promise<void> = Promise.resolve();

  private segments: LogSegment[];
  private _logStartOffset: number;
  private _logEndOffset: number;
  private _highWatermark: number;
  /** Where the high watermark is in the files: segment base and byte position in it. */
  private hwSegmentBase: number;
  private hwPosition: number;
  private hwMode: HighWatermarkMode = 'durable';
  /** What the flush policy made durable (the high watermark in 'durable' mode), and where it is in the files. */
  private _durableOffset: number;
  private durableSegmentBase: number;
  private durablePosition: number;
  private durableListeners: ((durableOffset: number) => void)[] | null = null;
  /** Leader epoch → first offset (leader-epoch-checkpoint). */
  private readonly epochCache: LeaderEpochFileCache;
  private readonly producerIdExpirationMs: number;

  private readonly dataWaiters = new DataWaiters();
  private readonly flusher: LogFlusher;
  private readonly offline: LogOfflineState;
  private closed = false;
  readonly loadStats: { truncatedBytes: number; recoveredSegments: number; removedSegments: number; producerState: ProducerStateLoadStats };

  /** Idempotent producers of this partition (producer-state.ts); every appended batch with a producer id is recorded. */
  readonly producerState: ProducerStateManager;
  /** LogOptions.producerState: false = no producer state kept (nor snapshots written). */
  private readonly keepsProducerState: boolean;
  /** Offset of the newest producer snapshot on disk (-1: none), so close() does not rewrite an identical one. */
  private lastSnapshotOffset = -1;

  constructor(o: LogOptions) {
    this.topic = o.topic;
    this.partition = o.partition;
    this.dir = o.dir;
    this._config = o.config;
    this.fs = o.fs;
    this.core = o.core;
    this.now = o.now ?? Date.now;
    this.hooks = { onLogStartOffsetChange: o.onLogStartOffsetChange, onSegmentsDeleted: o.onSegmentsDeleted, onTruncated: o.onTruncated };
    this.offline = new LogOfflineState(`${o.topic}-${o.partition}`, this.now, o.retryBackoffMs ?? 1000);
    const loaded = loadSegments({
      dir: o.dir,
      segmentOptions: this.segmentOptions(),
      clean: o.clean,
      recoveryPoint: o.recoveryPoint,
      logStartOffset: o.logStartOffset,
      maxBatchBytes: o.config['max.message.bytes'],
      nowMs: this.now(),
    });
    this.segments = loaded.segments;
    this._logStartOffset = loaded.logStartOffset;
    this._logEndOffset = this.active.nextOffset;
    const onRecoveryPointChange = o.onRecoveryPointChange;
    this.flusher = new LogFlusher(this.flushedView(), {
      fs: o.fs,
      dir: o.dir,
      recoveryPoint: loaded.recoveryPoint,
      dirUnsynced: o.dirUnsynced ?? false,
      syncParentDir: o.syncParentDir ?? null,
      onRecoveryPointChange: onRecoveryPointChange && (() => onRecoveryPointChange(this)),
    });
    // What is on disk at open is as durable as it will get: the high watermark starts at the log end.
    this._highWatermark = this._durableOffset = this._logEndOffset;
    this.hwSegmentBase = this.durableSegmentBase = this.active.baseOffset;
    this.hwPosition = this.durablePosition = this.active.size;
    this.epochCache = loadLeaderEpochCache(o.fs, o.dir, this.segments, this._logStartOffset, this._logEndOffset);
    this.keepsProducerState = o.producerState ?? true;
    this.producerIdExpirationMs = o.producerIdExpirationMs ?? 86_400_000;
    const p = this.loadProducerState(this.producerIdExpirationMs);
    this.producerState = p.state;
    this.lastSnapshotOffset = p.snapshotOffset;
    this.loadStats = {
      truncatedBytes: loaded.truncatedBytes,
      recoveredSegments: loaded.recoveredSegments,
      removedSegments: loaded.removedSegments,
      producerState: { snapshotOffset: p.snapshotOffset, corruptSnapshots: p.corruptSnapshots.length, replay: p.replay },
    };
    // What recovery kept is flushed (loadSegments), so a snapshot at the log end is safe; it spares the next
    // start this replay.
    if (p.replay.batches > 0) this.takeProducerSnapshot(false);
  }

  /** Producer state: the newest snapshot, then the log after it (only that part is read). */
  private loadProducerState(expirationMs: number): ProducerStateLoad {
    if (!this.keepsProducerState) {
      const replay = { fromOffset: this._logStartOffset, batches: 0, bytes: 0 };
      return { state: new ProducerStateManager(this.now), snapshotOffset: -1, corruptSnapshots: [], replay };
    }
    return loadProducerState({ fs: this.fs, dir: this.dir, log: this, segmentBases: this.segmentBaseOffsets(), now: this.now, expirationMs });
  }

  /** What the flusher sees of this log. */
  private flushedView(): FlushedLog {
    const log = this;
    return {
      get logEndOffset() {
        return log._logEndOffset;
      },
      get config() {
        return log._config;
      },
      get activeSegment() {
        return log.active;
      },
      get closed() {
        return log.closed;
      },
      get offline() {
        return log.offline.isOffline;
      },
      flushFailed: (e) => this.goOffline('io', e),
      flushed: (offset, segmentBase, position) => this.advanceDurable(offset, segmentBase, position),
    };
  }

  private segmentOptions(): SegmentOptions {
    return { fs: this.fs, core: this.core, maxIndexBytes: this._config['segment.index.bytes'], indexIntervalBytes: this._config['index.interval.bytes'] };
  }

  // ---- state ----------------------------------------------------------------------------------------

  get config(): LogConfig {
    return this._config;
  }
  /** New topic config (segment sizes apply from the next roll; index size from the next segment). */
  updateConfig(c: LogConfig): void {
    this._config = c;
  }
  get logStartOffset(): number {
    return this._logStartOffset;
  }
  get logEndOffset(): number {
    return this._logEndOffset;
  }
  get highWatermark(): number {
    return this._highWatermark;
  }
  get recoveryPoint(): number {
    return this.flusher.recoveryPoint;
  }
  get isOffline(): boolean {
    return this.offline.isOffline;
  }
  get offlineReason(): OfflineReason | null {
    return this.offline.reason;
  }
  /** fdatasync calls made by group commit (for tests and metrics). */
  get flushCount(): number {
    return this.flusher.flushCount;
  }
  /**
   * Changes whenever segments leave the list other than by appends and rolls (retention, DeleteRecords,
   * truncation, a cleaning's swap) and when the log closes: a cleaning made at one generation is swapped in
   * only at the same one (replaceSegments).
   */
  get generation(): number {
    return this._generation;
  }
  get isClosed(): boolean {
    return this.closed;
  }
  get segmentCount(): number {
    return this.segments.length;
  }
  /** Segment base offsets, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }
  get size(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }
  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }
  /** Read-only view for retention and tests. */
  get segmentList(): readonly LogSegment[] {
    return this.segments;
  }

  // ---- append ---------------------------------------------------------------------------------------

  /**
   * Appends a Produce partition's record bytes: copied once into the core's memory, validated and given
   * offsets there in one pass, written to the active segment straight from that memory. Throws
   * StorageError with the Kafka error code for the partition (CORRUPT_MESSAGE, MESSAGE_TOO_LARGE,
   * KAFKA_STORAGE_ERROR, ...). acks=all callers then `await log.waitDurable(info.lastOffset)`.
   */
  append(records: Uint8Array, opts?: AppendOptions): AppendInfo {
    this.checkWritable();
    return this.appendStaged(this.core.stage(records), opts);
  }

  /** As append(), for bytes the caller already placed in the core's memory (core.region()/stage()). */
  appendStaged(view: Uint8Array, opts?: AppendOptions): AppendInfo {
    this.checkWritable();
    const now = this.now();
    const logAppendTime = this._config['message.timestamp.type'] === 'LogAppendTime' ? now : -1;
    const length = view.byteLength;
    const epoch = opts?.leaderEpoch ?? -1;
    // A compacted topic refuses records without a key (Kafka's INVALID_RECORD): the cleaner could never keep them.
    const requireKey = this._config['cleanup.policy'].includes('compact');
    const r = this.core.assign(view, { nextOffset: this._logEndOffset, logAppendTimeMs: logAppendTime, maxBatchBytes: this._config['max.message.bytes'], leaderEpoch: epoch, requireKey });
    if (!r.ok) throw new StorageError(r.errorCode, r.message);
    invariant(view.byteLength === length, 'staged view still attached after assign (no memory growth in between)');
    const batches = r.batches;
    if (batches.length === 0) throw new StorageError(ErrorCode.CORRUPT_MESSAGE, 'no record batches');
    invariant(batches[0]!.baseOffset === this._logEndOffset, `core assigned from the log end (${batches[0]!.baseOffset} vs ${this._logEndOffset})`);
    const info = this.commitAppend(view, batches, logAppendTime, now);
    if (epoch >= 0 && epoch > this.epochCache.latestEpoch) this.epochCache.assign(epoch, info.firstOffset);
    return info;
  }

  /**
   * A follower's append (Kafka's appendAsFollower): the leader's batches as fetched, staged once into the core
   * and validated there (structure and CRC), their offsets and leader epochs kept. The first batch must start
   * at the log end (else OFFSET_OUT_OF_RANGE: a replica fetch bug), max.message.bytes does not apply, an
   * invalid batch is CORRUPT_MESSAGE with nothing appended; a trailing incomplete batch is left for the next
   * fetch. Each batch's leader epoch newer than the cache's latest is recorded at its base offset.
   */
  appendAsFollower(records: Uint8Array): AppendInfo {
    this.checkWritable();
    const now = this.now();
    const staged = this.core.stage(records);
    const scan = this.core.scan(staged, MAX_FOLLOWER_BATCHES);
    if (scan.stop === 'invalid') throw new StorageError(ErrorCode.CORRUPT_MESSAGE, `replicated record batch ${scan.batches.length} at byte ${scan.validBytes} is invalid`);
    const batches = scan.batches;
    if (batches.length === 0) {
      if (scan.stop === 'partial') throw new StorageError(ErrorCode.CORRUPT_MESSAGE, `replicated records hold no whole batch (${records.byteLength} bytes)`);
      return this.emptyAppendInfo();
    }
    invariant(scan.stop !== 'end' || scan.validBytes === staged.byteLength, 'a complete scan covers the records');
    this.checkFollowerOffsets(batches);
    const view = scan.validBytes === staged.byteLength ? staged : staged.subarray(0, scan.validBytes);
    const info = this.commitAppend(view, batches, -1, now);
    for (const b of batches) if (b.leaderEpoch >= 0 && b.leaderEpoch > this.epochCache.latestEpoch) this.epochCache.assign(b.leaderEpoch, b.baseOffset);
    return info;
  }

  /**
   * Replicated batches continue the log: none below the log end, none going backwards. The first may start
   * past the log end (Kafka allows it too): a leader's compacted log has gaps where a cleaning removed batches,
   * so a replica fetching from its log end may get the next batch kept after it.
   */
  private checkFollowerOffsets(batches: readonly BatchInfo[]): void {
    const first = batches[0]!;
    if (first.baseOffset < this._logEndOffset)
      throw new StorageError(ErrorCode.OFFSET_OUT_OF_RANGE, `replicated batch starts at ${first.baseOffset}, below the log end ${this._logEndOffset}`);
    let next = this._logEndOffset;
    for (const b of batches) {
      if (b.baseOffset < next || b.lastOffset < b.baseOffset)
        throw new StorageError(ErrorCode.OFFSET_OUT_OF_RANGE, `replicated batch ${b.baseOffset}..${b.lastOffset} goes backwards (expected >= ${next})`);
      next = b.lastOffset + 1;
    }
  }

  private emptyAppendInfo(): AppendInfo {
    const end = this._logEndOffset;
    return { firstOffset: end, lastOffset: end - 1, logAppendTime: -1, maxTimestamp: -1, logStartOffset: this._logStartOffset, batchCount: 0, recordCount: 0, bytes: 0 };
  }

  /** The part of an append after the core: roll, segment write, log end, producer state, flush policy. */
  private commitAppend(view: Uint8Array, batches: readonly BatchInfo[], logAppendTime: number, now: number): AppendInfo {
    const first = batches[0]!;
    const last = batches[batches.length - 1]!;
    invariant(last.position + last.size === view.byteLength, 'batches fill the appended bytes');
    let maxTimestamp = -1;
    let records = 0;
    for (const b of batches) {
      if (b.maxTimestamp > maxTimestamp) maxTimestamp = b.maxTimestamp;
      records += b.recordCount;
    }
    try {
      this.maybeRoll(view.byteLength, maxTimestamp, last.lastOffset, now);
      this.active.append(view, batches);
    } catch (e) {
      throw this.ioFailure(e, 'append');
    }
    this._logEndOffset = last.lastOffset + 1;
    this.recordProducerBatches(view, batches, now);
    if (this.flusher.pageCacheDurable) this.advanceDurable(this._logEndOffset, this.active.baseOffset, this.active.size);
    this.flusher.afterAppend();
    return {
      firstOffset: first.baseOffset,
      lastOffset: last.lastOffset,
      logAppendTime,
      maxTimestamp,
      logStartOffset: this._logStartOffset,
      batchCount: batches.length,
      recordCount: records,
      bytes: view.byteLength,
    };
  }

  /** Every appended batch with a producer id goes into the producer state (the Produce handler checked it first). */
  private recordProducerBatches(view: Uint8Array, batches: readonly BatchInfo[], now: number): void {
    if (!this.keepsProducerState) return;
    for (const b of batches) {
      // Fast path: no producer id (-1, sign bit set in the first byte of the int64 at header offset 43).
      if ((view[b.position + 43]! & 0x80) !== 0) continue;
      const h = readProducerBatchHeader(view, b.position);
      if (h !== null) this.producerState.record(h.batch, b.baseOffset, b.lastOffset, b.maxTimestamp, now);
    }
  }

  /** Kafka's maybeRoll: size, time, full indexes, or offsets that no longer fit the segment. */
  private maybeRoll(appendBytes: number, maxTimestamp: number, lastOffset: number, now: number): void {
    if (this.rollReason(appendBytes, maxTimestamp, lastOffset, now) !== null) this.roll(now);
  }

  /**
   * Whether an append of `appendBytes` ending at `lastOffset` starts a new segment first: for a host whose
   * file layer opens files asynchronously, so it prepares the new segment's files before appending.
   */
  rollsBefore(appendBytes: number, lastOffset: number, maxTimestamp = -1, now = this.now()): boolean {
    return this.rollReason(appendBytes, maxTimestamp, lastOffset, now) !== null;
  }

  private rollReason(appendBytes: number, maxTimestamp: number, lastOffset: number, now: number): string | null {
    const s = this.active;
    if (s.isEmpty) return null;
    const c = this._config;
    const rollMs = c['segment.ms'] - this.rollJitter(s);
    const basis = s.rollingBasedTimestamp >= 0 && maxTimestamp >= 0 ? maxTimestamp - s.rollingBasedTimestamp : now - s.createdMs;
    if (s.size > c['segment.bytes'] - appendBytes) return 'size';
    if (basis > rollMs) return 'time';
    if (s.offsetIndex.isFull || s.timeIndex.isFull) return 'index full';
    return lastOffset - s.baseOffset > 0x7fffffff ? 'offset overflow' : null;
  }

  private readonly jitters = new WeakMap<LogSegment, number>();
  /** Kafka's segment.jitter.ms: a random amount per segment taken off segment.ms. */
  private rollJitter(s: LogSegment): number {
    const max = Math.min(this._config['segment.jitter.ms'], this._config['segment.ms']);
    if (max <= 0) return 0;
    let j = this.jitters.get(s);
    if (j === undefined) this.jitters.set(s, (j = Math.floor(Math.random() * max)));
    return j;
  }

  /** Starts a new active segment at the log end; the old one is trimmed and flushed. */
  roll(now = this.now()): void {
    this.checkWritable(); // never roll garbage left by a failed write into an inactive segment
    const old = this.active;
    if (old.isEmpty) return;
    const fresh = LogSegment.create(this.dir, this._logEndOffset, this.segmentOptions(), now);
    this.flusher.markDirUnsynced();
    try {
      old.onBecomeInactive();
    } catch (e) {
      fresh.close();
      for (const p of [fresh.logPath, fresh.indexPath, fresh.timeIndexPath]) {
        try {
          this.fs.unlinkSync(p);
        } catch {
          /* best effort */
        }
      }
      throw e;
    }
    old.releaseIndexFds();
    this.segments.push(fresh);
    this.flusher.segmentRolled(old, fresh.baseOffset);
    // Kafka snapshots the producer state at every roll, named after the new segment's base offset.
    this.takeProducerSnapshot(false);
  }

  /** Resolves once the rolled segments pending at the call are flushed (or their flush failed). Tests. */
  whenRolledFlushed(): Promise<void> {
    return this.flusher.whenRolledFlushed();
  }

  // ---- producer state snapshots ---------------------------------------------------------------------

  /**
   * Writes the producer state as `<log end offset>.snapshot` (producer-snapshot.ts). A failure is not an
   * append failure: the snapshot is a cache, and the next load replays more of the log instead.
   */
  takeProducerSnapshot(sync: boolean): boolean {
    const at = this._logEndOffset;
    if (at === this.lastSnapshotOffset || !this.keepsProducerState) return true;
    try {
      writeSnapshot(this.fs, this.dir, at, this.producerState, sync);
      this.lastSnapshotOffset = at;
      return true;
    } catch {
      return false;
    }
  }

  /** Offsets of this partition's producer snapshot files (tests, tools). */
  producerSnapshotOffsets(): number[] {
    return listSnapshots(this.fs, this.dir);
  }

  /** Drops producers with no write for producer.id.expiration.ms (the manager's periodic check). */
  removeExpiredProducers(expirationMs: number, nowMs = this.now()): number {
    return this.producerState.removeExpired(expirationMs, nowMs);
  }

  // ---- flush / durability ---------------------------------------------------------------------------

  /** Resolves once `offset` is durable by the flush policy (durableOffset passed it). */
  waitDurable(offset: number): Promise<void> {
    if (this.offline.isOffline) return Promise.reject(this.offline.error());
    return this.flusher.waitDurable(offset, this._durableOffset);
  }

  /** Flushes everything now (synchronously): shutdown, tests, `log.flush()` callers. */
  flush(): void {
    if (this.offline.isOffline || this._logEndOffset <= this.flusher.recoveryPoint) return;
    try {
      this.flusher.flushAllSync(false);
    } catch (e) {
      this.goOffline('io', e);
      throw this.offline.error();
    }
    this.flusher.markFlushed(this._logEndOffset, this.active.baseOffset, this.active.size);
  }

  /** The flush policy made everything below `offset` durable (up to byte `position` of segment `segmentBase`). */
  private advanceDurable(offset: number, segmentBase: number, position: number): void {
    if (offset <= this._durableOffset) return;
    invariant(offset <= this._logEndOffset, 'durable offset <= log end offset');
    this._durableOffset = offset;
    this.durableSegmentBase = segmentBase;
    this.durablePosition = position;
    this.flusher.durableUpTo(offset);
    if (this.hwMode === 'durable') this.setHighWatermark(offset, segmentBase, position);
    if (this.durableListeners !== null) for (const l of this.durableListeners) l(offset);
  }

  private setHighWatermark(offset: number, segmentBase: number, position: number): void {
    const advanced = offset > this._highWatermark;
    this._highWatermark = offset;
    this.hwSegmentBase = segmentBase;
    this.hwPosition = position;
    if (advanced) this.dataWaiters.notify(offset);
  }

  // ---- high watermark modes -------------------------------------------------------------------------

  /** What the flush policy made durable (= the high watermark in 'durable' mode). */
  get durableOffset(): number {
    return this._durableOffset;
  }
  get highWatermarkMode(): HighWatermarkMode {
    return this.hwMode;
  }
  /** Calls `listener(durableOffset)` each time the durable offset moves; returns unsubscribe. */
  onDurableOffset(listener: (durableOffset: number) => void): () => void {
    const list = (this.durableListeners ??= []);
    invariant(list.length < 1024, 'durable offset listeners bounded');
    list.push(listener);
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0 && this.durableListeners === list) this.durableListeners = null;
    };
  }

  /**
   * 'durable': the high watermark follows the durable offset again (it moves to it at once, possibly back).
   * 'replicated': it stays where it is, or at `highWatermark` (clamped to [log start, log end]) when given,
   * and from then on moves only through updateHighWatermark() (and truncation). Waiters are kept either way.
   */
  setHighWatermarkMode(mode: HighWatermarkMode, highWatermark?: number): void {
    this.checkReadable();
    this.hwMode = mode;
    if (mode === 'durable') return this.setHighWatermark(this._durableOffset, this.durableSegmentBase, this.durablePosition);
    if (highWatermark === undefined) return;
    const target = this.clampToLog(highWatermark);
    const at = this.filePositionOf(target);
    this.setHighWatermark(target, at.segmentBase, at.position);
  }

  /**
   * 'replicated' mode: moves the high watermark up to `offset` (clamped to [log start, log end]; never back),
   * wakes the fetches waiting for data below it, and returns the high watermark.
   */
  updateHighWatermark(offset: number): number {
    invariant(this.hwMode === 'replicated', 'updateHighWatermark in replicated mode only');
    this.checkReadable();
    const target = this.clampToLog(offset);
    if (target <= this._highWatermark) return this._highWatermark;
    const at = this.filePositionOf(target);
    this.setHighWatermark(target, at.segmentBase, at.position);
    return target;
  }

  private clampToLog(offset: number): number {
    invariant(Number.isSafeInteger(offset), `offset ${offset}`);
    return Math.min(Math.max(offset, this._logStartOffset), this._logEndOffset);
  }

  /**
   * Where reads below `offset` end: the start of the batch holding it (a batch boundary in practice), found
   * through the offset index and a short header walk (no scan of the log).
   */
  private filePositionOf(offset: number): { segmentBase: number; position: number } {
    if (offset === this._logEndOffset) return { segmentBase: this.active.baseOffset, position: this.active.size };
    const i = this.floorSegment(offset);
    const s = this.segments[i]!;
    if (offset <= s.baseOffset) return { segmentBase: s.baseOffset, position: 0 };
    let hit: ReturnType<LogSegment['translateOffset']>;
    try {
      hit = s.translateOffset(offset, s.size);
    } catch (e) {
      throw this.ioFailure(e, 'read');
    }
    if (hit !== null) return { segmentBase: s.baseOffset, position: hit.position };
    const next = this.segments[i + 1];
    invariant(next !== undefined, `offset ${offset} below the log end lies in a segment`);
    return { segmentBase: next.baseOffset, position: 0 };
  }

  // ---- leader epochs --------------------------------------------------------------------------------

  /** The newest leader epoch in the epoch cache, -1 if none. */
  get latestEpoch(): number {
    return this.epochCache.latestEpoch;
  }
  /** OffsetForLeaderEpoch: the largest known epoch <= `epoch` and where it ended (Kafka's endOffsetFor). */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.epochCache.endOffsetFor(epoch, this._logEndOffset);
  }
  /** The epoch cache's entries, oldest first (a copy). */
  epochEntries(): EpochEntry[] {
    return this.epochCache.epochEntries();
  }
  /** A leader taking over records that `epoch` starts at `startOffset` (its log end); ignored if not newer. */
  maybeAssignEpochStartOffset(epoch: number, startOffset: number): void {
    this.checkWritable();
    if (epoch > this.epochCache.latestEpoch) this.epochCache.assign(epoch, startOffset);
  }

  // ---- long poll ------------------------------------------------------------------------------------

  /** Resolves true when data at or after `offset` is readable (HW > offset), false after timeoutMs. */
  waitForData(offset: number, timeoutMs: number): Promise<boolean> {
    return this.dataWaiters.wait(offset, this._highWatermark, timeoutMs);
  }
  /** Calls `listener(highWatermark)` on every advance; returns unsubscribe. */
  onHighWatermark(listener: (highWatermark: number) => void): () => void {
    return this.dataWaiters.subscribe(listener);
  }

  // ---- reads ----------------------------------------------------------------------------------------

  /**
   * Fetch: the file byte range of whole batches from the one holding `offset`, up to `maxBytes` (at
   * least one whole batch when `minOneMessage`, KIP-74), never past the high watermark for consumers.
   * Throws OFFSET_OUT_OF_RANGE below the log start or above the log end; KAFKA_STORAGE_ERROR if offline.
   */
  read(offset: number, maxBytes: number, isolation: Isolation = 'high_watermark', minOneMessage = true): FetchData {
    this.checkReadable();
    const maxOffset = isolation === 'high_watermark' ? this._highWatermark : this._logEndOffset;
    const result = (records: FileRange | null): FetchData => ({
      records,
      highWatermark: this._highWatermark,
      logStartOffset: this._logStartOffset,
      logEndOffset: this._logEndOffset,
    });
    if (offset < this._logStartOffset || offset > this._logEndOffset)
      throw new StorageError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} is outside [${this._logStartOffset}, ${this._logEndOffset}]`);
    if (offset >= maxOffset) return result(null);
    try {
      for (let i = this.floorSegment(offset); i < this.segments.length; i++) {
        const s = this.segments[i]!;
        const maxPos = this.maxReadablePosition(s, isolation);
        if (maxPos <= 0) {
          // Nothing readable here: past the high watermark (stop), or a segment a cleaning emptied (go on).
          if (isolation !== 'log_end' && s.baseOffset >= this.hwSegmentBase) break;
          continue;
        }
        const range = s.read(offset, maxBytes, maxPos, minOneMessage);
        if (range !== null) return result(range.size > 0 ? range : null);
      }
    } catch (e) {
      throw this.ioFailure(e, 'read');
    }
    return result(null);
  }

  /** Convenience for handlers/tests: the bytes of read(). */
  readBytes(offset: number, maxBytes: number, isolation: Isolation = 'high_watermark'): Uint8Array | null {
    const r = this.read(offset, maxBytes, isolation).records;
    return r === null ? null : r.read();
  }

  private maxReadablePosition(s: LogSegment, isolation: Isolation): number {
    if (isolation === 'log_end' || s.baseOffset < this.hwSegmentBase) return s.size;
    if (s.baseOffset === this.hwSegmentBase) return this.hwPosition;
    return 0;
  }

  /** Index of the last segment with baseOffset <= offset (0 if none). */
  private floorSegment(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * ListOffsets: EARLIEST (-2), LATEST (-1), MAX_TIMESTAMP (-3), EARLIEST_LOCAL (-4), or the first
   * offset whose record timestamp >= `timestamp`. null = no such offset (Kafka answers -1, -1).
   */
  fetchOffsetForTimestamp(timestamp: number, isolation: Isolation = 'high_watermark'): OffsetAndTimestamp | null {
    this.checkReadable();
    const upper = isolation === 'high_watermark' ? this._highWatermark : this._logEndOffset;
    if (timestamp === EARLIEST_TIMESTAMP || timestamp === EARLIEST_LOCAL_TIMESTAMP) return { offset: this._logStartOffset, timestamp: -1 };
    if (timestamp === LATEST_TIMESTAMP) return { offset: upper, timestamp: -1 };
    if (timestamp === MAX_TIMESTAMP) {
      let best: LogSegment | null = null;
      for (const s of this.segments) {
        if (s.largestTimestamp >= 0 && (best === null || s.largestTimestamp > best.largestTimestamp) && s.offsetOfMaxTimestampSoFar < upper) best = s;
      }
      if (best === null) return null;
      // The exact record (Kafka >= 3.8): the first record carrying the max timestamp, found by the core.
      try {
        const hit = best.findBatchByTimestamp(best.largestTimestamp, this._logStartOffset);
        const rec = hit ? this.core.findRecordByTimestamp(hit.batch, best.largestTimestamp) : null;
        if (rec !== null && rec.offset < upper && rec.offset >= this._logStartOffset) return rec;
      } catch (e) {
        throw this.ioFailure(e, 'read');
      }
      return { offset: best.offsetOfMaxTimestampSoFar, timestamp: best.largestTimestamp };
    }
    invariant(timestamp >= 0, `ListOffsets timestamp ${timestamp}`);
    try {
      for (const s of this.segments) {
        if (s.largestTimestamp < timestamp || s.isEmpty) continue;
        const hit = s.findBatchByTimestamp(timestamp, this._logStartOffset);
        if (hit === null) continue;
        const rec = this.core.findRecordByTimestamp(hit.batch, timestamp);
        const found = rec ?? { offset: Math.max(hit.header.baseOffset, this._logStartOffset), timestamp: hit.header.maxTimestamp };
        if (found.offset < this._logStartOffset) continue;
        return found.offset < upper ? found : null;
      }
    } catch (e) {
      throw this.ioFailure(e, 'read');
    }
    return null;
  }

  // ---- log start offset, retention ------------------------------------------------------------------

  /** DeleteRecords: moves the log start offset to `offset` (-1 = the high watermark). Returns the new low watermark. */
  deleteRecordsBefore(offset: number): number {
    this.checkReadable();
    const target = offset === -1 ? this._highWatermark : offset;
    if (target < 0 || target > this._highWatermark)
      throw new StorageError(ErrorCode.OFFSET_OUT_OF_RANGE, `DeleteRecords offset ${offset} is above the high watermark ${this._highWatermark}`);
    if (target > this._logStartOffset) {
      this._logStartOffset = target;
      this.epochCache.truncateFromStart(target);
      this.hooks.onLogStartOffsetChange?.(this);
      this.deleteOldSegments((_segment, next) => next !== null && next.baseOffset <= this._logStartOffset);
    }
    return this._logStartOffset;
  }

  /**
   * Deletes the oldest segments while `deletable(segment, next)` holds, never the active segment.
   * Files are renamed `.deleted`; the manager removes them later. Returns the segments deleted.
   */
  deleteOldSegments(deletable: (s: LogSegment, next: LogSegment | null) => boolean): LogSegment[] {
    let n = 0;
    while (n < this.segments.length - 1 && deletable(this.segments[n]!, this.segments[n + 1] ?? null)) n++;
    if (n === 0) return [];
    const gone = this.segments.slice(0, n);
    this.segments = this.segments.slice(n);
    this._generation++;
    for (const s of gone) {
      try {
        s.markDeleted();
      } catch {
        /* rename failures leave the files; the next start removes them as leftovers */
      }
    }
    // Producer snapshots go with their segments (Kafka deletes the one at each deleted segment's base offset;
    // close-time snapshots inside a deleted segment go too).
    const firstBase = this.segments[0]!.baseOffset;
    for (const o of listSnapshots(this.fs, this.dir)) if (o < firstBase) deleteSnapshot(this.fs, this.dir, o);
    if (this.lastSnapshotOffset < firstBase) this.lastSnapshotOffset = -1;
    const newStart = Math.max(this._logStartOffset, this.segments[0]!.baseOffset);
    if (newStart !== this._logStartOffset) {
      this._logStartOffset = newStart;
      this.epochCache.truncateFromStart(newStart);
      this.hooks.onLogStartOffsetChange?.(this);
    }
    if (this.hooks.onSegmentsDeleted) this.hooks.onSegmentsDeleted(this, gone);
    else for (const s of gone) this.removeDeletedFiles(s);
    return gone;
  }

  /** Closes a deleted segment and unlinks its `.deleted` files. */
  private removeDeletedFiles(s: LogSegment): void {
    s.close();
    for (const p of s.deletedPaths()) {
      try {
        this.fs.unlinkSync(p);
      } catch {
        /* already gone */
      }
    }
  }

  // ---- compaction: swapping cleaned segments in -----------------------------------------------------

  /**
   * Swaps a cleaning's output in (Kafka's replaceSegments), on the thread that serves reads and appends.
   * `expectedGeneration` is the log's generation when `job` was made. If the log is closed or offline, has
   * changed generation since (a truncation, retention, DeleteRecords), no longer holds exactly the old
   * segments of each group (same objects, none deleted, none active), or its high watermark went back below
   * a group's end, the `.cleaned` and `.swap` files are removed and false returned. Otherwise, for all groups
   * at once, the commit (segment-swap.ts: the cleaner thread renamed the groupend and index files `.swap`
   * and made that durable; here each `.log.cleaned` → `.log.swap` and a directory fsync); then per group the
   * old segments are renamed `.deleted` and handed to onSegmentsDeleted (a Fetch holding one of their
   * FileRanges still reads it until the manager closes it after file.delete.delay.ms), the `.swap` files take
   * their final names (the groupend file `.deleted`, unlinked on the thread pool), and the new segment is
   * opened with its indexes and put in the list. A failure after the commit takes the log offline: reopening
   * it completes the swap (recovery.ts).
   *
   * Why the commit fsync runs on this thread rather than on the thread pool: the `.deleted` renames must not
   * reach the disk before the `.log.swap` rename does, and while an fsync on the pool were awaited a
   * truncation could run, rename segments of a group `.deleted`, fsync the directory and so make the
   * `.log.swap` durable with them: a restart would then put truncated records back. The renames before the
   * commit need no such order (a groupend or index `.swap` without its `.log.swap` is discarded), so the
   * cleaner thread does them. The last fsync (of the final names) runs on the pool: recovery completes a swap
   * from either state, and the next operation that renames or deletes a segment fsyncs the directory itself.
   * Offsets never change: the high watermark and the durable offset stay where they are; their file
   * positions are moved off replaced segments.
   */
  replaceSegments(result: CleanJobResult, job: CleanJob, expectedGeneration: number): boolean {
    const bases = result.groups.map((g) => g.baseOffset);
    let plan: ReturnType<Log['planSwap']>;
    try {
      plan = this.planSwap(result, job, expectedGeneration);
    } catch (e) {
      discardCleanedFiles(this.fs, this.dir, bases); // a result that does not fit its job: nothing committed
      throw e;
    }
    if (plan === null) {
      discardCleanedFiles(this.fs, this.dir, bases);
      return false;
    }
    if (plan.length === 0) return true;
    try {
      commitSwap(this.fs, this.dir, bases);
    } catch (e) {
      // Not committed as far as this log goes: put the old state back on disk too. Should a .log.swap
      // survive that, the disk no longer matches the log: offline until reopened (recovery completes it).
      discardCleanedFiles(this.fs, this.dir, bases);
      if (bases.some((b) => this.fs.existsSync(joinCleaned(this.dir, b)))) {
        this.goOffline('io', e);
        throw this.offline.error();
      }
      throw e;
    }
    this._generation++;
    const hw = { offset: this._highWatermark, base: this.hwSegmentBase };
    const durable = { offset: this._durableOffset, base: this.durableSegmentBase };
    const groupEnds: string[] = [];
    try {
      const snapshots = listSnapshots(this.fs, this.dir);
      for (const p of plan) groupEnds.push(this.swapGroup(p.group, p.olds, snapshots));
    } catch (e) {
      this.goOffline('io', e);
      throw this.offline.error();
    }
    this.repositionAfterSwap(plan, hw, durable);
    const sync = fsyncInBackground(this.fs, this.dir, true).catch(() => this.flusher.markDirUnsynced());
    const removed = groupEnds.map((p) => this.fs.rm(p).catch(() => undefined)); // else at the next start
    this.swapDirSync = Promise.all([sync, ...removed]).then(() => undefined);
    return true;
  }

  /** Settles once the directory fsync after the last swap is done (tests). */
  whenSwapSynced(): Promise<void> {
    return this.swapDirSync;
  }

  /** The old segments of each group, or null if the log no longer holds them as the job saw them. */
  private planSwap(result: CleanJobResult, job: CleanJob, expectedGeneration: number): { group: CleanedGroup; olds: LogSegment[] }[] | null {
    if (this.closed || this.offline.isOffline || this._generation !== expectedGeneration) return null;
    if (job.dir !== this.dir || job.topic !== this.topic || job.partition !== this.partition) return null;
    const inJob = new Set(job.segments.map((s) => s.baseOffset));
    const plan: { group: CleanedGroup; olds: LogSegment[] }[] = [];
    let prevEnd = -1;
    for (const g of result.groups) {
      invariant(g.oldBaseOffsets.length > 0 && g.oldBaseOffsets[0] === g.baseOffset && g.baseOffset >= prevEnd && g.endOffset > g.baseOffset, `cleaned group ${g.baseOffset}..${g.endOffset} is well formed and after the previous one`);
      invariant(g.endOffset <= job.firstUncleanableOffset && g.oldBaseOffsets.every((b) => inJob.has(b)), `cleaned group ${g.baseOffset}..${g.endOffset} lies in the job's segments`);
      prevEnd = g.endOffset;
      const i = this.segments.findIndex((s) => s.baseOffset === g.baseOffset);
      if (i < 0) return null;
      const olds = this.segments.slice(i, i + g.oldBaseOffsets.length);
      const after = this.segments[i + olds.length];
      if (olds.length !== g.oldBaseOffsets.length || after === undefined || after.baseOffset !== g.endOffset) return null;
      if (olds.some((s, j) => s.baseOffset !== g.oldBaseOffsets[j] || s.isDeleted)) return null;
      // A high watermark moved back below the group (a leader turned follower and back to 'durable' mode).
      if (this._highWatermark < g.endOffset) return null;
      plan.push({ group: g, olds });
    }
    return plan;
  }

  /**
   * After the commit: old segments `.deleted`, `.swap` files to final names, the new segment in the list.
   * `snapshots` are the producer snapshot offsets listed when the swap began. Returns the path of the
   * groupend file, renamed `.deleted`, for the caller to remove.
   */
  private swapGroup(g: CleanedGroup, olds: LogSegment[], snapshots: readonly number[]): string {
    for (const s of olds) s.markDeleted(true);
    const groupEnd = finishSwap(this.fs, this.dir, g.baseOffset);
    // From what the cleaning handed over when it can (no index file or batch read back here), else from the files.
    const opened = g.state ? LogSegment.openCleaned(this.dir, g.baseOffset, this.segmentOptions(), this.now(), g.size, g.state) : null;
    const seg = opened ?? LogSegment.openInactive(this.dir, g.baseOffset, this.segmentOptions(), this.now(), this._config['max.message.bytes']);
    invariant(seg.isEmpty || seg.nextOffset <= g.endOffset, `cleaned segment ${g.baseOffset} ends by its group's end (${seg.nextOffset} vs ${g.endOffset})`);
    const i = this.segments.indexOf(olds[0]!);
    invariant(i >= 0 && i + olds.length < this.segments.length, 'replaced segments are still in the list and not the active one');
    this.segments = [...this.segments.slice(0, i), seg, ...this.segments.slice(i + olds.length)];
    // Producer snapshots of the replaced segments go with them (Kafka deletes those of the segments not
    // replaced at their own base), as do close-time ones inside the group: none is the newest (the active
    // segment is never in a group), and the next open would delete them as strays anyway.
    for (const o of snapshots) if (o > g.baseOffset && o < g.endOffset) deleteSnapshot(this.fs, this.dir, o);
    if (this.lastSnapshotOffset > g.baseOffset && this.lastSnapshotOffset < g.endOffset) this.lastSnapshotOffset = -1;
    if (this.hooks.onSegmentsDeleted) this.hooks.onSegmentsDeleted(this, olds);
    else for (const s of olds) this.removeDeletedFiles(s);
    return groupEnd;
  }

  /**
   * The high watermark and the durable offset keep their offsets; a file position that named a replaced
   * segment is found again. The high watermark is never inside a group (planSwap): at most at its end, held
   * as the end of its last old segment, which is the start of the segment after the group.
   */
  private repositionAfterSwap(plan: readonly { group: CleanedGroup; olds: LogSegment[] }[], hw: { offset: number; base: number }, durable: { offset: number; base: number }): void {
    const replaced = (base: number) => plan.find((p) => p.olds.some((s) => s.baseOffset === base));
    const hwGroup = replaced(hw.base);
    if (hwGroup !== undefined) {
      invariant(hw.offset >= hwGroup.group.endOffset, `high watermark ${hw.offset} is not inside cleaned group ${hwGroup.group.baseOffset}..${hwGroup.group.endOffset}`);
      this.hwSegmentBase = hwGroup.group.endOffset;
      this.hwPosition = 0;
    }
    if (replaced(durable.base) !== undefined) {
      const at = this.filePositionOf(durable.offset);
      this.durableSegmentBase = at.segmentBase;
      this.durablePosition = at.position;
    }
  }

  // ---- truncation (replication) ---------------------------------------------------------------------

  /**
   * Kafka's truncateTo: removes every record at or after `offset` (a follower whose log diverged from its
   * leader's). Later segments go first, then the segment holding `offset` is cut at the start of the batch
   * holding it (so the log end may land below `offset` when it falls inside a batch); high watermark, durable
   * offset and recovery point come down with the log end, the epoch cache loses the epochs starting past it,
   * and the producer state is reloaded from the newest snapshot at or below it plus a replay. Durable when it
   * returns. Below the log start it empties the log (truncateFullyAndStartAt). Returns whether records went.
   */
  truncateTo(offset: number): boolean {
    this.checkWritable();
    invariant(Number.isSafeInteger(offset) && offset >= 0, `truncation offset ${offset}`);
    if (offset >= this._logEndOffset) {
      // Nothing to cut, but an epoch this replica started as leader without appending anything ends here
      // (Kafka does the same): the records a new leader sends from here on carry older epochs.
      this.epochCache.truncateFromEnd(this._logEndOffset);
      return false;
    }
    if (offset < this._logStartOffset) {
      this.truncateFullyAndStartAt(offset);
      return true;
    }
    const k = this.floorSegment(offset);
    const gone = this.segments.slice(k + 1);
    try {
      // Later segments first: a crash in between never leaves old records after a gap.
      if (gone.length > 0) this.dropSegments(gone, () => this.segments.slice(0, k + 1));
      const seg = this.active;
      this._generation++;
      seg.truncateTo(offset, this._config['max.message.bytes']);
      seg.flushSync();
    } catch (e) {
      throw this.ioFailure(e, 'append');
    }
    this.afterTruncation(this.active.nextOffset, false);
    this.reloadProducerState();
    this.hooks.onTruncated?.(this, this._logEndOffset);
    return true;
  }

  /**
   * Kafka's truncateFullyAndStartAt: every segment goes and the log starts over, empty, at `offset` (log start
   * = log end = high watermark = offset): a follower too far behind its leader's log start. The epoch cache
   * and the producer state are emptied. Durable when it returns.
   */
  truncateFullyAndStartAt(offset: number): void {
    this.checkWritable();
    invariant(Number.isSafeInteger(offset) && offset >= 0, `log start ${offset}`);
    try {
      this.dropSegments(this.segments, () => [LogSegment.create(this.dir, offset, this.segmentOptions(), this.now())]);
    } catch (e) {
      throw this.ioFailure(e, 'append');
    }
    this._logStartOffset = offset;
    this.afterTruncation(offset, true);
    this.epochCache.clear();
    this.producerState.clear();
    for (const o of listSnapshots(this.fs, this.dir)) deleteSnapshot(this.fs, this.dir, o);
    this.lastSnapshotOffset = -1;
    this.hooks.onLogStartOffsetChange?.(this);
    this.hooks.onTruncated?.(this, offset);
  }

  /**
   * Renames `gone` `.deleted`, then makes `keep()` the segment list (it may create a segment at a base offset
   * a deleted one had); the directory's fsync makes both durable.
   */
  private dropSegments(gone: LogSegment[], keep: () => LogSegment[]): void {
    for (const s of gone) s.markDeleted();
    this.segments = keep();
    this._generation++;
    fsyncDir(this.fs, this.dir);
    if (this.hooks.onSegmentsDeleted) this.hooks.onSegmentsDeleted(this, gone);
    else for (const s of gone) this.removeDeletedFiles(s);
  }

  /**
   * The log now ends at `end`: offsets, positions, waiters and the epoch cache follow. `restart`: the log
   * starts over there (empty), so durable offset, high watermark and recovery point are `end` exactly.
   */
  private afterTruncation(end: number, restart: boolean): void {
    this._logEndOffset = end;
    const seg = this.active;
    invariant(seg.nextOffset === end, `active segment ends at the log end (${seg.nextOffset} vs ${end})`);
    this.flusher.truncated(end, restart, new StorageError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${this.topic}-${this.partition} was truncated to ${end}`));
    if (restart) {
      this._durableOffset = end;
      this.durableSegmentBase = seg.baseOffset;
      this.durablePosition = 0;
      this.setHighWatermark(end, seg.baseOffset, 0);
    } else if (this._durableOffset > end) {
      this._durableOffset = end;
      this.durableSegmentBase = seg.baseOffset;
      this.durablePosition = seg.size;
    }
    if (this._highWatermark > end) {
      this._highWatermark = end;
      this.hwSegmentBase = seg.baseOffset;
      this.hwPosition = seg.size;
    }
    this.epochCache.truncateFromEnd(end);
  }

  /** After a truncation: the newest snapshot at or below the log end, then a replay (snapshots past it deleted). */
  private reloadProducerState(): void {
    if (!this.keepsProducerState) return;
    for (const o of listSnapshots(this.fs, this.dir)) if (o > this._logEndOffset) deleteSnapshot(this.fs, this.dir, o);
    if (this.lastSnapshotOffset > this._logEndOffset) this.lastSnapshotOffset = -1;
    const p = this.loadProducerState(this.producerIdExpirationMs);
    this.producerState.clear();
    for (const e of p.state.entries()) this.producerState.load(e);
  }

  // ---- failures -------------------------------------------------------------------------------------

  /** Converts an I/O error into the offline state and a KAFKA_STORAGE_ERROR; rethrows anything else. */
  private ioFailure(e: unknown, op: 'append' | 'read'): unknown {
    const reason = offlineReasonOf(e, op);
    if (reason === null) return e;
    this.goOffline(reason, e);
    // A failed write may still have landed, whole or in part: cut it now (shrinking needs no space), so
    // a write the producer saw fail does not come back after a restart. Best effort; retried later.
    if (op === 'append') this.tryTruncateGarbage();
    return this.offline.error();
  }

  private tryTruncateGarbage(): void {
    try {
      this.active.truncateGarbage();
    } catch {
      /* the next probe or the recovery at reopen does it */
    }
  }

  private goOffline(reason: OfflineReason, error: unknown): void {
    this.offline.enter(reason, error);
    this.flusher.stop();
    this.flusher.failWaiters(this.offline.error());
    this.dataWaiters.wakeAll();
  }

  /**
   * The failure rule (log-offline.ts): offline after ENOSPC until the backoff has passed, then the next
   * append cuts any partial write off the active segment and tries again; offline after any other I/O
   * error until the log is reopened (LogManager.reopenLog), which recovers it like an unclean start.
   */
  private checkWritable(): void {
    if (this.closed) throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `${this.topic}-${this.partition} is closed`);
    if (this.offline.isOffline) this.offline.resume(() => this.active.truncateGarbage());
  }

  /** Reads follow the same rule (Kafka reports the whole partition offline), and also resume it. */
  private checkReadable(): void {
    this.checkWritable();
  }

  // ---- lifecycle ------------------------------------------------------------------------------------

  /**
   * Clean close: flush, final time index entry, indexes trimmed. After close() the directory loads as a
   * clean start (with the manager's clean-shutdown marker).
   */
  close(): void {
    if (this.closed) return;
    this.flusher.stop();
    let err: unknown = null;
    if (this.offline.isOffline) this.tryTruncateGarbage();
    else {
      try {
        // One flush of the log and its trimmed indexes (not a flush, then a second one after the trim).
        this.flusher.flushAllSync(true);
        this.flusher.markFlushed(this._logEndOffset, this.active.baseOffset, this.active.size);
      } catch (e) {
        err = e;
      }
      // The next start loads this and replays nothing (fsynced: a clean start trusts what it finds).
      if (err === null && this._logEndOffset > this._logStartOffset) this.takeProducerSnapshot(true);
    }
    this.release();
    if (err) throw err;
  }

  /** Closes without flushing or trimming (simulates a crash in tests; used when going away after an I/O error). */
  closeAbruptly(): void {
    if (this.closed) return;
    this.flusher.stop();
    this.release();
  }

  /** Marks the log closed, fails its waiters and closes its segments' files. */
  private release(): void {
    this.closed = true;
    this._generation++;
    this.flusher.failWaiters(new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, 'log closed'));
    this.dataWaiters.wakeAll();
    for (const s of this.segments) s.close();
  }

  get wasCleanlyClosed(): boolean {
    return this.closed && !this.offline.isOffline;
  }
}

/** Path of a group's `.log.swap` (whether a swap of it is committed on disk). */
function joinCleaned(dir: string, base: number): string {
  return cleanedFilePath(dir, base, '.log', SWAP_SUFFIX);
}

export type { BatchInfo };
