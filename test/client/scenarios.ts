// Admin / producer / consumer scenarios against a broker at `bootstrap()`. Run by client-flows.test.ts
// against the real broker with in-test stand-in handlers, and by e2e.pending.ts against the real broker's
// own handlers (once CreateTopics/Produce/Fetch/ListOffsets exist).
import { describe, expect, it } from 'vitest';
import { Admin, Cluster, Consumer, KafkaProtocolError, OffsetSpec, Producer, murmur2Partition } from '../../host-node/client/index.js';

const dec = new TextDecoder();
const enc = new TextEncoder();

export function clientScenarios(bootstrap: () => string, opts: { deleteRecords?: boolean; configs?: boolean } = {}): void {
  const newCluster = () => new Cluster({ bootstrapServers: bootstrap(), clientId: 'client-test', retryBackoffMs: 20 });
  let n = 0;
  const topicName = (p: string) => `${p}-${process.pid}-${++n}`;

  describe('admin', () => {
    it('creates, lists, describes, grows and deletes topics; reports Kafka errors by name', async () => {
      const admin = new Admin(newCluster());
      const t = topicName('admin');
      try {
        const [created] = await admin.createTopics([{ name: t, numPartitions: 3, replicationFactor: 1, configs: { 'retention.ms': '1000' } }]);
        expect(created!.name).toBe(t);
        expect(created!.numPartitions).toBe(3);
        const dup = await admin.createTopics([{ name: t, numPartitions: 1, replicationFactor: 1 }]).catch((e: unknown) => e);
        expect(dup).toBeInstanceOf(KafkaProtocolError);
        expect((dup as KafkaProtocolError).type).toBe('TOPIC_ALREADY_EXISTS');
        expect((dup as KafkaProtocolError).code).toBe(36);

        expect(await admin.listTopics()).toContain(t);
        const [d] = await admin.describeTopics([t]);
        expect(d!.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
        const cl = await admin.describeCluster();
        for (const p of d!.partitions) {
          expect(p.leader).toBe(cl.brokers[0]!.nodeId);
          expect(p.replicas).toEqual([p.leader]);
          expect(p.isr).toEqual([p.leader]);
        }
        await admin.createPartitions([{ topic: t, count: 4 }]);
        expect((await admin.describeTopics([t]))[0]!.partitions).toHaveLength(4);

        if (opts.configs !== false) {
          const [cfg] = await admin.describeConfigs([{ type: 2, name: t }]);
          expect(cfg!.configs.find((c) => c.name === 'retention.ms')?.value).toBe('1000');
          await admin.incrementalAlterConfigs([{ type: 2, name: t, ops: [{ name: 'retention.ms', value: '2000' }] }]);
          const [cfg2] = await admin.describeConfigs([{ type: 2, name: t, keys: ['retention.ms'] }]);
          expect(cfg2!.configs.find((c) => c.name === 'retention.ms')?.value).toBe('2000');
        }

        await admin.deleteTopics([t]);
        expect(await admin.listTopics()).not.toContain(t);
        const gone = await admin.describeTopics([t]).catch((e: unknown) => e);
        expect((gone as KafkaProtocolError).type).toBe('UNKNOWN_TOPIC_OR_PARTITION');
      } finally {
        await admin.cluster.close();
      }
    });
  });

  describe('producer and consumer', () => {
    it('keyed records land on murmur2 partitions with contiguous offsets and come back in order', async () => {
      const cluster = newCluster();
      const admin = new Admin(cluster);
      const t = topicName('roundtrip');
      await admin.createTopics([{ name: t, numPartitions: 3, replicationFactor: 1 }]);
      const producer = new Producer(cluster, { acks: -1, lingerMs: 2, batchSize: 512 });
      const sent = await producer.sendAll(
        Array.from({ length: 300 }, (_, i) => ({ topic: t, key: `key-${i % 17}`, value: `value-${i}`, headers: { i: String(i) } })),
      );
      await producer.flush();
      for (let i = 0; i < sent.length; i++) expect(sent[i]!.partition).toBe(murmur2Partition(enc.encode(`key-${i % 17}`), 3));
      for (let p = 0; p < 3; p++) {
        const offs = sent.filter((s) => s.partition === p).map((s) => s.offset);
        expect(offs).toEqual(offs.map((_, i) => BigInt(i)));
      }
      const latest = await admin.listOffsets(t, OffsetSpec.LATEST);
      expect(latest.map((o) => o.offset)).toEqual([0, 1, 2].map((p) => BigInt(sent.filter((s) => s.partition === p).length)));

      const consumer = new Consumer(cluster, { maxWaitMs: 50 });
      await consumer.assignTopics([t], 'earliest');
      const got: Array<{ partition: number; offset: bigint; key: string; value: string; header: string }> = [];
      const ac = new AbortController();
      for await (const r of consumer.records({ signal: ac.signal })) {
        got.push({ partition: r.partition, offset: r.offset, key: dec.decode(r.key!), value: dec.decode(r.value!), header: dec.decode(r.headers[0]!.value!) });
        if (got.length === 300) ac.abort();
      }
      for (let p = 0; p < 3; p++) {
        const mine = got.filter((g) => g.partition === p);
        const expected = sent.map((s, i) => ({ s, i })).filter(({ s }) => s.partition === p);
        expect(mine.map((g) => g.value)).toEqual(expected.map(({ i }) => `value-${i}`));
        expect(mine.map((g) => g.header)).toEqual(expected.map(({ i }) => String(i)));
        expect(mine.map((g) => g.offset)).toEqual(expected.map(({ s }) => s.offset));
      }
      await consumer.close();
      await producer.close();
      await cluster.close();
    });

    it('null keys stick to a partition per batch; acks 0 and 1 work', async () => {
      const cluster = newCluster();
      const admin = new Admin(cluster);
      const t = topicName('acks');
      await admin.createTopics([{ name: t, numPartitions: 2, replicationFactor: 1 }]);
      const p1 = new Producer(cluster, { acks: 1, lingerMs: 50 });
      const r1 = await p1.sendAll(Array.from({ length: 10 }, (_, i) => ({ topic: t, value: `a${i}` })));
      expect(new Set(r1.map((r) => r.partition)).size).toBe(1); // one batch → one partition
      expect(r1.map((r) => r.offset)).toEqual(r1.map((_, i) => BigInt(i)));
      const p0 = new Producer(cluster, { acks: 0 });
      const r0 = await p0.send({ topic: t, value: 'fire-and-forget', partition: 1 });
      expect(r0.offset).toBe(-1n);
      await p0.flush();
      // acks=0 gives no confirmation: wait for the record to show up.
      const consumer = new Consumer(cluster, { maxWaitMs: 100 });
      consumer.assign([{ topic: t, partition: 1, start: 'earliest' }]);
      let found = false;
      for (let i = 0; i < 50 && !found; i++) found = (await consumer.poll()).some((r) => dec.decode(r.value!) === 'fire-and-forget');
      expect(found).toBe(true);
      await cluster.close();
    });

    it('seeks by offset, timestamp, earliest and latest', async () => {
      const cluster = newCluster();
      const t = topicName('seek');
      await new Admin(cluster).createTopics([{ name: t, numPartitions: 1, replicationFactor: 1 }]);
      const producer = new Producer(cluster, { lingerMs: 0 });
      const base = Date.now() - 100_000;
      for (let i = 0; i < 10; i++) await producer.send({ topic: t, value: `v${i}`, timestamp: base + i * 1000 });
      const consumer = new Consumer(cluster, { maxWaitMs: 20 });
      const read = async () => (await consumer.poll()).map((r) => dec.decode(r.value!));
      consumer.assign([{ topic: t, partition: 0, start: 7n }]);
      expect(await read()).toEqual(['v7', 'v8', 'v9']);
      consumer.seek(t, 0, { timestamp: base + 4500 });
      expect((await read())[0]).toBe('v5');
      consumer.seek(t, 0, 'earliest');
      expect(await consumer.position(t, 0)).toBe(0n);
      consumer.seek(t, 0, 'latest');
      expect(await consumer.position(t, 0)).toBe(10n);
      expect(await read()).toEqual([]);
      await cluster.close();
    });

    it('stopping records() mid-batch resumes at the first record not handed out', async () => {
      const cluster = newCluster();
      const t = topicName('resume');
      await new Admin(cluster).createTopics([{ name: t, numPartitions: 1, replicationFactor: 1 }]);
      await new Producer(cluster, { lingerMs: 20 }).sendAll(Array.from({ length: 10 }, (_, i) => ({ topic: t, value: `v${i}` })));
      const consumer = new Consumer(cluster, { maxWaitMs: 20 });
      consumer.assign([{ topic: t, partition: 0, start: 'earliest' }]);
      const first: string[] = [];
      for await (const r of consumer.records()) {
        first.push(dec.decode(r.value!));
        if (first.length === 3) break;
      }
      expect(first).toEqual(['v0', 'v1', 'v2']);
      expect(await consumer.position(t, 0)).toBe(3n);
      expect((await consumer.poll()).map((r) => dec.decode(r.value!))).toEqual(['v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9']);
      await cluster.close();
    });

    it.runIf(opts.deleteRecords !== false)('deleteRecords moves the log start; an out-of-range position resets to earliest', async () => {
      const cluster = newCluster();
      const admin = new Admin(cluster);
      const t = topicName('delete');
      await admin.createTopics([{ name: t, numPartitions: 1, replicationFactor: 1 }]);
      const producer = new Producer(cluster, { lingerMs: 0 });
      for (let i = 0; i < 6; i++) await producer.send({ topic: t, value: `v${i}` });
      const [low] = await admin.deleteRecords(t, [{ partition: 0, offset: 4n }]);
      expect(low!.lowWatermark).toBe(4n);
      expect((await admin.listOffsets(t, OffsetSpec.EARLIEST))[0]!.offset).toBe(4n);
      const consumer = new Consumer(cluster, { maxWaitMs: 20, autoOffsetReset: 'earliest' });
      consumer.assign([{ topic: t, partition: 0, start: 1n }]);
      let values: string[] = [];
      for (let i = 0; i < 5 && values.length === 0; i++) values = (await consumer.poll()).map((r) => dec.decode(r.value!));
      expect(values).toEqual(['v4', 'v5']);
      await cluster.close();
    });
  });
}
