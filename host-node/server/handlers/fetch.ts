// Fetch (api key 1), v0–17, for consumers.
//
// Reads: per partition, Log.read gives the file byte range of whole batches from the one holding the fetch
// offset, up to min(partition_max_bytes, what is left of max_bytes), never past the high watermark. KIP-74:
// the first partition that returns data gets at least one whole batch even when it is larger than both limits
// (Kafka's minOneMessage); later partitions get only what fits. Partitions after the limit is used up still
// report their high watermark. All ranges of a response are read (pread) into one buffer lent to that response
// (pooled; back in the pool once the socket has sent it), and the response goes out as [encoded header/body up to records] [file bytes] [rest] …
// (SplicedResponse → a gathered write): the record bytes are never decoded, re-encoded or copied again.
//
// Long poll: with fewer than min_bytes available and max_wait_ms > 0 the request waits for any of its logs'
// high watermarks to move (Log.onHighWatermark: appends, or flushes under an fsync policy) or for the
// deadline, then reads again; errors answer at once. max_wait_ms is capped at MAX_WAIT_MS.
//
// Old versions: Fetch v0–1 get magic 0 and v2–3 magic 1 message sets, converted from the stored v2 batches by
// the core (records.ts; compressed batches are expanded first, the result is uncompressed). zstd batches are
// not sent to Fetch < v10 (UNSUPPORTED_COMPRESSION_TYPE, as Kafka does).
//
// Fetch sessions (KIP-227, v7+): this broker never creates a session — every response carries session id 0,
// which Kafka itself answers when its session cache has no room. Clients then keep sending full fetch requests
// (session id 0, epoch 0 or -1), which are served normally. A request for an incremental fetch (epoch > 0, or
// any epoch other than 0/-1) names a session we never issued: FETCH_SESSION_ID_NOT_FOUND, as Kafka answers for
// an unknown/evicted session; the client then falls back to a full fetch. forgotten_topics_data only matters
// inside a session and is ignored.
//
// Topic ids (v13+): partitions are named by topic id; an id the broker does not know → UNKNOWN_TOPIC_ID.
// last_stable_offset = high watermark (no transactions), aborted_transactions null (READ_UNCOMMITTED) or
// empty (READ_COMMITTED), preferred_read_replica -1.
//
// In a cluster (a replica manager on the context) only a partition's leader serves it: elsewhere
// NOT_LEADER_OR_FOLLOWER with the current leader (v12+) and its endpoint (v16+, KIP-951); a
// CurrentLeaderEpoch older than the leader's → FENCED_LEADER_EPOCH, newer → UNKNOWN_LEADER_EPOCH.
// Consumers read below the high watermark (the Log in 'replicated' mode stops there). A replica fetch
// (ReplicaId ≥ 0 before v15, ReplicaState from v15) reads to the log end, records the follower's fetch
// offset in the Partition (which may advance the high watermark and grow the ISR), answers DivergingEpoch
// (v12+) when the leader's end of LastFetchedEpoch is below the fetch offset, and long-polls on appends.
import type { FetchRequest, FetchResponseFetchableTopicResponseInput, FetchResponsePartitionDataInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { FileRange, Log } from '../../../storage/index.js';
import type { ApiHandler } from '../registry.js';
import type { RequestContext } from '../context.js';
import { SplicedResponse } from '../spliced-response.js';
import { findLog, topicNameById } from '../data/partitions.js';
import { partitionErrorOf } from '../data/errors.js';
import { Codec } from '../../codecs/codecs.js';
import { usesCodec, PartitionError } from '../data/records.js';
import { BufferPool } from '../../../protocol/wire/pool.js';
import { FetchApi } from '../../../protocol/generated/fetch.js';
import type { FetchRequestFetchPartition } from '../../../protocol/generated/fetch.js';
import type { Partition } from '../../replication/partition.js';
import type { ReplicaManager } from '../../replication/replica-manager.js';
import { notLeaderEndpoints } from '../data/leadership.js';

/** Longest a Fetch waits for min_bytes, whatever max_wait_ms says. */
const MAX_WAIT_MS = 60_000;
const EMPTY = new Uint8Array(0);
/**
 * Response buffers, reused once the connection has sent them: a fresh multi-MiB buffer per fetch cost more
 * than the read itself (allocation and first-touch page faults: 37 % of broker time consuming 1 KiB records).
 */
const responseBuffers = new BufferPool();

interface PartitionState {
  out: FetchResponsePartitionDataInput;
  log: Log | null;
  fetchOffset: number;
  partitionMaxBytes: number;
  /** From the last read pass. */
  range: FileRange | null;
  /** In a cluster, a follower's fetch: read to the log end, wake on appends. */
  replicaOf?: Partition;
}

/** Who fetches, in a cluster: a follower broker (id ≥ 0, its epoch) or a consumer (-1). */
interface Fetcher {
  readonly replicaId: number;
  readonly brokerEpoch: number;
}
const CONSUMER: Fetcher = { replicaId: -1, brokerEpoch: -1 };

/** The fetching replica: ReplicaState from v15, the ReplicaId field before. */
function fetcherOf(request: FetchRequest, v: number): Fetcher {
  if (v >= 15) return { replicaId: request.replicaState.replicaId, brokerEpoch: Number(request.replicaState.replicaEpoch) };
  return request.replicaId >= 0 ? { replicaId: request.replicaId, brokerEpoch: -1 } : CONSUMER;
}

function errorPartition(partitionIndex: number, code: number): FetchResponsePartitionDataInput {
  return { partitionIndex, errorCode: code, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: EMPTY };
}

type FetchServices = 'topicRegistry' | 'recordFormats' | 'metrics' | 'log' | 'replicaManager';

export const fetchHandler: ApiHandler<typeof ApiKey.Fetch, FetchServices> = {
  api: FetchApi,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    if (v >= 7 && request.sessionEpoch !== 0 && request.sessionEpoch !== -1) {
      // An incremental fetch in a session this broker never created.
      return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    }
    const notLeader = ctx.broker.replicaManager === undefined ? null : new Set<number>();
    const { topics, states } = resolve(request, ctx, notLeader);
    const maxBytes = v >= 3 ? Math.max(request.maxBytes, 0) : Number.MAX_SAFE_INTEGER;
    const minBytes = Math.max(request.minBytes, 0);
    const waitMs = Math.min(Math.max(request.maxWaitMs, 0), MAX_WAIT_MS);
    const deadline = Date.now() + waitMs;

    let total = readAll(states, maxBytes, ctx);
    const metrics = ctx.broker.metrics;
    let waiting = false;
    while (total < minBytes && !states.some((s) => s.out.errorCode !== ErrorCode.NONE || s.out.divergingEpoch !== undefined)) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const logs = states.flatMap((s) => (s.log && !s.replicaOf ? [s.log] : []));
      const replicas = notLeader === null ? [] : states.flatMap((s) => (s.replicaOf ? [s.replicaOf] : []));
      if (logs.length === 0 && replicas.length === 0) break;
      if (metrics && !waiting) metrics.fetchPurgatory++;
      waiting = true;
      await waitForAnyAppend(logs, left, replicas);
      total = readAll(states, maxBytes, ctx);
    }
    if (metrics && waiting) metrics.fetchPurgatory--;

    // Read every range into one buffer of this response's own, then attach the views (sent by reference).
    const external: Uint8Array[] = [];
    const buf = total > 0 ? responseBuffers.acquire(total) : null;
    let at = 0;
    for (const s of states) {
      if (s.range === null || buf === null) continue;
      const r = s.range;
      let bytes: Uint8Array;
      try {
        r.readInto(buf, at);
        bytes = buf.subarray(at, at + r.size);
        at += r.size;
        if (v < 10 && usesCodec(bytes, Codec.ZSTD)) throw new PartitionError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'zstd batches need Fetch v10+');
        if (v <= 3) bytes = ctx.broker.recordFormats.downConvert(bytes, v <= 1 ? 0 : 1);
      } catch (e) {
        const err = partitionErrorOf(e, ctx.broker.log, `Fetch ${s.log?.topic}-${s.out.partitionIndex}`);
        Object.assign(s.out, { errorCode: err.code, records: EMPTY });
        continue;
      }
      s.out.records = bytes;
      if (bytes.length > 0) {
        external.push(bytes);
        if (metrics && s.log) metrics.topic(s.log.topic).bytesOut += bytes.length;
      }
    }

    const body =
      notLeader !== null && notLeader.size > 0 && v >= 16
        ? { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses: topics, nodeEndpoints: notLeaderEndpoints(ctx.broker.replicaManager!, notLeader) }
        : { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses: topics };
    if (buf !== null && external.length === 0) responseBuffers.release(buf);
    return external.length > 0 ? new SplicedResponse(body, external, () => responseBuffers.release(buf!)) : body;
  },
};

