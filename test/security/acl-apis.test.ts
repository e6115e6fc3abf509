// CreateAcls, DescribeAcls and DeleteAcls from real clients (kafka-python's KafkaAdminClient, kafkajs
// admin) and the Rivulet admin client, against a broker with the built-in authorizer; and Kafka's
// SECURITY_DISABLED answer from a broker without one. The test brokers name User:ANONYMOUS (what a
// plaintext client is) a super user, so the requests are allowed whatever per-API rules apply.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { Admin } from '../../host-node/client/admin.js';
import { KafkaProtocolError } from '../../client/errors.js';
import { AclOperation, AclPermissionType, PatternType, ResourceType, type AclBinding } from '../../host-node/security/acl.js';
import { ANY_ACL_FILTER } from '../../host-node/security/acl-match.js';
import { ErrorCode } from '../../protocol/errors.js';

const run = promisify(execFile);
const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const STANDARD = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';

let secured: TestBroker;
let plain: TestBroker;
beforeAll(async () => {
  [secured, plain] = await Promise.all([
    startTestBroker({ sets: { 'authorizer.class.name': STANDARD, 'super.users': 'User:ANONYMOUS' } }),
    startTestBroker(),
  ]);
});
afterAll(async () => {
  await Promise.all([secured?.close(), plain?.close()]);
});

const bs = (b: TestBroker) => `127.0.0.1:${b.port}`;
const acls = (b: TestBroker) => b.context.securityStore.current().acls;
const label = (b: AclBinding) => `${b.pattern.resourceType}/${b.pattern.name}/${b.pattern.patternType} ${b.entry.principal}@${b.entry.host} ${b.entry.operation}:${b.entry.permissionType}`;

async function clearAcls(b: TestBroker): Promise<void> {
  await b.context.securityStore.updateAcls([], acls(b));
}

describe('kafka-python KafkaAdminClient', () => {
  // Debian's confluent-kafka-python (1.7) predates its ACL admin API (1.9), so Python's ACL client here is
  // kafka-python's (CreateAcls / DescribeAcls / DeleteAcls v1).
  it('create_acls, describe_acls (ANY and MATCH), delete_acls', async () => {
    await clearAcls(secured);
    const script = `
import sys, json
from kafka import KafkaAdminClient
from kafka.admin import ACL, ACLFilter, ResourcePattern, ResourcePatternFilter, ACLOperation, ACLPermissionType, ResourceType, ACLResourcePatternType
a = KafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=15000)
L, P = ACLResourcePatternType.LITERAL, ACLResourcePatternType.PREFIXED
acls = [
  ACL("User:alice", "*", ACLOperation.READ, ACLPermissionType.ALLOW, ResourcePattern(ResourceType.TOPIC, "orders", L)),
  ACL("User:bob", "10.0.0.1", ACLOperation.WRITE, ACLPermissionType.DENY, ResourcePattern(ResourceType.TOPIC, "ord", P)),
  ACL("User:alice", "*", ACLOperation.READ, ACLPermissionType.ALLOW, ResourcePattern(ResourceType.GROUP, "g1", L)),
  ACL("User:ops", "*", ACLOperation.ALTER, ACLPermissionType.ALLOW, ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", L)),
]
r = {}
res = a.create_acls(acls)
r["created"] = [len(res["succeeded"]), len(res["failed"])]
bad = a.create_acls([ACL("User:x", "*", ACLOperation.READ, ACLPermissionType.ALLOW, ResourcePattern(ResourceType.CLUSTER, "not-the-cluster", L))])
r["bad"] = [e.__name__ for _, e in bad["failed"]]
def key(b):
    p = b.resource_pattern
    return "%s/%s/%s %s@%s %s:%s" % (p.resource_type.name, p.resource_name, p.pattern_type.name, b.principal, b.host, b.operation.name, b.permission_type.name)
def describe(f):
    found, err = a.describe_acls(f)
    return sorted(key(b) for b in found)
ANYR = ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY)
r["all"] = describe(ACLFilter(None, None, ACLOperation.ANY, ACLPermissionType.ANY, ANYR))
r["match"] = describe(ACLFilter(None, None, ACLOperation.ANY, ACLPermissionType.ANY, ResourcePatternFilter(ResourceType.TOPIC, "orders", ACLResourcePatternType.MATCH)))
r["alice_read"] = describe(ACLFilter("User:alice", None, ACLOperation.READ, ACLPermissionType.ALLOW, ANYR))
out = a.delete_acls([ACLFilter("User:alice", None, ACLOperation.ANY, ACLPermissionType.ANY, ANYR), ACLFilter(None, None, ACLOperation.ANY, ACLPermissionType.ANY, ResourcePatternFilter(ResourceType.TOPIC, "nothing", L))])
r["deleted"] = [[sorted(key(m) for m, _ in matches), err.__name__] for _, matches, err in out]
r["left"] = describe(ACLFilter(None, None, ACLOperation.ANY, ACLPermissionType.ANY, ANYR))
a.close()
print(json.dumps(r))
`;
    const { stdout } = await run(PY, ['-c', script, bs(secured)], { timeout: 45_000 });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    const ALICE_ORDERS = 'TOPIC/orders/LITERAL User:alice@* READ:ALLOW';
    const BOB_ORD = 'TOPIC/ord/PREFIXED User:bob@10.0.0.1 WRITE:DENY';
    const ALICE_G1 = 'GROUP/g1/LITERAL User:alice@* READ:ALLOW';
    const OPS = 'CLUSTER/kafka-cluster/LITERAL User:ops@* ALTER:ALLOW';
    expect(r).toEqual({
      created: [4, 0],
      bad: ['InvalidRequestError'],
      all: [OPS, ALICE_G1, BOB_ORD, ALICE_ORDERS].sort(),
      match: [BOB_ORD, ALICE_ORDERS].sort(),
      alice_read: [ALICE_G1, ALICE_ORDERS].sort(),
      deleted: [
        [[ALICE_G1, ALICE_ORDERS].sort(), 'NoError'],
        [[], 'NoError'],
      ],
      left: [OPS, BOB_ORD].sort(),
    });
    expect(acls(secured).map((b) => `${b.pattern.name}:${b.entry.principal}`).sort()).toEqual(['kafka-cluster:User:ops', 'ord:User:bob']);
  });
});

