// The group coordinator: attach one to a broker's context (startBroker does), or build one by hand (tests).
import type { BrokerContext, RequestContext } from '../server/context.js';
import type { TopicRegistry } from '../topics/topic-registry.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { RivuletCore } from '../../bindings/core.js';
import type { GroupClock } from './clock.js';
import { CONSUMER_OFFSETS_TOPIC } from './consumer-offsets-schema.js';
import { coordinatorConfigFrom, type CoordinatorConfig } from './coordinator-config.js';
import { GroupCoordinator } from './coordinator.js';
import type { PartitionValidator } from './requests.js';
import type { OffsetsTopicLogs } from './offsets-store.js';

export { GroupCoordinator } from './coordinator.js';
export { coordinatorConfigFrom, DEFAULT_COORDINATOR_CONFIG, type CoordinatorConfig } from './coordinator-config.js';
export { systemClock, type GroupClock } from './clock.js';
export { OffsetsStore, type OffsetsTopicLogs } from './offsets-store.js';
export * from './consumer-offsets-schema.js';
export { ClassicGroup, type GroupState } from './group.js';

/**
 * __consumer_offsets through the topic registry: an internal topic with offsets.topic.num.partitions
 * partitions, created on first use (Kafka creates it on the first FindCoordinator for a group). Storage has
 * no compaction, so the topic keeps everything (retention.ms=-1) and the loader keeps the latest per key.
 */
function offsetsLogsFromRegistry(registry: TopicRegistry, cfg: Pick<CoordinatorConfig, 'offsetsTopicPartitions' | 'offsetsTopicSegmentBytes'>): OffsetsTopicLogs {
  const ensure = () => {
    if (registry.topic(CONSUMER_OFFSETS_TOPIC)) return;
    registry.createTopic({
      name: CONSUMER_OFFSETS_TOPIC,
      numPartitions: cfg.offsetsTopicPartitions,
      replicationFactor: 1,
      configs: [
        { name: 'retention.ms', value: '-1' },
        { name: 'segment.bytes', value: String(cfg.offsetsTopicSegmentBytes) },
      ],
    });
  };
  return {
    existing: (p) => registry.partitionLog(CONSUMER_OFFSETS_TOPIC, p),
    getOrCreate: (p) => {
      ensure();
      const log = registry.partitionLog(CONSUMER_OFFSETS_TOPIC, p);
      if (!log) throw Object.assign(new Error(`${CONSUMER_OFFSETS_TOPIC}-${p} does not exist`), { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
      return log;
    },
    ensure,
  };
}

export interface AttachOptions {
  /** The broker's core instance (encodes and decodes the __consumer_offsets batches). */
  core: RivuletCore;
  clock?: GroupClock;
  config?: Partial<CoordinatorConfig>;
  /** Where __consumer_offsets lives (default: the context's topic registry). */
  logs?: OffsetsTopicLogs;
}

/** Builds the coordinator from the broker config, loads __consumer_offsets, and sets `context.groupCoordinator`. */
export function attachGroupCoordinator(context: BrokerContext, o: AttachOptions): GroupCoordinator {
  const cfg: CoordinatorConfig = { ...coordinatorConfigFrom(context.config), ...(o.config ?? {}) };
  const registry = context.topicRegistry;
  // The topic's real partition count decides where groups live (it must not change under existing groups).
  const existing = registry?.topic(CONSUMER_OFFSETS_TOPIC);
  if (existing && o.config?.offsetsTopicPartitions === undefined) cfg.offsetsTopicPartitions = existing.partitions;
  const logs = o.logs ?? (registry ? offsetsLogsFromRegistry(registry, cfg) : undefined);
  if (!logs) throw new Error('attachGroupCoordinator: the broker has no topic registry; pass `logs`');
  const c = new GroupCoordinator({ core: o.core, logs, config: cfg, clock: o.clock, log: context.log.child('group') });
  c.start();
  context.groupCoordinator = c;
  return c;
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
