// LeaveGroup (api key 13), v0-5: v0-2 one member id; v3+ a batch of members, each by member id or by
// group.instance.id (an empty member id: "whoever holds this instance id", used by admin tools).
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { coordinatorOf } from '../group-services.js';
import type { ApiHandler } from '../registry.js';
import { LeaveGroupApi } from '../../../protocol/generated/leave-group.js';

export const leaveGroupHandler: ApiHandler<typeof ApiKey.LeaveGroup, 'groupCoordinator'> = {
  api: LeaveGroupApi,
  handle(request, ctx) {
    const v = ctx.apiVersion;
    const c = coordinatorOf(ctx);
    const members = v >= 3 ? request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: m.reason })) : [{ memberId: request.memberId, groupInstanceId: null }];
    const r = c ? c.leave(request.groupId, members) : { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    if (v < 3) {
      // One member: its error is the response's error.
      const errorCode = r.errorCode !== ErrorCode.NONE ? r.errorCode : (r.members[0]?.errorCode ?? ErrorCode.NONE);
      return { throttleTimeMs: 0, errorCode };
    }
    return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
  },
};
