// DescribeUserScramCredentials, AlterUserScramCredentials, DescribeClientQuotas and AlterClientQuotas on a
// real broker over a socket, with Kafka's validation and error codes, through the raw wire codec and the
// project's Admin client. None of the installed third-party clients (confluent-kafka-python 1.7, kafka-python
// 2.0, kafkajs, sarama 1.22) has these APIs. A credential created through the API is the one RFC 5802
// derives from the password, salt and iterations, and it survives a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../host-node/client/admin.js';
import { hash, hmac, saltedPassword } from '../../host-node/security/scram.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { startBroker } from '../../host-node/broker.js';
import { silentLogger } from '../../host-node/util/log.js';
import { KafkaProtocolError } from '../../client/errors.js';

let broker: TestBroker;
let c: KafkaTestClient;
let admin: Admin;

beforeAll(async () => {
  broker = await startTestBroker();
  c = await KafkaTestClient.connect(broker.port);
  admin = new Admin({ bootstrapServers: `127.0.0.1:${broker.port}` });
});

afterAll(async () => {
  c?.close();
  await admin?.close();
  await broker?.close();
});

const SHA256 = 1;
const SHA512 = 2;
const upsert = (name: string, mechanism: number, iterations: number, password = 'pw', salt = Buffer.from('salty-salt')) => ({
  name,
  mechanism,
  iterations,
  salt,
  saltedPassword: saltedPassword(mechanism === SHA512 ? 'SCRAM-SHA-512' : 'SCRAM-SHA-256', password, salt, iterations),
});
const byUser = (results: { user: string; errorCode: number; errorMessage: string | null }[]) => Object.fromEntries(results.map((r) => [r.user, [r.errorCode, r.errorMessage]]));

