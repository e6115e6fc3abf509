// Real clients against a three-broker cluster (in-process brokers, real etcd), as a new user would try it:
// kcat (librdkafka), kafka-python and confluent-kafka-python (Debian's /usr/bin/python3), sarama (Go) and
// kafkajs produce acks=all to an RF=3 topic while its leader broker closes cleanly, and nothing acknowledged
// is lost; consumers (in a group where the client has one) read everything back in offset order.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/api.js';
import { ErrorCode } from '../../protocol/errors.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { Admin } from '../../host-node/client/admin.js';
import { Cluster, type PartitionInfo } from '../../host-node/client/cluster.js';
import { runSarama, saramaClient } from '../real-clients/go/sarama.js';
import { InProcessCluster, until } from './support/in-process-cluster.js';

const PY = '/usr/bin/python3';
const PY_CLIENTS = fileURLToPath(new URL('./support/cluster_clients.py', import.meta.url));
let c: InProcessCluster;

beforeAll(async () => {
  await saramaClient(); // built (or found cached) outside the tests' timeouts
  c = await InProcessCluster.start({
    sets: {
      'broker.session.timeout.ms': '2000',
      'broker.heartbeat.interval.ms': '500',
      'replica.fetch.wait.max.ms': '100',
      'replica.fetch.backoff.ms': '100',
      'controlled.shutdown.retry.backoff.ms': '1000',
      'auto.leader.rebalance.enable': 'false',
    },
  });
  // The offsets topic (replication factor 3, as Kafka's default) is created by the first FindCoordinator,
  // which needs three live brokers: ask while all of them run, before any test closes one.
  const client = await KafkaTestClient.connect(c.broker(c.runningIds()[0]!).port);
  try {
    await until('the offsets topic has its coordinators', async () => {
      const r = await client.request(ApiKey.FindCoordinator, 1, { key: 'warm-up', keyType: 0 });
      return r.errorCode === ErrorCode.NONE;
    }, 30_000);
  } finally {
    client.raw.close();
  }
}, 300_000);

afterAll(async () => {
  await c?.close();
}, 60_000);

async function withAdmin<T>(fn: (a: Admin) => Promise<T>): Promise<T> {
  const k = new Cluster({ bootstrapServers: c.bootstrap(), clientId: 'real-clients-cluster', retries: 20, retryBackoffMs: 200 });
  try {
    return await fn(new Admin(k));
  } finally {
    await k.close();
  }
}

async function partition0(topic: string): Promise<PartitionInfo> {
  return withAdmin(async (a) => (await a.describeTopics([topic]))[0]!.partitions[0]!);
}

async function createTopic(topic: string): Promise<PartitionInfo> {
  // A test that failed before bringing its broker back leaves it closed: every test starts with three.
  for (const id of c.ids) if (!c.runningIds().includes(id)) await c.startNode(id);
  await withAdmin((a) => a.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 3 }]));
  return partition0(topic);
}

/** Closes the partition's leader cleanly; checks a new leader took over with the next leader epoch. */
async function closeLeader(topic: string, before: PartitionInfo): Promise<number> {
  await c.stopNode(before.leader);
  const after = await partition0(topic);
  expect(after.leader).not.toBe(before.leader);
  expect(after.leader).toBeGreaterThan(0);
  expect(after.leaderEpoch).toBe(before.leaderEpoch + 1);
  return before.leader;
}

/** Starts the broker again and waits until it is back in the ISR of `topic`. */
async function bringBack(id: number, topic: string): Promise<void> {
  await c.startNode(id);
  await until(`broker ${id} back in the ISR of ${topic}`, async () => (await partition0(topic)).isr.includes(id), 20_000);
}

/** A child process whose stdout is JSON lines. */
class JsonLinesProcess {
  readonly lines: Record<string, unknown>[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly proc;
  private buf = '';

  constructor(cmd: string, args: string[], input?: string) {
    this.proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        this.take(this.buf.slice(0, nl));
        this.buf = this.buf.slice(nl + 1);
      }
    });
    // kcat's -L -J output has no final newline.
    this.proc.stdout.on('end', () => this.take(this.buf));
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-20_000)));
    this.exited = new Promise((r) => this.proc.once('close', (code) => r(code)));
    if (input !== undefined) this.proc.stdin.end(input);
  }

  private take(line: string): void {
    const l = line.trim();
    if (!l.startsWith('{')) return;
    try {
      this.lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // The tail of a process killed mid-line.
    }
  }

  write(s: string): void {
    this.proc.stdin.write(s);
  }

  end(): void {
    this.proc.stdin.end();
  }

  async result(timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const t = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(t);
    if (code !== 0) throw new Error(`exit ${code}: ${this.stderr.slice(-3000)}`);
    return this.lines[this.lines.length - 1] ?? {};
  }
}

function expectStrictlyIncreasing(offsets: number[]): void {
  for (let i = 1; i < offsets.length; i++) expect(offsets[i]!).toBeGreaterThan(offsets[i - 1]!);
}

