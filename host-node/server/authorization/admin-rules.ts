// Metadata, topic and config administration, and the cluster-wide APIs, as Kafka's KafkaApis authorizes them.
// Metadata: DESCRIBE on each topic (listing all topics hides the others; naming one answers
// TOPIC_AUTHORIZATION_FAILED), and CREATE on the cluster or the topic to auto-create it. CreateTopics: CREATE
// on the cluster or the topic (configs in the answer only with DESCRIBE_CONFIGS); DeleteTopics: DELETE (and
// DESCRIBE when named by id); CreatePartitions: ALTER; configs: DESCRIBE_CONFIGS / ALTER_CONFIGS on the topic,
// the group, or the cluster for broker resources. The cluster APIs need one operation on the cluster.
import { ApiKey } from '../../../protocol/generated/api.js';
import type { MetadataRequest } from '../../../protocol/generated/index.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { ZERO_UUID } from '../../../protocol/wire/uuid.js';
import { isInternalTopic } from '../../topics/names.js';
import { type AuthorizationRule, deny, interleave, partial } from './outcome.js';
import { AclOperation, ResourceType, type RequestAuthz } from './request-authz.js';

const TOPIC_DENIED = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
const CLUSTER_DENIED = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
/** The messages of Kafka's Errors for the authorization failures (what ApiError.message() falls back to). */
const MESSAGE: Record<number, string> = {
  [ErrorCode.TOPIC_AUTHORIZATION_FAILED]: 'Topic authorization failed.',
  [ErrorCode.GROUP_AUTHORIZATION_FAILED]: 'Group authorization failed.',
  [ErrorCode.CLUSTER_AUTHORIZATION_FAILED]: 'Cluster authorization failed.',
};

type MetadataTopic = NonNullable<MetadataRequest['topics']>[number];

export const authorizeMetadata: AuthorizationRule<typeof ApiKey.Metadata> = (request, az, ctx) => {
  const v = ctx.apiVersion;
  if (request.topics === null || (v === 0 && request.topics.length === 0)) {
    // All topics: the ones the principal may not describe are left out, as if they did not exist.
    return partial(ApiKey.Metadata, request, (res) => {
      const topics = res.topics ?? [];
      const denied = az.denied(AclOperation.DESCRIBE, ResourceType.TOPIC, topics, (t) => t.name ?? '');
      return denied === null ? res : { ...res, topics: topics.filter((t) => !denied.has(t.name ?? '')) };
    });
  }
  const b = ctx.broker;
  const autoCreate = request.allowAutoTopicCreation && b.metadata.autoCreateTopic !== undefined && b.config.get('auto.create.topics.enable');
  const errors = new Map<MetadataTopic, { errorCode: number; name: string | null; topicId: string; isInternal: boolean }>();
  for (const t of request.topics) {
    if (t.name === null) {
      // By id (v10+): topic ids are not secret, so a denied one is named by its id (an unknown id: the handler's UNKNOWN_TOPIC_ID).
      const known = t.topicId !== ZERO_UUID ? b.metadata.topicById(t.topicId) : undefined;
      if (known !== undefined && !az.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, known.name))
        errors.set(t, { errorCode: TOPIC_DENIED, name: null, topicId: t.topicId, isInternal: false });
      continue;
    }
    // Checked before existence: a principal without DESCRIBE cannot learn whether the topic exists.
    if (!az.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name)) errors.set(t, { errorCode: TOPIC_DENIED, name: t.name, topicId: ZERO_UUID, isInternal: false });
    else if (autoCreate && b.metadata.topicByName(t.name) === undefined && !mayCreateTopic(az, t.name))
      errors.set(t, { errorCode: TOPIC_DENIED, name: t.name, topicId: ZERO_UUID, isInternal: isInternalTopic(t.name) });
  }
  if (errors.size === 0) return undefined;
  const deniedEntry = (t: MetadataTopic) => ({ ...errors.get(t)!, partitions: [] });
  return partial(ApiKey.Metadata, { ...request, topics: request.topics.filter((t) => !errors.has(t)) }, (res) => ({
    ...res,
    topics: interleave(request.topics!, (t) => errors.has(t), res.topics, deniedEntry),
  }));
};

