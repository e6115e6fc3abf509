// One topic-partition kept in the Origin Private File System, in the broker's layout: a directory
// `<topic>-<partition>` holding segments `<20-digit base offset>.log` + `.index` + `.timeindex`.
//
// The log itself is the broker's (storage/log.ts: append, roll, flush policy, recovery point, segment
// lookup, recovery at open) running over an OPFS StorageFs. What is browser-specific lives here: files are
// opened ahead of time (OPFS opens are asynchronous), so before an append that rolls the new segment's
// files are prepared; appends take records (encoded by the core); the recovery point and the clean-close
// marker live in a small meta store instead of the broker's checkpoint files; appends are announced to
// waiters and listeners (the sync side, other tabs).
//
// Append: the core encodes the records into a batch in its linear memory (the one copy into wasm), the
// log validates it and assigns offsets in place (the broker's one-pass append), and the segment writes
// straight from that memory view.
import type { RivuletCore } from '../../bindings/core.js';
import { LONG_MAX, defaultLogConfig, type LogConfig } from '../../storage/config.js';
import { ErrorCode, StorageError } from '../../storage/errors.js';
import { Log } from '../../storage/log.js';
import { INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, offsetFileName, parseOffsetFileName } from '../../storage/segment.js';
import type { WasmStorageCore } from '../../storage/wasm-storage-core.js';
import type { LocalRecord, LocalRecordInput, SyncableLog } from '../sync/types.js';
import { MetaStore } from './meta-store.js';
import { OpfsFs } from './opfs-fs.js';
import { AppendWaiters } from './append-waiters.js';

export interface LocalLogOptions {
  /** segment.bytes: roll to a new segment past this size (default 16 MiB; Kafka's broker default is 1 GiB). */
  segmentBytes?: number;
  /** segment.index.bytes: the index files' preallocated size (default 1 MiB; Kafka's is 10 MiB). */
  segmentIndexBytes?: number;
  /** index.interval.bytes: bytes between sparse index entries (Kafka's default 4096). */
  indexIntervalBytes?: number;
  /** max.message.bytes: largest batch accepted (Kafka's default 1048588). */
  maxMessageBytes?: number;
  /** flush.ms: how long appended bytes may wait for a flush (default 1000). Writes reach the file at once. */
  flushMs?: number;
}

/** What open() found and repaired. */
export interface LoadStats {
  clean: boolean;
  truncatedBytes: number;
  recoveredSegments: number;
  removedSegments: number;
}

type EncodableRecord = { key: Uint8Array | null; value: Uint8Array | null; headers?: LocalRecordInput['headers']; timestamp: number };

const RECOVERY_POINT = 'rivulet.recovery-point';
const CLEAN_CLOSE = 'rivulet.clean-close';
/** Files of the segment layout (and leftovers recovery removes) the OPFS file layer opens. */
const SEGMENT_FILE = /^\d{20}\.(log|index|timeindex)(\.deleted|\.cleaned|\.swap)?$|\.tmp$/;

/** A topic name Kafka accepts (legal characters, at most 249) — also a safe directory name. */
export function checkTopicName(topic: string): void {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > 249 || topic === '.' || topic === '..' || !/^[a-zA-Z0-9._-]+$/.test(topic)) {
    throw new TypeError(`invalid topic name ${JSON.stringify(topic)}: 1-249 characters of [a-zA-Z0-9._-], not '.' or '..'`);
  }
}

/** The three files of the segment starting at `baseOffset`. */
function segmentFiles(baseOffset: number): string[] {
  const stem = offsetFileName(baseOffset);
  return [stem + LOG_SUFFIX, stem + INDEX_SUFFIX, stem + TIME_INDEX_SUFFIX];
}

/** The browser's options as topic configs; rolls by size and full indexes only (a time roll could not prepare its files). */
function logConfigOf(opts: LocalLogOptions): LogConfig {
  const c: LogConfig = {
    ...defaultLogConfig(),
    'segment.bytes': opts.segmentBytes ?? 16 * 1024 * 1024,
    'segment.ms': LONG_MAX,
    'segment.jitter.ms': 0,
    'segment.index.bytes': opts.segmentIndexBytes ?? 1024 * 1024,
    'index.interval.bytes': opts.indexIntervalBytes ?? 4096,
    'retention.ms': -1,
    'retention.bytes': -1,
    'flush.ms': opts.flushMs ?? 1000,
    'max.message.bytes': opts.maxMessageBytes ?? 1048588,
  };
  if (!(c['segment.bytes'] >= 1024)) throw new RangeError('segmentBytes must be at least 1024');
  if (!(c['segment.index.bytes'] >= 96)) throw new RangeError('segmentIndexBytes must be at least 96');
  return c;
}

export class LocalLog implements SyncableLog {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly waiters = new AppendWaiters();
  private readonly listeners = new Set<(baseOffset: number, lastOffset: number) => void>();
  private closed = false;

