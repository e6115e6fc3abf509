// The cluster metadata in etcd (Kafka's ZooKeeper-era model, keys in keys.ts, values in records.ts). Every
// write is one conditional transaction: creations compare the create revision with 0, updates the mod
// revision they read, controller writes also the controller epoch's mod revision (the fence), so a
// deposed controller or a stale leader can never overwrite newer state. etcd's client-side election is not
// used: the revisions are the safety.
import type { Etcd3, Namespace } from 'etcd3';
import { invariant } from '../../common/invariant.js';
import { BrokerSession } from './broker-session.js';
import { createEtcdClient, etcdUnreachableMessage, type EtcdClientOptions } from './etcd-client.js';
import * as K from './keys.js';
import * as R from './records.js';
import { MetadataWatch, entryOf, type MetadataSnapshot, type WatchBatch } from './metadata-watch.js';

export { BrokerIdInUseError, BrokerSession } from './broker-session.js';

/** A controller's claim: every controller write compares /controller_epoch's mod revision with epochRevision. */
export interface ControllerFence {
  readonly brokerId: number;
  readonly controllerEpoch: number;
  readonly epochRevision: number;
}

export interface PartitionStateUpdate {
  readonly topic: string;
  readonly partition: number;
  readonly state: R.PartitionState;
  /** The mod revision read (the partition epoch); 0 = the key must not exist. */
  readonly expectedModRevision: number;
}

export type FencedWriteResult = { readonly ok: true; readonly revision: number } | { readonly ok: false; readonly reason: 'fenced' | 'conflict'; readonly committed: number };

export type AlterPartitionResult =
  | { readonly ok: true; readonly partitionEpoch: number }
  | {
      readonly ok: false;
      readonly reason: 'conflict' | 'stale-broker-epoch' | 'ineligible-replica';
      /** The state as it is now (null: the partition no longer exists). */
      readonly current: { readonly state: R.PartitionState; readonly partitionEpoch: number } | null;
    };

export type AdminRequest =
  | { readonly kind: 'deleteTopic'; readonly topic: string }
  /** target null: cancel the reassignment in progress. */
  | { readonly kind: 'reassign'; readonly topic: string; readonly partition: number; readonly target: readonly number[] | null }
  | { readonly kind: 'elect'; readonly topic: string; readonly partition: number; readonly type: R.ElectionType }
  | { readonly kind: 'shutdown'; readonly brokerId: number; readonly brokerEpoch: number };

/** One write of a fenced commit: put `value` (or delete, when null) if the key is still at `expectedModRevision` (0 = absent). */
export interface FencedOp {
  readonly key: string;
  readonly expectedModRevision: number;
  readonly value: string | null;
}

/** The deadline of every unary etcd call (default 5000 ms) and TLS to etcd (etcd.ssl.*). */
export type MetadataStoreOptions = EtcdClientOptions;

/** etcd refuses transactions with more operations than --max-txn-ops (128 by default). */
const MAX_UPDATES_PER_TXN = 100;

export class EtcdMetadataStore {
  private readonly watches = new Set<MetadataWatch>();
  private readonly sessions = new Set<BrokerSession>();

  private constructor(
    private readonly client: Etcd3,
    private readonly ns: Namespace,
    /** '' or the chroot of etcd.connect. */
    readonly root: string,
  ) {}

  /** A client of the etcd named by `connect` (etcd.connect's format); the first call checks that it answers. */
  static async connect(connect: string, opts: MetadataStoreOptions = {}): Promise<EtcdMetadataStore> {
    const { client, connect: parsed } = createEtcdClient(connect, opts);
    const root = parsed.root;
    const store = new EtcdMetadataStore(client, root === '' ? client : client.namespace(root), root);
    try {
      await store.ns.get(K.CLUSTER_ID_KEY).exec();
    } catch (e) {
      client.close();
      throw new Error(etcdUnreachableMessage(parsed, opts.tls ?? null, e as Error));
    }
    return store;
  }

