// Persistence of groups and offsets in the internal `__consumer_offsets` topic, as Kafka does it: each
// commit / group change is one record batch appended to the partition that owns the group, acknowledged only
// once durable (acks=all: waitDurable), and the whole state is rebuilt at start-up by reading every
// partition from its log start, keeping the latest record per key (a null value is a tombstone). The topic
// is compacted (cleanup.policy=compact), so a log may hold all of its history or only what the cleaner kept:
// offsets with gaps, batches rebuilt with fewer records or none, tombstones whose values are gone and, after
// delete.retention.ms, keys with no record at all. Keeping the latest per key loads both into the same state.

import type { RivuletCore } from '../../bindings/core.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { Isolation, Log } from '../../storage/log.js';
import { StorageError } from '../../storage/errors.js';
import type { Logger } from '../util/log.js';
import type { GroupClock } from './clock.js';
import {
  decodeConsumerOffsetsKey,
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  offsetsPartitionFor,
  type GroupMetadataValue,
  type OffsetCommitValue,
} from './consumer-offsets-schema.js';

/** How the store reaches the partitions of __consumer_offsets (the broker's topic registry; tests use a LogManager). */
export interface OffsetsTopicLogs {
  /** The partition's log if it exists. */
  existing(partition: number): Log | undefined;
  /** The partition's log, created if needed (throws StorageError). */
  getOrCreate(partition: number): Log;
  /** Creates the topic now if it does not exist yet (FindCoordinator does this, as Kafka). */
  ensure?(): void;
  /**
   * Where writes to the partition go: in a cluster, the replicated partition as its leader. Absent: appended
   * to `getOrCreate(p)` and committed once durable under the flush policy.
   */
  writer?(partition: number): OffsetsPartitionWriter;
}

/** Appends to one __consumer_offsets partition and tells when an append is committed. */
export interface OffsetsPartitionWriter {
  /** Appends the batch (throws an error with the Kafka error code in `.code`). */
  append(batch: Uint8Array): { firstOffset: number; lastOffset: number };
  /** Resolves once `lastOffset` is committed; rejects with the Kafka error code in `.code`. */
  waitCommitted(lastOffset: number, timeoutMs: number): Promise<void>;
}

/** A log's writer: committed = durable under the flush policy (one writer per log, so appends coalesce). */
const logWriters = new WeakMap<Log, OffsetsPartitionWriter>();
function logWriter(log: Log): OffsetsPartitionWriter {
  let w = logWriters.get(log);
  if (w === undefined) logWriters.set(log, (w = { append: (b) => log.append(b), waitCommitted: (last) => log.waitDurable(last) }));
  return w;
}

/** Upper bound of one coalesced __consumer_offsets append (bytes). */
const COALESCE_MAX_BYTES = 1 << 20;

interface PendingAppend {
  writer: OffsetsPartitionWriter;
  batch: Uint8Array;
  count: number;
  resolve: (lastOffset: number) => void;
  reject: (e: unknown) => void;
}

export interface StoreRecord {
  key: Uint8Array;
  /** null = tombstone. */
  value: Uint8Array | null;
}

export interface LoadedGroupState {
  /** group → latest GroupMetadataValue (groups whose latest record is a tombstone are absent). */
  groups: Map<string, GroupMetadataValue>;
  /** group → topic → partition → latest offset commit. */
  offsets: Map<string, Map<string, Map<number, OffsetCommitValue>>>;
  records: number;
  skipped: number;
}

/** Kafka's mapping of append errors to what an OffsetCommit / SyncGroup client sees. */
export function coordinatorErrorFor(code: number, forCommit: boolean): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return forCommit ? ErrorCode.INVALID_COMMIT_OFFSET_SIZE : ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

export class OffsetsStore {
  constructor(
    /** The broker's core: encodes the appended batches and decodes the loaded ones. */
    private readonly core: RivuletCore,
    private readonly logs: OffsetsTopicLogs,
    readonly numPartitions: number,
    private readonly clock: GroupClock,
    private readonly opts: { commitTimeoutMs: number; loadBufferSize: number; log?: Logger },
  ) {}

  /** Creates __consumer_offsets if missing; false if that failed. */
  ensureTopic(): boolean {
    try {
      this.logs.ensure?.();
      return true;
    } catch (e) {
      this.opts.log?.warn(`creating __consumer_offsets failed: ${(e as Error).message}`);
      return false;
    }
  }

  partitionFor(groupId: string): number {
    return offsetsPartitionFor(groupId, this.numPartitions);
  }

