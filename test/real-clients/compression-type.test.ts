// compression.type other than producer, against real clients: kcat (-z), confluent-kafka-python and kafkajs
// produce uncompressed and in every codec into topics with each target codec; the broker stores every batch
// in the topic's codec; kcat, confluent-kafka-python and kafkajs's decoder read back exactly the records
// written (keys, values, headers, in order); DescribeConfigs shows the value. Also Kafka's refusal of keyless
// records in a compacted topic, through confluent-kafka-python with compression.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { encodeRequestFrame } from '../../protocol/frame.js';
import { ErrorCode } from '../../protocol/errors.js';
import { locateBatches } from '../../host-node/server/data/records.js';
import { startDataBroker, run, PYTHON, type DataBroker } from '../broker-data/helpers.js';
import { registerKafkajsCodecs } from '../broker-data/kafkajs-codecs.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel, CompressionTypes } = require('kafkajs');
const kafkajsFetchV11 = require('kafkajs/src/protocol/requests/fetch/v11/response.js');

const PY = join(import.meta.dirname, 'py', 'compression_type.py');
const TARGETS = ['uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const SOURCES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const KAFKAJS_TYPES = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD } as const;

interface Rec {
  key: string | null;
  value: string;
  headers: [string, string][];
}

let b: DataBroker;
const bootstrap = () => `127.0.0.1:${b.port}`;

beforeAll(async () => {
  b = await startDataBroker();
  await registerKafkajsCodecs();
});
afterAll(async () => {
  await b?.close();
});

const jsonLines = (out: Buffer) =>
  out
    .toString()
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l));

async function py(args: string[]): Promise<any[]> {
  const r = await run(PYTHON, [PY, ...args], { timeoutMs: 90_000 });
  expect(r.code, r.stderr).toBe(0);
  return jsonLines(r.stdout);
}

/** Fetch v11 over a raw socket, decoded by kafkajs's own response decoder (its RecordBatch and codecs). */
async function kafkajsRead(topic: string): Promise<Rec[]> {
  const c = await b.client();
  const out: Rec[] = [];
  let offset = 0n;
  for (let round = 0; round < 1000; round++) {
    c.raw.write(
      encodeRequestFrame(ApiKey.Fetch, 11, 1, 'kafkajs-read', {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
      }),
    );
    const frame = await c.raw.next(10_000);
    const parsed = await kafkajsFetchV11.parse(await kafkajsFetchV11.decode(frame.subarray(4)));
    const msgs = parsed.responses[0].partitions[0].messages.filter((m: any) => BigInt(m.offset) >= offset);
    if (msgs.length === 0) break;
    for (const m of msgs)
      out.push({ key: m.key?.toString() ?? null, value: m.value.toString(), headers: Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)]) });
    offset = BigInt(msgs[msgs.length - 1].offset) + 1n;
  }
  return out;
}

async function kcatRead(topic: string): Promise<Rec[]> {
  const r = await run('kcat', ['-C', '-b', bootstrap(), '-t', topic, '-p', '0', '-e', '-q', '-f', '%k\t%s\t%h\n'], { timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .toString()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [key, value, h] = l.split('\t');
      return { key: key!, value: value!, headers: h ? h.split(',').map((kv) => kv.split('=') as [string, string]) : [] };
    });
}

