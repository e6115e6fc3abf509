// Every API the broker serves is authorized in one place (host-node/server/authorization/): an API
// registered without a rule would be refused on a broker with an authorizer. Adding a handler means adding
// its rule, as Kafka's KafkaApis authorizes it.
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/api.js';
import { registerDefaultHandlers } from '../../host-node/server/handlers/index.js';
import { HandlerRegistry } from '../../host-node/server/registry.js';
import { hasAuthorizationRule } from '../../host-node/server/authorization/index.js';

const NAMES = Object.fromEntries(Object.entries(ApiKey).map(([name, key]) => [key, name]));

describe('authorization rules', () => {
  it('every API of the default handler registry has an authorization rule', () => {
    const registered = registerDefaultHandlers(new HandlerRegistry()).supported().map((a) => a.apiKey);
    expect(registered).toContain(ApiKey.Produce);
    expect(registered.length).toBeGreaterThanOrEqual(30);
    expect(registered.filter((k) => !hasAuthorizationRule(k)).map((k) => NAMES[k])).toEqual([]);
  });

  it('the security APIs have their rules before their handlers are registered', () => {
    const security = [
      ApiKey.SaslHandshake,
      ApiKey.SaslAuthenticate,
      ApiKey.CreateAcls,
      ApiKey.DeleteAcls,
      ApiKey.DescribeAcls,
      ApiKey.DescribeUserScramCredentials,
      ApiKey.AlterUserScramCredentials,
      ApiKey.DescribeClientQuotas,
      ApiKey.AlterClientQuotas,
    ];
    expect(security.filter((k) => !hasAuthorizationRule(k)).map((k) => NAMES[k])).toEqual([]);
  });

  it('an API with no rule is not treated as allowed', () => {
    expect(hasAuthorizationRule(ApiKey.LeaderAndIsr)).toBe(false);
    expect(hasAuthorizationRule(ApiKey.EndTxn)).toBe(false);
  });
});
