// Dynamic broker configs in a cluster (real etcd, three in-process brokers): a default set through one
// broker is written to /config/brokers/<default> in Kafka's ZooKeeper JSON and applied by every broker (its
// cleaner threads, the compact default on an override-less replicated topic, described as
// DYNAMIC_DEFAULT_BROKER_CONFIG); a per-broker value lands in /config/brokers/<id> and changes that broker
// only; a restarted broker has them in force from etcd before its logs open; deleting the default reverts
// every broker.
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerCleanerRunner } from '../../host-node/storage/cleaner-threads.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { InProcessCluster, until } from './support/in-process-cluster.js';

const BROKER = 4;
const TOPIC = 2;

let c: InProcessCluster;
let etcd: Etcd3;
beforeAll(async () => {
  c = await InProcessCluster.start({ sets: { 'log.cleaner.threads': '1', 'log.cleaner.backoff.ms': '60000' } });
  etcd = new Etcd3({ hosts: c.etcd.endpoint });
}, 60_000);
afterAll(async () => {
  etcd?.close();
  await c?.close();
});

async function withClient<T>(id: number, f: (k: KafkaTestClient) => Promise<T>): Promise<T> {
  const k = await KafkaTestClient.connect(c.broker(id).port);
  try {
    return await f(k);
  } finally {
    k.close();
  }
}

async function alter(id: number, resourceName: string, configs: { name: string; configOperation: number; value: string | null }[]): Promise<number> {
  return withClient(id, async (k) => (await k.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName, configs }], validateOnly: false })).responses[0]!.errorCode);
}

async function describe1(id: number, resourceType: number, resourceName: string, key: string) {
  return withClient(id, async (k) => {
    const r = await k.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType, resourceName, configurationKeys: [key] }], includeSynonyms: true, includeDocumentation: false });
    expect(r.results[0]!.errorCode).toBe(0);
    return r.results[0]!.configs[0];
  });
}

const threadsOf = (id: number) => (c.broker(id).context.topicRegistry.cleanerRunner as WorkerCleanerRunner).threads;
const policyOf = (id: number, topic: string) => c.broker(id).context.topicRegistry.partitionLog(topic, 0)?.config['cleanup.policy'].join(',');

describe('dynamic broker configs in a cluster', () => {
  it('a default set on one broker is stored in etcd and applied by every broker', async () => {
    await withClient(1, async (k) => {
      const r = await k.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'plain', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
      expect(r.topics[0]!.errorCode).toBe(0);
    });
    await until('every replica of plain', () => c.ids.every((id) => policyOf(id, 'plain') === 'delete'));

    expect(
      await alter(1, '', [
        { name: 'log.cleaner.threads', configOperation: 0, value: '2' },
        { name: 'log.cleanup.policy', configOperation: 0, value: 'compact' },
      ]),
    ).toBe(0);
    expect(JSON.parse((await etcd.get('/config/brokers/<default>').string())!)).toEqual({ version: 1, config: { 'log.cleaner.threads': '2', 'log.cleanup.policy': 'compact' } });
    await until('every broker applied the default', () => c.ids.every((id) => threadsOf(id) === 2 && policyOf(id, 'plain') === 'compact'));

    const cp = await describe1(3, TOPIC, 'plain', 'cleanup.policy');
    expect(cp).toMatchObject({ value: 'compact', configSource: 3 });
    expect((await describe1(2, BROKER, '', 'log.cleanup.policy'))).toMatchObject({ value: 'compact', configSource: 3, readOnly: false });
  }, 60_000);

  it('a per-broker value changes that broker only, and wins over the default', async () => {
    expect(await alter(2, '2', [{ name: 'log.cleanup.policy', configOperation: 0, value: 'delete' }])).toBe(0);
    expect(JSON.parse((await etcd.get('/config/brokers/2').string())!)).toEqual({ version: 1, config: { 'log.cleanup.policy': 'delete' } });
    await until('broker 2 applied its own value', () => policyOf(2, 'plain') === 'delete');
    expect(policyOf(1, 'plain')).toBe('compact');
    expect(policyOf(3, 'plain')).toBe('compact');
    const own = await describe1(2, BROKER, '2', 'log.cleanup.policy');
    expect(own!.synonyms.map((s) => [s.source, s.value])).toEqual([
      [2, 'delete'],
      [3, 'compact'],
      [5, 'delete'],
    ]);
    // Another broker's id is refused by this one (the admin client sends a broker's configs to that broker).
    expect(await alter(1, '2', [{ name: 'log.cleanup.policy', configOperation: 0, value: 'compact' }])).toBe(42);
  }, 60_000);

  it('a restarted broker has the values in force from etcd before its logs open; deleting the default reverts every broker', async () => {
    await c.stopNode(3);
    await c.startNode(3);
    expect(threadsOf(3)).toBe(2);
    expect(policyOf(3, 'plain')).toBe('compact');

    expect(
      await alter(3, '', [
        { name: 'log.cleanup.policy', configOperation: 1, value: null },
        { name: 'log.cleaner.threads', configOperation: 1, value: null },
      ]),
    ).toBe(0);
    await until('every broker reverted', () => c.ids.every((id) => threadsOf(id) === 1 && policyOf(id, 'plain') === 'delete'));
    expect(JSON.parse((await etcd.get('/config/brokers/<default>').string())!)).toEqual({ version: 1, config: {} });
  }, 60_000);
});
