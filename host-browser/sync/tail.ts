// tail: a remote topic-partition is copied into the local log, each remote record exactly once.
//
// Durable state (one meta entry, TailState): `next`, the next remote offset to fetch (every remote record
// below it is in the local log), and `pending`, written just before a local append:
//   {remoteFrom, remoteTo, localBase = local end offset before the append, count}.
// After the append, next = remoteTo and pending = null. A restart that finds `pending` looks at the
// local log: it ends at localBase + count or later → the append happened (next = remoteTo); it still ends
// at localBase → it did not (next = remoteFrom, the records are fetched again). A local append is all or
// nothing, and the tail is the only writer of its local log.
//
// The position is also committed to the broker (OffsetCommit, standalone: generation -1, no member id)
// under a consumer group (default `rivulet-tab-<local log name>`), after the local append, so tools such
// as `rivulet groups` / kafka-consumer-groups show the tab's progress and lag, and a fresh tab with the
// same group starts where the group is. The local meta is what the restart trusts: it describes exactly
// what the local log holds, while the broker commit may trail it by one batch. With `groupId: null` the
// tail uses no group at all (like a Kafka consumer without group.id): it neither fetches nor commits
// offsets, and leaves nothing on the broker.
import { ApiKey } from '../../protocol/generated/api.js';
import { ErrorCode } from '../../protocol/errors.js';
import { KafkaClientError, KafkaProtocolError } from '../../client/errors.js';
import type { BatchCodec } from './core.js';
import { commitOffset, ensureTopicPartition, fetchCommitted, listOffset } from './requests.js';
import type { LocalRecordInput } from './types.js';
import type { SyncLoopOptions } from './types.js';
import { isConnectionLoss, isRetriable, waitBackoff } from './retry.js';
import type { WsConnection } from './ws-connection.js';

export interface TailState {
  v: 1;
  next: number;
  pending: { remoteFrom: number; remoteTo: number; localBase: number; count: number } | null;
}

export const tailMetaKey = (topic: string, partition: number): string => `sync:tail:${topic}:${partition}`;

export interface TailOptions extends SyncLoopOptions {
  /** Consumer group the position is committed under (default `rivulet-tab-<local log topic>`; null: none). */
  groupId?: string | null;
  /** Where a tab with no local state and no committed offset starts (default 'earliest', Kafka's auto.offset.reset). */
  startFrom?: 'earliest' | 'latest';
  /** Fetch max_wait_ms (default 1000). */
  maxWaitMs?: number;
  /** Fetch partition_max_bytes (default 1 MiB). */
  maxBytes?: number;
  /** Create the topic if it does not exist (default true). */
  createTopic?: boolean;
  retryBackoffMs?: number;
}

const GZIP = 1;

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  if (typeof DecompressionStream === 'undefined') throw new Error('gzip-compressed batch: DecompressionStream is not available here');
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export async function runTail(o: TailOptions): Promise<void> {
  const key = tailMetaKey(o.topic, o.partition);
  const tail = new Tail(o, key, await loadTailState(o, key));
  await tail.run();
}

/**
 * The tail's durable state, settled: an interrupted append (`pending`) is resolved against the local
 * log's end and the result written back. Null when this tab never tailed the partition.
 */
async function loadTailState({ log, status }: TailOptions, key: string): Promise<TailState | null> {
  const raw = await log.getMeta(key);
  if (raw === undefined) return null;
  const s = JSON.parse(raw) as TailState;
  if (s.v !== 1 || typeof s.next !== 'number') throw new Error(`sync: unreadable tail state under '${key}': ${raw}`);
  if (!s.pending) return s;
  const end = log.endOffset();
  const applied = end >= s.pending.localBase + s.pending.count;
  if (!applied && end !== s.pending.localBase)
    status.warnings.push(`local log ended at ${end} after an interrupted append of ${s.pending.count} records at ${s.pending.localBase}: another writer? counted as not applied`);
  const state: TailState = { v: 1, next: applied ? s.pending.remoteTo : s.pending.remoteFrom, pending: null };
  await log.setMeta(key, JSON.stringify(state));
  return state;
}

