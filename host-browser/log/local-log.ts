// One topic-partition kept in the Origin Private File System, in the broker's layout: a directory
// `<topic>-<partition>` holding segments `<20-digit base offset>.log` + `.index` + `.timeindex`.
//
// The segment, index and recovery code is host-node/storage's (LogSegment, OffsetIndex, TimeIndex,
// loadSegments) running over an OPFS StorageFs; what is browser-specific lives here: files are opened
// ahead of time (OPFS opens are asynchronous), appends take records (encoded by the core), and the
// recovery point / clean-close marker live in a small meta store instead of the broker's checkpoint files.
//
// Append: the core encodes the records into a batch in its linear memory (the one copy into wasm), the
// storage adapter validates it and assigns offsets in place (the broker's one-pass append), and the
// segment writes straight from that memory view.
import type { RivuletCore } from '../../bindings/core.js';
import { loadSegments } from '../../storage/recovery.js';
import { INDEX_SUFFIX, LOG_SUFFIX, LogSegment, TIME_INDEX_SUFFIX, offsetFileName, parseOffsetFileName, type SegmentOptions } from '../../storage/segment.js';
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

export class LocalLog implements SyncableLog {
  private segments: LogSegment[];
  private logEndOffset: number;
  private recoveryPoint: number;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
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
    private readonly storage: WasmStorageCore,
    private readonly segOpts: SegmentOptions,
    private readonly o: Required<LocalLogOptions>,
    segments: LogSegment[],
    readonly loadStats: LoadStats,
  ) {
    this.segments = segments;
    this.logEndOffset = segments[segments.length - 1]!.nextOffset;
    this.recoveryPoint = this.logEndOffset;
  }

  /**
   * Opens (creating when missing) `<root>/<topic>-<partition>` and recovers it: after a clean close the
   * files are trusted (indexes sanity-checked, the tail walked); otherwise every batch from the segment
   * holding the recovery point on is validated by the core, a torn or corrupt tail is cut and the
   * indexes are rebuilt.
   */
  static async open(root: FileSystemDirectoryHandle, topic: string, partition: number, storage: WasmStorageCore, opts: LocalLogOptions = {}): Promise<LocalLog> {
    checkTopicName(topic);
    if (!Number.isSafeInteger(partition) || partition < 0 || partition > 0x7fffffff) throw new TypeError(`invalid partition ${partition}`);
    const o: Required<LocalLogOptions> = {
      segmentBytes: opts.segmentBytes ?? 16 * 1024 * 1024,
      segmentIndexBytes: opts.segmentIndexBytes ?? 1024 * 1024,
      indexIntervalBytes: opts.indexIntervalBytes ?? 4096,
      maxMessageBytes: opts.maxMessageBytes ?? 1048588,
      flushMs: opts.flushMs ?? 1000,
    };
    if (!(o.segmentBytes >= 1024)) throw new RangeError('segmentBytes must be at least 1024');
    if (!(o.segmentIndexBytes >= 96)) throw new RangeError('segmentIndexBytes must be at least 96');
    const dirName = `${topic}-${partition}`;
    const dirHandle = await root.getDirectoryHandle(dirName, { create: true });
    const core = storage.core;
    const meta = await MetaStore.open(dirHandle, (b) => core.crc32c(b));
    let fs: OpfsFs | null = null;
    try {
      fs = await OpfsFs.open(dirHandle, dirName, (n) => SEGMENT_FILE.test(n));
      // Every segment gets its index files opened (created empty when missing: recovery rebuilds them),
      // and an empty directory gets the files of its first segment ready.
      const logBases = fs.readdirSync(dirName).map((n) => parseOffsetFileName(n, LOG_SUFFIX)).filter((b): b is number => b !== null);
      for (const b of logBases.length > 0 ? logBases : [0]) {
        const stem = offsetFileName(b);
        await fs.prepare([stem + LOG_SUFFIX, stem + INDEX_SUFFIX, stem + TIME_INDEX_SUFFIX]);
      }
      const segOpts: SegmentOptions = { fs, core: storage, maxIndexBytes: o.segmentIndexBytes, indexIntervalBytes: o.indexIntervalBytes };
      const clean = meta.get(CLEAN_CLOSE) === '1';
      const loaded = loadSegments({
        dir: dirName,
        segmentOptions: segOpts,
        clean,
        recoveryPoint: Number(meta.get(RECOVERY_POINT) ?? 0),
        logStartOffset: 0,
        maxBatchBytes: o.maxMessageBytes,
        nowMs: Date.now(),
      });
      await fs.finishRemovals();
      // From here on the files change without a clean close until close() says otherwise.
      meta.set({ [CLEAN_CLOSE]: undefined, [RECOVERY_POINT]: String(loaded.recoveryPoint) });
      const stats = { clean, truncatedBytes: loaded.truncatedBytes, recoveredSegments: loaded.recoveredSegments, removedSegments: loaded.removedSegments };
      return new LocalLog(topic, partition, fs, meta, core, storage, segOpts, o, loaded.segments, stats);
    } catch (e) {
      fs?.closeAll();
      meta.close();
      throw e;
    }
  }

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  /** Next offset to be assigned. */
  endOffset(): number {
    return this.logEndOffset;
  }
  /** First offset kept. */
  startOffset(): number {
    return this.segments[0]!.baseOffset;
  }

  /** Appends records as one batch; resolves with the offsets the core assigned. */
  append(records: LocalRecordInput[]): Promise<{ baseOffset: number; lastOffset: number }> {
    return this.serialized(() => this.appendNow(records));
  }

  /** Appends run one after the other: a roll in the middle of one awaits OPFS. */
  private serialized<T>(f: () => T | Promise<T>): Promise<T> {
    const run = this.tail.then(f, f);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async appendNow(records: LocalRecordInput[]): Promise<{ baseOffset: number; lastOffset: number }> {
    this.checkOpen();
    if (!Array.isArray(records) || records.length === 0) throw new TypeError('append needs a non-empty array of records');
    const now = Date.now();
    const input = records.map((r, i) => {
      if (r === null || typeof r !== 'object') throw new TypeError(`record ${i} is not an object`);
      if (r.timestamp !== undefined && !Number.isSafeInteger(r.timestamp)) throw new TypeError(`record ${i}: timestamp must be an integer (ms)`);
      return { key: r.key ?? null, value: r.value ?? null, headers: r.headers, timestamp: r.timestamp ?? now };
    });
    let staged = this.encode(input);
    const seg = this.active;
    if (!seg.isEmpty && (seg.size + staged.byteLength > this.o.segmentBytes || seg.offsetIndex.isFull || seg.timeIndex.isFull)) {
      await this.roll();
      staged = this.encode(input); // the core's scratch may have been reused while the roll awaited
    }
    const r = this.storage.assign(staged, { nextOffset: this.logEndOffset, logAppendTimeMs: -1, maxBatchBytes: this.o.maxMessageBytes });
    if (!r.ok) throw new Error(`append rejected (Kafka error ${r.errorCode}): ${r.message}`);
    try {
      this.active.append(staged, r.batches);
    } catch (e) {
      try {
        this.active.truncateGarbage();
      } catch {
        /* the next open's recovery cuts it */
      }
      throw e;
    }
    const baseOffset = r.batches[0]!.baseOffset;
    const lastOffset = r.batches[r.batches.length - 1]!.lastOffset;
    this.logEndOffset = lastOffset + 1;
    this.scheduleFlush();
    this.notify(baseOffset, lastOffset);
    return { baseOffset, lastOffset };
  }

  /** The records as one v2 batch in the core's linear memory (a view; valid until the next core call). */
  private encode(records: { key: Uint8Array | null; value: Uint8Array | null; headers?: LocalRecordInput['headers']; timestamp: number }[]): Uint8Array {
    const { ptr, size } = this.core.encodeBatchInPlace({ baseOffset: 0, records });
    return this.core.u8.subarray(ptr, ptr + size);
  }

  private async roll(): Promise<void> {
    const base = this.logEndOffset;
    const stem = offsetFileName(base);
    await this.fs.prepare([stem + LOG_SUFFIX, stem + INDEX_SUFFIX, stem + TIME_INDEX_SUFFIX]);
    const old = this.active;
    old.onBecomeInactive();
    old.flushSync();
    this.segments.push(LogSegment.create(this.fs.dir, base, this.segOpts, Date.now()));
    old.releaseIndexFds();
    this.setRecoveryPoint(base);
  }

  private setRecoveryPoint(offset: number): void {
    if (offset <= this.recoveryPoint) return;
    this.recoveryPoint = offset;
    this.meta.set({ [RECOVERY_POINT]: String(offset) });
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      if (!this.closed) void this.flush().catch(() => undefined);
    }, this.o.flushMs);
  }

  /** Flushes the active segment (log + indexes) and moves the recovery point to the log end. */
  flush(): Promise<void> {
    return this.serialized(() => {
      if (this.closed || this.logEndOffset <= this.recoveryPoint) return;
      this.active.flushSync();
      this.setRecoveryPoint(this.logEndOffset);
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
    for (let guard = 0; out.length < maxRecords && next < this.logEndOffset; guard++) {
      if (guard > 1_000_000) throw new Error('read makes no progress');
      const seg = this.segmentFor(next);
      if (seg === null) break;
      const range = seg.read(next, maxBytes, seg.size, true);
      if (range === null || range.size === 0) {
        // Past this segment's end: continue in the next one.
        const i = this.segments.indexOf(seg);
        if (i + 1 >= this.segments.length) break;
        next = Math.max(next, this.segments[i + 1]!.baseOffset);
        continue;
      }
      const bytes = range.read();
      let progressed = false;
      for (const b of this.core.decodeBatches(bytes)) {
        for (const r of b.records) {
          const offset = Number(r.offset);
          if (offset < next || out.length >= maxRecords) continue;
          out.push({
            offset,
            timestamp: Number(r.timestamp),
            key: r.key === null ? null : r.key.slice(),
            value: r.value === null ? null : r.value.slice(),
            headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.slice() })),
          });
          next = offset + 1;
          progressed = true;
        }
        // A batch without readable records (compressed, from some other writer) is stepped over.
        if (b.records.length === 0) next = Math.max(next, Number(b.baseOffset) + b.lastOffsetDelta + 1);
      }
      if (!progressed && out.length < maxRecords) next = Math.max(next, range.firstOffset + 1);
    }
    return out;
  }

  private segmentFor(offset: number): LogSegment | null {
    let lo = 0;
    let hi = this.segments.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans < 0 ? null : this.segments[ans]!;
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
    return this.waiters.wait(offset, this.logEndOffset, this.closed ? new Error('log closed') : null, signal);
  }

  /** Called after every append with its offset range. Returns an unsubscribe function. */
  onAppend(fn: (baseOffset: number, lastOffset: number) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(baseOffset: number, lastOffset: number): void {
    this.waiters.wake(this.logEndOffset);
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
      if (this.flushTimer !== null) clearTimeout(this.flushTimer);
      try {
        const active = this.active;
        active.onBecomeInactive();
        active.flushSync();
        this.meta.set({ [RECOVERY_POINT]: String(this.logEndOffset), [CLEAN_CLOSE]: '1' });
      } finally {
        for (const s of this.segments) s.close();
        this.fs.closeAll();
        this.meta.close();
        this.waiters.rejectAll(new Error('log closed'));
      }
    });
  }
}
