// The group coordinator's package surface. Attaching it to a broker and the handlers' helpers live in
// host-node/server/group-services.ts, so this package imports nothing from the server layer.
import type { TopicRegistry } from '../topics/topic-registry.js';
import { ErrorCode } from '../../protocol/errors.js';
import { CONSUMER_OFFSETS_TOPIC } from './consumer-offsets-schema.js';
import type { CoordinatorConfig } from './coordinator-config.js';
import type { OffsetsTopicLogs } from './offsets-store.js';
import { offsetsTopicConfigs } from './offsets-topic.js';

export { GroupCoordinator } from './coordinator.js';
export { coordinatorConfigFrom, DEFAULT_COORDINATOR_CONFIG, type CoordinatorConfig } from './coordinator-config.js';
export { systemClock, type GroupClock } from './clock.js';
export { OffsetsStore, type OffsetsTopicLogs } from './offsets-store.js';
export * from './consumer-offsets-schema.js';
export { compactOffsetsTopic, offsetsTopicCompactionOverrides, offsetsTopicConfigs } from './offsets-topic.js';
export { ClassicGroup, type GroupState } from './group.js';

/**
 * __consumer_offsets through the topic registry: an internal topic with offsets.topic.num.partitions
 * partitions and Kafka's configs (offsetsTopicConfigs: compacted), created on first use (Kafka creates it on
 * the first FindCoordinator for a group). The loader keeps the latest record per key, whether or not the
 * cleaner has compacted the log yet.
 */
export function offsetsLogsFromRegistry(registry: TopicRegistry, cfg: Pick<CoordinatorConfig, 'offsetsTopicPartitions' | 'offsetsTopicSegmentBytes'>): OffsetsTopicLogs {
  const ensure = () => {
    if (registry.topic(CONSUMER_OFFSETS_TOPIC)) return;
    registry.createTopic({
      name: CONSUMER_OFFSETS_TOPIC,
      numPartitions: cfg.offsetsTopicPartitions,
      replicationFactor: 1,
      configs: offsetsTopicConfigs(cfg.offsetsTopicSegmentBytes),
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
