// Kafka's LogCleanerManager and the cleaner threads' loop, without the threads: which compacted log to clean
// next (cleanable.ts), the job handed to a CleanerRunner (a worker thread in Node, inline elsewhere), the
// swap of its result into the log on this thread (Log.replaceSegments), and cleaner-offset-checkpoint.
// At most log.cleaner.threads cleanings run at once, never two of one log; when nothing is ready the loop
// sleeps log.cleaner.backoff.ms. A cleaning of a log deleted, truncated, closed or aborted meanwhile is
// abandoned and its `.cleaned` files removed.
import { tpKey, type TpKey } from '../checkpoint-file.js';
import type { StorageConfig } from '../config.js';
import { invariant } from '../errors.js';
import type { StorageFs } from '../fs.js';
import type { Log } from '../log.js';
import { unrefTimer } from '../timers.js';
import { cleanableOf, pickFilthiest, type Cleanable, type SegmentStats } from './cleanable.js';
import type { CleanJob, CleanJobResult, CleanerRunner } from './clean-job.js';
import { discardCleanedFiles } from './cleaned-files.js';
import { CleanerCheckpoint } from './cleaner-checkpoint.js';

/** Bytes per offset map slot (clean-job.ts). */
const MAP_SLOT_BYTES = 24;
/**
 * Slots an offset map gets beyond the dirty section's offsets at the load factor: each offset holds at most
 * one key, so this many never fill, and the spare keeps probe sequences short when every key is distinct.
 */
const MAP_SLOTS_HEADROOM = 2;

/**
 * The offset map of a cleaning: this thread's share of log.cleaner.dedupe.buffer.size, but no more than
 * MAP_SLOTS_HEADROOM × the slots the dirty section's offsets could take at the load factor. The map is
 * emptied slot by slot before each cleaning (~15 ms for the default 128 MiB here), and a table sized to the
 * keys is far kinder to the caches; a map this size still holds every key the dirty section has.
 */
export function offsetMapSlots(dedupeBufferBytes: number, threads: number, loadFactor: number, dirtyOffsets: number): number {
  invariant(threads >= 1 && dirtyOffsets >= 0, 'offset map sizing inputs');
  const share = Math.max(1, Math.floor(dedupeBufferBytes / threads / MAP_SLOT_BYTES));
  if (!(loadFactor > 0)) return share; // a job the cleaning refuses (checkJob), sized as configured
  const needed = MAP_SLOTS_HEADROOM * (Math.ceil(dirtyOffsets / loadFactor) + 1);
  return Math.min(share, needed);
}

/** Cleanings one cleanNow() pass may start (a bound on its loop). */
const MAX_PASS_CLEANINGS = 1_000_000;

export type CleanerConfig = Pick<
  StorageConfig,
  | 'log.cleaner.threads'
  | 'log.cleaner.dedupe.buffer.size'
  | 'log.cleaner.io.buffer.size'
  | 'log.cleaner.io.buffer.load.factor'
  | 'log.cleaner.io.max.bytes.per.second'
  | 'log.cleaner.backoff.ms'
>;

export interface LogCleanerManagerOptions {
  runner: CleanerRunner;
  fs: StorageFs;
  config: CleanerConfig;
  /** The log dirs: each gets its own cleaner-offset-checkpoint. */
  logDirs: readonly string[];
  /** Every log being served, with the log dir it lives in. */
  logs: () => Iterable<{ log: Log; logDir: string }>;
  /** The log now served for a partition (a cleaning of any other Log object is abandoned). */
  currentLog: (topic: string, partition: number) => Log | undefined;
  now?: () => number;
}

/** How one cleaning ended. */
export interface CleaningOutcome {
  topic: string;
  partition: number;
  status: 'swapped' | 'abandoned' | 'failed';
  firstDirtyOffset: number;
  firstUncleanableOffset: number;
  dirtyRatio: number;
  /** The new checkpoint (swapped only). */
  cleanedUpTo: number | null;
  /** Groups swapped in (swapped only). */
  groups: number;
  stats: CleanJobResult['stats'] | null;
  error: unknown;
  /** Wall time from the job's start to its swap (or its end). */
  elapsedMs: number;
}

/** Counters since start (metrics, tests). */
export interface CleanerCounters {
  cleanings: number;
  abandoned: number;
  failures: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsKept: number;
  /** Wall time of all cleanings (jobs and swaps). */
  timeMs: number;
}

interface InProgress {
  log: Log;
  aborted: boolean;
  done: Promise<CleaningOutcome>;
}

