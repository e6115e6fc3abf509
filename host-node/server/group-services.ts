// The group coordinator as the broker's handlers see it: attaching one to the broker context (startBroker
// does) and the helpers group handlers share. Here rather than in host-node/group/ so that the group
// package never imports the server layer.
import type { RivuletCore } from '../../bindings/core.js';
import { ErrorCode } from '../../protocol/errors.js';
import { compactOffsetsTopic, CONSUMER_OFFSETS_TOPIC, coordinatorConfigFrom, GroupCoordinator, offsetsLogsFromRegistry, offsetsTopicConfigs, type CoordinatorConfig, type GroupClock, type OffsetsTopicLogs } from '../group/index.js';
import type { PartitionValidator } from '../group/requests.js';
import type { BrokerContext, RequestContext } from './context.js';
import type { OffsetsPartitionWriter } from '../group/offsets-store.js';
import type { Partition } from '../replication/partition.js';
import type { ReplicaManager } from '../replication/replica-manager.js';
import { StorageError } from '../../storage/errors.js';
import { AdminError } from '../topics/topic-registry.js';

export interface AttachOptions {
  /** The broker's core instance (encodes and decodes the __consumer_offsets batches). */
  core: RivuletCore;
  clock?: GroupClock;
  config?: Partial<CoordinatorConfig>;
  /** Where __consumer_offsets lives (default: the context's topic registry). */
  logs?: OffsetsTopicLogs;
}

/**
 * Builds the coordinator from the broker config, loads __consumer_offsets, and sets `context.groupCoordinator`.
 * In a cluster (context.replicaManager set) the coordinator follows the leadership of __consumer_offsets
 * partitions instead: attach it after the replica manager.
 */
export function attachGroupCoordinator(context: BrokerContext, o: AttachOptions): GroupCoordinator {
  const cfg: CoordinatorConfig = { ...coordinatorConfigFrom(context.config), ...(o.config ?? {}) };
  if (context.replicaManager !== undefined && o.logs === undefined) return attachClusterCoordinator(context, context.replicaManager, o, cfg);
  const registry = context.topicRegistry;
  // The topic's real partition count decides where groups live (it must not change under existing groups).
  const existing = registry?.topic(CONSUMER_OFFSETS_TOPIC);
  if (existing && o.config?.offsetsTopicPartitions === undefined) cfg.offsetsTopicPartitions = existing.partitions;
  // A topic created before compaction is switched to it (the registry applies the change at once).
  if (existing && registry && o.logs === undefined) void compactOffsetsTopic(registry, context.log.child('group'));
  const logs = o.logs ?? (registry ? offsetsLogsFromRegistry(registry, cfg) : undefined);
  if (!logs) throw new Error('attachGroupCoordinator: the broker has no topic registry; pass `logs`');
  const c = new GroupCoordinator({ core: o.core, logs, config: cfg, clock: o.clock, log: context.log.child('group') });
  c.start();
  forgetDeletedTopics(context, c);
  context.groupCoordinator = c;
  return c;
}

/** Offsets of a topic deleted on this single broker are tombstoned by the coordinator (Kafka's onPartitionsDeleted). */
function forgetDeletedTopics(context: BrokerContext, c: GroupCoordinator): void {
  context.topicRegistry?.onChange((ch) => {
    if (ch.type === 'deleted' && ch.topic.name !== CONSUMER_OFFSETS_TOPIC) c.onTopicsDeleted([ch.topic.name]);
  });
}

/** The running coordinator of the broker a request came to, or undefined (→ COORDINATOR_NOT_AVAILABLE). */
export function coordinatorOf(ctx: RequestContext<'groupCoordinator'>): GroupCoordinator | undefined {
  const c = ctx.broker.groupCoordinator;
  return c && c.isRunning ? c : undefined;
}

/** OffsetCommit/OffsetDelete: partitions this broker does not host → UNKNOWN_TOPIC_OR_PARTITION (as Kafka). */
export function partitionValidator(ctx: RequestContext<'metadata'>): PartitionValidator {
  const topics = ctx.broker.metadata;
  return (topic, partition) => {
    const t = topics.topicByName(topic);
    return t && partition >= 0 && partition < t.partitions.length ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  };
}

/** What Kafka reports as a member's host: the client's address with a leading slash (InetAddress.toString). */
export function clientHostOf(ctx: RequestContext<never>): string {
  return `/${ctx.connection.remoteAddress}`;
}

/** A coordinator for the groups of the __consumer_offsets partitions this broker leads (Kafka's rule). */
function attachClusterCoordinator(context: BrokerContext, rm: ReplicaManager, o: AttachOptions, cfg: CoordinatorConfig): GroupCoordinator {
  // Where groups live follows the topic's real partition count once it exists.
  const existing = context.metadata.topicByName(CONSUMER_OFFSETS_TOPIC);
  if (existing && o.config?.offsetsTopicPartitions === undefined) cfg.offsetsTopicPartitions = existing.partitions.length;
  const log = context.log.child('group');
  // A topic created before compaction is switched to it through the cluster metadata (any broker may;
  // the change is idempotent, the last writer wins).
  if (existing) void compactOffsetsTopic(context.topicAdmin, log);
  const logs = replicatedOffsetsLogs(context, rm);
  const c = new GroupCoordinator({ core: o.core, logs, config: cfg, clock: o.clock, log, followsLeadership: true });
  c.start();
  const follow = (p: Partition, leads: boolean): void => {
    if (p.topic !== CONSUMER_OFFSETS_TOPIC) return;
    if (p.partition >= cfg.offsetsTopicPartitions) {
      log.warn(`${p.name}: beyond the ${cfg.offsetsTopicPartitions} partitions groups are placed on; ignored`);
      return;
    }
    if (leads) c.onBecomeLeader(p.partition);
    else c.onResign(p.partition);
  };
  rm.addRoleListener({ onBecomeLeader: (p) => follow(p, true), onBecomeFollower: (p) => follow(p, false), onStopped: (p) => follow(p, false) });
  for (const p of rm.allPartitions()) if (p.isLeader) follow(p, true);
  // Deleted topics: the cluster member tells the coordinator (ClusterMember.syncReplicas), whether or
  // not this broker held a replica of them.
  context.groupCoordinator = c;
  return c;
}

