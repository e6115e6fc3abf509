// The log cleaner's config as a broker reports and applies it: the log.cleaner.* keys in DescribeConfigs of
// the broker and in the StorageConfig the LogManager gets, the compaction keys of a topic with their broker
// synonyms, and the cleaner threads the broker hands to its logs (none when the cleaner is off).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConfig } from '../../host-node/config/index.js';
import { WorkerCleanerRunner, createCleanerRunner } from '../../host-node/storage/cleaner-threads.js';
import { formatConfigValue, javaDoubleString, storageConfigOf } from '../../host-node/topics/topic-config.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient, startTestBroker, type TestBroker } from '../helpers/broker.js';

const TOPIC = 2;
const BROKER = 4;
const sets = {
  'log.cleaner.threads': '3',
  'log.cleaner.delete.retention.ms': '3600000',
  'log.cleaner.min.cleanable.ratio': '0.25',
  'log.cleaner.dedupe.buffer.size': '1048576',
  'log.cleaner.backoff.ms': '500',
};

let broker: TestBroker;
let c: KafkaTestClient;
beforeAll(async () => {
  broker = await startTestBroker({ sets });
  c = await KafkaTestClient.connect(broker.port);
});
afterAll(async () => {
  c.close();
  await broker.close();
});

async function describeResource(resourceType: number, resourceName: string) {
  const r = await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType, resourceName, configurationKeys: null }], includeSynonyms: true, includeDocumentation: false });
  expect(r.results[0]!.errorCode).toBe(0);
  return new Map(r.results[0]!.configs.map((x) => [x.name, x]));
}

