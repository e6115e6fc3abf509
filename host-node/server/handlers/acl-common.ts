// What the ACL admin APIs (CreateAcls, DescribeAcls, DeleteAcls) share: the wire fields as ACLs and filters,
// and Kafka's answer when the broker has no authorizer.
import type { AclBinding, AclBindingFilter } from '../../security/acl.js';

/** Kafka's message with SECURITY_DISABLED when authorizer.class.name is not set. */
export const NO_AUTHORIZER_MESSAGE = 'No Authorizer is configured.';

/** The filter fields DescribeAcls and DeleteAcls carry (same names in both). */
export interface WireAclFilter {
  readonly resourceTypeFilter: number;
  readonly resourceNameFilter: string | null;
  readonly patternTypeFilter: number;
  readonly principalFilter: string | null;
  readonly hostFilter: string | null;
  readonly operation: number;
  readonly permissionType: number;
}

export function filterFromWire(f: WireAclFilter): AclBindingFilter {
  return {
    resourceType: f.resourceTypeFilter as AclBindingFilter['resourceType'],
    name: f.resourceNameFilter,
    patternType: f.patternTypeFilter as AclBindingFilter['patternType'],
    principal: f.principalFilter,
    host: f.hostFilter,
    operation: f.operation as AclBindingFilter['operation'],
    permissionType: f.permissionType as AclBindingFilter['permissionType'],
  };
}

/** The ACL fields a DeleteAcls matching ACL carries. */
export function aclToWire(b: AclBinding) {
  return {
    resourceType: b.pattern.resourceType,
    resourceName: b.pattern.name,
    patternType: b.pattern.patternType,
    principal: b.entry.principal,
    host: b.entry.host,
    operation: b.entry.operation,
    permissionType: b.entry.permissionType,
  };
}
