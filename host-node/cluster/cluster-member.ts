// A broker's part in the cluster once its listeners are bound: its registration in etcd (a lease of
// broker.session.timeout.ms; the registration's create revision is its broker epoch), the replicas it
// holds (every change of the image goes to the ReplicaManager; topics gone from the image are removed
// from the topic registry), its bid for the controller (a claim whenever /controller is free; the
// KafkaController runs while the claim holds), and its controlled shutdown.
import type { KafkaController } from '../controller/controller.js';
import { CONSUMER_OFFSETS_TOPIC } from '../group/consumer-offsets-schema.js';
import type { BrokerContext } from '../server/context.js';
import type { ReplicaManager } from '../replication/replica-manager.js';
import type { BrokerEndpoint, IsrStore, PartitionState } from '../replication/types.js';
import type { Logger } from '../util/log.js';
import { BrokerIdInUseError, type BrokerSession } from './broker-session.js';
import type { ClusterImage, ImageChange } from './cluster-image.js';
import type { ClusterMetadata } from './cluster-metadata.js';
import { ControllerEventSource, EtcdControllerPort, controllerImageOf } from './controller-bridge.js';
import { replicasOf } from './image-metadata.js';
import { waitForImage } from './image-wait.js';
import type { ControllerFence } from './metadata-store.js';
import type { BrokerEndpoint as RegisteredEndpoint } from './records.js';

/** Every partition state of the image, in the replica manager's terms (partitions not initialized yet are left out). */
export function partitionStatesOf(image: ClusterImage): PartitionState[] {
  const out: PartitionState[] = [];
  for (const t of image.topics.values()) {
    for (let p = 0; p < t.partitions.length; p++) {
      const s = image.partitionState(t.name, p);
      if (!s) continue;
      out.push({
        topic: t.name,
        partition: p,
        topicId: t.topicId,
        replicas: replicasOf(t, p),
        isr: [...s.isr],
        leader: s.leader,
        leaderEpoch: s.leaderEpoch,
        partitionEpoch: s.partitionEpoch,
        addingReplicas: [...(t.adding.get(p) ?? [])],
        removingReplicas: [...(t.removing.get(p) ?? [])],
      });
    }
  }
  return out;
}

/**
 * The brokers' endpoints for replica fetching: each broker's endpoint of the inter-broker listener
 * (inter.broker.listener.name); a broker that did not register that listener cannot be fetched from.
 * Without a name, each broker's first registered listener.
 */
export function replicaEndpointsOf(image: ClusterImage, listenerName?: string): Map<number, BrokerEndpoint> {
  const out = new Map<number, BrokerEndpoint>();
  for (const b of image.brokers.values()) {
    const ep = listenerName === undefined ? b.endpoints[0] : b.endpoints.find((e) => e.name === listenerName);
    if (ep) out.set(b.brokerId, { id: b.brokerId, host: ep.host, port: ep.port, rack: b.rack });
  }
  return out;
}

/** ISR changes as conditional etcd writes of the partition state, fenced by the leader's broker epoch too. */
export function etcdIsrStore(cluster: ClusterMetadata, brokerId: number, brokerEpoch: () => number): IsrStore {
  return {
    async alterPartition(topic, partition, update, expectedPartitionEpoch) {
      const current = cluster.image.partitionState(topic, partition);
      // Replicas the change adds must still be live, at the epoch this broker's image knows.
      const joining: { brokerId: number; brokerEpoch: number }[] = [];
      for (const id of update.isr) {
        if (current?.isr.includes(id) || id === brokerId) continue;
        const b = cluster.image.brokers.get(id);
        if (b === undefined) return { ok: false };
        joining.push({ brokerId: id, brokerEpoch: b.brokerEpoch });
      }
      const r = await cluster.store.alterPartitionState(
        topic,
        partition,
        { leader: update.leader, leaderEpoch: update.leaderEpoch, isr: [...update.isr], controllerEpoch: current?.controllerEpoch ?? 0, leaderRecoveryState: 0 },
        expectedPartitionEpoch,
        { brokerId, brokerEpoch: brokerEpoch() },
        joining,
      );
      if (r.ok) return { ok: true, partitionEpoch: r.partitionEpoch };
      // The caller learns the current state from the image once the watch delivers it.
      return { ok: false };
    },
  };
}

export interface ClusterMemberOptions {
  readonly cluster: ClusterMetadata;
  readonly context: BrokerContext;
  readonly replicaManager: ReplicaManager;
  readonly controller: KafkaController;
  readonly log: Logger;
}

export class ClusterMember {
  private session: BrokerSession | null = null;
  private fence: ControllerFence | null = null;
  private claiming = false;
  private closed = false;
  private imbalanceTimer: ReturnType<typeof setInterval> | null = null;
  private readonly events: ControllerEventSource;
  private readonly unsubscribe: () => void;
  /** Partitions (topic → count) the replica manager was last told about, to remove what disappears. */
  private readonly known = new Map<string, { topicId: string; partitions: number }>();

  constructor(private readonly o: ClusterMemberOptions) {
    this.events = new ControllerEventSource(o.cluster.image);
    this.unsubscribe = o.cluster.image.onChange((changes, image) => this.onImageChange(changes, image));
  }