describe('kafkajs admin', () => {
  it('createAcls, describeAcls, deleteAcls', async () => {
    await clearAcls(secured);
    const { Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = await import('kafkajs');
    const admin = new Kafka({ brokers: [bs(secured)], clientId: 'acl-test', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const entry = (resourceName: string, principal: string, operation: number, pattern: number = ResourcePatternTypes.LITERAL) => ({
        resourceType: AclResourceTypes.TOPIC,
        resourceName,
        resourcePatternType: pattern,
        principal,
        host: '*',
        operation,
        permissionType: AclPermissionTypes.ALLOW,
      });
      expect(await admin.createAcls({ acl: [entry('payments', 'User:carol', AclOperationTypes.WRITE), entry('pay', 'User:carol', AclOperationTypes.DESCRIBE, ResourcePatternTypes.PREFIXED)] })).toBe(true);
      const described = await admin.describeAcls({
        resourceType: AclResourceTypes.TOPIC,
        resourceName: 'payments',
        resourcePatternType: ResourcePatternTypes.MATCH,
        principal: 'User:carol',
        host: '*',
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      });
      expect(described.resources.map((r) => `${r.resourceName}:${r.resourcePatternType}:${r.acls.map((a) => a.operation).join(',')}`).sort()).toEqual([
        `pay:${ResourcePatternTypes.PREFIXED}:${AclOperationTypes.DESCRIBE}`,
        `payments:${ResourcePatternTypes.LITERAL}:${AclOperationTypes.WRITE}`,
      ]);
      const deleted = await admin.deleteAcls({
        filters: [
          {
            resourceType: AclResourceTypes.TOPIC,
            resourceName: 'pay',
            resourcePatternType: ResourcePatternTypes.PREFIXED,
            principal: 'User:carol',
            host: '*',
            operation: AclOperationTypes.ANY,
            permissionType: AclPermissionTypes.ANY,
          },
        ],
      });
      expect(deleted.filterResponses).toHaveLength(1);
      expect(deleted.filterResponses[0]!.errorCode).toBe(0);
      expect(deleted.filterResponses[0]!.matchingAcls.map((a) => `${a.resourceName}:${a.principal}`)).toEqual(['pay:User:carol']);
      expect(acls(secured).map((b) => b.pattern.name)).toEqual(['payments']);
    } finally {
      await admin.disconnect();
    }
  });

  it('a broker without an authorizer answers SECURITY_DISABLED', async () => {
    const { Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = await import('kafkajs');
    const admin = new Kafka({ brokers: [bs(plain)], clientId: 'acl-test', logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    await admin.connect();
    try {
      const filter = {
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      } as Parameters<typeof admin.describeAcls>[0];
      await expect(admin.describeAcls(filter)).rejects.toMatchObject({ type: 'SECURITY_DISABLED' });
      await expect(
        admin.createAcls({
          acl: [{ resourceType: AclResourceTypes.TOPIC, resourceName: 't', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:a', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW }],
        }),
      ).rejects.toMatchObject({ type: 'SECURITY_DISABLED' });
    } finally {
      await admin.disconnect();
    }
  });
});

describe('Rivulet admin client', () => {
  const binding = (over: { name?: string; patternType?: number; principal?: string; operation?: number; permissionType?: number; resourceType?: number } = {}): AclBinding =>
    ({
      pattern: { resourceType: over.resourceType ?? ResourceType.TOPIC, name: over.name ?? 'orders', patternType: over.patternType ?? PatternType.LITERAL },
      entry: { principal: over.principal ?? 'User:alice', host: '*', operation: over.operation ?? AclOperation.READ, permissionType: over.permissionType ?? AclPermissionType.ALLOW },
    }) as AclBinding;

  it('refuses invalid ACLs and filters with INVALID_REQUEST, stores the valid ones durably before answering', async () => {
    await clearAcls(secured);
    const admin = new Admin({ bootstrapServers: bs(secured), retries: 0 });
    try {
      for (const bad of [
        binding({ principal: 'alice' }),
        binding({ name: '' }),
        binding({ patternType: PatternType.MATCH }),
        binding({ patternType: PatternType.ANY }),
        binding({ operation: AclOperation.ANY }),
        binding({ operation: AclOperation.UNKNOWN }),
        binding({ permissionType: AclPermissionType.ANY }),
        binding({ resourceType: ResourceType.ANY }),
        binding({ resourceType: ResourceType.CLUSTER, name: 'orders' }),
      ]) {
        const e = await admin.createAcls([bad]).catch((x: unknown) => x);
        expect(e, label(bad)).toBeInstanceOf(KafkaProtocolError);
        expect((e as KafkaProtocolError).code, label(bad)).toBe(ErrorCode.INVALID_REQUEST);
      }
      expect(acls(secured)).toEqual([]);
      // The answer comes once the store holds the ACL (the broker's image shows it as soon as the call returns).
      await admin.createAcls([binding(), binding({ operation: AclOperation.WRITE })]);
      expect(acls(secured).map(label)).toEqual([binding(), binding({ operation: AclOperation.WRITE })].map(label));
      const e = await admin.describeAcls({ ...ANY_ACL_FILTER, patternType: PatternType.UNKNOWN }).catch((x: unknown) => x);
      expect((e as KafkaProtocolError).code).toBe(ErrorCode.INVALID_REQUEST);
      const d = await admin.deleteAcls([{ ...ANY_ACL_FILTER, operation: AclOperation.UNKNOWN }]).catch((x: unknown) => x);
      expect((d as KafkaProtocolError).code).toBe(ErrorCode.INVALID_REQUEST);
      expect(acls(secured)).toHaveLength(2);
      const removed = await admin.deleteAcls([{ ...ANY_ACL_FILTER, operation: AclOperation.WRITE }, ANY_ACL_FILTER]);
      expect(removed.map((r) => r.map(label))).toEqual([[label(binding({ operation: AclOperation.WRITE }))], [binding(), binding({ operation: AclOperation.WRITE })].map(label)]);
      expect(acls(secured)).toEqual([]);
    } finally {
      await admin.close();
    }
  });

  it('the ACLs the authorizer holds decide at once', async () => {
    await clearAcls(secured);
    const admin = new Admin({ bootstrapServers: bs(secured), retries: 0 });
    try {
      const authz = secured.context.authorizer!;
      const check = () => authz.authorize({ principal: { principalType: 'User', name: 'alice' }, host: '127.0.0.1' }, [{ operation: AclOperation.DESCRIBE, resourceType: ResourceType.TOPIC, resourceName: 'orders-eu' }])[0];
      expect(check()).toBe(false);
      await admin.createAcls([binding({ name: 'orders-', patternType: PatternType.PREFIXED })]);
      expect(check()).toBe(true);
      await admin.deleteAcls([ANY_ACL_FILTER]);
      expect(check()).toBe(false);
    } finally {
      await admin.close();
    }
  });

  it('without an authorizer: SECURITY_DISABLED for all three APIs', async () => {
    expect(plain.context.authorizer).toBeUndefined();
    const admin = new Admin({ bootstrapServers: bs(plain), retries: 0 });
    try {
      for (const call of [() => admin.createAcls([binding()]), () => admin.describeAcls(ANY_ACL_FILTER), () => admin.deleteAcls([ANY_ACL_FILTER])]) {
        const e = await call().catch((x: unknown) => x);
        expect(e).toBeInstanceOf(KafkaProtocolError);
        expect((e as KafkaProtocolError).code).toBe(ErrorCode.SECURITY_DISABLED);
        expect((e as KafkaProtocolError).brokerMessage).toBe('No Authorizer is configured.');
      }
    } finally {
      await admin.close();
    }
  });
});
