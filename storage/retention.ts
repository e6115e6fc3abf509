// Retention (cleanup.policy=delete): whole segments go, oldest first, never the active one.
//  - time: a segment whose largest timestamp is older than retention.ms;
//  - size: oldest segments while the log stays at or above retention.bytes without them;
//  - log start offset: segments entirely below it (DeleteRecords).
// Kafka's UnifiedLog.deleteOldSegments, in the same order.
import type { Log } from './log.js';

export interface RetentionResult {
  deletedSegments: number;
  deletedBytes: number;
}

export function applyRetention(log: Log, nowMs: number): RetentionResult {
  const out: RetentionResult = { deletedSegments: 0, deletedBytes: 0 };
  if (log.isOffline || !log.config['cleanup.policy'].includes('delete')) return out;
  const count = (segs: { size: number }[]) => {
    out.deletedSegments += segs.length;
    for (const s of segs) out.deletedBytes += s.size;
  };

  const retentionMs = log.config['retention.ms'];
  // An empty inactive segment (a cleaning kept none of its records) holds nothing to retain and, having no
  // timestamp, would otherwise stop time retention at it for good.
  if (retentionMs >= 0) count(log.deleteOldSegments((s) => s.isEmpty || (s.largestTimestamp >= 0 ? nowMs - s.largestTimestamp > retentionMs : false)));

  const retentionBytes = log.config['retention.bytes'];
  if (retentionBytes >= 0) {
    let excess = log.size - retentionBytes;
    count(
      log.deleteOldSegments((s) => {
        if (excess - s.size < 0) return false;
        excess -= s.size;
        return true;
      }),
    );
  }

  const start = log.logStartOffset;
  count(log.deleteOldSegments((_s, next) => next !== null && next.baseOffset <= start));
  return out;
}
