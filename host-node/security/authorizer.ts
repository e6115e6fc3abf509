// What the broker asks before serving a request, and what the ACL admin APIs change. One implementation is
// built in (authorizer.class.name names it, or Kafka's StandardAuthorizer / AclAuthorizer, which mean it);
// ACLs are kept in the broker's SecurityStore.
import type { AclBinding, AclBindingFilter, AuthzAction } from './acl.js';
import type { KafkaPrincipal } from './principal.js';

/** Who asks: the connection's principal and the client's address (ACL hosts are matched against it). */
export interface AuthzSubject {
  readonly principal: KafkaPrincipal;
  readonly host: string;
}

/** A Kafka error for one ACL creation or deletion filter (0 = none). */
export interface AclApiError {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export interface AclDeletionResult extends AclApiError {
  /** The ACLs the filter matched and removed. */
  readonly deleted: readonly AclBinding[];
}

export interface Authorizer {
  /** One answer per action, in order: true = allowed. Synchronous: ACLs are held in memory. */
  authorize(subject: AuthzSubject, actions: readonly AuthzAction[]): boolean[];
  /**
   * Whether `subject` may do `operation` on at least one resource of `resourceType` (Kafka's
   * authorizeByResourceType: e.g. WRITE on any topic lets a producer get a producer id).
   */
  authorizeAny(subject: AuthzSubject, operation: AuthzAction['operation'], resourceType: AuthzAction['resourceType']): boolean;
  /** The ACLs matching `filter`. */
  describeAcls(filter: AclBindingFilter): AclBinding[];
  /** Adds ACLs (already present ones are kept once); one result per binding, in order. */
  createAcls(bindings: readonly AclBinding[]): Promise<AclApiError[]>;
  /** Removes the ACLs each filter matches; one result per filter, in order. */
  deleteAcls(filters: readonly AclBindingFilter[]): Promise<AclDeletionResult[]>;
}