/** Request topics/partitions → response skeleton + per-partition state (log or error). */
function resolve(
  request: FetchRequest,
  ctx: RequestContext<'topicRegistry' | 'log' | 'replicaManager'>,
  notLeader: Set<number> | null,
): { topics: FetchResponseFetchableTopicResponseInput[]; states: PartitionState[] } {
  const v = ctx.apiVersion;
  const broker = ctx.broker;
  const rm = broker.replicaManager;
  const fetcher = rm === undefined ? CONSUMER : fetcherOf(request, v);
  const topics: FetchResponseFetchableTopicResponseInput[] = [];
  const states: PartitionState[] = [];
  const readCommitted = request.isolationLevel === 1;
  for (const t of request.topics) {
    let name: string | undefined = t.topic;
    let topicError: number = ErrorCode.NONE;
    if (v >= 13) {
      name = topicNameById(broker, t.topicId);
      if (name === undefined) topicError = ErrorCode.UNKNOWN_TOPIC_ID;
    }
    const partitions: FetchResponsePartitionDataInput[] = [];
    for (const p of t.partitions) {
      let out: FetchResponsePartitionDataInput;
      let log: Log | null = null;
      let replicaOf: Partition | undefined;
      if (topicError !== ErrorCode.NONE) out = errorPartition(p.partition, topicError);
      else if (rm !== undefined) {
        out = { partitionIndex: p.partition, errorCode: ErrorCode.NONE, records: EMPTY };
        try {
          const partition = checkReplicated(rm, v, name!, p, fetcher, out, notLeader!);
          if (partition !== null) log = findLog(broker, name!, p.partition) ?? null;
          if (partition !== null && log === null) out = errorPartition(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          else if (partition !== null && fetcher.replicaId >= 0) replicaOf = partition;
        } catch (e) {
          out = errorPartition(p.partition, partitionErrorOf(e, broker.log, `Fetch ${name}-${p.partition}`).code);
          log = null;
          replicaOf = undefined;
        }
      } else {
        try {
          log = findLog(broker, name!, p.partition) ?? null;
          out = log ? { partitionIndex: p.partition, errorCode: ErrorCode.NONE, records: EMPTY } : errorPartition(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        } catch (e) {
          out = errorPartition(p.partition, partitionErrorOf(e, broker.log, `Fetch ${name}-${p.partition}`).code);
        }
      }
      if (v >= 4) out.abortedTransactions = readCommitted ? [] : null;
      partitions.push(out);
      const state: PartitionState = { out, log, fetchOffset: Number(p.fetchOffset), partitionMaxBytes: Math.max(p.partitionMaxBytes, 0), range: null };
      if (replicaOf !== undefined) state.replicaOf = replicaOf;
      states.push(state);
    }
    topics.push({ topic: name ?? t.topic, topicId: t.topicId, partitions });
  }
  return { topics, states };
}

/** One read pass over every partition (Kafka's readFromLog): returns the bytes found. */
function readAll(states: PartitionState[], maxBytes: number, ctx: RequestContext<'log'>): number {
  let remaining = maxBytes;
  let total = 0;
  let minOneMessage = true;
  for (const s of states) {
    s.range = null;
    if (s.log === null) continue;
    if (s.out.errorCode !== ErrorCode.NONE) continue;
    if (s.replicaOf !== undefined && !s.replicaOf.isLeader) {
      // Leadership moved while the follower's fetch waited: it must fetch from the new leader.
      Object.assign(s.out, errorPartition(s.out.partitionIndex!, ErrorCode.NOT_LEADER_OR_FOLLOWER));
      continue;
    }
    const log = s.log;
    try {
      const limit = Math.min(s.partitionMaxBytes, remaining);
      let range: FileRange | null = null;
      if (limit > 0 || minOneMessage) {
        const r = log.read(s.fetchOffset, Math.max(limit, 0), s.replicaOf === undefined ? 'high_watermark' : 'log_end', minOneMessage);
        range = r.records;
        setOffsets(s.out, r.highWatermark, r.logStartOffset);
      } else setOffsets(s.out, log.highWatermark, log.logStartOffset);
      if (range !== null && range.size > 0) {
        s.range = range;
        total += range.size;
        remaining -= range.size;
        minOneMessage = false;
      }
    } catch (e) {
      const err = partitionErrorOf(e, ctx.broker.log, `Fetch ${log.topic}-${log.partition}`);
      Object.assign(s.out, { errorCode: err.code, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: EMPTY });
    }
  }
  return total;
}

function setOffsets(out: FetchResponsePartitionDataInput, highWatermark: number, logStartOffset: number): void {
  out.highWatermark = BigInt(highWatermark);
  out.lastStableOffset = out.highWatermark;
  out.logStartOffset = BigInt(logStartOffset);
}

/** Resolves when any of the logs' high watermark moves, any of the followed partitions is appended to, or after `ms`. */
function waitForAnyAppend(logs: Log[], ms: number, replicas: readonly Partition[] = []): Promise<void> {
  return new Promise<void>((resolve) => {
    const unsubscribe: (() => void)[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const u of unsubscribe) u();
      resolve();
    };
    const timer = setTimeout(finish, ms);
    for (const log of new Set(logs)) unsubscribe.push(log.onHighWatermark(finish));
    for (const p of new Set(replicas)) unsubscribe.push(p.onAppend(finish));
  });
}

// ---- in a cluster ----------------------------------------------------------------------------------

/**
 * Whether this broker serves the partition to `fetcher`: its leader, at the fetcher's leader epoch. For a
 * follower also the divergence check and its fetch state. Returns the Partition to read from, or null with
 * `out` holding the answer (an error, or a DivergingEpoch).
 */
function checkReplicated(
  rm: ReplicaManager,
  v: number,
  topic: string,
  p: FetchRequestFetchPartition,
  fetcher: Fetcher,
  out: FetchResponsePartitionDataInput,
  notLeader: Set<number>,
): Partition | null {
  const partition = rm.getPartition(topic, p.partition);
  if (partition === undefined || !partition.isLeader) {
    const leader = rm.leaderOf(topic, p.partition);
    Object.assign(out, errorPartition(p.partition, leader === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NOT_LEADER_OR_FOLLOWER));
    if (leader !== undefined && v >= 12) {
      out.currentLeader = { leaderId: leader.leaderId, leaderEpoch: leader.leaderEpoch };
      if (leader.leaderId >= 0) notLeader.add(leader.leaderId);
    }
    return null;
  }
  const epochError = partition.leaderEpochError(p.currentLeaderEpoch);
  if (epochError !== ErrorCode.NONE) {
    Object.assign(out, errorPartition(p.partition, epochError));
    return null;
  }
  if (fetcher.replicaId < 0) return partition;
  if (!partition.isFollower(fetcher.replicaId)) {
    Object.assign(out, errorPartition(p.partition, ErrorCode.NOT_LEADER_OR_FOLLOWER));
    return null;
  }
  return followerFetch(partition, v, p, fetcher, out) ? partition : null;
}

/** A follower's fetch on the leader: DivergingEpoch when its last epoch ends earlier here, else its fetch state moves. */
function followerFetch(partition: Partition, v: number, p: FetchRequestFetchPartition, fetcher: Fetcher, out: FetchResponsePartitionDataInput): boolean {
  const log = partition.log;
  const fetchOffset = Number(p.fetchOffset);
  if (v >= 12 && p.lastFetchedEpoch >= 0) {
    const e = log.endOffsetForEpoch(p.lastFetchedEpoch);
    if (e.leaderEpoch < p.lastFetchedEpoch || e.endOffset < fetchOffset) {
      out.divergingEpoch = { epoch: e.leaderEpoch, endOffset: BigInt(e.endOffset) };
      setOffsets(out, log.highWatermark, log.logStartOffset);
      return false;
    }
  }
  if (fetchOffset >= log.logStartOffset && fetchOffset <= log.logEndOffset) partition.updateFollowerFetchState(fetcher.replicaId, fetcher.brokerEpoch, fetchOffset);
  return true;
}
