// Real clients' admin APIs against an in-process broker: kafka-python KafkaAdminClient, kafkajs admin,
// confluent-kafka-python AdminClient, and kcat -L. Debian's /usr/bin/python3 has the Kafka modules.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const run = promisify(execFile);
const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

let broker: TestBroker;
let bootstrap: string;
beforeAll(async () => {
  broker = await startTestBroker();
  bootstrap = `127.0.0.1:${broker.port}`;
});
afterAll(async () => {
  await broker.close();
});

async function py(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(PY, ['-c', script, ...args], { timeout: 45_000 });
  return stdout;
}

describe('kafka-python KafkaAdminClient', () => {
  it('create_topics, list_topics, describe_configs, alter_configs, create_partitions, delete_topics', async () => {
    const out = await py(
      `
import sys, json
from kafka import KafkaAdminClient
from kafka.admin import NewTopic, NewPartitions, ConfigResource, ConfigResourceType
from kafka.errors import TopicAlreadyExistsError
a = KafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=10000)
r = {}
a.create_topics([NewTopic("kp-a", 3, 1, topic_configs={"retention.ms": "3600000"}), NewTopic("kp-b", 1, 1)])
r["listed"] = sorted(t for t in a.list_topics() if t.startswith("kp-"))
try:
    a.create_topics([NewTopic("kp-a", 1, 1)])
    r["dup"] = "no error"
except TopicAlreadyExistsError as e:
    r["dup"] = "TopicAlreadyExistsError"
res = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-a")])
cfg = {e[0]: e[1] for e in res[0].resources[0][4]}
r["retention"] = cfg["retention.ms"]
r["segment"] = cfg["segment.bytes"]
a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-b", configs={"retention.bytes": "1048576"})])
res = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-b")])
r["altered"] = {e[0]: e[1] for e in res[0].resources[0][4]}["retention.bytes"]
res = a.describe_configs([ConfigResource(ConfigResourceType.BROKER, "1")])
r["broker_num_partitions"] = {e[0]: e[1] for e in res[0].resources[0][4]}["num.partitions"]
a.create_partitions({"kp-b": NewPartitions(total_count=2)})
md = a.describe_topics(["kp-a", "kp-b"])
r["partitions"] = {t["topic"]: len(t["partitions"]) for t in md}
a.delete_topics(["kp-a"])
r["after_delete"] = sorted(t for t in a.list_topics() if t.startswith("kp-"))
a.close()
print(json.dumps(r))
`,
      bootstrap,
    );
    const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(r).toEqual({
      listed: ['kp-a', 'kp-b'],
      dup: 'TopicAlreadyExistsError',
      retention: '3600000',
      segment: '1073741824',
      altered: '1048576',
      broker_num_partitions: '1',
      partitions: { 'kp-a': 3, 'kp-b': 2 },
      after_delete: ['kp-b'],
    });
  });
});

