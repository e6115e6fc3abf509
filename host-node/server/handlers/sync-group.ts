// SyncGroup (api key 14), v0-5: the leader hands in the assignment, every member gets its own. v3+
// group.instance.id; v5+ protocol type/name checked against the group (INCONSISTENT_GROUP_PROTOCOL).
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { coordinatorOf } from '../group-services.js';
import type { ApiHandler } from '../registry.js';
import { SyncGroupApi } from '../../../protocol/generated/sync-group.js';

export const syncGroupHandler: ApiHandler<typeof ApiKey.SyncGroup, 'groupCoordinator'> = {
  api: SyncGroupApi,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    const c = coordinatorOf(ctx);
    if (!c) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, assignment: new Uint8Array(0) };
    const r = await c.sync({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: v >= 3 ? request.groupInstanceId : null,
      protocolType: v >= 5 ? request.protocolType : null,
      protocolName: v >= 5 ? request.protocolName : null,
      assignments: request.assignments, // copied by the coordinator
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      protocolType: v >= 5 ? r.protocolType : null,
      protocolName: v >= 5 ? r.protocolName : null,
      assignment: r.assignment,
    };
  },
};
