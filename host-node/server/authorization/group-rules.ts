// Groups and their offsets, as Kafka's KafkaApis authorizes them: READ on the group to join, sync, heartbeat,
// leave and commit; DESCRIBE to find its coordinator, fetch its offsets and describe it; DELETE to delete it or
// its offsets. Topics inside group requests: READ to commit or delete offsets, DESCRIBE to fetch them.
// ListGroups lists every group with DESCRIBE on the cluster, else only the groups the principal may describe.
import { ApiKey } from '../../../protocol/generated/api.js';
import type { OffsetFetchRequest } from '../../../protocol/generated/index.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { OPERATIONS_NOT_REQUESTED } from '../authorized-operations.js';
import { type AuthorizationRule, deny, interleave, partial } from './outcome.js';
import { AclOperation, ResourceType, type RequestAuthz } from './request-authz.js';

const GROUP_DENIED = ErrorCode.GROUP_AUTHORIZATION_FAILED;
const TOPIC_DENIED = ErrorCode.TOPIC_AUTHORIZATION_FAILED;

const readGroup = (az: RequestAuthz, groupId: string) => az.allowed(AclOperation.READ, ResourceType.GROUP, groupId);
const describeGroup = (az: RequestAuthz, groupId: string) => az.allowed(AclOperation.DESCRIBE, ResourceType.GROUP, groupId);

export const authorizeJoinGroup: AuthorizationRule<typeof ApiKey.JoinGroup> = (request, az, ctx) =>
  readGroup(az, request.groupId)
    ? undefined
    : deny(ApiKey.JoinGroup, {
        throttleTimeMs: 0,
        errorCode: GROUP_DENIED,
        generationId: -1,
        protocolType: null,
        protocolName: ctx.apiVersion >= 7 ? null : '',
        leader: '',
        skipAssignment: false,
        memberId: '',
        members: [],
      });

export const authorizeSyncGroup: AuthorizationRule<typeof ApiKey.SyncGroup> = (request, az) =>
  readGroup(az, request.groupId)
    ? undefined
    : deny(ApiKey.SyncGroup, { throttleTimeMs: 0, errorCode: GROUP_DENIED, protocolType: null, protocolName: null, assignment: new Uint8Array(0) });

export const authorizeHeartbeat: AuthorizationRule<typeof ApiKey.Heartbeat> = (request, az) =>
  readGroup(az, request.groupId) ? undefined : deny(ApiKey.Heartbeat, { throttleTimeMs: 0, errorCode: GROUP_DENIED });

export const authorizeLeaveGroup: AuthorizationRule<typeof ApiKey.LeaveGroup> = (request, az) =>
  readGroup(az, request.groupId) ? undefined : deny(ApiKey.LeaveGroup, { throttleTimeMs: 0, errorCode: GROUP_DENIED, members: [] });

export const authorizeOffsetCommit: AuthorizationRule<typeof ApiKey.OffsetCommit> = (request, az) => {
  const deniedEntry = (errorCode: number) => (t: (typeof request.topics)[number]) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
  });
  if (!readGroup(az, request.groupId)) return deny(ApiKey.OffsetCommit, { throttleTimeMs: 0, topics: request.topics.map(deniedEntry(GROUP_DENIED)) });
  const denied = az.denied(AclOperation.READ, ResourceType.TOPIC, request.topics, (t) => t.name);
  if (denied === null) return undefined;
  const allowed = request.topics.filter((t) => !denied.has(t.name));
  if (allowed.length === 0) return deny(ApiKey.OffsetCommit, { throttleTimeMs: 0, topics: request.topics.map(deniedEntry(TOPIC_DENIED)) });
  return partial(ApiKey.OffsetCommit, { ...request, topics: allowed }, (res) => ({
    ...res,
    topics: interleave(request.topics, (t) => denied.has(t.name), res.topics, deniedEntry(TOPIC_DENIED)),
  }));
};

export const authorizeOffsetDelete: AuthorizationRule<typeof ApiKey.OffsetDelete> = (request, az) => {
  if (!az.allowed(AclOperation.DELETE, ResourceType.GROUP, request.groupId)) return deny(ApiKey.OffsetDelete, { errorCode: GROUP_DENIED, throttleTimeMs: 0, topics: [] });
  const denied = az.denied(AclOperation.READ, ResourceType.TOPIC, request.topics, (t) => t.name);
  if (denied === null) return undefined;
  const deniedEntry = (t: (typeof request.topics)[number]) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: TOPIC_DENIED })) });
  const allowed = request.topics.filter((t) => !denied.has(t.name));
  if (allowed.length === 0) return deny(ApiKey.OffsetDelete, { errorCode: ErrorCode.NONE, throttleTimeMs: 0, topics: request.topics.map(deniedEntry) });
  return partial(ApiKey.OffsetDelete, { ...request, topics: allowed }, (res) => ({
    ...res,
    topics: res.errorCode !== undefined && res.errorCode !== ErrorCode.NONE ? res.topics : interleave(request.topics, (t) => denied.has(t.name), res.topics, deniedEntry),
  }));
};

