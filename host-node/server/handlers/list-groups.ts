// ListGroups (api key 16), v0-5: every group this coordinator has; v4+ filter by state (case-insensitive)
// and report it; v5+ filter by type (all of ours are "classic") and report it.
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { coordinatorOf } from '../group-services.js';
import type { ApiHandler } from '../registry.js';
import { ListGroupsApi } from '../../../protocol/generated/list-groups.js';

export const listGroupsHandler: ApiHandler<typeof ApiKey.ListGroups, 'groupCoordinator'> = {
  api: ListGroupsApi,
  handle(request, ctx) {
    const v = ctx.apiVersion;
    const c = coordinatorOf(ctx);
    if (!c) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const r = c.list(v >= 4 ? request.statesFilter : [], v >= 5 ? request.typesFilter : []);
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      groups: r.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: v >= 4 ? g.groupState : '', groupType: v >= 5 ? g.groupType : '' })),
    };
  },
};
