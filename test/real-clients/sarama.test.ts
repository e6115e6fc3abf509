// sarama (Go, Debian's sarama 1.22) against an in-process broker, cross-checked with kcat (librdkafka).
//
// sarama's default Config.Version (0.8.2.0) produces magic 0 message sets with Produce v0 and fetches with
// Fetch v0, so the broker up-converts on the way in and down-converts on the way out; Version 0.10.0.0 uses
// magic 1 (timestamps) with Produce v2 / Fetch v2, 0.10.1.0 Fetch v3, 2.0.0 v2 record batches (Produce v3,
// Fetch v4). kcat always fetches v4+ (record batches), so it reads exactly what the broker stored.
// The Go client (test/real-clients/go/sarama-client) is built offline once and cached (go/sarama.ts).
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { startDataBroker, tapHandler, type DataBroker } from '../helpers/data-broker.js';
import { sarama, saramaClient, type SaramaLine } from './go/sarama.js';

interface Seen {
  api: 'produce' | 'fetch' | 'list-offsets' | 'metadata';
  version: number;
  topics: string[];
  /** Produce: the magic byte of each partition's records. */
  magics: number[];
  clientId: string | null;
}

const SARAMA_CLIENT_ID = 'rivulet-sarama-test';
let b: DataBroker;
const seen: Seen[] = [];

beforeAll(async () => {
  await saramaClient(); // build (or find cached) first, outside the per-test timeouts
  b = await startDataBroker({
    configureHandlers(registry) {
      tapHandler(registry, ApiKey.Produce, (req, ctx) =>
        seen.push({
          api: 'produce',
          version: ctx.apiVersion,
          topics: req.topicData.map((t) => t.name),
          magics: req.topicData.flatMap((t) => t.partitionData.map((p) => (p.records && p.records.length > 16 ? p.records[16]! : -1))),
          clientId: ctx.clientId,
        }),
      );
      tapHandler(registry, ApiKey.Fetch, (req, ctx) =>
        seen.push({ api: 'fetch', version: ctx.apiVersion, topics: req.topics.map((t) => t.topic ?? ''), magics: [], clientId: ctx.clientId }),
      );
      tapHandler(registry, ApiKey.ListOffsets, (req, ctx) => seen.push({ api: 'list-offsets', version: ctx.apiVersion, topics: req.topics.map((t) => t.name), magics: [], clientId: ctx.clientId }),
      );
    },
  });
}, 300_000);

afterAll(async () => {
  await b?.dispose();
});

/** What sarama sent (its client id is set by sarama-client) for a topic. */
function seenFor(topic: string, api: Seen['api']): Seen[] {
  return seen.filter((s) => s.api === api && s.clientId === SARAMA_CLIENT_ID && s.topics.includes(topic));
}

interface KcatRecord {
  offset: number;
  tstype: string;
  ts: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

function exec(cmd: string, args: string[], input?: string, timeoutMs = 30_000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => {
      clearTimeout(t);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
    });
    c.stdin.end(input ?? '');
  });
}

async function kcatConsume(topic: string, count: number, partition = 0): Promise<KcatRecord[]> {
  const { stdout } = await exec('kcat', ['-C', '-b', b.bootstrap, '-t', topic, '-p', String(partition), '-o', 'beginning', '-c', String(count), '-e', '-J']);
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as KcatRecord);
}

async function kcatProduce(topic: string, lines: string[], extra: string[] = [], partition = 0): Promise<void> {
  await exec('kcat', ['-P', '-b', b.bootstrap, '-t', topic, '-p', String(partition), '-K', ':', ...extra], lines.join('\n') + '\n');
}

function expected(prefix: string, n: number, firstOffset = 0): { offset: number; key: string; value: string }[] {
  return Array.from({ length: n }, (_, i) => ({ offset: firstOffset + i, key: `${prefix}-key-${i}`, value: `${prefix}-${i}` }));
}

async function saramaProduce(topic: string, n: number, prefix: string, ...extra: string[]): Promise<SaramaLine[]> {
  const { records, done } = await sarama(['produce', '-brokers', b.bootstrap, '-topic', topic, '-n', String(n), '-prefix', prefix, ...extra]);
  expect(done.count).toBe(n);
  return records;
}

async function saramaConsume(topic: string, n: number, ...extra: string[]): Promise<{ records: SaramaLine[]; done: SaramaLine }> {
  return sarama(['consume', '-brokers', b.bootstrap, '-topic', topic, '-n', String(n), '-timeout-ms', '15000', ...extra]);
}

