// The data path's authorization, as Kafka's KafkaApis does it: Produce needs WRITE on each topic (and on the
// transactional id for transactional records), Fetch READ on each topic (a follower CLUSTER_ACTION),
// ListOffsets DESCRIBE, DeleteRecords DELETE, OffsetForLeaderEpoch DESCRIBE (or CLUSTER_ACTION, for
// followers), InitProducerId WRITE on its transactional id or, for an idempotent producer, IDEMPOTENT_WRITE on
// the cluster or WRITE on any topic. A denied topic's partitions get TOPIC_AUTHORIZATION_FAILED; a request
// that allows nothing never reaches its handler.
import { ApiKey } from '../../../protocol/generated/api.js';
import type { FetchRequest, ProduceRequest } from '../../../protocol/generated/index.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { NO_RESPONSE } from '../registry.js';
import { type AuthorizationRule, deny, interleave, partial } from './outcome.js';
import { AclOperation, ResourceType } from './request-authz.js';

const DENIED = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
const EMPTY_RECORDS = new Uint8Array(0);

/** Whether a partition's records are a transactional batch (v2 batch, attributes bit 4), as Kafka checks the first batch. */
function isTransactionalBatch(records: Uint8Array | null): boolean {
  // Batch header: baseOffset 8, length 4, partitionLeaderEpoch 4, magic 1, crc 4, attributes 2.
  return records !== null && records.length >= 23 && records[16]! >= 2 && (records[22]! & 0x10) !== 0;
}

function hasTransactionalRecords(request: ProduceRequest): boolean {
  for (const t of request.topicData) for (const p of t.partitionData) if (isTransactionalBatch(p.records)) return true;
  return false;
}

function produceError(index: number, errorCode: number) {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, errorMessage: null };
}

export const authorizeProduce: AuthorizationRule<typeof ApiKey.Produce> = (request, az, ctx) => {
  // acks=0 gets no response: Kafka closes the connection when a partition fails, so the client notices.
  const refuse = (errorCode: number) => {
    if (request.acks === 0) {
      ctx.connection.closeAfterResponses();
      return { response: NO_RESPONSE };
    }
    return deny(ApiKey.Produce, {
      responses: request.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => produceError(p.index, errorCode)) })),
    });
  };
  // Transactional records need WRITE on the request's transactional id (none named: refused the same way).
  if (hasTransactionalRecords(request) && (request.transactionalId === null || !az.allowed(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)))
    return refuse(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  const denied = az.denied(AclOperation.WRITE, ResourceType.TOPIC, request.topicData, topicName);
  if (denied === null) return undefined;
  const allowed = request.topicData.filter((t) => !denied.has(t.name));
  if (allowed.length === 0) return refuse(DENIED);
  const outcome = partial(ApiKey.Produce, { ...request, topicData: allowed }, (res) => ({
    ...res,
    responses: interleave(request.topicData, (t) => denied.has(t.name), res.responses, (t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => produceError(p.index, DENIED)),
    })),
  }));
  if (request.acks !== 0 || outcome === undefined || !('complete' in outcome)) return outcome;
  return {
    request: outcome.request,
    complete: (res: unknown) => {
      ctx.connection.closeAfterResponses();
      return res;
    },
  };
};

function topicName(t: { name: string }): string {
  return t.name;
}

function isFollowerFetch(request: FetchRequest, v: number): boolean {
  return v >= 15 ? request.replicaState.replicaId >= 0 : request.replicaId >= 0;
}

function fetchError(partitionIndex: number, errorCode: number) {
  return { partitionIndex, errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: EMPTY_RECORDS };
}

export const authorizeFetch: AuthorizationRule<typeof ApiKey.Fetch> = (request, az, ctx) => {
  const v = ctx.apiVersion;
  // An incremental fetch in a session this broker never created: the handler answers it, naming nothing.
  if (v >= 7 && request.sessionEpoch !== 0 && request.sessionEpoch !== -1) return undefined;
  const deniedEntry = (t: FetchRequest['topics'][number]) => ({ topic: t.topic, topicId: t.topicId, partitions: t.partitions.map((p) => fetchError(p.partition, DENIED)) });
  const refuseAll = () => deny(ApiKey.Fetch, { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses: request.topics.map(deniedEntry) });
  if (isFollowerFetch(request, v)) return az.cluster(AclOperation.CLUSTER_ACTION) ? undefined : refuseAll();
  // v13+ names topics by id: an id this broker does not know is left to the handler (UNKNOWN_TOPIC_ID).
  const nameOf = v >= 13 ? (t: FetchRequest['topics'][number]) => ctx.broker.metadata.topicById(t.topicId)?.name ?? '' : (t: FetchRequest['topics'][number]) => t.topic;
  const known = v >= 13 ? request.topics.filter((t) => nameOf(t) !== '') : request.topics;
  const denied = az.denied(AclOperation.READ, ResourceType.TOPIC, known, nameOf);
  if (denied === null) return undefined;
  const isDenied = (t: FetchRequest['topics'][number]) => {
    const name = nameOf(t);
    return name !== '' && denied.has(name);
  };
  const allowed = request.topics.filter((t) => !isDenied(t));
  if (allowed.length === 0) return refuseAll();
  return partial(ApiKey.Fetch, { ...request, topics: allowed }, (res) => ({ ...res, responses: interleave(request.topics, isDenied, res.responses, deniedEntry) }));
};

