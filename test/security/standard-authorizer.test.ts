// The built-in authorizer decides as Kafka's StandardAuthorizer does. Each case sets up ACLs the way
// kafka-acls.sh would write them and states what Kafka answers (the rules of Kafka's AuthorizerTest /
// StandardAuthorizerTest: deny wins, User:* and host *, literal / wildcard / prefixed patterns, implied
// operations for ALLOW only, super users, allow.everyone.if.no.acl.found).
import { describe, expect, it } from 'vitest';
import { AclOperation as Op, AclPermissionType as Perm, PatternType as Pat, ResourceType as Res, type AclBinding, type AclBindingFilter } from '../../host-node/security/acl.js';
import { InMemorySecurityStore } from '../../host-node/security/security-store.js';
import { StandardAuthorizer, parseSuperUsers } from '../../host-node/security/standard-authorizer.js';
import { userPrincipal, type KafkaPrincipal } from '../../host-node/security/principal.js';
import { ErrorCode } from '../../protocol/errors.js';
import { BrokerConfig } from '../../host-node/config/index.js';

type OpName = keyof typeof Op;
type ResName = 'TOPIC' | 'GROUP' | 'CLUSTER' | 'TRANSACTIONAL_ID';

/** An ACL as kafka-acls.sh --add would store it: `allow alice * READ TOPIC orders LITERAL`. */
function acl(perm: 'allow' | 'deny', principal: string, host: string, op: OpName, type: ResName, name: string, pattern: 'LITERAL' | 'PREFIXED' = 'LITERAL'): AclBinding {
  return {
    pattern: { resourceType: Res[type], name, patternType: Pat[pattern] },
    entry: { principal, host, operation: Op[op], permissionType: perm === 'allow' ? Perm.ALLOW : Perm.DENY },
  };
}

interface Case {
  readonly name: string;
  readonly acls: readonly AclBinding[];
  readonly superUsers?: string;
  readonly allowEveryone?: boolean;
  /** [principal, host, operation, resource type, resource name, expected]. */
  readonly checks: readonly [string, string, OpName, ResName, string, boolean][];
}

const ALICE = 'User:alice';
const BOB = 'User:bob';
const H1 = '10.0.0.1';
const H2 = '10.0.0.2';