describe('sarama with its default (old) protocol version', () => {
  it('produces magic 0 message sets (Produce v0) that kcat (Fetch v4+) reads back exactly', async () => {
    const topic = 'sarama-default';
    b.createTopic(topic, 1);
    const acks = await saramaProduce(topic, 50, 'm0');
    expect(acks.map((a) => a.offset)).toEqual(expected('m0', 50).map((e) => e.offset));
    const produces = seenFor(topic, 'produce');
    expect(produces.length).toBeGreaterThan(0);
    expect(new Set(produces.map((p) => p.version))).toEqual(new Set([0]));
    expect(new Set(produces.flatMap((p) => p.magics))).toEqual(new Set([0]));

    const got = await kcatConsume(topic, 50);
    expect(got.map((r) => ({ offset: r.offset, key: r.key, value: r.payload }))).toEqual(expected('m0', 50));
    // Magic 0 has no timestamp: up-converted records carry NO_TIMESTAMP (-1), as in Kafka.
    expect(new Set(got.map((r) => r.ts))).toEqual(new Set([-1]));

    // …and sarama reads its own records back with Fetch v0 (v2 batches down-converted to magic 0).
    const back = await saramaConsume(topic, 50);
    expect(back.records.map((r) => ({ offset: r.offset, key: r.key, value: r.value }))).toEqual(expected('m0', 50));
    expect(back.done.highWaterMark).toBe(50);
    expect(new Set(seenFor(topic, 'fetch').map((f) => f.version))).toEqual(new Set([0]));
    expect(new Set(seenFor(topic, 'list-offsets').map((f) => f.version))).toEqual(new Set([0]));
  });

  it('reads v2 batches produced by kcat (with headers, gzip) down-converted to magic 0 (Fetch v0), from the start and mid-batch', async () => {
    const topic = 'kcat-to-sarama-default';
    b.createTopic(topic, 1);
    await kcatProduce(topic, Array.from({ length: 30 }, (_, i) => `k-${i}:v-${i}`), ['-H', 'h=1']);
    await kcatProduce(topic, Array.from({ length: 20 }, (_, i) => `z-${i}:zv-${i}`), ['-z', 'gzip']);
    const want = [
      ...Array.from({ length: 30 }, (_, i) => ({ offset: i, key: `k-${i}`, value: `v-${i}` })),
      ...Array.from({ length: 20 }, (_, i) => ({ offset: 30 + i, key: `z-${i}`, value: `zv-${i}` })),
    ];
    const viaKcat = await kcatConsume(topic, 50);
    expect(viaKcat.map((r) => ({ offset: r.offset, key: r.key, value: r.payload }))).toEqual(want);

    const all = await saramaConsume(topic, 50);
    expect(all.records.map((r) => ({ offset: r.offset, key: r.key, value: r.value }))).toEqual(want);
    // Magic 0 carries no headers and no timestamps.
    expect(all.records.every((r) => JSON.stringify(r.headers) === '{}' && r.timestamp === -1)).toBe(true);
    expect(new Set(seenFor(topic, 'fetch').map((f) => f.version))).toEqual(new Set([0]));

    // Starting inside a batch: the broker returns whole batches, sarama skips the earlier offsets.
    const mid = await saramaConsume(topic, 40, '-offset', '10');
    expect(mid.records.map((r) => ({ offset: r.offset, key: r.key, value: r.value }))).toEqual(want.slice(10));
  });

  it('produces gzip and snappy compressed magic 0 wrappers that kcat reads exactly', async () => {
    for (const codec of ['gzip', 'snappy']) {
      const topic = `sarama-default-${codec}`;
      b.createTopic(topic, 1);
      await saramaProduce(topic, 40, codec, '-compression', codec);
      expect(new Set(seenFor(topic, 'produce').flatMap((p) => p.magics))).toEqual(new Set([0]));
      const got = await kcatConsume(topic, 40);
      expect(got.map((r) => ({ offset: r.offset, key: r.key, value: r.payload }))).toEqual(expected(codec, 40));
      const back = await saramaConsume(topic, 40);
      expect(back.records.map((r) => r.value)).toEqual(expected(codec, 40).map((e) => e.value));
    }
  });
});