  /** Stops the watches, closes the broker sessions still open (their registrations go at once) and the client. */
  async close(): Promise<void> {
    await Promise.all([...this.watches].map((w) => w.close()));
    this.watches.clear();
    await Promise.all([...this.sessions].map((x) => x.close()));
    this.sessions.clear();
    this.client.close();
  }

  /** The etcd keyspace of the metadata (the chroot applied), for stores kept beside it (the security metadata). */
  get namespace(): Namespace {
    return this.ns;
  }

  /** The cluster id in etcd; `proposed` is stored if there is none yet. */
  async getOrCreateClusterId(proposed: string): Promise<string> {
    const res = await this.ns
      .if(K.CLUSTER_ID_KEY, 'Create', '==', 0)
      .then(this.ns.put(K.CLUSTER_ID_KEY).value(R.encodeClusterId(proposed)))
      .else(this.ns.get(K.CLUSTER_ID_KEY))
      .commit();
    if (res.succeeded) return proposed;
    const kv = res.responses[0]?.response_range?.kvs[0];
    invariant(kv !== undefined, '/cluster/id exists when its create compare fails');
    return R.decodeClusterId(K.CLUSTER_ID_KEY, kv.value.toString());
  }

  /**
   * Registers the broker (Kafka's ephemeral /brokers/ids/<id>) on a new lease of `sessionTimeoutMs`, kept
   * alive every `heartbeatIntervalMs` (default: a third of the session, at most 2000 as Kafka).
   * Rejects with BrokerIdInUseError when a live broker holds the id.
   */
  async registerBroker(reg: R.BrokerRegistration, sessionTimeoutMs: number, heartbeatIntervalMs = Math.min(2000, Math.floor(sessionTimeoutMs / 3))): Promise<BrokerSession> {
    return BrokerSession.register(this.ns, reg, sessionTimeoutMs, heartbeatIntervalMs, this.sessions);
  }

  /** Claims the controller if nobody holds it: /controller (on the session's lease) and /controller_epoch + 1 in one txn. */
  async tryClaimController(session: BrokerSession): Promise<ControllerFence | null> {
    const epochKv = (await this.ns.get(K.CONTROLLER_EPOCH_KEY).exec()).kvs[0];
    const epoch = epochKv ? R.decodeControllerEpoch(K.CONTROLLER_EPOCH_KEY, epochKv.value.toString()) : 0;
    const res = await this.ns
      .if(K.CONTROLLER_KEY, 'Create', '==', 0)
      .and(K.CONTROLLER_EPOCH_KEY, 'Mod', '==', epochKv ? Number(epochKv.mod_revision) : 0)
      .and(K.brokerKey(session.brokerId), 'Create', '==', session.brokerEpoch)
      .then(
        this.ns.put(K.CONTROLLER_KEY).value(R.encodeController(session.brokerId, Date.now())).lease(session.leaseId),
        this.ns.put(K.CONTROLLER_EPOCH_KEY).value(R.encodeControllerEpoch(epoch + 1)),
      )
      .commit();
    if (!res.succeeded) return null;
    return { brokerId: session.brokerId, controllerEpoch: epoch + 1, epochRevision: Number(res.header.revision) };
  }

  /** Gives the controller up (only if this fence still holds it). */
  async resign(fence: ControllerFence): Promise<void> {
    await this.ns
      .if(K.CONTROLLER_EPOCH_KEY, 'Mod', '==', fence.epochRevision)
      .then(this.ns.delete().key(K.CONTROLLER_KEY))
      .commit();
  }

  /** Every metadata key, read at one revision. */
  async loadSnapshot(): Promise<MetadataSnapshot> {
    const res = await this.ns.getAll().prefix(K.ROOT_PREFIX).exec();
    return { revision: Number(res.header.revision), entries: res.kvs.map(entryOf) };
  }

