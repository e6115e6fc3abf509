// Interop with another client: records kafkajs produces (its Java-compatible default partitioner, its own
// batch encoder, gzip) are read back by our consumer, and land where our partitioner would put them.
import { Kafka, CompressionTypes, logLevel } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Cluster, Consumer, murmur2Partition } from '../../host-node/client/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { registerAdminStandIns } from './admin-standins.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ configureHandlers: (r) => void registerAdminStandIns(r) });
});
afterAll(async () => {
  await broker.close();
});

it('reads kafkajs-produced batches (plain and gzip) with keys on the same partitions', async () => {
  const kafka = new Kafka({ brokers: [`127.0.0.1:${broker.port}`], clientId: 'kjs', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'interop', numPartitions: 5 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const messages = Array.from({ length: 200 }, (_, i) => ({ key: `key-${i}`, value: `value-${i}`, headers: { n: String(i) } }));
  await producer.send({ topic: 'interop', messages: messages.slice(0, 100) });
  await producer.send({ topic: 'interop', messages: messages.slice(100), compression: CompressionTypes.GZIP });
  await producer.disconnect();

  const cluster = new Cluster({ bootstrapServers: `127.0.0.1:${broker.port}` });
  const consumer = new Consumer(cluster, { maxWaitMs: 20 });
  await consumer.assignTopics(['interop'], 'earliest');
  const seen = new Map<string, { partition: number; value: string; header: string }>();
  for (let i = 0; i < 20 && seen.size < 200; i++) {
    for (const r of await consumer.poll()) {
      const d = new TextDecoder();
      seen.set(d.decode(r.key!), { partition: r.partition, value: d.decode(r.value!), header: d.decode(r.headers[0]!.value!) });
    }
  }
  expect(seen.size).toBe(200);
  for (let i = 0; i < 200; i++) {
    const s = seen.get(`key-${i}`)!;
    expect(s.value).toBe(`value-${i}`);
    expect(s.header).toBe(String(i));
    expect(s.partition).toBe(murmur2Partition(new TextEncoder().encode(`key-${i}`), 5));
  }
  await cluster.close();
});
