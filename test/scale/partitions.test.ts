// Many partitions on one in-process broker: 2,000 partitions created, produced to and
// fetched from through our own client, each holding one file descriptor (its active .log) rather than
// three, and every partition in both checkpoint files after a clean shutdown and found again after a
// restart. Sizes are kept small so this runs in seconds; bench/scale.ts measures 10,000.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../host-node/broker.js';
import { Admin, Cluster, Connection, Producer } from '../../host-node/client/index.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { silentLogger } from '../../host-node/util/log.js';

const PARTITIONS = 2_000;
const TOPIC = 'many';
const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-scale-'));
const openFds = (): number => readdirSync('/proc/self/fd').length;

async function start(): Promise<RunningBroker> {
  return startBroker({ host: '127.0.0.1', port: 0, dataDir, log: silentLogger });
}

/** Records in a Fetch partition's bytes (the v2 batch header's record count at byte 57). */
function countRecords(bytes: Uint8Array): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let n = 0;
  for (let pos = 0; pos + 61 <= bytes.byteLength; pos += 12 + v.getInt32(pos + 8)) n += v.getInt32(pos + 57);
  return n;
}

/** `topic partition offset` lines of a checkpoint file, by partition. */
function checkpoint(name: string): Map<number, number> {
  const lines = readFileSync(join(dataDir, name), 'utf8').trim().split('\n');
  expect(lines[0]).toBe('0');
  expect(Number(lines[1])).toBe(lines.length - 2);
  const out = new Map<number, number>();
  for (const l of lines.slice(2)) {
    const [topic, p, offset] = l.split(' ');
    if (topic === TOPIC) out.set(Number(p), Number(offset));
  }
  return out;
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe(`${PARTITIONS} partitions on one broker`, () => {
  it('are created, produced to and fetched from, with one fd each; checkpoints list them all; a restart finds them all', async () => {
    let broker = await start();
    const fdsBefore = openFds();
    const cluster = new Cluster({ bootstrapServers: `127.0.0.1:${broker.port}`, requestTimeoutMs: 120_000 });
    try {
      await new Admin(cluster, { timeoutMs: 120_000 }).createTopics([{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 }]);
      // One fd per partition (the active segment's .log); the index files are opened only while written.
      const perPartition = (openFds() - fdsBefore) / PARTITIONS;
      expect(perPartition).toBeGreaterThanOrEqual(0.99);
      expect(perPartition).toBeLessThan(1.05);

      // Produce one record to every partition: the producer puts many partitions in each Produce request.
      const producer = new Producer(cluster, { acks: 1, lingerMs: 5 });
      const sent = await producer.sendAll(Array.from({ length: PARTITIONS }, (_, p) => ({ topic: TOPIC, partition: p, value: `v${p}` })));
      expect(sent.every((m, p) => m.partition === p && m.offset === 0n)).toBe(true);
      await producer.close();

      // Fetch everything back, 500 partitions per Fetch request.
      const conn = await Connection.connect({ host: '127.0.0.1', port: broker.port, requestTimeoutMs: 60_000 });
      const md = await conn.send(ApiKey.Metadata, { topics: [{ name: TOPIC, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      expect(md.topics[0]!.partitions.length).toBe(PARTITIONS);
      const topicId = md.topics[0]!.topicId;
      let fetched = 0;
      for (let from = 0; from < PARTITIONS; from += 500) {
        const partitions = Array.from({ length: 500 }, (_, i) => ({ partition: from + i, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 65536 }));
        const res = await conn.send(ApiKey.Fetch, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 50 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: TOPIC, topicId, partitions }], forgottenTopicsData: [], rackId: '' });
        for (const p of res.responses[0]!.partitions) {
          expect(p.errorCode).toBe(0);
          expect(p.highWatermark).toBe(1n);
          fetched += p.records ? countRecords(p.records) : 0;
        }
      }
      expect(fetched).toBe(PARTITIONS);
      conn.close();
    } finally {
      await cluster.close();
      await broker.close();
    }

    // A clean shutdown wrote every partition into both checkpoint files.
    const rps = checkpoint('recovery-point-offset-checkpoint');
    const lsos = checkpoint('log-start-offset-checkpoint');
    expect(rps.size).toBe(PARTITIONS);
    expect(lsos.size).toBe(PARTITIONS);
    for (let p = 0; p < PARTITIONS; p++) {
      expect(rps.get(p)).toBe(1);
      expect(lsos.get(p)).toBe(0);
    }

    // The restarted broker serves every partition again, still with one fd each.
    const fdsBeforeRestart = openFds();
    broker = await start();
    try {
      expect((openFds() - fdsBeforeRestart) / PARTITIONS).toBeLessThan(1.05);
      const conn = await Connection.connect({ host: '127.0.0.1', port: broker.port, requestTimeoutMs: 60_000 });
      const ends = await conn.send(ApiKey.ListOffsets, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: TOPIC, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) }],
      });
      expect(ends.topics[0]!.partitions.map((p) => p.offset)).toEqual(Array.from({ length: PARTITIONS }, () => 1n));
      conn.close();
    } finally {
      await broker.close();
    }
  }, 120_000);
});
