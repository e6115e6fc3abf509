// Topics, topic ids and config overrides survive a broker restart; interrupted operations are finished at
// start-up; the registry's data-path surface (partitionLog, lookupPartition, topicConfig).
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../host-node/broker.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { ZERO_UUID } from '../../protocol/wire/uuid.js';
import { silentLogger } from '../../host-node/util/log.js';
import { KafkaTestClient } from '../helpers/broker.js';

const dirs: string[] = [];
const running: RunningBroker[] = [];
afterEach(async () => {
  for (const b of running.splice(0)) await b.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'rivulet-admin-'));
  dirs.push(d);
  return d;
}

async function start(dataDir: string, sets: Record<string, unknown> = {}): Promise<{ b: RunningBroker; c: KafkaTestClient }> {
  const b = await startBroker({ host: '127.0.0.1', port: 0, dataDir, log: silentLogger, sets });
  running.push(b);
  const c = await KafkaTestClient.connect(b.port);
  return { b, c };
}

async function stop(x: { b: RunningBroker; c: KafkaTestClient }): Promise<void> {
  x.c.close();
  await x.b.close();
  running.splice(running.indexOf(x.b), 1);
}

async function allTopics(c: KafkaTestClient) {
  const md = await c.request(ApiKey.Metadata, 12, { topics: null });
  return new Map(md.topics.map((t) => [t.name!, { id: t.topicId, partitions: t.partitions.length }]));
}