/** One tail loop: its durable state and the commit and retry bookkeeping. */
class Tail {
  private readonly groupId: string | null;
  /** The connection the topic-partition was last checked on. */
  private checkedOn: WsConnection | null = null;
  /** The offset last committed to the group (-1: none known). */
  private committed = -1;
  private failures = 0;

  constructor(
    private readonly o: TailOptions,
    private readonly key: string,
    private state: TailState | null,
  ) {
    this.groupId = o.groupId === undefined ? `rivulet-tab-${o.log.topic}` : o.groupId;
  }

  async run(): Promise<void> {
    const { link, signal, status } = this.o;
    if (this.state) status.position = this.state.next;
    this.o.report();
    while (!signal.aborted) {
      const conn = await link.connection();
      if (conn === null) return;
      try {
        await this.fetchNext(conn);
      } catch (e) {
        if (!(await this.recover(conn, e))) return;
      }
    }
  }

  /** One round: fetch from `next`, append what came to the local log, commit the new position. */
  private async fetchNext(conn: WsConnection): Promise<void> {
    const { topic, partition, status } = this.o;
    if (this.checkedOn !== conn) {
      await ensureTopicPartition(conn, topic, partition, this.o.createTopic ?? true);
      this.checkedOn = conn;
    }
    if (this.state === null) await this.start(conn);
    const next = this.state!.next;
    const p = await this.fetch(conn, next);
    if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      await this.outOfRange(conn, next);
      return;
    }
    if (p.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(p.errorCode, `fetch ${topic}-${partition}`);
    const highWatermark = Number(p.highWatermark);
    await this.appendFetched(p.records, next);
    status.lag = Math.max(0, highWatermark - this.state!.next);
    this.failures = 0;
    status.lastError = undefined;
    this.o.report();
    if (this.groupId !== null && this.state!.next !== this.committed) await this.commit(conn, this.groupId);
  }

  /** A tab with no local state starts at the group's committed offset, else at the earliest or latest offset. */
  private async start(conn: WsConnection): Promise<void> {
    const { topic, partition } = this.o;
    const c = this.groupId === null ? -1n : await fetchCommitted(conn, this.groupId, topic, partition);
    const start = c >= 0n ? c : await listOffset(conn, topic, partition, this.o.startFrom === 'latest' ? -1n : -2n);
    await this.save({ v: 1, next: Number(start), pending: null });
    this.committed = Number(c);
  }

  /** Fetches from remote offset `next`; the partition's answer (a response without it is an error). */
  private async fetch(conn: WsConnection, next: number) {
    const { topic, partition } = this.o;
    const maxBytes = this.o.maxBytes ?? 1024 * 1024;
    const res = await conn.send(
      ApiKey.Fetch,
      {
        replicaId: -1,
        maxWaitMs: this.o.maxWaitMs ?? 1000,
        minBytes: 1,
        maxBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: BigInt(next), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: maxBytes }] }],
        forgottenTopicsData: [],
        rackId: '',
      },
      { timeoutMs: (this.o.maxWaitMs ?? 1000) + 30_000 },
    );
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(res.errorCode, `fetch ${topic}-${partition}`);
    const p = res.responses.find((t) => t.topic === topic)?.partitions.find((x) => x.partitionIndex === partition);
    if (!p) throw new KafkaProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `fetch ${topic}-${partition}`);
    return p;
  }

  /**
   * Our position is no longer in the remote log: records were deleted (retention, DeleteRecords) —
   * continue from the log start, a gap we report — or the topic was recreated shorter.
   */
  private async outOfRange(conn: WsConnection, next: number): Promise<void> {
    const { topic, partition } = this.o;
    const start = Number(await listOffset(conn, topic, partition, -2n));
    const end = Number(await listOffset(conn, topic, partition, -1n));
    const to = next < start ? start : end;
    this.o.status.warnings.push(`remote offset ${next} out of range [${start}, ${end}] on ${topic}-${partition}: continuing at ${to}`);
    await this.save({ v: 1, next: to, pending: null });
  }

  /** Appends the fetched records at or after `next` to the local log, `pending` recorded around the append. */
  private async appendFetched(records: Uint8Array | null, next: number): Promise<void> {
    const { log, codec, status } = this.o;
    const { inputs, nextOffset } = await decodeFetched(codec, records, next);
    if (inputs.length > 0) {
      const localBase = log.endOffset();
      await this.save({ v: 1, next, pending: { remoteFrom: next, remoteTo: nextOffset, localBase, count: inputs.length } });
      await log.append(inputs);
      await this.save({ v: 1, next: nextOffset, pending: null });
      status.records += inputs.length;
    } else if (nextOffset > next) {
      await this.save({ v: 1, next: nextOffset, pending: null }); // only control batches
    }
  }

  /** Commits the position to the group. */
  private async commit(conn: WsConnection, groupId: string): Promise<void> {
    try {
      await commitOffset(conn, groupId, this.o.topic, this.o.partition, BigInt(this.state!.next));
      this.committed = this.state!.next;
    } catch (e) {
      // The commit is informational (the local meta is authoritative); a failure is only reported.
      if (!(e instanceof KafkaProtocolError)) throw e;
      this.o.status.lastError = e.message;
      this.o.report();
    }
  }

  /** After a failed round: false when the loop must end; a local failure is rethrown. */
  private async recover(conn: WsConnection, e: unknown): Promise<boolean> {
    const { link, signal, status } = this.o;
    if (!isRetriable(e, signal)) return false;
    status.lastError = e.message;
    this.failures++;
    this.o.report();
    if (isConnectionLoss(e)) {
      link.drop(conn);
      this.checkedOn = null;
      return true;
    }
    this.checkedOn = null;
    return waitBackoff(this.o.retryBackoffMs ?? 200, this.failures, signal);
  }

  private async save(s: TailState): Promise<void> {
    await this.o.log.setMeta(this.key, JSON.stringify(s));
    this.state = s;
    this.o.status.position = s.next;
  }
}

