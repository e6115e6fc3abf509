// Produce / Fetch / ListOffsets / DeleteRecords over real sockets, through the generated codecs, for every
// version: round trips, legacy message sets both ways (kafkajs's legacy encoders/decoders), acks, KIP-74,
// long poll, error paths that must leave the log untouched, fetch sessions and topic ids.
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, apis } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { encodeResponseFrame } from '../../protocol/frame.js';
import { ZERO_UUID } from '../../protocol/wire/uuid.js';
import { decodeBatches, encodeBatch, encodeBatchRaw, encodeRecords, type RecordInput } from '../../bindings/node.js';
import { SplicedResponse, encodeSplicedResponseFrame } from '../../host-node/server/spliced-response.js';
import { startDataBroker, type DataBroker } from './helpers.js';
import type { KafkaTestClient } from '../helpers/broker.js';

const require = createRequire(import.meta.url);
const kjs = (path: string): any => require(`kafkajs/src/protocol/${path}`);
const MessageSet = kjs('messageSet/index.js');
const MessageSetDecoder = kjs('messageSet/decoder.js');
const KDecoder = kjs('decoder.js');
const KMessage = kjs('message/index.js');
const KEncoder = kjs('encoder.js');

const dec = new TextDecoder();
const text = (b: Uint8Array | null | undefined) => (b == null ? null : dec.decode(b));

function batch(n: number, from = 0, opts: { size?: number; timestamp?: number } = {}): Uint8Array {
  const records: RecordInput[] = [];
  for (let i = 0; i < n; i++)
    records.push({ key: `k${from + i}`, value: opts.size ? 'x'.repeat(opts.size) : `v${from + i}`, timestamp: (opts.timestamp ?? 1_700_000_000_000) + i, headers: { h: `${i}` } });
  return encodeBatch({ records });
}

function gzipBatch(n: number, from = 0): Uint8Array {
  const records: RecordInput[] = [];
  for (let i = 0; i < n; i++) records.push({ key: `k${from + i}`, value: `v${from + i}`, timestamp: 1_700_000_000_000 + i, offsetDelta: i, timestampDelta: i });
  const section = encodeRecords(records, 1_700_000_000_000);
  return encodeBatchRaw({ records: gzipSync(section), recordCount: n, compression: 1, baseTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_000 + n - 1, lastOffsetDelta: n - 1 });
}

async function produce(c: KafkaTestClient, version: number, topic: string, partition: number, records: Uint8Array | null, acks = 1, extra: Record<string, unknown> = {}) {
  const r = await c.request(ApiKey.Produce, version, { acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }], ...extra });
  return r.responses[0]!.partitionResponses[0]!;
}

async function fetchOnce(c: KafkaTestClient, version: number, topic: string, partition: number, offset: bigint, o: { maxBytes?: number; partitionMaxBytes?: number; minBytes?: number; maxWaitMs?: number; topicId?: string } = {}) {
  const r = await c.request(ApiKey.Fetch, version, {
    replicaId: -1,
    maxWaitMs: o.maxWaitMs ?? 0,
    minBytes: o.minBytes ?? 0,
    maxBytes: o.maxBytes ?? 50 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: o.topicId ?? ZERO_UUID, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: o.partitionMaxBytes ?? 1024 * 1024, logStartOffset: -1n, currentLeaderEpoch: -1 }] }],
  });
  return r;
}

async function decodeLegacy(bytes: Uint8Array): Promise<any[]> {
  const e = new KEncoder().writeInt32(bytes.length).writeBuffer(Buffer.from(bytes));
  return MessageSetDecoder(new KDecoder(e.buffer));
}

let b: DataBroker;
let c: KafkaTestClient;
beforeAll(async () => {
  b = await startDataBroker();
  c = await b.client();
});
afterAll(async () => {
  await b?.close();
});

