// DescribeGroups (api key 15), v0-5: state, protocol and members of each group. Member metadata and
// assignments (and the protocol name) only in the Stable state, as Kafka. An unknown group is reported as
// state Dead with no error. v3+ authorized operations of each group answered without error (the principal's,
// authorized-operations.ts; no authorizer: READ, DESCRIBE, DELETE); v4+ member group.instance.id.
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { coordinatorOf } from '../group-services.js';
import { groupAuthorizedOperations, OPERATIONS_NOT_REQUESTED } from '../authorized-operations.js';
import type { ApiHandler } from '../registry.js';
import { DescribeGroupsApi } from '../../../protocol/generated/describe-groups.js';

export const describeGroupsHandler: ApiHandler<typeof ApiKey.DescribeGroups, 'groupCoordinator' | 'authorizer'> = {
  api: DescribeGroupsApi,
  handle(request, ctx) {
    const v = ctx.apiVersion;
    const c = coordinatorOf(ctx);
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((groupId) => {
        const d = c
          ? c.describe(groupId)
          : { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
        return {
          errorCode: d.errorCode,
          groupId,
          groupState: d.groupState,
          protocolType: d.protocolType,
          protocolData: d.protocolData,
          members: d.members.map((m) => ({ ...m, groupInstanceId: v >= 4 ? m.groupInstanceId : null })),
          authorizedOperations:
            v >= 3 && request.includeAuthorizedOperations && d.errorCode === ErrorCode.NONE ? groupAuthorizedOperations(ctx, groupId) : OPERATIONS_NOT_REQUESTED,
        };
      }),
    };
  },
};