describe('SCRAM credential APIs', () => {
  it('AlterUserScramCredentials validates as Kafka (per user) and applies the valid users', async () => {
    const res = await c.request(ApiKey.AlterUserScramCredentials, 0, {
      upsertions: [
        upsert('alice', SHA256, 8192),
        upsert('', SHA256, 4096),
        upsert('few', SHA256, 4095),
        upsert('many', SHA512, 16385),
        upsert('mech', 0, 4096),
        upsert('dup', SHA256, 4096),
        upsert('dup', SHA512, 4096),
        upsert('both', SHA256, 4096),
        upsert('edge', SHA512, 16384),
      ],
      deletions: [
        { name: 'both', mechanism: SHA256 },
        { name: 'ghost', mechanism: SHA256 },
        { name: 'mech2', mechanism: 3 },
      ],
    });
    expect(byUser(res.results)).toEqual({
      alice: [ErrorCode.NONE, null],
      edge: [ErrorCode.NONE, null],
      '': [ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty'],
      few: [ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too few iterations'],
      many: [ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too many iterations'],
      mech: [ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism'],
      mech2: [ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism'],
      dup: [ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request'],
      // Deletions are checked first: a deletion of a credential that does not exist fails the user there.
      both: [ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist'],
      ghost: [ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist'],
    });
    expect([...broker.context.securityStore.current().scram.keys()].sort()).toEqual(['alice', 'edge']);

    // A user both deleted and upserted (whatever the mechanisms) → DUPLICATE_RESOURCE, and nothing changes for it.
    const dup = await c.request(ApiKey.AlterUserScramCredentials, 0, { deletions: [{ name: 'alice', mechanism: SHA256 }], upsertions: [upsert('alice', SHA512, 4096)] });
    expect(byUser(dup.results)).toEqual({ alice: [ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request'] });
    expect([...broker.context.securityStore.current().scram.get('alice')!.keys()]).toEqual(['SCRAM-SHA-256']);
  });

  it('DescribeUserScramCredentials lists mechanisms and iterations; unknown → RESOURCE_NOT_FOUND, twice → DUPLICATE_RESOURCE', async () => {
    const all = await c.request(ApiKey.DescribeUserScramCredentials, 0, { users: null });
    expect(all.errorCode).toBe(ErrorCode.NONE);
    expect(all.results.map((r) => [r.user, r.errorCode, r.credentialInfos])).toEqual([
      ['alice', 0, [{ mechanism: SHA256, iterations: 8192 }]],
      ['edge', 0, [{ mechanism: SHA512, iterations: 16384 }]],
    ]);
    const some = await c.request(ApiKey.DescribeUserScramCredentials, 0, { users: [{ name: 'alice' }, { name: 'nobody' }, { name: 'edge' }, { name: 'edge' }] });
    expect(byUser(some.results)).toEqual({
      alice: [ErrorCode.NONE, null],
      nobody: [ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to describe a user credential that does not exist: nobody'],
      edge: [ErrorCode.DUPLICATE_RESOURCE, 'Cannot describe SCRAM credentials for the same user twice in a single request: edge'],
    });
  });

  it('a credential set through the Admin client verifies the password as RFC 5802 does', async () => {
    const outcomes = await admin.alterUserScramCredentials([{ user: 'zoe', mechanism: 'SCRAM-SHA-512', password: 'zoe-secret', iterations: 5000 }]);
    expect(outcomes).toEqual([{ user: 'zoe', errorCode: 0, errorMessage: null }]);
    const described = await admin.describeUserScramCredentials(['zoe']);
    expect(described[0]!.credentials).toEqual([{ mechanism: 'SCRAM-SHA-512', iterations: 5000 }]);

    const cred = broker.context.securityStore.current().scram.get('zoe')!.get('SCRAM-SHA-512')!;
    // Recompute from the password: SaltedPassword = Hi(password, salt, i); StoredKey = H(HMAC(SaltedPassword, "Client Key")).
    const salted = saltedPassword('SCRAM-SHA-512', 'zoe-secret', cred.salt, cred.iterations);
    expect(Buffer.from(cred.storedKey).equals(hash('SCRAM-SHA-512', hmac('SCRAM-SHA-512', salted, 'Client Key')))).toBe(true);
    expect(Buffer.from(cred.serverKey).equals(hmac('SCRAM-SHA-512', salted, 'Server Key'))).toBe(true);
    const wrong = saltedPassword('SCRAM-SHA-512', 'not-the-secret', cred.salt, cred.iterations);
    expect(Buffer.from(cred.storedKey).equals(hash('SCRAM-SHA-512', hmac('SCRAM-SHA-512', wrong, 'Client Key')))).toBe(false);
    expect(cred.salt.length).toBeGreaterThanOrEqual(16);

    // Deleting through the Admin client; deleting again → RESOURCE_NOT_FOUND.
    expect(await admin.alterUserScramCredentials([{ user: 'edge', mechanism: 'SCRAM-SHA-512', delete: true }])).toEqual([{ user: 'edge', errorCode: 0, errorMessage: null }]);
    expect((await admin.alterUserScramCredentials([{ user: 'edge', mechanism: 'SCRAM-SHA-512', delete: true }]))[0]!.errorCode).toBe(ErrorCode.RESOURCE_NOT_FOUND);
  });
});

describe('client quota APIs', () => {
  it('AlterClientQuotas validates each entity as Kafka and applies the valid ones; validateOnly applies nothing', async () => {
    const entry = (entity: [string, string | null][], ops: [string, number, boolean?][]) => ({
      entity: entity.map(([entityType, entityName]) => ({ entityType, entityName })),
      ops: ops.map(([key, value, remove]) => ({ key, value, remove: remove ?? false })),
    });
    const dry = await c.request(ApiKey.AlterClientQuotas, 1, { entries: [entry([['user', 'alice']], [['producer_byte_rate', 1024]])], validateOnly: true });
    expect(dry.entries[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(broker.context.securityStore.current().quotas).toEqual([]);

    const res = await c.request(ApiKey.AlterClientQuotas, 1, {
      entries: [
        entry([['user', 'alice']], [['producer_byte_rate', 1024], ['request_percentage', 12.5]]),
        entry([['user', null]], [['consumer_byte_rate', 2048]]),
        entry([['user', 'alice'], ['client-id', 'app']], [['consumer_byte_rate', 100]]),
        entry([['ip', '10.1.2.3']], [['connection_creation_rate', 5]]),
        entry([], [['producer_byte_rate', 1]]),
        entry([['group', 'g']], [['producer_byte_rate', 1]]),
        entry([['user', '']], [['producer_byte_rate', 1]]),
        entry([['user', 'x'], ['user', 'y']], [['producer_byte_rate', 1]]),
        entry([['ip', '10.0.0.9'], ['user', 'z']], [['connection_creation_rate', 1]]),
        entry([['ip', 'not an ip']], [['connection_creation_rate', 1]]),
        entry([['client-id', 'k1']], [['connection_creation_rate', 1]]),
        entry([['client-id', 'k2']], [['bogus', 1]]),
        entry([['client-id', 'k3']], [['producer_byte_rate', -5]]),
        entry([['client-id', 'k4']], [['producer_byte_rate', 0]]),
        entry([['client-id', 'k5']], [['producer_byte_rate', 10.5]]),
        entry([['client-id', 'k6']], [['producer_byte_rate', 1], ['producer_byte_rate', 2]]),
      ],
      validateOnly: false,
    });
    const codes = res.entries.map((e) => [e.entity.map((x) => `${x.entityType}=${x.entityName}`).join(','), e.errorCode, e.errorMessage]);
    expect(codes).toEqual([
      ['user=alice', 0, null],
      ['user=null', 0, null],
      ['user=alice,client-id=app', 0, null],
      ['ip=10.1.2.3', 0, null],
      ['', ErrorCode.INVALID_REQUEST, 'Invalid empty client quota entity'],
      ['group=g', ErrorCode.INVALID_REQUEST, 'Unhandled client quota entity type: group'],
      ['user=', ErrorCode.INVALID_REQUEST, 'Empty user not supported'],
      ['user=x,user=y', ErrorCode.INVALID_REQUEST, 'Invalid empty client quota entity, duplicate entity entry user'],
      ['ip=10.0.0.9,user=z', ErrorCode.INVALID_REQUEST, 'Invalid empty client quota entity'],
      ['ip=not an ip', ErrorCode.INVALID_REQUEST, 'not an ip is not a valid IP or resolvable host.'],
      ['client-id=k1', ErrorCode.INVALID_REQUEST, 'Invalid configuration key connection_creation_rate'],
      ['client-id=k2', ErrorCode.INVALID_REQUEST, 'Invalid configuration key bogus'],
      ['client-id=k3', ErrorCode.INVALID_REQUEST, expect.stringContaining('must be greater than 0')],
      ['client-id=k4', ErrorCode.INVALID_REQUEST, expect.stringContaining('must be greater than 0')],
      ['client-id=k5', ErrorCode.INVALID_REQUEST, 'Configuration producer_byte_rate must be a Long value'],
      ['client-id=k6', ErrorCode.INVALID_REQUEST, expect.stringContaining('Duplicate quota key producer_byte_rate')],
    ]);
    expect(broker.context.securityStore.current().quotas).toHaveLength(4);
  });

  it('DescribeClientQuotas filters with exact/default/any components and strict, refusing malformed filters', async () => {
    const describe = async (components: [string, number, string | null][], strict = false) => {
      const r = await c.request(ApiKey.DescribeClientQuotas, 1, { components: components.map(([entityType, matchType, match]) => ({ entityType, matchType, match })), strict });
      if (r.errorCode !== 0) return { error: [r.errorCode, r.errorMessage] };
      return (r.entries ?? []).map((e) => [e.entity.map((x) => `${x.entityType}=${x.entityName}`).join(','), Object.fromEntries(e.values.map((v) => [v.key, v.value]))]).sort();
    };
    expect(await describe([['user', 0, 'alice']])).toEqual([
      ['user=alice', { producer_byte_rate: 1024, request_percentage: 12.5 }],
      ['user=alice,client-id=app', { consumer_byte_rate: 100 }],
    ]);
    expect(await describe([['user', 0, 'alice']], true)).toEqual([['user=alice', { producer_byte_rate: 1024, request_percentage: 12.5 }]]);
    expect(await describe([['user', 1, null]])).toEqual([['user=null', { consumer_byte_rate: 2048 }]]);
    expect(await describe([['user', 2, null]])).toEqual([
      ['user=alice', { producer_byte_rate: 1024, request_percentage: 12.5 }],
      ['user=alice,client-id=app', { consumer_byte_rate: 100 }],
    ]);
    expect(await describe([['client-id', 0, 'app'], ['user', 2, null]], true)).toEqual([['user=alice,client-id=app', { consumer_byte_rate: 100 }]]);
    expect(await describe([['ip', 2, null]])).toEqual([['ip=10.1.2.3', { connection_creation_rate: 5 }]]);
    expect((await describe([])) as unknown[]).toHaveLength(4);
    expect(await describe([], true)).toEqual([]);
    expect(await describe([['user', 0, null]])).toEqual({ error: [ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_EXACT, but set match string to null'] });
    expect(await describe([['user', 1, 'x']])).toEqual({ error: [ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_DEFAULT, but also specified a match string'] });
    expect(await describe([['user', 2, 'x']])).toEqual({ error: [ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_SPECIFIED, but also specified a match string'] });
    expect(await describe([['user', 7, null]])).toEqual({ error: [ErrorCode.INVALID_REQUEST, 'Unknown match type 7'] });
    expect(await describe([['user', 2, null], ['user', 1, null]])).toEqual({ error: [ErrorCode.INVALID_REQUEST, 'Entity type user cannot appear more than once in the filter.'] });
    expect((await describe([['ip', 2, null], ['user', 2, null]])) as { error: unknown[] }).toEqual({ error: [ErrorCode.INVALID_REQUEST, expect.stringContaining('IP filter component')] });
    // v0 answers the same.
    const v0 = await c.request(ApiKey.DescribeClientQuotas, 0, { components: [{ entityType: 'user', matchType: 1, match: null }], strict: true });
    expect(v0.entries?.map((e) => e.values)).toEqual([[{ key: 'consumer_byte_rate', value: 2048 }]]);
  });

  it('the Admin client describes and alters quotas (removing a key with null)', async () => {
    await admin.alterClientQuotas([{ entity: { 'client-id': 'svc' }, ops: { producer_byte_rate: 500, consumer_byte_rate: 600 } }]);
    await admin.alterClientQuotas([{ entity: { 'client-id': 'svc' }, ops: { consumer_byte_rate: null } }]);
    expect(await admin.describeClientQuotas([{ entityType: 'client-id', matchType: 0, match: 'svc' }])).toEqual([{ entity: { 'client-id': 'svc' }, values: { producer_byte_rate: 500 } }]);
    await expect(admin.alterClientQuotas([{ entity: { 'client-id': 'svc' }, ops: { nope: 1 } }])).rejects.toThrow(KafkaProtocolError);
  });
});

describe('restart', () => {
  it('credentials and quotas set through the APIs are loaded again by a restarted broker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-secapi-'));
    try {
      let b = await startBroker({ host: '127.0.0.1', port: 0, dataDir: dir, log: silentLogger });
      const a = new Admin({ bootstrapServers: `127.0.0.1:${b.port}` });
      await a.alterUserScramCredentials([{ user: 'kim', mechanism: 'SCRAM-SHA-256', password: 'kim-pw', iterations: 4096 }]);
      await a.alterClientQuotas([{ entity: { user: 'kim' }, ops: { producer_byte_rate: 4096 } }]);
      await a.close();
      await b.close();
      b = await startBroker({ host: '127.0.0.1', port: 0, dataDir: dir, log: silentLogger });
      const a2 = new Admin({ bootstrapServers: `127.0.0.1:${b.port}` });
      expect((await a2.describeUserScramCredentials(['kim']))[0]!.credentials).toEqual([{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }]);
      expect(await a2.describeClientQuotas([{ entityType: 'user', matchType: 0, match: 'kim' }], { strict: true })).toEqual([{ entity: { user: 'kim' }, values: { producer_byte_rate: 4096 } }]);
      await a2.close();
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
