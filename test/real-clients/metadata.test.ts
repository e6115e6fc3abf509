// Real Kafka clients against an in-process broker: kcat (librdkafka), kafka-python, confluent-kafka-python.
// Debian's python3 (/usr/bin/python3) is the one with the Kafka modules.
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
  // No auto-creation: these tests check how an unknown topic is reported (test/admin covers auto-creation).
  broker = await startTestBroker({ sets: { 'auto.create.topics.enable': false } });
  bootstrap = `127.0.0.1:${broker.port}`;
});
afterAll(async () => {
  await broker.close();
});

async function py(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(PY, ['-c', script, ...args], { timeout: 30_000 });
  return stdout;
}

describe('kcat (librdkafka)', () => {
  it('kcat -L lists broker 1 as controller and exits 0', async () => {
    const { stdout } = await run('kcat', ['-L', '-b', bootstrap, '-m', '10'], { timeout: 20_000 });
    expect(stdout).toContain(`1 brokers:`);
    expect(stdout).toMatch(new RegExp(`broker 1 at 127\\.0\\.0\\.1:${broker.port}.*controller`));
    expect(stdout).toContain('0 topics');
  });

  it('kcat -L -J output parses and names the broker and controller', async () => {
    const { stdout } = await run('kcat', ['-L', '-J', '-b', bootstrap, '-m', '10'], { timeout: 20_000 });
    const md = JSON.parse(stdout) as { controllerid: number; brokers: { id: number; name: string }[]; topics: unknown[] };
    expect(md.controllerid).toBe(1);
    expect(md.brokers).toEqual([{ id: 1, name: bootstrap }]);
    expect(md.topics).toEqual([]);
  });

  it('kcat -L -t unknown-topic reports the topic as unknown', async () => {
    const r = await run('kcat', ['-L', '-b', bootstrap, '-t', 'no-such-topic', '-m', '10'], { timeout: 20_000 }).catch((e: { stdout: string; stderr: string }) => e);
    expect(`${r.stdout}${r.stderr}`).toMatch(/no-such-topic.*(Unknown topic|Broker: Unknown topic or partition)/i);
  });
});

describe('kafka-python', () => {
  it('KafkaAdminClient connects and describe_cluster() names the broker', async () => {
    const out = await py(
      `
import sys, json
from kafka import KafkaAdminClient
a = KafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=10000)
d = a.describe_cluster()
print(json.dumps({"brokers": [b.nodeId for b in a._client.cluster.brokers()], "cluster": d}))
a.close()
`,
      bootstrap,
    );
    const r = JSON.parse(out) as { brokers: number[]; cluster: { brokers: { node_id: number; host: string; port: number }[]; controller_id: number; cluster_id: string } };
    expect(r.brokers).toEqual([1]);
    expect(r.cluster.brokers).toEqual([{ node_id: 1, host: '127.0.0.1', port: broker.port, rack: null }]);
    expect(r.cluster.controller_id).toBe(1);
    expect(r.cluster.cluster_id).toBe(broker.clusterId);
  });

  it('bootstrap_connected() is true (KafkaConsumer; kafka-python 2.0.2 has it on consumer/producer, not admin)', async () => {
    const out = await py(
      `
import sys
from kafka import KafkaConsumer
c = KafkaConsumer(bootstrap_servers=sys.argv[1], request_timeout_ms=11000)
print(c.bootstrap_connected())
print(sorted(c.topics()))
c.close()
`,
      bootstrap,
    );
    expect(out.trim().split('\n')).toEqual(['True', '[]']);
  });
});

describe('confluent-kafka-python', () => {
  it('AdminClient.list_topics() sees the broker, controller and cluster id', async () => {
    const out = await py(
      `
import sys, json
from confluent_kafka.admin import AdminClient
a = AdminClient({"bootstrap.servers": sys.argv[1]})
md = a.list_topics(timeout=10)
print(json.dumps({"cluster": md.cluster_id, "controller": md.controller_id, "brokers": {k: [v.host, v.port] for k, v in md.brokers.items()}, "topics": list(md.topics)}))
`,
      bootstrap,
    );
    const r = JSON.parse(out) as { cluster: string; controller: number; brokers: Record<string, [string, number]>; topics: string[] };
    expect(r.brokers).toEqual({ '1': ['127.0.0.1', broker.port] });
    expect(r.controller).toBe(1);
    expect(r.cluster).toBe(broker.clusterId);
    expect(r.topics).toEqual([]);
  });
});

describe('kafkajs', () => {
  it('admin.describeCluster() names the broker and controller', async () => {
    const { Kafka, logLevel } = await import('kafkajs');
    const kafka = new Kafka({ clientId: 'rivulet-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const c = await admin.describeCluster();
      expect(c.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: broker.port }]);
      expect(c.controller).toBe(1);
      expect(c.clusterId).toBe(broker.clusterId);
      expect(await admin.listTopics()).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });
});
