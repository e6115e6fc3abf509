// One request's questions to the authorizer: who asks (the connection's principal and address), and
// "may they do operation X on resource Y", answered once per distinct resource and remembered for the rest of
// the request (Kafka's filterByAuthorized asks once per topic name, however many partitions name it).
import { AclOperation, CLUSTER_RESOURCE_NAME, ResourceType, type AuthzAction } from '../../security/acl.js';
import type { Authorizer, AuthzSubject } from '../../security/authorizer.js';
import type { ConnectionInfo } from '../../network/types.js';

export { AclOperation, ResourceType };

/** The subject of a connection, kept while its principal stays the same (re-authentication may change it). */
const subjects = new WeakMap<ConnectionInfo, AuthzSubject>();

export function subjectOf(conn: ConnectionInfo): AuthzSubject {
  const principal = conn.security.principal;
  let s = subjects.get(conn);
  if (s === undefined || s.principal !== principal) {
    s = { principal, host: conn.remoteAddress };
    subjects.set(conn, s);
  }
  return s;
}

/** One action, reused for every single question (the authorizer answers synchronously and keeps nothing). */
const scratch: { operation: AclOperation; resourceType: ResourceType; resourceName: string } = { operation: AclOperation.READ, resourceType: ResourceType.TOPIC, resourceName: '' };
const scratchActions: readonly AuthzAction[] = [scratch];

export class RequestAuthz {
  readonly subject: AuthzSubject;
  // The first answer is kept in fields (a Produce or Fetch for one topic asks one question and allocates
  // nothing for it); later ones in a map keyed "operation/resourceType/name".
  private firstOp = -1;
  private firstType = -1;
  private firstName = '';
  private firstOk = false;
  private cache: Map<string, boolean> | undefined;

  constructor(
    readonly authorizer: Authorizer,
    conn: ConnectionInfo,
  ) {
    this.subject = subjectOf(conn);
  }

  /** May the subject do `operation` on this resource? */
  allowed(operation: AclOperation, resourceType: ResourceType, resourceName: string): boolean {
    if (this.firstOp === operation && this.firstType === resourceType && this.firstName === resourceName) return this.firstOk;
    if (this.firstOp !== -1) {
      const known = this.cache?.get(`${operation}/${resourceType}/${resourceName}`);
      if (known !== undefined) return known;
    }
    scratch.operation = operation;
    scratch.resourceType = resourceType;
    scratch.resourceName = resourceName;
    const ok = this.authorizer.authorize(this.subject, scratchActions)[0] === true;
    this.remember(operation, resourceType, resourceName, ok);
    return ok;
  }

  private remember(operation: AclOperation, resourceType: ResourceType, resourceName: string, ok: boolean): void {
    if (this.firstOp === -1) {
      this.firstOp = operation;
      this.firstType = resourceType;
      this.firstName = resourceName;
      this.firstOk = ok;
    } else (this.cache ??= new Map()).set(`${operation}/${resourceType}/${resourceName}`, ok);
  }

  /** An operation on the cluster resource. */
  cluster(operation: AclOperation): boolean {
    return this.allowed(operation, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME);
  }

  /**
   * The names (of `items`, by `nameOf`) the subject may not do `operation` on, asked in one authorizer call
   * (each name once). Null when every one is allowed — the common case, which then allocates nothing more
   * for a request naming one resource.
   */
  denied<T>(operation: AclOperation, resourceType: ResourceType, items: readonly T[], nameOf: (item: T) => string): Set<string> | null {
    if (items.length === 0) return null;
    if (items.length === 1) {
      const name = nameOf(items[0]!);
      return this.allowed(operation, resourceType, name) ? null : new Set([name]);
    }
    const distinct = [...new Set(items.map(nameOf))];
    if (distinct.length === 1) return this.allowed(operation, resourceType, distinct[0]!) ? null : new Set(distinct);
    const actions: AuthzAction[] = distinct.map((resourceName) => ({ operation, resourceType, resourceName }));
    const answers = this.authorizer.authorize(this.subject, actions);
    let denied: Set<string> | null = null;
    for (let i = 0; i < distinct.length; i++) {
      const ok = answers[i] === true;
      this.remember(operation, resourceType, distinct[i]!, ok);
      if (!ok) (denied ??= new Set()).add(distinct[i]!);
    }
    return denied;
  }

  /** Kafka's authorizeByResourceType: `operation` on at least one resource of the type. */
  any(operation: AclOperation, resourceType: ResourceType): boolean {
    return this.authorizer.authorizeAny(this.subject, operation, resourceType);
  }
}
