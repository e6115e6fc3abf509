// Real consumer groups against the coordinator: confluent-kafka-python (librdkafka, eager and cooperative),
// kafka-python, kafkajs, and kcat -G. Each checks that every message was consumed exactly once across the
// members, that the final assignments split the partitions, and that the committed offsets are the ends.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { startDataBroker, type DataBroker } from '../helpers/data-broker.js';
import { saramaGroup } from './go/sarama.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

const PYTHON = '/usr/bin/python3';
const PY = join(import.meta.dirname, 'py', 'group_clients.py');
const PARTITIONS = 6;
const PER_PARTITION = 10;
const TOTAL = PARTITIONS * PER_PARTITION;

let b: DataBroker;
let admin: KafkaTestClient;

/** kcat -P, 10 messages into each partition (async: the broker runs in this process). */
async function produce(topic: string): Promise<void> {
  for (let p = 0; p < PARTITIONS; p++) {
    const input = Array.from({ length: PER_PARTITION }, (_, i) => `k${i}:p${p}-m${i}`).join('\n') + '\n';
    const r = await runAsync('kcat', ['-P', '-b', `127.0.0.1:${b.port}`, '-t', topic, '-p', String(p), '-K:'], 30000, input);
    if (r.status !== 0) throw new Error(`kcat -P failed: ${r.stderr}`);
  }
}

async function committed(groupId: string, topic: string): Promise<bigint[]> {
  const r = await admin.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [...Array(PARTITIONS).keys()] }] }] });
  return r.groups[0]!.topics[0]!.partitions.map((p) => p.committedOffset);
}

function runAsync(cmd: string, args: string[], timeoutMs: number, input?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (input !== undefined) p.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d) => (stdout += d));
    p.stderr!.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}

function checkSplit(seen: [number, number, number][], members: Record<string, { assignment: number[] }>, n: number) {
  expect(seen).toHaveLength(TOTAL);
  expect(new Set(seen.map(([, p, o]) => `${p}:${o}`)).size).toBe(TOTAL);
  const assignments = Object.values(members).map((m) => m.assignment);
  expect(assignments).toHaveLength(n);
  for (const a of assignments) expect(a.length).toBeGreaterThan(0);
  expect(assignments.flat().sort()).toEqual([...Array(PARTITIONS).keys()]);
}

beforeAll(async () => {
  b = await startDataBroker({ sets: { 'group.initial.rebalance.delay.ms': '500' } });
  admin = await KafkaTestClient.connect(b.port);
});
afterAll(async () => {
  admin?.close();
  await b?.dispose();
});

describe('confluent-kafka-python (librdkafka)', () => {
  for (const strategy of ['range', 'cooperative-sticky']) {
    it(`three consumers in one group share a 6-partition topic (${strategy})`, async () => {
      const topic = `py-${strategy}`;
      const group = `py-group-${strategy}`;
      b.createTopic(topic, PARTITIONS);
      await produce(topic);
      const r = await runAsync(PYTHON, [PY, 'confluent', `127.0.0.1:${b.port}`, topic, group, '3', String(TOTAL), strategy], 120000);
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      checkSplit(out.seen, out.members, 3);
      expect(await committed(group, topic)).toEqual(Array(PARTITIONS).fill(BigInt(PER_PARTITION)));
    });
  }
});