describe('real clients follow a leader change in a three-broker cluster', () => {
  it('kcat: -L lists the cluster; acks=all production before and after a leader close loses nothing; a consumer reads it all', async () => {
    const topic = 'rc-kcat';
    const before = await createTopic(topic);
    const md = await new JsonLinesProcess('kcat', ['-b', c.bootstrap(), '-L', '-J', '-t', topic]).result();
    expect((md.brokers as { id: number }[]).map((b) => b.id).sort()).toEqual([1, 2, 3]);
    expect(c.runningIds()).toContain(md.controllerid);
    const p0 = (md.topics as { partitions: { leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[] }[])[0]!.partitions[0]!;
    expect(p0.leader).toBe(before.leader);
    expect(p0.replicas.map((r) => r.id).sort()).toEqual([1, 2, 3]);
    expect(p0.isrs.map((r) => r.id).sort()).toEqual([1, 2, 3]);

    // Two kcat runs, the leader closed between them: the second bootstraps from a list naming the closed broker.
    const values = Array.from({ length: 400 }, (_, i) => `kcat-${i}`);
    const bootstrap = c.bootstrap();
    const kcatProduce = async (lines: string[]) => {
      const p = new JsonLinesProcess('kcat', ['-b', bootstrap, '-P', '-t', topic, '-X', 'acks=all', '-X', 'enable.idempotence=true'], lines.join('\n') + '\n');
      await p.result(20_000).catch((e: Error) => {
        throw new Error(`kcat -P of ${lines.length} records did not finish in 20 s: ${e.message}`);
      });
      // Connection refused by the closed broker is logged (an error callback); a lost record would be a delivery failure.
      expect(p.stderr).not.toMatch(/Delivery failed/);
    };
    await kcatProduce(values.slice(0, 200));
    const old = await closeLeader(topic, before);
    await kcatProduce(values.slice(200));

    const consumed = new JsonLinesProcess('kcat', ['-b', c.bootstrap(), '-C', '-t', topic, '-o', 'beginning', '-c', String(values.length), '-J']);
    await consumed.result(20_000).catch((e: Error) => {
      throw new Error(`kcat consumed ${consumed.lines.length} of ${values.length} records in 20 s (last offset ${String(consumed.lines.at(-1)?.offset)}): ${e.message}`);
    });
    const lines = consumed.lines;
    expect(new Set(lines.map((l) => l.payload))).toEqual(new Set(values));
    expectStrictlyIncreasing(lines.map((l) => l.offset as number));
    await bringBack(old, topic);
  }, 60_000);

  for (const client of ['kafka-python', 'confluent'] as const) {
    it(`${client}: acks=all across a leader close loses nothing; a group consumer reads it all and commits`, async () => {
      const topic = `rc-${client}`;
      const before = await createTopic(topic);
      const n = 300;
      const producer = new JsonLinesProcess(PY, [PY_CLIENTS, 'produce', client, c.bootstrap(), topic, String(n), client]);
      await until(`${client} progress`, () => producer.lines.some((l) => (l.progress as number) >= 100), 30_000);
      const old = await closeLeader(topic, before);
      const r = (await producer.result()) as { acked: string[]; errors: string[] };
      expect(r.errors).toEqual([]);
      expect(r.acked).toHaveLength(n);

      const consumer = new JsonLinesProcess(PY, [PY_CLIENTS, 'consume', client, c.bootstrap(), topic, String(n), `g-${client}`]);
      const got = (await consumer.result()) as { values: string[]; offsets: number[]; error: string | null };
      expect(got.error).toBeNull();
      expect(new Set(got.values)).toEqual(new Set(r.acked));
      expectStrictlyIncreasing(got.offsets);
      await bringBack(old, topic);
    }, 90_000);
  }

  it('sarama: produces, its leader closes, produces again and consumes both halves from the new leader', async () => {
    const topic = 'rc-sarama';
    const before = await createTopic(topic);
    const first = await runSarama(['produce', '-brokers', c.bootstrap(), '-topic', topic, '-n', '100', '-prefix', 'a', '-version', '2.0.0']);
    expect(first.code).toBe(0);
    const old = await closeLeader(topic, before);
    const second = await runSarama(['produce', '-brokers', c.bootstrap(), '-topic', topic, '-n', '100', '-prefix', 'b', '-version', '2.0.0']);
    expect(second.code).toBe(0);
    const consumed = await runSarama(['consume', '-brokers', c.bootstrap(), '-topic', topic, '-n', '200', '-timeout-ms', '15000', '-version', '2.0.0']);
    expect(consumed.code).toBe(0);
    const values = consumed.lines.filter((l) => l.value !== undefined).map((l) => l.value as string);
    const expected = [...Array.from({ length: 100 }, (_, i) => `a-${i}`), ...Array.from({ length: 100 }, (_, i) => `b-${i}`)];
    expect(values).toEqual(expected);
    await bringBack(old, topic);
  }, 60_000);

  it('kafkajs: acks=all across a leader close without an error; a group consumer reads it all', async () => {
    const topic = 'rc-kafkajs';
    const before = await createTopic(topic);
    const kafka = new Kafka({ clientId: 'rc-kafkajs', brokers: c.bootstrap().split(','), logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const sent: string[] = [];
    let old = -1;
    for (let i = 0; i < 300; i++) {
      if (i === 100) old = await closeLeader(topic, before);
      await producer.send({ topic, acks: -1, messages: [{ key: `k${i}`, value: `kafkajs-${i}` }] });
      sent.push(`kafkajs-${i}`);
    }
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'g-kafkajs', sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: { value: string; offset: number }[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void got.push({ value: message.value!.toString(), offset: Number(message.offset) }) });
    try {
      await until('kafkajs consumed everything', () => got.length >= sent.length, 30_000);
    } finally {
      await consumer.disconnect();
    }
    expect(got.map((g) => g.value)).toEqual(sent);
    expectStrictlyIncreasing(got.map((g) => g.offset));
    await bringBack(old, topic);
  }, 90_000);
});
