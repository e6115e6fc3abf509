// Real clients against the data path: kcat (librdkafka), confluent-kafka-python, kafka-python, kafkajs — round
// trips, murmur2 partitioning, headers/timestamps, and every compression codec in both directions.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { encodeRequestFrame } from '../../protocol/frame.js';
import { startDataBroker, run, PYTHON, type DataBroker } from './helpers.js';
import { registerKafkajsCodecs } from './kafkajs-codecs.js';
import { locateBatches } from '../../host-node/server/data/records.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel, CompressionTypes } = require('kafkajs');
const kafkajsFetchV11 = require('kafkajs/src/protocol/requests/fetch/v11/response.js');

const PY = join(import.meta.dirname, 'py', 'clients.py');
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;

/** Kafka's murmur2 (the Java client's Utils.murmur2), written here independently of the broker and clients. */
function murmur2(data: Uint8Array): number {
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  const length = data.length;
  let h = (seed ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) | ((data[i4 + 1]! & 0xff) << 8) | ((data[i4 + 2]! & 0xff) << 16) | ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length & 3;
  const base = length & ~3;
  if (rest === 3) h ^= (data[base + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[base + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[base]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

const jsonLines = (b: Buffer) =>
  b
    .toString()
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l));

let b: DataBroker;
let dir: string;
const bootstrap = () => `127.0.0.1:${b.port}`;

beforeAll(async () => {
  b = await startDataBroker();
  dir = mkdtempSync(join(tmpdir(), 'rivulet-clients-'));
  await registerKafkajsCodecs();
});
afterAll(async () => {
  await b?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function kcatConsume(topic: string, partition: number | null, extra: string[] = []): Promise<string> {
  const args = ['-C', '-b', bootstrap(), '-t', topic, '-e', '-q', '-f', '%k:%s\n', ...extra];
  if (partition !== null) args.push('-p', String(partition));
  const r = await run('kcat', args, { timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.toString();
}

/** Fetch v11 over a raw socket, decoded by kafkajs's own response decoder (its RecordBatch + codecs). */
async function kafkajsRead(topic: string, partition = 0, fromOffset = 0n): Promise<{ key: string; value: string; offset: string; headers: Record<string, string> }[]> {
  const c = await b.client();
  const out: { key: string; value: string; offset: string; headers: Record<string, string> }[] = [];
  let offset = fromOffset;
  for (let round = 0; round < 1000; round++) {
    c.raw.write(
      encodeRequestFrame(ApiKey.Fetch, 11, 1, 'kafkajs-read', {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
      }),
    );
    const frame = await c.raw.next(10_000);
    const decoded = await kafkajsFetchV11.decode(frame.subarray(4));
    const parsed = await kafkajsFetchV11.parse(decoded);
    const p = parsed.responses[0].partitions[0];
    const msgs = p.messages.filter((m: any) => BigInt(m.offset) >= offset);
    if (msgs.length === 0) break;
    for (const m of msgs)
      out.push({
        key: m.key?.toString(),
        value: m.value?.toString(),
        offset: m.offset,
        headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])),
      });
    offset = BigInt(msgs[msgs.length - 1].offset) + 1n;
  }
  return out;
}

describe('kcat (librdkafka)', () => {
  it('produces and consumes 100,000 keyed records exactly', async () => {
    const topic = 'kcat-100k';
    await b.topics.create(topic, 1);
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) lines.push(`key-${i}:value-${i}-${'x'.repeat(i % 50)}`);
    const input = lines.join('\n') + '\n';
    const file = join(dir, 'in.txt');
    writeFileSync(file, input);
    const t0 = performance.now();
    const p = await run('kcat', ['-P', '-b', bootstrap(), '-t', topic, '-K:', '-l', file], { timeoutMs: 120_000 });
    const produceMs = performance.now() - t0;
    expect(p.code, p.stderr).toBe(0);
    const t1 = performance.now();
    const out = await kcatConsume(topic, 0);
    const consumeMs = performance.now() - t1;
    expect(out.length).toBe(input.length);
    expect(out === input).toBe(true);
    console.log(`kcat 100k records: produce ${Math.round(100_000 / (produceMs / 1000))} rec/s (${produceMs.toFixed(0)} ms incl. start), consume ${Math.round(100_000 / (consumeMs / 1000))} rec/s`);
  });

  it('every codec kcat writes reads back with kcat, kafka-python (not zstd: it fetches with v4) and kafkajs', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `key${i}:value${i}-${'abc'.repeat(20)}`);
    for (const z of CODECS) {
      const topic = `kcat-${z}`;
      await b.topics.create(topic, 1);
      const p = await run('kcat', ['-P', '-b', bootstrap(), '-t', topic, '-K:', '-z', z, '-p', '0', '-X', 'linger.ms=50'], { input: lines.join('\n') + '\n' });
      expect(p.code, p.stderr).toBe(0);
      // stored compressed, as it arrived
      const stored = b.topics.log(topic).readBytes(0, 1 << 20)!;
      const codecs = new Set(locateBatches(stored).batches.map((x) => x.attributes & 7));
      // librdkafka enables lz4 only when the broker advertises FindCoordinator (its "LZ4" feature, a 0.8.2
      // marker in rdkafka_feature.c); to a broker without it, those batches go uncompressed.
      const lz4Off = z === 'lz4' && b.broker.context.handlers.get(ApiKey.FindCoordinator) === undefined;
      expect(codecs.has(lz4Off ? 0 : CODECS.indexOf(z) + 1), `${z}: codecs ${[...codecs]}`).toBe(true);
      expect(await kcatConsume(topic, 0)).toBe(lines.join('\n') + '\n');
      const js = await kafkajsRead(topic);
      expect(js.map((m) => `${m.key}:${m.value}`)).toEqual(lines);
      if (z !== 'zstd') {
        const py = await run(PYTHON, [PY, 'kp-consume', String(b.port), topic, String(lines.length)], { timeoutMs: 60_000 });
        expect(py.code, py.stderr).toBe(0);
        expect(jsonLines(py.stdout).map((m) => `${m.key}:${m.value}`)).toEqual(lines);
      }
    }
  });
});