describe('produce and fetch round trips', () => {
  it('every Produce v3–11 × Fetch v4–17 reads back the same records', async () => {
    const topic = 'rt-v2';
    await b.topics.create(topic, 1);
    let next = 0;
    for (let pv = 3; pv <= 11; pv++) {
      const r = await produce(c, pv, topic, 0, batch(5, next));
      expect(r.errorCode).toBe(0);
      expect(r.baseOffset).toBe(BigInt(next));
      if (pv >= 5) expect(r.logStartOffset).toBe(0n);
      if (pv >= 2) expect(r.logAppendTimeMs).toBe(-1n);
      next += 5;
    }
    const t = b.topics.topicByName(topic)!;
    for (let fv = 4; fv <= 17; fv++) {
      const r = await fetchOnce(c, fv, fv >= 13 ? '' : topic, 0, 0n, { topicId: t.topicId });
      expect(r.errorCode).toBe(0);
      const p = r.responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      expect(p.highWatermark).toBe(BigInt(next));
      expect(p.lastStableOffset).toBe(BigInt(next));
      if (fv >= 5) expect(p.logStartOffset).toBe(0n);
      if (fv >= 11) expect(p.preferredReadReplica).toBe(-1);
      if (fv >= 13) expect(r.responses[0]!.topicId).toBe(t.topicId);
      const batches = decodeBatches(p.records!);
      const recs = batches.flatMap((x) => x.records.map((rec) => ({ o: Number(rec.offset), k: text(rec.key), v: text(rec.value), h: text(rec.headers[0]?.value) })));
      expect(recs.length).toBe(next);
      recs.forEach((rec, i) => expect(rec).toEqual({ o: i, k: `k${i}`, v: `v${i}`, h: `${i % 5}` }));
    }
  });

  it('Produce v0–2 message sets (magic 0/1, plain and gzip) are stored as v2 and read back by every version', async () => {
    const topic = 'rt-legacy';
    await b.topics.create(topic, 1);
    let next = 0;
    for (const pv of [0, 1, 2]) {
      const magic = pv === 2 ? 1 : 0;
      const entries = Array.from({ length: 4 }, (_, i) => ({ key: `k${next + i}`, value: `v${next + i}`, timestamp: 1_700_000_000_000 + i }));
      const set = MessageSet({ messageVersion: magic, entries }).buffer as Buffer;
      const r = await produce(c, pv, topic, 0, set);
      expect(r.errorCode).toBe(0);
      expect(r.baseOffset).toBe(BigInt(next));
      next += 4;
      // The same as one gzip-compressed wrapper message.
      const inner = MessageSet({ messageVersion: magic, compression: 1, entries: entries.map((e, i) => ({ ...e, key: `k${next + i}`, value: `v${next + i}` })) }).buffer as Buffer;
      const Message = KMessage({ version: magic });
      const wrapper = Message({ compression: 1, timestamp: 1_700_000_000_000, key: null, value: gzipSync(inner) });
      const outer = new KEncoder().writeInt64(3).writeInt32(wrapper.size()).writeEncoder(wrapper).buffer as Buffer;
      const r2 = await produce(c, pv, topic, 0, outer);
      expect(r2.errorCode).toBe(0);
      expect(r2.baseOffset).toBe(BigInt(next));
      next += 4;
    }
    // v2 readers
    const p = (await fetchOnce(c, 11, topic, 0, 0n)).responses[0]!.partitions[0]!;
    const recs = decodeBatches(p.records!).flatMap((x) => x.records);
    expect(recs.map((r) => [Number(r.offset), text(r.key), text(r.value)])).toEqual(Array.from({ length: next }, (_, i) => [i, `k${i}`, `v${i}`]));
    // down-converted readers
    for (const fv of [0, 1, 2, 3]) {
      const p = (await fetchOnce(c, fv, topic, 0, 0n)).responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      expect(p.highWatermark).toBe(BigInt(next));
      const msgs = await decodeLegacy(p.records!);
      expect(msgs.length).toBe(next);
      msgs.forEach((m: any, i: number) => {
        expect(m.offset).toBe(String(i));
        expect(m.magicByte).toBe(fv <= 1 ? 0 : 1);
        expect(m.key.toString()).toBe(`k${i}`);
        expect(m.value.toString()).toBe(`v${i}`);
      });
    }
  });

  it('Fetch v0–3 down-converts compressed v2 batches (gzip) from an offset inside a batch', async () => {
    const topic = 'rt-down-gzip';
    await b.topics.create(topic, 1);
    expect((await produce(c, 7, topic, 0, gzipBatch(10))).errorCode).toBe(0);
    expect((await produce(c, 7, topic, 0, batch(3, 10))).errorCode).toBe(0);
    for (const fv of [0, 1, 2, 3]) {
      const p = (await fetchOnce(c, fv, topic, 0, 4n)).responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      const msgs = await decodeLegacy(p.records!);
      // Whole batches are returned: the consumer skips offsets below its position, as with Kafka.
      expect(msgs.map((m: any) => [Number(m.offset), m.key.toString(), m.value.toString()])).toEqual(Array.from({ length: 13 }, (_, i) => [i, `k${i}`, `v${i}`]));
    }
    // v2 readers get the compressed batch as stored
    const p = (await fetchOnce(c, 12, topic, 0, 0n)).responses[0]!.partitions[0]!;
    const batches = decodeBatches(p.records!);
    expect(batches[0]!.compression).toBe(1);
    expect(batches.length).toBe(2);
  });
});