  private constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly fs: OpfsFs,
    private readonly meta: MetaStore,
    private readonly core: RivuletCore,
    private readonly log: Log,
    readonly loadStats: LoadStats,
  ) {}

  /**
   * Opens (creating when missing) `<root>/<topic>-<partition>` and recovers it: after a clean close the
   * files are trusted (indexes sanity-checked, the tail walked); otherwise every batch from the segment
   * holding the recovery point on is validated by the core, a torn or corrupt tail is cut and the
   * indexes are rebuilt.
   */
  static async open(root: FileSystemDirectoryHandle, topic: string, partition: number, storage: WasmStorageCore, opts: LocalLogOptions = {}): Promise<LocalLog> {
    checkTopicName(topic);
    if (!Number.isSafeInteger(partition) || partition < 0 || partition > 0x7fffffff) throw new TypeError(`invalid partition ${partition}`);
    const config = logConfigOf(opts);
    const dirName = `${topic}-${partition}`;
    const dirHandle = await root.getDirectoryHandle(dirName, { create: true });
    const meta = await MetaStore.open(dirHandle, (b) => storage.core.crc32c(b));
    let fs: OpfsFs | null = null;
    try {
      fs = await OpfsFs.open(dirHandle, dirName, (n) => SEGMENT_FILE.test(n));
      await prepareSegments(fs);
      const clean = meta.get(CLEAN_CLOSE) === '1';
      const log = new Log({
        topic,
        partition,
        dir: dirName,
        config,
        fs,
        core: storage,
        clean,
        recoveryPoint: Number(meta.get(RECOVERY_POINT) ?? 0),
        logStartOffset: 0,
        producerState: false,
        onRecoveryPointChange: (l) => saveRecoveryPoint(meta, l.recoveryPoint),
      });
      await fs.finishRemovals();
      // From here on the files change without a clean close until close() says otherwise.
      meta.set({ [CLEAN_CLOSE]: undefined, [RECOVERY_POINT]: String(log.recoveryPoint) });
      const { truncatedBytes, recoveredSegments, removedSegments } = log.loadStats;
      return new LocalLog(topic, partition, fs, meta, storage.core, log, { clean, truncatedBytes, recoveredSegments, removedSegments });
    } catch (e) {
      fs?.closeAll();
      meta.close();
      throw e;
    }
  }

  /** Next offset to be assigned. */
  endOffset(): number {
    return this.log.logEndOffset;
  }
  /** First offset kept. */
  startOffset(): number {
    return this.log.logStartOffset;
  }

  /** Appends records as one batch; resolves with the offsets the core assigned. */
  append(records: LocalRecordInput[]): Promise<{ baseOffset: number; lastOffset: number }> {
    return this.serialized(() => this.appendNow(records));
  }

  /** Appends run one after the other: preparing a new segment's files in the middle of one awaits OPFS. */
  private serialized<T>(f: () => T | Promise<T>): Promise<T> {
    const run = this.tail.then(f, f);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async appendNow(records: LocalRecordInput[]): Promise<{ baseOffset: number; lastOffset: number }> {
    this.checkOpen();
    const input = checkRecords(records, Date.now());
    let staged = this.encode(input);
    if (this.log.rollsBefore(staged.byteLength, this.log.logEndOffset + input.length - 1)) {
      await this.fs.prepare(segmentFiles(this.log.logEndOffset));
      staged = this.encode(input); // the core's scratch may have been reused while the files opened
    }
    const info = this.appendStaged(staged);
    this.notify(info.firstOffset, info.lastOffset);
    return { baseOffset: info.firstOffset, lastOffset: info.lastOffset };
  }

  /** The log's append; a batch the log refuses is the caller's error, named by its Kafka error code. */
  private appendStaged(staged: Uint8Array): ReturnType<Log['appendStaged']> {
    try {
      return this.log.appendStaged(staged);
    } catch (e) {
      if (e instanceof StorageError && e.code !== ErrorCode.KAFKA_STORAGE_ERROR) throw new Error(`append rejected (Kafka error ${e.code}): ${e.message}`);
      throw e;
    }
  }

  /** The records as one v2 batch in the core's linear memory (a view; valid until the next core call). */
  private encode(records: EncodableRecord[]): Uint8Array {
    const { ptr, size } = this.core.encodeBatchInPlace({ baseOffset: 0, records });
    return this.core.u8.subarray(ptr, ptr + size);
  }

  /** Flushes the active segment (log + indexes) and moves the recovery point to the log end. */
  flush(): Promise<void> {
    return this.serialized(() => {
      if (!this.closed) this.log.flush();
    });
  }

  /** Up to `maxRecords` records from `fromOffset` on (fewer at the log end). */
  async read(fromOffset: number, maxRecords: number): Promise<LocalRecord[]> {
    this.checkOpen();
    if (!Number.isSafeInteger(fromOffset) || fromOffset < 0) throw new RangeError(`invalid offset ${fromOffset}`);
    if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) throw new RangeError(`invalid maxRecords ${maxRecords}`);
    if (fromOffset < this.startOffset()) throw new RangeError(`OFFSET_OUT_OF_RANGE: ${fromOffset} is below the log start ${this.startOffset()}`);
    const out: LocalRecord[] = [];
    let next = fromOffset;
    // Roughly the bytes `maxRecords` records need; at least one whole batch is always read.
    const maxBytes = Math.min(8 << 20, Math.max(64 * 1024, maxRecords * 1100));
    for (let guard = 0; out.length < maxRecords && next < this.log.logEndOffset; guard++) {
      if (guard > 1_000_000) throw new Error('read makes no progress');
      const range = this.log.read(next, maxBytes, 'log_end').records;
      if (range === null) break;
      const progressed = this.decodeInto(out, range.read(), next, maxRecords);
      next = progressed > next ? progressed : Math.max(next, range.firstOffset + 1);
    }
    return out;
  }

  /** Appends the records of `bytes` from offset `from` on to `out` (up to `max`); returns the next offset to read. */
  private decodeInto(out: LocalRecord[], bytes: Uint8Array, from: number, max: number): number {
    let next = from;
    for (const b of this.core.decodeBatches(bytes)) {
      for (const r of b.records) {
        const offset = Number(r.offset);
        if (offset < next || out.length >= max) continue;
        out.push({
          offset,
          timestamp: Number(r.timestamp),
          key: r.key === null ? null : r.key.slice(),
          value: r.value === null ? null : r.value.slice(),
          headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.slice() })),
        });
        next = offset + 1;
      }
      // A batch without readable records (compressed, from some other writer) is stepped over.
      if (b.records.length === 0) next = Math.max(next, Number(b.baseOffset) + b.lastOffsetDelta + 1);
    }
    return next;
  }

  async getMeta(key: string): Promise<string | undefined> {
    return this.meta.get(`user.${key}`);
  }
  async setMeta(key: string, value: string): Promise<void> {
    this.checkOpen();
    this.meta.set({ [`user.${key}`]: value });
  }

  /** Resolves once records past `offset` exist (endOffset() > offset), or rejects when the signal aborts or the log closes. */
  waitForAppend(offset: number, signal?: AbortSignal): Promise<void> {
    return this.waiters.wait(offset, this.log.logEndOffset, this.closed ? new Error('log closed') : null, signal);
  }

  /** Called after every append with its offset range. Returns an unsubscribe function. */
  onAppend(fn: (baseOffset: number, lastOffset: number) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(baseOffset: number, lastOffset: number): void {
    this.waiters.wake(this.log.logEndOffset);
    for (const fn of this.listeners) {
      try {
        fn(baseOffset, lastOffset);
      } catch {
        /* a listener's error is its own */
      }
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`log ${this.topic}-${this.partition} is closed`);
  }

  /** Flushes, trims the active segment's indexes, writes the clean-close marker and releases the files. */
  close(): Promise<void> {
    return this.serialized(() => {
      if (this.closed) return;
      this.closed = true;
      try {
        this.log.close();
        if (this.log.wasCleanlyClosed) this.meta.set({ [RECOVERY_POINT]: String(this.log.logEndOffset), [CLEAN_CLOSE]: '1' });
      } finally {
        this.fs.closeAll();
        this.meta.close();
        this.waiters.rejectAll(new Error('log closed'));
      }
    });
  }
}