describe('confluent-kafka-python', () => {
  it('murmur2_random puts every key in (murmur2(key) & 0x7fffffff) % n, and the partitions hold exactly those', async () => {
    const topic = 'ck-murmur';
    const n = 6;
    await b.topics.create(topic, n);
    const count = 3000;
    const r = await run(PYTHON, [PY, 'ck-murmur', String(b.port), topic, String(count)], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const delivered = jsonLines(r.stdout);
    expect(delivered.length).toBe(count);
    const enc = new TextEncoder();
    const expected = new Map<number, string[]>();
    for (let i = 0; i < count; i++) {
      const key = `user-${i}`;
      const p = (murmur2(enc.encode(key)) & 0x7fffffff) % n;
      (expected.get(p) ?? expected.set(p, []).get(p)!).push(`${key}:v${i}`);
    }
    for (const d of delivered) expect(d.partition).toBe((murmur2(enc.encode(d.key)) & 0x7fffffff) % n);
    for (let p = 0; p < n; p++) {
      const out = await kcatConsume(topic, p);
      const got = out.split('\n').filter(Boolean).sort();
      expect(got).toEqual((expected.get(p) ?? []).slice().sort());
    }
  });

  it('every codec confluent-kafka-python writes reads back with kafkajs and kcat', async () => {
    for (const z of CODECS) {
      const topic = `ck-${z}`;
      await b.topics.create(topic, 1);
      const r = await run(PYTHON, [PY, 'ck-produce', String(b.port), topic, '500', z], { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(jsonLines(r.stdout)[0]).toEqual({ sent: 500, errors: [] });
      const js = await kafkajsRead(topic);
      expect(js.map((m) => `${m.key}:${m.value}`)).toEqual(Array.from({ length: 500 }, (_, i) => `key${i}:value${i}`));
    }
  });
});

describe('kafka-python', () => {
  it('round trip with headers and timestamps', async () => {
    const topic = 'kp-headers';
    await b.topics.create(topic, 1);
    const p = await run(PYTHON, [PY, 'kp-produce', String(b.port), topic, '50', 'none', '1'], { timeoutMs: 60_000 });
    expect(p.code, p.stderr).toBe(0);
    const c = await run(PYTHON, [PY, 'kp-consume', String(b.port), topic, '50'], { timeoutMs: 60_000 });
    expect(c.code, c.stderr).toBe(0);
    const msgs = jsonLines(c.stdout);
    expect(msgs.length).toBe(50);
    msgs.forEach((m, i) => {
      expect(m).toEqual({ offset: i, key: `key${i}`, value: `value${i}`, timestamp: 1_700_000_000_000 + i, timestamp_type: 0, headers: [['h1', `hv${i}`], ['h2', '']] });
    });
    // the same records through kafkajs's decoder
    const js = await kafkajsRead(topic);
    expect(js[7]).toMatchObject({ key: 'key7', value: 'value7', headers: { h1: 'hv7', h2: '' } });
  });

  it('every codec kafka-python writes reads back with kcat', async () => {
    for (const z of CODECS) {
      const topic = `kp-${z}`;
      await b.topics.create(topic, 1);
      const p = await run(PYTHON, [PY, 'kp-produce', String(b.port), topic, '300', z, '0'], { timeoutMs: 60_000 });
      expect(p.code, `${z}: ${p.stderr}`).toBe(0);
      const out = await kcatConsume(topic, 0);
      expect(out).toBe(Array.from({ length: 300 }, (_, i) => `key${i}:value${i}\n`).join(''));
    }
  });
});

describe('kafkajs', () => {
  it('producer (every codec) → kcat, kafka-python and kafkajs read it back', async () => {
    const kafka = new Kafka({ clientId: 'rivulet-test', brokers: [bootstrap()], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const types = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD } as const;
      for (const [name, type] of Object.entries(types)) {
        const topic = `kjs-${name}`;
        await b.topics.create(topic, 1);
        const messages = Array.from({ length: 400 }, (_, i) => ({ key: `key${i}`, value: `value${i}`, headers: { trace: `t${i}` }, partition: 0 }));
        for (let i = 0; i < 400; i += 100) {
          const res = await producer.send({ topic, compression: type, acks: -1, messages: messages.slice(i, i + 100) });
          expect(res[0].errorCode).toBe(0);
          expect(res[0].baseOffset).toBe(String(i));
        }
        const expected = Array.from({ length: 400 }, (_, i) => `key${i}:value${i}`);
        expect((await kcatConsume(topic, 0)).split('\n').filter(Boolean)).toEqual(expected);
        const js = await kafkajsRead(topic);
        expect(js.map((m) => `${m.key}:${m.value}`)).toEqual(expected);
        expect(js[5]!.headers).toEqual({ trace: 't5' });
        if (name !== 'zstd') {
          const py = await run(PYTHON, [PY, 'kp-consume', String(b.port), topic, '400'], { timeoutMs: 60_000 });
          expect(py.code, py.stderr).toBe(0);
          expect(jsonLines(py.stdout).map((m) => `${m.key}:${m.value}`)).toEqual(expected);
        }
      }
    } finally {
      await producer.disconnect();
    }
  });
});