  /** Watches every metadata change after `fromRevision` - 1 (use snapshot.revision + 1), in order, without loss. */
  watch(fromRevision: number, onBatch: (batch: WatchBatch) => void, onError?: (e: Error) => void): MetadataWatch {
    const w = new MetadataWatch(this.ns, fromRevision, onBatch, () => this.loadSnapshot(), onError);
    this.watches.add(w);
    return w;
  }

  /** Creates a topic (assignment + configs) unless it exists or is still being deleted. */
  async createTopic(
    name: string,
    topic: R.TopicAssignment,
    configs: Readonly<Record<string, string>>,
  ): Promise<{ ok: true; revision: number } | { ok: false; reason: 'exists' | 'marked-for-deletion' }> {
    const res = await this.ns
      .if(K.topicKey(name), 'Create', '==', 0)
      .and(K.deleteTopicRequestKey(name), 'Create', '==', 0)
      .then(this.ns.put(K.topicKey(name)).value(R.encodeTopic(topic)), this.ns.put(K.topicConfigKey(name)).value(R.encodeTopicConfig(configs)))
      .else(this.ns.get(K.topicKey(name)))
      .commit();
    if (res.succeeded) return { ok: true, revision: Number(res.header.revision) };
    return { ok: false, reason: res.responses[0]?.response_range?.kvs.length ? 'exists' : 'marked-for-deletion' };
  }

  /** Replaces a topic's assignment if it is still at the mod revision read. */
  async updateTopic(name: string, topic: R.TopicAssignment, expectedModRevision: number): Promise<{ ok: true; revision: number } | { ok: false; reason: 'conflict' }> {
    return this.putIfModRevision(K.topicKey(name), R.encodeTopic(topic), expectedModRevision);
  }

  /** Replaces a topic's config overrides if they are still at the mod revision read (0 = absent). */
  async updateTopicConfig(name: string, configs: Readonly<Record<string, string>>, expectedModRevision: number): Promise<{ ok: true; revision: number } | { ok: false; reason: 'conflict' }> {
    return this.putIfModRevision(K.topicConfigKey(name), R.encodeTopicConfig(configs), expectedModRevision);
  }

  /** Replaces the dynamic configs of a broker entity (a broker id or '<default>') if still at the mod revision read (0 = absent). */
  async updateBrokerConfig(entity: string, configs: Readonly<Record<string, string>>, expectedModRevision: number): Promise<{ ok: true; revision: number } | { ok: false; reason: 'conflict' }> {
    return this.putIfModRevision(K.brokerConfigKey(entity), R.encodeTopicConfig(configs), expectedModRevision);
  }

  /**
   * Controller write of partition states, each compared with its expected mod revision, all fenced by the
   * controller epoch. More than fit one etcd transaction are written in several, in order; a failed one
   * stops there (`committed` = how many were written before it).
   */
  async putPartitionStates(fence: ControllerFence, updates: readonly PartitionStateUpdate[]): Promise<FencedWriteResult> {
    const keys = new Set(updates.map((u) => K.partitionStateKey(u.topic, u.partition)));
    invariant(keys.size === updates.length, 'a partition appears once in a partition state write');
    let revision = 0;
    for (let i = 0; i < updates.length; i += MAX_UPDATES_PER_TXN) {
      const chunk = updates.slice(i, i + MAX_UPDATES_PER_TXN);
      let txn = this.ns.if(K.CONTROLLER_EPOCH_KEY, 'Mod', '==', fence.epochRevision);
      for (const u of chunk) txn = txn.and(K.partitionStateKey(u.topic, u.partition), 'Mod', '==', u.expectedModRevision);
      const res = await txn
        .then(...chunk.map((u) => this.ns.put(K.partitionStateKey(u.topic, u.partition)).value(R.encodePartitionState(u.state))))
        .else(this.ns.get(K.CONTROLLER_EPOCH_KEY))
        .commit();
      if (!res.succeeded) return { ok: false, reason: fenceHeld(res.responses[0]?.response_range?.kvs[0]?.mod_revision, fence) ? 'conflict' : 'fenced', committed: i };
      revision = Number(res.header.revision);
    }
    return { ok: true, revision };
  }

