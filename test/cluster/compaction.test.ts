// Log compaction in a cluster (real etcd, four in-process brokers): each replica cleans its own log below its
// own high watermark, as in Kafka. An RF 3 compacted topic written with acks=all (keys overwritten and
// tombstoned) ends cleaned on every replica, each holding exactly the latest record of each key below its
// cleaned offset, with no ISR change; a follower that was down while the leader cleaned, and a replica added
// by a reassignment, catch up from the leader's log with its gaps and hold the leader's records (an idempotent
// producer's emptied batch gives them its sequence), and a follower held back while the leader cleaned rejoins
// with the latest record of each key; a new leader (after a controlled shutdown, and after a preferred
// election) serves the same latest values; and __consumer_offsets (RF 3) is cleaned on its replicas while a
// group commits, its offsets intact on the next coordinator.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer } from '../../host-node/client/consumer.js';
import { ElectionType } from '../../host-node/client/admin.js';
import { Producer } from '../../host-node/client/producer.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../host-node/group/index.js';
import { ApiKey } from '../../protocol/generated/index.js';
import type { Log } from '../../storage/log.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { logBytes } from '../replication/client.js';
import { decodeBatches } from '../storage/helpers/js-core.js';
import { GatedCluster, waitForTopic } from './support/gated-cluster.js';

const TOPIC = 'latest';
const KEYS = 40;
const VALUE_PAD = 'x'.repeat(150);
/** Cleans at once: small segments, any dirt, tombstones kept for the whole test. */
const COMPACT = { 'cleanup.policy': 'compact', 'segment.bytes': '16384', 'min.cleanable.dirty.ratio': '0.01', 'delete.retention.ms': '3600000' };
/** A broker whose cleaner, once started, sleeps through the test: what it holds is what it replicated. */
const IDLE_CLEANER = { 'log.cleaner.backoff.ms': '600000' };
const dec = new TextDecoder();
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

interface Rec {
  offset: number;
  key: string;
  value: string | null;
}

let cluster: GatedCluster;
/** Every record acknowledged to TOPIC-0, by offset. */
const produced = new Map<number, Rec>();
let round = 0;
/**
 * An idempotent producer (kafkajs) whose records are all overwritten: the cleaning keeps only the header of
 * its last batch, so replicas that copy the compacted log learn its sequence from an empty batch.
 */
let idempotent: { send: (r: unknown) => Promise<{ baseOffset: string }[]>; disconnect: () => Promise<void> } | undefined;
let idempotentSent = 0;

async function sendIdempotent(key: string): Promise<void> {
  const value = `${key}@idempotent${idempotentSent}`;
  const [md] = await idempotent!.send({ topic: TOPIC, acks: -1, messages: [{ partition: 0, key, value }] });
  const offset = Number(md!.baseOffset);
  expect(produced.has(offset), `offset ${offset} acknowledged twice`).toBe(false);
  produced.set(offset, { offset, key, value });
  idempotentSent++;
}

beforeAll(async () => {
  cluster = await GatedCluster.start([1, 2, 3], {
    'log.cleaner.backoff.ms': '50',
    // A follower whose fetches stalled on a cleaning would leave the ISR within the test.
    'replica.lag.time.max.ms': '1500',
    'log.segment.delete.delay.ms': '1000',
    'offsets.topic.replication.factor': '3',
    'offsets.topic.num.partitions': '1',
    'offsets.topic.segment.bytes': '16384',
    'group.initial.rebalance.delay.ms': '0',
  });
}, 60_000);
afterAll(async () => {
  await idempotent?.disconnect().catch(() => {});
  await cluster?.close();
});

