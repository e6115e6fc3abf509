// The security metadata as Kafka's ZooKeeper-era brokers kept it: one entry per path, with Kafka's JSON.
//   /kafka-acl/<ResourceType>/<name>                    literal ACLs of a resource
//   /kafka-acl-extended/prefixed/<ResourceType>/<name>  prefixed ACLs
//     {"version":1,"acls":[{"principal":"User:alice","permissionType":"Allow","operation":"Read","host":"*"}]}
//   /config/users/<user>, /config/clients/<id>, /config/users/<user>/clients/<id>, /config/ips/<ip>
//     {"version":1,"config":{"SCRAM-SHA-256":"salt=…,stored_key=…,server_key=…,iterations=4096","producer_byte_rate":"1024"}}
// Entity names are URL-encoded as Kafka's Sanitizer does, and `<default>` names the default entity. The
// etcd store keeps these entries as keys; the file store keeps them all in one JSON file.
import { AclOperation, AclPermissionType, PatternType, ResourceType, type AclBinding } from './acl.js';
import {
  EMPTY_SECURITY_IMAGE,
  QUOTA_KEYS,
  SCRAM_MECHANISMS,
  type QuotaEntity,
  type QuotaEntry,
  type QuotaKey,
  type ScramCredential,
  type ScramMechanism,
  type SecurityImage,
} from './security-store.js';

export const LITERAL_ACL_PREFIX = '/kafka-acl/';
export const PREFIXED_ACL_PREFIX = '/kafka-acl-extended/prefixed/';
export const USERS_PREFIX = '/config/users/';
export const CLIENTS_PREFIX = '/config/clients/';
export const IPS_PREFIX = '/config/ips/';
export const ACL_PREFIXES = [LITERAL_ACL_PREFIX, PREFIXED_ACL_PREFIX] as const;
/** Every prefix a security entry starts with. */
export const SECURITY_PREFIXES = [LITERAL_ACL_PREFIX, PREFIXED_ACL_PREFIX, USERS_PREFIX, CLIENTS_PREFIX, IPS_PREFIX] as const;
/** Kafka's name of the default entity in a path (ZooKeeper's ConfigEntityName.Default). */
export const DEFAULT_ENTITY = '<default>';

/** A path and its JSON value. */
export type SecurityEntries = Map<string, string>;

export function isSecurityKey(key: string): boolean {
  return SECURITY_PREFIXES.some((p) => key.startsWith(p));
}

// Kafka's names (the ZooKeeper paths and JSON use them, e.g. ResourceType "TransactionalId", operation "IdempotentWrite").
const RESOURCE_NAMES: Partial<Record<ResourceType, string>> = {
  [ResourceType.TOPIC]: 'Topic',
  [ResourceType.GROUP]: 'Group',
  [ResourceType.CLUSTER]: 'Cluster',
  [ResourceType.TRANSACTIONAL_ID]: 'TransactionalId',
  [ResourceType.DELEGATION_TOKEN]: 'DelegationToken',
  [ResourceType.USER]: 'User',
};
const OPERATION_NAMES: Partial<Record<AclOperation, string>> = {
  [AclOperation.ALL]: 'All',
  [AclOperation.READ]: 'Read',
  [AclOperation.WRITE]: 'Write',
  [AclOperation.CREATE]: 'Create',
  [AclOperation.DELETE]: 'Delete',
  [AclOperation.ALTER]: 'Alter',
  [AclOperation.DESCRIBE]: 'Describe',
  [AclOperation.CLUSTER_ACTION]: 'ClusterAction',
  [AclOperation.DESCRIBE_CONFIGS]: 'DescribeConfigs',
  [AclOperation.ALTER_CONFIGS]: 'AlterConfigs',
  [AclOperation.IDEMPOTENT_WRITE]: 'IdempotentWrite',
  [AclOperation.CREATE_TOKENS]: 'CreateTokens',
  [AclOperation.DESCRIBE_TOKENS]: 'DescribeTokens',
};
const PERMISSION_NAMES: Partial<Record<AclPermissionType, string>> = { [AclPermissionType.ALLOW]: 'Allow', [AclPermissionType.DENY]: 'Deny' };

