// All logs under log.dirs (Kafka's LogManager): `<log.dir>/<topic>-<partition>/` directories, the
// per-directory checkpoint files and clean-shutdown marker, creating and deleting partition directories
// (deleted ones are renamed `<topic>-<p>.<uuid>-delete` and removed in the background), and the
// schedulers for retention, checkpoints and removal of `.deleted` segment files.
// meta.properties in each log dir belongs to the server (host-node/server/meta-properties.ts); storage
// leaves that file alone.
import { CheckpointFile, LOG_START_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT, tpKey, type CheckpointEntry, type TpKey } from './checkpoint-file.js';
import { STORAGE_CONFIG_DEFAULTS, defaultLogConfig, logDirsOf, resolveLogConfig, type LogConfig, type StorageConfig } from './config.js';
import type { StorageCore } from './core-port.js';
import { ErrorCode, StorageError, invariant } from './errors.js';
import { DeferredSyncFs } from './deferred-sync-fs.js';
import { fsyncDir, writeFileAtomic, type StorageFs } from './fs.js';
import { LinearSpans } from './linear-frame-arena.js';
import { Log } from './log.js';
import { applyRetention, type RetentionResult } from './retention.js';
import { readPartitionMetadata, writePartitionMetadata } from './partition-metadata.js';
import type { LogSegment } from './segment.js';
import { joinPath } from './path.js';
import { unrefTimer } from './timers.js';
import type { CleanerRunner } from './cleaner/clean-job.js';
import { LogCleanerManager } from './cleaner/log-cleaner-manager.js';

/** Kafka's clean-shutdown marker file name (in each log dir). */
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
const DELETE_DIR_RE = /^(.+)-(\d+)\.([0-9a-f]{32})-delete$/;
const PARTITION_DIR_RE = /^(.+)-(\d+)$/;
const TOPIC_RE = /^[a-zA-Z0-9._-]{1,249}$/;
const MAX_LOGS = 1_000_000;

export interface LogManagerOptions {
  config?: Partial<StorageConfig>;
  /** The core behind the storage port: the broker's one WASM core instance. */
  core: StorageCore;
  /** The host's file layer. */
  fs: StorageFs;
  now?: () => number;
  /** Topic-level overrides for logs found on disk at startup (from the metadata owner). */
  topicConfig?: (topic: string) => Partial<LogConfig>;
  /** Start the retention/checkpoint/delete timers (off in unit tests that drive them by hand). */
  scheduler?: boolean;
  /**
   * Where cleanings of compacted logs run (a worker thread in Node). With it and log.cleaner.enable the
   * manager runs a LogCleanerManager: started with the scheduler, stopped at shutdown before the logs
   * close. The manager owns the runner from then on and closes it at shutdown.
   */
  cleanerRunner?: CleanerRunner;
}

interface DirState {
  path: string;
  recoveryPoints: CheckpointFile;
  logStartOffsets: CheckpointFile;
  /** Logs (and failed logs) in this dir, so placing a new log is O(log dirs), not O(logs). */
  count: number;
  /** New partition directories in it whose entries are not fsynced yet (see Log's dirUnsynced). */
  unsynced: boolean;
}

export interface StartupReport {
  logs: number;
  cleanDirs: string[];
  uncleanDirs: string[];
  truncatedBytes: number;
  recoveredSegments: number;
  /** Partitions whose directory failed to load (offline until reopenLog succeeds). */
  failedLogs: { topic: string; partition: number; error: string }[];
}

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/**
 * `<topic>-<p>.<uuid>-delete` for a deleted partition, the topic cut short so the name fits in 255 bytes
 * (a 249-character topic would not fit otherwise), as Kafka's LocalLog.logDeleteDirName does.
 */
function deleteDirName(topic: string, partition: number): string {
  const suffix = `-${partition}.${crypto.randomUUID().replace(/-/g, '')}-delete`;
  return topic.slice(0, Math.max(0, Math.min(topic.length, 255 - suffix.length))) + suffix;
}

