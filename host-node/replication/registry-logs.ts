// The topic registry as the replica manager's source of partition logs: a log for a topic id learnt from
// the cluster metadata, the topic's min.insync.replicas, and log removal when a replica moves away.
import type { TopicRegistry } from '../topics/topic-registry.js';
import type { Logger } from '../util/log.js';
import type { ReplicaLogSource } from './types.js';

export function registryLogSource(registry: TopicRegistry, logger: Logger): ReplicaLogSource {
  return {
    ensureReplicaLog: (spec) => registry.ensureReplicaLog(spec),
    existingLog: (topic, partition) => registry.partitionLog(topic, partition),
    minInsyncReplicas: (topic) => registry.topicConfig(topic)?.['min.insync.replicas'] ?? registry.defaultTopicConfig()['min.insync.replicas'],
    deletePartitionLogs(partitions) {
      registry.logManager.deleteLogs(partitions).catch((e: unknown) => logger.error(`removing replica logs: ${(e as Error).message}`));
    },
  };
}
