// The broker's MetricsSource (host-node/metrics/source.ts): its partition logs and consumer groups as the
// plain rows the metrics read at scrape time.
import type { LogManager } from '../../storage/index.js';
import type { GroupCoordinator } from '../group/coordinator.js';
import type { GroupOffsetStats, GroupStats, MetricsSource, PartitionLogStats } from '../metrics/source.js';

/** `groups()` is asked at every scrape: the coordinator is attached after the metrics are made. */
export function brokerMetricsSource(logManager: LogManager, groups: () => GroupCoordinator | undefined): MetricsSource {
  return {
    partitionLogs: (): Iterable<PartitionLogStats> => logManager.allLogs(),
    groups: () => groupStats(groups()),
    groupOffsets: () => groupOffsets(logManager, groups()),
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