/**
 * Records of a Fetch response at or after `from`, copied out of the core's memory, and the offset after
 * the last whole batch (control batches are skipped but still move the position).
 */
async function decodeFetched(codec: BatchCodec, bytes: Uint8Array | null, from: number): Promise<{ inputs: LocalRecordInput[]; nextOffset: number }> {
  const inputs: LocalRecordInput[] = [];
  let nextOffset = from;
  if (!bytes || bytes.length === 0) return { inputs, nextOffset };
  type Part = { records: LocalRecordInput[] } | { compressed: Uint8Array; compression: number; count: number; info: { baseOffset: bigint; baseTimestamp: bigint; maxTimestamp: bigint; timestampType: 'CreateTime' | 'LogAppendTime' } };
  const parts: Part[] = [];
  // The views decodeBatches returns alias the core's memory: copy everything before the next core call.
  for (const b of codec.decodeBatches(bytes, { allowPartial: true })) {
    const last = Number(b.baseOffset) + b.lastOffsetDelta;
    if (last < from) continue;
    nextOffset = Math.max(nextOffset, last + 1);
    if (b.isControl) continue;
    if (b.compression === 0) {
      parts.push({ records: b.records.filter((r) => Number(r.offset) >= from).map(copyRecord) });
    } else if (b.compression === GZIP) {
      parts.push({ compressed: b.recordsBytes.slice(), compression: b.compression, count: b.recordCount, info: { baseOffset: b.baseOffset, baseTimestamp: b.baseTimestamp, maxTimestamp: b.maxTimestamp, timestampType: b.timestampType } });
    } else {
      throw new KafkaClientError(`${COMPRESSION_NAMES[b.compression] ?? b.compression}-compressed batch at offset ${b.baseOffset}: only uncompressed and gzip batches can be read in the browser`);
    }
  }
  for (const part of parts) {
    if ('records' in part) inputs.push(...part.records);
    else {
      const raw = await gunzip(part.compressed);
      for (const r of codec.decodeRecords(raw, part.count, part.info)) if (Number(r.offset) >= from) inputs.push(copyRecord(r));
    }
  }
  return { inputs, nextOffset };
}

function copyRecord(r: { key: Uint8Array | null; value: Uint8Array | null; headers: Array<{ key: string; value: Uint8Array | null }>; timestamp: bigint }): LocalRecordInput {
  return {
    key: r.key ? r.key.slice() : null,
    value: r.value ? r.value.slice() : null,
    headers: r.headers.map((h) => ({ key: h.key, value: h.value ? h.value.slice() : null })),
    timestamp: Number(r.timestamp),
  };
}
