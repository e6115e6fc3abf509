// JoinGroup (api key 11), v0-9: the join phase of a classic rebalance (host-node/group/coordinator.ts).
// v0 has no rebalance timeout (the session timeout is used); v4+ new members first get MEMBER_ID_REQUIRED
// with their member id (KIP-394); v5+ group.instance.id (static membership, KIP-345); v7+ protocol type in
// the response; v9 skipAssignment for a static leader that rejoins (KIP-814). The response waits for the
// rebalance to complete (up to the rebalance timeout).
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { clientHostOf, coordinatorOf } from '../group-services.js';
import type { JoinResult } from '../../group/member.js';
import type { ApiHandler } from '../registry.js';
import { JoinGroupApi } from '../../../protocol/generated/join-group.js';

export const joinGroupHandler: ApiHandler<typeof ApiKey.JoinGroup, 'groupCoordinator'> = {
  api: JoinGroupApi,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    const c = coordinatorOf(ctx);
    const r: JoinResult = c
      ? await c.join({
          groupId: request.groupId,
          memberId: request.memberId,
          groupInstanceId: v >= 5 ? request.groupInstanceId : null,
          requireKnownMemberId: v >= 4,
          supportsSkipAssignment: v >= 9,
          clientId: ctx.clientId ?? '',
          clientHost: clientHostOf(ctx),
          rebalanceTimeoutMs: v >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
          sessionTimeoutMs: request.sessionTimeoutMs,
          protocolType: request.protocolType,
          // Request bytes are views into the frame: keep copies.
          protocols: request.protocols.map((p) => ({ name: p.name, metadata: p.metadata.slice() })),
          reason: request.reason,
        })
      : { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId: request.memberId, members: [], skipAssignment: false };
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      generationId: r.generationId,
      protocolType: v >= 7 ? r.protocolType : null,
      protocolName: v >= 7 ? r.protocolName : (r.protocolName ?? ''),
      leader: r.leader,
      skipAssignment: v >= 9 ? r.skipAssignment : false,
      memberId: r.memberId,
      members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: v >= 5 ? m.groupInstanceId : null, metadata: m.metadata })),
    };
  },
};