describe('sarama with magic 1 (Version 0.10.x)', () => {
  it('produces magic 1 messages with timestamps (Produce v2) that kcat reads with the same timestamps', async () => {
    const topic = 'sarama-magic1';
    b.createTopic(topic, 1);
    const ts = 1_700_000_000_000;
    await saramaProduce(topic, 30, 'm1', '-version', '0.10.0.0', '-timestamp-ms', String(ts));
    const produces = seenFor(topic, 'produce');
    expect(new Set(produces.map((p) => p.version))).toEqual(new Set([2]));
    expect(new Set(produces.flatMap((p) => p.magics))).toEqual(new Set([1]));

    const got = await kcatConsume(topic, 30);
    expect(got.map((r) => ({ offset: r.offset, key: r.key, value: r.payload }))).toEqual(expected('m1', 30));
    expect(got.map((r) => [r.tstype, r.ts])).toEqual(Array.from({ length: 30 }, (_, i) => ['create', ts + i]));

    // Fetch v2 (magic 1) and v3 both give the timestamps back.
    for (const version of ['0.10.0.0', '0.10.1.0']) {
      const back = await saramaConsume(topic, 30, '-version', version);
      expect(back.records.map((r) => ({ offset: r.offset, key: r.key, value: r.value, ts: r.timestamp }))).toEqual(
        expected('m1', 30).map((e, i) => ({ ...e, ts: ts + i })),
      );
    }
    expect(new Set(seenFor(topic, 'fetch').map((f) => f.version))).toEqual(new Set([2, 3]));
  });

  it('lz4 compressed magic 1 wrappers round-trip through kcat and sarama', async () => {
    const topic = 'sarama-magic1-lz4';
    b.createTopic(topic, 1);
    await saramaProduce(topic, 25, 'lz', '-version', '0.10.0.0', '-compression', 'lz4', '-timestamp-ms', '1600000000000');
    const got = await kcatConsume(topic, 25);
    expect(got.map((r) => ({ offset: r.offset, key: r.key, value: r.payload }))).toEqual(expected('lz', 25));
    const back = await saramaConsume(topic, 25, '-version', '0.10.1.0');
    expect(back.records.map((r) => r.value)).toEqual(expected('lz', 25).map((e) => e.value));
  });

  it('reads kcat v2 batches down-converted to magic 1 with their timestamps (Fetch v2)', async () => {
    const topic = 'kcat-to-sarama-magic1';
    b.createTopic(topic, 1);
    await kcatProduce(topic, Array.from({ length: 15 }, (_, i) => `k-${i}:v-${i}`));
    const viaKcat = await kcatConsume(topic, 15);
    const back = await saramaConsume(topic, 15, '-version', '0.10.0.0');
    expect(back.records.map((r) => ({ offset: r.offset, key: r.key, value: r.value, ts: r.timestamp }))).toEqual(
      viaKcat.map((r) => ({ offset: r.offset, key: r.key, value: r.payload, ts: r.ts })),
    );
  });
});

describe('sarama with Version 2.0.0 (v2 record batches)', () => {
  it('produces v2 batches with headers (Produce v3) that kcat reads, and reads them back with Fetch v4', async () => {
    const topic = 'sarama-v2';
    b.createTopic(topic, 1);
    const ts = 1_650_000_000_000;
    await saramaProduce(topic, 40, 'v2', '-version', '2.0.0', '-header', 'source=sarama', '-timestamp-ms', String(ts));
    const produces = seenFor(topic, 'produce');
    expect(new Set(produces.map((p) => p.version))).toEqual(new Set([3]));
    expect(new Set(produces.flatMap((p) => p.magics))).toEqual(new Set([2]));

    const got = await kcatConsume(topic, 40);
    expect(got.map((r) => ({ offset: r.offset, key: r.key, value: r.payload, ts: r.ts, headers: r.headers }))).toEqual(
      expected('v2', 40).map((e, i) => ({ ...e, ts: ts + i, headers: ['source', 'sarama'] })),
    );

    const back = await saramaConsume(topic, 40, '-version', '2.0.0');
    expect(back.records.map((r) => ({ offset: r.offset, key: r.key, value: r.value, ts: r.timestamp, headers: r.headers }))).toEqual(
      expected('v2', 40).map((e, i) => ({ ...e, ts: ts + i, headers: { source: 'sarama' } })),
    );
    expect(new Set(seenFor(topic, 'fetch').map((f) => f.version))).toEqual(new Set([4]));
  });

  it('a topic written by all three sarama versions and kcat reads back identically through every fetch version', async () => {
    const topic = 'sarama-mixed';
    b.createTopic(topic, 1);
    await saramaProduce(topic, 10, 'a', '-timestamp-ms', '1600000000000');
    await saramaProduce(topic, 10, 'b', '-version', '0.10.0.0', '-timestamp-ms', '1600000000000');
    await saramaProduce(topic, 10, 'c', '-version', '2.0.0', '-timestamp-ms', '1600000000000');
    await kcatProduce(topic, Array.from({ length: 10 }, (_, i) => `d-key-${i}:d-${i}`));
    const want = ['a', 'b', 'c', 'd'].flatMap((p, j) => expected(p, 10, j * 10));
    const viaKcat = await kcatConsume(topic, 40);
    expect(viaKcat.map((r) => ({ offset: r.offset, key: r.key, value: r.payload }))).toEqual(want);
    for (const version of ['default', '0.10.0.0', '0.10.1.0', '2.0.0']) {
      const back = await saramaConsume(topic, 40, '-version', version);
      expect(back.records.map((r) => ({ offset: r.offset, key: r.key, value: r.value })), `sarama ${version}`).toEqual(want);
    }
  });
});