/** `<topic>-<partition>` → parts, or null for anything else in a log dir. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  if (DELETE_DIR_RE.test(name)) return null;
  const m = PARTITION_DIR_RE.exec(name);
  if (!m || !TOPIC_RE.test(m[1]!)) return null;
  const partition = Number(m[2]);
  return Number.isSafeInteger(partition) && partition <= 0x7fffffff ? { topic: m[1]!, partition } : null;
}

export class LogManager {
  readonly config: StorageConfig;
  /** The broker defaults of topic configs (from `config`; new ones with reconfigure()). */
  private _defaults: LogConfig;
  /** Every file operation of the logs goes through it; shutdown collects their fsyncs and runs them together. */
  private readonly fs: DeferredSyncFs;
  /** The core every log of this manager appends through. */
  readonly core: StorageCore;
  private readonly now: () => number;
  private readonly dirs: DirState[];
  private readonly logs = new Map<TpKey, { log: Log; dir: DirState }>();
  /** Partitions that failed to load: KAFKA_STORAGE_ERROR until reopenLog() loads them. */
  private readonly failed = new Map<TpKey, { topic: string; partition: number; path: string; dir: DirState; error: unknown; recoveryPoint: number; logStartOffset: number }>();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly pendingDeletes = new Set<ReturnType<typeof setTimeout>>();
  private readonly pendingDeleteWork = new Map<ReturnType<typeof setTimeout>, () => void>();
  /** Unlinks of deleted segments and checkpoint writes running on the thread pool (shutdown awaits them). */
  private readonly backgroundWork = new Set<Promise<void>>();
  private readonly topicConfig: (topic: string) => Partial<LogConfig>;
  /** Checkpoint writes asked for inside withCheckpointsDeferred(), done once when it ends. */
  private readonly checkpointsDue = new Map<DirState, 'both' | 'start' | 'recovery'>();
  private deferDepth = 0;
  /** Recovery fsyncs from start-up still running (checkpoints wait for them). */
  private loadSyncs: Promise<void> | null = null;
  /**
   * Log dirs where one of start-up's recovery fsyncs failed: their recovery points are never written
   * again by this run (the old ones make the next start recover the same segments) and they get no
   * clean-shutdown marker.
   */
  private readonly recoveryUnsynced = new Set<DirState>();
  private shutDown = false;
  readonly startup: StartupReport;
  /** The log cleaner (compaction), when a runner was given and log.cleaner.enable is set. */
  readonly cleaner: LogCleanerManager | null;
  private readonly cleanerRunner: CleanerRunner | null;

  constructor(o: LogManagerOptions) {
    this.config = { ...STORAGE_CONFIG_DEFAULTS, ...(o.config ?? {}) };
    this._defaults = defaultLogConfig(this.config);
    this.fs = new DeferredSyncFs(o.fs);
    this.core = o.core;
    this.now = o.now ?? Date.now;
    this.topicConfig = o.topicConfig ?? (() => ({}));
    this.dirs = logDirsOf(this.config).map((path) => ({
      path,
      recoveryPoints: new CheckpointFile(joinPath(path, RECOVERY_POINT_CHECKPOINT), this.fs),
      logStartOffsets: new CheckpointFile(joinPath(path, LOG_START_OFFSET_CHECKPOINT), this.fs),
      count: 0,
      unsynced: false,
    }));
    this.startup = this.loadAll();
    this.cleanerRunner = o.cleanerRunner ?? null;
    this.cleaner =
      o.cleanerRunner && this.config['log.cleaner.enable']
        ? new LogCleanerManager({
            runner: o.cleanerRunner,
            fs: this.fs,
            config: this.config,
            logDirs: this.dirs.map((d) => d.path),
            logs: () => [...this.logs.values()].map((e) => ({ log: e.log, logDir: e.dir.path })),
            currentLog: (topic, partition) => this.getLog(topic, partition),
            now: this.now,
          })
        : null;
    if (o.scheduler) this.startScheduler();
  }

  private loadAll(): StartupReport {
    const report: StartupReport = { logs: 0, cleanDirs: [], uncleanDirs: [], truncatedBytes: 0, recoveredSegments: 0, failedLogs: [] };
    // The fsyncs of recovered segments are collected and run together afterwards (see below).
    this.fs.collect();
    const markers: string[] = [];
    for (const d of this.dirs) {
      const marker = this.loadDir(d, report);
      if (marker !== null) markers.push(marker);
    }
    this.completeLoad(markers);
    return report;
  }

  /** Loads every partition of one log directory; returns its clean-shutdown marker if there was one. */
  private loadDir(d: DirState, report: StartupReport): string | null {
    this.fs.mkdirSync(d.path);
    const marker = joinPath(d.path, CLEAN_SHUTDOWN_FILE);
    const clean = this.fs.existsSync(marker);
    (clean ? report.cleanDirs : report.uncleanDirs).push(d.path);
    const rps = d.recoveryPoints.readMap();
    const lsos = d.logStartOffsets.readMap();
    for (const name of this.fs.readdirSync(d.path)) {
      const full = joinPath(d.path, name);
      if (DELETE_DIR_RE.test(name)) {
        this.removeInBackground(full);
        continue;
      }
      const tp = parsePartitionDirName(name);
      if (tp === null || !this.fs.isDirectory(full)) continue;
      const key = tpKey(tp.topic, tp.partition);
      const checkpointed = { recoveryPoint: rps.get(key) ?? 0, logStartOffset: lsos.get(key) ?? 0 };
      this.loadPartition(tp.topic, tp.partition, full, d, clean, checkpointed, report);
    }
    return clean ? marker : null;
  }

  /** Opens one partition's log; one that cannot be read goes offline (KAFKA_STORAGE_ERROR) instead of
   *  stopping the broker. */
  private loadPartition(topic: string, partition: number, full: string, d: DirState, clean: boolean, checkpointed: { recoveryPoint: number; logStartOffset: number }, report: StartupReport): void {
    invariant(this.logs.size < MAX_LOGS, 'log count bounded');
    const key = tpKey(topic, partition);
    if (this.logs.has(key)) throw new Error(`Duplicate log directories for ${key} (${full} and ${this.logs.get(key)!.log.dir})`);
    let log: Log;
    try {
      log = this.openLog(topic, partition, full, d, { clean, ...checkpointed, config: resolveLogConfig(this._defaults, this.topicConfig(topic)) });
    } catch (e) {
      this.failed.set(key, { topic, partition, path: full, dir: d, error: e, ...checkpointed });
      d.count++;
      report.failedLogs.push({ topic, partition, error: String((e as Error)?.message ?? e) });
      return;
    }
    report.logs++;
    report.truncatedBytes += log.loadStats.truncatedBytes;
    report.recoveredSegments += log.loadStats.recoveredSegments;
  }

  /** Starts recovery's collected fsyncs, removes the clean-shutdown markers and writes the checkpoints
   *  (at once, or when those fsyncs are done). */
  private completeLoad(markers: readonly string[]): void {
    // Recovery's fsyncs (an unclean start recovers every active segment: ~3 fsyncs each, minutes for
    // 10,000 partitions one by one) run together on the thread pool while the broker starts. Until they
    // are done the checkpoints keep the old recovery points, so a crash meanwhile recovers the same
    // segments again; nothing else waits for them (the data is readable, as page-cache data always is).
    const recoverySyncs = this.fs.collectedCount;
    const synced = this.fs.sync();
    // Everything is loaded: a crash from here on is an unclean shutdown.
    for (const marker of markers) {
      this.fs.unlinkSync(marker);
      fsyncDir(this.fs, marker.slice(0, marker.lastIndexOf('/')));
    }
    if (recoverySyncs === 0) for (const d of this.dirs) this.writeCheckpoints(d);
    else
      this.loadSyncs = synced.then((failed) => {
        this.loadSyncs = null;
        for (const { path } of failed) for (const d of this.dirs) if (path === d.path || path.startsWith(d.path + '/')) this.recoveryUnsynced.add(d);
        if (!this.shutDown) for (const d of this.dirs) this.safeCheckpoint(d, 'both');
      });
  }

  private openLog(topic: string, partition: number, path: string, dir: DirState, p: { clean: boolean; recoveryPoint: number; logStartOffset: number; config: LogConfig; created?: boolean }): Log {
    const log = new Log({
      topic,
      partition,
      dir: path,
      config: p.config,
      fs: this.fs,
      core: this.core,
      now: this.now,
      clean: p.clean,
      recoveryPoint: p.recoveryPoint,
      logStartOffset: p.logStartOffset,
      retryBackoffMs: this.config['log.storage.retry.backoff.ms'],
      // Written right away, or once at the end of a withCheckpointsDeferred() block (retention, DeleteRecords).
      onLogStartOffsetChange: () => this.checkpointSoon(dir, 'start'),
      dirUnsynced: p.created,
      syncParentDir: p.created ? () => this.syncDirEntries(dir) : undefined,
      onSegmentsDeleted: (l, segs) => this.scheduleSegmentRemoval(l, segs),
      onTruncated: (l, offset) => this.cleaner?.truncated(l, dir.path, offset),
      producerIdExpirationMs: this.config['producer.id.expiration.ms'],
    });
    this.logs.set(tpKey(topic, partition), { log, dir });
    dir.count++;
    return log;
  }

  /** fsyncs a log dir holding new partition directories (once for every log created since the last). */
  private syncDirEntries(d: DirState): void {
    if (!d.unsynced) return;
    fsyncDir(this.fs, d.path);
    d.unsynced = false;
  }

  /** Removes a log from the map (deleted, or about to be reopened). */
  private forget(key: TpKey, dir: DirState): void {
    if (this.logs.delete(key)) dir.count--;
  }

  // ---- logs -----------------------------------------------------------------------------------------

  /**
   * Positions of one request's record views, for appending them one after another: views that lie in the
   * core's linear memory (a Produce frame reassembled there) are detached when an append grows that memory,
   * and are rebuilt from their positions (LinearSpans). Add every view before the first append.
   */
  requestRecordSpans(): LinearSpans {
    return new LinearSpans(this.core.linear);
  }

  getLog(topic: string, partition: number): Log | undefined {
    return this.logs.get(tpKey(topic, partition))?.log;
  }

  /**
   * The log for a partition a handler is about to use: throws KAFKA_STORAGE_ERROR if its directory
   * failed to load (or the log is offline), returns undefined if this broker has no such partition.
   */
  logFor(topic: string, partition: number): Log | undefined {
    const f = this.failed.get(tpKey(topic, partition));
    if (f) throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `${topic}-${partition} failed to load: ${(f.error as Error)?.message ?? f.error}`, f.error);
    return this.getLog(topic, partition);
  }

  allLogs(): Log[] {
    return [...this.logs.values()].map((e) => e.log);
  }

  /** The log for a partition, creating its directory (in the log dir with the fewest logs) if needed. */
  getOrCreateLog(topic: string, partition: number, overrides: Partial<LogConfig> = {}): Log {
    this.checkRunning();
    const existing = this.logFor(topic, partition);
    if (existing) return existing;
    if (!TOPIC_RE.test(topic) || topic === '.' || topic === '..') throw new Error(`Invalid topic name ${JSON.stringify(topic)}`);
    if (!Number.isInteger(partition) || partition < 0) throw new Error(`Invalid partition ${partition}`);
    const config = resolveLogConfig(this._defaults, { ...this.topicConfig(topic), ...overrides });
    let dir = this.dirs[0]!;
    for (const d of this.dirs) if (d.count < dir.count) dir = d;
    const path = joinPath(dir.path, partitionDirName(topic, partition));
    this.fs.mkdirSync(path);
    // No fsync here: the new directory is made durable by the log's first flush (or at shutdown). A crash
    // before that loses only an empty partition directory, which the topic registry creates again at start.
    dir.unsynced = true;
    return this.openLog(topic, partition, path, dir, { clean: true, recoveryPoint: 0, logStartOffset: 0, config, created: true });
  }

  /** Records the topic id in the partition's `partition.metadata` (Kafka's file). */
  setTopicId(topic: string, partition: number, topicId: string): void {
    const log = this.logFor(topic, partition);
    if (!log) throw new Error(`no log for ${tpKey(topic, partition)}`);
    writePartitionMetadata(log.dir, topicId, this.fs);
  }

  /** The topic id from `partition.metadata`, or null. */
  topicId(topic: string, partition: number): string | null {
    const log = this.getLog(topic, partition);
    return log ? readPartitionMetadata(log.dir, this.fs) : null;
  }

  /** Partitions on disk by topic (what a topic registry rebuilds from at start-up). */
  partitionsByTopic(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const { log } of this.logs.values()) {
      const list = out.get(log.topic) ?? [];
      list.push(log.partition);
      out.set(log.topic, list);
    }
    for (const f of this.failed.values()) {
      const list = out.get(f.topic) ?? [];
      list.push(f.partition);
      out.set(f.topic, list);
    }
    for (const l of out.values()) l.sort((a, b) => a - b);
    return out;
  }

  get defaults(): LogConfig {
    return this._defaults;
  }

  /**
   * New broker-level values (the dynamic broker configs, Kafka's DynamicLogConfig and LogCleaner.reconfigure):
   * the defaults of topic configs are derived again and every log gets its config re-resolved over them with
   * its topic's overrides (a topic that overrides a key keeps its value); the cleaner takes the new thread
   * count, buffers, throttle and backoff for its next cleanings. The log directories never change here.
   */
  reconfigure(c: Partial<StorageConfig>): void {
    const { 'log.dir': _dir, 'log.dirs': _dirs, ...rest } = c;
    void _dir;
    void _dirs;
    Object.assign(this.config, rest);
    this._defaults = defaultLogConfig(this.config);
    for (const e of this.logs.values()) {
      try {
        e.log.updateConfig(resolveLogConfig(this._defaults, this.topicConfig(e.log.topic)));
      } catch {
        // An override that no longer fits the new defaults keeps the log's config as it was.
      }
    }
    this.cleaner?.reconfigure();
  }

  /** Applies new topic overrides to every log of the topic. */
  updateTopicConfig(topic: string, overrides: Partial<LogConfig>): void {
    const config = resolveLogConfig(this._defaults, overrides);
    for (const e of this.logs.values()) if (e.log.topic === topic) e.log.updateConfig(config);
  }

  /** Deletes a partition: renamed `<topic>-<p>.<uuid>-delete` at once, removed in the background. */
  deleteLog(topic: string, partition: number): Promise<void> {
    return this.deleteLogs([{ topic, partition }]);
  }

  /**
   * Deletes partitions (a whole topic at once): each is renamed `<topic>-<p>.<uuid>-delete` at once; then
   * each log dir is fsynced and the checkpoints written once for all of them (not once per partition:
   * 10,000 partitions would otherwise cost 10,000 × 2 checkpoint files of 10,000 lines); the renamed
   * directories are removed in the background. The first rename failure is thrown after the rest went.
   */
  async deleteLogs(parts: readonly { topic: string; partition: number }[]): Promise<void> {
    const touched = new Set<DirState>();
    const targets: string[] = [];
    let error: unknown = null;
    for (const { topic, partition } of parts) {
      const key = tpKey(topic, partition);
      const e = this.logs.get(key);
      // A partition whose directory failed to load goes too (else it would come back at the next start).
      const f = e ? undefined : this.failed.get(key);
      if (!e && !f) continue;
      const dir = e ? e.dir : f!.dir;
      const path = e ? e.log.dir : f!.path;
      if (e) {
        this.forget(key, dir);
        e.log.closeAbruptly();
        // A cleaning running meanwhile is abandoned (its output goes with the directory).
        void this.cleaner?.partitionDeleted(topic, partition);
      } else {
        this.failed.delete(key);
        dir.count--;
      }
      const target = joinPath(dir.path, deleteDirName(topic, partition));
      try {
        this.fs.renameSync(path, target);
      } catch (err) {
        error ??= err;
        continue;
      }
      touched.add(dir);
      targets.push(target);
    }
    for (const d of touched) {
      try {
        fsyncDir(this.fs, d.path);
      } catch (err) {
        error ??= err;
      }
      this.safeCheckpoint(d, 'both');
    }
    if (error !== null) throw error;
    await Promise.all(targets.map((t) => this.removeInBackground(t)));
  }

  /**
   * Reopens a log (after an I/O error took it offline): closes it without flushing and loads it as an
   * unclean start, so every batch after its recovery point is validated and a bad tail cut.
   */
  reopenLog(topic: string, partition: number): Log {
    const key = tpKey(topic, partition);
    const f = this.failed.get(key);
    if (f) {
      const log = this.openLog(topic, partition, f.path, f.dir, { clean: false, recoveryPoint: f.recoveryPoint, logStartOffset: f.logStartOffset, config: resolveLogConfig(this._defaults, this.topicConfig(topic)) });
      this.failed.delete(key);
      f.dir.count--;
      return log;
    }
    const e = this.logs.get(key);
    if (!e) throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `no log for ${key}`);
    const { log, dir } = e;
    const rp = log.recoveryPoint;
    const lso = log.logStartOffset;
    log.closeAbruptly();
    this.forget(key, dir);
    return this.openLog(topic, partition, log.dir, dir, { clean: false, recoveryPoint: rp, logStartOffset: lso, config: log.config });
  }

  // ---- checkpoints, retention, schedulers -----------------------------------------------------------

  /** Writes both checkpoint files of every log dir. */
  checkpointAll(): void {
    for (const d of this.dirs) this.writeCheckpoints(d);
  }

  private logsIn(d: DirState): Log[] {
    return [...this.logs.values()].filter((e) => e.dir === d).map((e) => e.log);
  }

  /**
   * Writes a dir's checkpoint files: synchronously (start-up, shutdown), or with the fsyncs on the thread
   * pool while serving (`background`; tracked so shutdown waits for them before its own final write).
   */
  private writeCheckpoints(d: DirState, which: 'both' | 'start' | 'recovery' = 'both', background = false): void {
    const logs = this.logsIn(d);
    // Partitions that failed to load keep the values they had, so nothing is forgotten.
    const failed = [...this.failed.values()].filter((f) => f.dir === d);
    const put = (file: CheckpointFile, entries: CheckpointEntry[]): void => {
      if (!background) return file.write(entries);
      const p = file.writeInBackground(entries).catch(() => undefined); // an older checkpoint: more recovery later
      this.backgroundWork.add(p);
      void p.finally(() => this.backgroundWork.delete(p));
    };
    if (which !== 'start')
      put(d.recoveryPoints, [
        ...logs.map((l) => ({ topic: l.topic, partition: l.partition, offset: l.recoveryPoint })),
        ...failed.map((f) => ({ topic: f.topic, partition: f.partition, offset: f.recoveryPoint })),
      ]);
    if (which !== 'recovery')
      put(d.logStartOffsets, [
        ...logs.map((l) => ({ topic: l.topic, partition: l.partition, offset: l.logStartOffset })),
        ...failed.map((f) => ({ topic: f.topic, partition: f.partition, offset: f.logStartOffset })),
      ]);
  }

  /**
   * Runs `f` with checkpoint writes held back, then writes each file that is due once: a DeleteRecords
   * or retention pass over 10,000 partitions writes the checkpoint file once, not 10,000 times (each
   * write is the whole file, so that would be quadratic).
   */
  withCheckpointsDeferred<T>(f: () => T, background = false): T {
    this.deferDepth++;
    try {
      return f();
    } finally {
      if (--this.deferDepth === 0) {
        const due = [...this.checkpointsDue];
        this.checkpointsDue.clear();
        if (!this.shutDown) for (const [d, which] of due) this.safeCheckpoint(d, which, background);
      }
    }
  }

  private checkpointSoon(d: DirState, which: 'both' | 'start' | 'recovery'): void {
    if (this.deferDepth === 0) {
      this.safeCheckpoint(d, which);
      return;
    }
    const due = this.checkpointsDue.get(d);
    this.checkpointsDue.set(d, due === undefined || due === which ? which : 'both');
  }

  /** `background`: the fsyncs on the thread pool (timers and retention passes, while appends are served). */
  private safeCheckpoint(d: DirState, which: 'both' | 'start' | 'recovery', background = false): void {
    if (this.loadSyncs !== null) return; // written once start-up's recovery is durable
    if (this.recoveryUnsynced.has(d)) {
      if (which === 'recovery') return;
      which = 'start';
    }
    try {
      this.writeCheckpoints(d, which, background);
    } catch {
      // A full or failing disk: the checkpoint stays older, which only means more recovery work later.
    }
  }

  /** One retention pass over every log (what the log.retention.check.interval.ms timer runs). */
  runRetention(nowMs = this.now()): RetentionResult {
    return this.withCheckpointsDeferred(() => this.retentionPass(nowMs), true);
  }

  private retentionPass(nowMs: number): RetentionResult {
    const total: RetentionResult = { deletedSegments: 0, deletedBytes: 0 };
    for (const { log } of this.logs.values()) {
      try {
        const r = applyRetention(log, nowMs);
        total.deletedSegments += r.deletedSegments;
        total.deletedBytes += r.deletedBytes;
      } catch {
        /* one log's failure does not stop the others */
      }
    }
    return total;
  }

  /**
   * Drops idempotent producers with no write for producer.id.expiration.ms from every log (what the
   * producer.id.expiration.check.interval.ms timer runs). Returns how many producer entries went.
   */
  removeExpiredProducers(nowMs = this.now()): number {
    let n = 0;
    for (const { log } of this.logs.values()) n += log.removeExpiredProducers(this.config['producer.id.expiration.ms'], nowMs);
    return n;
  }

  private scheduleSegmentRemoval(log: Log, segs: LogSegment[]): void {
    const delay = log.config['file.delete.delay.ms'];
    // The unlinks run on the thread pool: unlinking a segment frees its page cache, which took 5-20 ms per
    // 64 MiB segment on the main thread here while appends waited. shutdown() awaits them.
    const work = () => {
      for (const s of segs) {
        s.close();
        for (const p of s.deletedPaths()) void this.removeInBackground(p);
      }
    };
    if (delay <= 0 || this.shutDown) {
      work();
      return;
    }
    const t = setTimeout(() => {
      this.pendingDeletes.delete(t);
      this.pendingDeleteWork.delete(t);
      work();
    }, delay);
    unrefTimer(t);
    this.pendingDeletes.add(t);
    this.pendingDeleteWork.set(t, work);
  }

  private removeInBackground(path: string): Promise<void> {
    const p = this.fs.rm(path).catch(() => undefined);
    this.backgroundWork.add(p);
    void p.finally(() => this.backgroundWork.delete(p));
    return p;
  }

  startScheduler(): void {
    const every = (ms: number, f: () => void) => {
      if (!(ms > 0) || ms >= Number.MAX_SAFE_INTEGER) return;
      const t = setInterval(f, Math.min(ms, 0x7fffffff));
      unrefTimer(t);
      this.timers.push(t);
    };
    every(this.config['log.retention.check.interval.ms'], () => void this.runRetention());
    every(this.config['producer.id.expiration.check.interval.ms'], () => void this.removeExpiredProducers());
    every(this.config['log.flush.offset.checkpoint.interval.ms'], () => this.dirs.forEach((d) => this.safeCheckpoint(d, 'recovery', true)));
    every(this.config['log.flush.start.offset.checkpoint.interval.ms'], () => this.dirs.forEach((d) => this.safeCheckpoint(d, 'start', true)));
    this.cleaner?.start();
  }

  private checkRunning(): void {
    if (this.shutDown) throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, 'log manager is shut down');
  }

  /**
   * Clean shutdown: every log flushed and closed (indexes trimmed), checkpoints written, then the
   * clean-shutdown marker — only in dirs where every log closed cleanly.
   */
  async shutdown(): Promise<void> {
    if (this.shutDown) return;
    this.shutDown = true;
    for (const t of this.timers) clearInterval(t);
    for (const [t, work] of this.pendingDeleteWork) {
      clearTimeout(t);
      work();
    }
    this.pendingDeletes.clear();
    this.pendingDeleteWork.clear();
    // Running cleanings finish (and swap in) before the logs close; the segments they replace are removed below.
    if (this.cleaner !== null) {
      await this.cleaner.stop();
      await this.cleanerRunner?.close().catch(() => undefined);
    }
    await this.loadSyncs;
    // Checkpoint writes in flight share the temp files with the final ones below.
    await Promise.all([...this.backgroundWork]);
    const dirty = new Set<DirState>([...this.failed.values()].map((f) => f.dir));
    for (const d of this.recoveryUnsynced) dirty.add(d);
    // Each close's fsyncs (log, indexes, directory, producer snapshot) are collected and then run
    // together, many in flight: one by one, 10,000 partitions took minutes to shut down.
    this.fs.collect();
    for (const { log, dir } of this.logs.values()) {
      try {
        log.close();
        if (!log.wasCleanlyClosed) dirty.add(dir);
      } catch {
        dirty.add(dir);
      }
    }
    for (const { path } of await this.fs.sync()) {
      for (const d of this.dirs) if (path === d.path || path.startsWith(d.path + '/')) dirty.add(d);
    }
    for (const d of this.dirs) {
      try {
        this.writeCheckpoints(d, this.recoveryUnsynced.has(d) ? 'start' : 'both');
        if (!dirty.has(d)) writeFileAtomic(this.fs, joinPath(d.path, CLEAN_SHUTDOWN_FILE), new TextEncoder().encode(JSON.stringify({ version: 0, brokerEpoch: -1 })));
      } catch {
        /* no marker: the next start recovers this dir */
      }
    }
    await Promise.all([...this.backgroundWork]);
  }

  /** Settles once the unlinks and checkpoint writes running on the thread pool now are done. */
  async whenBackgroundWorkDone(): Promise<void> {
    await Promise.all([...this.backgroundWork]);
  }

  /** Stops without flushing or writing the marker (tests: a crash). */
  crash(): void {
    this.shutDown = true;
    for (const t of this.timers) clearInterval(t);
    for (const t of this.pendingDeletes) clearTimeout(t);
    void this.cleaner?.stop();
    for (const { log } of this.logs.values()) log.closeAbruptly();
  }
}
