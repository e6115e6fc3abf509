// Dynamic broker configs (KIP-226) of the log cleaner and the log defaults, over real sockets: `rivulet
// configs` alters and describes them (per broker, the cluster-wide default, --all); a bad value or a static
// key is refused and nothing is stored; validateOnly stores nothing; a log.cleaner.threads change changes
// the running cleaner threads; a log.cleanup.policy default makes an override-less topic compacted and
// cleaned (its DescribeConfigs shows the dynamic synonym); the values survive a restart; confluent-kafka's
// AdminClient alters and describes a BROKER resource.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as configs } from '../../host-node/cli/configs.js';
import { DYNAMIC_LOG_KEYS } from '../../host-node/config/dynamic-defs.js';
import { DYNAMIC_CONFIG_FILE } from '../../host-node/server/dynamic-config-file.js';
import type { WorkerCleanerRunner } from '../../host-node/storage/cleaner-threads.js';
import { TOPIC_CONFIG_DEFS } from '../../host-node/topics/topic-config.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { tool } from '../helpers/cli-tool.js';
import { startDataBroker, type DataBroker } from '../helpers/data-broker.js';

const BROKER = 4;
const INVALID_CONFIG = 40;

let dataDir: string;
let b: DataBroker;
let c: KafkaTestClient;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rivulet-dyn-'));
  b = await startDataBroker({ dataDir, sets: { 'log.cleaner.threads': '1', 'log.cleaner.backoff.ms': '60000', 'log.cleaner.min.cleanable.ratio': '0.01' } });
  c = await KafkaTestClient.connect(b.port);
}, 60_000);
afterAll(async () => {
  c?.close();
  await b?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const cli = (...argv: string[]) => tool(configs, ['--bootstrap-server', b.bootstrap, ...argv]);
const runner = () => b.topics.cleanerRunner as WorkerCleanerRunner;

async function describeBroker(name: string) {
  const r = await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: BROKER, resourceName: name, configurationKeys: null }], includeSynonyms: true, includeDocumentation: false });
  expect(r.results[0]!.errorCode).toBe(0);
  return new Map(r.results[0]!.configs.map((x) => [x.name, x]));
}

async function alterBroker(name: string, configs: { name: string; configOperation: number; value: string | null }[], validateOnly = false) {
  const r = await c.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName: name, configs }], validateOnly });
  return r.responses[0]!;
}