function mayCreateTopic(az: RequestAuthz, name: string): boolean {
  return az.cluster(AclOperation.CREATE) || az.allowed(AclOperation.CREATE, ResourceType.TOPIC, name);
}

export const authorizeCreateTopics: AuthorizationRule<typeof ApiKey.CreateTopics> = (request, az, ctx) => {
  // A name given twice is the handler's INVALID_REQUEST, whatever the ACLs say (Kafka checks that first).
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const t of request.topics) (seen.has(t.name) ? dup : seen).add(t.name);
  const checked = request.topics.filter((t) => !dup.has(t.name));
  const deniedCreate = az.cluster(AclOperation.CREATE) ? null : az.denied(AclOperation.CREATE, ResourceType.TOPIC, checked, (t) => t.name);
  // v5+ answers with the topic's configs: only to a principal that may DESCRIBE_CONFIGS it.
  const hiddenConfigs = ctx.apiVersion >= 5 ? az.denied(AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC, checked, (t) => t.name) : null;
  if (deniedCreate === null && hiddenConfigs === null) return undefined;
  const configError = (name: string) => (hiddenConfigs?.has(name) ? TOPIC_DENIED : ErrorCode.NONE);
  const isDenied = (t: (typeof request.topics)[number]) => deniedCreate?.has(t.name) === true;
  const deniedEntry = (t: (typeof request.topics)[number]) => ({
    name: t.name,
    errorCode: TOPIC_DENIED,
    errorMessage: 'Authorization failed.',
    topicConfigErrorCode: configError(t.name),
    numPartitions: -1,
    replicationFactor: -1,
    configs: [],
  });
  const allowed = request.topics.filter((t) => !isDenied(t));
  if (allowed.length === 0) return deny(ApiKey.CreateTopics, { throttleTimeMs: 0, topics: request.topics.map(deniedEntry) });
  return partial(ApiKey.CreateTopics, { ...request, topics: allowed }, (res) => ({
    ...res,
    topics: interleave(request.topics, isDenied, res.topics, deniedEntry).map((t) =>
      t.name !== undefined && hiddenConfigs?.has(t.name) && (t.errorCode ?? ErrorCode.NONE) === ErrorCode.NONE ? { ...t, configs: [], topicConfigErrorCode: TOPIC_DENIED } : t,
    ),
  }));
};

export const authorizeDeleteTopics: AuthorizationRule<typeof ApiKey.DeleteTopics> = (request, az, ctx) => {
  const b = ctx.broker;
  const entries = ctx.apiVersion >= 6 ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : request.topicNames.map((name) => ({ name: name as string | null, topicId: ZERO_UUID }));
  const errors = new Map<number, { name: string | null; topicId: string; errorCode: number; errorMessage: null }>();
  entries.forEach((e, i) => {
    if (e.name !== null && e.topicId !== ZERO_UUID) return; // both: the handler's INVALID_REQUEST
    if (e.name === null) {
      const known = e.topicId !== ZERO_UUID ? b.metadata.topicById(e.topicId) : undefined;
      if (known === undefined) return; // the handler's UNKNOWN_TOPIC_ID
      // Named by id: without DESCRIBE, not even the name is told.
      if (!az.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, known.name)) errors.set(i, { name: null, topicId: e.topicId, errorCode: TOPIC_DENIED, errorMessage: null });
      else if (!az.allowed(AclOperation.DELETE, ResourceType.TOPIC, known.name)) errors.set(i, { name: known.name, topicId: e.topicId, errorCode: TOPIC_DENIED, errorMessage: null });
    } else if (!az.allowed(AclOperation.DELETE, ResourceType.TOPIC, e.name)) errors.set(i, { name: e.name, topicId: e.topicId, errorCode: TOPIC_DENIED, errorMessage: null });
  });
  if (errors.size === 0) return undefined;
  const indexes = entries.map((_, i) => i);
  const deniedEntry = (i: number) => errors.get(i)!;
  if (errors.size === entries.length) return deny(ApiKey.DeleteTopics, { throttleTimeMs: 0, responses: indexes.map(deniedEntry) });
  const allowedRequest =
    ctx.apiVersion >= 6 ? { ...request, topics: request.topics.filter((_, i) => !errors.has(i)) } : { ...request, topicNames: request.topicNames.filter((_, i) => !errors.has(i)) };
  return partial(ApiKey.DeleteTopics, allowedRequest, (res) => ({ ...res, responses: interleave(indexes, (i) => errors.has(i), res.responses, deniedEntry) }));
};

