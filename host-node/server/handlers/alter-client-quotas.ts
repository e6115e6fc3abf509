// AlterClientQuotas (api key 49), v0-1: sets and removes quota values of user, client-id, user+client-id
// and ip entities, validated as Kafka's ClientQuotaControlManager does, per entity: an empty entity, an
// unknown or repeated entity type, an empty name, ip combined with another type, a key given twice, a key
// the entity type does not have, a byte rate that is not a whole number → INVALID_REQUEST; so is a value
// that is not positive (a quota of 0 or less would block every request). The valid entities are applied
// in one change, unless validateOnly.
import type { AlterClientQuotasRequestEntryData, AlterClientQuotasResponseEntryDataInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { AlterClientQuotasApi } from '../../../protocol/generated/alter-client-quotas.js';
import { isIP } from 'node:net';
import type { ApiHandler } from '../registry.js';
import type { QuotaChange, QuotaEntity, QuotaKey } from '../../security/security-store.js';
import { CLIENT_ID, IP, USER } from './client-quota-entities.js';

/** The keys of user and client-id entities (Kafka's QuotaConfigs), with whether they must be whole numbers. */
const USER_CLIENT_KEYS: ReadonlyMap<string, 'long' | 'double'> = new Map([
  ['producer_byte_rate', 'long'],
  ['consumer_byte_rate', 'long'],
  ['request_percentage', 'double'],
  ['controller_mutation_rate', 'double'],
]);
const IP_KEYS: ReadonlyMap<string, 'long' | 'double'> = new Map([['connection_creation_rate', 'long']]);

type Validated = { readonly entity: QuotaEntity; readonly set: Partial<Record<QuotaKey, number | null>> } | { readonly error: string };

function entityOf(entry: AlterClientQuotasRequestEntryData): QuotaEntity | string {
  if (entry.entity.length === 0) return 'Invalid empty client quota entity';
  const e: { user?: string | null; clientId?: string | null; ip?: string | null } = {};
  for (const { entityType, entityName } of entry.entity) {
    const field = entityType === USER ? 'user' : entityType === CLIENT_ID ? 'clientId' : entityType === IP ? 'ip' : undefined;
    if (field === undefined) return `Unhandled client quota entity type: ${entityType}`;
    if (field in e) return `Invalid empty client quota entity, duplicate entity entry ${entityType}`;
    if (entityName === '') return `Empty ${entityType} not supported`;
    e[field] = entityName;
  }
  if ('ip' in e && ('user' in e || 'clientId' in e)) return 'Invalid empty client quota entity';
  if ('ip' in e && e.ip !== null && isIP(e.ip!) === 0) return `${e.ip} is not a valid IP or resolvable host.`;
  return e;
}

function validate(entry: AlterClientQuotasRequestEntryData): Validated {
  const entity = entityOf(entry);
  if (typeof entity === 'string') return { error: entity };
  const keys = entity.ip !== undefined ? IP_KEYS : USER_CLIENT_KEYS;
  const set: Partial<Record<QuotaKey, number | null>> = {};
  for (const op of entry.ops) {
    if (op.key in set) return { error: `Duplicate quota key ${op.key} not updating quota for this entity` };
    const type = keys.get(op.key);
    if (op.remove) {
      // Removing a key the entity cannot have changes nothing (Kafka skips it too).
      set[op.key as QuotaKey] = null;
      continue;
    }
    if (type === undefined) return { error: `Invalid configuration key ${op.key}` };
    if (!Number.isFinite(op.value) || op.value <= 0) return { error: `Invalid value ${op.value} for configuration ${op.key}: the quota must be greater than 0` };
    if (type === 'long' && Math.abs(Math.trunc(op.value + 1e-6) - op.value) > 1e-6) return { error: `Configuration ${op.key} must be a Long value` };
    set[op.key as QuotaKey] = op.value;
  }
  return { entity, set };
}

/** The same entity whatever the order of its components. */
function entityKey(entry: AlterClientQuotasRequestEntryData): string {
  return JSON.stringify(entry.entity.map((c) => [c.entityType, c.entityName]).sort());
}

export const alterClientQuotasHandler: ApiHandler<typeof ApiKey.AlterClientQuotas, 'securityStore' | 'log'> = {
  api: AlterClientQuotasApi,
  async handle(request, ctx) {
    const results = new Map<string, AlterClientQuotasResponseEntryDataInput>();
    const changes: { key: string; change: QuotaChange }[] = [];
    for (const entry of request.entries) {
      const key = entityKey(entry);
      const base = { entity: entry.entity.map((c) => ({ entityType: c.entityType, entityName: c.entityName })) };
      if (results.has(key)) {
        results.set(key, { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Ignoring duplicate entity ${key}` });
        const i = changes.findIndex((c) => c.key === key);
        if (i >= 0) changes.splice(i, 1);
        continue;
      }
      const v = validate(entry);
      if ('error' in v) {
        results.set(key, { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: v.error });
        continue;
      }
      results.set(key, { ...base, errorCode: ErrorCode.NONE, errorMessage: null });
      changes.push({ key, change: { entity: v.entity, set: v.set } });
    }
    if (!request.validateOnly && changes.length > 0) {
      try {
        await ctx.broker.securityStore.alterQuotas(changes.map((c) => c.change));
      } catch (e) {
        ctx.broker.log.error(`AlterClientQuotas: ${(e as Error).message}`);
        for (const c of changes) results.set(c.key, { ...results.get(c.key)!, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: (e as Error).message });
      }
    }
    return { throttleTimeMs: 0, entries: [...results.values()] };
  },
};
