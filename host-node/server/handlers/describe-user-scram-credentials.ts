// DescribeUserScramCredentials (api key 50), v0: the SCRAM mechanisms and iterations each user has (never
// the credential itself), as Kafka's ScramImage.describe answers: no users (null or empty) = every user
// with a credential; a user without any → RESOURCE_NOT_FOUND; a user named twice → DUPLICATE_RESOURCE.
import type { DescribeUserScramCredentialsResponseDescribeUserScramCredentialsResultInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { DescribeUserScramCredentialsApi } from '../../../protocol/generated/describe-user-scram-credentials.js';
import type { ApiHandler } from '../registry.js';
import { SCRAM_MECHANISMS } from '../../security/security-store.js';
import { scramMechanismType } from './scram-mechanisms.js';

export const describeUserScramCredentialsHandler: ApiHandler<typeof ApiKey.DescribeUserScramCredentials, 'securityStore'> = {
  api: DescribeUserScramCredentialsApi,
  handle(request, ctx) {
    const scram = ctx.broker.securityStore.current().scram;
    // user → named more than once
    const users = new Map<string, boolean>();
    if (request.users === null || request.users.length === 0) for (const u of [...scram.keys()].sort()) users.set(u, false);
    else for (const u of request.users) users.set(u.name, users.has(u.name));
    const results: DescribeUserScramCredentialsResponseDescribeUserScramCredentialsResultInput[] = [];
    for (const [user, duplicate] of users) {
      if (duplicate) {
        results.push({ user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] });
        continue;
      }
      const byMech = scram.get(user);
      if (byMech === undefined || byMech.size === 0) {
        results.push({ user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] });
        continue;
      }
      const credentialInfos = SCRAM_MECHANISMS.filter((m) => byMech.has(m)).map((m) => ({ mechanism: scramMechanismType(m), iterations: byMech.get(m)!.iterations }));
      results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
};