export const authorizeCreatePartitions: AuthorizationRule<typeof ApiKey.CreatePartitions> = (request, az) => {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const t of request.topics) (seen.has(t.name) ? dup : seen).add(t.name);
  const denied = az.denied(
    AclOperation.ALTER,
    ResourceType.TOPIC,
    request.topics.filter((t) => !dup.has(t.name)),
    (t) => t.name,
  );
  if (denied === null) return undefined;
  const deniedEntry = (t: (typeof request.topics)[number]) => ({ name: t.name, errorCode: TOPIC_DENIED, errorMessage: 'The topic authorization is failed.' });
  const allowed = request.topics.filter((t) => !denied.has(t.name));
  if (allowed.length === 0) return deny(ApiKey.CreatePartitions, { throttleTimeMs: 0, results: request.topics.map(deniedEntry) });
  return partial(ApiKey.CreatePartitions, { ...request, topics: allowed }, (res) => ({
    ...res,
    results: interleave(request.topics, (t) => denied.has(t.name), res.results, deniedEntry),
  }));
};

/** Kafka's ConfigResource.Type codes. */
const ConfigResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16, GROUP: 32 } as const;

/**
 * The error for a config resource the principal may not `operation` (0 = allowed): broker-wide resources are
 * the cluster's, topics and groups their own. `clusterTypes` lists the types an API treats as the cluster's.
 */
function configError(az: RequestAuthz, operation: AclOperation, resourceType: number, resourceName: string, clusterTypes: readonly number[]): number {
  if (clusterTypes.includes(resourceType)) return az.cluster(operation) ? ErrorCode.NONE : CLUSTER_DENIED;
  if (resourceType === ConfigResourceType.TOPIC) return az.allowed(operation, ResourceType.TOPIC, resourceName) ? ErrorCode.NONE : TOPIC_DENIED;
  if (resourceType === ConfigResourceType.GROUP) return az.allowed(operation, ResourceType.GROUP, resourceName) ? ErrorCode.NONE : ErrorCode.GROUP_AUTHORIZATION_FAILED;
  return ErrorCode.NONE; // another type: the handler's INVALID_REQUEST
}

const ALL_BROKER_TYPES = [ConfigResourceType.BROKER, ConfigResourceType.BROKER_LOGGER, ConfigResourceType.CLIENT_METRICS];

/** Splits a config API's resources: the denied ones leave the request and come back with their error. */
function authorizeResources<R extends { resourceType: number; resourceName: string }, E>(
  resources: readonly R[],
  errorOf: (r: R) => number,
  entry: (r: R, errorCode: number) => E,
): { errors: Map<R, number>; allowed: R[]; deniedEntry: (r: R) => E } | null {
  const errors = new Map<R, number>();
  for (const r of resources) {
    const e = errorOf(r);
    if (e !== ErrorCode.NONE) errors.set(r, e);
  }
  if (errors.size === 0) return null;
  return { errors, allowed: resources.filter((r) => !errors.has(r)), deniedEntry: (r) => entry(r, errors.get(r)!) };
}