export class LogCleanerManager {
  private readonly checkpoints = new Map<string, CleanerCheckpoint>();
  private readonly inProgress = new Map<TpKey, InProgress>();
  private readonly last = new Map<TpKey, CleaningOutcome>();
  /** Per log, the latest delete horizon its last cleaning wrote: once passed, the log is cleaned again. */
  private readonly deleteHorizons = new Map<TpKey, number>();
  private readonly checkpointWrites = new Set<Promise<void>>();
  private readonly now: () => number;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  /** The last error a pass of the loop threw (not a cleaning's: those are in lastOutcome). */
  lastError: unknown = null;
  private stopped = false;
  readonly counters: CleanerCounters = { cleanings: 0, abandoned: 0, failures: 0, bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsKept: 0, timeMs: 0 };

  constructor(private readonly o: LogCleanerManagerOptions) {
    invariant(o.config['log.cleaner.threads'] >= 1, 'log.cleaner.threads >= 1');
    this.now = o.now ?? Date.now;
    for (const d of o.logDirs) this.checkpoints.set(d, new CleanerCheckpoint(d, o.fs));
  }

  // ---- the loop -------------------------------------------------------------------------------------

  /** Starts the loop: a pass now, then one each time a cleaning ends or log.cleaner.backoff.ms passes. */
  start(): void {
    if (this.stopped || this.running) return;
    this.running = true;
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (!this.running || this.stopped) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      try {
        this.startReady();
      } catch (e) {
        this.lastError = e; // one pass failing (a log closing under it) does not stop the loop
      }
      if (this.timer === null) this.schedule(this.o.config['log.cleaner.backoff.ms']);
    }, delayMs);
    unrefTimer(this.timer);
  }

  /** Starts cleanings of the filthiest ready logs while threads are free; returns what it started. */
  private startReady(only?: { topic: string; partition: number }): Promise<CleaningOutcome>[] {
    const started: Promise<CleaningOutcome>[] = [];
    if (this.stopped) return started;
    const threads = this.o.config['log.cleaner.threads'];
    const nowMs = this.now();
    const candidates = this.candidates(nowMs, only);
    const taken = new Set(this.inProgress.keys());
    for (let i = 0; this.inProgress.size < threads && i < MAX_PASS_CLEANINGS; i++) {
      const next = pickFilthiest(candidates, taken);
      if (next === null) break;
      taken.add(next.key);
      started.push(this.startCleaning(next.log, next.logDir, next.cleanable, nowMs));
    }
    return started;
  }

  /** Compacted, open, online logs with what a cleaning of each would take. */
  private candidates(nowMs: number, only?: { topic: string; partition: number }): { key: TpKey; log: Log; logDir: string; cleanable: Cleanable }[] {
    const out: { key: TpKey; log: Log; logDir: string; cleanable: Cleanable }[] = [];
    for (const { log, logDir } of this.o.logs()) {
      if (only && (log.topic !== only.topic || log.partition !== only.partition)) continue;
      if (!log.config['cleanup.policy'].includes('compact') || log.isClosed || log.isOffline) continue;
      const cleanable = this.cleanableOf(log, logDir, nowMs);
      // cleanNow(topic, partition) cleans whatever is cleanable, dirty ratio or not.
      const key = tpKey(log.topic, log.partition);
      if (only && cleanable.cleanableEnd > 0) cleanable.ready = true;
      // Tombstones whose horizon passed go with a cleaning, even if nothing new is dirty (Kafka does the same).
      const horizon = this.deleteHorizons.get(key);
      if (!cleanable.ready && cleanable.cleanableEnd > 0 && horizon !== undefined && horizon <= nowMs) cleanable.ready = true;
      out.push({ key, log, logDir, cleanable });
    }
    return out;
  }

  /** What a cleaning of `log` would take now (cleanable.ts). */
  cleanableOf(log: Log, logDir: string, nowMs = this.now()): Cleanable {
    const segments: SegmentStats[] = log.segmentList.map((s) => ({
      baseOffset: s.baseOffset,
      size: s.size,
      largestTimestamp: s.largestTimestamp,
      firstBatchTimestamp: s.rollingBasedTimestamp,
    }));
    const c = log.config;
    return cleanableOf({
      segments,
      logStartOffset: log.logStartOffset,
      logEndOffset: log.logEndOffset,
      highWatermark: log.highWatermark,
      checkpoint: this.checkpoints.get(logDir)?.get(log.topic, log.partition),
      nowMs,
      minCompactionLagMs: c['min.compaction.lag.ms'],
      maxCompactionLagMs: c['max.compaction.lag.ms'],
      minCleanableRatio: c['min.cleanable.dirty.ratio'],
    });
  }

  /** The job for the cleanable part of `log` (clean-job.ts's fields, the per-thread shares of the buffers). */
  buildJob(log: Log, cleanable: Cleanable, nowMs: number): CleanJob {
    const list = log.segmentList;
    invariant(cleanable.cleanableEnd > 0 && cleanable.cleanableEnd < list.length, 'a job covers inactive segments only');
    const segments = list.slice(0, cleanable.cleanableEnd).map((s, i) => ({
      baseOffset: s.baseOffset,
      size: s.size,
      nextBaseOffset: list[i + 1]!.baseOffset,
      offsetIndexEntries: s.offsetIndex.entries,
      timeIndexEntries: s.timeIndex.entries,
    }));
    invariant(segments[segments.length - 1]!.nextBaseOffset === cleanable.firstUncleanableOffset, 'the job ends at the first uncleanable offset');
    const retain: number[] = [];
    for (const e of log.producerState.entries()) {
      const lastBatch = e.batches[e.batches.length - 1];
      if (lastBatch !== undefined) retain.push(lastBatch.lastOffset);
    }
    const cfg = this.o.config;
    const threads = cfg['log.cleaner.threads'];
    const c = log.config;
    return {
      dir: log.dir,
      topic: log.topic,
      partition: log.partition,
      segments,
      firstDirtyOffset: cleanable.firstDirtyOffset,
      firstUncleanableOffset: cleanable.firstUncleanableOffset,
      nowMs,
      segmentBytes: c['segment.bytes'],
      maxIndexBytes: c['segment.index.bytes'],
      indexIntervalBytes: c['index.interval.bytes'],
      deleteRetentionMs: c['delete.retention.ms'],
      maxMessageBytes: c['max.message.bytes'],
      retainBatchLastOffsets: retain.sort((a, b) => a - b),
      mapSlots: offsetMapSlots(cfg['log.cleaner.dedupe.buffer.size'], threads, cfg['log.cleaner.io.buffer.load.factor'], cleanable.firstUncleanableOffset - cleanable.firstDirtyOffset),
      mapLoadFactor: cfg['log.cleaner.io.buffer.load.factor'],
      ioMaxBytesPerSecond: cfg['log.cleaner.io.max.bytes.per.second'] / threads,
      readBufferBytes: Math.max(Math.floor(cfg['log.cleaner.io.buffer.size'] / threads / 2), c['max.message.bytes']),
    };
  }

  private startCleaning(log: Log, logDir: string, cleanable: Cleanable, nowMs: number): Promise<CleaningOutcome> {
    const key = tpKey(log.topic, log.partition);
    invariant(!this.inProgress.has(key), `one cleaning of ${key} at a time`);
    const job = this.buildJob(log, cleanable, nowMs);
    const entry: InProgress = { log, aborted: false, done: null as unknown as Promise<CleaningOutcome> };
    entry.done = this.clean(entry, job, log.generation, logDir, cleanable).finally(() => {
      this.inProgress.delete(key);
      this.schedule(0);
    });
    this.inProgress.set(key, entry);
    return entry.done;
  }

  private async clean(entry: InProgress, job: CleanJob, generation: number, logDir: string, cleanable: Cleanable): Promise<CleaningOutcome> {
    const { log } = entry;
    const started = this.now();
    const outcome = (status: CleaningOutcome['status'], extra: Partial<CleaningOutcome> = {}): CleaningOutcome => {
      const o: CleaningOutcome = {
        topic: log.topic,
        partition: log.partition,
        status,
        firstDirtyOffset: cleanable.firstDirtyOffset,
        firstUncleanableOffset: cleanable.firstUncleanableOffset,
        dirtyRatio: cleanable.dirtyRatio,
        cleanedUpTo: null,
        groups: 0,
        stats: null,
        error: null,
        elapsedMs: Math.max(0, this.now() - started),
        ...extra,
      };
      this.counters.timeMs += o.elapsedMs;
      if (status === 'swapped') this.counters.cleanings++;
      else if (status === 'abandoned') this.counters.abandoned++;
      else this.counters.failures++;
      this.last.set(tpKey(log.topic, log.partition), o);
      return o;
    };
    const gone = () => entry.aborted || this.o.currentLog(log.topic, log.partition) !== log;
    let result: CleanJobResult;
    try {
      result = await this.o.runner.run(job);
    } catch (error) {
      // A cleaning whose log went meanwhile (its files with it) failed for that reason: abandoned.
      return outcome(gone() ? 'abandoned' : 'failed', { error });
    }
    const stats = result.stats;
    this.counters.bytesRead += stats.bytesRead;
    this.counters.bytesWritten += stats.bytesWritten;
    this.counters.recordsRead += stats.recordsRead;
    this.counters.recordsKept += stats.recordsKept;
    const bases = result.groups.map((g) => g.baseOffset);
    if (gone()) {
      discardCleanedFiles(this.o.fs, job.dir, bases);
      return outcome('abandoned', { stats });
    }
    let swapped: boolean;
    try {
      swapped = log.replaceSegments(result, job, generation);
    } catch (error) {
      return outcome('failed', { error, stats });
    }
    if (!swapped) return outcome('abandoned', { stats });
    const key = tpKey(log.topic, log.partition);
    if (stats.pendingDeleteHorizonMs >= 0) this.deleteHorizons.set(key, stats.pendingDeleteHorizonMs);
    else this.deleteHorizons.delete(key);
    invariant(result.cleanedUpTo >= cleanable.firstDirtyOffset && result.cleanedUpTo <= cleanable.firstUncleanableOffset, `cleanedUpTo ${result.cleanedUpTo} within the job's dirty section`);
    const cp = this.checkpoints.get(logDir);
    if (cp !== undefined) {
      cp.set(log.topic, log.partition, result.cleanedUpTo);
      // Entries of partitions no longer served go (deleted while the broker was down, or moved).
      cp.retain((topic, partition) => this.o.currentLog(topic, partition) !== undefined);
      this.writeCheckpoint(cp);
    }
    return outcome('swapped', { cleanedUpTo: result.cleanedUpTo, groups: result.groups.length, stats });
  }

  private writeCheckpoint(cp: CleanerCheckpoint): void {
    const p = cp.write().catch(() => undefined); // an older checkpoint only means more cleaning later
    this.checkpointWrites.add(p);
    void p.finally(() => this.checkpointWrites.delete(p));
  }

  /**
   * The cleaner's config changed (dynamic broker configs; `config` is read at each use): the runner gets the
   * new thread count and the running cleanings the new throttle rate, and a pass runs now, so new threads
   * take ready logs at once. The next jobs get the new buffers, the loop the new backoff.
   */
  reconfigure(): void {
    const threads = this.o.config['log.cleaner.threads'];
    if (threads >= 1) this.o.runner.setThreads?.(threads);
    const rate = this.o.config['log.cleaner.io.max.bytes.per.second'];
    if (threads >= 1 && rate > 0) this.o.runner.setIoMaxBytesPerSecond?.(rate / threads);
    if (this.running) this.schedule(0);
  }

  // ---- control --------------------------------------------------------------------------------------

  /**
   * One pass now (tests and tools): starts the cleanings a pass of the loop would (or, for one partition,
   * a cleaning of whatever of it is cleanable, whatever its dirty ratio) and resolves with their outcomes
   * once they are done; a cleaning of that partition already running is waited for instead.
   */
  async cleanNow(topic?: string, partition?: number): Promise<CleaningOutcome[]> {
    invariant((topic === undefined) === (partition === undefined), 'cleanNow takes a topic and a partition, or neither');
    const only = topic !== undefined ? { topic, partition: partition! } : undefined;
    const running = only ? this.inProgress.get(tpKey(only.topic, only.partition)) : undefined;
    if (running !== undefined) return [await running.done];
    return Promise.all(this.startReady(only));
  }

  /** Abandons a running cleaning of the partition (its output is discarded); resolves once it has ended. */
  async abortCleaning(topic: string, partition: number): Promise<void> {
    const e = this.inProgress.get(tpKey(topic, partition));
    if (e === undefined) return;
    e.aborted = true;
    await e.done;
  }

  /** Whether a cleaning of the partition is running. */
  isCleaning(topic: string, partition: number): boolean {
    return this.inProgress.has(tpKey(topic, partition));
  }

  /** A partition deleted: its cleaning abandoned, its checkpoint entry dropped. */
  partitionDeleted(topic: string, partition: number): Promise<void> {
    const aborted = this.abortCleaning(topic, partition);
    const key = tpKey(topic, partition);
    this.last.delete(key);
    this.deleteHorizons.delete(key);
    for (const cp of this.checkpoints.values()) if (cp.remove(topic, partition)) this.writeCheckpoint(cp);
    return aborted;
  }

  /** A log truncated to `offset`: its checkpoint entry comes down to it (Kafka's maybeTruncateCheckpoint). */
  truncated(log: Log, logDir: string, offset: number): void {
    const cp = this.checkpoints.get(logDir);
    if (cp?.truncate(log.topic, log.partition, offset)) this.writeCheckpoint(cp);
  }

  /** The checkpointed first dirty offset of a partition (tests, tools). */
  checkpointedOffset(logDir: string, topic: string, partition: number): number | undefined {
    return this.checkpoints.get(logDir)?.get(topic, partition);
  }

  /** How the last cleaning of a partition ended. */
  lastOutcome(topic: string, partition: number): CleaningOutcome | undefined {
    return this.last.get(tpKey(topic, partition));
  }

  /** Stops the loop and waits for the running cleanings (swapped in as usual) and checkpoint writes. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.inProgress.values()].map((e) => e.done));
    await Promise.allSettled([...this.checkpointWrites]);
  }
}