describe('acks', () => {
  it('acks=0 sends no response but appends; acks=-1 waits for durability', async () => {
    const topic = 'acks';
    await b.topics.create(topic, 1, { 'flush.messages': 1 });
    const corr = c.send(ApiKey.Produce, 8, { acks: 0, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch(3) }] }] });
    // The next response on the connection belongs to the next request.
    const lo = await c.request(ApiKey.ListOffsets, 7, { replicaId: -1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
    expect(corr).toBeGreaterThan(0);
    const log = b.topics.log(topic);
    // appended (the high watermark follows once the flush policy's fsync ran)
    expect(log.logEndOffset).toBe(3);
    expect([0n, 3n]).toContain(lo.topics[0]!.partitions[0]!.offset);
    const flushesBefore = log.flushCount;
    const r = await produce(c, 9, topic, 0, batch(2, 3), -1);
    expect(r.errorCode).toBe(0);
    expect(r.baseOffset).toBe(3n);
    expect(log.recoveryPoint).toBeGreaterThanOrEqual(5);
    expect(log.flushCount).toBeGreaterThan(flushesBefore);
  });

  it('acks=0 with an error closes the connection, as Kafka does', async () => {
    const c2 = await b.client();
    c2.send(ApiKey.Produce, 8, { acks: 0, timeoutMs: 1000, topicData: [{ name: 'no-such-topic', partitionData: [{ index: 0, records: batch(1) }] }] });
    expect(await c2.raw.waitClosed(3000)).toBe(true);
  });

  it('invalid acks → INVALID_REQUIRED_ACKS; transactional id → TRANSACTIONAL_ID_AUTHORIZATION_FAILED; unknown topic', async () => {
    await b.topics.create('acks-bad', 1);
    expect((await produce(c, 8, 'acks-bad', 0, batch(1), 2)).errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
    expect((await produce(c, 8, 'acks-bad', 0, batch(1), 1, { transactionalId: 'tx' })).errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect((await produce(c, 8, 'nope', 0, batch(1))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await produce(c, 8, 'acks-bad', 7, batch(1))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(b.topics.log('acks-bad').logEndOffset).toBe(0);
  });
});

describe('acks=-1 timeout and zstd for old fetchers', () => {
  it('acks=-1 answers REQUEST_TIMED_OUT when the flush policy does not make the append durable in time', async () => {
    const topic = 'acks-timeout';
    await b.topics.create(topic, 1, { 'flush.messages': 1_000_000 });
    const t0 = Date.now();
    const r = await c.request(ApiKey.Produce, 9, { acks: -1, timeoutMs: 300, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch(2) }] }] });
    const p = r.responses[0]!.partitionResponses[0]!;
    expect(p.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(b.topics.log(topic).logEndOffset).toBe(2); // appended, just not durable yet (as Kafka: not acknowledged)
  });

  it('zstd batches: stored as sent, refused to Fetch < v10 (UNSUPPORTED_COMPRESSION_TYPE), served to v10+', async () => {
    const zstd = require('@bokuweb/zstd-wasm');
    await zstd.init();
    const topic = 'zstd-old';
    await b.topics.create(topic, 1);
    const records: RecordInput[] = Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, timestamp: 1_700_000_000_000 + i, offsetDelta: i, timestampDelta: i }));
    const section = encodeRecords(records, 1_700_000_000_000);
    const z = encodeBatchRaw({ records: zstd.compress(section, 3), recordCount: 5, compression: 4, baseTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_004, lastOffsetDelta: 4 });
    expect((await produce(c, 6, topic, 0, z)).errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect((await produce(c, 7, topic, 0, z)).errorCode).toBe(0);
    for (const fv of [0, 3, 4, 9]) expect((await fetchOnce(c, fv, topic, 0, 0n)).responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    const p = (await fetchOnce(c, 10, topic, 0, 0n)).responses[0]!.partitions[0]!;
    expect(p.errorCode).toBe(0);
    expect(Buffer.from(p.records!.subarray(61)).equals(Buffer.from(z.subarray(61)))).toBe(true); // compressed bytes untouched
  });
});

