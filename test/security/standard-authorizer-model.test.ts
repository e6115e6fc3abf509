// The authorizer's index (literal map, wildcard, prefix lengths) decides exactly as a plain scan of every
// ACL with Kafka's rules would, over random ACL sets and random checks. Every trial prints its seed;
// RIVULET_SEED=<n> replays one.
import { describe, expect, it } from 'vitest';
import { AclOperation as Op, AclPermissionType as Perm, PatternType as Pat, ResourceType as Res, type AclBinding, type AuthzAction } from '../../host-node/security/acl.js';
import { InMemorySecurityStore } from '../../host-node/security/security-store.js';
import { StandardAuthorizer } from '../../host-node/security/standard-authorizer.js';
import { mulberry32 } from '../helpers/seeded-random.js';

const NAMES = ['a', 'ab', 'abc', 'abd', 'b', 'ba', '*', '*a', 'abcdef'];
const PRINCIPALS = ['User:alice', 'User:bob', 'User:*', 'Group:alice'];
const HOSTS = ['*', '10.0.0.1', '10.0.0.2'];
const OPS = [Op.ALL, Op.READ, Op.WRITE, Op.CREATE, Op.DELETE, Op.ALTER, Op.DESCRIBE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS, Op.IDEMPOTENT_WRITE];
const TYPES = [Res.TOPIC, Res.GROUP, Res.TRANSACTIONAL_ID];

/** Kafka's rules, written as a scan over every ACL (no index). */
function reference(acls: readonly AclBinding[], principal: string, host: string, a: AuthzAction, allowEveryone: boolean): boolean {
  let named = false;
  let allowed = false;
  for (const acl of acls) {
    const p = acl.pattern;
    if (p.resourceType !== a.resourceType) continue;
    const matches = p.patternType === Pat.LITERAL ? p.name === a.resourceName || p.name === '*' : p.patternType === Pat.PREFIXED && a.resourceName.startsWith(p.name);
    if (!matches) continue;
    named = true;
    const e = acl.entry;
    if (e.principal !== principal && e.principal !== 'User:*') continue;
    if (e.host !== '*' && e.host !== host) continue;
    const allow = e.permissionType === Perm.ALLOW;
    let opMatches = e.operation === Op.ALL || e.operation === a.operation;
    if (!opMatches && allow && a.operation === Op.DESCRIBE) opMatches = [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER].includes(e.operation as never);
    if (!opMatches && allow && a.operation === Op.DESCRIBE_CONFIGS) opMatches = e.operation === Op.ALTER_CONFIGS;
    if (!opMatches) continue;
    if (!allow) return false;
    allowed = true;
  }
  return allowed || (!named && allowEveryone);
}

describe('StandardAuthorizer against a scan of every ACL', () => {
  const seeds = process.env.RIVULET_SEED ? [Number(process.env.RIVULET_SEED)] : Array.from({ length: 20 }, (_, i) => (Date.now() + i * 7919) >>> 0);
  it.each(seeds)('seed %i', (seed) => {
    console.log(`authorizer model seed ${seed}`);
    const rnd = mulberry32(seed);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const acls: AclBinding[] = [];
    const count = 1 + Math.floor(rnd() * 30);
    for (let i = 0; i < count; i++) {
      acls.push({
        pattern: { resourceType: pick(TYPES), name: pick(NAMES), patternType: rnd() < 0.5 ? Pat.LITERAL : Pat.PREFIXED },
        entry: { principal: pick(PRINCIPALS), host: pick(HOSTS), operation: pick(OPS), permissionType: rnd() < 0.3 ? Perm.DENY : Perm.ALLOW },
      });
    }
    const allowEveryone = rnd() < 0.5;
    const store = new InMemorySecurityStore({ acls, scram: new Map(), quotas: [] });
    const authorizer = new StandardAuthorizer(store, { allowEveryoneIfNoAclFound: allowEveryone });
    for (let i = 0; i < 300; i++) {
      const principal = pick(['User:alice', 'User:bob', 'User:carol']);
      const host = pick(['10.0.0.1', '10.0.0.2']);
      const action: AuthzAction = { resourceType: pick(TYPES), resourceName: pick([...NAMES, 'abcde', 'zzz', 'a*']), operation: pick(OPS.filter((o) => o !== Op.ALL)) };
      const [principalType, principalName] = principal.split(':') as [string, string];
      const got = authorizer.authorize({ principal: { principalType, name: principalName }, host }, [action])[0];
      expect(got, `seed ${seed}: ${principal}@${host} ${JSON.stringify(action)}`).toBe(reference(acls, principal, host, action, allowEveryone));
    }
  });
});
