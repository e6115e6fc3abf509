// The admin APIs through the generated codecs over a real socket, every version: CreateTopics, DeleteTopics,
// CreatePartitions, DescribeConfigs, AlterConfigs, IncrementalAlterConfigs, DescribeLogDirs, and Metadata
// listing and auto-creating topics.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { ZERO_UUID } from '../../protocol/wire/uuid.js';
import { KafkaTestClient, startTestBroker, type TestBroker } from '../helpers/broker.js';

let broker: TestBroker;
let c: KafkaTestClient;
beforeAll(async () => {
  broker = await startTestBroker({ sets: { 'num.partitions': 2, 'log.retention.hours': 24 } });
  c = await KafkaTestClient.connect(broker.port);
});
afterAll(async () => {
  c.close();
  await broker.close();
});

const TOPIC = 2;
const BROKER = 4;

async function create(name: string, numPartitions = 1, configs: { name: string; value: string | null }[] = [], v = 7, validateOnly = false) {
  const r = await c.request(ApiKey.CreateTopics, v, { topics: [{ name, numPartitions, replicationFactor: -1, assignments: [], configs }], timeoutMs: 5000, validateOnly });
  return r.topics[0]!;
}

async function metadata(topics: string[] | null, allowAutoTopicCreation = false, v = 12) {
  return c.request(ApiKey.Metadata, v, {
    topics: topics === null ? null : topics.map((name) => ({ name, topicId: ZERO_UUID })),
    allowAutoTopicCreation,
    includeTopicAuthorizedOperations: false,
  });
}

async function describeTopic(name: string, keys: string[] | null = null, v = 4, includeSynonyms = true) {
  const r = await c.request(ApiKey.DescribeConfigs, v, {
    resources: [{ resourceType: TOPIC, resourceName: name, configurationKeys: keys }],
    ...(v >= 1 ? { includeSynonyms } : {}),
    ...(v >= 3 ? { includeDocumentation: true } : {}),
  });
  return r.results[0]!;
}