export const authorizeDescribeConfigs: AuthorizationRule<typeof ApiKey.DescribeConfigs> = (request, az) => {
  const split = authorizeResources(
    request.resources,
    (r) => configError(az, AclOperation.DESCRIBE_CONFIGS, r.resourceType, r.resourceName, ALL_BROKER_TYPES),
    (r, errorCode) => ({ errorCode, errorMessage: MESSAGE[errorCode] ?? null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] }),
  );
  if (split === null) return undefined;
  if (split.allowed.length === 0) return deny(ApiKey.DescribeConfigs, { throttleTimeMs: 0, results: request.resources.map(split.deniedEntry) });
  return partial(ApiKey.DescribeConfigs, { ...request, resources: split.allowed }, (res) => ({
    ...res,
    results: interleave(request.resources, (r) => split.errors.has(r), res.results, split.deniedEntry),
  }));
};

export const authorizeAlterConfigs: AuthorizationRule<typeof ApiKey.AlterConfigs> = (request, az) => {
  const split = authorizeResources(
    request.resources,
    (r) => configError(az, AclOperation.ALTER_CONFIGS, r.resourceType, r.resourceName, [ConfigResourceType.BROKER, ConfigResourceType.CLIENT_METRICS]),
    (r, errorCode) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName }),
  );
  if (split === null) return undefined;
  if (split.allowed.length === 0) return deny(ApiKey.AlterConfigs, { throttleTimeMs: 0, responses: request.resources.map(split.deniedEntry) });
  return partial(ApiKey.AlterConfigs, { ...request, resources: split.allowed }, (res) => ({
    ...res,
    responses: interleave(request.resources, (r) => split.errors.has(r), res.responses, split.deniedEntry),
  }));
};

export const authorizeIncrementalAlterConfigs: AuthorizationRule<typeof ApiKey.IncrementalAlterConfigs> = (request, az) => {
  const split = authorizeResources(
    request.resources,
    (r) => configError(az, AclOperation.ALTER_CONFIGS, r.resourceType, r.resourceName, ALL_BROKER_TYPES),
    (r, errorCode) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName }),
  );
  if (split === null) return undefined;
  if (split.allowed.length === 0) return deny(ApiKey.IncrementalAlterConfigs, { throttleTimeMs: 0, responses: request.resources.map(split.deniedEntry) });
  return partial(ApiKey.IncrementalAlterConfigs, { ...request, resources: split.allowed }, (res) => ({
    ...res,
    responses: interleave(request.resources, (r) => split.errors.has(r), res.responses, split.deniedEntry),
  }));
};

// ---- The cluster's APIs: one operation on the cluster resource, else the API's error response. ----

const CLUSTER_MESSAGE = MESSAGE[CLUSTER_DENIED]!;

export const authorizeElectLeaders: AuthorizationRule<typeof ApiKey.ElectLeaders> = (request, az, ctx) =>
  az.cluster(AclOperation.ALTER)
    ? undefined
    : deny(ApiKey.ElectLeaders, {
        throttleTimeMs: 0,
        // v0 has no top-level error: its partitions carry it.
        errorCode: ctx.apiVersion >= 1 ? CLUSTER_DENIED : ErrorCode.NONE,
        replicaElectionResults: (request.topicPartitions ?? []).map((t) => ({
          topic: t.topic,
          partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_MESSAGE })),
        })),
      });

export const authorizeAlterPartitionReassignments: AuthorizationRule<typeof ApiKey.AlterPartitionReassignments> = (request, az) =>
  az.cluster(AclOperation.ALTER)
    ? undefined
    : deny(ApiKey.AlterPartitionReassignments, {
        throttleTimeMs: 0,
        errorCode: CLUSTER_DENIED,
        errorMessage: CLUSTER_MESSAGE,
        responses: request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_MESSAGE })),
        })),
      });

