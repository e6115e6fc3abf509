// RecordFormats.prepareProduce under a topic's Produce rules (host-node/server/data/produce-rules.ts): every
// source codec into every target codec keeps the batch's header fields and its records exactly, control
// batches and batches already in the target codec are kept byte for byte, keyless records of compacted
// topics in compressed batches are refused with Kafka's error, and a topic without rules gets its bytes back.
import { beforeAll, describe, expect, it } from 'vitest';
import { newCore } from '../../bindings/node.js';
import type { BatchInfo } from '../../bindings/batch-info.js';
import type { RecordInput } from '../../bindings/batch-encoder.js';
import { RecordFormats, PartitionError } from '../../host-node/server/data/records.js';
import { Codec, compress, decompress, initZstdCompressor } from '../../host-node/codecs/codecs.js';
import { produceRulesOf, targetCodecOf, type ProduceRules } from '../../host-node/server/data/produce-rules.js';
import { defaultTopicConfig, resolveTopicConfig } from '../../host-node/topics/topic-config.js';
import { BrokerConfig } from '../../host-node/config/index.js';
import { ErrorCode } from '../../protocol/errors.js';

const core = newCore();
const formats = new RecordFormats(core);
const CODECS = [Codec.NONE, Codec.GZIP, Codec.SNAPPY, Codec.LZ4, Codec.ZSTD];
const NAMES = ['uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'];

beforeAll(() => initZstdCompressor());

const rules = (codec: number, requireKey = false): ProduceRules => ({ topic: 't', targetCodec: codec, levels: {}, requireKey });

const records = Array.from({ length: 25 }, (_, i) => ({
  key: i % 5 === 4 ? null : `key-${i}`,
  value: i === 7 ? null : `value-${i}-${'v'.repeat(i * 10)}`,
  headers: i % 3 === 0 ? [{ key: 'h', value: `hv${i}` }] : [],
  timestamp: 1_700_000_000_000 + i * 3,
}));

/** An idempotent, transactional batch of `recs` in `codec`, header fields all set to values worth checking. */
function batchIn(codec: number, recs: RecordInput[] = records): Uint8Array {
  const plain = core.encodeBatch({ records: recs, producerId: 4242n, producerEpoch: 7, baseSequence: 31, transactional: true, partitionLeaderEpoch: 5 });
  if (codec === Codec.NONE) return plain;
  const info = core.validateBatch(plain);
  return core.encodeBatchRaw({
    records: compress(codec, plain.slice(61)),
    recordCount: info.recordCount,
    compression: codec,
    baseTimestamp: info.baseTimestamp,
    maxTimestamp: info.maxTimestamp,
    lastOffsetDelta: info.lastOffsetDelta,
    partitionLeaderEpoch: info.partitionLeaderEpoch,
    transactional: true,
    producerId: info.producerId,
    producerEpoch: info.producerEpoch,
    baseSequence: info.baseSequence,
  });
}

/** The batch's header fields a rebuild must keep, and its records as plain values. */
function contents(batch: Uint8Array): { header: Partial<BatchInfo>; records: unknown[] } {
  const info = core.validateBatch(batch, { strict: true }); // CRC checked
  const section = decompress(info.compression, batch.slice(61)).slice();
  const recs = core.decodeRecords(section, info.recordCount, info).map((r) => ({
    offsetDelta: r.offsetDelta,
    timestamp: r.timestamp,
    key: r.key && Buffer.from(r.key).toString(),
    value: r.value && Buffer.from(r.value).toString(),
    headers: r.headers.map((h) => [h.key, h.value && Buffer.from(h.value).toString()]),
  }));
  const { baseOffset, partitionLeaderEpoch, timestampType, isTransactional, isControl, lastOffsetDelta, recordCount, baseTimestamp, maxTimestamp, producerId, producerEpoch, baseSequence } = info;
  return { header: { baseOffset, partitionLeaderEpoch, timestampType, isTransactional, isControl, lastOffsetDelta, recordCount, baseTimestamp, maxTimestamp, producerId, producerEpoch, baseSequence }, records: recs };
}

