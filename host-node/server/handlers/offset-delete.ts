// OffsetDelete (api key 47), v0: deletes committed offsets of a group. For an active consumer group only
// offsets of topics it does not subscribe to (GROUP_SUBSCRIBED_TO_TOPIC otherwise); a non-consumer group
// must be empty (NON_EMPTY_GROUP).
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { coordinatorOf, partitionValidator } from '../group-services.js';
import type { ApiHandler } from '../registry.js';
import { OffsetDeleteApi } from '../../../protocol/generated/offset-delete.js';

export const offsetDeleteHandler: ApiHandler<typeof ApiKey.OffsetDelete, 'groupCoordinator' | 'metadata'> = {
  api: OffsetDeleteApi,
  async handle(request, ctx) {
    const c = coordinatorOf(ctx);
    if (!c) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, throttleTimeMs: 0, topics: [] };
    const r = await c.deleteOffsets(
      request.groupId,
      request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
      partitionValidator(ctx),
    );
    return {
      errorCode: r.errorCode,
      throttleTimeMs: 0,
      topics: r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })) })),
    };
  },
};