describe('the log cleaner config', () => {
  it('DescribeConfigs of the broker lists the log.cleaner.* keys, static or default', async () => {
    const by = await describeResource(BROKER, String(broker.nodeId));
    expect(by.get('log.cleaner.enable')).toMatchObject({ value: 'true', configSource: 5 });
    expect(by.get('log.cleaner.threads')).toMatchObject({ value: '3', configSource: 4 });
    expect(by.get('log.cleaner.delete.retention.ms')).toMatchObject({ value: '3600000', configSource: 4 });
    expect(by.get('log.cleaner.min.cleanable.ratio')).toMatchObject({ value: '0.25', configSource: 4 });
    expect(by.get('log.cleaner.dedupe.buffer.size')).toMatchObject({ value: '1048576', configSource: 4 });
    expect(by.get('log.cleaner.backoff.ms')).toMatchObject({ value: '500', configSource: 4 });
    expect(by.get('log.cleaner.io.buffer.size')).toMatchObject({ value: '524288', configSource: 5 });
    expect(by.get('log.cleaner.io.buffer.load.factor')).toMatchObject({ value: '0.9', configSource: 5 });
    expect(by.get('log.cleaner.min.compaction.lag.ms')).toMatchObject({ value: '0', configSource: 5 });
    expect(by.get('log.cleaner.max.compaction.lag.ms')!.value).toBe('9223372036854775807');
    expect(by.get('log.cleaner.io.max.bytes.per.second')!.configSource).toBe(5);
    // Doubles print as Java's Double.toString, as Kafka's DescribeConfigs does.
    expect(by.get('log.cleaner.io.max.bytes.per.second')!.value).toBe('1.7976931348623157E308');
  });

  it('a double config prints as Java prints it', () => {
    expect(javaDoubleString(0.5)).toBe('0.5');
    expect(javaDoubleString(1)).toBe('1.0');
    expect(javaDoubleString(0)).toBe('0.0');
    expect(javaDoubleString(1234567.5)).toBe('1234567.5');
    expect(javaDoubleString(1e7)).toBe('1.0E7');
    expect(javaDoubleString(0.0001)).toBe('1.0E-4');
    expect(javaDoubleString(0.001)).toBe('0.001');
    expect(javaDoubleString(-2.5e-5)).toBe('-2.5E-5');
    expect(javaDoubleString(Number.MAX_VALUE)).toBe('1.7976931348623157E308');
    expect(formatConfigValue(1, 'double')).toBe('1.0');
    expect(formatConfigValue(Number.MAX_VALUE, 'long')).toBe('9223372036854775807');
  });

  it('DescribeConfigs of a topic shows the compaction keys with their synonyms', async () => {
    const t = await c.request(ApiKey.CreateTopics, 7, {
      topics: [{ name: 'compacted', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'min.compaction.lag.ms', value: '60000' }] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    expect(t.topics[0]!.errorCode).toBe(0);
    const by = await describeResource(TOPIC, 'compacted');
    expect(by.get('cleanup.policy')).toMatchObject({ value: 'compact', configSource: 1 });
    expect(by.get('delete.retention.ms')).toMatchObject({ value: '3600000', configSource: 4 });
    expect(by.get('delete.retention.ms')!.synonyms).toEqual([
      { name: 'log.cleaner.delete.retention.ms', value: '3600000', source: 4 },
      { name: 'log.cleaner.delete.retention.ms', value: '86400000', source: 5 },
    ]);
    expect(by.get('min.cleanable.dirty.ratio')).toMatchObject({ value: '0.25', configSource: 4 });
    expect(by.get('min.cleanable.dirty.ratio')!.synonyms).toEqual([
      { name: 'log.cleaner.min.cleanable.ratio', value: '0.25', source: 4 },
      { name: 'log.cleaner.min.cleanable.ratio', value: '0.5', source: 5 },
    ]);
    expect(by.get('min.compaction.lag.ms')).toMatchObject({ value: '60000', configSource: 1 });
    expect(by.get('min.compaction.lag.ms')!.synonyms).toEqual([
      { name: 'min.compaction.lag.ms', value: '60000', source: 1 },
      { name: 'log.cleaner.min.compaction.lag.ms', value: '0', source: 5 },
    ]);
    expect(by.get('max.compaction.lag.ms')).toMatchObject({ value: '9223372036854775807', configSource: 5 });
    expect(by.get('max.compaction.lag.ms')!.synonyms).toEqual([{ name: 'log.cleaner.max.compaction.lag.ms', value: '9223372036854775807', source: 5 }]);
    // And the log runs under them.
    const log = broker.context.topicRegistry.partitionLog('compacted', 0)!;
    expect(log.config).toMatchObject({ 'cleanup.policy': ['compact'], 'delete.retention.ms': 3600000, 'min.cleanable.dirty.ratio': 0.25, 'min.compaction.lag.ms': 60000 });
  });

  it('the log.cleaner.* keys reach StorageConfig, and the broker runs log.cleaner.threads cleaner threads', () => {
    const storage = storageConfigOf(broker.context.config);
    expect(storage).toMatchObject({
      'log.cleaner.enable': true,
      'log.cleaner.threads': 3,
      'log.cleaner.delete.retention.ms': 3600000,
      'log.cleaner.min.cleanable.ratio': 0.25,
      'log.cleaner.dedupe.buffer.size': 1048576,
      'log.cleaner.backoff.ms': 500,
      'log.cleaner.io.buffer.size': 524288,
    });
    const runner = broker.context.topicRegistry.cleanerRunner;
    expect(runner).toBeInstanceOf(WorkerCleanerRunner);
    expect((runner as WorkerCleanerRunner).threads).toBe(3);
    expect((runner as WorkerCleanerRunner).liveThreads).toBe(0);
  });

  it('no cleaner threads when log.cleaner.enable is off or log.cleaner.threads is 0', () => {
    expect(createCleanerRunner(BrokerConfig.load({ sets: { 'log.cleaner.enable': false } }))).toBeUndefined();
    expect(createCleanerRunner(BrokerConfig.load({ sets: { 'log.cleaner.threads': 0 } }))).toBeUndefined();
    expect(createCleanerRunner(BrokerConfig.load({}))?.threads).toBe(1);
  });
});
