// Where a follower cuts its log when the leader says where their histories part (Kafka's
// getOffsetTruncationState, KIP-101 / KIP-279): from a DivergingEpoch in a Fetch answer, or from an
// OffsetForLeaderEpoch answer for the follower's latest epoch.
import type { EpochEndOffset, ReplicaLog } from './types.js';

export interface TruncationPoint {
  /** Truncate the log to this offset (a no-op when it is the log end). */
  readonly offset: number;
  /**
   * False when the leader's epoch is one the follower does not have: the follower cut to the end of its
   * own epoch below, and the next exchange (with that lower epoch) finds the final point.
   */
  readonly complete: boolean;
}

/** The truncation point for the leader's `(epoch, endOffset)`, given the follower's log. */
export function truncationPoint(log: Pick<ReplicaLog, 'logEndOffset' | 'highWatermark' | 'endOffsetForEpoch'>, leader: EpochEndOffset): TruncationPoint {
  const leo = log.logEndOffset;
  // The leader knows nothing of the epoch (an old leader without epochs): the high watermark is safe.
  if (leader.endOffset < 0) return { offset: Math.min(log.highWatermark, leo), complete: true };
  if (leader.leaderEpoch < 0) return { offset: Math.min(leader.endOffset, leo), complete: true };
  const local = log.endOffsetForEpoch(leader.leaderEpoch);
  if (local.endOffset < 0 || local.leaderEpoch < 0) return { offset: Math.min(leader.endOffset, leo), complete: true };
  if (local.leaderEpoch !== leader.leaderEpoch) return { offset: Math.min(local.endOffset, leo), complete: false };
  return { offset: Math.min(leader.endOffset, local.endOffset, leo), complete: true };
}
