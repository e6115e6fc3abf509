// The group coordinator as the broker's handlers see it: attaching one to the broker context (startBroker
// does) and the helpers group handlers share. Here rather than in host-node/group/ so that the group
// package never imports the server layer.
import type { RivuletCore } from '../../bindings/core.js';
import { ErrorCode } from '../../protocol/errors.js';
import { CONSUMER_OFFSETS_TOPIC, coordinatorConfigFrom, GroupCoordinator, offsetsLogsFromRegistry, type CoordinatorConfig, type GroupClock, type OffsetsTopicLogs } from '../group/index.js';
import type { PartitionValidator } from '../group/requests.js';
import type { BrokerContext, RequestContext } from './context.js';

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