describe('validation leaves the log untouched', () => {
  it('CORRUPT_MESSAGE on a bad CRC, MESSAGE_TOO_LARGE over max.message.bytes, INVALID_RECORD for two batches in v3+', async () => {
    const topic = 'validate';
    await b.topics.create(topic, 1, { 'max.message.bytes': 2000 });
    const log = b.topics.log(topic);
    expect((await produce(c, 9, topic, 0, batch(2))).errorCode).toBe(0);
    const size = log.size;
    const leo = log.logEndOffset;

    const bad = batch(3, 2);
    bad[bad.length - 2]! ^= 0xff;
    const r1 = await produce(c, 9, topic, 0, bad);
    expect(r1.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(r1.errorMessage).toBeTruthy();

    const big = batch(1, 2, { size: 3000 });
    expect((await produce(c, 9, topic, 0, big)).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);

    const two = Buffer.concat([batch(1, 2), batch(1, 3)]);
    expect((await produce(c, 9, topic, 0, two)).errorCode).toBe(ErrorCode.INVALID_RECORD);

    const truncated = batch(3, 2).subarray(0, 40);
    expect((await produce(c, 9, topic, 0, truncated)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);

    // compressed batch whose record count lies
    const gz = gzipBatch(4, 2);
    const dv = new DataView(gz.buffer, gz.byteOffset);
    dv.setInt32(57, 5); // record count (the CRC now fails too: CORRUPT_MESSAGE first)
    expect((await produce(c, 9, topic, 0, gz)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);

    expect(log.size).toBe(size);
    expect(log.logEndOffset).toBe(leo);
    const p = (await fetchOnce(c, 12, topic, 0, 0n)).responses[0]!.partitions[0]!;
    expect(decodeBatches(p.records!).flatMap((x) => x.records).length).toBe(2);
    // and the partition keeps working
    expect((await produce(c, 9, topic, 0, batch(1, 2))).baseOffset).toBe(2n);
  });

  it('LogAppendTime topics stamp the time and report it', async () => {
    const topic = 'lat';
    await b.topics.create(topic, 1, { 'message.timestamp.type': 'LogAppendTime' });
    const before = Date.now();
    const r = await produce(c, 8, topic, 0, batch(2));
    expect(r.errorCode).toBe(0);
    expect(Number(r.logAppendTimeMs)).toBeGreaterThanOrEqual(before);
    const p = (await fetchOnce(c, 12, topic, 0, 0n)).responses[0]!.partitions[0]!;
    const [bt] = decodeBatches(p.records!);
    expect(bt!.timestampType).toBe('LogAppendTime');
    expect(bt!.records[0]!.timestamp).toBe(r.logAppendTimeMs);
  });
});

describe('disk errors', () => {
  it('an offline partition answers KAFKA_STORAGE_ERROR; its neighbours keep serving', async () => {
    const topic = 'offline';
    await b.topics.create(topic, 2);
    expect((await produce(c, 9, topic, 0, batch(2))).errorCode).toBe(0);
    expect((await produce(c, 9, topic, 1, batch(2))).errorCode).toBe(0);
    // Take partition 0 offline as an fsync failure would (storage keeps it offline until reopened).
    const eio = Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    (b.topics.log(topic, 0) as unknown as { goOffline(reason: string, e: unknown): void }).goOffline('io', eio);
    const r = await c.request(ApiKey.Produce, 9, {
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: batch(1, 2) }, { index: 1, records: batch(1, 2) }] }],
    });
    const [p0, p1] = r.responses[0]!.partitionResponses;
    expect(p0!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(p1!.errorCode).toBe(0);
    expect(p1!.baseOffset).toBe(2n);
    const f = await c.request(ApiKey.Fetch, 12, {
      replicaId: -1,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [0, 1].map((p) => ({ partition: p, fetchOffset: 0n, partitionMaxBytes: 1 << 20 })) }],
    });
    expect(f.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(decodeBatches(f.responses[0]!.partitions[1]!.records!).flatMap((x) => x.records).length).toBe(3);
    const lo = await c.request(ApiKey.ListOffsets, 7, { replicaId: -1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1n }, { partitionIndex: 1, timestamp: -1n }] }] });
    expect(lo.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.KAFKA_STORAGE_ERROR, 0]);
  });
});