describe('recompression under compression.type', () => {
  it.each(CODECS.flatMap((from) => CODECS.map((to) => [from, to] as const)))('codec %i → %i keeps every header field and record', (from, to) => {
    const input = batchIn(from);
    const expected = contents(input);
    const out = formats.prepareProduce(input, 9, rules(to));
    if (from === to) expect(out).toBe(input); // nothing to do: the same bytes
    expect(out[22]! & 7).toBe(to);
    expect(contents(out)).toEqual(expected);
    expect(out.length).toBe(core.validateBatch(out).size);
  });

  it('compresses at the topic\'s level', () => {
    const big = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `${i}`.repeat(300) + 'abcdefghij'.repeat(i % 7), timestamp: 1000 }));
    const at = (level: number) => formats.prepareProduce(batchIn(Codec.NONE, big), 9, { ...rules(Codec.GZIP), levels: { gzip: level } }).length;
    expect(at(1)).toBeGreaterThan(at(9));
  });

  it('keeps control batches and batches of magic 0/1 up-converted, then recompressed', () => {
    const control = core.encodeBatch({ records: [{ key: new Uint8Array([0, 0, 0, 0]), value: new Uint8Array([0, 0, 0, 0, 0, 0]) }], control: true, transactional: true, producerId: 9n, producerEpoch: 0 });
    expect(formats.prepareProduce(control, 9, rules(Codec.GZIP))).toBe(control);
    // A magic 1 message set (Produce v2) of the same records, up-converted and stored gzip.
    const v2 = core.encodeBatch({ records: records.map((r) => ({ ...r, headers: [] })) });
    const set = core.v2ToLegacy(v2, 1);
    const out = formats.prepareProduce(set, 2, rules(Codec.GZIP));
    expect(out[22]! & 7).toBe(Codec.GZIP);
    expect(contents(out).records).toEqual(contents(v2).records);
  });

  it('works on bytes lying in the core memory while the rebuild grows it', () => {
    const c2 = newCore();
    const f2 = new RecordFormats(c2);
    const value = 'x'.repeat(3000);
    const plain = c2.encodeBatch({ records: Array.from({ length: 1500 }, (_, i) => ({ key: `k${i}`, value, timestamp: 1000 })) });
    const region = c2.alloc(plain.length);
    region.write(plain);
    const before = c2.exports.memory.buffer.byteLength;
    const out = f2.prepareProduce(region.bytes(), 9, rules(Codec.LZ4));
    expect(c2.exports.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(out[22]! & 7).toBe(Codec.LZ4);
    const info = c2.validateBatch(out, { strict: true });
    expect(info.recordCount).toBe(1500);
    expect(Buffer.from(decompress(Codec.LZ4, out.slice(61))).equals(Buffer.from(plain.subarray(61)))).toBe(true);
  });
});

describe('keyless records in compacted topics', () => {
  const refused = (f: () => unknown) => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PartitionError);
    expect(err).toMatchObject({ code: ErrorCode.INVALID_RECORD, message: 'Compacted topic cannot accept message without key in topic partition t-3.' });
  };

  it('a compressed batch with a keyless record is refused; with keys only it passes as it arrived', () => {
    for (const codec of [Codec.GZIP, Codec.SNAPPY, Codec.LZ4, Codec.ZSTD]) {
      refused(() => formats.prepareProduce(batchIn(codec), 9, rules(-1, true), 3));
      const keyed = batchIn(codec, records.filter((r) => r.key !== null));
      expect(formats.prepareProduce(keyed, 9, rules(-1, true), 3)).toBe(keyed);
    }
  });

  it('an uncompressed batch recompressed for the topic is checked too (the append sees it compressed)', () => {
    refused(() => formats.prepareProduce(batchIn(Codec.NONE), 9, rules(Codec.ZSTD, true), 3));
    // Left as it is (uncompressed), it is the append's to check.
    const plain = batchIn(Codec.NONE);
    expect(formats.prepareProduce(plain, 9, rules(-1, true), 3)).toBe(plain);
  });
});

describe('produceRulesOf', () => {
  const broker = BrokerConfig.load();
  const defaults = defaultTopicConfig(broker);

  it('is null for compression.type=producer and no compaction: the Produce path does nothing more', () => {
    expect(produceRulesOf('t', defaults)).toBeNull();
    expect(produceRulesOf('t', undefined)).toBeNull();
    expect(produceRulesOf('t', resolveTopicConfig(defaults, { 'cleanup.policy': 'delete', 'compression.zstd.level': '9' }))).toBeNull();
  });

  it('maps every compression.type and the levels; compaction asks for keys; one rules object per config', () => {
    for (let i = 0; i < NAMES.length; i++) expect(targetCodecOf(NAMES[i]!)).toBe(CODECS[i]);
    const cfg = resolveTopicConfig(defaults, { 'compression.type': 'zstd', 'compression.zstd.level': '12', 'cleanup.policy': 'compact,delete' });
    const r = produceRulesOf('t', cfg)!;
    expect(r).toEqual({ topic: 't', targetCodec: Codec.ZSTD, levels: { gzip: -1, lz4: 9, zstd: 12 }, requireKey: true });
    expect(produceRulesOf('t', cfg)).toBe(r);
    expect(produceRulesOf('t', resolveTopicConfig(defaults, { 'cleanup.policy': 'compact' }))).toMatchObject({ targetCodec: -1, requireKey: true });
  });
});
