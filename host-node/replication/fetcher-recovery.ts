// The two exchanges a follower has with its leader besides Fetch: OffsetForLeaderEpoch to find where its
// log parts from the leader's (for leaders without DivergingEpoch), and ListOffsets to reset a log whose
// fetch offset the leader does not have (OFFSET_OUT_OF_RANGE: Kafka's handleOutOfRangeError).
import { ApiKey } from '../../protocol/generated/api.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { LeaderConnection } from './types.js';
import type { Logger } from '../util/log.js';
import type { Partition } from './partition.js';
import { truncationPoint } from './truncation.js';

const EARLIEST = -2n;
const LATEST = -1n;

/**
 * Asks the leader for the end of the follower's latest epoch and truncates to where the logs agree.
 * Returns false when another round is needed (the leader's epoch is one this log does not have).
 */
export async function truncateByLeaderEpochs(conn: LeaderConnection, p: Partition, localBrokerId: number): Promise<boolean> {
  const epoch = p.log.latestEpoch;
  if (epoch < 0) return true; // nothing written under an epoch: nothing can diverge
  const r = await conn.send(ApiKey.OffsetForLeaderEpoch, {
    replicaId: localBrokerId,
    topics: [{ topic: p.topic, partitions: [{ partition: p.partition, currentLeaderEpoch: p.leaderEpoch, leaderEpoch: epoch }] }],
  });
  const e = r.topics[0]?.partitions[0];
  if (e === undefined || e.errorCode !== ErrorCode.NONE) throw new Error(`OffsetForLeaderEpoch for ${p.name}: error ${e?.errorCode ?? 'missing partition'}`);
  const at = truncationPoint(p.log, { leaderEpoch: e.leaderEpoch, endOffset: Number(e.endOffset) });
  p.truncateTo(at.offset, `leader ${p.leaderId} ends epoch ${e.leaderEpoch} at ${e.endOffset}`);
  return at.complete;
}

/**
 * The leader does not have the follower's fetch offset: behind its log end → truncate to that end (an
 * unclean election); before its log start → start an empty log at the leader's log start.
 */
export async function resetOutOfRange(conn: LeaderConnection, p: Partition, localBrokerId: number, logger: Logger): Promise<void> {
  const [start, end] = await Promise.all([leaderOffset(conn, p, localBrokerId, EARLIEST), leaderOffset(conn, p, localBrokerId, LATEST)]);
  const leo = p.log.logEndOffset;
  if (end < leo) p.truncateTo(end, `leader ${p.leaderId} ends at ${end}`);
  else if (start > leo) p.truncateFullyAndStartAt(start, `leader ${p.leaderId} starts at ${start}`);
  else logger.warn(`${p.name}: fetch offset ${leo} out of range on leader ${p.leaderId} although within [${start}, ${end}]; fetching again`);
}

async function leaderOffset(conn: LeaderConnection, p: Partition, localBrokerId: number, timestamp: bigint): Promise<number> {
  const r = await conn.send(ApiKey.ListOffsets, {
    replicaId: localBrokerId,
    isolationLevel: 0,
    topics: [{ name: p.topic, partitions: [{ partitionIndex: p.partition, currentLeaderEpoch: p.leaderEpoch, timestamp, maxNumOffsets: 1 }] }],
  });
  const e = r.topics[0]?.partitions[0];
  if (e === undefined || e.errorCode !== ErrorCode.NONE) throw new Error(`ListOffsets for ${p.name}: error ${e?.errorCode ?? 'missing partition'}`);
  return Number(e.offset);
}
