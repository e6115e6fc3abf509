// OffsetCommit (api key 8), v0-9. Generation -1 with an empty member id is a standalone commit (a consumer
// that only stores offsets; allowed while the group has no members). Otherwise the member and generation
// must be current (UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION / REBALANCE_IN_PROGRESS / FENCED_INSTANCE_ID).
// v1: per-partition commit timestamp; v2-4: retention time; v6+: leader epoch; v7+: group.instance.id.
// The response is sent once the records are durable in __consumer_offsets.
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { coordinatorOf, partitionValidator } from '../group-services.js';
import type { ApiHandler } from '../registry.js';
import { OffsetCommitApi } from '../../../protocol/generated/offset-commit.js';

export const offsetCommitHandler: ApiHandler<typeof ApiKey.OffsetCommit, 'groupCoordinator' | 'metadata'> = {
  api: OffsetCommitApi,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    const c = coordinatorOf(ctx);
    if (!c)
      return {
        throttleTimeMs: 0,
        topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE })) })),
      };
    const result = await c.commitOffsets(
      {
        groupId: request.groupId,
        generationId: v >= 1 ? request.generationIdOrMemberEpoch : -1,
        memberId: v >= 1 ? request.memberId : '',
        groupInstanceId: v >= 7 ? request.groupInstanceId : null,
        retentionTimeMs: v >= 2 && v <= 4 ? Number(request.retentionTimeMs) : -1,
        topics: request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partition: p.partitionIndex,
            offset: p.committedOffset,
            leaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
            metadata: p.committedMetadata,
            commitTimestamp: v === 1 ? Number(p.commitTimestamp) : -1,
          })),
        })),
      },
      partitionValidator(ctx),
    );
    return { throttleTimeMs: 0, topics: result.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })) })) };
  },
};