  get brokerEpoch(): number {
    return this.session?.brokerEpoch ?? -1;
  }

  get isController(): boolean {
    return this.fence !== null && this.o.controller.isActive;
  }

  /** Partitions whose leader is -1 or a broker not registered (Kafka's offline partitions), from the image. */
  offlinePartitionCount(): number {
    const image = this.o.cluster.image;
    let n = 0;
    for (const states of image.partitionStates.values()) for (const s of states.values()) if (s.leader < 0 || !image.brokers.has(s.leader)) n++;
    return n;
  }

  /** Registers in etcd (the listeners are bound: their advertised endpoints are known), then acts on the image. */
  async start(): Promise<void> {
    await this.register();
    // What this broker holds from before (it may have been down while a topic was deleted or recreated):
    // the first sync removes the topics the cluster no longer has under that id.
    for (const t of this.o.context.topicRegistry.topics()) this.known.set(t.name, { topicId: t.topicId, partitions: t.partitions });
    this.syncReplicas(this.o.cluster.image);
    void this.maybeClaimController();
  }

  private async register(): Promise<void> {
    const { context, cluster, log } = this.o;
    const endpoints: RegisteredEndpoint[] = context.advertisedListeners.map((e) => ({ name: e.name, host: e.host, port: e.port }));
    const timeoutMs = context.config.get('broker.session.timeout.ms');
    const heartbeatMs = context.config.get('broker.heartbeat.interval.ms');
    // A previous life of this broker (killed, restarted within its session timeout) may still hold the key
    // until its lease expires: wait for it rather than refuse to start.
    const deadline = Date.now() + timeoutMs + 5000;
    for (;;) {
      try {
        this.session = await cluster.store.registerBroker({ brokerId: context.nodeId, endpoints, rack: context.rack }, timeoutMs, heartbeatMs);
        break;
      } catch (e) {
        if (!(e instanceof BrokerIdInUseError) || Date.now() > deadline) throw e;
        log.info(`broker id ${context.nodeId} is still registered (a previous session's lease); waiting for it to expire`);
        await waitForImage(cluster.image, (img) => !img.brokers.has(context.nodeId), 1000);
      }
    }
    log.info(`registered in etcd as broker ${context.nodeId} with broker epoch ${this.session.brokerEpoch}`);
    this.session.once('lost', (err) => void this.onSessionLost(err));
  }

