// The client end to end: against the real in-process broker (its real data path: Produce, Fetch,
// ListOffsets, DeleteRecords; admin APIs it lacks yet are stand-ins over its real topic registry), and
// against an in-test fake broker that injects faults (partial batches, retriable errors).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Cluster, Consumer, Producer } from '../../host-node/client/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { registerAdminStandIns } from './admin-standins.js';
import { startFakeBroker, type FakeBroker } from './fake-broker.js';
import { FakeCluster } from './fake-handlers.js';
import { clientScenarios } from './scenarios.js';

const brokerWith = (fake: FakeCluster): Promise<FakeBroker> => startFakeBroker(fake);

describe('against the real broker', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({ configureHandlers: (r) => void registerAdminStandIns(r) });
  });
  afterAll(async () => {
    await broker.close();
  });
  clientScenarios(() => `127.0.0.1:${broker.port}`);
});

describe('against the fake broker', () => {
  let broker: FakeBroker;
  beforeAll(async () => {
    broker = await startFakeBroker();
  });
  afterAll(async () => {
    await broker.close();
  });
  clientScenarios(() => `127.0.0.1:${broker.port}`);
});

describe('fault handling', () => {
  it('drops a partial trailing batch and continues from the last whole batch', async () => {
    const fake = new FakeCluster(1, { partialTrailingBatch: true });
    const broker = await brokerWith(fake);
    const cluster = new Cluster({ bootstrapServers: `127.0.0.1:${broker.port}` });
    try {
      await new Admin(cluster).createTopics([{ name: 'partial', numPartitions: 1, replicationFactor: 1 }]);
      const producer = new Producer(cluster, { lingerMs: 0 });
      for (let i = 0; i < 5; i++) await producer.send({ topic: 'partial', value: `v${i}` });
      const consumer = new Consumer(cluster, { maxWaitMs: 20 });
      consumer.assign([{ topic: 'partial', partition: 0, start: 'earliest' }]);
      const values = (await consumer.poll()).map((r) => new TextDecoder().decode(r.value!));
      expect(values).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
      expect(await consumer.position('partial', 0)).toBe(5n);
    } finally {
      await cluster.close();
      await broker.close();
    }
  });

  it('retries NOT_LEADER_OR_FOLLOWER and delivers each record once', async () => {
    const fake = new FakeCluster(1, { failFirstProduces: 2 });
    const broker = await brokerWith(fake);
    const cluster = new Cluster({ bootstrapServers: `127.0.0.1:${broker.port}`, retryBackoffMs: 10 });
    try {
      fake.createTopic('retry', 1);
      const producer = new Producer(cluster, { retryBackoffMs: 10 });
      const res = await producer.sendAll([{ topic: 'retry', value: 'a' }, { topic: 'retry', value: 'b' }]);
      expect(res.map((r) => r.offset)).toEqual([0n, 1n]);
      expect(fake.produceRequests).toBe(3);
      const noRetry = new Producer(cluster, { retries: 0 });
      fake.createTopic('retry2', 1);
      (fake as unknown as { failuresLeft: number }).failuresLeft = 1;
      const err = await noRetry.send({ topic: 'retry2', value: 'x' }).catch((e: unknown) => e);
      expect((err as { type?: string }).type).toBe('NOT_LEADER_OR_FOLLOWER');
    } finally {
      await cluster.close();
      await broker.close();
    }
  });

  it('gzip-compressed batches round-trip', async () => {
    const fake = new FakeCluster();
    const broker = await brokerWith(fake);
    const cluster = new Cluster({ bootstrapServers: `127.0.0.1:${broker.port}` });
    try {
      fake.createTopic('gz', 1);
      const producer = new Producer(cluster, { compression: 'gzip', lingerMs: 5 });
      await producer.sendAll(Array.from({ length: 50 }, (_, i) => ({ topic: 'gz', key: `k${i}`, value: 'x'.repeat(100) + i })));
      const consumer = new Consumer(cluster, { maxWaitMs: 20 });
      consumer.assign([{ topic: 'gz', partition: 0, start: 'earliest' }]);
      const got = await consumer.poll();
      expect(got).toHaveLength(50);
      expect(new TextDecoder().decode(got[49]!.value!)).toBe('x'.repeat(100) + 49);
      expect(got.map((r) => r.offset)).toEqual(got.map((_, i) => BigInt(i)));
    } finally {
      await cluster.close();
      await broker.close();
    }
  });

  it('unknown topics fail with UNKNOWN_TOPIC_OR_PARTITION; many records split into batches and requests', async () => {
    const fake = new FakeCluster();
    const broker = await brokerWith(fake);
    const cluster = new Cluster({ bootstrapServers: `127.0.0.1:${broker.port}`, retryBackoffMs: 10 });
    try {
      const producer = new Producer(cluster, { retryBackoffMs: 10, batchSize: 4096, maxRequestSize: 16384 });
      const err = await producer.send({ topic: 'nope', value: 'x' }).catch((e: unknown) => e);
      expect((err as { type?: string }).type).toBe('UNKNOWN_TOPIC_OR_PARTITION');
      fake.createTopic('many', 4);
      const res = await producer.sendAll(Array.from({ length: 20000 }, (_, i) => ({ topic: 'many', key: String(i), value: `v${i}` })));
      for (let p = 0; p < 4; p++) {
        const offs = res.filter((r) => r.partition === p).map((r) => r.offset);
        expect(offs).toEqual(offs.map((_, i) => BigInt(i)));
      }
      expect(fake.produceRequests).toBeGreaterThan(20);
      const consumer = new Consumer(cluster, { maxWaitMs: 20, maxPartitionBytes: 8192 });
      await consumer.assignTopics(['many'], 'earliest');
      let count = 0;
      const ac = new AbortController();
      for await (const part of consumer.batches({ signal: ac.signal })) {
        count += part.records.length;
        if (count >= 20000) ac.abort();
      }
      expect(count).toBe(20000);
    } finally {
      await cluster.close();
      await broker.close();
    }
  });

  it('the producer asks for auto-creation of unknown topics (allowAutoTopicCreation), the consumer does not', async () => {
    const fake = new FakeCluster(1, { autoCreatePartitions: 2 });
    const broker = await brokerWith(fake);
    const cluster = new Cluster({ bootstrapServers: `127.0.0.1:${broker.port}`, retryBackoffMs: 10 });
    try {
      const consumer = new Consumer(cluster);
      const err = await consumer.assignTopics(['auto-c']).catch((e: unknown) => e);
      expect((err as { type?: string }).type).toBe('UNKNOWN_TOPIC_OR_PARTITION');
      expect(fake.topics.has('auto-c')).toBe(false);
      const r = await new Producer(cluster).send({ topic: 'auto-p', key: 'k', value: 'v' });
      expect(r.offset).toBe(0n);
      expect(fake.topics.get('auto-p')?.partitions).toHaveLength(2);
      const off = await new Producer(cluster, { allowAutoTopicCreation: false }).send({ topic: 'auto-x', value: 'v' }).catch((e: unknown) => e);
      expect((off as { type?: string }).type).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    } finally {
      await cluster.close();
      await broker.close();
    }
  });

  it('alterConfigs replaces a topic config set; describeConfigs reads it back', async () => {
    const broker = await brokerWith(new FakeCluster());
    const admin = new Admin({ bootstrapServers: `127.0.0.1:${broker.port}` });
    try {
      await admin.createTopics([{ name: 'cfg', numPartitions: 1, configs: { 'retention.ms': '5', 'cleanup.policy': 'compact' } }]);
      await admin.alterConfigs([{ type: 2, name: 'cfg', configs: { 'retention.ms': '7' } }]);
      const [d] = await admin.describeConfigs([{ type: 2, name: 'cfg' }]);
      const byName = new Map(d!.configs.map((c) => [c.name, c]));
      expect(byName.get('retention.ms')).toMatchObject({ value: '7', isDefault: false, source: 1 });
      expect(byName.get('cleanup.policy')).toMatchObject({ value: 'delete', isDefault: true });
      const err = await admin.alterConfigs([{ type: 2, name: 'missing', configs: {} }]).catch((e: unknown) => e);
      expect((err as { type?: string }).type).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    } finally {
      await admin.close();
      await broker.close();
    }
  });
});