  /**
   * Appends the records as one batch to the group's partition and waits until it is durable. Resolves to
   * the append's last offset, or rejects with a StorageError (Kafka error code in `.code`).
   */
  async write(groupId: string, records: StoreRecord[]): Promise<number> {
    if (records.length === 0) return -1;
    const p = this.partitionFor(groupId);
    const writer = this.logs.writer ? this.logs.writer(p) : logWriter(this.logs.getOrCreate(p));
    const now = this.clock.now();
    const batch = this.core.encodeBatch({ records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })) });
    // Group commit: the batches of every write to this partition in this turn of the event loop go to the
    // log in one append (one write syscall, one durable wait); order = call order.
    const lastOffset = await this.appendCoalesced(p, writer, batch, records.length);
    let timer: ReturnType<GroupClock['setTimeout']> | null = null;
    try {
      await Promise.race([
        writer.waitCommitted(lastOffset, this.opts.commitTimeoutMs),
        new Promise<never>((_, reject) => {
          timer = this.clock.setTimeout(
            () => reject(new StorageError(ErrorCode.REQUEST_TIMED_OUT, `__consumer_offsets-${p}: not durable within offsets.commit.timeout.ms`)),
            this.opts.commitTimeoutMs,
          );
        }),
      ]);
    } finally {
      if (timer) this.clock.clearTimeout(timer);
    }
    return lastOffset;
  }

  private readonly pendingAppends = new Map<number, PendingAppend[]>();
  private flushScheduled = false;

  /**
   * Queues one record batch for `log`; all batches queued before the next `setImmediate` are appended
   * together (Log.append takes several batches, each validated on its own, all or nothing). Resolves to the
   * last offset of this batch's records. If the combined append fails, each batch is appended alone so
   * an error reaches only the write that caused it.
   */
  private appendCoalesced(partition: number, writer: OffsetsPartitionWriter, batch: Uint8Array, count: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let q = this.pendingAppends.get(partition);
      if (q === undefined) this.pendingAppends.set(partition, (q = []));
      q.push({ writer, batch, count, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flushAppends());
      }
    });
  }

  private flushAppends(): void {
    this.flushScheduled = false;
    const all = [...this.pendingAppends.values()];
    this.pendingAppends.clear();
    for (const q of all) {
      // Appends go to one log per partition; chunks stay well under max.message.bytes-sized writes.
      let start = 0;
      while (start < q.length) {
        let end = start;
        let bytes = 0;
        while (end < q.length && q[end]!.writer === q[start]!.writer && (end === start || bytes + q[end]!.batch.length <= COALESCE_MAX_BYTES)) bytes += q[end++]!.batch.length;
        this.appendGroup(q.slice(start, end), bytes);
        start = end;
      }
    }
  }

  private appendGroup(group: PendingAppend[], bytes: number): void {
    if (group.length > 1) {
      const joined = new Uint8Array(bytes);
      let at = 0;
      for (const w of group) {
        joined.set(w.batch, at);
        at += w.batch.length;
      }
      let info: { firstOffset: number } | undefined;
      try {
        info = group[0]!.writer.append(joined);
      } catch {
        /* one of them is at fault (or the log is): append each alone below */
      }
      if (info !== undefined) {
        let next = info.firstOffset;
        for (const w of group) {
          next += w.count;
          w.resolve(next - 1);
        }
        return;
      }
    }
    for (const w of group) {
      try {
        w.resolve(w.writer.append(w.batch).lastOffset);
      } catch (e) {
        w.reject(e);
      }
    }
  }

  /**
   * Reads every existing partition (or only `partitions`) from its log start to its high watermark (or, for
   * a new leader, to its log end, as Kafka loads): the latest value of every key wins.
   */
  load(partitions?: readonly number[], isolation: Isolation = 'high_watermark'): LoadedGroupState {
    const state: LoadedGroupState = { groups: new Map(), offsets: new Map(), records: 0, skipped: 0 };
    for (const p of partitions ?? Array.from({ length: this.numPartitions }, (_, i) => i)) {
      let log: Log | undefined;
      try {
        log = this.logs.existing(p);
      } catch (e) {
        this.opts.log?.warn(`__consumer_offsets-${p}: cannot load (${(e as Error).message})`);
        continue;
      }
      if (!log) continue;
      this.loadPartition(log, state, isolation);
    }
    return state;
  }

  private loadPartition(log: Log, state: LoadedGroupState, isolation: Isolation): void {
    let offset = log.logStartOffset;
    const end = isolation === 'log_end' ? log.logEndOffset : log.highWatermark;
    while (offset < end) {
      const bytes = log.readBytes(offset, this.opts.loadBufferSize, isolation);
      if (bytes === null) break;
      const batches = this.core.decodeBatches(bytes, { allowPartial: true });
      if (batches.length === 0) break;
      for (const b of batches) {
        const last = Number(b.baseOffset) + b.lastOffsetDelta;
        if (last < offset) continue;
        if (b.isControl) {
          offset = last + 1;
          continue;
        }
        if (b.compression !== 0) {
          // We never write compressed batches here; a foreign one cannot be read without decompressing.
          this.opts.log?.warn(`__consumer_offsets-${log.partition}: skipping compressed batch at ${b.baseOffset}`);
          state.skipped += b.recordCount;
          offset = last + 1;
          continue;
        }
        for (const r of b.records) {
          if (Number(r.offset) < offset) continue;
          this.apply(r.key, r.value, state);
        }
        offset = last + 1;
      }
    }
  }

  private apply(key: Uint8Array | null, value: Uint8Array | null, state: LoadedGroupState): void {
    if (key === null) {
      state.skipped++;
      return;
    }
    try {
      const k = decodeConsumerOffsetsKey(key);
      state.records++;
      if (k.kind === 'group') {
        if (value === null) state.groups.delete(k.group);
        else state.groups.set(k.group, decodeGroupMetadataValue(value));
        return;
      }
      let g = state.offsets.get(k.group);
      if (value === null) {
        const t = g?.get(k.topic);
        t?.delete(k.partition);
        if (t && t.size === 0) g!.delete(k.topic);
        if (g && g.size === 0) state.offsets.delete(k.group);
        return;
      }
      const v = decodeOffsetCommitValue(value);
      if (!g) state.offsets.set(k.group, (g = new Map()));
      let t = g.get(k.topic);
      if (!t) g.set(k.topic, (t = new Map()));
      t.set(k.partition, v);
    } catch (e) {
      state.skipped++;
      this.opts.log?.warn(`__consumer_offsets: skipping unreadable record (${(e as Error).message})`);
    }
  }
}