  /** The lease expired (etcd unreachable for a whole session): stop acting as controller, register anew. */
  private async onSessionLost(err: Error): Promise<void> {
    if (this.closed) return;
    this.o.log.warn(`etcd session lost (${err.message}); registering again`);
    this.resignController('the etcd session was lost');
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        await this.register();
        this.syncReplicas(this.o.cluster.image);
        void this.maybeClaimController();
        return;
      } catch (e) {
        this.o.log.warn(`registering again failed: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** Math.min(attempt, 5))));
      }
    }
  }

  private onImageChange(changes: readonly ImageChange[], image: ClusterImage): void {
    if (this.closed) return;
    // The event source tracks the brokers' epochs on every change, controller or not: a broker that
    // re-registered while another broker was the controller must expire later with its current epoch.
    const events = this.events.eventsOf(changes, image);
    if (this.fence !== null) for (const e of events) this.o.controller.enqueue(e);
    if (changes.some((c) => c.type === 'controllerChanged')) this.onControllerChanged(image);
    if (this.session !== null && changes.some((c) => c.type !== 'controllerChanged' && c.type !== 'adminRequestAdded' && c.type !== 'adminRequestRemoved'))
      this.syncReplicas(image);
  }

  /** Hands every partition state to the replica manager; drops the partitions of topics that are gone or recreated. */
  private syncReplicas(image: ClusterImage): void {
    const { replicaManager, context, log } = this.o;
    for (const [topic, k] of this.known) {
      const t = image.topics.get(topic);
      if (t && t.topicId === k.topicId) continue;
      this.known.delete(topic);
      // Kafka's onPartitionsDeleted: the groups this broker coordinates drop their offsets of it, with tombstones.
      if (topic !== CONSUMER_OFFSETS_TOPIC) context.groupCoordinator?.onTopicsDeleted([topic]);
      const partitions = Array.from({ length: k.partitions }, (_, partition) => ({ topic, partition }));
      replicaManager.removePartitions(partitions, { deleteLogs: false, topicDeleted: true });
      if (context.topicRegistry.topic(topic) === undefined) continue;
      try {
        context.topicRegistry.deleteTopic(topic, { allowInternal: true });
      } catch (e) {
        log.error(`removing deleted topic ${topic}: ${(e as Error).message}`);
      }
    }
    for (const t of image.topics.values()) this.known.set(t.name, { topicId: t.topicId, partitions: t.partitions.length });
    replicaManager.applyPartitionStates(partitionStatesOf(image), replicaEndpointsOf(image, context.config.interBrokerListenerName));
    this.syncTopicConfigs(image);
  }

  /**
   * Gives the local replicas of every topic the topic's overrides from the cluster metadata (retention,
   * min.insync.replicas, …): the logs and the leader's acks=all check read them from the topic registry.
   */
  private syncTopicConfigs(image: ClusterImage): void {
    const { context, log } = this.o;
    for (const t of image.topics.values()) {
      const local = context.topicRegistry.topic(t.name);
      if (local === undefined || local.topicId !== t.topicId) continue;
      const wanted = image.topicConfigs.get(t.name)?.config ?? {};
      if (sameConfigs(local.configs, wanted)) continue;
      try {
        context.topicRegistry.setTopicConfigs(t.name, wanted);
      } catch (e) {
        log.error(`applying the configs of topic ${t.name}: ${(e as Error).message}`);
      }
    }
  }

  private onControllerChanged(image: ClusterImage): void {
    const c = image.controller;
    if (this.fence !== null && (c === null || c.brokerId !== this.o.context.nodeId || c.epoch !== this.fence.controllerEpoch))
      this.resignController(`controller is now ${c ? `broker ${c.brokerId} (epoch ${c.epoch})` : 'nobody'}`);
    if (c === null) void this.maybeClaimController();
  }

  /** Claims /controller when it is free (one txn; the epochs, not the claim's timing, keep two controllers apart). */
  private async maybeClaimController(): Promise<void> {
    const { cluster, controller, log } = this.o;
    if (this.closed || this.claiming || this.fence !== null || this.session === null || cluster.image.controller !== null) return;
    this.claiming = true;
    try {
      const fence = await cluster.store.tryClaimController(this.session);
      if (fence === null || this.closed) return;
      this.fence = fence;
      log.info(`this broker is the controller (controller epoch ${fence.controllerEpoch})`);
      const image = await new EtcdControllerPort(cluster.store).load();
      controller.enqueue({ type: 'BecameController', epoch: fence.controllerEpoch, fence: fence.epochRevision, image });
      // Changes the watch delivered while the image above was loading were queued ahead of the claim and
      // dropped (no controller yet); one more full read after it acts on them.
      controller.enqueue({ type: 'Resync' });
      this.startImbalanceChecks();
    } catch (e) {
      log.warn(`claiming the controller failed: ${(e as Error).message}`);
    } finally {
      this.claiming = false;
    }
  }

  private resignController(reason: string): void {
    if (this.fence === null) return;
    this.fence = null;
    this.stopImbalanceChecks();
    this.o.controller.resign(reason);
  }

  /**
   * auto.leader.rebalance.enable: while this broker is the controller, a LeaderImbalanceCheck every
   * leader.imbalance.check.interval.seconds (the controller moves leadership back to preferred replicas).
   */
  private startImbalanceChecks(): void {
    const { config } = this.o.context;
    if (!config.get('auto.leader.rebalance.enable') || this.imbalanceTimer !== null) return;
    this.imbalanceTimer = setInterval(() => {
      if (this.fence !== null && !this.closed) this.o.controller.enqueue({ type: 'LeaderImbalanceCheck' });
    }, config.get('leader.imbalance.check.interval.seconds') * 1000);
    this.imbalanceTimer.unref?.();
  }

  private stopImbalanceChecks(): void {
    if (this.imbalanceTimer !== null) clearInterval(this.imbalanceTimer);
    this.imbalanceTimer = null;
  }

  /**
   * Controlled shutdown (controlled.shutdown.enable): asks the controller to move leadership off this
   * broker and waits until it leads no partition that has another in-sync replica (bounded by
   * controlled.shutdown.max.retries × retry.backoff.ms); then leaves: the controller gives up its claim,
   * the registration's lease is revoked so every other broker sees this one gone at once.
   */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    const { cluster, context, log, replicaManager } = this.o;
    if (this.session !== null && context.config.get('controlled.shutdown.enable')) {
      const me = context.nodeId;
      const ledElsewhere = (img: ClusterImage) => {
        for (const states of img.partitionStates.values()) for (const s of states.values()) if (s.leader === me && s.isr.some((r) => r !== me && img.brokers.has(r))) return false;
        return true;
      };
      const budgetMs = context.config.get('controlled.shutdown.max.retries') * context.config.get('controlled.shutdown.retry.backoff.ms');
      try {
        if (!ledElsewhere(cluster.image)) {
          await cluster.store.putAdminRequest({ kind: 'shutdown', brokerId: me, brokerEpoch: this.session.brokerEpoch });
          if (!(await waitForImage(cluster.image, ledElsewhere, budgetMs))) log.warn('controlled shutdown: some partitions still lead here; stopping anyway');
        }
      } catch (e) {
        log.warn(`controlled shutdown failed (${(e as Error).message}); stopping anyway`);
      }
    }
    this.closed = true;
    this.unsubscribe();
    if (this.fence !== null) {
      const fence = this.fence;
      this.resignController('the broker is stopping');
      await cluster.store.resign(fence).catch(() => {});
    }
    await replicaManager.shutdown();
    await this.session?.close().catch(() => {});
  }
}

function sameConfigs(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k]);
}

/** The controller's image (exported for tests that compare what the controller sees with a broker's image). */
export { controllerImageOf };