type OffsetFetchTopics = { name: string; partitionIndexes: number[] }[] | null;
type FetchedTopic = { name?: string; partitions?: unknown[] };

/**
 * One group's topics in OffsetFetch: the named topics the principal may not DESCRIBE leave the request and come
 * back with TOPIC_AUTHORIZATION_FAILED; asked for all (null), the topics it may not DESCRIBE are left out of
 * the answer, as Kafka does.
 */
interface GroupTopicsAuthz {
  readonly topics: OffsetFetchTopics;
  complete<T extends FetchedTopic>(answered: T[] | undefined, deniedEntry: (name: string, partitions: number[]) => T): T[] | undefined;
}

function groupTopics(az: RequestAuthz, topics: OffsetFetchTopics): GroupTopicsAuthz | null {
  if (topics === null)
    return {
      topics,
      complete: (answered) => answered?.filter((t) => t.name === undefined || az.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name)),
    };
  const denied = az.denied(AclOperation.DESCRIBE, ResourceType.TOPIC, topics, (t) => t.name);
  if (denied === null) return null;
  return {
    topics: topics.filter((t) => !denied.has(t.name)),
    complete: (answered, deniedEntry) => [...(answered ?? []), ...topics.filter((t) => denied.has(t.name)).map((t) => deniedEntry(t.name, t.partitionIndexes))],
  };
}

const offsetDenied = (partitionIndex: number, errorCode: number) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode });

export const authorizeOffsetFetch: AuthorizationRule<typeof ApiKey.OffsetFetch> = (request, az, ctx) => {
  const v = ctx.apiVersion;
  return v >= 8 ? authorizeOffsetFetchGroups(request, az) : authorizeOffsetFetchOne(request, az, v);
};

function authorizeOffsetFetchOne(request: OffsetFetchRequest, az: RequestAuthz, v: number) {
  if (!describeGroup(az, request.groupId)) {
    // v0-1 carry the error on each partition asked for, v2+ as the group's error.
    const topics =
      v < 2 ? (request.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => offsetDenied(p, GROUP_DENIED)) })) : [];
    return deny(ApiKey.OffsetFetch, { throttleTimeMs: 0, errorCode: v >= 2 ? GROUP_DENIED : ErrorCode.NONE, topics });
  }
  const g = groupTopics(az, v >= 2 ? request.topics : (request.topics ?? []));
  if (g === null) return undefined;
  return partial(ApiKey.OffsetFetch, { ...request, topics: g.topics! }, (res) =>
    res.errorCode !== undefined && res.errorCode !== ErrorCode.NONE
      ? res
      : { ...res, topics: g.complete(res.topics, (name, ps) => ({ name, partitions: ps.map((p) => offsetDenied(p, TOPIC_DENIED)) })) },
  );
}

function authorizeOffsetFetchGroups(request: OffsetFetchRequest, az: RequestAuthz) {
  const deniedGroups = az.denied(AclOperation.DESCRIBE, ResourceType.GROUP, request.groups, (g) => g.groupId);
  const byGroup = new Map<string, GroupTopicsAuthz>();
  for (const g of request.groups) {
    if (deniedGroups?.has(g.groupId)) continue;
    const t = groupTopics(az, g.topics);
    if (t !== null) byGroup.set(g.groupId, t);
  }
  if (deniedGroups === null && byGroup.size === 0) return undefined;
  const isDenied = (g: OffsetFetchRequest['groups'][number]) => deniedGroups?.has(g.groupId) === true;
  const deniedEntry = (g: OffsetFetchRequest['groups'][number]) => ({ groupId: g.groupId, errorCode: GROUP_DENIED, topics: [] });
  const allowed = request.groups.filter((g) => !isDenied(g)).map((g) => (byGroup.has(g.groupId) ? { ...g, topics: byGroup.get(g.groupId)!.topics! } : g));
  if (allowed.length === 0) return deny(ApiKey.OffsetFetch, { throttleTimeMs: 0, groups: request.groups.map(deniedEntry) });
  return partial(ApiKey.OffsetFetch, { ...request, groups: allowed }, (res) => ({
    ...res,
    groups: interleave(request.groups, isDenied, res.groups, deniedEntry).map((g) => {
      const t = g.groupId === undefined ? undefined : byGroup.get(g.groupId);
      if (t === undefined || (g.errorCode !== undefined && g.errorCode !== ErrorCode.NONE)) return g;
      return { ...g, topics: t.complete(g.topics, (name, ps) => ({ name, partitions: ps.map((p) => offsetDenied(p, TOPIC_DENIED)) })) };
    }),
  }));
}

