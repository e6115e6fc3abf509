// The broker's MetricsSource (host-node/metrics/source.ts): its partition logs, consumer groups, replicas
// and controller role as the plain rows the metrics read at scrape time.
import type { LogManager } from '../../storage/index.js';
import type { GroupCoordinator } from '../group/coordinator.js';
import type { GroupOffsetStats, GroupStats, MetricsSource, PartitionLogStats, ReplicationStats } from '../metrics/source.js';
import type { ReplicaManager } from '../replication/replica-manager.js';

/** The controller side of a cluster member, as the metrics see it. */
export interface ControllerStatsView {
  readonly isController: boolean;
  /** Partitions whose leader is -1 or a broker that is not registered. */
  offlinePartitionCount(): number;
}

export interface BrokerMetricsSourceParts {
  readonly logManager: LogManager;
  /** Asked at every scrape: the coordinator is attached after the metrics are made. */
  readonly groups: () => GroupCoordinator | undefined;
  /** The replica manager, when this broker replicates (a cluster, or a test's replication harness). */
  readonly replicaManager: () => ReplicaManager | undefined;
  /** The topic's effective min.insync.replicas. */
  readonly minInsyncReplicas: (topic: string) => number;
  /** In a cluster: this broker's controller role; absent on a single broker. */
  readonly controller?: ControllerStatsView;
}

export function brokerMetricsSource(o: BrokerMetricsSourceParts): MetricsSource {
  return {
    partitionLogs: (): Iterable<PartitionLogStats> => o.logManager.allLogs(),
    groups: () => groupStats(o.groups()),
    groupOffsets: () => groupOffsets(o.logManager, o.groups()),
    replication: () => replicationStats(o),
  };
}

/** Without a replica manager the broker is a one-broker cluster: leader of every log, and its controller. */
function replicationStats(o: BrokerMetricsSourceParts): ReplicationStats {
  const rm = o.replicaManager();
  if (rm === undefined) {
    const n = o.logManager.allLogs().length;
    return { underReplicatedPartitions: 0, underMinIsrPartitions: 0, leaderCount: n, partitionCount: n, isrShrinks: 0, isrExpands: 0, activeController: 1, offlinePartitions: 0 };
  }
  let partitionCount = 0;
  let leaderCount = 0;
  let underReplicated = 0;
  let underMinIsr = 0;
  for (const p of rm.allPartitions()) {
    partitionCount++;
    if (!p.isLeader) continue;
    leaderCount++;
    if (p.isr.length < p.replicas.length) underReplicated++;
    if (p.isr.length < o.minInsyncReplicas(p.topic)) underMinIsr++;
  }
  const controller = o.controller?.isController === true ? o.controller : undefined;
  return {
    underReplicatedPartitions: underReplicated,
    underMinIsrPartitions: underMinIsr,
    leaderCount,
    partitionCount,
    isrShrinks: rm.isrShrinks,
    isrExpands: rm.isrExpands,
    activeController: controller ? 1 : 0,
    offlinePartitions: controller ? controller.offlinePartitionCount() : 0,
  };
}

function groupStats(coordinator: GroupCoordinator | undefined): GroupStats[] {
  if (!coordinator) return [];
  return coordinator.list().groups.map(({ groupId }) => ({ group: groupId, members: coordinator.group(groupId)?.size ?? 0 }));
}

/** Committed offsets of every group, with the partition's high watermark when the broker hosts it. */
function groupOffsets(logManager: LogManager, coordinator: GroupCoordinator | undefined): GroupOffsetStats[] {
  const out: GroupOffsetStats[] = [];
  if (!coordinator) return out;
  for (const { groupId } of coordinator.list().groups) {
    const g = coordinator.group(groupId);
    if (!g) continue;
    for (const [topic, parts] of g.offsets) {
      for (const [partition, c] of parts) {
        const log = logManager.getLog(topic, partition);
        out.push({ group: groupId, topic, partition, offset: Number(c.offset), highWatermark: log?.highWatermark });
      }
    }
  }
  return out;
}
