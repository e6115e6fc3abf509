// Heartbeat (api key 12), v0-4: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { coordinatorOf } from '../group-services.js';
import type { ApiHandler } from '../registry.js';
import { HeartbeatApi } from '../../../protocol/generated/heartbeat.js';

export const heartbeatHandler: ApiHandler<typeof ApiKey.Heartbeat, 'groupCoordinator'> = {
  api: HeartbeatApi,
  handle(request, ctx) {
    const c = coordinatorOf(ctx);
    const errorCode = c
      ? c.heartbeat(request.groupId, request.memberId, ctx.apiVersion >= 3 ? request.groupInstanceId : null, request.generationId)
      : ErrorCode.COORDINATOR_NOT_AVAILABLE;
    return { throttleTimeMs: 0, errorCode };
  },
};
