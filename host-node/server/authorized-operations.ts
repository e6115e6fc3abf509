// Authorized-operations bit sets (Metadata, DescribeCluster, DescribeGroups): one bit per AclOperation code
// (Kafka's AclOperation enum) the request's principal may do on the resource. With an authorizer, each
// operation the resource type supports is asked of it (Kafka's AuthHelper.authorizedOperations); without one,
// every supported operation is allowed, which is what Kafka reports when no authorizer is configured.
import { AclOperation, CLUSTER_RESOURCE_NAME, ResourceType, type AuthzAction } from '../security/acl.js';
import type { RequestContext } from './context.js';
import { subjectOf } from './authorization/request-authz.js';

const bits = (ops: readonly number[]) => ops.reduce((a, o) => a | (1 << o), 0);

/** The operations each resource type supports (Kafka's AclEntry.supportedOperations). */
const CLUSTER_OPS = [
  AclOperation.CREATE,
  AclOperation.CLUSTER_ACTION,
  AclOperation.DESCRIBE_CONFIGS,
  AclOperation.ALTER_CONFIGS,
  AclOperation.IDEMPOTENT_WRITE,
  AclOperation.ALTER,
  AclOperation.DESCRIBE,
] as const;
const TOPIC_OPS = [
  AclOperation.READ,
  AclOperation.WRITE,
  AclOperation.CREATE,
  AclOperation.DESCRIBE,
  AclOperation.DELETE,
  AclOperation.ALTER,
  AclOperation.DESCRIBE_CONFIGS,
  AclOperation.ALTER_CONFIGS,
] as const;
const GROUP_OPS = [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE] as const;

export const CLUSTER_OPERATIONS = bits(CLUSTER_OPS);
export const TOPIC_OPERATIONS = bits(TOPIC_OPS);
export const GROUP_OPERATIONS = bits(GROUP_OPS);
/** The value when operations were not requested (the schemas' default). */
export const OPERATIONS_NOT_REQUESTED = -2147483648;

/** The supported operations of one resource the principal may do, as a bit set (all of them without an authorizer). */
function authorizedOperations(ctx: RequestContext<'authorizer'>, resourceType: ResourceType, resourceName: string, ops: readonly AclOperation[]): number {
  const authorizer = ctx.broker.authorizer;
  if (authorizer === undefined) return bits(ops);
  const actions: AuthzAction[] = ops.map((operation) => ({ operation, resourceType, resourceName }));
  const answers = authorizer.authorize(subjectOf(ctx.connection), actions);
  let set = 0;
  for (let i = 0; i < ops.length; i++) if (answers[i] === true) set |= 1 << ops[i]!;
  return set;
}

/** The cluster's operations: 0 to a principal that may not DESCRIBE the cluster (Kafka's Metadata and DescribeCluster). */
export function clusterAuthorizedOperations(ctx: RequestContext<'authorizer'>): number {
  const ops = authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME, CLUSTER_OPS);
  return ctx.broker.authorizer === undefined || (ops & (1 << AclOperation.DESCRIBE)) !== 0 ? ops : 0;
}

export function topicAuthorizedOperations(ctx: RequestContext<'authorizer'>, topic: string): number {
  return authorizedOperations(ctx, ResourceType.TOPIC, topic, TOPIC_OPS);
}

export function groupAuthorizedOperations(ctx: RequestContext<'authorizer'>, groupId: string): number {
  return authorizedOperations(ctx, ResourceType.GROUP, groupId, GROUP_OPS);
}
