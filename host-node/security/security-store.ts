// The security metadata a broker serves from: ACLs, SCRAM credentials and client quotas. Kafka keeps them
// in its metadata (ZooKeeper's /kafka-acl and /config/users|clients, or the KRaft log); Rivulet keeps them in
// a file beside the logs on a single broker and in etcd in a cluster. Readers take `current()` (an immutable
// image, replaced on every change); writers go through the update methods, which resolve once the change is
// durable (on disk, or committed in etcd) and visible in `current()`.
import type { AclBinding } from './acl.js';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** A SCRAM credential as Kafka stores it (RFC 5802): never the password, only what verifies a proof. */
export interface ScramCredential {
  readonly salt: Uint8Array;
  readonly storedKey: Uint8Array;
  readonly serverKey: Uint8Array;
  readonly iterations: number;
}

/**
 * A client-quota entity as DescribeClientQuotas names it: the entity types it has, each with a name or
 * null for the default entity ("<default>" in kafka-configs.sh). `{ user: 'alice' }`, `{ user: null }` (the
 * default user), `{ user: 'alice', clientId: 'app' }`, `{ clientId: 'app' }`, `{ ip: '10.0.0.1' }`.
 */
export interface QuotaEntity {
  readonly user?: string | null;
  readonly clientId?: string | null;
  readonly ip?: string | null;
}

/** The quota keys Kafka defines (values are numbers; byte rates in bytes/s, request_percentage in %). */
export const QUOTA_KEYS = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate', 'connection_creation_rate'] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];

export interface QuotaEntry {
  readonly entity: QuotaEntity;
  readonly values: Readonly<Partial<Record<QuotaKey, number>>>;
}

export interface SecurityImage {
  readonly acls: readonly AclBinding[];
  /** user → mechanism → credential. */
  readonly scram: ReadonlyMap<string, ReadonlyMap<ScramMechanism, ScramCredential>>;
  readonly quotas: readonly QuotaEntry[];
}

export interface ScramChange {
  readonly user: string;
  readonly mechanism: ScramMechanism;
  /** null deletes the user's credential of that mechanism. */
  readonly credential: ScramCredential | null;
}

export interface QuotaChange {
  readonly entity: QuotaEntity;
  /** key → new value, or null to remove the key. */
  readonly set: Readonly<Partial<Record<QuotaKey, number | null>>>;
}

export interface SecurityStore {
  current(): SecurityImage;
  /** Called after every change with the new image; returns an unsubscribe. */
  onChange(listener: (image: SecurityImage) => void): () => void;
  /** Adds and removes ACLs (exact bindings) in one atomic change; adding one already present is a no-op. */
  updateAcls(add: readonly AclBinding[], remove: readonly AclBinding[]): Promise<void>;
  alterScram(changes: readonly ScramChange[]): Promise<void>;
  alterQuotas(changes: readonly QuotaChange[]): Promise<void>;
  close(): Promise<void>;
}

export const EMPTY_SECURITY_IMAGE: SecurityImage = Object.freeze({ acls: [], scram: new Map(), quotas: [] });

/** Same entity (absent and null differ: absent = not part of the entity, null = the default). */
export function sameQuotaEntity(a: QuotaEntity, b: QuotaEntity): boolean {
  return a.user === b.user && a.clientId === b.clientId && a.ip === b.ip && ('user' in a) === ('user' in b) && ('clientId' in a) === ('clientId' in b) && ('ip' in a) === ('ip' in b);
}

export function sameAcl(a: AclBinding, b: AclBinding): boolean {
  return (
    a.pattern.resourceType === b.pattern.resourceType &&
    a.pattern.name === b.pattern.name &&
    a.pattern.patternType === b.pattern.patternType &&
    a.entry.principal === b.entry.principal &&
    a.entry.host === b.entry.host &&
    a.entry.operation === b.entry.operation &&
    a.entry.permissionType === b.entry.permissionType
  );
}

/** The next image after a change: the transitions every store implementation shares. */
export function applyAclUpdate(image: SecurityImage, add: readonly AclBinding[], remove: readonly AclBinding[]): SecurityImage {
  const acls = image.acls.filter((a) => !remove.some((r) => sameAcl(a, r)));
  for (const a of add) if (!acls.some((x) => sameAcl(x, a))) acls.push(a);
  return { ...image, acls };
}

export function applyScramChanges(image: SecurityImage, changes: readonly ScramChange[]): SecurityImage {
  const scram = new Map([...image.scram].map(([u, m]) => [u, new Map(m)]));
  for (const c of changes) {
    const byMech = scram.get(c.user) ?? new Map<ScramMechanism, ScramCredential>();
    if (c.credential === null) byMech.delete(c.mechanism);
    else byMech.set(c.mechanism, c.credential);
    if (byMech.size === 0) scram.delete(c.user);
    else scram.set(c.user, byMech);
  }
  return { ...image, scram };
}

export function applyQuotaChanges(image: SecurityImage, changes: readonly QuotaChange[]): SecurityImage {
  const quotas = image.quotas.map((q) => ({ entity: q.entity, values: { ...q.values } as Partial<Record<QuotaKey, number>> }));
  for (const c of changes) {
    let q = quotas.find((x) => sameQuotaEntity(x.entity, c.entity));
    if (q === undefined) quotas.push((q = { entity: c.entity, values: {} }));
    for (const [k, v] of Object.entries(c.set) as [QuotaKey, number | null][]) {
      if (v === null) delete q.values[k];
      else q.values[k] = v;
    }
  }
  return { ...image, quotas: quotas.filter((q) => Object.keys(q.values).length > 0) };
}

/**
 * A store held in memory only: the base of the file and etcd stores, and what in-process tests use. Every
 * change replaces the image and tells the listeners.
 */
export class InMemorySecurityStore implements SecurityStore {
  private image: SecurityImage;
  private readonly listeners = new Set<(image: SecurityImage) => void>();

  constructor(initial: SecurityImage = EMPTY_SECURITY_IMAGE) {
    this.image = initial;
  }

  current(): SecurityImage {
    return this.image;
  }

  onChange(listener: (image: SecurityImage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async updateAcls(add: readonly AclBinding[], remove: readonly AclBinding[]): Promise<void> {
    await this.commit(applyAclUpdate(this.image, add, remove));
  }

  async alterScram(changes: readonly ScramChange[]): Promise<void> {
    await this.commit(applyScramChanges(this.image, changes));
  }

  async alterQuotas(changes: readonly QuotaChange[]): Promise<void> {
    await this.commit(applyQuotaChanges(this.image, changes));
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  /** Makes `next` durable (subclasses persist it first), then current. */
  protected async commit(next: SecurityImage): Promise<void> {
    this.publish(next);
  }

  /** Replaces the image and tells the listeners (a store that learns of changes from elsewhere calls it too). */
  protected publish(next: SecurityImage): void {
    this.image = next;
    for (const l of this.listeners) l(next);
  }
}
