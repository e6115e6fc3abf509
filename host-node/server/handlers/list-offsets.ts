// ListOffsets (api key 2), v0–9.
//
// Per partition, Log.fetchOffsetForTimestamp answers: -2 EARLIEST (log start offset), -1 LATEST (high
// watermark; = last stable offset, no transactions, so both isolation levels get the same answer), -3
// MAX_TIMESTAMP (v7+: the record with the largest timestamp), -4 EARLIEST_LOCAL (v8+: = earliest, nothing is
// tiered), -5 LATEST_TIERED (v9+: -1, nothing is tiered), t >= 0: the first offset whose record timestamp is
// >= t. No such offset → offset -1, timestamp -1 (as Kafka).
// v0 answers with the old-style offsets array (one offset, or none), v1+ with timestamp + offset; leader
// epoch (v4+) is -1 (this broker keeps no leader epochs yet).
//
// In a cluster (a replica manager on the context) only the partition's leader answers (elsewhere
// NOT_LEADER_OR_FOLLOWER), CurrentLeaderEpoch (v4+) is checked as in Fetch, LATEST is the high watermark;
// a follower broker asking (ReplicaId ≥ 0, resetting its log) gets the leader's log end for LATEST.
import type { ListOffsetsResponseListOffsetsPartitionResponseInput, ListOffsetsResponseListOffsetsTopicResponseInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { ApiHandler } from '../registry.js';
import { findLog } from '../data/partitions.js';
import { partitionErrorOf } from '../data/errors.js';
import { ListOffsetsApi } from '../../../protocol/generated/list-offsets.js';
import type { ReplicaManager } from '../../replication/replica-manager.js';

const LATEST_TIERED_TIMESTAMP = -5;

export const listOffsetsHandler: ApiHandler<typeof ApiKey.ListOffsets, 'topicRegistry' | 'log' | 'replicaManager'> = {
  api: ListOffsetsApi,
  handle(request, ctx) {
    const v = ctx.apiVersion;
    const rm = ctx.broker.replicaManager;
    const isolation = rm !== undefined && request.replicaId >= 0 ? 'log_end' : 'high_watermark';
    const topics: ListOffsetsResponseListOffsetsTopicResponseInput[] = [];
    for (const t of request.topics) {
      const partitions: ListOffsetsResponseListOffsetsPartitionResponseInput[] = [];
      for (const p of t.partitions) {
        const fail = (code: number): ListOffsetsResponseListOffsetsPartitionResponseInput =>
          v === 0 ? { partitionIndex: p.partitionIndex, errorCode: code, oldStyleOffsets: [] } : { partitionIndex: p.partitionIndex, errorCode: code, timestamp: -1n, offset: -1n };
        try {
          const refused = rm === undefined ? ErrorCode.NONE : leaderCheck(rm, t.name, p.partitionIndex, p.currentLeaderEpoch);
          if (refused !== ErrorCode.NONE) {
            partitions.push(fail(refused));
            continue;
          }
          const log = findLog(ctx.broker, t.name, p.partitionIndex);
          if (log === undefined) {
            partitions.push(fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
            continue;
          }
          const ts = Number(p.timestamp);
          let found: { offset: number; timestamp: number } | null;
          if (ts === LATEST_TIERED_TIMESTAMP) found = null;
          else if (ts < LATEST_TIERED_TIMESTAMP) {
            partitions.push(fail(ErrorCode.INVALID_REQUEST));
            continue;
          } else found = log.fetchOffsetForTimestamp(ts, isolation);
          if (v === 0) {
            const offsets = found === null ? [] : [BigInt(found.offset)];
            partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, oldStyleOffsets: p.maxNumOffsets > 0 ? offsets : [] });
          } else {
            partitions.push({
              partitionIndex: p.partitionIndex,
              errorCode: ErrorCode.NONE,
              timestamp: BigInt(found?.timestamp ?? -1),
              offset: BigInt(found?.offset ?? -1),
            });
          }
        } catch (e) {
          partitions.push(fail(partitionErrorOf(e, ctx.broker.log, `ListOffsets ${t.name}-${p.partitionIndex}`).code));
        }
      }
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
};

/** In a cluster: NONE when this broker leads the partition at the request's leader epoch (-1: any), else why not. */
function leaderCheck(rm: ReplicaManager, topic: string, partition: number, currentLeaderEpoch: number): number {
  const p = rm.getPartition(topic, partition);
  if (p === undefined || !p.isLeader) return rm.leaderOf(topic, partition) === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NOT_LEADER_OR_FOLLOWER;
  return p.leaderEpochError(currentLeaderEpoch);
}
