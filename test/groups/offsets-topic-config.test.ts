// __consumer_offsets is created as Kafka creates it (cleanup.policy=compact, compression.type=producer,
// segment.bytes from offsets.topic.segment.bytes), and one created before compaction (kept forever with
// retention.ms=-1) is switched to compaction when the broker restarts: in its stored overrides, in what
// DescribeConfigs reports and in the config its logs run under.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONSUMER_OFFSETS_TOPIC } from '../../host-node/group/index.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { startBroker, type RunningBroker } from '../../host-node/broker.js';
import { silentLogger } from '../../host-node/util/log.js';

const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-offsets-topic-'));
const sets = { 'offsets.topic.num.partitions': '3', 'offsets.topic.segment.bytes': '1048576', 'group.initial.rebalance.delay.ms': '0' };
const open: RunningBroker[] = [];
afterAll(async () => {
  for (const b of open) await b.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<RunningBroker> {
  const b = await startBroker({ host: '127.0.0.1', port: 0, dataDir, log: silentLogger, sets });
  open.push(b);
  return b;
}

async function stop(b: RunningBroker): Promise<void> {
  open.splice(open.indexOf(b), 1);
  await b.close();
}

async function describeOffsetsTopic(port: number): Promise<Map<string, { value: string | null; configSource: number }>> {
  const c = await KafkaTestClient.connect(port);
  try {
    const r = await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: CONSUMER_OFFSETS_TOPIC, configurationKeys: null }], includeSynonyms: false });
    expect(r.results[0]!.errorCode).toBe(0);
    return new Map(r.results[0]!.configs.map((x) => [x.name, { value: x.value, configSource: x.configSource }]));
  } finally {
    c.close();
  }
}

describe('__consumer_offsets configs', () => {
  it('is created compacted on the first FindCoordinator, and an uncompacted one is switched to compaction at start-up', async () => {
    const b1 = await start();
    expect(b1.context.topicRegistry.topic(CONSUMER_OFFSETS_TOPIC)).toBeUndefined();
    const c = await KafkaTestClient.connect(b1.port);
    const fc = await c.request(ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: ['g'] });
    c.close();
    expect(fc.coordinators[0]!.errorCode).toBe(0);
    const t = b1.context.topicRegistry.topic(CONSUMER_OFFSETS_TOPIC)!;
    expect(t.isInternal).toBe(true);
    expect(t.configs).toEqual({ 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': '1048576' });
    const described = await describeOffsetsTopic(b1.port);
    expect(described.get('cleanup.policy')).toEqual({ value: 'compact', configSource: 1 });
    expect(described.get('compression.type')).toEqual({ value: 'producer', configSource: 1 });
    expect(described.get('segment.bytes')).toEqual({ value: '1048576', configSource: 1 });
    for (let p = 0; p < 3; p++) expect(b1.context.topicRegistry.partitionLog(CONSUMER_OFFSETS_TOPIC, p)!.config['cleanup.policy']).toEqual(['compact']);

    // What an earlier Rivulet stored: no compaction, kept forever.
    b1.context.topicRegistry.setTopicConfigs(CONSUMER_OFFSETS_TOPIC, { 'retention.ms': '-1', 'segment.bytes': '1048576' });
    expect(b1.context.topicRegistry.partitionLog(CONSUMER_OFFSETS_TOPIC, 0)!.config['cleanup.policy']).toEqual(['delete']);
    await stop(b1);

    const b2 = await start();
    expect(b2.context.topicRegistry.topic(CONSUMER_OFFSETS_TOPIC)!.configs).toEqual({ 'retention.ms': '-1', 'segment.bytes': '1048576', 'cleanup.policy': 'compact' });
    for (let p = 0; p < 3; p++) expect(b2.context.topicRegistry.partitionLog(CONSUMER_OFFSETS_TOPIC, p)!.config['cleanup.policy']).toEqual(['compact']);
    expect((await describeOffsetsTopic(b2.port)).get('cleanup.policy')).toEqual({ value: 'compact', configSource: 1 });

    // A policy that already compacts (here with delete as well) is left as the operator set it.
    b2.context.topicRegistry.setTopicConfigs(CONSUMER_OFFSETS_TOPIC, { 'cleanup.policy': 'compact,delete' });
    await stop(b2);
    const b3 = await start();
    expect(b3.context.topicRegistry.topic(CONSUMER_OFFSETS_TOPIC)!.configs).toEqual({ 'cleanup.policy': 'compact,delete' });
  });
});
