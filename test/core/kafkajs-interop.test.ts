// Interop with an independent implementation: record batches and legacy message sets encoded by
// kafkajs's own protocol encoders are decoded by the core field by field, and the core's output is
// decoded by kafkajs's decoders.
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../bindings/errors.js';
import { newCore } from '../../bindings/node.js';

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (o: object) => Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (o: object) => unknown;
const recordBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<KjsBatch>;
const Decoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => unknown;
const MessageSet = require('kafkajs/src/protocol/messageSet') as (o: object) => { buffer: Buffer };
const messageSetDecoder = require('kafkajs/src/protocol/messageSet/decoder') as (d: unknown, size: number) => Promise<KjsMessage[]>;
const { Types: Compression } = require('kafkajs/src/protocol/message/compression') as { Types: Record<string, number> };

interface KjsRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  isControlRecord: boolean;
}
interface KjsBatch {
  firstOffset: string;
  firstTimestamp: string;
  maxTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  timestampType: number;
  records: KjsRecord[];
}
interface KjsMessage {
  offset: string;
  magicByte: number;
  attributes: number;
  timestamp?: string;
  key: Buffer | null;
  value: Buffer | null;
}

const core = newCore();
const buf = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b));

const recordArb = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 600 }), { nil: null }),
  tsDelta: fc.integer({ min: -100000, max: 100000 }),
  headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !(k in {})), fc.uint8Array({ maxLength: 10 }), { maxKeys: 3 }),
});