const CASES: Case[] = [
  {
    name: 'no ACLs: denied unless allow.everyone.if.no.acl.found',
    acls: [],
    checks: [
      [ALICE, H1, 'READ', 'TOPIC', 'orders', false],
      [ALICE, H1, 'CLUSTER_ACTION', 'CLUSTER', 'kafka-cluster', false],
    ],
  },
  {
    name: 'no ACLs with allow.everyone.if.no.acl.found=true: allowed',
    acls: [],
    allowEveryone: true,
    checks: [
      [ALICE, H1, 'READ', 'TOPIC', 'orders', true],
      [ALICE, H1, 'WRITE', 'TRANSACTIONAL_ID', 'tx-1', true],
    ],
  },
  {
    name: 'allow.everyone applies only to resources no ACL names',
    acls: [acl('allow', BOB, '*', 'READ', 'TOPIC', 'orders')],
    allowEveryone: true,
    checks: [
      [BOB, H1, 'READ', 'TOPIC', 'orders', true],
      [ALICE, H1, 'READ', 'TOPIC', 'orders', false],
      [BOB, H1, 'WRITE', 'TOPIC', 'orders', false],
      [ALICE, H1, 'READ', 'TOPIC', 'payments', true],
      [ALICE, H1, 'READ', 'GROUP', 'g', true],
    ],
  },
  {
    name: 'allow.everyone: a prefixed or wildcard ACL names the resource too',
    acls: [acl('allow', BOB, '*', 'READ', 'TOPIC', 'ord', 'PREFIXED'), acl('allow', BOB, '*', 'READ', 'GROUP', '*')],
    allowEveryone: true,
    checks: [
      [ALICE, H1, 'READ', 'TOPIC', 'orders', false],
      [ALICE, H1, 'READ', 'TOPIC', 'payments', true],
      [ALICE, H1, 'READ', 'GROUP', 'anything', false],
    ],
  },
  {
    name: 'literal topic ACL: exact name, principal and operation',
    acls: [acl('allow', ALICE, '*', 'READ', 'TOPIC', 'orders')],
    checks: [
      [ALICE, H1, 'READ', 'TOPIC', 'orders', true],
      [ALICE, H1, 'READ', 'TOPIC', 'orders2', false],
      [ALICE, H1, 'READ', 'TOPIC', 'order', false],
      [ALICE, H1, 'WRITE', 'TOPIC', 'orders', false],
      [BOB, H1, 'READ', 'TOPIC', 'orders', false],
      [ALICE, H1, 'READ', 'GROUP', 'orders', false],
    ],
  },
  {
    name: 'implied operations: READ/WRITE/DELETE/ALTER allow DESCRIBE, ALTER_CONFIGS allows DESCRIBE_CONFIGS',
    acls: [
      acl('allow', ALICE, '*', 'READ', 'TOPIC', 't-read'),
      acl('allow', ALICE, '*', 'WRITE', 'TOPIC', 't-write'),
      acl('allow', ALICE, '*', 'DELETE', 'TOPIC', 't-delete'),
      acl('allow', ALICE, '*', 'ALTER', 'TOPIC', 't-alter'),
      acl('allow', ALICE, '*', 'CREATE', 'TOPIC', 't-create'),
      acl('allow', ALICE, '*', 'ALTER_CONFIGS', 'TOPIC', 't-alter-configs'),
      acl('allow', ALICE, '*', 'DESCRIBE', 'TOPIC', 't-describe'),
    ],
    checks: [
      [ALICE, H1, 'DESCRIBE', 'TOPIC', 't-read', true],
      [ALICE, H1, 'DESCRIBE', 'TOPIC', 't-write', true],
      [ALICE, H1, 'DESCRIBE', 'TOPIC', 't-delete', true],
      [ALICE, H1, 'DESCRIBE', 'TOPIC', 't-alter', true],
      [ALICE, H1, 'DESCRIBE', 'TOPIC', 't-create', false],
      [ALICE, H1, 'DESCRIBE', 'TOPIC', 't-alter-configs', false],
      [ALICE, H1, 'DESCRIBE_CONFIGS', 'TOPIC', 't-alter-configs', true],
      [ALICE, H1, 'DESCRIBE_CONFIGS', 'TOPIC', 't-read', false],
      [ALICE, H1, 'READ', 'TOPIC', 't-describe', false],
      [ALICE, H1, 'ALTER_CONFIGS', 'TOPIC', 't-describe', false],
      [ALICE, H1, 'WRITE', 'TOPIC', 't-read', false],
    ],
  },
  {
    name: 'ALL allows every operation',
    acls: [acl('allow', ALICE, '*', 'ALL', 'TOPIC', 'orders'), acl('allow', ALICE, '*', 'ALL', 'CLUSTER', 'kafka-cluster')],
    checks: [
      [ALICE, H1, 'READ', 'TOPIC', 'orders', true],
      [ALICE, H1, 'WRITE', 'TOPIC', 'orders', true],
      [ALICE, H1, 'DESCRIBE_CONFIGS', 'TOPIC', 'orders', true],
      [ALICE, H1, 'CLUSTER_ACTION', 'CLUSTER', 'kafka-cluster', true],
      [ALICE, H1, 'IDEMPOTENT_WRITE', 'CLUSTER', 'kafka-cluster', true],
      [BOB, H1, 'READ', 'TOPIC', 'orders', false],
    ],
  },
  {
    name: 'deny wins over allow (same resource, wildcard and prefixed allows)',
    acls: [
      acl('allow', ALICE, '*', 'READ', 'TOPIC', 'orders'),
      acl('allow', 'User:*', '*', 'ALL', 'TOPIC', '*'),
      acl('allow', ALICE, '*', 'READ', 'TOPIC', 'ord', 'PREFIXED'),
      acl('deny', ALICE, '*', 'READ', 'TOPIC', 'orders'),
    ],
    checks: [
      [ALICE, H1, 'READ', 'TOPIC', 'orders', false],
      [ALICE, H1, 'READ', 'TOPIC', 'ordinal', true],
      [BOB, H1, 'READ', 'TOPIC', 'orders', true],
      // A DENY of READ does not deny DESCRIBE: implication is for ALLOW ACLs only.
      [ALICE, H1, 'DESCRIBE', 'TOPIC', 'orders', true],
    ],
  },
  {
    name: 'deny of ALL denies everything; wildcard deny covers every name',
    acls: [
      acl('allow', ALICE, '*', 'ALL', 'TOPIC', '*'),
      acl('deny', ALICE, '*', 'ALL', 'TOPIC', 'secret'),
      acl('allow', 'User:*', '*', 'READ', 'GROUP', 'g1'),
      acl('deny', BOB, '*', 'READ', 'GROUP', '*'),
    ],
    checks: [
      [ALICE, H1, 'READ', 'TOPIC', 'secret', false],
      [ALICE, H1, 'DESCRIBE', 'TOPIC', 'secret', false],
      [ALICE, H1, 'ALTER_CONFIGS', 'TOPIC', 'secret', false],
      [ALICE, H1, 'READ', 'TOPIC', 'public', true],
      [ALICE, H1, 'READ', 'GROUP', 'g1', true],
      [BOB, H1, 'READ', 'GROUP', 'g1', false],
      [BOB, H1, 'DESCRIBE', 'GROUP', 'g1', true],
    ],
  },
  {
    name: 'deny of User:* overrides a principal allow',
    acls: [acl('allow', ALICE, '*', 'WRITE', 'TOPIC', 'orders'), acl('deny', 'User:*', '*', 'WRITE', 'TOPIC', 'orders')],
    checks: [
      [ALICE, H1, 'WRITE', 'TOPIC', 'orders', false],
      [BOB, H1, 'WRITE', 'TOPIC', 'orders', false],
    ],
  },
  {
    name: 'prefixed patterns: every prefix of the name, not the other way round',
    acls: [
      acl('allow', ALICE, '*', 'WRITE', 'TOPIC', 'team-a.', 'PREFIXED'),
      acl('allow', ALICE, '*', 'WRITE', 'TOPIC', 't', 'PREFIXED'),
      acl('deny', ALICE, '*', 'WRITE', 'TOPIC', 'team-a.secret', 'PREFIXED'),
      acl('allow', BOB, '*', 'READ', 'GROUP', 'app-', 'PREFIXED'),
    ],
    checks: [
      [ALICE, H1, 'WRITE', 'TOPIC', 'team-a.orders', true],
      [ALICE, H1, 'WRITE', 'TOPIC', 'team-b', true],
      [ALICE, H1, 'WRITE', 'TOPIC', 'other', false],
      [ALICE, H1, 'WRITE', 'TOPIC', 'team-a.secret', false],
      [ALICE, H1, 'WRITE', 'TOPIC', 'team-a.secrets-2', false],
      [BOB, H1, 'READ', 'GROUP', 'app-1', true],
      [BOB, H1, 'READ', 'GROUP', 'app-', true],
      [BOB, H1, 'READ', 'GROUP', 'app', false],
      [BOB, H1, 'READ', 'GROUP', 'my-app-1', false],
    ],
  },
  {
    name: 'a literal ACL named like a prefix matches only that name; a literal "*" is the wildcard, a prefixed "*" is not',
    acls: [acl('allow', ALICE, '*', 'READ', 'TOPIC', 'ord'), acl('allow', BOB, '*', 'READ', 'TOPIC', '*', 'PREFIXED')],
    checks: [
      [ALICE, H1, 'READ', 'TOPIC', 'ord', true],
      [ALICE, H1, 'READ', 'TOPIC', 'orders', false],
      [BOB, H1, 'READ', 'TOPIC', 'orders', false],
      [BOB, H1, 'READ', 'TOPIC', '*x', true],
    ],
  },
  {
    name: 'hosts: exact address or *',
    acls: [acl('allow', ALICE, H1, 'READ', 'TOPIC', 'orders'), acl('allow', BOB, '*', 'READ', 'TOPIC', 'orders'), acl('deny', BOB, H2, 'READ', 'TOPIC', 'orders')],
    checks: [
      [ALICE, H1, 'READ', 'TOPIC', 'orders', true],
      [ALICE, H2, 'READ', 'TOPIC', 'orders', false],
      [ALICE, `::ffff:${H1}`, 'READ', 'TOPIC', 'orders', true],
      [BOB, H1, 'READ', 'TOPIC', 'orders', true],
      [BOB, H2, 'READ', 'TOPIC', 'orders', false],
    ],
  },
  {
    name: 'principals: exact type and name, or User:*',
    acls: [acl('allow', 'User:*', '*', 'READ', 'TOPIC', 'public'), acl('allow', 'Group:admins', '*', 'READ', 'TOPIC', 'admin'), acl('allow', 'User:Alice', '*', 'READ', 'TOPIC', 'case')],
    checks: [
      [ALICE, H1, 'READ', 'TOPIC', 'public', true],
      ['User:ANONYMOUS', H1, 'READ', 'TOPIC', 'public', true],
      ['User:admins', H1, 'READ', 'TOPIC', 'admin', false],
      [ALICE, H1, 'READ', 'TOPIC', 'case', false],
    ],
  },
  {
    name: 'cluster and transactional id resources (the --producer --idempotent --transactional-id ACLs)',
    acls: [
      acl('allow', ALICE, '*', 'IDEMPOTENT_WRITE', 'CLUSTER', 'kafka-cluster'),
      acl('allow', ALICE, '*', 'WRITE', 'TRANSACTIONAL_ID', 'tx-'),
      acl('allow', ALICE, '*', 'DESCRIBE', 'TRANSACTIONAL_ID', 'tx-'),
      acl('allow', BOB, '*', 'ALL', 'TRANSACTIONAL_ID', 'bob-', 'PREFIXED'),
    ],
    checks: [
      [ALICE, H1, 'IDEMPOTENT_WRITE', 'CLUSTER', 'kafka-cluster', true],
      [ALICE, H1, 'CLUSTER_ACTION', 'CLUSTER', 'kafka-cluster', false],
      [ALICE, H1, 'DESCRIBE', 'CLUSTER', 'kafka-cluster', false],
      [ALICE, H1, 'WRITE', 'TRANSACTIONAL_ID', 'tx-', true],
      [ALICE, H1, 'WRITE', 'TRANSACTIONAL_ID', 'tx-1', false],
      [BOB, H1, 'WRITE', 'TRANSACTIONAL_ID', 'bob-1', true],
      [BOB, H1, 'DESCRIBE', 'TRANSACTIONAL_ID', 'bob-1', true],
      [BOB, H1, 'WRITE', 'TRANSACTIONAL_ID', 'tx-', false],
    ],
  },
  {
    name: 'super users are allowed everything, DENY ACLs notwithstanding',
    acls: [acl('deny', 'User:admin', '*', 'ALL', 'TOPIC', '*'), acl('allow', ALICE, '*', 'READ', 'TOPIC', 'orders')],
    superUsers: 'User:admin; User:ops',
    checks: [
      ['User:admin', H1, 'WRITE', 'TOPIC', 'orders', true],
      ['User:ops', H1, 'CLUSTER_ACTION', 'CLUSTER', 'kafka-cluster', true],
      ['User:admins', H1, 'READ', 'TOPIC', 'orders', false],
      [ALICE, H1, 'READ', 'TOPIC', 'orders', true],
    ],
  },
];

