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
// what the local log holds, while the broker commit may trail it by one batch.
import { ApiKey } from '../../protocol/generated/api.js';
import { ErrorCode } from '../../protocol/errors.js';
import { KafkaClientError, KafkaConnectionError, KafkaProtocolError, KafkaTimeoutError } from '../../client/errors.js';
import type { BatchCodec } from './core.js';
import { backoff } from './mirror.js';
import { commitOffset, ensureTopicPartition, fetchCommitted, listOffset } from './requests.js';
import type { LocalRecordInput } from './types.js';
import type { SyncLoopOptions } from './types.js';
import { sleep, SyncStoppedError } from './broker-link.js';
import type { WsConnection } from './ws-connection.js';

export interface TailState {
  v: 1;
  next: number;
  pending: { remoteFrom: number; remoteTo: number; localBase: number; count: number } | null;
}

export const tailMetaKey = (topic: string, partition: number): string => `sync:tail:${topic}:${partition}`;

export interface TailOptions extends SyncLoopOptions {
  /** Consumer group the position is committed under (default `rivulet-tab-<local log topic>`). */
  groupId?: string;
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
  const { log, link, codec, topic, partition, signal, status } = o;
  const key = tailMetaKey(topic, partition);
  const groupId = o.groupId ?? `rivulet-tab-${log.topic}`;
  let state: TailState | null = null;
  const raw = await log.getMeta(key);
  if (raw !== undefined) {
    const s = JSON.parse(raw) as TailState;
    if (s.v !== 1 || typeof s.next !== 'number') throw new Error(`sync: unreadable tail state under '${key}': ${raw}`);
    if (s.pending) {
      const end = log.endOffset();
      const applied = end >= s.pending.localBase + s.pending.count;
      if (!applied && end !== s.pending.localBase)
        status.warnings.push(`local log ended at ${end} after an interrupted append of ${s.pending.count} records at ${s.pending.localBase}: another writer? counted as not applied`);
      state = { v: 1, next: applied ? s.pending.remoteTo : s.pending.remoteFrom, pending: null };
      await log.setMeta(key, JSON.stringify(state));
    } else state = s;
  }
  const save = async (s: TailState): Promise<void> => {
    await log.setMeta(key, JSON.stringify(s));
    state = s;
    status.position = s.next;
  };
  if (state) status.position = state.next;
  o.report();

  let checkedOn: WsConnection | null = null;
  let committed = -1;
  let failures = 0;
  let highWatermark = -1;

  while (!signal.aborted) {
    const conn = await link.connection();
    if (conn === null) return;
    try {
      if (checkedOn !== conn) {
        await ensureTopicPartition(conn, topic, partition, o.createTopic ?? true);
        checkedOn = conn;
      }
      if (state === null) {
        const c = await fetchCommitted(conn, groupId, topic, partition);
        const start = c >= 0n ? c : await listOffset(conn, topic, partition, o.startFrom === 'latest' ? -1n : -2n);
        await save({ v: 1, next: Number(start), pending: null });
        committed = Number(c);
      }
      const next = state!.next;
      const maxBytes = o.maxBytes ?? 1024 * 1024;
      const res = await conn.send(
        ApiKey.Fetch,
        {
          replicaId: -1,
          maxWaitMs: o.maxWaitMs ?? 1000,
          minBytes: 1,
          maxBytes,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: BigInt(next), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: maxBytes }] }],
          forgottenTopicsData: [],
          rackId: '',
        },
        { timeoutMs: (o.maxWaitMs ?? 1000) + 30_000 },
      );
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(res.errorCode, `fetch ${topic}-${partition}`);
      const p = res.responses.find((t) => t.topic === topic)?.partitions.find((x) => x.partitionIndex === partition);
      if (!p) throw new KafkaProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `fetch ${topic}-${partition}`);
      if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        // Our position is no longer in the remote log: records were deleted (retention, DeleteRecords) —
        // continue from the log start, a gap we report — or the topic was recreated shorter.
        const start = Number(await listOffset(conn, topic, partition, -2n));
        const end = Number(await listOffset(conn, topic, partition, -1n));
        const to = next < start ? start : end;
        status.warnings.push(`remote offset ${next} out of range [${start}, ${end}] on ${topic}-${partition}: continuing at ${to}`);
        await save({ v: 1, next: to, pending: null });
        continue;
      }
      if (p.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(p.errorCode, `fetch ${topic}-${partition}`);
      highWatermark = Number(p.highWatermark);
      const { inputs, nextOffset } = await decodeFetched(codec, p.records, next);
      if (inputs.length > 0) {
        const localBase = log.endOffset();
        await save({ v: 1, next, pending: { remoteFrom: next, remoteTo: nextOffset, localBase, count: inputs.length } });
        await log.append(inputs);
        await save({ v: 1, next: nextOffset, pending: null });
        status.records += inputs.length;
      } else if (nextOffset > next) {
        await save({ v: 1, next: nextOffset, pending: null }); // only control batches
      }
      status.lag = Math.max(0, highWatermark - state!.next);
      failures = 0;
      status.lastError = undefined;
      o.report();
      if (state!.next !== committed) {
        try {
          await commitOffset(conn, groupId, topic, partition, BigInt(state!.next));
          committed = state!.next;
        } catch (e) {
          // The commit is informational (the local meta is authoritative); a failure is only reported.
          if (!(e instanceof KafkaProtocolError)) throw e;
          status.lastError = e.message;
          o.report();
        }
      }
    } catch (e) {
      if (e instanceof SyncStoppedError || signal.aborted) return;
      if (!(e instanceof KafkaClientError)) throw e; // the local log / meta store failed: stop
      status.lastError = e.message;
      failures++;
      o.report();
      if (e instanceof KafkaConnectionError || e instanceof KafkaTimeoutError) {
        link.drop(conn);
        checkedOn = null;
        continue;
      }
      checkedOn = null;
      try {
        await sleep(backoff(o.retryBackoffMs ?? 200, failures), signal);
      } catch {
        return;
      }
    }
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
