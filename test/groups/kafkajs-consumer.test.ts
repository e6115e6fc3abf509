// kafkajs consumer group with manual offset management: eachBatch with resolveOffset and explicit
// consumer.commitOffsets (autoCommit off), consumer.seek() re-delivering from an earlier offset, and a second
// instance of the group resuming exactly at the committed offsets after the first disconnects.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { startDataBroker, type DataBroker } from '../helpers/data-broker.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

const PARTITIONS = 3;
const PER_PARTITION = 20;

let b: DataBroker;
let admin: KafkaTestClient;

interface Msg {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}
interface Batch {
  topic: string;
  partition: number;
  messages: Msg[];
}
type Seen = { p: number; o: number; k: string; v: string };

async function committed(group: string, topic: string): Promise<bigint[]> {
  const r = await admin.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: group, topics: [{ name: topic, partitionIndexes: [...Array(PARTITIONS).keys()] }] }] });
  return r.groups[0]!.topics[0]!.partitions.map((p) => p.committedOffset);
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const key = (p: number, o: number) => `k${p}-${o}`;
const value = (p: number, o: number) => `v${p}-${o}`;
const sortSeen = (s: Seen[]) => [...s].sort((a, b) => a.p - b.p || a.o - b.o);
const expected = (p: number, from: number, to: number): Seen[] => Array.from({ length: to - from }, (_, i) => ({ p, o: from + i, k: key(p, from + i), v: value(p, from + i) }));

beforeAll(async () => {
  b = await startDataBroker({ sets: { 'group.initial.rebalance.delay.ms': '0' } });
  admin = await KafkaTestClient.connect(b.port);
});
afterAll(async () => {
  admin?.close();
  await b?.dispose();
});

describe('kafkajs consumer with manual offsets', () => {
  it('eachBatch + resolveOffset + commitOffsets consumes exactly; seek re-delivers; a new instance resumes at the commits', async () => {
    const topic = 'js-manual';
    const group = 'js-manual-group';
    b.createTopic(topic, PARTITIONS);
    const kafka = new Kafka({ clientId: 'js-manual', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const produce = async (from: number, to: number) => {
      for (let p = 0; p < PARTITIONS; p++) {
        await producer.send({ topic, acks: -1, messages: Array.from({ length: to - from }, (_, i) => ({ partition: p, key: key(p, from + i), value: value(p, from + i) })) });
      }
    };
    await produce(0, PER_PARTITION);

    const opts = { groupId: group, sessionTimeout: 10000, heartbeatInterval: 500, rebalanceTimeout: 10000, maxWaitTimeInMs: 100 };
    const run = async (consumer: ReturnType<typeof kafka.consumer>, seen: Seen[], commits: { p: number; o: string }[]) => {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }: {
          batch: Batch;
          resolveOffset: (o: string) => void;
          heartbeat: () => Promise<void>;
          isRunning: () => boolean;
          isStale: () => boolean;
          commitOffsetsIfNecessary: () => Promise<void>;
        }) => {
          let last: string | null = null;
          for (const m of batch.messages) {
            if (!isRunning() || isStale()) break;
            seen.push({ p: batch.partition, o: Number(m.offset), k: m.key!.toString(), v: m.value!.toString() });
            resolveOffset(m.offset);
            last = m.offset;
          }
          await commitOffsetsIfNecessary(); // a no-op with autoCommit off: the explicit commit below is what counts
          if (last !== null) {
            const next = String(Number(last) + 1);
            await consumer.commitOffsets([{ topic, partition: batch.partition, offset: next }]);
            commits.push({ p: batch.partition, o: next });
          }
          await heartbeat();
        },
      });
    };

    // 1. The first instance consumes every record exactly once and commits the ends.
    const c1 = kafka.consumer(opts);
    const seen1: Seen[] = [];
    const commits1: { p: number; o: string }[] = [];
    await run(c1, seen1, commits1);
    const ends = Array(PARTITIONS).fill(BigInt(PER_PARTITION));
    await waitFor('first pass committed', async () => seen1.length >= PARTITIONS * PER_PARTITION && (await committed(group, topic)).every((o, i) => o === ends[i]));
    await new Promise((r) => setTimeout(r, 500)); // anything extra would show up now
    expect(sortSeen(seen1)).toEqual([...Array(PARTITIONS).keys()].flatMap((p) => expected(p, 0, PER_PARTITION)));

    // 2. seek() to an earlier offset re-delivers from there (and only that partition).
    const before = seen1.length;
    c1.seek({ topic, partition: 1, offset: '7' });
    await waitFor('re-delivery after seek', () => seen1.length >= before + (PER_PARTITION - 7));
    await new Promise((r) => setTimeout(r, 500));
    expect(seen1.slice(before)).toEqual(expected(1, 7, PER_PARTITION));
    expect(await committed(group, topic)).toEqual(ends);

    // Move partition 2's committed offset back explicitly, then stop the first instance (no commit on the way out).
    await c1.commitOffsets([{ topic, partition: 2, offset: '12' }]);
    expect(await committed(group, topic)).toEqual([20n, 20n, 12n]);
    await c1.disconnect();
    const d = await admin.request(ApiKey.DescribeGroups, 5, { groups: [group] });
    expect(d.groups[0]!.groupState).toBe('Empty');

    // 3. More records; a second instance of the group starts at the committed offsets (fromBeginning only
    //    applies without a commit), so it sees partition 2 from 12 and the new records, nothing earlier.
    await produce(PER_PARTITION, PER_PARTITION + 5);
    const c2 = kafka.consumer(opts);
    const seen2: Seen[] = [];
    const commits2: { p: number; o: string }[] = [];
    try {
      await run(c2, seen2, commits2);
      const total = 5 + 5 + (PER_PARTITION + 5 - 12);
      await waitFor('second instance caught up', async () => seen2.length >= total && (await committed(group, topic)).every((o) => o === BigInt(PER_PARTITION + 5)));
      await new Promise((r) => setTimeout(r, 500));
      expect(sortSeen(seen2)).toEqual([...expected(0, 20, 25), ...expected(1, 20, 25), ...expected(2, 12, 25)]);
    } finally {
      await c2.disconnect();
      await producer.disconnect();
    }
    expect(await committed(group, topic)).toEqual(Array(PARTITIONS).fill(BigInt(PER_PARTITION + 5)));
  });
});
