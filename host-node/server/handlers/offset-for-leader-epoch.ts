// OffsetForLeaderEpoch (api key 23), v0–4: for each partition, the end offset of a leader epoch — the
// start of the next higher epoch, or the log end for the latest one; (-1, -1) for an epoch the log does
// not know (Kafka's LeaderEpochFileCache.endOffsetFor). Followers use it to find where their log parts
// from the leader's (KIP-101); librdkafka and the Java consumer to detect truncation after a leader change
// (KIP-320).
//
// CurrentLeaderEpoch (v2+, -1 = unchecked) is fenced as in Fetch: older than the leader's →
// FENCED_LEADER_EPOCH, newer → UNKNOWN_LEADER_EPOCH. In a cluster the partition's leader answers
// consumers (elsewhere NOT_LEADER_OR_FOLLOWER), and any replica answers a broker (ReplicaId ≥ 0, v3+).
// A single broker leads every partition at epoch 0 (what Metadata reports): a log whose batches carry no
// leader epochs answers epoch 0 with its log end.
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { OffsetForLeaderEpochRequestOffsetForLeaderPartition, OffsetForLeaderEpochResponseEpochEndOffsetInput } from '../../../protocol/generated/index.js';
import { OffsetForLeaderEpochApi } from '../../../protocol/generated/offset-for-leader-epoch.js';
import type { ReplicaLog, EpochEndOffset } from '../../replication/types.js';
import type { ReplicaManager } from '../../replication/replica-manager.js';
import type { RequestContext } from '../context.js';
import type { ApiHandler } from '../registry.js';
import { findLog } from '../data/partitions.js';
import { partitionErrorOf } from '../data/errors.js';

/** The leader epoch of every partition of a single broker (Metadata says 0). */
const SINGLE_BROKER_EPOCH = 0;
const UNDEFINED: EpochEndOffset = { leaderEpoch: -1, endOffset: -1 };

type Services = 'topicRegistry' | 'log' | 'replicaManager';
type PartitionResult = OffsetForLeaderEpochResponseEpochEndOffsetInput;

export const offsetForLeaderEpochHandler: ApiHandler<typeof ApiKey.OffsetForLeaderEpoch, Services> = {
  api: OffsetForLeaderEpochApi,
  handle(request, ctx) {
    const fromReplica = ctx.apiVersion >= 3 && request.replicaId >= 0;
    const topics = request.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p): PartitionResult => {
        try {
          return answer(ctx, t.topic, p, fromReplica);
        } catch (e) {
          return result(p.partition, partitionErrorOf(e, ctx.broker.log, `OffsetForLeaderEpoch ${t.topic}-${p.partition}`).code, UNDEFINED);
        }
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
};

function answer(ctx: RequestContext<Services>, topic: string, p: OffsetForLeaderEpochRequestOffsetForLeaderPartition, fromReplica: boolean): PartitionResult {
  const rm = ctx.broker.replicaManager;
  if (rm !== undefined) return answerReplicated(rm, topic, p, fromReplica);
  const log = findLog(ctx.broker, topic, p.partition);
  if (log === undefined) return result(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, UNDEFINED);
  // Epoch 0 is the oldest there is, so nothing is fenced here; a newer one is from a cluster this broker is not in.
  if (p.currentLeaderEpoch > SINGLE_BROKER_EPOCH) return result(p.partition, ErrorCode.UNKNOWN_LEADER_EPOCH, UNDEFINED);
  return result(p.partition, ErrorCode.NONE, singleBrokerEndOffset(log, p.leaderEpoch));
}

/** A single broker's log: its epoch cache when batches were stamped, else the whole log is epoch 0. */
function singleBrokerEndOffset(log: ReplicaLog, epoch: number): EpochEndOffset {
  if (log.latestEpoch >= 0) return log.endOffsetForEpoch(epoch);
  return epoch === SINGLE_BROKER_EPOCH ? { leaderEpoch: SINGLE_BROKER_EPOCH, endOffset: log.logEndOffset } : UNDEFINED;
}

function answerReplicated(rm: ReplicaManager, topic: string, p: OffsetForLeaderEpochRequestOffsetForLeaderPartition, fromReplica: boolean): PartitionResult {
  const partition = rm.getPartition(topic, p.partition);
  if (partition === undefined || partition.isStopped) {
    const known = rm.leaderOf(topic, p.partition) !== undefined;
    return result(p.partition, known ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, UNDEFINED);
  }
  if (!fromReplica && !partition.isLeader) return result(p.partition, ErrorCode.NOT_LEADER_OR_FOLLOWER, UNDEFINED);
  const epochError = partition.leaderEpochError(p.currentLeaderEpoch);
  if (epochError !== ErrorCode.NONE) return result(p.partition, epochError, UNDEFINED);
  return result(p.partition, ErrorCode.NONE, partition.log.endOffsetForEpoch(p.leaderEpoch));
}

function result(partition: number, errorCode: number, e: EpochEndOffset): PartitionResult {
  return { partition, errorCode, leaderEpoch: e.leaderEpoch, endOffset: BigInt(e.endOffset) };
}