function principal(s: string): KafkaPrincipal {
  const i = s.indexOf(':');
  return { principalType: s.slice(0, i), name: s.slice(i + 1) };
}

describe('StandardAuthorizer.authorize', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const authorizer = new StandardAuthorizer(new InMemorySecurityStore({ acls: c.acls, scram: new Map(), quotas: [] }), {
        superUsers: parseSuperUsers(c.superUsers),
        allowEveryoneIfNoAclFound: c.allowEveryone ?? false,
      });
      const got = c.checks.map(([p, host, op, type, name]) => authorizer.authorize({ principal: principal(p), host }, [{ operation: Op[op], resourceType: Res[type], resourceName: name }])[0]);
      expect(got.map((g, i) => `${c.checks[i]!.slice(0, 5).join(' ')} → ${g}`)).toEqual(c.checks.map((x) => `${x.slice(0, 5).join(' ')} → ${x[5]}`));
    });
  }

  it('answers several actions in order', () => {
    const store = new InMemorySecurityStore({ acls: [acl('allow', ALICE, '*', 'READ', 'TOPIC', 'a')], scram: new Map(), quotas: [] });
    const a = new StandardAuthorizer(store);
    const r = a.authorize({ principal: userPrincipal('alice'), host: H1 }, [
      { operation: Op.READ, resourceType: Res.TOPIC, resourceName: 'b' },
      { operation: Op.READ, resourceType: Res.TOPIC, resourceName: 'a' },
      { operation: Op.WRITE, resourceType: Res.TOPIC, resourceName: 'a' },
    ]);
    expect(r).toEqual([false, true, false]);
  });

  it('follows the store: ACLs added and removed take effect at once', async () => {
    const store = new InMemorySecurityStore();
    const a = new StandardAuthorizer(store);
    const check = () => a.authorize({ principal: userPrincipal('alice'), host: H1 }, [{ operation: Op.READ, resourceType: Res.TOPIC, resourceName: 'orders' }])[0];
    expect(check()).toBe(false);
    const errors = await a.createAcls([acl('allow', ALICE, '*', 'READ', 'TOPIC', 'ord', 'PREFIXED')]);
    expect(errors).toEqual([{ errorCode: 0, errorMessage: null }]);
    expect(check()).toBe(true);
    await store.updateAcls([acl('deny', ALICE, H1, 'READ', 'TOPIC', 'orders')], []);
    expect(check()).toBe(false);
    a.close();
    await store.updateAcls([], store.current().acls);
    expect(check()).toBe(false); // closed: no longer follows the store
  });
});

