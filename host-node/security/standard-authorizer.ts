// The built-in ACL authorizer, with the semantics of Kafka's StandardAuthorizer (and AclAuthorizer before
// it): a DENY that matches wins over any ALLOW; an ACL matches when its principal is the request's or
// User:*, its host is the client's address or *, its pattern is the resource's name (LITERAL), "*" (the
// wildcard LITERAL) or a prefix of it (PREFIXED), and its operation is the action's, ALL, or (ALLOW only)
// one that implies it. super.users are always allowed; a resource that no ACL names at all is allowed
// only with allow.everyone.if.no.acl.found. The ACLs come from the SecurityStore and are re-indexed on
// each change, so a check is a few map lookups.
import { ErrorCode } from '../../protocol/errors.js';
import {
  AclOperation,
  AclPermissionType,
  PatternType,
  WILDCARD_HOST,
  WILDCARD_PRINCIPAL,
  WILDCARD_RESOURCE,
  type AclBinding,
  type AclBindingFilter,
  type AuthzAction,
} from './acl.js';
import { aclMatchesFilter, invalidAclReason } from './acl-match.js';
import type { AclApiError, AclDeletionResult, Authorizer, AuthzSubject } from './authorizer.js';
import { principalToString } from './principal.js';
import type { SecurityImage, SecurityStore } from './security-store.js';

export interface StandardAuthorizerOptions {
  /** Principals ("User:admin") allowed everything: super.users, split on ';'. */
  readonly superUsers?: readonly string[];
  /** allow.everyone.if.no.acl.found: a resource no ACL names is allowed (true) or denied (false). */
  readonly allowEveryoneIfNoAclFound?: boolean;
}

