// OffsetFetch (api key 9), v0-9: committed offsets of a group (v8+: of several groups). A null topic list
// (v2+) asks for every committed offset; a partition with none gets offset -1, leader epoch -1, metadata "".
// v0-1 carry errors per partition only; v2+ a group-level error; v7+ requireStable (commits become visible
// only once durable and there are no transactional offsets yet, so nothing is ever pending: accepted as is).
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { coordinatorOf } from '../group-services.js';
import type { FetchOffsetsResult } from '../../group/coordinator.js';
import type { ApiHandler } from '../registry.js';
import type { RequestContext } from '../context.js';
import { OffsetFetchApi } from '../../../protocol/generated/offset-fetch.js';

function fetchGroup(ctx: RequestContext<'groupCoordinator'>, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, requireStable: boolean): FetchOffsetsResult {
  const c = coordinatorOf(ctx);
  if (!c) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] };
  return c.fetchOffsets(groupId, topics === null ? null : topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes })), requireStable);
}

export const offsetFetchHandler: ApiHandler<typeof ApiKey.OffsetFetch, 'groupCoordinator'> = {
  api: OffsetFetchApi,
  handle(request, ctx) {
    const v = ctx.apiVersion;
    if (v >= 8) {
      return {
        throttleTimeMs: 0,
        groups: request.groups.map((g) => {
          const r = fetchGroup(ctx, g.groupId, g.topics, request.requireStable);
          return {
            groupId: g.groupId,
            errorCode: r.errorCode,
            topics: r.topics.map((t) => ({
              name: t.name,
              partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, committedOffset: p.offset, committedLeaderEpoch: p.leaderEpoch, metadata: p.metadata, errorCode: p.errorCode })),
            })),
          };
        }),
      };
    }
    const topics = v >= 2 ? request.topics : (request.topics ?? []);
    const r = fetchGroup(ctx, request.groupId, topics, v >= 7 && request.requireStable);
    // v0-1 have no group-level error: it goes on every partition asked for.
    const partitionError = v < 2 ? r.errorCode : undefined;
    const outTopics =
      v < 2 && r.errorCode !== ErrorCode.NONE
        ? (topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partition: p, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: partitionError! })) }))
        : r.topics;
    return {
      throttleTimeMs: 0,
      errorCode: v >= 2 ? r.errorCode : 0,
      topics: outTopics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partition,
          committedOffset: p.offset,
          committedLeaderEpoch: v >= 5 ? p.leaderEpoch : -1,
          metadata: p.metadata,
          errorCode: p.errorCode,
        })),
      })),
    };
  },
};