  /** Controller deletion of a topic: assignment, partition states, configs and the deletion request, in one fenced txn. */
  async deleteTopicData(fence: ControllerFence, name: string): Promise<FencedWriteResult> {
    const res = await this.ns
      .if(K.CONTROLLER_EPOCH_KEY, 'Mod', '==', fence.epochRevision)
      .then(
        this.ns.delete().key(K.topicKey(name)),
        this.ns.delete().prefix(K.topicPartitionsPrefix(name)),
        this.ns.delete().key(K.topicConfigKey(name)),
        this.ns.delete().key(K.deleteTopicRequestKey(name)),
      )
      .commit();
    return res.succeeded ? { ok: true, revision: Number(res.header.revision) } : { ok: false, reason: 'fenced', committed: 0 };
  }

  /**
   * A leader's ISR change (Kafka's AlterPartition): written only if the state is still at the partition
   * epoch read and, when `leader` is given, the leader is still registered with that broker epoch (a
   * broker whose session expired changes nothing: Kafka's STALE_BROKER_EPOCH). The caller keeps leader
   * and leader epoch as read. On a refusal it gets the current state ('stale-broker-epoch' when the state
   * itself had not moved).
   */
  async alterPartitionState(
    topic: string,
    partition: number,
    state: R.PartitionState,
    expectedModRevision: number,
    leader?: { readonly brokerId: number; readonly brokerEpoch: number },
    joining: readonly { readonly brokerId: number; readonly brokerEpoch: number }[] = [],
  ): Promise<AlterPartitionResult> {
    const key = K.partitionStateKey(topic, partition);
    invariant(expectedModRevision > 0, 'an ISR change updates an existing partition state');
    invariant(leader === undefined || leader.brokerId === state.leader, 'only the leader changes its ISR');
    let txn = this.ns.if(key, 'Mod', '==', expectedModRevision);
    if (leader) txn = txn.and(K.brokerKey(leader.brokerId), 'Create', '==', leader.brokerEpoch);
    // A replica joins the ISR only while it is registered with the epoch the leader knows and has no
    // controlled shutdown pending (Kafka's INELIGIBLE_REPLICA): an expansion racing with the replica's
    // expiry or shutdown fails here instead of leaving a gone broker in the ISR.
    for (const j of joining) txn = txn.and(K.brokerKey(j.brokerId), 'Create', '==', j.brokerEpoch).and(K.shutdownRequestKey(j.brokerId), 'Create', '==', 0);
    const res = await txn.then(this.ns.put(key).value(R.encodePartitionState(state))).else(this.ns.get(key)).commit();
    if (res.succeeded) return { ok: true, partitionEpoch: Number(res.header.revision) };
    const kv = res.responses[0]?.response_range?.kvs[0];
    const current = kv ? { state: R.decodePartitionState(key, kv.value.toString()), partitionEpoch: Number(kv.mod_revision) } : null;
    return { ok: false, reason: current?.partitionEpoch !== expectedModRevision ? 'conflict' : joining.length > 0 ? 'ineligible-replica' : 'stale-broker-epoch', current };
  }

  /**
   * Takes the next block of `size` producer ids for `brokerId` (Kafka's ZooKeeper-era ProducerIdManager):
   * the block after the one /latest_producer_id_block names, written only if nobody took one meanwhile
   * (retried, bounded). Returns its first id; the block is [first, first + size).
   */
  async takeProducerIdBlock(brokerId: number, size: number): Promise<bigint> {
    for (let attempt = 0; attempt < 32; attempt++) {
      const kv = (await this.ns.get(K.PRODUCER_ID_BLOCK_KEY).exec()).kvs[0];
      const first = kv ? R.decodeProducerIdBlock(K.PRODUCER_ID_BLOCK_KEY, kv.value.toString()).end + 1n : 0n;
      const value = R.encodeProducerIdBlock({ brokerId, start: first, end: first + BigInt(size) - 1n });
      const res = await this.ns
        .if(K.PRODUCER_ID_BLOCK_KEY, 'Mod', '==', kv ? Number(kv.mod_revision) : 0)
        .then(this.ns.put(K.PRODUCER_ID_BLOCK_KEY).value(value))
        .commit();
      if (res.succeeded) return first;
    }
    throw new Error('could not take a block of producer ids: /latest_producer_id_block kept changing');
  }