describe('fetch limits and long poll', () => {
  it('KIP-74: a batch larger than max_bytes and partition_max_bytes is returned whole, once', async () => {
    const topic = 'kip74';
    await b.topics.create(topic, 2);
    expect((await produce(c, 9, topic, 0, batch(1, 0, { size: 100_000 }))).errorCode).toBe(0);
    expect((await produce(c, 9, topic, 1, batch(1, 0, { size: 100_000 }))).errorCode).toBe(0);
    const r = await c.request(ApiKey.Fetch, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1000,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [0, 1].map((p) => ({ partition: p, fetchOffset: 0n, partitionMaxBytes: 500 })) }],
    });
    const [p0, p1] = r.responses[0]!.partitions;
    const bt = decodeBatches(p0!.records!);
    expect(bt.length).toBe(1);
    expect(bt[0]!.records[0]!.value!.length).toBe(100_000);
    expect(p1!.records!.length).toBe(0);
    expect(p1!.highWatermark).toBe(1n);
    // v0–2 have no max_bytes; down-conversion of a big batch still works
    const old = (await fetchOnce(c, 2, topic, 0, 0n, { partitionMaxBytes: 100 })).responses[0]!.partitions[0]!;
    expect((await decodeLegacy(old.records!)).length).toBe(1);
  });

  it('max_bytes stops after the partitions that fit', async () => {
    const topic = 'maxbytes';
    await b.topics.create(topic, 1);
    for (let i = 0; i < 10; i++) await produce(c, 9, topic, 0, batch(10, i * 10, { size: 100 }));
    const sizes = decodeBatches(((await fetchOnce(c, 11, topic, 0, 0n)).responses[0]!.partitions[0]!).records!).map((x) => x.size);
    expect(sizes.length).toBe(10);
    const r = (await fetchOnce(c, 11, topic, 0, 0n, { maxBytes: sizes[0]! + sizes[1]! + sizes[2]! + 10 })).responses[0]!.partitions[0]!;
    expect(decodeBatches(r.records!).length).toBe(3);
    const r2 = (await fetchOnce(c, 11, topic, 0, 0n, { partitionMaxBytes: sizes[0]! + sizes[1]! + 10 })).responses[0]!.partitions[0]!;
    expect(decodeBatches(r2.records!).length).toBe(2);
    // from an offset in the middle of a batch: that batch is returned whole
    const r3 = (await fetchOnce(c, 11, topic, 0, 55n)).responses[0]!.partitions[0]!;
    expect(decodeBatches(r3.records!)[0]!.baseOffset).toBe(50n);
  });

  it('long poll is woken by an append, and times out when none comes', async () => {
    const topic = 'longpoll';
    await b.topics.create(topic, 1);
    const c2 = await b.client();
    const t0 = Date.now();
    const pending = fetchOnce(c2, 12, topic, 0, 0n, { minBytes: 1, maxWaitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    await produce(c, 9, topic, 0, batch(2));
    const r = await pending;
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(3000);
    expect(decodeBatches(r.responses[0]!.partitions[0]!.records!)[0]!.recordCount).toBe(2);

    const t1 = Date.now();
    const r2 = await fetchOnce(c2, 12, topic, 0, 2n, { minBytes: 1, maxWaitMs: 400 });
    const waited2 = Date.now() - t1;
    expect(waited2).toBeGreaterThanOrEqual(390);
    expect(waited2).toBeLessThan(2000);
    expect(r2.responses[0]!.partitions[0]!.records!.length).toBe(0);
    expect(r2.responses[0]!.partitions[0]!.highWatermark).toBe(2n);
  });

  it('OFFSET_OUT_OF_RANGE above the log end and below the log start', async () => {
    const topic = 'oor';
    await b.topics.create(topic, 1);
    await produce(c, 9, topic, 0, batch(5));
    const p = (await fetchOnce(c, 11, topic, 0, 6n)).responses[0]!.partitions[0]!;
    expect(p.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(p.highWatermark).toBe(-1n);
    const atEnd = (await fetchOnce(c, 11, topic, 0, 5n)).responses[0]!.partitions[0]!;
    expect(atEnd.errorCode).toBe(0);
    expect(atEnd.records!.length).toBe(0);
  });
});

describe('fetch sessions and topic ids', () => {
  it('never creates a session; incremental requests get FETCH_SESSION_ID_NOT_FOUND', async () => {
    const topic = 'sessions';
    await b.topics.create(topic, 1);
    await produce(c, 9, topic, 0, batch(1));
    const full = await c.request(ApiKey.Fetch, 12, { replicaId: -1, sessionId: 0, sessionEpoch: 0, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] });
    expect(full.errorCode).toBe(0);
    expect(full.sessionId).toBe(0);
    expect(full.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(0);
    const inc = await c.request(ApiKey.Fetch, 12, { replicaId: -1, sessionId: 1234, sessionEpoch: 1, topics: [] });
    expect(inc.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  it('v13+: unknown topic id → UNKNOWN_TOPIC_ID; unknown partition → UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const r = await fetchOnce(c, 13, '', 0, 0n, { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' });
    expect(r.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    const r2 = await fetchOnce(c, 12, 'nope', 0, 0n);
    expect(r2.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

describe('ListOffsets and DeleteRecords', () => {
  it('earliest, latest, by timestamp, max timestamp, v0 old-style offsets', async () => {
    const topic = 'offsets';
    await b.topics.create(topic, 1);
    await produce(c, 9, topic, 0, batch(5, 0, { timestamp: 1000 }));
    await produce(c, 9, topic, 0, batch(5, 5, { timestamp: 5000 }));
    const q = async (v: number, timestamp: bigint) =>
      (await c.request(ApiKey.ListOffsets, v, { replicaId: -1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp, maxNumOffsets: 1 }] }] })).topics[0]!.partitions[0]!;
    for (let v = 1; v <= 9; v++) {
      expect((await q(v, -2n)).offset).toBe(0n);
      expect((await q(v, -1n)).offset).toBe(10n);
      expect((await q(v, 5000n)).offset).toBe(5n);
      expect((await q(v, 5001n)).offset).toBe(6n);
      expect((await q(v, 99999n)).offset).toBe(-1n);
    }
    const mx = await q(7, -3n);
    expect(mx.offset).toBe(9n);
    expect(mx.timestamp).toBe(5004n);
    expect((await q(0, -1n)).oldStyleOffsets).toEqual([10n]);
    expect((await q(0, -2n)).oldStyleOffsets).toEqual([0n]);
    const unknown = (await c.request(ApiKey.ListOffsets, 5, { replicaId: -1, topics: [{ name: 'nope', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] })).topics[0]!.partitions[0]!;
    expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('DeleteRecords moves the log start offset; beyond HW → OFFSET_OUT_OF_RANGE; -1 = HW', async () => {
    const topic = 'delrec';
    await b.topics.create(topic, 1);
    await produce(c, 9, topic, 0, batch(10));
    const del = async (v: number, offset: bigint) =>
      (await c.request(ApiKey.DeleteRecords, v, { timeoutMs: 1000, topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset }] }] })).topics[0]!.partitions[0]!;
    expect(await del(0, 3n)).toMatchObject({ errorCode: 0, lowWatermark: 3n });
    expect((await del(1, 11n)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const f = (await fetchOnce(c, 11, topic, 0, 1n)).responses[0]!.partitions[0]!;
    expect(f.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const f2 = (await fetchOnce(c, 11, topic, 0, 3n)).responses[0]!.partitions[0]!;
    expect(f2.logStartOffset).toBe(3n);
    expect(await del(2, -1n)).toMatchObject({ errorCode: 0, lowWatermark: 10n });
    const lo = (await c.request(ApiKey.ListOffsets, 7, { replicaId: -1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -2n }] }] })).topics[0]!.partitions[0]!;
    expect(lo.offset).toBe(10n);
  });
});

describe('spliced responses', () => {
  it('chunks concatenate to exactly what encodeResponseFrame produces', () => {
    const recA = new Uint8Array(1000).fill(7);
    const recB = new Uint8Array(10).fill(9);
    for (const v of [0, 3, 4, 11, 12, 13, 16]) {
      const body = {
        sessionId: 0,
        responses: [
          {
            topic: 't',
            topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
            partitions: [
              { partitionIndex: 0, highWatermark: 5n, records: recA },
              { partitionIndex: 1, highWatermark: 6n, records: new Uint8Array(0) },
              { partitionIndex: 2, highWatermark: 7n, records: recB },
            ],
          },
        ],
      };
      const whole = encodeResponseFrame(ApiKey.Fetch, v, 42, body);
      const chunks = encodeSplicedResponseFrame(apis[ApiKey.Fetch], v, 42, new SplicedResponse(body, [recA, recB]));
      expect(Array.isArray(chunks)).toBe(true);
      expect(Buffer.concat(chunks as Uint8Array[]).equals(Buffer.from(whole))).toBe(true);
      expect((chunks as Uint8Array[]).includes(recA)).toBe(true);
    }
  });
});
