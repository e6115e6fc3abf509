// Every API's authorization, in one place: the dispatcher asks RequestAuthorization.check() before a handler
// runs (dispatcher.ts: dispatchSecured), and the rule of the request's API asks the authorizer per resource,
// as Kafka's KafkaApis does. A request of an API without a rule closes the connection (no error fits every
// response's shape), never reaching its handler; test/architecture checks that every registered API has one.
import { ApiKey } from '../../../protocol/generated/api.js';
import type { Authorizer } from '../../security/authorizer.js';
import type { RequestAuthorization } from '../context.js';
import { ProtocolError } from '../errors.js';
import { type AuthorizationRule, NOT_AUTHORIZED } from './outcome.js';
import { RequestAuthz } from './request-authz.js';
import * as data from './data-rules.js';
import * as groups from './group-rules.js';
import * as admin from './admin-rules.js';

export type { AuthorizationRule } from './outcome.js';
export { RequestAuthz, subjectOf } from './request-authz.js';

type RuleTable = { readonly [K in ApiKey]?: AuthorizationRule<K> };

/** The rule of each API, by api key (APIs whose handlers come later have theirs already). */
export const AUTHORIZATION_RULES: RuleTable = {
  // Served to anyone: version negotiation and authentication come before any principal is known.
  [ApiKey.ApiVersions]: NOT_AUTHORIZED,
  [ApiKey.SaslHandshake]: NOT_AUTHORIZED,
  [ApiKey.SaslAuthenticate]: NOT_AUTHORIZED,
  // DescribeCluster is served to anyone: DESCRIBE on the cluster only decides its authorized operations
  // (authorized-operations.ts), as in Kafka's AuthHelper.computeDescribeClusterResponse.
  [ApiKey.DescribeCluster]: NOT_AUTHORIZED,

  [ApiKey.Produce]: data.authorizeProduce,
  [ApiKey.Fetch]: data.authorizeFetch,
  [ApiKey.ListOffsets]: data.authorizeListOffsets,
  [ApiKey.DeleteRecords]: data.authorizeDeleteRecords,
  [ApiKey.OffsetForLeaderEpoch]: data.authorizeOffsetForLeaderEpoch,
  [ApiKey.InitProducerId]: data.authorizeInitProducerId,

  [ApiKey.Metadata]: admin.authorizeMetadata,
  [ApiKey.CreateTopics]: admin.authorizeCreateTopics,
  [ApiKey.DeleteTopics]: admin.authorizeDeleteTopics,
  [ApiKey.CreatePartitions]: admin.authorizeCreatePartitions,
  [ApiKey.DescribeConfigs]: admin.authorizeDescribeConfigs,
  [ApiKey.AlterConfigs]: admin.authorizeAlterConfigs,
  [ApiKey.IncrementalAlterConfigs]: admin.authorizeIncrementalAlterConfigs,
  [ApiKey.ElectLeaders]: admin.authorizeElectLeaders,
  [ApiKey.AlterPartitionReassignments]: admin.authorizeAlterPartitionReassignments,
  [ApiKey.ListPartitionReassignments]: admin.authorizeListPartitionReassignments,
  [ApiKey.DescribeLogDirs]: admin.authorizeDescribeLogDirs,
  [ApiKey.DescribeAcls]: admin.authorizeDescribeAcls,
  [ApiKey.CreateAcls]: admin.authorizeCreateAcls,
  [ApiKey.DeleteAcls]: admin.authorizeDeleteAcls,
  [ApiKey.DescribeUserScramCredentials]: admin.authorizeDescribeUserScramCredentials,
  [ApiKey.AlterUserScramCredentials]: admin.authorizeAlterUserScramCredentials,
  [ApiKey.DescribeClientQuotas]: admin.authorizeDescribeClientQuotas,
  [ApiKey.AlterClientQuotas]: admin.authorizeAlterClientQuotas,

  [ApiKey.FindCoordinator]: groups.authorizeFindCoordinator,
  [ApiKey.JoinGroup]: groups.authorizeJoinGroup,
  [ApiKey.SyncGroup]: groups.authorizeSyncGroup,
  [ApiKey.Heartbeat]: groups.authorizeHeartbeat,
  [ApiKey.LeaveGroup]: groups.authorizeLeaveGroup,
  [ApiKey.OffsetCommit]: groups.authorizeOffsetCommit,
  [ApiKey.OffsetFetch]: groups.authorizeOffsetFetch,
  [ApiKey.OffsetDelete]: groups.authorizeOffsetDelete,
  [ApiKey.DescribeGroups]: groups.authorizeDescribeGroups,
  [ApiKey.ListGroups]: groups.authorizeListGroups,
  [ApiKey.DeleteGroups]: groups.authorizeDeleteGroups,
};

/** Whether an API has an authorization rule (the broker refuses what it cannot authorize). */
export function hasAuthorizationRule(apiKey: number): boolean {
  return (AUTHORIZATION_RULES as Record<number, unknown>)[apiKey] !== undefined;
}

/** The dispatcher's authorization over `authorizer`: each request goes through its API's rule. */
export function createRequestAuthorization(authorizer: Authorizer): RequestAuthorization {
  const rules = AUTHORIZATION_RULES as Record<number, AuthorizationRule<ApiKey> | undefined>;
  return {
    check(apiKey, request, ctx) {
      const rule = rules[apiKey];
      if (rule === undefined) throw new ProtocolError(`no authorization rule for api key ${apiKey}: refused`);
      if (rule === NOT_AUTHORIZED) return undefined;
      return rule(request as never, new RequestAuthz(authorizer, ctx.connection), ctx);
    },
  };
}
