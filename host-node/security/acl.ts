// Kafka's ACL model: resource patterns, operations and permissions, with the wire codes of Kafka's
// ResourceType, PatternType, AclOperation and AclPermissionType enums (CreateAcls, DescribeAcls and
// DeleteAcls carry them as int8).

export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;
export type ResourceType = (typeof ResourceType)[keyof typeof ResourceType];

export const PatternType = {
  UNKNOWN: 0,
  /** Filters only: any pattern type. */
  ANY: 1,
  /** Filters only: the patterns that would match a given resource name (literal, wildcard, prefixed). */
  MATCH: 2,
  LITERAL: 3,
  PREFIXED: 4,
} as const;
export type PatternType = (typeof PatternType)[keyof typeof PatternType];

export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export type AclOperation = (typeof AclOperation)[keyof typeof AclOperation];

export const AclPermissionType = {
  UNKNOWN: 0,
  ANY: 1,
  DENY: 2,
  ALLOW: 3,
} as const;
export type AclPermissionType = (typeof AclPermissionType)[keyof typeof AclPermissionType];

/** The resource name of the cluster resource, and the wildcard resource name ("*" matches every name). */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';
export const WILDCARD_RESOURCE = '*';
/** The wildcard principal ("User:*") and host ("*"). */
export const WILDCARD_PRINCIPAL = 'User:*';
export const WILDCARD_HOST = '*';

export interface ResourcePattern {
  readonly resourceType: ResourceType;
  readonly name: string;
  /** LITERAL or PREFIXED in a stored ACL. */
  readonly patternType: PatternType;
}

export interface AccessControlEntry {
  /** "User:alice" or "User:*". */
  readonly principal: string;
  /** An IP address or "*". */
  readonly host: string;
  readonly operation: AclOperation;
  /** ALLOW or DENY in a stored ACL. */
  readonly permissionType: AclPermissionType;
}

/** One ACL: a pattern and an entry. */
export interface AclBinding {
  readonly pattern: ResourcePattern;
  readonly entry: AccessControlEntry;
}

/** DescribeAcls / DeleteAcls filters: null matches anything, ANY / MATCH as Kafka defines them. */
export interface AclBindingFilter {
  readonly resourceType: ResourceType;
  readonly name: string | null;
  readonly patternType: PatternType;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: AclOperation;
  readonly permissionType: AclPermissionType;
}

/** One check: may the request's principal do `operation` on this resource? */
export interface AuthzAction {
  readonly operation: AclOperation;
  readonly resourceType: ResourceType;
  readonly resourceName: string;
}