describe('compression.type on Produce', () => {
  it.each(TARGETS)('a topic with compression.type=%s stores every client\'s batches in it, and every client reads them back', async (target) => {
    const topic = `ct-${target}`;
    await b.topics.create(topic, 1, { 'compression.type': target, ...(target === 'gzip' ? { 'compression.gzip.level': 1 } : {}) });
    const expected: Rec[] = [];

    for (const z of SOURCES) {
      const lines = Array.from({ length: 40 }, (_, i) => `kc-${z}-k${i}:kc-${z}-v${i}-${'x'.repeat(i * 3)}`);
      const p = await run('kcat', ['-P', '-b', bootstrap(), '-t', topic, '-p', '0', '-K:', '-z', z, '-H', `h=kcat-${z}`, '-X', 'linger.ms=20'], { input: lines.join('\n') + '\n' });
      expect(p.code, p.stderr).toBe(0);
      for (const l of lines) {
        const [key, value] = l.split(':');
        expected.push({ key: key!, value: value!, headers: [['h', `kcat-${z}`]] });
      }
    }
    for (const z of SOURCES) {
      const prefix = `ck-${z}-`;
      expect((await py(['produce', String(b.port), topic, z, '40', prefix]))[0]).toEqual({ sent: 40, errors: [] });
      for (let i = 0; i < 40; i++) expected.push({ key: `${prefix}k${i}`, value: `${prefix}v${i}-${'z'.repeat(i % 40)}`, headers: [['h', `${prefix}h${i}`]] });
    }
    const kafka = new Kafka({ clientId: 'compression-type', brokers: [bootstrap()], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (const z of SOURCES) {
        const messages = Array.from({ length: 40 }, (_, i) => ({ key: `kj-${z}-k${i}`, value: `kj-${z}-v${i}`, headers: { h: `kj-${z}-h${i}` }, partition: 0 }));
        const res = await producer.send({ topic, compression: KAFKAJS_TYPES[z], acks: -1, messages });
        expect(res[0].errorCode).toBe(0);
        for (const m of messages) expected.push({ key: m.key, value: m.value, headers: [['h', m.headers.h]] });
      }
    } finally {
      await producer.disconnect();
    }

    // Every stored batch is in the topic's codec.
    const log = b.topics.log(topic);
    expect(log.logEndOffset).toBe(expected.length);
    const stored = log.readBytes(0, 16 << 20)!;
    const codecs = new Set(locateBatches(stored).batches.map((x) => x.attributes & 7));
    expect([...codecs]).toEqual([TARGETS.indexOf(target)]);

    expect(await kcatRead(topic)).toEqual(expected);
    expect(await kafkajsRead(topic)).toEqual(expected);
    const fromPy = await py(['consume', String(b.port), topic, String(expected.length)]);
    expect(fromPy.map((m) => m.offset)).toEqual(expected.map((_, i) => i));
    expect(fromPy.map((m) => ({ key: m.key, value: m.value, headers: m.headers }))).toEqual(expected);

    const described = (await py(['describe', String(b.port), topic]))[0];
    expect(described['compression.type']).toBe(target);
    expect(described['compression.gzip.level']).toBe(target === 'gzip' ? '1' : '-1');
    expect(described['compression.zstd.level']).toBe('3');
  });
});

describe('keyless records in a compacted topic', () => {
  it('are refused with INVALID_RECORD in compressed batches (and recompressed ones); keyed records are appended', async () => {
    await b.topics.create('compact-keyless', 1, { 'cleanup.policy': 'compact' });
    for (const z of ['gzip', 'lz4', 'zstd']) {
      const out = await py(['produce-keys', String(b.port), 'compact-keyless', z, `a-${z},-,b-${z}`]);
      expect(out.map((r) => [r.key, r.code])).toEqual([
        [`a-${z}`, null],
        [null, ErrorCode.INVALID_RECORD],
        [`b-${z}`, null],
      ]);
    }
    // Uncompressed from the producer, stored as snappy: the broker walks the records before compressing them.
    await b.topics.create('compact-keyless-snappy', 1, { 'cleanup.policy': 'compact,delete', 'compression.type': 'snappy' });
    const out = await py(['produce-keys', String(b.port), 'compact-keyless-snappy', 'none', 'a,-,b']);
    expect(out.map((r) => r.code)).toEqual([null, ErrorCode.INVALID_RECORD, null]);
    const log = b.topics.log('compact-keyless');
    expect(log.logEndOffset).toBe(6); // the keyed records only
    expect((await kcatRead('compact-keyless')).map((r) => r.key)).toEqual(['a-gzip', 'b-gzip', 'a-lz4', 'b-lz4', 'a-zstd', 'b-zstd']);
    expect(b.topics.log('compact-keyless-snappy').logEndOffset).toBe(2);
  });
});
