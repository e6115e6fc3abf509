// Real consumer groups committing after every message over a __consumer_offsets of small segments that the
// cleaner compacts many times meanwhile — kafkajs (records arriving all along) and confluent-kafka-python
// (Debian's python3, two members, synchronous commits): the group's committed offsets are right after the
// broker restarts on the same data dir, and a new instance of the group resumes exactly there (only records
// produced after the restart).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { startDataBroker, tapHandler, type DataBroker } from '../helpers/data-broker.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

const PARTITIONS = 3;
const ROUNDS = 20;
const PER_ROUND = 100; // records per partition per round
const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-kafkajs-offsets-compaction-'));
const pyDataDir = mkdtempSync(join(tmpdir(), 'rivulet-python-offsets-compaction-'));
const PYTHON = '/usr/bin/python3';
const PY = join(import.meta.dirname, 'py', 'group_clients.py');
const sets = {
  'group.initial.rebalance.delay.ms': '0',
  'offsets.topic.num.partitions': '1',
  'offsets.topic.segment.bytes': String(32 * 1024),
  'log.cleaner.backoff.ms': '20',
  'log.segment.delete.delay.ms': '200',
};
const open: (DataBroker | KafkaTestClient)[] = [];
afterAll(async () => {
  for (const x of open) if (x instanceof KafkaTestClient) x.close();
  for (const x of open) if (!(x instanceof KafkaTestClient)) await x.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(pyDataDir, { recursive: true, force: true });
});

