// The security metadata of a cluster, in etcd, in Kafka's ZooKeeper layout (security/security-records.ts):
// ACLs under /kafka-acl and /kafka-acl-extended/prefixed, SCRAM credentials and client quotas under
// /config/users, /config/clients and /config/ips. Every broker holds the image, kept current by a watch
// from the revision it loaded; a change reads the keys it touches, and writes them in one transaction
// that compares each key's mod revision with the one read (0 = absent), retried when another writer got
// there first — so two brokers changing the same user both keep their change. A write resolves once
// this broker's watch has delivered it (visible in current()).
import type { Etcd3, Namespace } from 'etcd3';
import type { AclBinding } from '../security/acl.js';
import {
  EMPTY_SECURITY_IMAGE,
  InMemorySecurityStore,
  applyAclUpdate,
  applyQuotaChanges,
  applyScramChanges,
  type QuotaChange,
  type ScramChange,
  type SecurityImage,
} from '../security/security-store.js';
import { ACL_PREFIXES, aclPath, imageFromEntries, isSecurityKey, keepUnmodelledConfigs, quotaEntityPath, securityEntries, userPath } from '../security/security-records.js';
import { createEtcdClient, type EtcdClientOptions } from './etcd-client.js';
import { MetadataWatch, entryOf, type MetadataSnapshot, type WatchBatch } from './metadata-watch.js';
import { ROOT_PREFIX } from './keys.js';

/** How often a conditional write is tried before giving up (each failure means another writer committed). */
const MAX_ATTEMPTS = 64;

export interface EtcdSecurityStoreOptions extends EtcdClientOptions {
  /** Told about entries that do not parse (they are left out of the image) and watch errors. */
  readonly onError?: (e: Error) => void;
}

export class EtcdSecurityStore extends InMemorySecurityStore {
  /** The security entries as of the watch's revision: path → value. */
  private readonly entries = new Map<string, string>();
  private watch: MetadataWatch | null = null;
  /** Writers waiting for the watch to reach their commit's revision. */
  private readonly waiters: { revision: number; resolve: () => void }[] = [];
  private closed = false;

  private constructor(
    private readonly ns: Namespace,
    private readonly onError: (e: Error) => void,
    private readonly ownedClient: Etcd3 | null,
  ) {
    super(EMPTY_SECURITY_IMAGE);
  }

  /** Loads the security entries from etcd (through `ns`, which the caller keeps open) and starts watching them. */
  static async open(ns: Namespace, opts: EtcdSecurityStoreOptions = {}): Promise<EtcdSecurityStore> {
    const store = new EtcdSecurityStore(ns, opts.onError ?? (() => {}), null);
    await store.start();
    return store;
  }

  /** A store with its own etcd client for `connect` (etcd.connect's format), closed with the store. */
  static async connect(connect: string, opts: EtcdSecurityStoreOptions = {}): Promise<EtcdSecurityStore> {
    const { client, connect: parsed } = createEtcdClient(connect, opts);
    const root = parsed.root;
    const store = new EtcdSecurityStore(root === '' ? client : client.namespace(root), opts.onError ?? (() => {}), client);
    try {
      await store.start();
    } catch (e) {
      client.close();
      throw e;
    }
    return store;
  }

  override async updateAcls(add: readonly AclBinding[], remove: readonly AclBinding[]): Promise<void> {
    const paths = [...add, ...remove].map(aclPath);
    await this.conditionalUpdate(paths, (image) => applyAclUpdate(image, add, remove));
  }

  override async alterScram(changes: readonly ScramChange[]): Promise<void> {
    await this.conditionalUpdate(
      changes.map((c) => userPath(c.user)),
      (image) => applyScramChanges(image, changes),
    );
  }

  override async alterQuotas(changes: readonly QuotaChange[]): Promise<void> {
    await this.conditionalUpdate(
      changes.map((c) => quotaEntityPath(c.entity)),
      (image) => applyQuotaChanges(image, changes),
    );
  }

  override async close(): Promise<void> {
    this.closed = true;
    await this.watch?.close();
    this.watch = null;
    for (const w of this.waiters.splice(0)) w.resolve();
    await super.close();
    this.ownedClient?.close();
  }

  private async start(): Promise<void> {
    const snapshot = await this.loadSnapshot();
    this.applyBatch({ kind: 'reset', snapshot });
    this.watch = new MetadataWatch(this.ns, snapshot.revision + 1, (b) => this.applyBatch(b), () => this.loadSnapshot(), this.onError);
  }

  /** The security entries, read at one revision. */
  private async loadSnapshot(): Promise<MetadataSnapshot> {
    const res = await this.ns.getAll().prefix(ROOT_PREFIX).exec();
    return { revision: Number(res.header.revision), entries: res.kvs.map(entryOf).filter((e) => isSecurityKey(e.key)) };
  }

  private applyBatch(batch: WatchBatch): void {
    let changed = false;
    let revision: number;
    if (batch.kind === 'reset') {
      this.entries.clear();
      for (const e of batch.snapshot.entries) if (isSecurityKey(e.key)) this.entries.set(e.key, e.value);
      changed = true;
      revision = batch.snapshot.revision;
    } else {
      for (const e of batch.events) {
        if (!isSecurityKey(e.key)) continue;
        changed = true;
        if (e.value === null) this.entries.delete(e.key);
        else this.entries.set(e.key, e.value);
      }
      revision = batch.revision;
    }
    if (changed) this.publish(imageFromEntries(this.entries, this.onError));
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.revision <= revision) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /**
   * Reads the keys at `paths`, applies `change` to the image of just those keys, and writes the keys whose
   * value changed (a key left with nothing is deleted), if none moved since the read; else again.
   */
  private async conditionalUpdate(paths: readonly string[], change: (image: SecurityImage) => SecurityImage): Promise<void> {
    const keys = [...new Set(paths)];
    if (keys.length === 0) return;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (this.closed) throw new Error('the security store is closed');
      const read = await Promise.all(keys.map(async (k) => ({ key: k, kv: (await this.ns.get(k).exec()).kvs[0] })));
      const before = new Map(read.filter((r) => r.kv !== undefined).map((r) => [r.key, r.kv!.value.toString()] as const));
      const image = securityEntries(change(imageFromEntries(before, (e) => { throw e; })));
      const after = new Map<string, string>();
      for (const k of keys) {
        const value = ACL_PREFIXES.some((p) => k.startsWith(p)) ? (image.get(k) ?? null) : keepUnmodelledConfigs(before.get(k), image.get(k) ?? null);
        if (value !== null) after.set(k, value);
      }
      const writes = keys.filter((k) => after.get(k) !== before.get(k));
      if (writes.length === 0) return;
      let txn = this.ns.if(keys[0]!, 'Mod', '==', modRevision(read[0]!.kv));
      for (const r of read.slice(1)) txn = txn.and(r.key, 'Mod', '==', modRevision(r.kv));
      const res = await txn.then(...writes.map((k) => (after.has(k) ? this.ns.put(k).value(after.get(k)!) : this.ns.delete().key(k)))).commit();
      if (res.succeeded) {
        await this.visibleAt(Number(res.header.revision));
        return;
      }
    }
    throw new Error(`security metadata update of ${keys.join(', ')} kept conflicting with other writers`);
  }

  /** Resolves once the watch has delivered `revision`. */
  private visibleAt(revision: number): Promise<void> {
    if (this.closed || (this.watch !== null && this.watch.revision >= revision)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ revision, resolve }));
  }
}

function modRevision(kv: { mod_revision: string } | undefined): number {
  return kv === undefined ? 0 : Number(kv.mod_revision);
}