  /** Puts an administrative request for the controller (any broker may); resolves with the put's revision. */
  async putAdminRequest(req: AdminRequest): Promise<number> {
    const [key, value] = adminEntry(req);
    const res = await this.ns.put(key).value(value).exec();
    return Number(res.header.revision);
  }

  /** Removes an administrative request (the controller, once it is done; fenced). */
  async deleteAdminRequest(fence: ControllerFence, req: AdminRequest): Promise<FencedWriteResult> {
    const res = await this.ns
      .if(K.CONTROLLER_EPOCH_KEY, 'Mod', '==', fence.epochRevision)
      .then(this.ns.delete().key(adminEntry(req)[0]))
      .commit();
    return res.succeeded ? { ok: true, revision: Number(res.header.revision) } : { ok: false, reason: 'fenced', committed: 0 };
  }

  /**
   * The controller's commit: every op in ONE transaction, compared with the fence (/controller_epoch's mod
   * revision) and each key's expected mod revision. A failure says whether the fence or a key moved.
   */
  async commitFenced(fence: number, ops: readonly FencedOp[]): Promise<{ ok: true; revision: number } | { ok: false; reason: 'fenced' | 'conflict' }> {
    invariant(ops.length > 0 && ops.length < MAX_UPDATES_PER_TXN, `a fenced commit has 1..${MAX_UPDATES_PER_TXN - 1} ops (${ops.length})`);
    let txn = this.ns.if(K.CONTROLLER_EPOCH_KEY, 'Mod', '==', fence);
    for (const op of ops) txn = txn.and(op.key, 'Mod', '==', op.expectedModRevision);
    const res = await txn
      .then(...ops.map((op) => (op.value === null ? this.ns.delete().key(op.key) : this.ns.put(op.key).value(op.value))))
      .else(this.ns.get(K.CONTROLLER_EPOCH_KEY))
      .commit();
    if (res.succeeded) return { ok: true, revision: Number(res.header.revision) };
    const held = Number(res.responses[0]?.response_range?.kvs[0]?.mod_revision ?? 0) === fence;
    return { ok: false, reason: held ? 'conflict' : 'fenced' };
  }

  private async putIfModRevision(key: string, value: string, expected: number): Promise<{ ok: true; revision: number } | { ok: false; reason: 'conflict' }> {
    const res = await this.ns.if(key, 'Mod', '==', expected).then(this.ns.put(key).value(value)).commit();
    return res.succeeded ? { ok: true, revision: Number(res.header.revision) } : { ok: false, reason: 'conflict' };
  }
}

function fenceHeld(modRevision: string | undefined, fence: ControllerFence): boolean {
  return modRevision !== undefined && Number(modRevision) === fence.epochRevision;
}

function adminEntry(req: AdminRequest): [string, string] {
  switch (req.kind) {
    case 'deleteTopic':
      return [K.deleteTopicRequestKey(req.topic), '{}'];
    case 'reassign':
      return [K.reassignRequestKey(req.topic, req.partition), R.encodeReassignRequest(req.target)];
    case 'elect':
      return [K.electRequestKey(req.topic, req.partition), R.encodeElectRequest(req.type)];
    case 'shutdown':
      return [K.shutdownRequestKey(req.brokerId), R.encodeShutdownRequest(req.brokerEpoch)];
  }
}