/** group_clients.py confluent: `members` consumers of `group`, a synchronous commit after each message. */
function pythonGroup(port: number, topic: string, group: string, members: number, expected: number): Promise<{ seen: [number, number, number][] }> {
  return new Promise((resolve, reject) => {
    const p = spawn(PYTHON, [PY, 'confluent', `127.0.0.1:${port}`, topic, group, String(members), String(expected), 'range', '120'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d) => (stdout += d));
    p.stderr!.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), 150_000);
    p.on('close', (status) => {
      clearTimeout(t);
      if (status !== 0) reject(new Error(`group_clients.py exited ${status}: ${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!));
    });
  });
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function committed(c: KafkaTestClient, group: string, topic: string): Promise<bigint[]> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const r = await c.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: group, topics: [{ name: topic, partitionIndexes: [...Array(PARTITIONS).keys()] }] }], requireStable: false });
    const g = r.groups[0]!;
    if (g.errorCode === 14) {
      await new Promise((res) => setTimeout(res, 10)); // COORDINATOR_LOAD_IN_PROGRESS
      continue;
    }
    expect(g.errorCode).toBe(0);
    return g.topics[0]!.partitions.map((p) => p.committedOffset);
  }
  throw new Error(`${group}: still loading`);
}

type Seen = { p: number; o: number; v: string };
const value = (p: number, o: number) => `v${p}-${o}`;

function consumerOf(kafka: ReturnType<typeof Kafka>, group: string, topic: string, seen: Seen[]) {
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10000, heartbeatInterval: 500, rebalanceTimeout: 10000, maxWaitTimeInMs: 50 });
  return {
    consumer,
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommitThreshold: 1, // an OffsetCommit after every message
        eachMessage: async ({ partition, message }: { partition: number; message: { offset: string; value: Buffer | null } }) => {
          seen.push({ p: partition, o: Number(message.offset), v: message.value!.toString() });
        },
      });
    },
  };
}

describe('real consumer groups over a compacted __consumer_offsets', () => {
  it('a kafkajs group commits continuously while cleanings run; the committed offsets survive a restart exactly', { timeout: 240_000 }, async () => {
    const topic = 'js-stream';
    const group = 'js-stream-group';
    let commitRequests = 0;
    const b1 = await startDataBroker({ dataDir, sets, configureHandlers: (r) => tapHandler(r, ApiKey.OffsetCommit, () => commitRequests++) });
    open.push(b1);
    b1.createTopic(topic, PARTITIONS);
    const raw1 = await KafkaTestClient.connect(b1.port);
    open.push(raw1);
    const counters = b1.broker.context.logManager.cleaner!.counters;

    const kafka = new Kafka({ clientId: 'js-stream', brokers: [b1.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const produce = async (p: number, from: number, to: number) =>
      producer.send({ topic, acks: -1, messages: Array.from({ length: to - from }, (_, i) => ({ partition: p, key: `k${from + i}`, value: value(p, from + i) })) });

    const seen: Seen[] = [];
    const c1 = consumerOf(kafka, group, topic, seen);
    await c1.start();
    const t0 = Date.now();
    const cleaningsBefore = counters.cleanings;
    // Records keep arriving while the group consumes and commits.
    for (let round = 0; round < ROUNDS; round++) {
      for (let p = 0; p < PARTITIONS; p++) await produce(p, round * PER_ROUND, (round + 1) * PER_ROUND);
      await waitFor(`round ${round} consumed`, () => seen.length >= (round + 1) * PER_ROUND * PARTITIONS - PER_ROUND * PARTITIONS);
    }
    const end = BigInt(ROUNDS * PER_ROUND);
    await waitFor('everything consumed and committed', async () => seen.length >= ROUNDS * PER_ROUND * PARTITIONS && (await committed(raw1, group, topic)).every((o) => o === end));
    const cleanings = counters.cleanings - cleaningsBefore;
    console.log(`kafkajs offsets compaction: ${seen.length} messages consumed, ${commitRequests} OffsetCommit requests in ${Date.now() - t0} ms; ${cleanings} cleanings meanwhile (failed ${counters.failures}), records read ${counters.recordsRead} kept ${counters.recordsKept}`);
    expect(counters.failures).toBe(0);
    expect(commitRequests).toBeGreaterThanOrEqual(seen.length);
    expect(cleanings).toBeGreaterThanOrEqual(5);
    // Each record once, in order per partition.
    for (let p = 0; p < PARTITIONS; p++) {
      const got = seen.filter((s) => s.p === p);
      expect(got.map((s) => s.o)).toEqual([...Array(ROUNDS * PER_ROUND).keys()]);
      expect(got.every((s) => s.v === value(p, s.o))).toBe(true);
    }
    await c1.consumer.disconnect();
    await producer.disconnect();
    expect(await committed(raw1, group, topic)).toEqual(Array(PARTITIONS).fill(end));
    raw1.close();
    await b1.close();
    open.splice(open.indexOf(b1), 1);
    open.splice(open.indexOf(raw1), 1);

    const b2 = await startDataBroker({ dataDir, sets });
    open.push(b2);
    const raw2 = await KafkaTestClient.connect(b2.port);
    open.push(raw2);
    expect(await committed(raw2, group, topic)).toEqual(Array(PARTITIONS).fill(end));

    // A new instance of the group starts at the committed offsets: it sees only what came after.
    const kafka2 = new Kafka({ clientId: 'js-stream-2', brokers: [b2.bootstrap], logLevel: logLevel.NOTHING });
    const producer2 = kafka2.producer();
    await producer2.connect();
    const more = 5;
    for (let p = 0; p < PARTITIONS; p++)
      await producer2.send({ topic, acks: -1, messages: Array.from({ length: more }, (_, i) => ({ partition: p, key: 'k', value: value(p, ROUNDS * PER_ROUND + i) })) });
    await producer2.disconnect();
    const seen2: Seen[] = [];
    const c2 = consumerOf(kafka2, group, topic, seen2);
    try {
      await c2.start();
      await waitFor('the new records', () => seen2.length >= more * PARTITIONS);
      await new Promise((r) => setTimeout(r, 500)); // anything older would show up now
      const sorted = [...seen2].sort((a, b) => a.p - b.p || a.o - b.o);
      expect(sorted).toEqual([...Array(PARTITIONS).keys()].flatMap((p) => Array.from({ length: more }, (_, i) => ({ p, o: ROUNDS * PER_ROUND + i, v: value(p, ROUNDS * PER_ROUND + i) }))));
    } finally {
      await c2.consumer.disconnect();
    }
    expect(await committed(raw2, group, topic)).toEqual(Array(PARTITIONS).fill(end + BigInt(more)));
  });

  it('confluent-kafka-python members commit every message while cleanings run; the offsets survive a restart exactly', { timeout: 300_000 }, async () => {
    const topic = 'py-stream';
    const group = 'py-stream-group';
    const perPartition = 1500;
    let commitRequests = 0;
    const pySets = { ...sets, 'group.initial.rebalance.delay.ms': '500' };
    const b1 = await startDataBroker({ dataDir: pyDataDir, sets: pySets, configureHandlers: (r) => tapHandler(r, ApiKey.OffsetCommit, () => commitRequests++) });
    open.push(b1);
    b1.createTopic(topic, PARTITIONS);
    const raw1 = await KafkaTestClient.connect(b1.port);
    open.push(raw1);
    const counters = b1.broker.context.logManager.cleaner!.counters;
    const kafka = new Kafka({ clientId: 'py-feed', brokers: [b1.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < PARTITIONS; p++)
      await producer.send({ topic, acks: -1, messages: Array.from({ length: perPartition }, (_, i) => ({ partition: p, key: `k${i}`, value: value(p, i) })) });
    await producer.disconnect();

    const t0 = Date.now();
    const run1 = await pythonGroup(b1.port, topic, group, 2, PARTITIONS * perPartition);
    const keys = new Set(run1.seen.map(([, p, o]) => `${p}:${o}`));
    expect(keys.size).toBe(PARTITIONS * perPartition);
    await waitFor('the last commits', async () => (await committed(raw1, group, topic)).every((o) => o === BigInt(perPartition)));
    console.log(`python offsets compaction: ${run1.seen.length} messages, ${commitRequests} OffsetCommit requests in ${Date.now() - t0} ms; ${counters.cleanings} cleanings (failed ${counters.failures})`);
    expect(commitRequests).toBeGreaterThanOrEqual(PARTITIONS * perPartition);
    expect(counters.failures).toBe(0);
    expect(counters.cleanings).toBeGreaterThanOrEqual(5);
    raw1.close();
    await b1.close();
    open.splice(open.indexOf(b1), 1);
    open.splice(open.indexOf(raw1), 1);

    const b2 = await startDataBroker({ dataDir: pyDataDir, sets: pySets });
    open.push(b2);
    const raw2 = await KafkaTestClient.connect(b2.port);
    open.push(raw2);
    expect(await committed(raw2, group, topic)).toEqual(Array(PARTITIONS).fill(BigInt(perPartition)));
    const kafka2 = new Kafka({ clientId: 'py-feed-2', brokers: [b2.bootstrap], logLevel: logLevel.NOTHING });
    const producer2 = kafka2.producer();
    await producer2.connect();
    const more = 5;
    for (let p = 0; p < PARTITIONS; p++)
      await producer2.send({ topic, acks: -1, messages: Array.from({ length: more }, (_, i) => ({ partition: p, key: 'k', value: value(p, perPartition + i) })) });
    await producer2.disconnect();
    // One member now: it starts at the committed offsets and sees only the new records.
    const run2 = await pythonGroup(b2.port, topic, group, 1, PARTITIONS * more);
    expect(run2.seen.map(([, p, o]) => `${p}:${o}`).sort()).toEqual([...Array(PARTITIONS).keys()].flatMap((p) => Array.from({ length: more }, (_, i) => `${p}:${perPartition + i}`)).sort());
    await waitFor('the new commits', async () => (await committed(raw2, group, topic)).every((o) => o === BigInt(perPartition + more)));
  });
});
