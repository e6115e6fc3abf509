// Produce (api key 0), v0–11.
//
// Per partition: find the log → check the record bytes the way Kafka does before an append (records.ts: magic
// per version, one batch for v3+, compressed batches decompressed and walked, magic 0/1 message sets converted
// to v2 by the broker's core) → Log.append (storage: one pass in the WASM core — validate every batch and CRC, assign
// offsets, LogAppendTime per message.timestamp.type, max.message.bytes — then one write from linear memory).
// The append is all or nothing per partition: a rejected batch leaves the log untouched.
//
// A topic whose compression.type is a codec gets its batches recompressed into it, and a compacted topic
// refuses keyless records in compressed batches, in the same record checks (data/produce-rules.ts); a topic
// with neither (the usual case) costs one look-up of its config per request. zstd's compressor starts
// asynchronously: the first request that needs it waits for it before that topic's appends (every Produce
// that needs it meanwhile waits on the same start, so a partition's batches still append in arrival order).
//
// acks: 0 → no response (Kafka closes the connection instead when a partition failed, so the producer notices);
// 1 → answer after the append; -1 → also wait until the log made the appended offsets durable under its flush
// policy (Log.waitDurable; group commit across requests is storage's), bounded by the request's timeout
// (REQUEST_TIMED_OUT). Anything else → INVALID_REQUIRED_ACKS for every partition.
//
// Internal topics (__consumer_offsets, …) are written by their owners through storage, never by clients: a
// Produce to one gets INVALID_TOPIC_EXCEPTION for its partitions, as Kafka answers.
//
// Transactions are not supported: a request with a transactional id gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED
// for every partition (what Kafka answers when the principal may not use the id).
//
// Idempotent batches (v3+, producerId >= 0) are checked against the partition's producer state first
// (Log.producerState, storage/producer-state.ts; loaded from a snapshot plus the log after it): an exact repeat
// of one of the producer's last 5 batches is answered as success with the original base offset and not
// appended again; an older epoch gets INVALID_PRODUCER_EPOCH, a sequence gap/overlap
// OUT_OF_ORDER_SEQUENCE_NUMBER, a batch wholly behind the 5 remembered ones DUPLICATE_SEQUENCE_NUMBER.
// The log records every appended batch in the producer state itself.
//
// Response fields by version: baseOffset (all), logAppendTimeMs (v2+: the LogAppendTime given, else -1),
// logStartOffset (v5+), recordErrors + errorMessage (v8+), currentLeader (v10+, only with NOT_LEADER).
//
// In a cluster (a replica manager on the context) each partition goes through its Partition
// (host-node/replication/): only its leader appends, stamping its leader epoch; elsewhere
// NOT_LEADER_OR_FOLLOWER with the leader and its endpoint (v10+, KIP-951). acks=-1 checks
// min.insync.replicas before the append (NOT_ENOUGH_REPLICAS) and waits for the high watermark — the
// ISR's smallest log end, the leader's counted as what its flush policy made durable — to pass the batch
// (NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below the minimum meanwhile).
import type { ProduceRequest, ProduceResponsePartitionProduceResponseInput, ProduceResponseTopicProduceResponseInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { AppendInfo, Log } from '../../../storage/index.js';
import type { BatchMetadata, ProducerBatch } from '../../../storage/producer-state.js';
import type { BrokerMetrics } from '../../metrics/index.js';
import type { RequestContext } from '../context.js';
import { NO_RESPONSE, type ApiHandler } from '../registry.js';
import { ProtocolError } from '../errors.js';
import { findLog } from '../data/partitions.js';
import { isInternalTopic } from '../../topics/names.js';
import { partitionErrorOf } from '../data/errors.js';
import { readProducerBatchHeader } from '../../../storage/producer-state.js';
import { ProduceApi } from '../../../protocol/generated/produce.js';
import type { Partition } from '../../replication/partition.js';
import type { ReplicaManager } from '../../replication/replica-manager.js';
import { notLeaderEndpoints } from '../data/leadership.js';
import { produceRulesOf, type ProduceRules } from '../data/produce-rules.js';
import { Codec, initZstdCompressor, zstdCompressorReady } from '../../codecs/codecs.js';

/** How long an acks=all Produce may wait at most, whatever its timeout says. */
const MAX_ACKS_ALL_WAIT_MS = 5 * 60_000;

type ProduceServices = 'topicRegistry' | 'logManager' | 'recordFormats' | 'metrics' | 'log' | 'replicaManager';
type PartitionResponse = ProduceResponsePartitionProduceResponseInput;

/**
 * An acks=-1 partition answered once `log` made `lastOffset` durable (or the request timed out); in a
 * cluster, once the `partition`'s high watermark passed it.
 */
interface DurableWait {
  log: Pick<Log, 'topic' | 'partition' | 'waitDurable'>;
  lastOffset: number;
  out: PartitionResponse;
  partition?: Partition;
}

/** What a request in a cluster collects: the leaders named in NOT_LEADER_OR_FOLLOWER answers (v10+ nodeEndpoints). */
type NotLeaderIds = Set<number>;

function errorResponse(index: number, code: number, message: string | null = null): PartitionResponse {
  return { index, errorCode: code, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, errorMessage: message };
}

export const produceHandler: ApiHandler<typeof ApiKey.Produce, ProduceServices> = {
  api: ProduceApi,
  async handle(request, ctx) {
    const { acks } = request;
    if (acks !== 0 && acks !== 1 && acks !== -1) return { responses: rejectAll(request, ErrorCode.INVALID_REQUIRED_ACKS, null) };
    if (request.transactionalId !== null) {
      const responses = rejectAll(request, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'transactions are not supported');
      if (acks === 0) throw new ProtocolError('acks=0 transactional Produce refused (transactions are not supported)');
      return { responses };
    }

    // Record bytes reassembled in the core's linear memory (Produce frames that spanned socket reads) are
    // appended from where they lie. An append (or a check) can grow that memory, which detaches later
    // partitions' views, so storage takes their positions first and rebuilds the views when needed.
    const spans = ctx.broker.logManager.requestRecordSpans();
    for (const t of request.topicData) for (const p of t.partitionData) spans.add(p.records);
    let spanIndex = 0;

    // Appends are synchronous; the durable waits of acks=-1 are collected and awaited together.
    const responses: ProduceResponseTopicProduceResponseInput[] = [];
    const waits: DurableWait[] = [];
    const rm = ctx.broker.replicaManager;
    const notLeader: NotLeaderIds | null = rm === undefined ? null : new Set();
    let failed: string | null = null;
    for (const t of request.topicData) {
      const partitionResponses: PartitionResponse[] = [];
      const rules = rulesOf(ctx, t.name);
      // Partitions of the topics before this one are appended already; the views of the others are taken
      // again after the wait (spans). A failed start: each partition answers the compressor's error.
      if (rules !== null && rules.targetCodec === Codec.ZSTD && !zstdCompressorReady()) await initZstdCompressor().catch(() => undefined);
      for (const p of t.partitionData) {
        const records = spans.view(spanIndex++, p.records);
        const failure =
          rm === undefined
            ? producePartition(ctx, acks, t.name, p.index, records, rules, partitionResponses, waits)
            : produceReplicated(ctx, rm, acks, t.name, p.index, records, rules, partitionResponses, waits, notLeader!);
        if (failure !== null) failed ??= failure;
      }
      responses.push({ name: t.name, partitionResponses });
    }

    if (acks === 0) {
      if (failed !== null) throw new ProtocolError(`acks=0 Produce failed (${failed}); closing the connection as Kafka does`);
      return NO_RESPONSE;
    }
    if (waits.length > 0) await awaitDurable(ctx, waits, request.timeoutMs);
    if (notLeader !== null && notLeader.size > 0 && ctx.apiVersion >= 10) return { responses, nodeEndpoints: notLeaderEndpoints(rm!, notLeader) };
    return { responses };
  },
};

/** The Produce rules of a topic (null: none, the usual case). */
function rulesOf(ctx: RequestContext<ProduceServices>, topic: string): ProduceRules | null {
  return produceRulesOf(topic, ctx.broker.topicRegistry.topicConfig(topic));
}

/** Every partition of the request answered with one error (a request refused as a whole). */
function rejectAll(request: ProduceRequest, code: number, message: string | null): ProduceResponseTopicProduceResponseInput[] {
  const responses: ProduceResponseTopicProduceResponseInput[] = [];
  for (const t of request.topicData)
    responses.push({ name: t.name, partitionResponses: t.partitionData.map((p) => errorResponse(p.index, code, message)) });
  return responses;
}

/**
 * Checks and appends one partition's records, pushing its response onto `partitionResponses` (and, for
 * acks=-1, its durable wait onto `waits`). Returns what failed, for the acks=0 close, or null.
 */
function producePartition(
  ctx: RequestContext<ProduceServices>,
  acks: number,
  topic: string,
  index: number,
  records: Uint8Array | null,
  rules: ProduceRules | null,
  partitionResponses: PartitionResponse[],
  waits: DurableWait[],
): string | null {
  const broker = ctx.broker;
  if (isInternalTopic(topic)) {
    partitionResponses.push(errorResponse(index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`));
    return `${topic}-${index}: INVALID_TOPIC_EXCEPTION`;
  }
  return appendPartition(ctx, acks, topic, index, records, rules, () => {
    const log = findLog(broker, topic, index);
    return log && { log, partition: undefined };
  }, partitionResponses, waits);
}

/** Where a Produce partition goes: the log, and in a cluster the Partition that leads it. */
interface ProduceTarget {
  log: Pick<Log, 'topic' | 'partition' | 'waitDurable' | 'logStartOffset' | 'producerState' | 'append'>;
  partition: Partition | undefined;
}

/**
 * The checks and the append of one partition, pushing its response onto `partitionResponses` (and, for
 * acks=-1, its wait onto `waits`): the target (undefined: UNKNOWN_TOPIC_OR_PARTITION), the record checks,
 * in a cluster min.insync.replicas, the producer state, then the append (through the leader's Partition
 * in a cluster). Returns what failed, for the acks=0 close, or null.
 */
function appendPartition(
  ctx: RequestContext<ProduceServices>,
  acks: number,
  topic: string,
  index: number,
  records: Uint8Array | null,
  rules: ProduceRules | null,
  resolve: () => ProduceTarget | undefined,
  partitionResponses: PartitionResponse[],
  waits: DurableWait[],
): string | null {
  const broker = ctx.broker;
  try {
    const target = resolve();
    if (target === undefined) {
      partitionResponses.push(errorResponse(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
      return `${topic}-${index}: UNKNOWN_TOPIC_OR_PARTITION`;
    }
    const { log, partition } = target;
    const bytes = broker.recordFormats.prepareProduce(records, ctx.apiVersion, rules, index);
    // Kafka checks the ISR before the producer state: a refused batch must not make the next one out of order.
    partition?.checkEnoughReplicas(acks);
    const seq = checkSequence(ctx, acks, topic, index, log, bytes, partitionResponses, waits, partition);
    if (seq !== undefined) return seq;
    const info = partition ? partition.appendRecordsToLeader(bytes, acks) : log.append(bytes);
    countAppended(broker.metrics, topic, info, records);
    const out: PartitionResponse = {
      index,
      errorCode: ErrorCode.NONE,
      baseOffset: BigInt(info.firstOffset),
      logAppendTimeMs: BigInt(info.logAppendTime),
      logStartOffset: BigInt(info.logStartOffset),
    };
    partitionResponses.push(out);
    if (acks === -1) waits.push({ log, lastOffset: info.lastOffset, out, ...(partition ? { partition } : {}) });
    return null;
  } catch (e) {
    const err = partitionErrorOf(e, broker.log, `Produce ${topic}-${index}`);
    if (broker.log.enabled('debug')) broker.log.debug(`${ctx.connection.describe()}: Produce ${topic}-${index} failed: ${err.code} ${err.message}`);
    partitionResponses.push(errorResponse(index, err.code, err.message));
    return `${topic}-${index}: error ${err.code} ${err.message}`;
  }
}

/**
 * The producer-state check of an idempotent batch (v3+). undefined: append it. Otherwise the partition is
 * answered here: a sequence error (returned, for the acks=0 close), or a duplicate of one of the
 * producer's last batches with its original offsets (null; acks=-1 still waits for those to be durable,
 * or in a cluster committed).
 */
function checkSequence(
  ctx: RequestContext<ProduceServices>,
  acks: number,
  topic: string,
  index: number,
  log: Pick<Log, 'topic' | 'partition' | 'waitDurable' | 'logStartOffset' | 'producerState'>,
  bytes: Uint8Array,
  partitionResponses: PartitionResponse[],
  waits: DurableWait[],
  partition: Partition | undefined,
): string | null | undefined {
  const idem = ctx.apiVersion >= 3 ? readProducerBatchHeader(bytes) : null;
  if (idem === null) return undefined;
  const c = log.producerState.check(idem.batch);
  if (c.kind === 'error') {
    partitionResponses.push(errorResponse(index, ErrorCode[c.error], c.message));
    return `${topic}-${index}: ${c.error}`;
  }
  if (c.kind !== 'duplicate') return undefined;
  const out = duplicateResponse(ctx, topic, index, log, idem.batch, c.batch);
  partitionResponses.push(out);
  if (acks === -1) waits.push({ log, lastOffset: c.batch.lastOffset, out, ...(partition ? { partition } : {}) });
  return null;
}

/** An exact repeat of one of the producer's last batches: success with the original offsets, nothing appended. */
function duplicateResponse(
  ctx: RequestContext<'log'>,
  topic: string,
  index: number,
  log: Pick<Log, 'logStartOffset'>,
  batch: ProducerBatch,
  original: BatchMetadata,
): PartitionResponse {
  const broker = ctx.broker;
  if (broker.log.enabled('debug'))
    broker.log.debug(`${ctx.connection.describe()}: Produce ${topic}-${index}: duplicate batch of producer ${batch.producerId} seq ${batch.firstSeq}-${batch.lastSeq} at offset ${original.firstOffset}`);
  return { index, errorCode: ErrorCode.NONE, baseOffset: BigInt(original.firstOffset), logAppendTimeMs: -1n, logStartOffset: BigInt(log.logStartOffset) };
}

/** Kafka's MessagesIn / BytesIn for an appended partition (the bytes as received). */
function countAppended(metrics: BrokerMetrics | undefined, topic: string, info: AppendInfo, records: Uint8Array | null): void {
  if (metrics === undefined) return;
  const s = metrics.topic(topic);
  s.messagesIn += info.recordCount;
  s.bytesIn += records?.length ?? 0;
}

/**
 * acks=-1: waits until every appended partition is durable, or the request's timeout (capped) passes; a
 * partition not durable by then gets REQUEST_TIMED_OUT, one whose flush failed its storage error.
 */
async function awaitDurable(ctx: RequestContext<'metrics' | 'log'>, waits: DurableWait[], requestTimeoutMs: number): Promise<void> {
  const broker = ctx.broker;
  const timeoutMs = Math.min(Math.max(requestTimeoutMs, 0), MAX_ACKS_ALL_WAIT_MS);
  const m = broker.metrics;
  if (m) m.producePurgatory++;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  await Promise.all(
    waits.map(async (w) => {
      try {
        if (w.partition !== undefined) return replicatedAck(w, w.partition, timeoutMs);
        const r = await Promise.race([w.log.waitDurable(w.lastOffset), timedOut]);
        if (r === 'timeout') Object.assign(w.out, { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'not durable within the request timeout' });
      } catch (e) {
        const err = partitionErrorOf(e, broker.log, `Produce ${w.log.topic}-${w.log.partition} (acks=all)`);
        Object.assign(w.out, { errorCode: err.code, errorMessage: err.message });
      }
    }),
  );
  clearTimeout(timer);
  if (m) m.producePurgatory--;
}

// ---- in a cluster ----------------------------------------------------------------------------------

/** producePartition for a replicated partition: through its Partition, on its leader only. */
function produceReplicated(
  ctx: RequestContext<ProduceServices>,
  rm: ReplicaManager,
  acks: number,
  topic: string,
  index: number,
  records: Uint8Array | null,
  rules: ProduceRules | null,
  partitionResponses: PartitionResponse[],
  waits: DurableWait[],
  notLeader: NotLeaderIds,
): string | null {
  if (isInternalTopic(topic)) {
    partitionResponses.push(errorResponse(index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`));
    return `${topic}-${index}: INVALID_TOPIC_EXCEPTION`;
  }
  const partition = rm.getPartition(topic, index);
  if (partition === undefined || !partition.isLeader) {
    partitionResponses.push(notLeaderResponse(ctx.apiVersion, rm, topic, index, notLeader));
    return `${topic}-${index}: not the leader`;
  }
  return appendPartition(ctx, acks, topic, index, records, rules, () => ({ log: partition.log, partition }), partitionResponses, waits);
}

/** NOT_LEADER_OR_FOLLOWER with the current leader (v10+), or UNKNOWN_TOPIC_OR_PARTITION when no leader is known. */
function notLeaderResponse(version: number, rm: ReplicaManager, topic: string, index: number, notLeader: NotLeaderIds): PartitionResponse {
  const leader = rm.leaderOf(topic, index);
  if (leader === undefined) return errorResponse(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const out = errorResponse(index, ErrorCode.NOT_LEADER_OR_FOLLOWER, `This broker is not the leader of ${topic}-${index}`);
  if (version >= 10) {
    out.currentLeader = { leaderId: leader.leaderId, leaderEpoch: leader.leaderEpoch };
    if (leader.leaderId >= 0) notLeader.add(leader.leaderId);
  }
  return out;
}

/** acks=-1 in a cluster: the partition's answer once its high watermark passed the batch (or why not). */
async function replicatedAck(w: DurableWait, partition: Partition, timeoutMs: number): Promise<void> {
  const code = await partition.waitForHighWatermark(w.lastOffset + 1, timeoutMs);
  if (code === ErrorCode.NONE) return;
  const message =
    code === ErrorCode.REQUEST_TIMED_OUT ? 'not replicated to the ISR within the request timeout' : code === ErrorCode.NOT_LEADER_OR_FOLLOWER ? 'leadership moved before the batch was replicated' : null;
  Object.assign(w.out, { errorCode: code, errorMessage: message });
}
