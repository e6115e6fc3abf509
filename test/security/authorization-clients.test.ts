// Real clients against a plaintext listener with authorizer.class.name set: every connection is
// User:ANONYMOUS, and the ACLs decide what it may do. kcat and confluent-kafka-python produce to a topic they
// may WRITE and are refused (TOPIC_AUTHORIZATION_FAILED) on one they may only DESCRIBE, with nothing written
// there; a consumer group without READ is refused (GROUP_AUTHORIZATION_FAILED); Metadata leaves out the topics
// without DESCRIBE; kafkajs' admin cannot create a topic without CREATE. A second broker shows
// allow.everyone.if.no.acl.found=true: a resource without ACLs is open, one with ACLs follows them.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { AclOperation as Op, AclPermissionType, PatternType, ResourceType as RT, type AclBinding } from '../../host-node/security/acl.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { kcat } from './support/kcat.js';

const run = promisify(execFile);
const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function acl(resourceType: RT, name: string, operation: Op, principal = 'User:ANONYMOUS'): AclBinding {
  return { pattern: { resourceType, name, patternType: PatternType.LITERAL }, entry: { principal, host: '*', operation, permissionType: AclPermissionType.ALLOW } };
}

let broker: TestBroker;
let open: TestBroker;
const bootstrap = (b: TestBroker) => `127.0.0.1:${b.port}`;
const logEnd = (b: TestBroker, topic: string) => b.context.topicRegistry.partitionLog(topic, 0)!.logEndOffset;

beforeAll(async () => {
  broker = await startTestBroker({ sets: { 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer', 'offsets.topic.replication.factor': '1' } });
  for (const name of ['allowed', 'read-only', 'hidden']) broker.context.topicRegistry.createTopic({ name, numPartitions: 1, replicationFactor: 1 });
  await broker.context.authorizer!.createAcls([
    acl(RT.TOPIC, 'allowed', Op.WRITE),
    acl(RT.TOPIC, 'allowed', Op.READ),
    acl(RT.TOPIC, 'read-only', Op.DESCRIBE),
    acl(RT.GROUP, 'g-ok', Op.READ),
  ]);
  open = await startTestBroker({ sets: { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'allow.everyone.if.no.acl.found': 'true' } });
  for (const name of ['no-acls', 'alice-only']) open.context.topicRegistry.createTopic({ name, numPartitions: 1, replicationFactor: 1 });
  await open.context.authorizer!.createAcls([acl(RT.TOPIC, 'alice-only', Op.WRITE, 'User:alice')]);
}, 30_000);

afterAll(async () => {
  await broker?.close();
  await open?.close();
});

describe('real clients with ACLs (plaintext, User:ANONYMOUS)', () => {
  it('kcat produces to a topic it may WRITE and is refused with TOPIC_AUTHORIZATION_FAILED where it may not', async () => {
    const ok = await kcat(['-P', '-b', bootstrap(broker), '-t', 'allowed', '-p', '0'], 'a\nb\nc\n');
    expect(ok.code, ok.stderr).toBe(0);
    expect(logEnd(broker, 'allowed')).toBeGreaterThanOrEqual(3);
    const back = await kcat(['-C', '-b', bootstrap(broker), '-t', 'allowed', '-p', '0', '-o', 'beginning', '-e', '-q']);
    expect(back.stdout.split('\n').filter(Boolean).slice(0, 3)).toEqual(['a', 'b', 'c']);
    const refused = await kcat(['-P', '-b', bootstrap(broker), '-t', 'read-only', '-p', '0', '-X', 'message.timeout.ms=5000'], 'x\n');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Topic authorization failed/i);
    expect(logEnd(broker, 'read-only')).toBe(0);
  });

  it('Metadata leaves out the topics the principal may not DESCRIBE', async () => {
    const r = await kcat(['-L', '-J', '-b', bootstrap(broker), '-m', '10']);
    expect(r.code, r.stderr).toBe(0);
    const topics = (JSON.parse(r.stdout) as { topics: { topic: string }[] }).topics.map((t) => t.topic);
    expect(topics).toContain('allowed');
    expect(topics).toContain('read-only');
    expect(topics).not.toContain('hidden');
  });

  it('confluent-kafka-python: produce allowed / refused, and a consumer group without READ gets GROUP_AUTHORIZATION_FAILED', async () => {
    const script = `
import sys, json
from confluent_kafka import Producer, Consumer, KafkaError
bootstrap = sys.argv[1]
out = {}
p = Producer({'bootstrap.servers': bootstrap, 'message.timeout.ms': 5000})
results = {}
def report(topic):
    def cb(err, msg):
        results[topic] = 'ok' if err is None else err.name()
    return cb
for topic in ('allowed', 'read-only'):
    p.produce(topic, b'from-python', partition=0, on_delivery=report(topic))
p.flush(15)
out['produce'] = results
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'g-denied', 'auto.offset.reset': 'earliest', 'session.timeout.ms': 6000})
c.subscribe(['allowed'])
err = None
for _ in range(40):
    m = c.poll(0.5)
    if m is not None and m.error() is not None:
        err = m.error().name()
        break
c.close()
out['group'] = err
print(json.dumps(out))
`;
    const before = logEnd(broker, 'allowed');
    const { stdout } = await run(PY, ['-c', script, bootstrap(broker)], { timeout: 60_000 });
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { produce: Record<string, string>; group: string | null };
    expect(out.produce).toEqual({ allowed: 'ok', 'read-only': 'TOPIC_AUTHORIZATION_FAILED' });
    expect(out.group).toBe('GROUP_AUTHORIZATION_FAILED');
    expect(logEnd(broker, 'allowed')).toBe(before + 1);
    expect(logEnd(broker, 'read-only')).toBe(0);
    expect(broker.context.groupCoordinator!.describe('g-denied').groupState).toBe('Dead');
  }, 70_000);

  it('kafkajs admin cannot create a topic without CREATE', async () => {
    const kafka = new Kafka({ clientId: 'authz-admin', brokers: [bootstrap(broker)], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const err = await admin.createTopics({ topics: [{ topic: 'by-kafkajs', numPartitions: 1 }] }).then(
        () => null,
        (e: unknown) => e as { type?: string; errors?: { type?: string }[]; message: string },
      );
      expect(err).not.toBeNull();
      const types = [err!.type, ...(err!.errors ?? []).map((e) => e.type)];
      expect(types).toContain('TOPIC_AUTHORIZATION_FAILED');
      expect(broker.context.topicRegistry.topicByName('by-kafkajs')).toBeUndefined();
    } finally {
      await admin.disconnect();
    }
  });
});

describe('allow.everyone.if.no.acl.found=true', () => {
  it('a topic without ACLs is open to everyone; one with ACLs allows only what they say', async () => {
    const ok = await kcat(['-P', '-b', bootstrap(open), '-t', 'no-acls', '-p', '0'], 'x\ny\n');
    expect(ok.code, ok.stderr).toBe(0);
    expect(logEnd(open, 'no-acls')).toBe(2);
    const refused = await kcat(['-P', '-b', bootstrap(open), '-t', 'alice-only', '-p', '0', '-X', 'message.timeout.ms=5000'], 'x\n');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/authorization failed/i);
    expect(logEnd(open, 'alice-only')).toBe(0);
  });
});