describe('kafkajs admin', () => {
  it('createTopics, fetchTopicMetadata, describeConfigs, alterConfigs, createPartitions, deleteTopics', async () => {
    const { Kafka, logLevel, ConfigResourceTypes } = await import('kafkajs');
    const kafka = new Kafka({ clientId: 'rivulet-admin-test', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(
        await admin.createTopics({
          topics: [
            { topic: 'kj-a', numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'delete' }] },
            { topic: 'kj-b', numPartitions: 1 },
          ],
          waitForLeaders: true,
        }),
      ).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: 'kj-a' }] })).toBe(false); // already exists
      const md = await admin.fetchTopicMetadata({ topics: ['kj-a', 'kj-b'] });
      expect(md.topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual([
        ['kj-a', 2],
        ['kj-b', 1],
      ]);
      expect(md.topics.find((t) => t.name === 'kj-a')!.partitions[0]).toMatchObject({ leader: 1, replicas: [1], isr: [1] });
      expect((await admin.listTopics()).sort()).toEqual(expect.arrayContaining(['kj-a', 'kj-b']));

      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kj-b', configEntries: [{ name: 'retention.ms', value: '86400000' }] }],
      });
      const dc = await admin.describeConfigs({
        includeSynonyms: true,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: 'kj-a', configNames: ['cleanup.policy'] },
          { type: ConfigResourceTypes.TOPIC, name: 'kj-b', configNames: ['retention.ms'] },
        ],
      });
      const entries = dc.resources.flatMap((r) => r.configEntries.map((e) => [r.resourceName, e.configName, e.configValue, e.isDefault]));
      expect(entries).toEqual(
        expect.arrayContaining([
          ['kj-a', 'cleanup.policy', 'delete', false],
          ['kj-b', 'retention.ms', '86400000', false],
        ]),
      );

      await admin.createPartitions({ topicPartitions: [{ topic: 'kj-b', count: 3 }] });
      const md2 = await admin.fetchTopicMetadata({ topics: ['kj-b'] });
      expect(md2.topics[0]!.partitions).toHaveLength(3);
      await expect(admin.createPartitions({ topicPartitions: [{ topic: 'kj-b', count: 2 }] })).rejects.toThrow();

      await admin.deleteTopics({ topics: ['kj-a', 'kj-b'] });
      expect((await admin.listTopics()).filter((t) => t.startsWith('kj-'))).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('confluent-kafka-python AdminClient', () => {
  it('create_topics, describe_configs, alter_configs, create_partitions, delete_topics', async () => {
    const out = await py(
      `
import sys, json
from confluent_kafka.admin import AdminClient, NewTopic, NewPartitions, ConfigResource
from confluent_kafka import KafkaException
a = AdminClient({"bootstrap.servers": sys.argv[1]})
r = {}
fs = a.create_topics([NewTopic("ck-a", 2, 1, config={"max.message.bytes": "200000"}), NewTopic("ck-rf", 1, 3)], request_timeout=15)
try:
    fs["ck-a"].result()
    r["create"] = "ok"
except KafkaException as e:
    r["create"] = str(e)
try:
    fs["ck-rf"].result()
    r["rf"] = "ok"
except KafkaException as e:
    r["rf"] = e.args[0].name()
fs = a.create_topics([NewTopic("ck-v", 1, 1)], validate_only=True, request_timeout=15)
fs["ck-v"].result()
md = a.list_topics(timeout=10)
r["topics"] = sorted(t for t in md.topics if t.startswith("ck-"))
r["partitions"] = len(md.topics["ck-a"].partitions)
res = a.describe_configs([ConfigResource("topic", "ck-a")])
cfg = list(res.values())[0].result()
r["max"] = [cfg["max.message.bytes"].value, cfg["max.message.bytes"].source]
r["ts"] = [cfg["message.timestamp.type"].value, cfg["message.timestamp.type"].is_default]
res = a.alter_configs([ConfigResource("topic", "ck-a", set_config={"retention.ms": "7200000"})])
list(res.values())[0].result()
cfg = list(a.describe_configs([ConfigResource("topic", "ck-a")]).values())[0].result()
r["retention"] = cfg["retention.ms"].value
res = a.describe_configs([ConfigResource("broker", "1")])
bcfg = list(res.values())[0].result()
r["broker"] = [bcfg["message.max.bytes"].value, bcfg["message.max.bytes"].is_read_only]
a.create_partitions([NewPartitions("ck-a", 4)], request_timeout=15)["ck-a"].result()
r["grown"] = len(a.list_topics(timeout=10).topics["ck-a"].partitions)
a.delete_topics(["ck-a"], request_timeout=15)["ck-a"].result()
r["after"] = sorted(t for t in a.list_topics(timeout=10).topics if t.startswith("ck-"))
print(json.dumps(r))
`,
      bootstrap,
    );
    const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(r).toEqual({
      create: 'ok',
      rf: 'INVALID_REPLICATION_FACTOR',
      topics: ['ck-a'],
      partitions: 2,
      max: ['200000', 1],
      ts: ['CreateTime', true],
      retention: '7200000',
      broker: ['1048588', false],
      grown: 4,
      after: [],
    });
  });
});

describe('auto-creation by producers', () => {
  it('kcat -P and a kafkajs producer create unknown topics with num.partitions', async () => {
    await new Promise<void>((resolve, reject) => {
      const p = execFile('kcat', ['-P', '-b', bootstrap, '-t', 'auto-kcat'], { timeout: 20_000 }, (e) => (e ? reject(e) : resolve()));
      p.stdin!.end('hello\n');
    });
    expect(broker.context.topicRegistry.topic('auto-kcat')).toMatchObject({ partitions: 1, replicationFactor: 1 });
    expect(broker.context.topicRegistry.partitionLog('auto-kcat', 0)!.logEndOffset).toBe(1);

    const { Kafka, logLevel } = await import('kafkajs');
    const kafka = new Kafka({ clientId: 'rivulet-auto', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    try {
      await producer.send({ topic: 'auto-kafkajs', messages: [{ value: 'x' }] });
    } finally {
      await producer.disconnect();
    }
    expect(broker.context.topicRegistry.partitionLog('auto-kafkajs', 0)!.logEndOffset).toBe(1);
  });
});

describe('kcat', () => {
  it('kcat -L shows created topics with their partitions', async () => {
    broker.context.topicRegistry.createTopic({ name: 'kc-topic', numPartitions: 3, replicationFactor: 1 });
    const { stdout } = await run('kcat', ['-L', '-b', bootstrap, '-m', '10'], { timeout: 20_000 });
    expect(stdout).toMatch(/topic "kc-topic" with 3 partitions:/);
    expect(stdout).toMatch(/partition 2, leader 1, replicas: 1, isrs: 1/);
    const j = JSON.parse((await run('kcat', ['-L', '-J', '-b', bootstrap, '-t', 'kc-topic', '-m', '10'], { timeout: 20_000 })).stdout) as {
      topics: { topic: string; partitions: { partition: number; leader: number }[] }[];
    };
    expect(j.topics[0]!.topic).toBe('kc-topic');
    expect(j.topics[0]!.partitions.map((p) => p.leader)).toEqual([1, 1, 1]);
  });
});
