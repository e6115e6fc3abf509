// The partitions this broker replicates (Kafka's ReplicaManager): partition states from the cluster
// metadata make it leader or follower of each (a newer leader epoch switches roles, a newer partition
// epoch at the same leader epoch only updates the assignment and ISR, anything older is ignored),
// followers are handed to one ReplicaFetcher per (leader, fetcher id), and a timer shrinks the ISRs of
// the partitions it leads.
import { invariant, InvariantViolation } from '../../common/invariant.js';
import type { Logger } from '../util/log.js';
import { Partition } from './partition.js';
import { ReplicaFetcher } from './replica-fetcher.js';
import { REPLICATION_DEFAULTS, type BrokerEndpoint, type ConnectToLeader, type IsrStore, type PartitionState, type ReplicaLogSource, type ReplicationConfig } from './types.js';

export interface ReplicaManagerOptions {
  readonly brokerId: number;
  /** This broker's epoch (its registration's create revision), sent with every replica fetch. */
  readonly brokerEpoch: () => number;
  readonly logs: ReplicaLogSource;
  readonly isrStore: IsrStore;
  readonly config?: Partial<ReplicationConfig>;
  readonly logger: Logger;
  /** Opens the fetchers' connections to leaders. */
  readonly connect: ConnectToLeader;
  readonly now?: () => number;
}

export interface LeaderAndEpoch {
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

/**
 * Told when this broker's role in a partition changes (the group coordinator follows the leadership of
 * __consumer_offsets this way, as Kafka's onLeadershipChange). Called synchronously, after the change.
 */
export interface PartitionRoleListener {
  /** This broker became the partition's leader (a new leader epoch). */
  onBecomeLeader?(p: Partition): void;
  /** This broker became (or, at a new leader epoch, stays) a follower. */
  onBecomeFollower?(p: Partition): void;
  /** The partition stopped here: no longer a replica, deleted, or the broker shuts down. */
  onStopped?(p: Partition): void;
}

/** Most role listeners one manager holds (a few services subscribe, once each). */
const MAX_ROLE_LISTENERS = 16;

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export class ReplicaManager {
  readonly brokerId: number;
  readonly config: ReplicationConfig;
  private readonly o: ReplicaManagerOptions;
  private readonly now: () => number;
  private readonly partitions = new Map<string, Partition>();
  private readonly fetchers = new Map<string, ReplicaFetcher>();
  private readonly fetcherOf = new Map<Partition, ReplicaFetcher>();
  private brokers = new Map<number, BrokerEndpoint>();
  /** Leader and epoch of every partition the metadata told of, replicated here or not (KIP-951 answers). */
  private readonly leaders = new Map<string, LeaderAndEpoch>();
  private readonly shrinkTimer: ReturnType<typeof setInterval>;
  private readonly roleListeners = new Set<PartitionRoleListener>();
  private closed = false;
  /** Kafka's IsrShrinksPerSec / IsrExpandsPerSec, as totals. */
  isrShrinks = 0;
  isrExpands = 0;

  constructor(o: ReplicaManagerOptions) {
    this.o = o;
    this.brokerId = o.brokerId;
    this.config = { ...REPLICATION_DEFAULTS, ...o.config };
    this.now = o.now ?? Date.now;
    // Kafka checks every half lag time, so a follower leaves the ISR between 1× and 1.5× of it.
    this.shrinkTimer = setInterval(() => this.maybeShrinkIsrs(), Math.max(10, Math.floor(this.config.replicaLagTimeMaxMs / 2)));
    this.shrinkTimer.unref();
  }

  /** The partition as replicated here, or undefined when this broker is not one of its replicas. */
  getPartition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(key(topic, partition));
  }

  /** The partition's leader and leader epoch as the last applied metadata said, or undefined when unknown. */
  leaderOf(topic: string, partition: number): LeaderAndEpoch | undefined {
    return this.leaders.get(key(topic, partition));
  }

  /** Where broker `id` is reached, as the last applied metadata said. */
  brokerEndpoint(id: number): BrokerEndpoint | undefined {
    return this.brokers.get(id);
  }

  /** Subscribes to role changes of every partition; returns unsubscribe. */
  addRoleListener(listener: PartitionRoleListener): () => void {
    invariant(this.roleListeners.size < MAX_ROLE_LISTENERS, 'a bounded number of partition role listeners');
    this.roleListeners.add(listener);
    return () => this.roleListeners.delete(listener);
  }