describe('StandardAuthorizer.authorizeAny (Kafka authorizeByResourceType)', () => {
  const any = (acls: AclBinding[], p: string, op: OpName, type: ResName, opts: { allowEveryone?: boolean; superUsers?: string; host?: string } = {}) =>
    new StandardAuthorizer(new InMemorySecurityStore({ acls, scram: new Map(), quotas: [] }), {
      allowEveryoneIfNoAclFound: opts.allowEveryone ?? false,
      superUsers: parseSuperUsers(opts.superUsers),
    }).authorizeAny({ principal: principal(p), host: opts.host ?? H1 }, Op[op], Res[type]);

  it('allowed by an ALLOW on any resource of the type, for the operation or ALL', () => {
    expect(any([acl('allow', ALICE, '*', 'WRITE', 'TOPIC', 'orders')], ALICE, 'WRITE', 'TOPIC')).toBe(true);
    expect(any([acl('allow', ALICE, '*', 'ALL', 'TOPIC', 'x', 'PREFIXED')], ALICE, 'WRITE', 'TOPIC')).toBe(true);
    expect(any([acl('allow', 'User:*', '*', 'WRITE', 'TOPIC', 'orders')], ALICE, 'WRITE', 'TOPIC')).toBe(true);
    expect(any([acl('allow', ALICE, '*', 'WRITE', 'TOPIC', 'orders')], BOB, 'WRITE', 'TOPIC')).toBe(false);
    expect(any([acl('allow', ALICE, '*', 'WRITE', 'GROUP', 'orders')], ALICE, 'WRITE', 'TOPIC')).toBe(false);
    expect(any([acl('allow', ALICE, '*', 'READ', 'TOPIC', 'orders')], ALICE, 'WRITE', 'TOPIC')).toBe(false);
    expect(any([acl('allow', ALICE, H2, 'WRITE', 'TOPIC', 'orders')], ALICE, 'WRITE', 'TOPIC')).toBe(false);
  });

  it('an ALLOW shadowed by a DENY of the same literal name or of a covering prefix does not count', () => {
    expect(any([acl('allow', ALICE, '*', 'WRITE', 'TOPIC', 'orders'), acl('deny', ALICE, '*', 'WRITE', 'TOPIC', 'orders')], ALICE, 'WRITE', 'TOPIC')).toBe(false);
    expect(any([acl('allow', ALICE, '*', 'WRITE', 'TOPIC', 'orders'), acl('deny', ALICE, '*', 'WRITE', 'TOPIC', 'ord', 'PREFIXED')], ALICE, 'WRITE', 'TOPIC')).toBe(false);
    expect(any([acl('allow', ALICE, '*', 'WRITE', 'TOPIC', 'ord', 'PREFIXED'), acl('deny', ALICE, '*', 'WRITE', 'TOPIC', 'orders', 'PREFIXED')], ALICE, 'WRITE', 'TOPIC')).toBe(true);
    expect(any([acl('allow', ALICE, '*', 'WRITE', 'TOPIC', 'a'), acl('allow', ALICE, '*', 'WRITE', 'TOPIC', 'b'), acl('deny', ALICE, '*', 'WRITE', 'TOPIC', 'a')], ALICE, 'WRITE', 'TOPIC')).toBe(true);
    expect(any([acl('allow', ALICE, '*', 'WRITE', 'TOPIC', '*'), acl('deny', ALICE, '*', 'WRITE', 'TOPIC', 'x')], ALICE, 'WRITE', 'TOPIC')).toBe(true);
    expect(any([acl('allow', ALICE, '*', 'WRITE', 'TOPIC', 'a'), acl('deny', 'User:*', '*', 'ALL', 'TOPIC', '*')], ALICE, 'WRITE', 'TOPIC')).toBe(false);
  });

  it('super users and allow.everyone.if.no.acl.found', () => {
    expect(any([acl('deny', 'User:admin', '*', 'ALL', 'TOPIC', '*')], 'User:admin', 'WRITE', 'TOPIC', { superUsers: 'User:admin' })).toBe(true);
    expect(any([], ALICE, 'WRITE', 'TOPIC', { allowEveryone: true })).toBe(true);
    expect(any([], ALICE, 'WRITE', 'TOPIC')).toBe(false);
  });
});