describe('restart', () => {
  it('keeps topics, ids, partition counts and config overrides; deleted topics stay deleted', async () => {
    const dir = newDir();
    const first = await start(dir);
    const ct = await first.c.request(ApiKey.CreateTopics, 7, {
      topics: [
        { name: 'keep-a', numPartitions: 3, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '3600000' }] },
        { name: 'keep-b', numPartitions: 1, replicationFactor: -1 },
        { name: 'gone', numPartitions: 2, replicationFactor: -1 },
      ],
      timeoutMs: 1000,
    });
    expect(ct.topics.map((t) => t.errorCode)).toEqual([0, 0, 0]);
    await first.c.request(ApiKey.CreatePartitions, 3, { topics: [{ name: 'keep-b', count: 4, assignments: null }], timeoutMs: 1000, validateOnly: false });
    await first.c.request(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: 2, resourceName: 'keep-b', configs: [{ name: 'max.message.bytes', configOperation: 0, value: '5000' }] }],
      validateOnly: false,
    });
    await first.c.request(ApiKey.DeleteTopics, 6, { topics: [{ name: 'gone', topicId: ZERO_UUID }], timeoutMs: 1000 });
    const before = await allTopics(first.c);
    await stop(first);
    expect(existsSync(join(dir, '.kafka_cleanshutdown'))).toBe(true);

    const second = await start(dir);
    const after = await allTopics(second.c);
    expect([...after.keys()].sort()).toEqual(['keep-a', 'keep-b']);
    expect(after).toEqual(before);
    expect(after.get('keep-b')!.partitions).toBe(4);
    const dc = await second.c.request(ApiKey.DescribeConfigs, 4, {
      resources: [
        { resourceType: 2, resourceName: 'keep-a', configurationKeys: ['retention.ms'] },
        { resourceType: 2, resourceName: 'keep-b', configurationKeys: ['max.message.bytes'] },
      ],
    });
    expect(dc.results[0]!.configs[0]).toMatchObject({ value: '3600000', configSource: 1 });
    expect(dc.results[1]!.configs[0]).toMatchObject({ value: '5000', configSource: 1 });
    // The live logs were opened with the stored overrides.
    expect(second.b.context.topicRegistry.partitionLog('keep-a', 2)!.config['retention.ms']).toBe(3600000);
    expect(second.b.context.topicRegistry.partitionLog('keep-b', 3)!.config['max.message.bytes']).toBe(5000);
    expect(readdirSync(dir).filter((d) => d.startsWith('gone'))).toEqual([]);
  });

  it('finishes an interrupted deletion and creates partitions missing after a crash', async () => {
    const dir = newDir();
    const first = await start(dir);
    await first.c.request(ApiKey.CreateTopics, 7, {
      topics: [
        { name: 'half-deleted', numPartitions: 2, replicationFactor: 1 },
        { name: 'grown', numPartitions: 1, replicationFactor: 1 },
      ],
      timeoutMs: 1000,
    });
    await stop(first);
    // A crash after the "deleting" mark, and one after the record grew but before the directories existed.
    const store = join(dir, 'rivulet-topics');
    const hd = JSON.parse(readFileSync(join(store, 'half-deleted.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(store, 'half-deleted.json'), JSON.stringify({ ...hd, deleting: true }));
    const gr = JSON.parse(readFileSync(join(store, 'grown.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(store, 'grown.json'), JSON.stringify({ ...gr, partitions: 3 }));
    writeFileSync(join(store, 'tmp-0123456789abcdef'), 'garbage from an interrupted write');

    const second = await start(dir);
    const t = await allTopics(second.c);
    expect([...t.keys()]).toEqual(['grown']);
    expect(t.get('grown')).toEqual({ id: gr.topicId, partitions: 3 });
    expect(readFileSync(join(dir, 'grown-2', 'partition.metadata'), 'utf8')).toContain(String(gr.topicId));
    expect(existsSync(join(store, 'half-deleted.json'))).toBe(false);
    expect(existsSync(join(store, 'tmp-0123456789abcdef'))).toBe(false);
    expect(readdirSync(dir).filter((d) => /^half-deleted-\d+$/.test(d))).toEqual([]);
  });

  it('adopts partition directories that have no topic record, keeping their topic id', async () => {
    const dir = newDir();
    mkdirSync(join(dir, 'orphan-0'), { recursive: true });
    mkdirSync(join(dir, 'orphan-1'), { recursive: true });
    writeFileSync(join(dir, 'orphan-1', 'partition.metadata'), 'version: 0\ntopic_id: q8iQm6c6TRKfzRJqIw7BUA\n');
    const x = await start(dir);
    const t = await allTopics(x.c);
    expect(t.get('orphan')).toEqual({ id: 'q8iQm6c6TRKfzRJqIw7BUA', partitions: 2 });
    expect(readFileSync(join(dir, 'orphan-0', 'partition.metadata'), 'utf8')).toContain('q8iQm6c6TRKfzRJqIw7BUA');
    expect(existsSync(join(dir, 'rivulet-topics', 'orphan.json'))).toBe(true);
  });
});

describe('several log dirs', () => {
  it('spreads partitions, describes each dir, and finds the records after log.dirs is reordered', async () => {
    const root = newDir();
    const d1 = join(root, 'd1');
    const d2 = join(root, 'd2');
    const b1 = await startBroker({ host: '127.0.0.1', port: 0, log: silentLogger, sets: { 'log.dirs': `${d1},${d2}` } });
    running.push(b1);
    const c1 = await KafkaTestClient.connect(b1.port);
    const ct = await c1.request(ApiKey.CreateTopics, 7, {
      topics: [{ name: 'multi', numPartitions: 4, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '5000' }] }],
      timeoutMs: 1000,
    });
    expect(ct.topics[0]!.errorCode).toBe(0);
    const dld = await c1.request(ApiKey.DescribeLogDirs, 4, { topics: null });
    expect(dld.results.map((r) => [r.logDir, r.topics.flatMap((t) => t.partitions.map((p) => p.partitionIndex)).length])).toEqual([
      [d1, 2],
      [d2, 2],
    ]);
    expect(existsSync(join(d1, 'rivulet-topics', 'multi.json'))).toBe(true);
    c1.close();
    await b1.close();
    running.splice(running.indexOf(b1), 1);

    const b2 = await startBroker({ host: '127.0.0.1', port: 0, log: silentLogger, sets: { 'log.dirs': `${d2},${d1}` } });
    running.push(b2);
    const c2 = await KafkaTestClient.connect(b2.port);
    const t = await allTopics(c2);
    expect(t.get('multi')).toEqual({ id: ct.topics[0]!.topicId, partitions: 4 });
    expect(b2.context.topicRegistry.topic('multi')!.configs).toEqual({ 'retention.ms': '5000' });
    expect(existsSync(join(d2, 'rivulet-topics'))).toBe(false);
    c2.close();
  });
});

describe('registry surface for the data path', () => {
  it('partitionLog, lookupPartition, topicConfig, topicNameById', async () => {
    const dir = newDir();
    const x = await start(dir, { 'log.message.timestamp.type': 'LogAppendTime', 'message.max.bytes': 2000 });
    const reg = x.b.context.topicRegistry;
    reg.createTopic({ name: 'dp', numPartitions: 2, replicationFactor: -1, configs: [{ name: 'max.message.bytes', value: '3000' }] });
    expect(reg.partitionLog('dp', 1)!.partition).toBe(1);
    expect(reg.partitionLog('dp', 2)).toBeUndefined();
    expect(reg.partitionLog('nope', 0)).toBeUndefined();
    expect(reg.lookupPartition('dp', 0).errorCode).toBe(0);
    expect(reg.lookupPartition('dp', 5)).toEqual({ log: undefined, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    expect(reg.topicConfig('dp')).toMatchObject({ 'max.message.bytes': 3000, 'message.timestamp.type': 'LogAppendTime' });
    expect(reg.partitionLog('dp', 0)!.config['message.timestamp.type']).toBe('LogAppendTime');
    expect(reg.topicConfig('nope')).toBeUndefined();
    expect(reg.topicNameById(reg.topic('dp')!.topicId)).toBe('dp');
    expect(x.b.context.metadata).toBe(reg);

    const seen: string[] = [];
    const off = reg.onChange((ch) => seen.push(`${ch.type}:${ch.topic.name}:${ch.topic.partitions}`));
    reg.createPartitions('dp', 3, null);
    reg.setTopicConfigs('dp', { 'retention.ms': '1000' });
    reg.deleteTopic('dp');
    off();
    reg.createTopic({ name: 'dp2', numPartitions: 1, replicationFactor: 1 });
    expect(seen).toEqual(['partitions:dp:3', 'configs:dp:3', 'deleted:dp:3']);
  });

  it('auto.create.topics.enable=false and delete.topic.enable=false', async () => {
    const x = await start(newDir(), { 'auto.create.topics.enable': false, 'delete.topic.enable': false });
    const md = await x.c.request(ApiKey.Metadata, 12, { topics: [{ name: 'auto', topicId: ZERO_UUID }], allowAutoTopicCreation: true });
    expect(md.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    await x.c.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'kept', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 });
    const del = await x.c.request(ApiKey.DeleteTopics, 6, { topics: [{ name: 'kept', topicId: ZERO_UUID }], timeoutMs: 1000 });
    expect(del.responses[0]!.errorCode).toBe(ErrorCode.TOPIC_DELETION_DISABLED);
  });
});

describe('large topics', () => {
  it('createTopicAsync creates in slices: other requests are answered meanwhile; the name is taken until done', async () => {
    const x = await start(newDir());
    const reg = x.b.context.topicRegistry;
    const creating = x.c.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'wide', numPartitions: 300, replicationFactor: 1 }], timeoutMs: 60_000 });
    const other = await KafkaTestClient.connect(x.b.port);
    // Wait until the creation is under way, then ask for things while it runs.
    const t0 = Date.now();
    while (!reg.isBeingCreated('wide') && Date.now() - t0 < 5000) await new Promise((r) => setImmediate(r));
    expect(reg.isBeingCreated('wide')).toBe(true);
    let done = false;
    void creating.then(() => (done = true));
    const md = await other.request(ApiKey.Metadata, 12, { topics: [{ name: 'wide', topicId: ZERO_UUID }], allowAutoTopicCreation: true });
    expect(md.topics[0]!.errorCode).toBe(ErrorCode.LEADER_NOT_AVAILABLE); // answered while 'wide' is being created
    expect(done).toBe(false);
    const dup = await other.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'wide', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 });
    expect(dup.topics[0]!.errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    const coll = await other.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'wid.e', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 });
    expect(coll.topics[0]!.errorCode).toBe(0); // 'wid.e' does not collide with 'wide'
    const r = await creating;
    expect(r.topics[0]).toMatchObject({ errorCode: 0, numPartitions: 300 });
    expect(reg.topic('wide')!.partitions).toBe(300);
    expect(reg.partitionLog('wide', 299)).toBeDefined();
    other.close();
  });
});