  /** Every partition replicated here. */
  allPartitions(): IterableIterator<Partition> {
    return this.partitions.values();
  }

  /**
   * Applies partition states (and the brokers' endpoints) from the metadata. A partition whose replica set
   * no longer holds this broker (a reassignment moved it away, possibly while this broker was down) stops,
   * and its log here is deleted, as Kafka's StopReplica with deletion does.
   */
  applyPartitionStates(states: readonly PartitionState[], brokers: ReadonlyMap<number, BrokerEndpoint>): void {
    invariant(!this.closed, 'partition states applied to a running replica manager');
    this.updateBrokers(brokers);
    const strays: TopicPartition[] = [];
    for (const s of states) {
      this.recordLeader(s);
      if (s.replicas.includes(this.brokerId)) this.applyState(s);
      else if (this.partitions.has(key(s.topic, s.partition)) || this.hasLog(s.topic, s.partition)) {
        this.stopPartition(s.topic, s.partition);
        strays.push({ topic: s.topic, partition: s.partition });
      }
    }
    if (strays.length > 0) this.o.logs.deletePartitionLogs(strays);
    this.assignFetchers();
  }

  private hasLog(topic: string, partition: number): boolean {
    try {
      return this.o.logs.existingLog(topic, partition) !== undefined;
    } catch {
      // A log that failed to load is left for the operator.
      return false;
    }
  }

  /**
   * Stops the partitions and, with `deleteLogs`, removes their logs (a replica reassigned away, a deleted
   * topic). With `topicDeleted` their leaders are forgotten too (clients then get UNKNOWN_TOPIC_OR_PARTITION).
   */
  removePartitions(partitions: readonly TopicPartition[], o: { deleteLogs: boolean; topicDeleted?: boolean }): void {
    for (const tp of partitions) {
      this.stopPartition(tp.topic, tp.partition);
      if (o.topicDeleted === true) this.leaders.delete(key(tp.topic, tp.partition));
    }
    if (o.deleteLogs && partitions.length > 0) this.o.logs.deletePartitionLogs(partitions);
    this.shutdownIdleFetchers();
  }

  /** Leader partitions whose ISR is smaller than their replica set (Kafka's UnderReplicatedPartitions). */
  underReplicatedCount(): number {
    let n = 0;
    for (const p of this.partitions.values()) if (p.isLeader && p.isr.length < p.replicas.length) n++;
    return n;
  }

  leaderCount(): number {
    let n = 0;
    for (const p of this.partitions.values()) if (p.isLeader) n++;
    return n;
  }