async function waitUntil(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function logOf(id: number, topic = TOPIC, partition = 0): Log | undefined {
  return cluster.brokers.get(id)?.context.topicRegistry.partitionLog(topic, partition);
}

function cleanerOf(id: number) {
  const c = cluster.brokers.get(id)!.context.topicRegistry.logManager.cleaner;
  expect(c, `broker ${id} has a log cleaner`).not.toBeNull();
  return c!;
}

/** Every record of a replica's log, read batch by batch (an emptied batch advances the offset too). */
function recordsOf(log: Log): Rec[] {
  const out: Rec[] = [];
  let next = log.logStartOffset;
  for (let i = 0; next < log.logEndOffset; i++) {
    if (i > 100_000) throw new Error('recordsOf: no progress');
    const bytes = log.readBytes(next, 1 << 20, 'log_end');
    if (bytes === null) throw new Error(`nothing readable at ${next}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0;
    let last = next - 1;
    while (pos + 27 <= bytes.length) {
      const size = 12 + view.getInt32(pos + 8);
      if (pos + size > bytes.length) break;
      for (const r of decodeBatches(bytes.subarray(pos, pos + size))) {
        if (r.offset >= next) out.push({ offset: r.offset, key: r.key === null ? '' : r.key.toString(), value: r.value === null ? null : r.value.toString() });
      }
      last = Number(view.getBigInt64(pos)) + view.getInt32(pos + 23);
      pos += size;
    }
    if (last < next) throw new Error(`read at ${next} made no progress`);
    next = last + 1;
  }
  return out;
}

/** What a log cleaned up to `cleaned` holds: the latest record of each key below it, everything from it on. */
function expectedWith(cleaned: number): Rec[] {
  const lastBelow = new Map<string, number>();
  for (const r of produced.values()) if (r.offset < cleaned) lastBelow.set(r.key, Math.max(lastBelow.get(r.key) ?? -1, r.offset));
  return [...produced.values()].filter((r) => r.offset >= cleaned || lastBelow.get(r.key) === r.offset).sort((a, b) => a.offset - b.offset);
}

function latestPerKey(recs: Iterable<Rec>): Map<string, string | null> {
  const m = new Map<string, string | null>();
  for (const r of [...recs].sort((a, b) => a.offset - b.offset)) m.set(r.key, r.value);
  return m;
}

/** Writes `rounds` rounds of every key with acks=all; some keys are tombstoned in each round. */
async function produceRounds(rounds: number): Promise<void> {
  const producer = new Producer({ bootstrapServers: cluster.bootstrap() }, { acks: 'all', batchSize: 4096, retries: 20, retryBackoffMs: 100 });
  try {
    for (let n = 0; n < rounds; n++, round++) {
      const r = round;
      await Promise.all(
        Array.from({ length: KEYS }, async (_, i) => {
          const key = `k${String(i).padStart(3, '0')}`;
          const value = (i + r) % 9 === 0 ? null : `${key}@${r}:${VALUE_PAD}`;
          const md = await producer.send({ topic: TOPIC, partition: 0, key, value });
          const offset = Number(md.offset);
          expect(produced.has(offset), `offset ${offset} acknowledged twice`).toBe(false);
          produced.set(offset, { offset, key, value });
        }),
      );
    }
  } finally {
    await producer.close();
  }
}

/** The replica's last cleaning swapped in everything below its active segment (nothing is left to clean). */
function cleanedOffset(id: number, topic = TOPIC): number | undefined {
  const log = logOf(id, topic);
  const last = cleanerOf(id).lastOutcome(topic, 0);
  if (log === undefined || last?.status !== 'swapped' || log.highWatermark !== log.logEndOffset) return undefined;
  return last.cleanedUpTo === log.segmentBaseOffsets().at(-1) ? last.cleanedUpTo : undefined;
}

async function waitCleaned(ids: readonly number[], topic = TOPIC): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  await waitUntil(`every replica of ${topic} among ${ids.join()} is cleaned up to its active segment`, () => {
    for (const id of ids) {
      const c = cleanedOffset(id, topic);
      if (c === undefined) return false;
      out.set(id, c);
    }
    return true;
  });
  return out;
}

/** Reads the whole partition through the cluster (from the leader): offsets strictly increase. */
async function consumeAll(): Promise<Rec[]> {
  const admin = cluster.admin();
  const end = Number((await admin.listOffsets(TOPIC, -1n, [0]))[0]!.offset);
  await admin.close();
  const consumer = new Consumer({ bootstrapServers: cluster.bootstrap() }, { autoOffsetReset: 'earliest', maxWaitMs: 100 });
  const seen: Rec[] = [];
  let last = -1;
  try {
    consumer.assign([{ topic: TOPIC, partition: 0, start: 'earliest' }]);
    for (let i = 0; i < 1000 && last + 1 < end; i++) {
      for (const r of await consumer.poll()) {
        expect(Number(r.offset), 'consumed offsets strictly increase').toBeGreaterThan(last);
        last = Number(r.offset);
        seen.push({ offset: last, key: dec.decode(r.key!), value: r.value === null ? null : dec.decode(r.value) });
      }
    }
  } finally {
    await consumer.close();
  }
  expect(last + 1).toBe(end);
  return seen;
}

async function describe0(ok: (p: { leader: number; replicas: number[]; isr: number[] }) => boolean, timeoutMs = 20_000) {
  const admin = cluster.admin();
  try {
    return (await waitForTopic(admin, TOPIC, (t) => ok(t.partitions[0]!), timeoutMs)).partitions[0]!;
  } finally {
    await admin.close();
  }
}

/** The last sequence of each idempotent producer a replica's log knows. */
const lastSequences = (id: number) => [...logOf(id)!.producerState.entries()].map((e) => e.batches.at(-1)!.lastSeq);

/** Moves the partition to `replicas` (here only a reorder) and elects the first of them. */
async function reassignAndElect(replicas: number[]): Promise<void> {
  const admin = cluster.admin();
  try {
    expect((await admin.alterPartitionReassignments([{ topic: TOPIC, partition: 0, replicas }])).map((o) => o.errorCode)).toEqual([0]);
    await describe0((p) => p.replicas.join() === replicas.join() && p.isr.length === replicas.length);
    expect((await admin.electLeaders(ElectionType.PREFERRED, [{ topic: TOPIC, partition: 0 }])).map((e) => e.errorCode)).toEqual([0]);
    await describe0((p) => p.leader === replicas[0]);
  } finally {
    await admin.close();
  }
}

const isrShrinks = () => [...cluster.brokers.values()].reduce((n, b) => n + (b.context.replicaManager?.isrShrinks ?? 0), 0);

describe('log compaction in a cluster', () => {
  it('an RF 3 compacted topic is cleaned on every replica: each holds the latest record of each key below its cleaned offset, and the ISR never shrinks', async () => {
    const admin = cluster.admin();
    await admin.createTopics([{ name: TOPIC, assignments: { 0: [1, 2, 3] }, configs: COMPACT }]);
    await admin.close();
    await describe0((p) => p.leader === 1 && p.isr.length === 3);
    const shrinksBefore = isrShrinks();

    const kafka = new Kafka({ clientId: 'idempotent', brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    idempotent = producer;
    for (let i = 0; i < 5; i++) await sendIdempotent(`k${String(i).padStart(3, '0')}`);
    await produceRounds(30);
    const cleaned = await waitCleaned([1, 2, 3]);
    for (const [id, upTo] of cleaned) {
      expect(cleanerOf(id).counters.cleanings, `broker ${id} cleanings`).toBeGreaterThan(0);
      expect(upTo, `broker ${id} cleaned most of its log`).toBeGreaterThan(produced.size / 2);
      expect(recordsOf(logOf(id)!), `broker ${id}'s records`).toEqual(expectedWith(upTo));
      expect(lastSequences(id), `broker ${id}'s idempotent producer`).toEqual([idempotentSent - 1]);
    }

    const consumed = await consumeAll();
    expect(consumed.length).toBeLessThan(produced.size);
    expect(latestPerKey(consumed)).toEqual(latestPerKey(produced.values()));
    expect([...latestPerKey(consumed).values()]).toContain(null); // a tombstone is the latest of some key

    expect(isrShrinks(), 'ISR shrinks while cleaning').toBe(shrinksBefore);
    expect((await describe0(() => true)).isr.sort()).toEqual([1, 2, 3]);
  });

  it('a follower down while the leader cleaned, and a replica added by a reassignment, catch up from the compacted log: same log end, in the ISR, the leader\'s records', async () => {
    // Broker 3 stops; the leader goes on and cleans past where broker 3's log ends.
    const end3 = logOf(3)!.logEndOffset;
    await cluster.stopBroker(3);
    await describe0((p) => p.isr.length === 2);
    await produceRounds(10);
    await waitCleaned([1, 2]);
    const leaderRecs = recordsOf(logOf(1)!);
    expect(leaderRecs.some((r) => r.offset === end3), 'the follower resumes in a gap of the leader log').toBe(false);

    await cluster.startBroker(3, IDLE_CLEANER);
    await describe0((p) => p.isr.length === 3);
    await waitUntil('broker 3 reaches the leader log end', () => logOf(3)?.logEndOffset === logOf(1)!.logEndOffset);
    expect(recordsOf(logOf(3)!).filter((r) => r.offset >= end3)).toEqual(leaderRecs.filter((r) => r.offset >= end3));

    // Broker 4 joins the replicas with an empty log and fetches the whole compacted log.
    await cluster.startBroker(4, IDLE_CLEANER);
    const admin = cluster.admin();
    const outcome = await admin.alterPartitionReassignments([{ topic: TOPIC, partition: 0, replicas: [1, 2, 3, 4] }]);
    await admin.close();
    expect(outcome.map((o) => o.errorCode)).toEqual([0]);
    await describe0((p) => p.replicas.join() === '1,2,3,4' && p.isr.length === 4);
    await waitUntil('broker 4 reaches the leader log end', () => logOf(4)?.logEndOffset === logOf(1)!.logEndOffset);
    const recs4 = recordsOf(logOf(4)!);
    expect(recs4).toEqual(recordsOf(logOf(1)!));
    expect(logBytes(logOf(4)!).equals(logBytes(logOf(1)!)), "broker 4's batches are the leader's, byte for byte").toBe(true);
    expect(recs4.length).toBeLessThan(logOf(4)!.logEndOffset);
    expect(recs4.some((r) => r.value?.includes('@idempotent')), 'the idempotent records were all overwritten').toBe(false);
    expect(lastSequences(4), "broker 4 learned the idempotent producer's sequence from its emptied batch").toEqual([idempotentSent - 1]);

    // Broker 4 leads (a reordered assignment and a preferred election): it serves the latest values, and the
    // idempotent producer goes on with its next sequence there.
    await reassignAndElect([4, 1, 2, 3]);
    expect(latestPerKey(await consumeAll())).toEqual(latestPerKey(produced.values()));
    const end4 = logOf(4)!.logEndOffset;
    await sendIdempotent('k000');
    expect(logOf(4)!.logEndOffset).toBe(end4 + 1);
    expect(lastSequences(4)).toEqual([idempotentSent - 1]);
    await reassignAndElect([1, 2, 3, 4]);

    // Both clean their logs again from now on.
    for (const id of [3, 4]) {
      await cluster.stopBroker(id);
      await cluster.startBroker(id);
    }
    await describe0((p) => p.isr.length === 4);
  });

  it('a follower held back while the leader cleans (out of the ISR by replica.lag.time.max.ms, its own cleaner running) rejoins and ends with the latest record of each key', async () => {
    const shrinksBefore = isrShrinks();
    cluster.heldReplicas.add(4);
    try {
      // A fetch already past the gate may still bring records; once one waits there, broker 4's log stands still.
      await cluster.waitParked(4, 1);
      const end4 = logOf(4)!.logEndOffset;
      await produceRounds(10);
      await describe0((p) => [...p.isr].sort().join() === '1,2,3');
      await waitCleaned([1, 2, 3]);
      expect(recordsOf(logOf(1)!).some((r) => r.offset === end4), 'the follower resumes in a gap of the leader log').toBe(false);
      expect(logOf(4)!.logEndOffset).toBe(end4);
    } finally {
      cluster.release(4);
    }
    await describe0((p) => p.isr.length === 4);
    expect(isrShrinks()).toBe(shrinksBefore + 1);

    const [c4] = (await waitCleaned([4])).values();
    const recs4 = recordsOf(logOf(4)!);
    expect(recs4.filter((r) => r.offset >= c4!)).toEqual([...produced.values()].filter((r) => r.offset >= c4!).sort((a, b) => a.offset - b.offset));
    const below = recs4.filter((r) => r.offset < c4!).map((r) => r.key);
    expect(new Set(below).size, 'one record per key below the cleaned offset').toBe(below.length);
    expect(latestPerKey(recs4)).toEqual(latestPerKey(produced.values()));
  });

  it('leadership moves after cleanings (controlled shutdown, then a preferred election): the new leader serves the latest value of each key', async () => {
    const end1 = logOf(1)!.logEndOffset;
    await cluster.stopBroker(1);
    const moved = await describe0((p) => p.leader !== 1 && p.leader !== -1 && !p.isr.includes(1));
    const servedByNew = await consumeAll();
    expect(servedByNew.length).toBeLessThan(produced.size);
    expect(latestPerKey(servedByNew)).toEqual(latestPerKey(produced.values()));

    // The new leader takes more overwrites and cleans them; broker 1 returns, catches up from that log and
    // leads again after a preferred election.
    await produceRounds(10);
    await waitCleaned([moved.leader]);
    await cluster.startBroker(1, IDLE_CLEANER);
    await describe0((p) => p.isr.length === 4);
    await waitUntil('broker 1 reaches the leader log end', () => logOf(1)?.logEndOffset === logOf(moved.leader)!.logEndOffset);
    const newLeaderRecs = recordsOf(logOf(moved.leader)!);
    expect(newLeaderRecs.some((r) => r.offset === end1), 'broker 1 resumes in a gap of the new leader log').toBe(false);
    expect(recordsOf(logOf(1)!).filter((r) => r.offset >= end1)).toEqual(newLeaderRecs.filter((r) => r.offset >= end1));
    const admin = cluster.admin();
    const elected = await admin.electLeaders(ElectionType.PREFERRED, [{ topic: TOPIC, partition: 0 }]);
    await admin.close();
    expect(elected.map((e) => e.errorCode)).toEqual([0]);
    await describe0((p) => p.leader === 1);
    const servedByReturned = await consumeAll();
    expect(servedByReturned.length).toBeLessThan(produced.size);
    expect(latestPerKey(servedByReturned)).toEqual(latestPerKey(produced.values()));

    // Broker 1 cleans its log again from now on.
    await cluster.stopBroker(1);
    await cluster.startBroker(1);
    await describe0((p) => p.isr.length === 4);
  });

  it('__consumer_offsets (RF 3) is cleaned on its replicas while a group commits; the next coordinator has the last offsets', async () => {
    const group = 'committer';
    const admin = cluster.admin();
    await admin.createTopics([{ name: 'committed', numPartitions: 8, replicationFactor: 1 }]);
    await admin.close();
    const ask = await KafkaTestClient.connect(cluster.brokers.get(1)!.port);
    const coordinator = async () => {
      const r = await ask.request(ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: [group] });
      return r.coordinators[0]!.errorCode === 0 ? r.coordinators[0]!.nodeId : undefined;
    };
    let first: number | undefined;
    await waitUntil('a coordinator', async () => (first = await coordinator()) !== undefined);
    const offsetsAdmin = cluster.admin();
    const offsetsReplicas = (await offsetsAdmin.describeTopics([CONSUMER_OFFSETS_TOPIC]))[0]!.partitions[0]!.replicas;
    await offsetsAdmin.close();
    expect(offsetsReplicas).toHaveLength(3);
    expect(offsetsReplicas).toContain(first);

    const c = await KafkaTestClient.connect(cluster.brokers.get(first!)!.port);
    let committed = 0n;
    let stop = false;
    const commits = (async () => {
      for (let i = 1n; !stop && i < 100_000n; i++) {
        const r = await c.request(ApiKey.OffsetCommit, 8, { groupId: group, generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'committed', partitions: Array.from({ length: 8 }, (_, p) => ({ partitionIndex: p, committedOffset: i * 10n + BigInt(p), committedLeaderEpoch: -1, committedMetadata: `m${i}` })) }] });
        expect(r.topics[0]!.partitions.map((p) => p.errorCode)).toEqual(Array(8).fill(0));
        committed = i;
      }
    })();
    try {
      await waitUntil(
        'every replica of __consumer_offsets cleaned its first segments',
        () => offsetsReplicas.every((id) => {
          const last = cleanerOf(id).lastOutcome(CONSUMER_OFFSETS_TOPIC, 0);
          return last?.status === 'swapped' && last.cleanedUpTo! >= 500;
        }),
        30_000,
      );
    } finally {
      stop = true;
      await commits;
      c.close();
    }
    for (const id of offsetsReplicas) {
      const log = logOf(id, CONSUMER_OFFSETS_TOPIC)!;
      expect(recordsOf(log).length, `broker ${id}'s __consumer_offsets is compacted`).toBeLessThan(log.logEndOffset / 2);
    }

    ask.close();
    await cluster.stopBroker(first!);
    const again = await KafkaTestClient.connect(cluster.brokers.get(offsetsReplicas.find((id) => id !== first)!)!.port);
    try {
      let next: number | undefined;
      await waitUntil('another coordinator', async () => {
        const r = await again.request(ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: [group] });
        next = r.coordinators[0]!.errorCode === 0 ? r.coordinators[0]!.nodeId : undefined;
        return next !== undefined && next !== first;
      });
      const n = await KafkaTestClient.connect(cluster.brokers.get(next!)!.port);
      try {
        let fetched: { partitionIndex: number; committedOffset: bigint; metadata: string | null }[] = [];
        await waitUntil('the offsets loaded', async () => {
          const r = await n.request(ApiKey.OffsetFetch, 7, { groupId: group, topics: null, requireStable: false });
          fetched = r.errorCode === 0 ? (r.topics[0]?.partitions ?? []) : [];
          return fetched.length === 8;
        });
        expect(fetched.map((p) => [p.partitionIndex, p.committedOffset, p.metadata]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(Array.from({ length: 8 }, (_, p) => [p, committed * 10n + BigInt(p), `m${committed}`]));
      } finally {
        n.close();
      }
    } finally {
      again.close();
    }
  });
});