describe('record batches: kafkajs → core', () => {
  it('decodes kafkajs batches field by field (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordArb, { minLength: 1, maxLength: 12 }),
        fc.record({
          firstOffset: fc.bigInt({ min: 0n, max: 1n << 50n }),
          firstTimestamp: fc.integer({ min: 0, max: 2_000_000_000_000 }),
          epoch: fc.integer({ min: 0, max: 1000 }),
          transactional: fc.boolean(),
          producerId: fc.bigInt({ min: -1n, max: 1n << 40n }),
          producerEpoch: fc.integer({ min: 0, max: 32767 }),
          firstSequence: fc.integer({ min: 0, max: 1 << 30 }),
        }),
        async (recs, h) => {
          const records = recs.map((r, i) => Record({ offsetDelta: i, timestampDelta: r.tsDelta, key: buf(r.key), value: buf(r.value), headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Buffer.from(v)])) }));
          const maxDelta = Math.max(...recs.map((r) => r.tsDelta));
          const { buffer } = await RecordBatch({
            firstOffset: h.firstOffset.toString(),
            firstTimestamp: h.firstTimestamp,
            maxTimestamp: h.firstTimestamp + maxDelta,
            partitionLeaderEpoch: h.epoch,
            lastOffsetDelta: recs.length - 1,
            transactional: h.transactional,
            producerId: h.producerId.toString(),
            producerEpoch: h.producerEpoch,
            firstSequence: h.firstSequence,
            records,
          });
          const info = core.validateBatch(buffer, { strict: true });
          expect(info.baseOffset).toBe(h.firstOffset);
          expect(info.size).toBe(buffer.length);
          expect(info.partitionLeaderEpoch).toBe(h.epoch);
          expect(info.isTransactional).toBe(h.transactional);
          expect(info.recordCount).toBe(recs.length);
          expect(info.lastOffsetDelta).toBe(recs.length - 1);
          expect(info.baseTimestamp).toBe(BigInt(h.firstTimestamp));
          expect(info.maxTimestamp).toBe(BigInt(h.firstTimestamp + maxDelta));
          expect(info.recordsMaxTimestamp).toBe(BigInt(h.firstTimestamp + maxDelta));
          expect(info.producerId).toBe(h.producerId);
          expect(info.producerEpoch).toBe(h.producerEpoch);
          expect(info.baseSequence).toBe(h.firstSequence);
          const [batch] = core.decodeBatches(buffer);
          batch!.records.forEach((r, i) => {
            const src = recs[i]!;
            expect(r.offset).toBe(h.firstOffset + BigInt(i));
            expect(r.timestampDelta).toBe(BigInt(src.tsDelta));
            expect(r.timestamp).toBe(BigInt(h.firstTimestamp + src.tsDelta));
            expect(r.key === null ? null : Buffer.from(r.key)).toEqual(buf(src.key));
            expect(r.value === null ? null : Buffer.from(r.value)).toEqual(buf(src.value));
            expect(r.headers.map((x) => x.key)).toEqual(Object.keys(src.headers));
            r.headers.forEach((x) => expect(Buffer.from(x.value!)).toEqual(Buffer.from(src.headers[x.key]!)));
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('kafkajs gzip batch: header/CRC validated, records decoded after host decompression', async () => {
    const records = [Record({ offsetDelta: 0, key: Buffer.from('a'), value: Buffer.from('one') }), Record({ offsetDelta: 1, timestampDelta: 3, key: null, value: Buffer.from('two') })];
    const { buffer } = await RecordBatch({ compression: Compression.GZIP, firstTimestamp: 10, maxTimestamp: 13, lastOffsetDelta: 1, records });
    const info = core.validateBatch(buffer, { strict: true });
    expect(info.compression).toBe(1);
    const [batch] = core.decodeBatches(buffer);
    expect(batch!.records).toHaveLength(0);
    // The records section (after the 61-byte header, whose recordCount is the last field) is the gzip stream.
    const inner = gunzipSync(batch!.recordsBytes);
    const rs = core.decodeRecords(inner, 2, info);
    expect(Buffer.from(rs[0]!.value!).toString()).toBe('one');
    expect(rs[1]!.timestamp).toBe(13n);
  });
});

describe('record batches: core → kafkajs', () => {
  it('kafkajs decodes core batches field by field (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordArb, { minLength: 1, maxLength: 12 }),
        fc.bigInt({ min: 0n, max: 1n << 50n }),
        fc.integer({ min: 0, max: 2_000_000_000_000 }),
        fc.boolean(),
        async (recs, baseOffset, baseTs, logAppend) => {
          const bytes = core.encodeBatch({
            baseOffset,
            baseTimestamp: baseTs,
            partitionLeaderEpoch: 5,
            producerId: 77n,
            producerEpoch: 2,
            baseSequence: 10,
            records: recs.map((r) => ({ key: r.key, value: r.value, timestampDelta: r.tsDelta, headers: Object.entries(r.headers).map(([key, value]) => ({ key, value })) })),
          });
          if (logAppend) core.setLogAppendTime(bytes, 1_234_567n);
          const kb = await recordBatchDecoder(new Decoder(Buffer.from(bytes)));
          expect(kb.firstOffset).toBe(baseOffset.toString());
          expect(kb.firstTimestamp).toBe(String(baseTs));
          expect(kb.maxTimestamp).toBe(logAppend ? '1234567' : String(baseTs + Math.max(...recs.map((r) => r.tsDelta))));
          expect(kb.partitionLeaderEpoch).toBe(5);
          expect(kb.lastOffsetDelta).toBe(recs.length - 1);
          expect(kb.producerId).toBe('77');
          expect(kb.producerEpoch).toBe(2);
          expect(kb.firstSequence).toBe(10);
          expect(kb.timestampType).toBe(logAppend ? 1 : 0);
          expect(kb.records).toHaveLength(recs.length);
          kb.records.forEach((r, i) => {
            const src = recs[i]!;
            expect(r.offset).toBe((baseOffset + BigInt(i)).toString());
            expect(r.timestamp).toBe(logAppend ? '1234567' : String(baseTs + src.tsDelta));
            expect(r.key).toEqual(buf(src.key));
            expect(r.value).toEqual(buf(src.value));
            expect(Object.keys(r.headers).sort()).toEqual(Object.keys(src.headers).sort());
            for (const [k, v] of Object.entries(src.headers)) expect(r.headers[k]).toEqual(Buffer.from(v));
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('batches after the broker append (offsets, LogAppendTime) decode in kafkajs', async () => {
    const a = core.encodeBatch({ records: [{ value: 'x', timestamp: 5 }, { value: 'y', timestamp: 6 }] });
    const b = core.encodeBatch({ records: [{ value: 'z', timestamp: 7 }] });
    const region = Buffer.concat([a, b]);
    const s = core.append(region, { nextOffset: 1000n, logAppendTime: 424242n });
    expect(s.error).toBe(ErrorCode.OK);
    const d = new Decoder(region);
    const first = await recordBatchDecoder(d);
    const second = await recordBatchDecoder(d);
    expect(first.records.map((r) => r.offset)).toEqual(['1000', '1001']);
    expect(second.records.map((r) => r.offset)).toEqual(['1002']);
    expect(second.records[0]!.timestamp).toBe('424242');
  });
});

describe('legacy message sets vs kafkajs', () => {
  it('kafkajs magic 0 and 1 message sets validate and decode in the core', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 10 }), fc.constantFrom(0, 1), fc.integer({ min: 0, max: 2_000_000_000_000 }), (recs, magic, ts) => {
        const entries = recs.map((r, i) => ({ key: buf(r.key), value: buf(r.value), timestamp: ts + i }));
        const set = MessageSet({ messageVersion: magic, compression: Compression.None, entries }).buffer;
        const info = core.validateLegacy(set);
        expect(info.count).toBe(recs.length);
        expect(info.magic).toBe(magic);
        const ms = core.legacyMessages(set);
        ms.forEach((m, i) => {
          expect(m.offset).toBe(-1n);
          expect(m.magic).toBe(magic);
          expect(m.timestamp).toBe(magic === 1 ? BigInt(ts + i) : -1n);
          expect(m.key === null ? null : Buffer.from(m.key)).toEqual(buf(recs[i]!.key));
          expect(m.value === null ? null : Buffer.from(m.value)).toEqual(buf(recs[i]!.value));
        });
        // converted for the append path
        const v2 = core.legacyToV2(set);
        const rs = core.decodeBatches(v2)[0]!.records;
        rs.forEach((r, i) => {
          expect(r.value === null ? null : Buffer.from(r.value)).toEqual(buf(recs[i]!.value));
          expect(r.timestamp).toBe(magic === 1 ? BigInt(ts + i) : -1n);
        });
      }),
      { numRuns: 150 },
    );
  });

  it('kafkajs gzip wrapper message is detected with its codec', async () => {
    const { lookupCodec } = require('kafkajs/src/protocol/message/compression') as { lookupCodec: (t: number) => { compress: (e: unknown) => Promise<Buffer> } };
    const inner = MessageSet({ messageVersion: 1, compression: Compression.None, entries: [{ key: null, value: Buffer.from('in'), timestamp: 3 }] });
    const compressed = await lookupCodec(Compression.GZIP).compress(inner);
    const wrapper = MessageSet({ messageVersion: 1, entries: [{ compression: Compression.GZIP, timestamp: 3, key: null, value: compressed }] }).buffer;
    const info = core.validateLegacy(wrapper);
    expect(info.codec).toBe(1);
    expect(() => core.legacyToV2(wrapper)).toThrow(/LEGACY_COMPRESSED/);
    // The host's path: decompress the wrapper value, convert the inner set.
    const [w] = core.legacyMessages(wrapper);
    const innerSet = gunzipSync(w!.value!);
    const v2 = core.legacyToV2(innerSet);
    expect(Buffer.from(core.decodeBatches(v2)[0]!.records[0]!.value!).toString()).toBe('in');
  });

  it('kafkajs decodes core down-converted message sets (Fetch v0–3)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordArb, { minLength: 1, maxLength: 10 }), fc.constantFrom(0 as const, 1 as const), fc.bigInt({ min: 0n, max: 1n << 40n }), async (recs, magic, base) => {
        const v2 = core.encodeBatch({ baseOffset: base, baseTimestamp: 1000, records: recs.map((r) => ({ key: r.key, value: r.value, timestampDelta: Math.abs(r.tsDelta) })) });
        const legacy = core.v2ToLegacy(v2, magic);
        const ms = await messageSetDecoder(new Decoder(Buffer.from(legacy)), legacy.length);
        expect(ms).toHaveLength(recs.length);
        ms.forEach((m, i) => {
          const src = recs[i]!;
          expect(m.offset).toBe((base + BigInt(i)).toString());
          expect(m.magicByte).toBe(magic);
          if (magic === 1) expect(m.timestamp).toBe(String(1000 + Math.abs(src.tsDelta)));
          expect(m.key).toEqual(buf(src.key));
          expect(m.value).toEqual(buf(src.value));
        });
      }),
      { numRuns: 150 },
    );
  });
});