function reverse<K extends number>(m: Partial<Record<K, string>>): Map<string, K> {
  return new Map(Object.entries(m).map(([k, v]) => [v as string, Number(k) as K]));
}
const RESOURCE_BY_NAME = reverse(RESOURCE_NAMES);
const OPERATION_BY_NAME = reverse(OPERATION_NAMES);
const PERMISSION_BY_NAME = reverse(PERMISSION_NAMES);

/** A stored value that does not parse (the path names it). */
export class SecurityRecordError extends Error {}

// ---- paths ----

/** Kafka's Sanitizer (Java's URLEncoder, space as %20, '*' as %2A): any name fits one path segment. */
export function sanitizeEntityName(name: string): string {
  return encodeURIComponent(name).replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/\*/g, '%2A');
}

function entitySegment(name: string | null): string {
  return name === null ? DEFAULT_ENTITY : sanitizeEntityName(name);
}

function entityName(segment: string, path: string): string | null {
  if (segment === DEFAULT_ENTITY) return null;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new SecurityRecordError(`${path}: entity name ${segment} is not URL-encoded`);
  }
}

export function aclPath(binding: AclBinding): string {
  const type = RESOURCE_NAMES[binding.pattern.resourceType];
  if (type === undefined) throw new SecurityRecordError(`ACLs cannot be stored for resource type ${binding.pattern.resourceType}`);
  if (binding.pattern.patternType === PatternType.LITERAL) return `${LITERAL_ACL_PREFIX}${type}/${binding.pattern.name}`;
  if (binding.pattern.patternType === PatternType.PREFIXED) return `${PREFIXED_ACL_PREFIX}${type}/${binding.pattern.name}`;
  throw new SecurityRecordError(`ACLs are stored with a LITERAL or PREFIXED pattern, not ${binding.pattern.patternType}`);
}

/** The path of a user's entity config (SCRAM credentials and the user's quotas). */
export function userPath(user: string | null): string {
  return `${USERS_PREFIX}${entitySegment(user)}`;
}

/** The path of a quota entity: users, clients, users/<u>/clients/<c> or ips. */
export function quotaEntityPath(entity: QuotaEntity): string {
  const hasUser = 'user' in entity && entity.user !== undefined;
  const hasClient = 'clientId' in entity && entity.clientId !== undefined;
  const hasIp = 'ip' in entity && entity.ip !== undefined;
  if (hasIp && !hasUser && !hasClient) return `${IPS_PREFIX}${entitySegment(entity.ip!)}`;
  if (hasUser && hasClient && !hasIp) return `${userPath(entity.user!)}/clients/${entitySegment(entity.clientId!)}`;
  if (hasUser && !hasIp) return userPath(entity.user!);
  if (hasClient && !hasIp) return `${CLIENTS_PREFIX}${entitySegment(entity.clientId!)}`;
  throw new SecurityRecordError(`no quota entity path for ${JSON.stringify(entity)}`);
}

type ParsedPath =
  | { readonly kind: 'acl'; readonly resourceType: ResourceType; readonly name: string; readonly patternType: PatternType }
  | { readonly kind: 'entity'; readonly entity: QuotaEntity };