async function produceKeyed(topic: string, rounds: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'dyn', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const p = kafka.producer();
  await p.connect();
  try {
    for (let r = 0; r < rounds; r++) await p.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${r}` })) });
  } finally {
    await p.disconnect();
  }
}

async function until(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('dynamic broker configs', () => {
  it('the dynamic log keys are the first broker synonym of every topic config (Kafka DynamicLogConfig)', () => {
    const firsts = Object.values(TOPIC_CONFIG_DEFS)
      .map((d) => d.synonyms[0])
      .filter((k) => k !== undefined);
    expect([...DYNAMIC_LOG_KEYS].sort()).toEqual([...new Set(firsts)].sort());
  });

  it('rivulet configs alters and describes the default and one broker', async () => {
    const def = await cli('--alter', '--entity-type', 'brokers', '--entity-default', '--add-config', 'log.cleaner.io.max.bytes.per.second=5000000,log.cleaner.backoff.ms=30000');
    expect(def).toMatchObject({ code: 0, out: 'Completed updating default config for brokers in the cluster.\n' });
    const one = await cli('--alter', '--entity-type', 'brokers', '--entity-name', String(b.broker.nodeId), '--add-config', 'log.cleaner.backoff.ms=20000');
    expect(one).toMatchObject({ code: 0, out: `Completed updating config for broker ${b.broker.nodeId}.\n` });

    const d = await cli('--describe', '--entity-type', 'brokers', '--entity-default');
    expect(d.out).toBe(
      'Default configs for brokers in the cluster are:\n' +
        '  log.cleaner.backoff.ms=30000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.cleaner.backoff.ms=30000, STATIC_BROKER_CONFIG:log.cleaner.backoff.ms=60000, DEFAULT_CONFIG:log.cleaner.backoff.ms=15000}\n' +
        '  log.cleaner.io.max.bytes.per.second=5000000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.cleaner.io.max.bytes.per.second=5000000, DEFAULT_CONFIG:log.cleaner.io.max.bytes.per.second=1.7976931348623157E308}\n',
    );
    const n = await cli('--describe', '--entity-type', 'brokers', '--entity-name', String(b.broker.nodeId));
    expect(n.out).toBe(
      `Dynamic configs for broker ${b.broker.nodeId} are:\n` +
      // The effective double as Java prints it; the dynamic source as it was given (Kafka does the same).
        '  log.cleaner.backoff.ms=20000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.cleaner.backoff.ms=20000, DYNAMIC_DEFAULT_BROKER_CONFIG:log.cleaner.backoff.ms=30000, STATIC_BROKER_CONFIG:log.cleaner.backoff.ms=60000, DEFAULT_CONFIG:log.cleaner.backoff.ms=15000}\n' +
        '  log.cleaner.io.max.bytes.per.second=5000000.0 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.cleaner.io.max.bytes.per.second=5000000, DEFAULT_CONFIG:log.cleaner.io.max.bytes.per.second=1.7976931348623157E308}\n',
    );
    const all = await cli('--describe', '--entity-type', 'brokers', '--entity-name', String(b.broker.nodeId), '--all');
    expect(all.out).toContain('  log.cleaner.threads=1 sensitive=false synonyms={STATIC_BROKER_CONFIG:log.cleaner.threads=1, DEFAULT_CONFIG:log.cleaner.threads=1}\n');
    expect(all.out).toContain('  log.dirs=');

    // Sources and synonyms in Kafka's order; dynamic keys writable, the others read-only.
    const by = await describeBroker(String(b.broker.nodeId));
    expect(by.get('log.cleaner.backoff.ms')).toMatchObject({ value: '20000', readOnly: false, configSource: 2 });
    expect(by.get('log.cleaner.backoff.ms')!.synonyms.map((s) => [s.source, s.value])).toEqual([
      [2, '20000'],
      [3, '30000'],
      [4, '60000'],
      [5, '15000'],
    ]);
    expect(by.get('log.cleanup.policy')).toMatchObject({ readOnly: false, configSource: 5 });
    expect(by.get('log.dirs')!.readOnly).toBe(true);
    expect(by.get('log.retention.hours')!.readOnly).toBe(true); // a secondary synonym stays static, as in Kafka
    // In force in the cleaner's config.
    expect(b.topics.logManager.config['log.cleaner.backoff.ms']).toBe(20000);
    expect(b.topics.logManager.config['log.cleaner.io.max.bytes.per.second']).toBe(5000000);

    // --delete-config goes back to the next source.
    expect((await cli('--alter', '--entity-type', 'brokers', '--entity-name', String(b.broker.nodeId), '--delete-config', 'log.cleaner.backoff.ms')).code).toBe(0);
    expect((await describeBroker(String(b.broker.nodeId))).get('log.cleaner.backoff.ms')).toMatchObject({ value: '30000', configSource: 3 });
    expect(b.topics.logManager.config['log.cleaner.backoff.ms']).toBe(30000);
  });

  it('refuses a bad value, a static key and an out-of-range thread count, storing nothing; validateOnly stores nothing', async () => {
    const before = readFileSync(join(dataDir, DYNAMIC_CONFIG_FILE), 'utf8');
    const bad = await alterBroker('', [{ name: 'log.cleaner.io.buffer.load.factor', configOperation: 0, value: '1.5' }]);
    expect(bad.errorCode).toBe(INVALID_CONFIG);
    expect(bad.errorMessage).toBe('Invalid value 1.5 for configuration log.cleaner.io.buffer.load.factor: Value must be no less than 0 and no more than 1');
    const notNumber = await alterBroker('', [{ name: 'log.segment.bytes', configOperation: 0, value: 'big' }]);
    expect(notNumber).toMatchObject({ errorCode: INVALID_CONFIG, errorMessage: 'Invalid value big for configuration log.segment.bytes: Not a number of type INT' });
    const staticKey = await alterBroker(String(b.broker.nodeId), [{ name: 'log.dirs', configOperation: 0, value: '/tmp/x' }]);
    expect(staticKey.errorCode).toBe(INVALID_CONFIG);
    expect(staticKey.errorMessage).toMatch(/^Cannot update these configs dynamically: log\.dirs/);
    const tooMany = await alterBroker('', [{ name: 'log.cleaner.threads', configOperation: 0, value: '3' }]);
    expect(tooMany).toMatchObject({ errorCode: INVALID_CONFIG, errorMessage: 'Log cleaner threads cannot be increased to more than double the current value 1' });
    const dry = await alterBroker('', [{ name: 'log.cleanup.policy', configOperation: 0, value: 'compact' }], true);
    expect(dry.errorCode).toBe(0);
    expect(readFileSync(join(dataDir, DYNAMIC_CONFIG_FILE), 'utf8')).toBe(before);
    expect(b.topics.logManager.defaults['cleanup.policy']).toEqual(['delete']);
    expect((await describeBroker('')).has('log.cleanup.policy')).toBe(false);
  });

  it('log.cleaner.threads changes the running cleaner threads', async () => {
    for (const t of ['ct-a', 'ct-b']) b.createTopic(t, 1, { 'cleanup.policy': 'compact', 'segment.bytes': '1024' });
    for (const t of ['ct-a', 'ct-b']) await produceKeyed(t, 10);
    expect(runner().threads).toBe(1);
    const up = await cli('--alter', '--entity-type', 'brokers', '--entity-default', '--add-config', 'log.cleaner.threads=2');
    expect(up.code).toBe(0);
    expect(runner().threads).toBe(2);
    // The reconfiguration runs a pass at once: both logs are cleaned together, one per thread.
    const cleaner = b.topics.logManager.cleaner!;
    await until(() => cleaner.lastOutcome('ct-a', 0)?.status === 'swapped' && cleaner.lastOutcome('ct-b', 0)?.status === 'swapped');
    expect(runner().liveThreads).toBe(2);
    const down = await cli('--alter', '--entity-type', 'brokers', '--entity-name', String(b.broker.nodeId), '--add-config', 'log.cleaner.threads=1');
    expect(down.code).toBe(0);
    expect(runner().threads).toBe(1);
    expect(runner().liveThreads).toBeLessThanOrEqual(1);
  }, 60_000);

  it('a log.cleanup.policy default makes a topic without the override compacted, and it is cleaned', async () => {
    b.createTopic('plain', 1, { 'segment.bytes': '1024' });
    b.createTopic('kept', 1, { 'cleanup.policy': 'delete', 'segment.bytes': '1024' });
    await produceKeyed('plain', 10);
    const log = b.topics.partitionLog('plain', 0)!;
    expect(log.config['cleanup.policy']).toEqual(['delete']);
    const r = await alterBroker('', [{ name: 'log.cleanup.policy', configOperation: 0, value: 'compact' }]);
    expect(r.errorCode).toBe(0);
    expect(b.topics.partitionLog('plain', 0)!.config['cleanup.policy']).toEqual(['compact']);
    expect(b.topics.partitionLog('kept', 0)!.config['cleanup.policy']).toEqual(['delete']); // its override wins
    // The reconfiguration runs a pass of the cleaner at once.
    const cleaner = b.topics.logManager.cleaner!;
    await until(() => cleaner.lastOutcome('plain', 0) !== undefined);
    const o = cleaner.lastOutcome('plain', 0);
    expect(o!.status).toBe('swapped');
    expect(o!.stats!.recordsKept).toBeLessThan(o!.stats!.recordsRead);

    const d = await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: 'plain', configurationKeys: ['cleanup.policy'] }], includeSynonyms: true, includeDocumentation: false });
    const cp = d.results[0]!.configs[0]!;
    expect(cp).toMatchObject({ value: 'compact', configSource: 3 });
    expect(cp.synonyms.map((s) => [s.name, s.source, s.value])).toEqual([
      ['log.cleanup.policy', 3, 'compact'],
      ['log.cleanup.policy', 5, 'delete'],
    ]);
    // APPEND on a list key starts from the value in force.
    expect((await alterBroker('', [{ name: 'log.cleanup.policy', configOperation: 2, value: 'delete' }])).errorCode).toBe(0);
    expect((await describeBroker('')).get('log.cleanup.policy')!.value).toBe('compact,delete');
  }, 60_000);

  it('a new log.cleaner.io.max.bytes.per.second reaches a running cleaning', async () => {
    b.createTopic('slow', 1, { 'cleanup.policy': 'compact', 'segment.bytes': '4096' });
    await produceKeyed('slow', 60); // ~60 KB to read and write: half a minute at 2000 bytes/s
    const cleaner = b.topics.logManager.cleaner!;
    expect((await alterBroker('', [{ name: 'log.cleaner.io.max.bytes.per.second', configOperation: 0, value: '2000' }])).errorCode).toBe(0);
    await until(() => cleaner.isCleaning('slow', 0));
    await new Promise((r) => setTimeout(r, 300));
    expect(cleaner.isCleaning('slow', 0)).toBe(true);
    const raisedAt = Date.now();
    expect((await alterBroker('', [{ name: 'log.cleaner.io.max.bytes.per.second', configOperation: 1, value: null }])).errorCode).toBe(0);
    await until(() => cleaner.lastOutcome('slow', 0) !== undefined, 10_000);
    expect(cleaner.lastOutcome('slow', 0)!.status).toBe('swapped');
    expect(Date.now() - raisedAt).toBeLessThan(5_000);
  }, 60_000);

  it('confluent-kafka AdminClient alters and describes a BROKER resource', async () => {
    const py = `
import json, sys
from confluent_kafka.admin import AdminClient, ConfigResource
a = AdminClient({"bootstrap.servers": sys.argv[1]})
node = sys.argv[2]
r = {}
fs = a.alter_configs([ConfigResource("broker", node, set_config={"log.cleaner.backoff.ms": "25000", "log.retention.ms": "7200000"})])
list(fs.values())[0].result()
cfg = list(a.describe_configs([ConfigResource("broker", node)]).values())[0].result()
r["backoff"] = [cfg["log.cleaner.backoff.ms"].value, cfg["log.cleaner.backoff.ms"].source, cfg["log.cleaner.backoff.ms"].is_read_only]
r["retention"] = [cfg["log.retention.ms"].value, cfg["log.retention.ms"].source]
r["dirs"] = cfg["log.dirs"].is_read_only
try:
    list(a.alter_configs([ConfigResource("broker", node, set_config={"log.segment.bytes": "x"})]).values())[0].result()
    r["bad"] = "ok"
except Exception as e:
    r["bad"] = e.args[0].name()
print(json.dumps(r))
`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile('/usr/bin/python3', ['-c', py, b.bootstrap, String(b.broker.nodeId)], { timeout: 30_000 }, (e, so, se) => (e ? reject(new Error(`${e.message}\n${se}`)) : resolve(so))),
    );
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ backoff: ['25000', 2, false], retention: ['7200000', 2], dirs: true, bad: 'INVALID_CONFIG' });
    expect(b.topics.partitionLog('plain', 0)!.config['retention.ms']).toBe(7200000);
  }, 60_000);

  it('the values survive a restart and are in force before the logs open', async () => {
    await b.close();
    b = await startDataBroker({ dataDir, sets: { 'log.cleaner.threads': '1', 'log.cleaner.backoff.ms': '60000' } });
    c.close();
    c = await KafkaTestClient.connect(b.port);
    expect(existsSync(join(dataDir, DYNAMIC_CONFIG_FILE))).toBe(true);
    const by = await describeBroker(String(b.broker.nodeId));
    // AlterConfigs (legacy) replaced this broker's set with the two keys it gave.
    expect(by.get('log.cleaner.backoff.ms')).toMatchObject({ value: '25000', configSource: 2 });
    expect(by.get('log.cleaner.threads')).toMatchObject({ value: '2', configSource: 3 });
    expect(runner().threads).toBe(2);
    expect(b.topics.partitionLog('plain', 0)!.config).toMatchObject({ 'cleanup.policy': ['compact', 'delete'], 'retention.ms': 7200000 });
    expect(b.topics.partitionLog('kept', 0)!.config['cleanup.policy']).toEqual(['delete']);
  }, 60_000);
});