describe('StandardAuthorizer ACL management', () => {
  const filter = (f: Partial<AclBindingFilter>): AclBindingFilter => ({
    resourceType: Res.ANY,
    name: null,
    patternType: Pat.ANY,
    principal: null,
    host: null,
    operation: Op.ANY,
    permissionType: Perm.ANY,
    ...f,
  });
  const acls = [
    acl('allow', ALICE, '*', 'READ', 'TOPIC', 'orders'),
    acl('allow', ALICE, '*', 'READ', 'TOPIC', '*'),
    acl('allow', BOB, '*', 'WRITE', 'TOPIC', 'ord', 'PREFIXED'),
    acl('deny', BOB, H1, 'WRITE', 'TOPIC', 'pay', 'PREFIXED'),
    acl('allow', ALICE, '*', 'READ', 'GROUP', 'orders'),
  ];
  const names = (bs: readonly AclBinding[]) => bs.map((b) => `${b.pattern.resourceType}:${b.pattern.name}:${b.pattern.patternType}:${b.entry.principal}`).sort();

  it('describeAcls filters as Kafka: ANY = exact name of any pattern type, MATCH = the patterns that apply', () => {
    const a = new StandardAuthorizer(new InMemorySecurityStore({ acls, scram: new Map(), quotas: [] }));
    expect(a.describeAcls(filter({}))).toHaveLength(5);
    expect(names(a.describeAcls(filter({ resourceType: Res.TOPIC, name: 'orders' })))).toEqual(['2:orders:3:User:alice']);
    expect(names(a.describeAcls(filter({ resourceType: Res.TOPIC, name: 'orders', patternType: Pat.MATCH })))).toEqual(['2:*:3:User:alice', '2:ord:4:User:bob', '2:orders:3:User:alice']);
    expect(names(a.describeAcls(filter({ resourceType: Res.TOPIC, patternType: Pat.PREFIXED })))).toEqual(['2:ord:4:User:bob', '2:pay:4:User:bob']);
    expect(names(a.describeAcls(filter({ name: 'orders', patternType: Pat.LITERAL })))).toEqual(['2:orders:3:User:alice', '3:orders:3:User:alice']);
    expect(a.describeAcls(filter({ principal: BOB, permissionType: Perm.DENY, host: H1 }))).toHaveLength(1);
    expect(a.describeAcls(filter({ operation: Op.WRITE }))).toHaveLength(2);
  });

  it('createAcls refuses invalid bindings with INVALID_REQUEST and stores the rest once', async () => {
    const store = new InMemorySecurityStore();
    const a = new StandardAuthorizer(store);
    const good = acl('allow', ALICE, '*', 'READ', 'TOPIC', 'orders');
    const r = await a.createAcls([
      good,
      good,
      { ...good, pattern: { ...good.pattern, patternType: Pat.MATCH } },
      { ...good, pattern: { ...good.pattern, name: '' } },
      { ...good, entry: { ...good.entry, principal: 'alice' } },
      { ...good, entry: { ...good.entry, operation: Op.ANY } },
      { ...good, entry: { ...good.entry, permissionType: Perm.ANY } },
      { ...good, pattern: { ...good.pattern, resourceType: Res.ANY } },
      acl('allow', ALICE, '*', 'ALTER', 'CLUSTER', 'my-cluster'),
    ]);
    expect(r.map((x) => x.errorCode)).toEqual([0, 0, ...Array(7).fill(ErrorCode.INVALID_REQUEST)]);
    expect(r[4]!.errorMessage).toMatch(/no colon/);
    expect(store.current().acls).toEqual([good]);
  });

  it('deleteAcls removes what each filter matches and reports it per filter', async () => {
    const store = new InMemorySecurityStore({ acls, scram: new Map(), quotas: [] });
    const a = new StandardAuthorizer(store);
    const r = await a.deleteAcls([filter({ principal: BOB }), filter({ resourceType: Res.TOPIC, name: 'orders', patternType: Pat.MATCH, principal: BOB }), filter({ name: 'none' })]);
    expect(r.map((x) => x.errorCode)).toEqual([0, 0, 0]);
    expect(names(r[0]!.deleted)).toEqual(['2:ord:4:User:bob', '2:pay:4:User:bob']);
    expect(names(r[1]!.deleted)).toEqual(['2:ord:4:User:bob']);
    expect(r[2]!.deleted).toEqual([]);
    expect(names(store.current().acls)).toEqual(['2:*:3:User:alice', '2:orders:3:User:alice', '3:orders:3:User:alice']);
  });
});

describe('authorizer configs', () => {
  it('parses super.users as Kafka (semicolons)', () => {
    expect(parseSuperUsers('User:a;User:b ; ;User:CN=x,O=y')).toEqual(['User:a', 'User:b', 'User:CN=x,O=y']);
    expect(parseSuperUsers('')).toEqual([]);
  });

  it("authorizer.class.name accepts Kafka's own class names and refuses others at load", () => {
    expect(BrokerConfig.load().get('authorizer.class.name')).toBe('');
    expect(BrokerConfig.load().get('allow.everyone.if.no.acl.found')).toBe(false);
    for (const c of ['org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'kafka.security.authorizer.AclAuthorizer', 'kafka.security.auth.SimpleAclAuthorizer'])
      expect(BrokerConfig.load({ propertiesText: `authorizer.class.name=${c}\nsuper.users=User:a;User:b\nallow.everyone.if.no.acl.found=true` }).get('authorizer.class.name')).toBe(c);
    expect(() => BrokerConfig.load({ propertiesText: 'authorizer.class.name=com.example.RangerAuthorizer' })).toThrow(/com\.example\.RangerAuthorizer.*not available/);
  });
});
