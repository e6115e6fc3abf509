// Group coordinators follow the leadership of __consumer_offsets in a cluster: three in-process brokers on
// a real etcd, the offsets topic replicated (RF 3, min.insync.replicas 2). A kafkajs consumer group commits,
// the broker coordinating it is closed (its offsets partition gets a new leader), and the consumers find
// the new coordinator, rejoin and resume at the commits: every record consumed exactly once.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../host-node/broker.js';
import { createLogger, silentLogger } from '../../host-node/util/log.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { startEtcd, type EtcdHandle } from '../helpers/etcd.js';
import { run as groupsTool } from '../../host-node/cli/groups.js';
import { tool } from '../helpers/cli-tool.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

const IDS = [1, 2, 3];
const OFFSETS_PARTITIONS = 3;
const TOPIC = 'orders';
const PARTITIONS = 2;

let etcd: EtcdHandle;
const brokers = new Map<number, RunningBroker>();
const dirs: string[] = [];
const clients: KafkaTestClient[] = [];

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function clientOf(id: number): Promise<KafkaTestClient> {
  const c = await KafkaTestClient.connect(brokers.get(id)!.port);
  clients.push(c);
  return c;
}

/** FindCoordinator for `group` asked of broker `askId`: [errorCode, nodeId]. */
async function findCoordinator(askId: number, group: string): Promise<[number, number]> {
  const c = await clientOf(askId);
  try {
    const r = await c.request(ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: [group] });
    const k = r.coordinators[0]!;
    return [k.errorCode, k.nodeId];
  } finally {
    c.close();
  }
}

async function committedOn(id: number, group: string): Promise<{ errorCode: number; offsets: bigint[] }> {
  const c = await clientOf(id);
  try {
    const r = await c.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: group, topics: [{ name: TOPIC, partitionIndexes: [...Array(PARTITIONS).keys()] }] }] });
    const g = r.groups[0]!;
    return { errorCode: g.errorCode, offsets: g.topics[0]?.partitions.map((p) => p.committedOffset) ?? [] };
  } finally {
    c.close();
  }
}

async function committedOnTopic(id: number, group: string, topic: string): Promise<{ errorCode: number; offsets: bigint[] }> {
  const c = await clientOf(id);
  try {
    const r = await c.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: group, topics: [{ name: topic, partitionIndexes: [...Array(PARTITIONS).keys()] }] }] });
    const g = r.groups[0]!;
    return { errorCode: g.errorCode, offsets: g.topics[0]?.partitions.map((p) => p.committedOffset) ?? [] };
  } finally {
    c.close();
  }
}

// A confluent-kafka-python consumer of the group: reads `perPartition` records from each partition, committing
// each synchronously, then closes; prints the values as JSON.
const PY_CONSUMER = `
import json, os, sys, time
from confluent_kafka import Consumer
c = Consumer({'bootstrap.servers': os.environ['BOOTSTRAP'], 'group.id': os.environ['GROUP'], 'enable.auto.commit': False,
              'auto.offset.reset': 'earliest', 'session.timeout.ms': 6000})
c.subscribe([os.environ['TOPIC']])
want = int(os.environ['PER_PARTITION']) * int(os.environ['PARTITIONS'])
counts, values, deadline = {}, [], time.time() + 60
while len(values) < want and time.time() < deadline:
    m = c.poll(0.2)
    if m is None or m.error():
        continue
    if counts.get(m.partition(), 0) >= int(os.environ['PER_PARTITION']):
        continue
    counts[m.partition()] = counts.get(m.partition(), 0) + 1
    values.append(m.value().decode())
    c.commit(message=m, asynchronous=False)
c.close()
print(json.dumps(values))
`;

async function pythonConsume(group: string, topic: string, perPartition: number): Promise<string[]> {
  const { execFile } = await import('node:child_process');
  const bootstrap = [...brokers.values()].map((b) => `127.0.0.1:${b.port}`).join(',');
  const env = { ...process.env, BOOTSTRAP: bootstrap, GROUP: group, TOPIC: topic, PER_PARTITION: String(perPartition), PARTITIONS: String(PARTITIONS) };
  const out = await new Promise<string>((resolve, reject) =>
    execFile('/usr/bin/python3', ['-c', PY_CONSUMER], { env, timeout: 90_000 }, (e, stdout, stderr) => (e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout))),
  );
  return JSON.parse(out.trim().split('\n').at(-1)!) as string[];
}