export const authorizeListOffsets: AuthorizationRule<typeof ApiKey.ListOffsets> = (request, az, ctx) => {
  const denied = az.denied(AclOperation.DESCRIBE, ResourceType.TOPIC, request.topics, topicName);
  if (denied === null) return undefined;
  const v1 = ctx.apiVersion >= 1;
  const deniedEntry = (t: (typeof request.topics)[number]) => ({
    name: t.name,
    partitions: t.partitions.map((p) =>
      v1 ? { partitionIndex: p.partitionIndex, errorCode: DENIED, timestamp: -1n, offset: -1n, leaderEpoch: -1 } : { partitionIndex: p.partitionIndex, errorCode: DENIED, oldStyleOffsets: [] },
    ),
  });
  const allowed = request.topics.filter((t) => !denied.has(t.name));
  if (allowed.length === 0) return deny(ApiKey.ListOffsets, { throttleTimeMs: 0, topics: request.topics.map(deniedEntry) });
  return partial(ApiKey.ListOffsets, { ...request, topics: allowed }, (res) => ({ ...res, topics: interleave(request.topics, (t) => denied.has(t.name), res.topics, deniedEntry) }));
};

export const authorizeDeleteRecords: AuthorizationRule<typeof ApiKey.DeleteRecords> = (request, az) => {
  const denied = az.denied(AclOperation.DELETE, ResourceType.TOPIC, request.topics, topicName);
  if (denied === null) return undefined;
  const deniedEntry = (t: (typeof request.topics)[number]) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: DENIED })),
  });
  const allowed = request.topics.filter((t) => !denied.has(t.name));
  if (allowed.length === 0) return deny(ApiKey.DeleteRecords, { throttleTimeMs: 0, topics: request.topics.map(deniedEntry) });
  return partial(ApiKey.DeleteRecords, { ...request, topics: allowed }, (res) => ({ ...res, topics: interleave(request.topics, (t) => denied.has(t.name), res.topics, deniedEntry) }));
};

export const authorizeOffsetForLeaderEpoch: AuthorizationRule<typeof ApiKey.OffsetForLeaderEpoch> = (request, az) => {
  // Followers ask with CLUSTER_ACTION; consumers (KIP-320, truncation detection) need DESCRIBE on the topic.
  if (az.cluster(AclOperation.CLUSTER_ACTION)) return undefined;
  const denied = az.denied(AclOperation.DESCRIBE, ResourceType.TOPIC, request.topics, (t) => t.topic);
  if (denied === null) return undefined;
  const deniedEntry = (t: (typeof request.topics)[number]) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => ({ errorCode: DENIED, partition: p.partition, leaderEpoch: -1, endOffset: -1n })),
  });
  const allowed = request.topics.filter((t) => !denied.has(t.topic));
  if (allowed.length === 0) return deny(ApiKey.OffsetForLeaderEpoch, { throttleTimeMs: 0, topics: request.topics.map(deniedEntry) });
  return partial(ApiKey.OffsetForLeaderEpoch, { ...request, topics: allowed }, (res) => ({
    ...res,
    topics: interleave(request.topics, (t) => denied.has(t.topic), res.topics, deniedEntry),
  }));
};

export const authorizeInitProducerId: AuthorizationRule<typeof ApiKey.InitProducerId> = (request, az) => {
  const refuse = (errorCode: number) => deny(ApiKey.InitProducerId, { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
  if (request.transactionalId !== null)
    return az.allowed(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId) ? undefined : refuse(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  // An idempotent producer: IDEMPOTENT_WRITE on the cluster, or WRITE on at least one topic (KIP-679).
  if (az.cluster(AclOperation.IDEMPOTENT_WRITE) || az.any(AclOperation.WRITE, ResourceType.TOPIC)) return undefined;
  return refuse(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
};
