// Metadata (api key 3), every version 0-12: the brokers (ctx.broker.clusterView: each at its endpoint for the
// listener the request came on; a single broker lists itself), the cluster id, the controller (a single
// broker names itself: librdkafka and kafkajs wait for a controller that is one of the brokers), and topics
// from ctx.broker.metadata (the topic registry, the cluster metadata, or a source a test started the broker with).
//
// Version notes:
// - v0: an empty topic list means "all topics"; v1+: null means all, empty means none.
// - v10+: topics may be named by id (name null); an unknown id → UNKNOWN_TOPIC_ID with a null name (v12+).
// - v8-10 cluster / v8+ topic authorized operations, when asked: the operations the principal may do
//   (authorized-operations.ts: from the authorizer, or all supported ones without one); otherwise INT32_MIN.
// With an authorizer, which topics a principal may see is decided before this handler runs (server/authorization/).

import type { MetadataResponseMetadataResponseTopicInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ZERO_UUID } from '../../../protocol/wire/uuid.js';
import type { ApiHandler } from '../registry.js';
import type { RequestContext } from '../context.js';
import type { TopicMetadata } from '../../topics/metadata.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { clusterAuthorizedOperations, OPERATIONS_NOT_REQUESTED, topicAuthorizedOperations } from '../authorized-operations.js';
import { MetadataApi } from '../../../protocol/generated/metadata.js';

function topicEntry(t: TopicMetadata, ctx: RequestContext<'authorizer'>, includeOps: boolean): MetadataResponseMetadataResponseTopicInput {
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.topicId,
    isInternal: t.isInternal,
    partitions: t.partitions.map((p) => ({
      errorCode: p.errorCode ?? ErrorCode.NONE,
      partitionIndex: p.partition,
      leaderId: p.leaderId,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: [...p.replicas],
      isrNodes: [...p.isr],
      offlineReplicas: [...p.offlineReplicas],
    })),
    topicAuthorizedOperations: includeOps && ctx.apiVersion >= 8 ? topicAuthorizedOperations(ctx, t.name) : OPERATIONS_NOT_REQUESTED,
  };
}

type TopicEntry = MetadataResponseMetadataResponseTopicInput;

export const metadataHandler: ApiHandler<typeof ApiKey.Metadata, 'metadata' | 'clusterId' | 'clusterView' | 'authorizer'> = {
  api: MetadataApi,
  handle(request, ctx) {
    const b = ctx.broker;
    const v = ctx.apiVersion;
    const includeTopicOps = request.includeTopicAuthorizedOperations;

    // Synchronous unless a topic has to be auto-created (then that entry is a promise).
    const topics: (TopicEntry | Promise<TopicEntry>)[] = [];
    let async = false;
    const all = request.topics === null || (v === 0 && request.topics.length === 0);
    if (all) {
      for (const t of b.metadata.listTopics()) topics.push(topicEntry(t, ctx, includeTopicOps));
    } else {
      for (const req of request.topics!) {
        if (req.name === null) {
          // By topic id (v10+).
          const t = req.topicId !== ZERO_UUID ? b.metadata.topicById(req.topicId) : undefined;
          topics.push(t ? topicEntry(t, ctx, includeTopicOps) : { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: req.topicId, partitions: [] });
          continue;
        }
        const t = b.metadata.topicByName(req.name);
        if (t) {
          topics.push(topicEntry(t, ctx, includeTopicOps));
        } else if (request.allowAutoTopicCreation && b.metadata.autoCreateTopic) {
          const name = req.name;
          async = true;
          topics.push(
            Promise.resolve(b.metadata.autoCreateTopic(name)).then((created) =>
              typeof created === 'number' ? unknownTopic(name, created) : topicEntry(created, ctx, includeTopicOps),
            ),
          );
        } else {
          topics.push(unknownTopic(req.name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        }
      }
    }

    const response = (resolved: TopicEntry[]) => ({
      throttleTimeMs: 0,
      brokers: b.clusterView.brokers(ctx.connection.listenerName),
      clusterId: b.clusterId,
      controllerId: b.clusterView.controllerId(),
      topics: resolved,
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations && v >= 8 && v <= 10 ? clusterAuthorizedOperations(ctx) : OPERATIONS_NOT_REQUESTED,
    });
    return async ? Promise.all(topics).then(response) : response(topics as TopicEntry[]);
  },
};

function unknownTopic(name: string, errorCode: number): TopicEntry {
  return { errorCode, name, topicId: ZERO_UUID, partitions: [] };
}