function kafka(clientId: string) {
  const live = [...brokers.values()].map((b) => `127.0.0.1:${b.port}`);
  return new Kafka({ clientId, brokers: live, logLevel: process.env.KAFKAJS_LOG ? logLevel.DEBUG : logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
}

const dataDirs = new Map<number, string>();

/** Starts broker `id` (again, on its data dir, after it was closed). */
async function start(id: number): Promise<void> {
  const log = process.env.RIVULET_TEST_LOG ? createLogger('test', 'debug') : silentLogger;
  let dataDir = dataDirs.get(id);
  if (dataDir === undefined) {
    dataDir = mkdtempSync(join(tmpdir(), `rivulet-coord-${id}-`));
    dataDirs.set(id, dataDir);
    dirs.push(dataDir);
  }
  const sets = {
    'node.id': String(id),
    'etcd.connect': etcd.connect,
    'broker.session.timeout.ms': '3000',
    'broker.heartbeat.interval.ms': '500',
    'offsets.topic.num.partitions': String(OFFSETS_PARTITIONS),
    'offsets.topic.replication.factor': '3',
    'default.replication.factor': '3',
    'min.insync.replicas': '2',
    'group.initial.rebalance.delay.ms': '0',
    'replica.fetch.wait.max.ms': '50',
  };
  brokers.set(id, await startBroker({ host: '127.0.0.1', port: 0, dataDir, sets, log: log.child(`b${id}`) }));
}

beforeAll(async () => {
  etcd = await startEtcd();
  for (const id of IDS) await start(id);
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all([...brokers.values()].map((b) => b.close().catch(() => {})));
  await etcd?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 60_000);

describe('group coordinator failover in a cluster', () => {
  it('creates the replicated offsets topic on the first FindCoordinator; every broker names the same coordinator', async () => {
    let first: [number, number] = [-1, -1];
    await waitFor('a coordinator for g-probe', async () => (first = await findCoordinator(1, 'g-probe'))[0] === ErrorCode.NONE);
    expect(IDS).toContain(first[1]);
    for (const id of IDS) expect(await findCoordinator(id, 'g-probe')).toEqual([ErrorCode.NONE, first[1]]);
    // Every broker hosts a replica of every offsets partition, and the coordinator leads the group's one.
    for (const b of brokers.values()) {
      const parts = [...b.context.replicaManager!.allPartitions()].filter((p) => p.topic === '__consumer_offsets');
      expect(parts.length).toBe(OFFSETS_PARTITIONS);
      for (const p of parts) expect(p.replicas.length).toBe(3);
    }
    // A broker that does not lead the group's partition refuses the group with NOT_COORDINATOR.
    const other = IDS.find((id) => id !== first[1])!;
    const c = await clientOf(other);
    const r = await c.request(ApiKey.Heartbeat, 4, { groupId: 'g-probe', generationId: 1, memberId: 'm', groupInstanceId: null });
    expect(r.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    const f = await c.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'g-probe', topics: null }] });
    expect(f.groups[0]!.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  }, 60_000);

  it('consumers follow the coordinator to a new broker and resume at the commits', async () => {
    const group = 'g-failover';
    const admin = kafka('coord-admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka('coord-producer').producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const produce = async (from: number, to: number) => {
      for (let p = 0; p < PARTITIONS; p++)
        await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: to - from }, (_, i) => ({ partition: p, value: `p${p}-${from + i}` })) });
    };
    await produce(0, 10);

    const seen: string[] = [];
    // kafkajs retries a commit on the connection to the coordinator it knows; when that broker is gone the
    // retries run out, the consumer restarts (restartOnFailure) and finds the new coordinator.
    const consumer = kafka('coord-consumer').consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500, retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 300 } });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }: { partition: number; message: { offset: string; value: Buffer } }) => {
        seen.push(message.value.toString());
        await consumer.commitOffsets([{ topic: TOPIC, partition, offset: String(Number(message.offset) + 1) }]);
      },
    });
    const [, coordinator] = await findCoordinator(1, group);
    await waitFor('the first commits', async () => (await committedOn(coordinator, group)).offsets.every((o) => o === 10n));

    // The coordinator's broker leaves (controlled shutdown: its leaderships move to the others first).
    const closing = brokers.get(coordinator)!;
    brokers.delete(coordinator);
    await closing.close();
    const survivor = IDS.find((id) => id !== coordinator)!;
    let moved: [number, number] = [-1, -1];
    await waitFor('a new coordinator', async () => (moved = await findCoordinator(survivor, group))[0] === ErrorCode.NONE);
    expect(moved[1]).not.toBe(coordinator);
    // The new coordinator loaded the group's commits from its replica of the offsets partition.
    expect((await committedOn(moved[1], group)).offsets).toEqual([10n, 10n]);

    await produce(10, 20);
    const distinct = () => new Set(seen).size;
    await waitFor(`the records after the failover`, () => distinct() >= PARTITIONS * 20).catch((e) => {
      throw new Error(`${(e as Error).message}: seen ${seen.join(',')}`);
    });
    await waitFor('the last commits', async () => (await committedOn(moved[1], group)).offsets.every((o) => o === 20n));
    await consumer.disconnect();
    await produce(20, 25);
    await producer.disconnect();
    // rivulet groups, bootstrapped from a broker that is not the coordinator, finds the group and its lag.
    const bootstrap = IDS.find((id) => id !== coordinator && id !== moved[1])!;
    const d = await tool(groupsTool, ['--bootstrap-server', `127.0.0.1:${brokers.get(bootstrap)!.port}`, '--describe', '--group', group]);
    expect(d.err).toBe('');
    expect(d.code).toBe(0);
    for (let p = 0; p < PARTITIONS; p++) expect(d.out).toMatch(new RegExp(`${group}\\s+${TOPIC}\\s+${p}\\s+20\\s+25\\s+5\\s`));
    // Nothing skipped: every record consumed.
    const expected = [...Array(PARTITIONS).keys()].flatMap((p) => Array.from({ length: 20 }, (_, i) => `p${p}-${i}`));
    expect([...new Set(seen)].sort()).toEqual([...expected].sort());
    // Nothing reprocessed before the last commit: only a record whose commit the failover interrupted
    // (offset 10 and later) may come twice, never one the group had committed past.
    const counts = new Map<string, number>();
    for (const v of seen) counts.set(v, (counts.get(v) ?? 0) + 1);
    const again = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
    for (const v of again) expect(Number(v.split('-')[1]), `${v} consumed ${counts.get(v)} times`).toBeGreaterThanOrEqual(10);
    for (const n of counts.values()) expect(n).toBeLessThanOrEqual(2);
    // The closed broker comes back on its data and catches up as a follower of every offsets partition.
    await start(coordinator);
    await waitFor('the returned broker back in every offsets ISR', () =>
      [...brokers.values()].every((b) => [...b.context.replicaManager!.allPartitions()].every((p) => !p.isLeader || p.isr.length === 3)),
    );
  }, 120_000);

  it('an idempotent producer keeps its sequence across a leader change: no error, no duplicate, nothing lost', async () => {
    const topic = 'idem';
    const admin = kafka('idem-admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka('idem-producer').producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    const N = 60;
    let sent = 0;
    const sending = (async () => {
      for (; sent < N; sent++) await producer.send({ topic, acks: -1, messages: [{ partition: 0, value: `m${sent}` }] });
    })();
    await waitFor('the first records', () => sent >= 20);
    // The partition's leader leaves while the producer keeps sending: the new leader holds the producer's state.
    const leader = [...brokers.values()].find((b) => b.context.replicaManager!.getPartition(topic, 0)?.isLeader)!;
    const leaderId = leader.nodeId;
    brokers.delete(leaderId);
    await leader.close();
    await sending;
    await producer.disconnect();
    const newLeader = [...brokers.values()].find((b) => b.context.replicaManager!.getPartition(topic, 0)?.isLeader);
    expect(newLeader?.nodeId).toBeDefined();
    expect(newLeader!.nodeId).not.toBe(leaderId);
    // One producer id on every live replica, its sequence continued across the change (a new leader
    // without the replicated state would have refused it and made the producer start over with a new id).
    await waitFor('the followers caught up', () => [...brokers.values()].every((b) => b.context.replicaManager!.getPartition(topic, 0)!.log.logEndOffset === N));
    for (const b of brokers.values()) {
      const state = b.context.replicaManager!.getPartition(topic, 0)!.log.producerState;
      expect(state.size, `producers on broker ${b.nodeId}`).toBe(1);
      const entry = [...state.entries()][0]!;
      expect(entry.batches.at(-1)!.lastSeq, `last sequence on broker ${b.nodeId}`).toBe(N - 1);
    }

    const values: string[] = [];
    const consumer = kafka('idem-reader').consumer({ groupId: 'idem-reader' });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }: { message: { value: Buffer } }) => void values.push(message.value.toString()) });
    await waitFor(`all ${N} records`, () => values.length >= N);
    await new Promise((r) => setTimeout(r, 300));
    await consumer.disconnect();
    expect(values).toEqual(Array.from({ length: N }, (_, i) => `m${i}`));
    await start(leaderId);
  }, 120_000);

  it('confluent-kafka-python: a group resumes at its commits on the new coordinator after the old one closes', async () => {
    const group = 'g-python';
    const topic = 'py-orders';
    const admin = kafka('py-admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
    await admin.disconnect();
    await waitFor('every offsets ISR full', () =>
      [...brokers.values()].every((b) => [...b.context.replicaManager!.allPartitions()].every((p) => !p.isLeader || p.isr.length === 3)),
    );
    const producer = kafka('py-producer').producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let p = 0; p < PARTITIONS; p++)
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 20 }, (_, i) => ({ partition: p, value: `p${p}-${i}` })) });
    await producer.disconnect();

    const first = await pythonConsume(group, topic, 10);
    expect(first.sort()).toEqual([...Array(PARTITIONS).keys()].flatMap((p) => Array.from({ length: 10 }, (_, i) => `p${p}-${i}`)).sort());
    let coordinator = -1;
    await waitFor('the coordinator', async () => {
      const [code, id] = await findCoordinator([...brokers.keys()][0]!, group);
      coordinator = id;
      return code === ErrorCode.NONE;
    });
    const closing = brokers.get(coordinator)!;
    brokers.delete(coordinator);
    await closing.close();

    const second = await pythonConsume(group, topic, 10);
    expect(second.sort()).toEqual([...Array(PARTITIONS).keys()].flatMap((p) => Array.from({ length: 10 }, (_, i) => `p${p}-${10 + i}`)).sort());
    const [, now] = await findCoordinator([...brokers.keys()][0]!, group);
    expect(now).not.toBe(coordinator);
    expect((await committedOnTopic(now, group, topic)).offsets).toEqual([20n, 20n]);
  }, 180_000);
});
