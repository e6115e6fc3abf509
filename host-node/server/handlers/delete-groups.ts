// DeleteGroups (api key 42), v0-2: removes empty groups (NON_EMPTY_GROUP while members are in it,
// GROUP_ID_NOT_FOUND if unknown) with tombstones for their offsets and metadata in __consumer_offsets.
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { coordinatorOf } from '../group-services.js';
import type { ApiHandler } from '../registry.js';
import { DeleteGroupsApi } from '../../../protocol/generated/delete-groups.js';

export const deleteGroupsHandler: ApiHandler<typeof ApiKey.DeleteGroups, 'groupCoordinator'> = {
  api: DeleteGroupsApi,
  async handle(request, ctx) {
    const c = coordinatorOf(ctx);
    const results = c ? await c.deleteGroups(request.groupsNames) : request.groupsNames.map((groupId) => ({ groupId, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }));
    return { throttleTimeMs: 0, results };
  },
};