describe('CreateTopics', () => {
  it.each([0, 1, 2, 3, 4, 5, 6, 7])('v%i creates a topic that Metadata lists', async (v) => {
    const name = `ct-v${v}`;
    const t = await create(name, 3, [], v);
    expect(t.errorCode).toBe(0);
    if (v >= 5) {
      expect(t.numPartitions).toBe(3);
      expect(t.replicationFactor).toBe(1);
      expect(t.configs!.find((x) => x.name === 'retention.ms')).toMatchObject({ value: String(24 * 3600_000), configSource: 4, readOnly: false });
    }
    if (v >= 7) expect(t.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const md = await metadata([name]);
    expect(md.topics[0]).toMatchObject({ errorCode: 0, name, isInternal: false });
    expect(md.topics[0]!.partitions.map((p) => [p.partitionIndex, p.leaderId, p.leaderEpoch, p.replicaNodes, p.isrNodes])).toEqual([
      [0, 1, 0, [1], [1]],
      [1, 1, 0, [1], [1]],
      [2, 1, 0, [1], [1]],
    ]);
    if (v >= 7) expect(md.topics[0]!.topicId).toBe(t.topicId);
    // The partition directories carry Kafka's partition.metadata with the topic id.
    const pm = readFileSync(join(broker.dataDir, `${name}-0`, 'partition.metadata'), 'utf8');
    expect(pm).toBe(`version: 0\ntopic_id: ${md.topics[0]!.topicId}\n`);
  });

  it('-1 partitions / RF use num.partitions and default.replication.factor', async () => {
    const t = await create('ct-defaults', -1);
    expect(t).toMatchObject({ errorCode: 0, numPartitions: 2, replicationFactor: 1 });
  });

  it('errors: exists, bad partitions, RF > 1, bad names, collisions, duplicates, bad configs', async () => {
    await create('ct-err');
    expect(await create('ct-err')).toMatchObject({ errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: "Topic 'ct-err' already exists." });
    expect((await create('ct-zero', 0)).errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    expect((await create('ct-neg', -5)).errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    const rf = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'ct-rf', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 1000 });
    expect(rf.topics[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICATION_FACTOR });
    expect(rf.topics[0]!.errorMessage).toContain('only 1 broker(s)');
    const rf0 = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'ct-rf0', numPartitions: 1, replicationFactor: 0, assignments: [], configs: [] }], timeoutMs: 1000 });
    expect(rf0.topics[0]!.errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    for (const bad of ['', '.', '..', 'a/b', 'has space', 'x'.repeat(250), 'ümlaut'])
      expect((await create(bad)).errorCode, JSON.stringify(bad)).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect((await create('x'.repeat(249))).errorCode).toBe(0);
    await create('coll.ide');
    expect(await create('coll_ide')).toMatchObject({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: "Topic 'coll_ide' collides with existing topic: coll.ide" });
    const dup = await c.request(ApiKey.CreateTopics, 7, {
      topics: [
        { name: 'ct-dup', numPartitions: 1, replicationFactor: 1 },
        { name: 'ct-dup', numPartitions: 1, replicationFactor: 1 },
        { name: 'ct-ok', numPartitions: 1, replicationFactor: 1 },
      ],
      timeoutMs: 1000,
    });
    expect(dup.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['ct-dup', ErrorCode.INVALID_REQUEST],
      ['ct-dup', ErrorCode.INVALID_REQUEST],
      ['ct-ok', 0],
    ]);
    expect(await create('ct-cfg1', 1, [{ name: 'no.such.config', value: '1' }])).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: 'Unknown topic config name: no.such.config' });
    expect((await create('ct-cfg2', 1, [{ name: 'retention.ms', value: 'abc' }])).errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect((await create('ct-cfg3', 1, [{ name: 'segment.bytes', value: '10' }])).errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect((await create('ct-cfg4', 1, [{ name: 'message.timestamp.type', value: 'Bogus' }])).errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect((await create('ct-cfg5', 1, [{ name: 'cleanup.policy', value: 'shred' }])).errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect((await create('ct-cfg6', 1, [{ name: 'retention.ms', value: null }])).errorCode).toBe(ErrorCode.INVALID_CONFIG);
    const md = await metadata(null);
    const names = md.topics.map((t) => t.name);
    for (const n of ['ct-zero', 'ct-rf', 'coll_ide', 'ct-dup', 'ct-cfg1', 'ct-cfg2', 'ct-cfg6']) expect(names).not.toContain(n);
    expect(names).toContain('ct-ok');
  });

  it(`more than ${10_000} partitions is INVALID_PARTITIONS (Rivulet's guard)`, async () => {
    const t = await create('ct-huge', 10_001);
    expect(t.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(existsSync(join(broker.dataDir, 'ct-huge-0'))).toBe(false);
  });

  it('replica assignments: this broker only, consecutive partitions, not with a count', async () => {
    const req = (assignments: { partitionIndex: number; brokerIds: number[] }[], numPartitions = -1, name = 'ct-assign') =>
      c.request(ApiKey.CreateTopics, 4, { topics: [{ name, numPartitions, replicationFactor: -1, assignments, configs: [] }], timeoutMs: 1000 });
    expect((await req([{ partitionIndex: 0, brokerIds: [2] }])).topics[0]!.errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect((await req([{ partitionIndex: 1, brokerIds: [1] }])).topics[0]!.errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect((await req([{ partitionIndex: 0, brokerIds: [1, 1] }])).topics[0]!.errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect((await req([{ partitionIndex: 0, brokerIds: [1] }], 1)).topics[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const ok = await req([
      { partitionIndex: 1, brokerIds: [1] },
      { partitionIndex: 0, brokerIds: [1] },
    ]);
    expect(ok.topics[0]!.errorCode).toBe(0);
    expect((await metadata(['ct-assign'])).topics[0]!.partitions).toHaveLength(2);
  });

  it('validateOnly checks and answers without creating', async () => {
    const t = await create('ct-validate', 4, [{ name: 'retention.ms', value: '1000' }], 7, true);
    expect(t).toMatchObject({ errorCode: 0, numPartitions: 4 });
    expect(t.configs!.find((x) => x.name === 'retention.ms')).toMatchObject({ value: '1000', configSource: 1 });
    expect((await metadata(['ct-validate'])).topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(existsSync(join(broker.dataDir, 'ct-validate-0'))).toBe(false);
    expect((await create('ct-validate', 0, [], 7, true)).errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
  });
});

describe('Metadata', () => {
  it('lists every topic (null list) and auto-creates when allowed', async () => {
    const auto = await metadata(['md-auto'], true);
    expect(auto.topics[0]).toMatchObject({ name: 'md-auto', errorCode: 0 });
    expect(auto.topics[0]!.partitions).toHaveLength(2); // num.partitions
    const noAuto = await metadata(['md-noauto'], false);
    expect(noAuto.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const bad = await metadata(['bad name'], true);
    expect(bad.topics[0]!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    const all = await metadata(null);
    expect(all.topics.map((t) => t.name)).toContain('md-auto');
    const v0 = await c.request(ApiKey.Metadata, 0, { topics: [] });
    expect(v0.topics.map((t) => t.name)).toContain('md-auto');
  });

  it('finds topics by id (v10+)', async () => {
    const t = await create('md-byid', 1);
    const r = await c.request(ApiKey.Metadata, 12, { topics: [{ name: null, topicId: t.topicId }], allowAutoTopicCreation: false });
    expect(r.topics[0]).toMatchObject({ name: 'md-byid', topicId: t.topicId, errorCode: 0 });
  });
});

describe('DeleteTopics', () => {
  it.each([0, 1, 2, 3, 4, 5])('v%i deletes by name', async (v) => {
    const name = `dt-v${v}`;
    await create(name, 2);
    const r = await c.request(ApiKey.DeleteTopics, v, { topicNames: [name, 'dt-missing'], timeoutMs: 1000 });
    expect(r.responses.map((x) => [x.name, x.errorCode])).toEqual([
      [name, 0],
      ['dt-missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    expect((await metadata([name])).topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const left = readdirSync(broker.dataDir).filter((d) => d === `${name}-0` || d === `${name}-1`);
    expect(left).toEqual([]);
    expect(existsSync(join(broker.dataDir, 'rivulet-topics', `${name}.json`))).toBe(false);
  });

  it('v6 deletes by name and by id; unknown id, duplicates and name+id are errors', async () => {
    const a = await create('dt6-a');
    await create('dt6-b');
    const r = await c.request(ApiKey.DeleteTopics, 6, {
      topics: [
        { name: null, topicId: a.topicId },
        { name: 'dt6-b', topicId: ZERO_UUID },
        { name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAg' },
        { name: 'dt6-x', topicId: a.topicId },
      ],
      timeoutMs: 1000,
    });
    expect(r.responses.map((x) => [x.name, x.errorCode])).toEqual([
      ['dt6-a', 0],
      ['dt6-b', 0],
      [null, ErrorCode.UNKNOWN_TOPIC_ID],
      ['dt6-x', ErrorCode.INVALID_REQUEST],
    ]);
    expect(r.responses[0]!.topicId).toBe(a.topicId);
    const dup = await c.request(ApiKey.DeleteTopics, 6, {
      topics: [
        { name: 'dt6-c', topicId: ZERO_UUID },
        { name: 'dt6-c', topicId: ZERO_UUID },
      ],
      timeoutMs: 1000,
    });
    expect(dup.responses.map((x) => x.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
  });

  it('a deleted topic can be re-created with a new id and empty partitions', async () => {
    const a = await create('dt-again', 1);
    await c.request(ApiKey.DeleteTopics, 6, { topics: [{ name: 'dt-again', topicId: ZERO_UUID }], timeoutMs: 1000 });
    const b = await create('dt-again', 3);
    expect(b.errorCode).toBe(0);
    expect(b.topicId).not.toBe(a.topicId);
    expect(readFileSync(join(broker.dataDir, 'dt-again-0', 'partition.metadata'), 'utf8')).toContain(b.topicId);
  });
});

describe('internal topics', () => {
  it('are flagged in Metadata, never auto-created, and cannot be deleted or grown', async () => {
    const auto = await metadata(['__transaction_state'], true);
    expect(auto.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await create('__transaction_state', 3)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    if (!broker.context.topicRegistry.topic('__consumer_offsets'))
      broker.context.topicRegistry.createTopic({ name: '__consumer_offsets', numPartitions: 2, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '-1' }] });
    const md = await metadata(['__consumer_offsets']);
    expect(md.topics[0]).toMatchObject({ errorCode: 0, isInternal: true });
    const del = await c.request(ApiKey.DeleteTopics, 6, { topics: [{ name: '__consumer_offsets', topicId: ZERO_UUID }], timeoutMs: 1000 });
    expect(del.responses[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const cp = await c.request(ApiKey.CreatePartitions, 3, { topics: [{ name: '__consumer_offsets', count: 60, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(cp.results[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await metadata(['__consumer_offsets'])).topics[0]!.partitions.length).toBe(md.topics[0]!.partitions.length);
  });
});

describe('CreatePartitions', () => {
  it.each([0, 1, 2, 3])('v%i grows a topic; not increasing is INVALID_PARTITIONS', async (v) => {
    const name = `cp-v${v}`;
    await create(name, 2);
    const r = await c.request(ApiKey.CreatePartitions, v, {
      topics: [
        { name, count: 5, assignments: null },
        { name: 'cp-missing', count: 3, assignments: null },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(r.results.map((x) => [x.name, x.errorCode])).toEqual([
      [name, 0],
      ['cp-missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    expect((await metadata([name])).topics[0]!.partitions).toHaveLength(5);
    expect(readFileSync(join(broker.dataDir, `${name}-4`, 'partition.metadata'), 'utf8')).toContain((await metadata([name])).topics[0]!.topicId);
    const same = await c.request(ApiKey.CreatePartitions, v, { topics: [{ name, count: 5, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(same.results[0]).toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Topic already has 5 partitions.' });
    const less = await c.request(ApiKey.CreatePartitions, v, { topics: [{ name, count: 3, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(less.results[0]!.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
  });

  it('validateOnly and assignments', async () => {
    await create('cp-x', 1);
    const vo = await c.request(ApiKey.CreatePartitions, 3, { topics: [{ name: 'cp-x', count: 4, assignments: null }], timeoutMs: 1000, validateOnly: true });
    expect(vo.results[0]!.errorCode).toBe(0);
    expect((await metadata(['cp-x'])).topics[0]!.partitions).toHaveLength(1);
    const wrong = await c.request(ApiKey.CreatePartitions, 3, { topics: [{ name: 'cp-x', count: 3, assignments: [{ brokerIds: [1] }] }], timeoutMs: 1000, validateOnly: false });
    expect(wrong.results[0]!.errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    const other = await c.request(ApiKey.CreatePartitions, 3, { topics: [{ name: 'cp-x', count: 2, assignments: [{ brokerIds: [7] }] }], timeoutMs: 1000, validateOnly: false });
    expect(other.results[0]!.errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    const ok = await c.request(ApiKey.CreatePartitions, 3, { topics: [{ name: 'cp-x', count: 3, assignments: [{ brokerIds: [1] }, { brokerIds: [1] }] }], timeoutMs: 1000, validateOnly: false });
    expect(ok.results[0]!.errorCode).toBe(0);
    expect((await metadata(['cp-x'])).topics[0]!.partitions).toHaveLength(3);
  });
});

describe('DescribeConfigs', () => {
  it.each([0, 1, 2, 3, 4])('v%i describes a topic: overrides, static broker values, defaults', async (v) => {
    const name = `dc-v${v}`;
    await create(name, 1, [{ name: 'retention.bytes', value: '12345' }]);
    const r = await describeTopic(name, null, v);
    expect(r.errorCode).toBe(0);
    const by = new Map(r.configs.map((x) => [x.name, x]));
    expect(by.get('retention.bytes')).toMatchObject({ value: '12345', readOnly: false, isSensitive: false });
    expect(by.get('retention.ms')!.value).toBe(String(24 * 3600_000));
    expect(by.get('segment.bytes')!.value).toBe('1073741824');
    expect(by.get('message.timestamp.type')!.value).toBe('CreateTime');
    expect(by.get('max.message.bytes')!.value).toBe('1048588');
    expect(by.get('cleanup.policy')!.value).toBe('delete');
    expect(by.get('flush.ms')!.value).toBe('9223372036854775807');
    if (v === 0) {
      expect(by.get('retention.bytes')!.isDefault).toBe(false);
      expect(by.get('segment.bytes')!.isDefault).toBe(true);
    } else {
      expect(by.get('retention.bytes')!.configSource).toBe(1); // DYNAMIC_TOPIC_CONFIG
      expect(by.get('retention.ms')!.configSource).toBe(4); // STATIC_BROKER_CONFIG (log.retention.hours set)
      expect(by.get('segment.bytes')!.configSource).toBe(5); // DEFAULT_CONFIG
      expect(by.get('retention.bytes')!.synonyms).toEqual([
        { name: 'retention.bytes', value: '12345', source: 1 },
        { name: 'log.retention.bytes', value: '-1', source: 5 },
      ]);
      expect(by.get('retention.ms')!.synonyms).toEqual([
        { name: 'log.retention.hours', value: '24', source: 4 },
        { name: 'log.retention.hours', value: '168', source: 5 },
      ]);
    }
    if (v >= 3) {
      expect(by.get('retention.bytes')!.configType).toBe(5); // LONG
      expect(by.get('cleanup.policy')!.configType).toBe(7); // LIST
      expect(by.get('retention.bytes')!.documentation).toMatch(/size/);
    }
  });

  it("accepts, stores and describes compression.* and the deprecated or no-op configs Kafka 3.9 still takes", async () => {
    const configs = [
      { name: 'compression.type', value: 'zstd' },
      { name: 'compression.zstd.level', value: '-7' },
      { name: 'message.format.version', value: '2.8-IV1' },
      { name: 'message.downconversion.enable', value: 'false' },
      { name: 'message.timestamp.difference.max.ms', value: '60000' },
      { name: 'preallocate', value: 'true' },
      { name: 'leader.replication.throttled.replicas', value: '0:1,0:2' },
      { name: 'local.retention.ms', value: '1000' },
      { name: 'remote.storage.enable', value: 'false' },
    ];
    expect((await create('dc-legacy', 1, configs)).errorCode).toBe(0);
    const r = await describeTopic('dc-legacy');
    const by = new Map(r.configs.map((x) => [x.name, x]));
    for (const { name, value } of configs) expect(by.get(name), name).toMatchObject({ value, configSource: 1 });
    expect(by.get('compression.gzip.level')).toMatchObject({ value: '-1', configSource: 5, configType: 3, synonyms: [{ name: 'compression.gzip.level', value: '-1', source: 5 }] });
    expect(by.get('compression.lz4.level')!.value).toBe('9');
    expect(by.get('message.timestamp.before.max.ms')).toMatchObject({ value: '9223372036854775807', synonyms: [{ name: 'log.message.timestamp.before.max.ms', value: '9223372036854775807', source: 5 }] });
    expect(by.get('message.timestamp.after.max.ms')!.value).toBe('9223372036854775807');
    expect(by.get('follower.replication.throttled.replicas')).toMatchObject({ value: '', configSource: 5, synonyms: [], configType: 7 });
    expect(by.get('local.retention.bytes')!.synonyms).toEqual([{ name: 'log.local.retention.bytes', value: '-2', source: 5 }]);
    expect(by.get('preallocate')!.synonyms).toEqual([
      { name: 'preallocate', value: 'true', source: 1 },
      { name: 'log.preallocate', value: 'false', source: 5 },
    ]);
    expect(by.get('message.format.version')!.documentation).toMatch(/no effect in Rivulet/);
    // Kafka's refusals for values out of range, and tiered storage on a broker without it.
    const bad = await create('dc-legacy-bad', 1, [{ name: 'remote.storage.enable', value: 'true' }]);
    expect(bad).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG });
    expect(bad.errorMessage).toMatch(/Tiered Storage functionality is disabled/);
    expect((await create('dc-legacy-bad', 1, [{ name: 'compression.zstd.level', value: '23' }])).errorCode).toBe(ErrorCode.INVALID_CONFIG);
    // IncrementalAlterConfigs takes them too, APPEND on the throttled-replica lists included.
    const ia = await c.request(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: TOPIC, resourceName: 'dc-legacy', configs: [{ name: 'leader.replication.throttled.replicas', configOperation: 2, value: '1:1' }, { name: 'compression.type', configOperation: 0, value: 'gzip' }] }],
    });
    expect(ia.responses[0]!.errorCode).toBe(0);
    const after = new Map((await describeTopic('dc-legacy')).configs.map((x) => [x.name, x.value]));
    expect(after.get('leader.replication.throttled.replicas')).toBe('0:1,0:2,1:1');
    expect(after.get('compression.type')).toBe('gzip');
  });

  it('filters keys; no synonyms unless asked; unknown/invalid topics; broker resources', async () => {
    await create('dc-keys');
    const r = await describeTopic('dc-keys', ['retention.ms', 'nope'], 4, false);
    expect(r.configs.map((x) => x.name)).toEqual(['retention.ms']);
    expect(r.configs[0]!.synonyms).toEqual([]);
    expect((await describeTopic('dc-missing')).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await describeTopic('bad name')).errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);

    const b = await c.request(ApiKey.DescribeConfigs, 4, {
      resources: [
        { resourceType: BROKER, resourceName: '1', configurationKeys: null },
        { resourceType: BROKER, resourceName: '2', configurationKeys: null },
        { resourceType: BROKER, resourceName: '', configurationKeys: null },
        { resourceType: 99, resourceName: 'x', configurationKeys: null },
      ],
      includeSynonyms: true,
      includeDocumentation: false,
    });
    expect(b.results.map((x) => x.errorCode)).toEqual([0, ErrorCode.INVALID_REQUEST, 0, ErrorCode.INVALID_REQUEST]);
    const other = await c.request(ApiKey.DescribeConfigs, 4, {
      resources: [
        { resourceType: BROKER, resourceName: 'one', configurationKeys: null },
        { resourceType: 8, resourceName: '1', configurationKeys: null },
        { resourceType: 8, resourceName: '', configurationKeys: null },
      ],
    });
    expect(other.results.map((x) => [x.errorCode, x.errorMessage])).toEqual([
      [ErrorCode.INVALID_REQUEST, 'Broker id must be an integer, but it is: one'],
      [0, null],
      [ErrorCode.INVALID_REQUEST, 'Broker id must not be empty'],
    ]);
    const by = new Map(b.results[0]!.configs.map((x) => [x.name, x]));
    expect(by.get('num.partitions')).toMatchObject({ value: '2', readOnly: true, configSource: 4 });
    expect(by.get('message.max.bytes')).toMatchObject({ value: '1048588', configSource: 5 });
    expect(by.get('log.retention.hours')!.synonyms).toEqual([
      { name: 'log.retention.hours', value: '24', source: 4 },
      { name: 'log.retention.hours', value: '168', source: 5 },
    ]);
    expect(by.get('auto.create.topics.enable')!.value).toBe('true');
    expect(b.results[2]!.configs).toEqual([]);
  });
});

describe('AlterConfigs / IncrementalAlterConfigs', () => {
  it.each([0, 1, 2])('AlterConfigs v%i replaces the overrides and applies them to the logs', async (v) => {
    const name = `ac-v${v}`;
    await create(name, 2, [{ name: 'retention.bytes', value: '1000' }]);
    const r = await c.request(ApiKey.AlterConfigs, v, {
      resources: [{ resourceType: TOPIC, resourceName: name, configs: [{ name: 'retention.ms', value: '60000' }, { name: 'max.message.bytes', value: '2000' }] }],
      validateOnly: false,
    });
    expect(r.responses[0]).toMatchObject({ errorCode: 0, resourceName: name });
    const by = new Map((await describeTopic(name)).configs.map((x) => [x.name, x]));
    expect(by.get('retention.ms')).toMatchObject({ value: '60000', configSource: 1 });
    expect(by.get('retention.bytes')).toMatchObject({ value: '-1', configSource: 5 }); // dropped: full replacement
    const log = broker.context.topicRegistry.partitionLog(name, 1)!;
    expect(log.config['retention.ms']).toBe(60000);
    expect(log.config['max.message.bytes']).toBe(2000);
    expect(broker.context.topicRegistry.topicConfig(name)!['max.message.bytes']).toBe(2000);
    const stored = JSON.parse(readFileSync(join(broker.dataDir, 'rivulet-topics', `${name}.json`), 'utf8')) as { configs: Record<string, string> };
    expect(stored.configs).toEqual({ 'retention.ms': '60000', 'max.message.bytes': '2000' });
  });

  it('AlterConfigs errors and validateOnly', async () => {
    await create('ac-err');
    const r = await c.request(ApiKey.AlterConfigs, 2, {
      resources: [
        { resourceType: TOPIC, resourceName: 'ac-err', configs: [{ name: 'retention.ms', value: '-7' }] },
        { resourceType: TOPIC, resourceName: 'ac-missing', configs: [] },
        { resourceType: TOPIC, resourceName: 'ac-err2', configs: [] },
        { resourceType: BROKER, resourceName: '1', configs: [{ name: 'num.partitions', value: '3' }] },
        { resourceType: BROKER, resourceName: '9', configs: [] },
      ],
      validateOnly: false,
    });
    expect(r.responses.map((x) => x.errorCode)).toEqual([
      ErrorCode.INVALID_CONFIG,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.INVALID_CONFIG,
      ErrorCode.INVALID_REQUEST,
    ]);
    expect(r.responses[0]!.errorMessage).toBe('Invalid value -7 for configuration retention.ms: Value must be at least -1');
    const vo = await c.request(ApiKey.AlterConfigs, 2, { resources: [{ resourceType: TOPIC, resourceName: 'ac-err', configs: [{ name: 'retention.ms', value: '5' }] }], validateOnly: true });
    expect(vo.responses[0]!.errorCode).toBe(0);
    expect((await describeTopic('ac-err', ['retention.ms'])).configs[0]!.configSource).toBe(4);
  });

  it('AlterConfigs and IncrementalAlterConfigs refuse a resource named twice and a key given twice (INVALID_REQUEST), and change nothing', async () => {
    await create('ac-dup');
    const twice = { resourceType: TOPIC, resourceName: 'ac-dup', configs: [{ name: 'retention.ms', value: '5' }] };
    const dupKey = { resourceType: TOPIC, resourceName: 'ac-dup', configs: [{ name: 'retention.ms', value: '5' }, { name: 'retention.ms', value: '6' }] };
    const a = await c.request(ApiKey.AlterConfigs, 2, { resources: [twice, twice], validateOnly: false });
    expect(a.responses.map((x) => [x.errorCode, x.errorMessage])).toEqual([
      [ErrorCode.INVALID_REQUEST, 'Duplicate resource in the request.'],
      [ErrorCode.INVALID_REQUEST, 'Duplicate resource in the request.'],
    ]);
    const b = await c.request(ApiKey.AlterConfigs, 2, { resources: [dupKey], validateOnly: false });
    expect([b.responses[0]!.errorCode, b.responses[0]!.errorMessage]).toEqual([ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys: retention.ms']);
    const inc = (configs: { name: string; value: string }[]) => ({ resourceType: TOPIC, resourceName: 'ac-dup', configs: configs.map((x) => ({ ...x, configOperation: 0 })) });
    const i1 = await c.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [inc(twice.configs), inc(twice.configs)], validateOnly: false });
    expect(i1.responses.map((x) => x.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    const i2 = await c.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [inc(dupKey.configs)], validateOnly: false });
    expect([i2.responses[0]!.errorCode, i2.responses[0]!.errorMessage]).toEqual([ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys: retention.ms']);
    expect((await describeTopic('ac-dup', ['retention.ms'])).configs[0]!.configSource).toBe(4);
  });

  it.each([0, 1])('IncrementalAlterConfigs v%i: SET, DELETE, APPEND/SUBTRACT on lists only', async (v) => {
    const name = `iac-v${v}`;
    await create(name, 1, [{ name: 'retention.bytes', value: '1000' }, { name: 'segment.ms', value: '100000' }]);
    const alter = (configs: { name: string; configOperation: number; value: string | null }[], validateOnly = false) =>
      c.request(ApiKey.IncrementalAlterConfigs, v, { resources: [{ resourceType: TOPIC, resourceName: name, configs }], validateOnly });
    expect(
      (
        await alter([
          { name: 'retention.ms', configOperation: 0, value: '120000' },
          { name: 'segment.ms', configOperation: 1, value: null },
          { name: 'message.timestamp.type', configOperation: 0, value: 'LogAppendTime' },
        ])
      ).responses[0]!.errorCode,
    ).toBe(0);
    let by = new Map((await describeTopic(name)).configs.map((x) => [x.name, x]));
    expect(by.get('retention.ms')!.value).toBe('120000');
    expect(by.get('retention.bytes')!.value).toBe('1000'); // untouched
    expect(by.get('segment.ms')).toMatchObject({ value: '604800000', configSource: 5 });
    expect(broker.context.topicRegistry.partitionLog(name, 0)!.config['message.timestamp.type']).toBe('LogAppendTime');

    expect((await alter([{ name: 'retention.ms', configOperation: 2, value: '5' }])).responses[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect((await alter([{ name: 'cleanup.policy', configOperation: 2, value: 'delete' }])).responses[0]!.errorCode).toBe(0);
    by = new Map((await describeTopic(name)).configs.map((x) => [x.name, x]));
    expect(by.get('cleanup.policy')).toMatchObject({ value: 'delete', configSource: 1 });
    expect((await alter([{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }])).responses[0]!.errorCode).toBe(0);
    expect((await alter([{ name: 'cleanup.policy', configOperation: 2, value: 'shred' }])).responses[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect((await alter([{ name: 'cleanup.policy', configOperation: 3, value: 'compact' }])).responses[0]!.errorCode).toBe(0);
    expect((await alter([{ name: 'cleanup.policy', configOperation: 3, value: 'delete' }])).responses[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG); // empty list
    expect((await alter([{ name: 'bogus', configOperation: 0, value: '1' }])).responses[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect((await alter([{ name: 'retention.ms', configOperation: 9, value: '1' }])).responses[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(
      (
        await alter([
          { name: 'retention.ms', configOperation: 0, value: '1' },
          { name: 'retention.ms', configOperation: 0, value: '2' },
        ])
      ).responses[0]!.errorCode,
    ).toBe(ErrorCode.INVALID_REQUEST);
    expect((await alter([{ name: 'retention.ms', configOperation: 0, value: '777' }], true)).responses[0]!.errorCode).toBe(0);
    expect((await describeTopic(name, ['retention.ms'])).configs[0]!.value).toBe('120000');
  });
});

describe('DescribeLogDirs', () => {
  it.each([0, 1, 2, 3, 4])('v%i lists partitions per log dir with sizes', async (v) => {
    const name = `dld-v${v}`;
    await create(name, 2);
    const r = await c.request(ApiKey.DescribeLogDirs, v, { topics: [{ topic: name, partitions: [0, 1, 7] }] });
    expect(r.results).toHaveLength(1);
    const d = r.results[0]!;
    expect(d.errorCode).toBe(0);
    expect(d.logDir).toBe(broker.dataDir);
    expect(d.topics).toEqual([
      {
        name,
        partitions: [
          { partitionIndex: 0, partitionSize: 0n, offsetLag: 0n, isFutureKey: false },
          { partitionIndex: 1, partitionSize: 0n, offsetLag: 0n, isFutureKey: false },
        ],
      },
    ]);
    if (v >= 4) {
      expect(d.totalBytes > 0n).toBe(true);
      expect(d.usableBytes > 0n && d.usableBytes <= d.totalBytes).toBe(true);
    }
    const all = await c.request(ApiKey.DescribeLogDirs, v, { topics: null });
    expect(all.results[0]!.topics.map((t) => t.name)).toContain(name);
  });
});

describe('ApiVersions', () => {
  it('advertises the admin APIs with their full ranges', async () => {
    const r = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    const by = new Map(r.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(by.get(ApiKey.CreateTopics)).toEqual([0, 7]);
    expect(by.get(ApiKey.DeleteTopics)).toEqual([0, 6]);
    expect(by.get(ApiKey.CreatePartitions)).toEqual([0, 3]);
    expect(by.get(ApiKey.DescribeConfigs)).toEqual([0, 4]);
    expect(by.get(ApiKey.AlterConfigs)).toEqual([0, 2]);
    expect(by.get(ApiKey.IncrementalAlterConfigs)).toEqual([0, 1]);
    expect(by.get(ApiKey.DescribeLogDirs)).toEqual([0, 4]);
  });
});