describe('confluent-kafka-python static membership (KIP-345)', () => {
  it('a restarted static member takes its old place without a rebalance', async () => {
    const topic = 'py-static';
    const group = 'py-static-group';
    b.createTopic(topic, PARTITIONS);
    const coordinator = b.broker.context.groupCoordinator!;
    const p = spawn(PYTHON, [join(import.meta.dirname, 'py', 'static_members.py'), `127.0.0.1:${b.port}`, topic, group], { stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = '';
    let err = '';
    const lines: Record<string, unknown>[] = [];
    let wake: (() => void) | null = null;
    p.stdout!.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
        wake?.();
      }
    });
    p.stderr!.on('data', (d) => (err += d));
    const next = async (phase: string) => {
      const deadline = Date.now() + 60000;
      for (;;) {
        const l = lines.find((x) => x.phase === phase || x.error);
        if (l) {
          if (l.error) throw new Error(`${JSON.stringify(l)} ${err}`);
          return l;
        }
        if (Date.now() > deadline) throw new Error(`no ${phase} line: ${err}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 200);
        });
      }
    };
    try {
      await next('stable');
      const g = coordinator.group(group)!;
      const generation = g.generationId;
      expect(g.state).toBe('Stable');
      expect([...g.staticMembers.keys()].sort()).toEqual(['i-0', 'i-1']);
      const oldId = g.staticMembers.get('i-0');
      p.stdin!.write('go\n');
      const rejoined = (await next('rejoined')) as { assignments: number[][] };
      expect(rejoined.assignments.flat().sort()).toEqual([...Array(PARTITIONS).keys()]);
      expect(g.generationId).toBe(generation); // no rebalance
      expect(g.state).toBe('Stable');
      expect(g.staticMembers.get('i-0')).not.toBe(oldId);
      expect(g.members.size).toBe(2);
      p.stdin!.write('go\n');
      await next('done');
    } finally {
      p.kill();
    }
  });
});

describe('broker restart under a live librdkafka group', () => {
  it('the consumer carries on from its committed offsets after the coordinator reloads __consumer_offsets', async () => {
    // Its own broker on a fixed data dir and port, restarted in the middle.
    const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-groups-restart-'));
    const sets = { 'group.initial.rebalance.delay.ms': '0' };
    let rb = await startDataBroker({ dataDir, sets });
    const port = rb.port;
    try {
      rb.createTopic('restart-topic', PARTITIONS);
      const produceHalf = async (from: number) => {
        for (let p = 0; p < PARTITIONS; p++) {
          const input = Array.from({ length: PER_PARTITION / 2 }, (_, i) => `m${from + i}`).join('\n') + '\n';
          const r = await runAsync('kcat', ['-P', '-b', `127.0.0.1:${port}`, '-t', 'restart-topic', '-p', String(p)], 30000, input);
          if (r.status !== 0) throw new Error(r.stderr);
        }
      };
      await produceHalf(0);
      const consumer = runAsync(PYTHON, [PY, 'confluent', `127.0.0.1:${port}`, 'restart-topic', 'restart-group', '1', String(TOTAL), 'range', '90'], 120000);
      // Wait until the first half is committed, then restart the broker.
      const c1 = await KafkaTestClient.connect(port);
      const deadline = Date.now() + 30000;
      for (;;) {
        const r = await c1.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'restart-group', topics: [{ name: 'restart-topic', partitionIndexes: [...Array(PARTITIONS).keys()] }] }] });
        if (r.groups[0]!.topics[0]!.partitions.every((p) => p.committedOffset === BigInt(PER_PARTITION / 2))) break;
        if (Date.now() > deadline) throw new Error('first half not committed');
        await new Promise((r) => setTimeout(r, 200));
      }
      c1.close();
      const generation = rb.broker.context.groupCoordinator!.group('restart-group')!.generationId;
      await rb.close();
      rb = await startDataBroker({ dataDir, sets, port });
      const g = rb.broker.context.groupCoordinator!.group('restart-group')!;
      expect(g.state).toBe('Stable');
      expect(g.generationId).toBe(generation);
      await produceHalf(PER_PARTITION / 2);
      const r = await consumer;
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(new Set(out.seen.map(([, p, o]: number[]) => `${p}:${o}`)).size).toBe(TOTAL);
      const c2 = await KafkaTestClient.connect(port);
      const f = await c2.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'restart-group', topics: [{ name: 'restart-topic', partitionIndexes: [...Array(PARTITIONS).keys()] }] }] });
      c2.close();
      expect(f.groups[0]!.topics[0]!.partitions.map((p) => p.committedOffset)).toEqual(Array(PARTITIONS).fill(BigInt(PER_PARTITION)));
    } finally {
      await rb.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('kafka-python', () => {
  it('two consumers in one group share a 6-partition topic', async () => {
    const topic = 'kp-topic';
    const group = 'kp-group';
    b.createTopic(topic, PARTITIONS);
    await produce(topic);
    const r = await runAsync(PYTHON, [PY, 'kafka-python', `127.0.0.1:${b.port}`, topic, group, '2', String(TOTAL)], 120000);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    checkSplit(out.seen, out.members, 2);
    expect(await committed(group, topic)).toEqual(Array(PARTITIONS).fill(BigInt(PER_PARTITION)));
  });
});

describe('kafkajs', () => {
  it('two consumers in one group share a 6-partition topic; offsets committed', async () => {
    const topic = 'js-topic';
    const group = 'js-group';
    b.createTopic(topic, PARTITIONS);
    await produce(topic);
    const kafka = new Kafka({ clientId: 'js', brokers: [`127.0.0.1:${b.port}`], logLevel: logLevel.NOTHING });
    const seen: [number, number, number][] = [];
    const assignments = new Map<number, number[]>();
    const consumers = [0, 1].map(() => kafka.consumer({ groupId: group, sessionTimeout: 10000, heartbeatInterval: 500, rebalanceTimeout: 10000, maxWaitTimeInMs: 250 }));
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    for (const [i, c] of consumers.entries()) {
      c.on(c.events.GROUP_JOIN, (e: { payload: { memberAssignment: Record<string, number[]> } }) => assignments.set(i, e.payload.memberAssignment[topic] ?? []));
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        eachMessage: async ({ partition, message }: { partition: number; message: { offset: string } }) => {
          seen.push([i, partition, Number(message.offset)]);
          if (seen.length >= TOTAL) done();
        },
      });
    }
    await Promise.race([all, new Promise((_, rej) => setTimeout(() => rej(new Error(`only ${seen.length} messages`)), 60000))]);
    // Wait until both members report assignments of the same (final) generation.
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      const d = await admin.request(ApiKey.DescribeGroups, 5, { groups: [group] });
      if (d.groups[0]!.groupState === 'Stable' && d.groups[0]!.members.length === 2 && assignments.size === 2 && [...assignments.values()].flat().length === PARTITIONS) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const members = Object.fromEntries([...assignments].map(([i, a]) => [i, { assignment: [...a].sort() }]));
    await Promise.all(consumers.map((c) => c.disconnect()));
    checkSplit(seen, members, 2);
    expect(await committed(group, topic)).toEqual(Array(PARTITIONS).fill(BigInt(PER_PARTITION)));
    const d = await admin.request(ApiKey.DescribeGroups, 5, { groups: [group] });
    expect(d.groups[0]!.groupState).toBe('Empty');

    // kafkajs's admin group operations (resetOffsets/setOffsets require an empty group, via DescribeGroups).
    const ka = kafka.admin();
    await ka.connect();
    try {
      expect((await ka.listGroups()).groups).toContainEqual({ groupId: group, protocolType: 'consumer' });
      const desc = await ka.describeGroups([group]);
      expect(desc.groups[0]).toMatchObject({ groupId: group, state: 'Empty', protocolType: 'consumer', members: [] });
      const fetched = await ka.fetchOffsets({ groupId: group, topics: [topic] });
      expect(fetched[0].partitions.map((p: { offset: string }) => p.offset)).toEqual(Array(PARTITIONS).fill(String(PER_PARTITION)));
      // kafkajs commits the symbolic -2 ("earliest") and resolves it when consuming; the broker stores it as is.
      await ka.resetOffsets({ groupId: group, topic, earliest: true });
      expect(await committed(group, topic)).toEqual(Array(PARTITIONS).fill(-2n));
      await ka.setOffsets({ groupId: group, topic, partitions: [{ partition: 2, offset: '7' }] });
      expect((await committed(group, topic))[2]).toBe(7n);
      await ka.deleteGroups([group]);
      expect((await ka.listGroups()).groups.map((g: { groupId: string }) => g.groupId)).not.toContain(group);
    } finally {
      await ka.disconnect();
    }
  });
});

describe('sarama (Go)', () => {
  for (const version of ['0.10.2.0', '2.0.0']) {
    it(`two members of a sarama ConsumerGroup (Version ${version}) share a 6-partition topic`, async () => {
      const bin = await saramaGroup();
      const topic = `sarama-${version}`;
      const group = `sarama-group-${version}`;
      b.createTopic(topic, PARTITIONS);
      await produce(topic);
      const r = await runAsync(bin, ['-brokers', `127.0.0.1:${b.port}`, '-topic', topic, '-group', group, '-members', '2', '-expected', String(TOTAL), '-version', version], 90000);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      checkSplit(out.seen, out.members, 2);
      expect(await committed(group, topic)).toEqual(Array(PARTITIONS).fill(BigInt(PER_PARTITION)));
    });
  }
});

describe('kcat -G', () => {
  it('consumes everything as a group member, commits, and a second run finds nothing new', async () => {
    const topic = 'kcat-topic';
    const group = 'kcat-group';
    b.createTopic(topic, PARTITIONS);
    await produce(topic);
    const args = ['-b', `127.0.0.1:${b.port}`, '-G', group, '-X', 'auto.offset.reset=earliest', '-e', '-f', '%p %o\n', topic];
    const first = await runAsync('kcat', args, 60000);
    expect(first.status, first.stderr).toBe(0);
    const lines = first.stdout.trim().split('\n').filter(Boolean);
    expect(lines).toHaveLength(TOTAL);
    const deadline = Date.now() + 10000;
    let offs = await committed(group, topic);
    while (offs.some((o) => o !== BigInt(PER_PARTITION)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      offs = await committed(group, topic);
    }
    expect(offs).toEqual(Array(PARTITIONS).fill(BigInt(PER_PARTITION)));
    const second = await runAsync('kcat', args, 60000);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout.trim()).toBe('');
  });
});