/** __consumer_offsets in a cluster: written through the replicated partition as its leader (committed = below the HW). */
function replicatedOffsetsLogs(context: BrokerContext, rm: ReplicaManager): OffsetsTopicLogs {
  const writers = new WeakMap<Partition, OffsetsPartitionWriter>();
  const notLeader = (p: number) => new StorageError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `this broker does not lead ${CONSUMER_OFFSETS_TOPIC}-${p}`);
  return {
    existing: (p) => context.topicRegistry.partitionLog(CONSUMER_OFFSETS_TOPIC, p),
    getOrCreate: (p) => {
      const log = context.topicRegistry.partitionLog(CONSUMER_OFFSETS_TOPIC, p);
      if (!log) throw notLeader(p);
      return log;
    },
    writer: (p) => {
      const part = rm.getPartition(CONSUMER_OFFSETS_TOPIC, p);
      if (part === undefined || !part.isLeader) throw notLeader(p);
      let w = writers.get(part);
      if (w === undefined) writers.set(part, (w = partitionWriter(part)));
      return w;
    },
  };
}

/** Appends as leader with acks=all (min.insync.replicas checked); committed once the high watermark passes. */
function partitionWriter(part: Partition): OffsetsPartitionWriter {
  return {
    append: (batch) => part.appendRecordsToLeader(batch, -1),
    waitCommitted: async (lastOffset, timeoutMs) => {
      const code = await part.waitForHighWatermark(lastOffset + 1, timeoutMs);
      if (code !== ErrorCode.NONE) throw new StorageError(code, `${part.name}: offset ${lastOffset} not committed (error ${code})`);
    },
  };
}

export type CoordinatorLookup = { nodeId: number; errorCode: number; errorMessage: string | null };

/** Offsets topics being created, per topic admin (one creation at a time, as FindCoordinators arrive together). */
const creatingOffsetsTopic = new WeakMap<object, Promise<unknown>>();

/**
 * In a cluster: the coordinator of `groupId` is the leader of its __consumer_offsets partition. The first
 * lookup creates the topic (offsets.topic.num.partitions, offsets.topic.replication.factor) and answers
 * COORDINATOR_NOT_AVAILABLE meanwhile, as Kafka; so does a cluster with fewer live brokers than that factor,
 * and a partition without a leader.
 */
export function clusterCoordinatorFor(
  groupId: string,
  listenerName: string,
  ctx: RequestContext<'groupCoordinator' | 'metadata' | 'clusterView' | 'topicAdmin' | 'config' | 'log'>,
): CoordinatorLookup {
  const fail = (errorMessage: string): CoordinatorLookup => ({ nodeId: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage });
  const c = coordinatorOf(ctx);
  if (!c) return fail('The coordinator is not available.');
  const topic = ctx.broker.metadata.topicByName(CONSUMER_OFFSETS_TOPIC);
  if (topic === undefined) return fail(createOffsetsTopic(ctx, c.config));
  if (topic.partitions.length !== c.config.offsetsTopicPartitions)
    return fail(`${CONSUMER_OFFSETS_TOPIC} has ${topic.partitions.length} partitions, this broker places groups on ${c.config.offsetsTopicPartitions}`);
  const leader = topic.partitions[c.partitionFor(groupId)]?.leaderId ?? -1;
  if (leader < 0 || ctx.broker.clusterView.node(leader, listenerName) === undefined) return fail('The coordinator is not available.');
  return { nodeId: leader, errorCode: ErrorCode.NONE, errorMessage: null };
}

function createOffsetsTopic(ctx: RequestContext<'clusterView' | 'topicAdmin' | 'config' | 'log'>, cfg: CoordinatorConfig): string {
  const rf = ctx.broker.config.get('offsets.topic.replication.factor');
  const live = ctx.broker.clusterView.brokers(ctx.connection.listenerName).length;
  if (live < rf)
    return `The cluster has ${live} live brokers, fewer than offsets.topic.replication.factor ${rf}: ${CONSUMER_OFFSETS_TOPIC} cannot be created.`;
  const admin = ctx.broker.topicAdmin;
  if (!creatingOffsetsTopic.has(admin)) {
    const spec = {
      name: CONSUMER_OFFSETS_TOPIC,
      numPartitions: cfg.offsetsTopicPartitions,
      replicationFactor: rf,
      configs: offsetsTopicConfigs(cfg.offsetsTopicSegmentBytes),
    };
    const log = ctx.broker.log;
    const creating = admin.createTopicAsync(spec).then(
      () => log.info(`created ${CONSUMER_OFFSETS_TOPIC} with ${spec.numPartitions} partitions and replication factor ${rf}`),
      (e: unknown) => {
        if (!(e instanceof AdminError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS)) log.warn(`creating ${CONSUMER_OFFSETS_TOPIC} failed: ${(e as Error).message}`);
      },
    );
    creatingOffsetsTopic.set(admin, creating);
    void creating.finally(() => creatingOffsetsTopic.delete(admin));
  }
  return `${CONSUMER_OFFSETS_TOPIC} is being created.`;
}