/** Parses super.users: semicolon-separated principals, blanks ignored. */
export function parseSuperUsers(value: string | null | undefined): string[] {
  return (value ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** ALLOW ACLs of these operations also allow DESCRIBE (Kafka: DESCRIBE is implied by READ, WRITE, DELETE, ALTER). */
const IMPLIES_DESCRIBE: ReadonlySet<number> = new Set([AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER]);
/** ALLOW ACLs of these operations also allow DESCRIBE_CONFIGS. */
const IMPLIES_DESCRIBE_CONFIGS: ReadonlySet<number> = new Set([AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS]);

/** The ACLs of one resource type, by how they match a name. */
interface TypeIndex {
  /** LITERAL ACLs by name ("*" holds the wildcard ones). */
  readonly literal: Map<string, AclBinding[]>;
  /** PREFIXED ACLs by prefix. */
  readonly prefixed: Map<string, AclBinding[]>;
  /** The distinct lengths of the prefixes, ascending: a name is looked up once per length. */
  prefixLengths: number[];
}

function buildIndex(acls: readonly AclBinding[]): Map<number, TypeIndex> {
  const index = new Map<number, TypeIndex>();
  for (const acl of acls) {
    let t = index.get(acl.pattern.resourceType);
    if (t === undefined) index.set(acl.pattern.resourceType, (t = { literal: new Map(), prefixed: new Map(), prefixLengths: [] }));
    const byName = acl.pattern.patternType === PatternType.PREFIXED ? t.prefixed : acl.pattern.patternType === PatternType.LITERAL ? t.literal : undefined;
    if (byName === undefined) continue;
    const list = byName.get(acl.pattern.name);
    if (list === undefined) byName.set(acl.pattern.name, [acl]);
    else list.push(acl);
  }
  for (const t of index.values()) t.prefixLengths = [...new Set([...t.prefixed.keys()].map((k) => k.length))].sort((a, b) => a - b);
  return index;
}

/** Node reports IPv4 clients of a dual-stack socket as ::ffff:a.b.c.d; Kafka matches ACL hosts against a.b.c.d. */
export function normalizeHost(host: string): string {
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host;
}

/** What one ACL says about an action whose resource it matches: ALLOW, DENY, or undefined (does not apply). */
function aclResult(acl: AclBinding, principal: string, host: string, operation: number): number | undefined {
  const e = acl.entry;
  if (e.principal !== principal && e.principal !== WILDCARD_PRINCIPAL) return undefined;
  if (e.host !== WILDCARD_HOST && e.host !== host) return undefined;
  if (e.operation !== AclOperation.ALL) {
    if (e.permissionType === AclPermissionType.ALLOW) {
      if (operation === AclOperation.DESCRIBE) {
        if (!IMPLIES_DESCRIBE.has(e.operation)) return undefined;
      } else if (operation === AclOperation.DESCRIBE_CONFIGS) {
        if (!IMPLIES_DESCRIBE_CONFIGS.has(e.operation)) return undefined;
      } else if (operation !== e.operation) return undefined;
    } else if (operation !== e.operation) return undefined;
  }
  return e.permissionType;
}

export class StandardAuthorizer implements Authorizer {
  private index: Map<number, TypeIndex>;
  private readonly superUsers: ReadonlySet<string>;
  private readonly allowEveryoneIfNoAclFound: boolean;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: SecurityStore,
    options: StandardAuthorizerOptions = {},
  ) {
    this.superUsers = new Set(options.superUsers ?? []);
    this.allowEveryoneIfNoAclFound = options.allowEveryoneIfNoAclFound ?? false;
    this.index = buildIndex(store.current().acls);
    this.unsubscribe = store.onChange((image: SecurityImage) => {
      this.index = buildIndex(image.acls);
    });
  }

  /** Stops following the store's changes. */
  close(): void {
    this.unsubscribe();
  }

  authorize(subject: AuthzSubject, actions: readonly AuthzAction[]): boolean[] {
    const principal = principalToString(subject.principal);
    if (this.superUsers.has(principal)) return actions.map(() => true);
    const host = normalizeHost(subject.host);
    return actions.map((a) => this.decide(principal, host, a));
  }

  private decide(principal: string, host: string, action: AuthzAction): boolean {
    const t = this.index.get(action.resourceType);
    if (t === undefined) return this.allowEveryoneIfNoAclFound;
    const name = action.resourceName;
    let hasResourceAcls = false;
    let allowed = false;
    // false as soon as a DENY applies; otherwise notes whether some ACL names the resource and whether one allows.
    const check = (acls: readonly AclBinding[] | undefined): boolean => {
      if (acls === undefined) return true;
      for (const acl of acls) {
        hasResourceAcls = true;
        const r = aclResult(acl, principal, host, action.operation);
        if (r === AclPermissionType.DENY) return false;
        if (r === AclPermissionType.ALLOW) allowed = true;
      }
      return true;
    };
    if (!check(t.literal.get(name))) return false;
    if (name !== WILDCARD_RESOURCE && !check(t.literal.get(WILDCARD_RESOURCE))) return false;
    for (const len of t.prefixLengths) {
      if (len > name.length) break;
      if (!check(t.prefixed.get(len === name.length ? name : name.slice(0, len)))) return false;
    }
    if (allowed) return true;
    return hasResourceAcls ? false : this.allowEveryoneIfNoAclFound;
  }

  /**
   * Kafka's authorizeByResourceType: allowed when an action on a resource of the type no ACL names would be
   * (a super user, or allow.everyone.if.no.acl.found), or when an ALLOW ACL of the operation (or ALL) for
   * the principal and host exists on some resource that no DENY for them covers (a LITERAL DENY of the same
   * name, a PREFIXED DENY of a prefix of it, or a DENY on "*").
   */
  authorizeAny(subject: AuthzSubject, operation: AuthzAction['operation'], resourceType: AuthzAction['resourceType']): boolean {
    // Kafka checks a made-up resource name first, so super users (and allow-everyone) get through regardless of DENY ACLs.
    if (this.authorize(subject, [{ operation, resourceType, resourceName: 'hardcode' }])[0]) return true;
    const t = this.index.get(resourceType);
    if (t === undefined) return false;
    const principal = principalToString(subject.principal);
    const host = normalizeHost(subject.host);
    const applies = (acl: AclBinding): boolean =>
      (acl.entry.host === host || acl.entry.host === WILDCARD_HOST) &&
      (acl.entry.principal === principal || acl.entry.principal === WILDCARD_PRINCIPAL) &&
      (acl.entry.operation === operation || acl.entry.operation === AclOperation.ALL);
    const denyLiteral = new Set<string>();
    const denyPrefixed = new Set<string>();
    const allowLiteral = new Set<string>();
    const allowPrefixed = new Set<string>();
    let wildcardAllow = false;
    for (const [byName, literal] of [
      [t.literal, true],
      [t.prefixed, false],
    ] as const) {
      for (const [name, acls] of byName) {
        for (const acl of acls) {
          if (!applies(acl)) continue;
          if (acl.entry.permissionType === AclPermissionType.DENY) {
            if (literal && name === WILDCARD_RESOURCE) return false;
            (literal ? denyLiteral : denyPrefixed).add(name);
          } else if (acl.entry.permissionType === AclPermissionType.ALLOW) {
            if (literal && name === WILDCARD_RESOURCE) wildcardAllow = true;
            else (literal ? allowLiteral : allowPrefixed).add(name);
          }
        }
      }
    }
    if (wildcardAllow) return true;
    const dominatedByPrefixDeny = (name: string): boolean => {
      for (let i = 1; i <= name.length; i++) if (denyPrefixed.has(name.slice(0, i))) return true;
      return false;
    };
    for (const name of allowLiteral) if (!denyLiteral.has(name) && !dominatedByPrefixDeny(name)) return true;
    for (const name of allowPrefixed) if (!dominatedByPrefixDeny(name)) return true;
    return false;
  }

  describeAcls(filter: AclBindingFilter): AclBinding[] {
    return this.store.current().acls.filter((a) => aclMatchesFilter(a, filter));
  }

  async createAcls(bindings: readonly AclBinding[]): Promise<AclApiError[]> {
    const results: AclApiError[] = bindings.map((b) => {
      const reason = invalidAclReason(b);
      return reason === null ? { errorCode: 0, errorMessage: null } : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: reason };
    });
    const valid = bindings.filter((_, i) => results[i]!.errorCode === 0);
    if (valid.length === 0) return results;
    try {
      await this.store.updateAcls(valid, []);
    } catch (e) {
      const failed = { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: e instanceof Error ? e.message : String(e) };
      return results.map((r) => (r.errorCode === 0 ? failed : r));
    }
    return results;
  }

  async deleteAcls(filters: readonly AclBindingFilter[]): Promise<AclDeletionResult[]> {
    const acls = this.store.current().acls;
    const matched = filters.map((f) => acls.filter((a) => aclMatchesFilter(a, f)));
    // The same stored ACL may match several filters: removed once.
    const remove = [...new Set(matched.flat())];
    if (remove.length > 0) {
      try {
        await this.store.updateAcls([], remove);
      } catch (e) {
        const errorMessage = e instanceof Error ? e.message : String(e);
        return filters.map(() => ({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage, deleted: [] }));
      }
    }
    return matched.map((deleted) => ({ errorCode: 0, errorMessage: null, deleted }));
  }
}