function parsePath(path: string): ParsedPath | null {
  for (const [prefix, patternType] of [
    [LITERAL_ACL_PREFIX, PatternType.LITERAL],
    [PREFIXED_ACL_PREFIX, PatternType.PREFIXED],
  ] as const) {
    if (!path.startsWith(prefix)) continue;
    const rest = path.slice(prefix.length);
    const slash = rest.indexOf('/');
    const resourceType = slash > 0 ? RESOURCE_BY_NAME.get(rest.slice(0, slash)) : undefined;
    if (resourceType === undefined || slash === rest.length - 1) return null;
    return { kind: 'acl', resourceType, name: rest.slice(slash + 1), patternType };
  }
  const m = /^\/config\/(users|clients|ips)\/([^/]+)(?:\/clients\/([^/]+))?$/.exec(path);
  if (m === null) return null;
  const [, type, first, client] = m;
  if (type === 'users') {
    const user = entityName(first!, path);
    return { kind: 'entity', entity: client === undefined ? { user } : { user, clientId: entityName(client, path) } };
  }
  if (client !== undefined) return null;
  return { kind: 'entity', entity: type === 'clients' ? { clientId: entityName(first!, path) } : { ip: entityName(first!, path) } };
}

// ---- values ----

interface AclJson {
  principal: string;
  permissionType: string;
  operation: string;
  host: string;
}

function encodeAcls(bindings: readonly AclBinding[]): string {
  const acls: AclJson[] = bindings.map((b) => ({
    principal: b.entry.principal,
    permissionType: PERMISSION_NAMES[b.entry.permissionType]!,
    operation: OPERATION_NAMES[b.entry.operation]!,
    host: b.entry.host,
  }));
  return JSON.stringify({ version: 1, acls });
}

function decodeAcls(path: string, p: Extract<ParsedPath, { kind: 'acl' }>, value: string): AclBinding[] {
  const json = parseJson(path, value) as { version?: unknown; acls?: unknown };
  if (!Array.isArray(json.acls)) throw new SecurityRecordError(`${path}: no "acls" array`);
  return json.acls.map((a: Partial<AclJson>) => {
    const operation = OPERATION_BY_NAME.get(String(a.operation));
    const permissionType = PERMISSION_BY_NAME.get(String(a.permissionType));
    if (typeof a.principal !== 'string' || typeof a.host !== 'string' || operation === undefined || permissionType === undefined)
      throw new SecurityRecordError(`${path}: invalid ACL ${JSON.stringify(a)}`);
    return { pattern: { resourceType: p.resourceType, name: p.name, patternType: p.patternType }, entry: { principal: a.principal, host: a.host, operation, permissionType } };
  });
}

/** Kafka's ScramCredentialUtils.credentialToString. */
export function encodeScramCredential(c: ScramCredential): string {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
  return `salt=${b64(c.salt)},stored_key=${b64(c.storedKey)},server_key=${b64(c.serverKey)},iterations=${c.iterations}`;
}

export function decodeScramCredential(path: string, text: string): ScramCredential {
  const fields = new Map(text.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const));
  const salt = fields.get('salt');
  const storedKey = fields.get('stored_key');
  const serverKey = fields.get('server_key');
  const iterations = Number(fields.get('iterations'));
  if (salt === undefined || storedKey === undefined || serverKey === undefined || !Number.isInteger(iterations) || iterations <= 0)
    throw new SecurityRecordError(`${path}: invalid SCRAM credential`);
  return { salt: Buffer.from(salt, 'base64'), storedKey: Buffer.from(storedKey, 'base64'), serverKey: Buffer.from(serverKey, 'base64'), iterations };
}

function parseJson(path: string, value: string): unknown {
  try {
    const v: unknown = JSON.parse(value);
    if (typeof v !== 'object' || v === null) throw new Error('not an object');
    return v;
  } catch (e) {
    throw new SecurityRecordError(`${path}: invalid JSON (${(e as Error).message})`);
  }
}

/** A quota value as Kafka's tools write it ("1024", "12.5"). */
function formatQuota(v: number): string {
  return String(v);
}

/**
 * `after` (the entry's new value, null = none) with the config keys of `before` this broker does not model
 * kept (configs other tools wrote beside credentials and quotas): a rewrite never drops them.
 */