/** Opens every segment's files (index files created empty when missing: recovery rebuilds them); an empty directory gets its first segment's. */
async function prepareSegments(fs: OpfsFs): Promise<void> {
  const bases = fs.readdirSync(fs.dir).map((n) => parseOffsetFileName(n, LOG_SUFFIX)).filter((b): b is number => b !== null);
  for (const b of bases.length > 0 ? bases : [0]) await fs.prepare(segmentFiles(b));
}

/** The recovery point, kept across an unclean stop (a failed write only means more is validated at the next open). */
function saveRecoveryPoint(meta: MetaStore, offset: number): void {
  try {
    meta.set({ [RECOVERY_POINT]: String(offset) });
  } catch {
    /* the next open validates from the older recovery point */
  }
}

/** The records to append, checked, with missing keys/values as null and missing timestamps as `now`. */
function checkRecords(records: LocalRecordInput[], now: number): EncodableRecord[] {
  if (!Array.isArray(records) || records.length === 0) throw new TypeError('append needs a non-empty array of records');
  return records.map((r, i) => {
    if (r === null || typeof r !== 'object') throw new TypeError(`record ${i} is not an object`);
    if (r.timestamp !== undefined && !Number.isSafeInteger(r.timestamp)) throw new TypeError(`record ${i}: timestamp must be an integer (ms)`);
    return { key: r.key ?? null, value: r.value ?? null, headers: r.headers, timestamp: r.timestamp ?? now };
  });
}
