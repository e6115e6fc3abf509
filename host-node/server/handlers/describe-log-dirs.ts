// DescribeLogDirs (api key 35), v0-4: for each log dir, the partitions in it (all, or the topics and
// partitions asked for) with their size on disk; offset lag 0 (no future replicas); v4 adds the file
// system's total and usable bytes. A log dir that cannot be read → KAFKA_STORAGE_ERROR for that dir.
import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DescribeLogDirsResponseDescribeLogDirsResultInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { Log } from '../../../storage/index.js';
import type { ApiHandler } from '../registry.js';
import { DescribeLogDirsApi } from '../../../protocol/generated/describe-log-dirs.js';

export const describeLogDirsHandler: ApiHandler<typeof ApiKey.DescribeLogDirs, 'topicRegistry' | 'logManager' | 'config'> = {
  api: DescribeLogDirsApi,
  handle(request, ctx) {
    const b = ctx.broker;
    let wanted: Map<string, Set<number>> | null = null;
    if (request.topics !== null) {
      wanted = new Map();
      for (const t of request.topics) {
        const s = wanted.get(t.topic) ?? new Set<number>();
        for (const p of t.partitions) s.add(p);
        wanted.set(t.topic, s);
      }
    }
    const byDir = new Map<string, Log[]>();
    for (const log of b.logManager.allLogs()) {
      if (!b.topicRegistry.topic(log.topic)) continue;
      if (wanted && !wanted.get(log.topic)?.has(log.partition)) continue;
      const d = resolve(dirname(log.dir));
      const list = byDir.get(d) ?? [];
      list.push(log);
      byDir.set(d, list);
    }
    const results: DescribeLogDirsResponseDescribeLogDirsResultInput[] = b.config.logDirs.map((dir) => {
      const logDir = resolve(dir);
      let totalBytes = -1n;
      let usableBytes = -1n;
      try {
        const s = statfsSync(logDir, { bigint: true });
        totalBytes = s.blocks * s.bsize;
        usableBytes = s.bavail * s.bsize;
      } catch {
        return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, logDir, topics: [], totalBytes, usableBytes };
      }
      const topics = new Map<string, { partitionIndex: number; partitionSize: bigint; offsetLag: bigint; isFutureKey: boolean }[]>();
      for (const log of byDir.get(logDir) ?? []) {
        let size = 0;
        try {
          size = log.size;
        } catch {
          size = 0;
        }
        const list = topics.get(log.topic) ?? [];
        list.push({ partitionIndex: log.partition, partitionSize: BigInt(size), offsetLag: 0n, isFutureKey: false });
        topics.set(log.topic, list);
      }
      return {
        errorCode: ErrorCode.NONE,
        logDir,
        totalBytes,
        usableBytes,
        topics: [...topics.entries()]
          .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
          .map(([name, partitions]) => ({ name, partitions: partitions.sort((x, y) => x.partitionIndex - y.partitionIndex) })),
      };
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
  },
};
