// AlterUserScramCredentials (api key 51), v0: upserts and deletes users' SCRAM credentials, validated as
// Kafka's ScramControlManager does, per user: a user altered twice in one request (two upsertions, two
// deletions, or one of each, whatever the mechanisms) → DUPLICATE_RESOURCE; an empty name or iterations
// outside 4096..16384 → UNACCEPTABLE_CREDENTIAL; an unknown mechanism → UNSUPPORTED_SASL_MECHANISM; deleting
// a credential that does not exist → RESOURCE_NOT_FOUND. The client sends the salted password (it salts
// locally); the broker keeps only the stored and server keys derived from it, as Kafka does.
import type { AlterUserScramCredentialsResponseAlterUserScramCredentialsResultInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { AlterUserScramCredentialsApi } from '../../../protocol/generated/alter-user-scram-credentials.js';
import type { ApiHandler } from '../registry.js';
import type { ScramChange } from '../../security/security-store.js';
import { SCRAM_MAX_ITERATIONS, SCRAM_MIN_ITERATIONS, credentialFromSaltedPassword } from '../../security/scram.js';
import { scramMechanismOf } from './scram-mechanisms.js';

interface ApiError {
  readonly code: number;
  readonly message: string;
}

const DUPLICATE: ApiError = { code: ErrorCode.DUPLICATE_RESOURCE, message: 'A user credential cannot be altered twice in the same request' };

function validateName(name: string, mechanism: number): ApiError | null {
  if (name === '') return { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Username must not be empty' };
  if (scramMechanismOf(mechanism) === undefined) return { code: ErrorCode.UNSUPPORTED_SASL_MECHANISM, message: 'Unknown SCRAM mechanism' };
  return null;
}

export const alterUserScramCredentialsHandler: ApiHandler<typeof ApiKey.AlterUserScramCredentials, 'securityStore' | 'log'> = {
  api: AlterUserScramCredentialsApi,
  async handle(request, ctx) {
    const store = ctx.broker.securityStore;
    const current = store.current().scram;
    const deletions = new Map<string, (typeof request.deletions)[number]>();
    const upsertions = new Map<string, (typeof request.upsertions)[number]>();
    const errors = new Map<string, ApiError>();
    for (const d of request.deletions) {
      if (errors.has(d.name)) continue;
      if (deletions.delete(d.name)) {
        errors.set(d.name, DUPLICATE);
        continue;
      }
      const bad = validateName(d.name, d.mechanism);
      if (bad) errors.set(d.name, bad);
      else if (!current.get(d.name)?.has(scramMechanismOf(d.mechanism)!))
        errors.set(d.name, { code: ErrorCode.RESOURCE_NOT_FOUND, message: 'Attempt to delete a user credential that does not exist' });
      else deletions.set(d.name, d);
    }
    for (const u of request.upsertions) {
      if (errors.has(u.name)) continue;
      if (deletions.delete(u.name) || upsertions.delete(u.name)) {
        errors.set(u.name, DUPLICATE);
        continue;
      }
      const bad = validateName(u.name, u.mechanism);
      if (bad) errors.set(u.name, bad);
      else if (u.iterations < SCRAM_MIN_ITERATIONS) errors.set(u.name, { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Too few iterations' });
      else if (u.iterations > SCRAM_MAX_ITERATIONS) errors.set(u.name, { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Too many iterations' });
      else upsertions.set(u.name, u);
    }

    const changes: ScramChange[] = [];
    for (const d of deletions.values()) changes.push({ user: d.name, mechanism: scramMechanismOf(d.mechanism)!, credential: null });
    for (const u of upsertions.values()) {
      const mechanism = scramMechanismOf(u.mechanism)!;
      changes.push({ user: u.name, mechanism, credential: credentialFromSaltedPassword(mechanism, u.salt, u.saltedPassword, u.iterations) });
    }
    let failure: ApiError | null = null;
    if (changes.length > 0) {
      try {
        await store.alterScram(changes);
      } catch (e) {
        ctx.broker.log.error(`AlterUserScramCredentials: ${(e as Error).message}`);
        failure = { code: ErrorCode.UNKNOWN_SERVER_ERROR, message: (e as Error).message };
      }
    }
    const results: AlterUserScramCredentialsResponseAlterUserScramCredentialsResultInput[] = [];
    for (const user of [...deletions.keys(), ...upsertions.keys()])
      results.push({ user, errorCode: failure?.code ?? ErrorCode.NONE, errorMessage: failure?.message ?? null });
    for (const [user, e] of errors) results.push({ user, errorCode: e.code, errorMessage: e.message });
    return { throttleTimeMs: 0, results };
  },
};
