// Where a follower truncates for the leader's (epoch, end offset) answer (Kafka's getOffsetTruncationState),
// as a table over a follower whose epoch cache answers like Kafka's endOffsetFor (the real cache is
// storage's, tested in test/storage/; the logs in leader-change and failover tests exercise both together).
import { describe, expect, it } from 'vitest';
import { truncationPoint } from '../../host-node/replication/truncation.js';
import type { EpochEndOffset } from '../../host-node/replication/types.js';

/** A follower log whose epochs are (0 → 0), (2 → 10), (3 → 15), log end 20, high watermark 12. */
const follower = {
  logEndOffset: 20,
  highWatermark: 12,
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    // Kafka's endOffsetFor over [(0,0), (2,10), (3,15)] with log end 20.
    if (epoch < 0) return { leaderEpoch: -1, endOffset: -1 };
    if (epoch >= 3) return epoch === 3 ? { leaderEpoch: 3, endOffset: 20 } : { leaderEpoch: -1, endOffset: -1 };
    if (epoch === 2) return { leaderEpoch: 2, endOffset: 15 };
    return { leaderEpoch: 0, endOffset: 10 };
  },
};

describe('truncationPoint', () => {
  it.each([
    ['the leader ends the same epoch earlier', { leaderEpoch: 3, endOffset: 17 }, 17, true],
    ['the leader ends the same epoch later than this log', { leaderEpoch: 3, endOffset: 25 }, 20, true],
    ['the leader ends an older shared epoch', { leaderEpoch: 2, endOffset: 13 }, 13, true],
    ['the leader\'s epoch is one this log skipped: cut to the end of the epoch below, and ask again', { leaderEpoch: 1, endOffset: 12 }, 10, false],
    ['the leader knows no epoch but an end offset', { leaderEpoch: -1, endOffset: 8 }, 8, true],
    ['the leader knows nothing: the high watermark', { leaderEpoch: -1, endOffset: -1 }, 12, true],
  ] as const)('%s', (_what, leader, offset, complete) => {
    expect(truncationPoint(follower, leader)).toEqual({ offset, complete });
  });
});
