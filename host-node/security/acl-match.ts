// How ACL filters match ACLs, and which new ACLs are valid: Kafka's AclBindingFilter.matches and the checks
// its controller and KafkaApis make before storing an ACL. Shared by the authorizer and the ACL admin APIs.
import {
  AclOperation,
  AclPermissionType,
  CLUSTER_RESOURCE_NAME,
  PatternType,
  ResourceType,
  WILDCARD_RESOURCE,
  type AclBinding,
  type AclBindingFilter,
  type ResourcePattern,
} from './acl.js';

/** Kafka's ResourcePatternFilter.matches: ANY matches every pattern type (exact name); MATCH the patterns that apply to the name. */
export function patternMatchesFilter(p: ResourcePattern, f: AclBindingFilter): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== p.resourceType) return false;
  if (f.patternType !== PatternType.ANY && f.patternType !== PatternType.MATCH && f.patternType !== p.patternType) return false;
  if (f.name === null) return true;
  if (f.patternType !== PatternType.MATCH) return f.name === p.name;
  if (p.patternType === PatternType.LITERAL) return f.name === p.name || p.name === WILDCARD_RESOURCE;
  if (p.patternType === PatternType.PREFIXED) return f.name.startsWith(p.name);
  return false;
}

/** Kafka's AclBindingFilter.matches: the pattern filter and the entry filter (null / ANY match everything). */
export function aclMatchesFilter(b: AclBinding, f: AclBindingFilter): boolean {
  if (!patternMatchesFilter(b.pattern, f)) return false;
  const e = b.entry;
  if (f.principal !== null && f.principal !== e.principal) return false;
  if (f.host !== null && f.host !== e.host) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== e.operation) return false;
  if (f.permissionType !== AclPermissionType.ANY && f.permissionType !== e.permissionType) return false;
  return true;
}

/** A filter that matches every ACL (AclBindingFilter.ANY). */
export const ANY_ACL_FILTER: AclBindingFilter = Object.freeze({
  resourceType: ResourceType.ANY,
  name: null,
  patternType: PatternType.ANY,
  principal: null,
  host: null,
  operation: AclOperation.ANY,
  permissionType: AclPermissionType.ANY,
});

const KNOWN = <T extends Record<string, number>>(o: T, v: number): boolean => Object.values(o).includes(v);

/**
 * Why an ACL cannot be stored (Kafka answers INVALID_REQUEST with this message), or null when it can: a
 * concrete resource type and a LITERAL or PREFIXED pattern, a non-empty name ("kafka-cluster" for the
 * cluster), a concrete operation and permission, and a principal with a type.
 */
export function invalidAclReason(b: AclBinding): string | null {
  const { pattern: p, entry: e } = b;
  if (!KNOWN(ResourceType, p.resourceType) || p.resourceType === ResourceType.UNKNOWN || p.resourceType === ResourceType.ANY)
    return `Invalid resourceType ${p.resourceType}`;
  if (p.patternType !== PatternType.LITERAL && p.patternType !== PatternType.PREFIXED) return `Invalid patternType ${p.patternType}`;
  if (!KNOWN(AclOperation, e.operation) || e.operation === AclOperation.UNKNOWN || e.operation === AclOperation.ANY) return `Invalid operation ${e.operation}`;
  if (e.permissionType !== AclPermissionType.ALLOW && e.permissionType !== AclPermissionType.DENY) return `Invalid permissionType ${e.permissionType}`;
  if (p.name.length === 0) return 'Invalid empty resource name';
  if (p.resourceType === ResourceType.CLUSTER && p.name !== CLUSTER_RESOURCE_NAME) return `The only valid name for the CLUSTER resource is ${CLUSTER_RESOURCE_NAME}`;
  if (e.principal.indexOf(':') <= 0)
    return `Could not parse principal from \`${e.principal}\` (no colon is present separating the principal type from the principal name)`;
  if (e.host.length === 0) return 'Invalid empty host';
  return null;
}

/** Why a DescribeAcls / DeleteAcls filter is refused (INVALID_REQUEST), or null: no field may be UNKNOWN. */
export function invalidFilterReason(f: AclBindingFilter): string | null {
  if (!KNOWN(ResourceType, f.resourceType) || f.resourceType === ResourceType.UNKNOWN) return `Invalid resourceType ${f.resourceType}`;
  if (!KNOWN(PatternType, f.patternType) || f.patternType === PatternType.UNKNOWN) return `Invalid patternType ${f.patternType}`;
  if (!KNOWN(AclOperation, f.operation) || f.operation === AclOperation.UNKNOWN) return `Invalid operation ${f.operation}`;
  if (!KNOWN(AclPermissionType, f.permissionType) || f.permissionType === AclPermissionType.UNKNOWN) return `Invalid permissionType ${f.permissionType}`;
  return null;
}