export function keepUnmodelledConfigs(before: string | undefined, after: string | null): string | null {
  if (before === undefined) return after;
  let kept: Record<string, unknown>;
  try {
    const config = (JSON.parse(before) as { config?: unknown }).config;
    if (typeof config !== 'object' || config === null) return after;
    kept = Object.fromEntries(Object.entries(config).filter(([k]) => !(QUOTA_KEYS as readonly string[]).includes(k) && !(SCRAM_MECHANISMS as readonly string[]).includes(k)));
  } catch {
    return after;
  }
  if (Object.keys(kept).length === 0) return after;
  const config = after === null ? {} : (JSON.parse(after) as { config: Record<string, string> }).config;
  return JSON.stringify({ version: 1, config: { ...kept, ...config } });
}

// ---- whole images ----

/** Every entry of an image, keyed by path (ACL paths, then entity configs). */
export function securityEntries(image: SecurityImage): SecurityEntries {
  const out: SecurityEntries = new Map();
  const aclsByPath = new Map<string, AclBinding[]>();
  for (const a of image.acls) {
    const path = aclPath(a);
    aclsByPath.set(path, [...(aclsByPath.get(path) ?? []), a]);
  }
  for (const [path, bindings] of aclsByPath) out.set(path, encodeAcls(bindings));
  const configs = new Map<string, Record<string, string>>();
  const config = (path: string) => configs.get(path) ?? configs.set(path, {}).get(path)!;
  for (const [user, byMech] of image.scram) for (const [m, c] of byMech) config(userPath(user))[m] = encodeScramCredential(c);
  for (const q of image.quotas) {
    const c = config(quotaEntityPath(q.entity));
    for (const k of QUOTA_KEYS) if (q.values[k] !== undefined) c[k] = formatQuota(q.values[k]!);
  }
  for (const [path, c] of configs) out.set(path, JSON.stringify({ version: 1, config: c }));
  return out;
}

/**
 * The image of a set of entries. An entry that does not parse is reported to `onError` and left out (a
 * caller that must refuse it throws from onError); keys outside the layout are ignored.
 */
export function imageFromEntries(entries: Iterable<readonly [string, string]>, onError: (e: SecurityRecordError) => void): SecurityImage {
  const acls: AclBinding[] = [];
  const scram = new Map<string, Map<ScramMechanism, ScramCredential>>();
  const quotas: QuotaEntry[] = [];
  for (const [path, value] of entries) {
    try {
      const p = parsePath(path);
      if (p === null) continue;
      if (p.kind === 'acl') {
        acls.push(...decodeAcls(path, p, value));
        continue;
      }
      const json = parseJson(path, value) as { config?: unknown };
      const config = json.config;
      if (typeof config !== 'object' || config === null) throw new SecurityRecordError(`${path}: no "config" object`);
      const values: Partial<Record<QuotaKey, number>> = {};
      for (const [k, v] of Object.entries(config as Record<string, unknown>)) {
        if ((QUOTA_KEYS as readonly string[]).includes(k)) {
          const n = Number(v);
          if (typeof v !== 'string' || !Number.isFinite(n)) throw new SecurityRecordError(`${path}: invalid value for ${k}`);
          values[k as QuotaKey] = n;
        } else if ((SCRAM_MECHANISMS as readonly string[]).includes(k)) {
          const user = p.entity.user;
          if (typeof v !== 'string') throw new SecurityRecordError(`${path}: invalid ${k} credential`);
          // Credentials belong to a named user alone (not a default or a user+client entity).
          if (user === undefined || user === null || 'clientId' in p.entity) throw new SecurityRecordError(`${path}: SCRAM credentials outside a user's config`);
          const byMech = scram.get(user) ?? scram.set(user, new Map()).get(user)!;
          byMech.set(k as ScramMechanism, decodeScramCredential(path, v));
        }
        // Other keys (configs this broker does not model) are left alone.
      }
      if (Object.keys(values).length > 0) quotas.push({ entity: p.entity, values });
    } catch (e) {
      if (e instanceof SecurityRecordError) onError(e);
      else throw e;
    }
  }
  if (acls.length === 0 && scram.size === 0 && quotas.length === 0) return EMPTY_SECURITY_IMAGE;
  return { acls, scram, quotas };
}
