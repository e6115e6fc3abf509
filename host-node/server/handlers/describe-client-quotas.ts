// DescribeClientQuotas (api key 48), v0-1: the quota entities matching a filter and their values, as
// Kafka's ClientQuotasImage.describe answers. Each filter component names an entity type and matches its
// name exactly (0), the default entity (1) or any named entity (2); an entity matches when it has every
// filtered type with a matching name, and with `strict` no other type. A malformed filter → INVALID_REQUEST
// for the whole request.
import type { DescribeClientQuotasRequestComponentData, DescribeClientQuotasResponseEntryDataInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { DescribeClientQuotasApi } from '../../../protocol/generated/describe-client-quotas.js';
import type { ApiHandler } from '../registry.js';
import { QUOTA_KEYS, type QuotaEntity } from '../../security/security-store.js';
import { CLIENT_ID, IP, USER, entityComponents, entityNameOf } from './client-quota-entities.js';

const MATCH_EXACT = 0;
const MATCH_DEFAULT = 1;
const MATCH_SPECIFIED = 2;

/** Why the filter is refused, or null. */
function filterError(components: readonly DescribeClientQuotasRequestComponentData[]): string | null {
  const seen = new Set<string>();
  for (const c of components) {
    if (c.entityType !== USER && c.entityType !== CLIENT_ID && c.entityType !== IP) return `Custom entity type ${c.entityType} not supported`;
    if (seen.has(c.entityType)) return `Entity type ${c.entityType} cannot appear more than once in the filter.`;
    seen.add(c.entityType);
    if (c.matchType === MATCH_EXACT) {
      if (c.match === null) return 'Request specified MATCH_TYPE_EXACT, but set match string to null';
    } else if (c.matchType === MATCH_DEFAULT) {
      if (c.match !== null) return 'Request specified MATCH_TYPE_DEFAULT, but also specified a match string';
    } else if (c.matchType === MATCH_SPECIFIED) {
      if (c.match !== null) return 'Request specified MATCH_TYPE_SPECIFIED, but also specified a match string';
    } else return `Unknown match type ${c.matchType}`;
  }
  if (seen.has(IP) && (seen.has(USER) || seen.has(CLIENT_ID)))
    return 'Invalid entity filter component combination, IP filter component should not be used with user or clientId filter component.';
  return null;
}

function matches(entity: QuotaEntity, components: readonly DescribeClientQuotasRequestComponentData[], strict: boolean): boolean {
  if (strict && entityComponents(entity).length !== components.length) return false;
  return components.every((c) => {
    const name = entityNameOf(entity, c.entityType);
    if (name === undefined) return false;
    if (c.matchType === MATCH_EXACT) return name === c.match;
    if (c.matchType === MATCH_DEFAULT) return name === null;
    return name !== null;
  });
}

export const describeClientQuotasHandler: ApiHandler<typeof ApiKey.DescribeClientQuotas, 'securityStore'> = {
  api: DescribeClientQuotasApi,
  handle(request, ctx) {
    const refused = filterError(request.components);
    if (refused !== null) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: refused, entries: null };
    const entries: DescribeClientQuotasResponseEntryDataInput[] = [];
    for (const q of ctx.broker.securityStore.current().quotas) {
      if (!matches(q.entity, request.components, request.strict)) continue;
      const values = QUOTA_KEYS.filter((k) => q.values[k] !== undefined).map((key) => ({ key, value: q.values[key]! }));
      entries.push({ entity: entityComponents(q.entity), values });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries };
  },
};