  /** Stops every fetcher and partition (pending acks=all answer NOT_LEADER_OR_FOLLOWER). */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.shrinkTimer);
    const fetchers = [...this.fetchers.values()];
    this.fetchers.clear();
    this.fetcherOf.clear();
    for (const p of this.partitions.values()) {
      p.stop();
      this.tellRole('onStopped', p);
    }
    await Promise.all(fetchers.map((f) => f.shutdown()));
  }

  private recordLeader(s: PartitionState): void {
    const k = key(s.topic, s.partition);
    const known = this.leaders.get(k);
    if (known === undefined || s.leaderEpoch >= known.leaderEpoch) this.leaders.set(k, { leaderId: s.leader, leaderEpoch: s.leaderEpoch });
  }

  private applyState(s: PartitionState): void {
    let p = this.partitions.get(key(s.topic, s.partition));
    if (p !== undefined && p.topicId !== s.topicId) {
      this.stopPartition(s.topic, s.partition);
      p = undefined;
    }
    p ??= this.createPartition(s);
    if (s.leaderEpoch > p.leaderEpoch) {
      // A new epoch starts the partition afresh in a fetcher (assignFetchers): no backoff left from the
      // old one, and truncation first where the leader needs OffsetForLeaderEpoch.
      this.detachFetcher(p);
      if (s.leader === this.brokerId) {
        p.makeLeader(s);
        this.tellRole('onBecomeLeader', p);
      } else {
        p.makeFollower(s);
        this.tellRole('onBecomeFollower', p);
      }
    } else if (s.leaderEpoch === p.leaderEpoch && (s.partitionEpoch > p.partitionEpoch || !sameReplicas(s.replicas, p.replicas))) {
      // A reassignment changes the replica set in the topic's assignment, not in the partition state: the
      // leader must learn of the new replicas (to track them and add them to the ISR) all the same. An ISR
      // this leader changed itself more recently than the image shows is kept.
      p.updateAssignmentAndIsr(s.partitionEpoch >= p.partitionEpoch ? s : { ...s, isr: [...p.isr], partitionEpoch: p.partitionEpoch });
    }
  }

  private createPartition(s: PartitionState): Partition {
    const log = this.o.logs.ensureReplicaLog({ topic: s.topic, topicId: s.topicId, partition: s.partition, replicationFactor: s.replicas.length });
    const p = new Partition({
      topic: s.topic,
      partition: s.partition,
      topicId: s.topicId,
      localBrokerId: this.brokerId,
      log,
      config: this.config,
      isrStore: this.o.isrStore,
      minInsyncReplicas: () => this.o.logs.minInsyncReplicas(s.topic),
      now: this.now,
      logger: this.o.logger,
      onIsrChange: (kind) => (kind === 'shrink' ? this.isrShrinks++ : this.isrExpands++),
    });
    this.partitions.set(key(s.topic, s.partition), p);
    return p;
  }

  private stopPartition(topic: string, partition: number): void {
    const p = this.partitions.get(key(topic, partition));
    if (p === undefined) return;
    this.detachFetcher(p);
    p.stop();
    this.partitions.delete(key(topic, partition));
    this.tellRole('onStopped', p);
  }

  private tellRole(event: keyof PartitionRoleListener, p: Partition): void {
    for (const l of this.roleListeners) {
      try {
        l[event]?.(p);
      } catch (e) {
        if (e instanceof InvariantViolation) throw e;
        this.o.logger.error(`${p.name}: a ${event} listener failed: ${(e as Error).message}`);
      }
    }
  }

  private updateBrokers(brokers: ReadonlyMap<number, BrokerEndpoint>): void {
    for (const [k, f] of this.fetchers) {
      const now = brokers.get(f.source.id);
      if (now !== undefined && now.host === f.source.host && now.port === f.source.port) continue;
      // The leader moved (or left): its partitions are handed to a fetcher for the new address below.
      this.fetchers.delete(k);
      for (const [p, pf] of this.fetcherOf) if (pf === f) this.fetcherOf.delete(p);
      void f.shutdown();
    }
    this.brokers = new Map(brokers);
  }

  /** Every follower partition fetches from its current leader (when that leader's address is known). */
  private assignFetchers(): void {
    for (const p of this.partitions.values()) {
      if (p.isLeader || p.leaderId < 0) {
        this.detachFetcher(p);
        continue;
      }
      const leader = this.brokers.get(p.leaderId);
      const current = this.fetcherOf.get(p);
      if (leader === undefined) {
        this.detachFetcher(p);
        continue;
      }
      const fetcherKey = `${leader.id}:${fetcherId(p, this.config.numReplicaFetchers)}`;
      let f = this.fetchers.get(fetcherKey);
      if (current !== undefined && current === f) continue;
      this.detachFetcher(p);
      if (f === undefined) {
        f = new ReplicaFetcher({
          source: leader,
          fetcherId: fetcherId(p, this.config.numReplicaFetchers),
          localBrokerId: this.brokerId,
          brokerEpoch: this.o.brokerEpoch,
          config: this.config,
          logger: this.o.logger,
          connect: this.o.connect,
        });
        this.fetchers.set(fetcherKey, f);
      }
      f.addPartition(p);
      this.fetcherOf.set(p, f);
    }
    this.shutdownIdleFetchers();
  }

  private detachFetcher(p: Partition): void {
    const f = this.fetcherOf.get(p);
    if (f === undefined) return;
    f.removePartition(p);
    this.fetcherOf.delete(p);
  }

  private shutdownIdleFetchers(): void {
    for (const [k, f] of this.fetchers) {
      if (f.partitionCount > 0) continue;
      this.fetchers.delete(k);
      void f.shutdown();
    }
  }

  private maybeShrinkIsrs(): void {
    for (const p of this.partitions.values()) if (p.isLeader) p.maybeShrinkIsr();
  }
}

function sameReplicas(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Kafka's fetcher id: a hash of topic and partition over num.replica.fetchers. */
function fetcherId(p: Partition, fetchers: number): number {
  let h = 0;
  for (let i = 0; i < p.topic.length; i++) h = (Math.imul(h, 31) + p.topic.charCodeAt(i)) | 0;
  return Math.abs(Math.imul(h, 31) + p.partition) % Math.max(1, fetchers);
}