const GROUP_KEY = 0;
const TRANSACTION_KEY = 1;

export const authorizeFindCoordinator: AuthorizationRule<typeof ApiKey.FindCoordinator> = (request, az, ctx) => {
  const errorFor = (key: string): number => {
    if (request.keyType === GROUP_KEY) return describeGroup(az, key) ? ErrorCode.NONE : GROUP_DENIED;
    if (request.keyType === TRANSACTION_KEY) return az.allowed(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key) ? ErrorCode.NONE : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    return ErrorCode.NONE; // an unknown key type is the handler's INVALID_REQUEST
  };
  if (ctx.apiVersion < 4) {
    const errorCode = errorFor(request.key);
    if (errorCode === ErrorCode.NONE) return undefined;
    const errorMessage = ctx.apiVersion >= 1 ? (errorCode === GROUP_DENIED ? 'Group authorization failed.' : 'Transactional Id authorization failed.') : null;
    return deny(ApiKey.FindCoordinator, { throttleTimeMs: 0, errorCode, errorMessage, nodeId: -1, host: '', port: -1 });
  }
  const errors = new Map<string, number>();
  for (const key of request.coordinatorKeys) {
    const e = errorFor(key);
    if (e !== ErrorCode.NONE) errors.set(key, e);
  }
  if (errors.size === 0) return undefined;
  const deniedEntry = (key: string) => ({ key, nodeId: -1, host: '', port: -1, errorCode: errors.get(key)!, errorMessage: null });
  const allowed = request.coordinatorKeys.filter((k) => !errors.has(k));
  if (allowed.length === 0) return deny(ApiKey.FindCoordinator, { throttleTimeMs: 0, coordinators: request.coordinatorKeys.map(deniedEntry) });
  return partial(ApiKey.FindCoordinator, { ...request, coordinatorKeys: allowed }, (res) => ({
    ...res,
    coordinators: interleave(request.coordinatorKeys, (k) => errors.has(k), res.coordinators, deniedEntry),
  }));
};

export const authorizeDescribeGroups: AuthorizationRule<typeof ApiKey.DescribeGroups> = (request, az) => {
  const denied = az.denied(AclOperation.DESCRIBE, ResourceType.GROUP, request.groups, (g) => g);
  if (denied === null) return undefined;
  const deniedEntry = (groupId: string) => ({
    errorCode: GROUP_DENIED,
    groupId,
    groupState: '',
    protocolType: '',
    protocolData: '',
    members: [],
    authorizedOperations: OPERATIONS_NOT_REQUESTED,
  });
  const allowed = request.groups.filter((g) => !denied.has(g));
  if (allowed.length === 0) return deny(ApiKey.DescribeGroups, { throttleTimeMs: 0, groups: request.groups.map(deniedEntry) });
  return partial(ApiKey.DescribeGroups, { ...request, groups: allowed }, (res) => ({ ...res, groups: interleave(request.groups, (g) => denied.has(g), res.groups, deniedEntry) }));
};

export const authorizeListGroups: AuthorizationRule<typeof ApiKey.ListGroups> = (request, az) => {
  if (az.cluster(AclOperation.DESCRIBE)) return undefined;
  return partial(ApiKey.ListGroups, request, (res) => ({ ...res, groups: res.groups?.filter((g) => g.groupId !== undefined && describeGroup(az, g.groupId)) }));
};

export const authorizeDeleteGroups: AuthorizationRule<typeof ApiKey.DeleteGroups> = (request, az) => {
  const denied = az.denied(AclOperation.DELETE, ResourceType.GROUP, request.groupsNames, (g) => g);
  if (denied === null) return undefined;
  const deniedEntry = (groupId: string) => ({ groupId, errorCode: GROUP_DENIED });
  const allowed = request.groupsNames.filter((g) => !denied.has(g));
  if (allowed.length === 0) return deny(ApiKey.DeleteGroups, { throttleTimeMs: 0, results: request.groupsNames.map(deniedEntry) });
  return partial(ApiKey.DeleteGroups, { ...request, groupsNames: allowed }, (res) => ({
    ...res,
    results: interleave(request.groupsNames, (g) => denied.has(g), res.results, deniedEntry),
  }));
};