export const authorizeListPartitionReassignments: AuthorizationRule<typeof ApiKey.ListPartitionReassignments> = (request, az) =>
  az.cluster(AclOperation.DESCRIBE)
    ? undefined
    : deny(ApiKey.ListPartitionReassignments, {
        throttleTimeMs: 0,
        errorCode: CLUSTER_DENIED,
        errorMessage: CLUSTER_MESSAGE,
        topics: (request.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, replicas: [], addingReplicas: [], removingReplicas: [] })) })),
      });

export const authorizeDescribeLogDirs: AuthorizationRule<typeof ApiKey.DescribeLogDirs> = (_request, az) =>
  az.cluster(AclOperation.DESCRIBE) ? undefined : deny(ApiKey.DescribeLogDirs, { throttleTimeMs: 0, errorCode: CLUSTER_DENIED, results: [] });

export const authorizeDescribeAcls: AuthorizationRule<typeof ApiKey.DescribeAcls> = (_request, az) =>
  az.cluster(AclOperation.DESCRIBE) ? undefined : deny(ApiKey.DescribeAcls, { throttleTimeMs: 0, errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_MESSAGE, resources: [] });

export const authorizeCreateAcls: AuthorizationRule<typeof ApiKey.CreateAcls> = (request, az) =>
  az.cluster(AclOperation.ALTER)
    ? undefined
    : deny(ApiKey.CreateAcls, { throttleTimeMs: 0, results: request.creations.map(() => ({ errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_MESSAGE })) });

export const authorizeDeleteAcls: AuthorizationRule<typeof ApiKey.DeleteAcls> = (request, az) =>
  az.cluster(AclOperation.ALTER)
    ? undefined
    : deny(ApiKey.DeleteAcls, { throttleTimeMs: 0, filterResults: request.filters.map(() => ({ errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_MESSAGE, matchingAcls: [] })) });

export const authorizeDescribeUserScramCredentials: AuthorizationRule<typeof ApiKey.DescribeUserScramCredentials> = (request, az) =>
  az.cluster(AclOperation.DESCRIBE)
    ? undefined
    : deny(ApiKey.DescribeUserScramCredentials, {
        throttleTimeMs: 0,
        errorCode: CLUSTER_DENIED,
        errorMessage: CLUSTER_MESSAGE,
        results: (request.users ?? []).map(() => ({ errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_MESSAGE, credentialInfos: [] })),
      });

export const authorizeAlterUserScramCredentials: AuthorizationRule<typeof ApiKey.AlterUserScramCredentials> = (request, az) => {
  if (az.cluster(AclOperation.ALTER)) return undefined;
  // One result per user named, sorted, as Kafka answers.
  const users = [...new Set([...request.deletions.map((d) => d.name), ...request.upsertions.map((u) => u.name)])].sort();
  return deny(ApiKey.AlterUserScramCredentials, { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_MESSAGE })) });
};

export const authorizeDescribeClientQuotas: AuthorizationRule<typeof ApiKey.DescribeClientQuotas> = (_request, az) =>
  az.cluster(AclOperation.DESCRIBE_CONFIGS)
    ? undefined
    : deny(ApiKey.DescribeClientQuotas, { throttleTimeMs: 0, errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_MESSAGE, entries: null });

export const authorizeAlterClientQuotas: AuthorizationRule<typeof ApiKey.AlterClientQuotas> = (request, az) =>
  az.cluster(AclOperation.ALTER_CONFIGS)
    ? undefined
    : deny(ApiKey.AlterClientQuotas, {
        throttleTimeMs: 0,
        entries: request.entries.map((e) => ({
          errorCode: CLUSTER_DENIED,
          errorMessage: CLUSTER_MESSAGE,
          entity: e.entity.map((x) => ({ entityType: x.entityType, entityName: x.entityName })),
        })),
      });
