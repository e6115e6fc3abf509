// Bad Produce input: oversized batches → MESSAGE_TOO_LARGE, corrupt CRCs → CORRUPT_MESSAGE, truncated or
// garbage records → CORRUPT_MESSAGE or INVALID_RECORD. Every rejection must leave the partition's segment
// files byte-for-byte as they were, keep the log end offset, and the next good batch gets the next offset.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { crc32c } from '@node-rs/crc32';
import { KafkaTestClient } from '../helpers/broker.js';
import { startDataBroker, type DataBroker } from '../helpers/data-broker.js';
import { ERR, fetchAll, legacySet, produce, snapshotPartition, v2Batch } from './helpers.js';

const TOPIC = 'bad-input';
const MAX = 4096; // max.message.bytes of the topic
// Small preallocated index files, so comparing every file of the partition before/after each request is cheap.
const SETS = { 'log.index.size.max.bytes': '65536' };

let b: DataBroker;
let c: KafkaTestClient;
/** Values appended so far (in order), i.e. the expected content of partition 0. */
const appended: string[] = [];

beforeAll(async () => {
  b = await startDataBroker({ sets: SETS });
  b.createTopic(TOPIC, 2, { 'max.message.bytes': String(MAX) });
  c = await KafkaTestClient.connect(b.port);
  await good(['seed-0', 'seed-1', 'seed-2']);
});

afterAll(async () => {
  c?.close();
  await b?.close();
  if (b) rmSync(b.dataDir, { recursive: true, force: true });
});

/** Appends a good batch and checks it got the next offset. */
async function good(values: string[], partition = 0): Promise<void> {
  const r = await produce(c, TOPIC, partition, v2Batch(values));
  expect(r.errorCode).toBe(ERR.NONE);
  if (partition === 0) {
    expect(Number(r.baseOffset)).toBe(appended.length);
    appended.push(...values);
  }
}

/** Sends `records`, expects one of `codes`, and checks the segment files (and LEO) did not change. */
async function rejects(records: Uint8Array, codes: number[], version = 8): Promise<number> {
  const before = snapshotPartition(b.dataDir, TOPIC, 0, () => true);
  const r = await produce(c, TOPIC, 0, records, { version });
  expect(codes, `error ${r.errorCode} (${r.errorMessage ?? ''})`).toContain(r.errorCode);
  expect(r.baseOffset).toBe(-1n);
  const after = snapshotPartition(b.dataDir, TOPIC, 0, () => true);
  expect([...after.keys()]).toEqual([...before.keys()]);
  for (const [name, bytes] of before) expect(after.get(name)!.equals(bytes), `${name} changed`).toBe(true);
  expect(b.topics.partitionLog(TOPIC, 0)!.logEndOffset).toBe(appended.length);
  return r.errorCode;
}

/** Sets the v2 batch's CRC (offset 17) to CRC-32C of attributes..end. */
function fixCrc(batch: Uint8Array): Uint8Array {
  const buf = Buffer.from(batch);
  buf.writeUInt32BE(crc32c(buf.subarray(21)) >>> 0, 17);
  return buf;
}

function setLength(batch: Uint8Array): Uint8Array {
  const buf = Buffer.from(batch);
  buf.writeInt32BE(buf.length - 12, 8);
  return buf;
}

describe('oversized batches', () => {
  it('a batch over max.message.bytes → MESSAGE_TOO_LARGE, log untouched', async () => {
    const big = v2Batch(['x'.repeat(MAX + 100)]);
    expect(big.length).toBeGreaterThan(MAX);
    expect(await rejects(big, [ERR.MESSAGE_TOO_LARGE])).toBe(ERR.MESSAGE_TOO_LARGE);
    await good(['after-too-large']);
  });

  it('many small records adding up past the limit → MESSAGE_TOO_LARGE', async () => {
    const values = Array.from({ length: 200 }, (_, i) => `small-${i}-${'y'.repeat(20)}`);
    expect(await rejects(v2Batch(values), [ERR.MESSAGE_TOO_LARGE])).toBe(ERR.MESSAGE_TOO_LARGE);
  });

  it('an oversized magic 0 message set (Produce v2) → MESSAGE_TOO_LARGE', async () => {
    expect(await rejects(legacySet(['z'.repeat(MAX + 10)], 0), [ERR.MESSAGE_TOO_LARGE], 2)).toBe(ERR.MESSAGE_TOO_LARGE);
  });
});

describe('corrupt CRC', () => {
  it('a flipped byte in a record value → CORRUPT_MESSAGE', async () => {
    const batch = Buffer.from(v2Batch(['crc-a', 'crc-b', 'crc-c']));
    batch[batch.length - 3]! ^= 0x20;
    expect(await rejects(batch, [ERR.CORRUPT_MESSAGE])).toBe(ERR.CORRUPT_MESSAGE);
  });

  it('a wrong CRC field → CORRUPT_MESSAGE', async () => {
    const batch = Buffer.from(v2Batch(['crc-d']));
    batch.writeUInt32BE((batch.readUInt32BE(17) + 1) >>> 0, 17);
    expect(await rejects(batch, [ERR.CORRUPT_MESSAGE])).toBe(ERR.CORRUPT_MESSAGE);
  });

  it('a flipped bit in the attributes (covered by the CRC) → CORRUPT_MESSAGE', async () => {
    const batch = Buffer.from(v2Batch(['crc-e']));
    batch[22]! ^= 0x01; // compression gzip, not reflected in the CRC
    expect(await rejects(batch, [ERR.CORRUPT_MESSAGE])).toBe(ERR.CORRUPT_MESSAGE);
  });

  it('magic 0 and magic 1 messages with a bad CRC-32 (Produce v2) → CORRUPT_MESSAGE', async () => {
    for (const magic of [0, 1] as const) {
      const set = Buffer.from(legacySet(['legacy-a', 'legacy-b'], magic));
      set[set.length - 1]! ^= 0x01;
      expect(await rejects(set, [ERR.CORRUPT_MESSAGE], 2)).toBe(ERR.CORRUPT_MESSAGE);
    }
    await good(['after-crc']);
  });
});

describe('truncated and garbage records', () => {
  it('a batch cut short (length field says more) → CORRUPT_MESSAGE', async () => {
    const batch = v2Batch(['t-a', 't-b', 't-c']);
    for (const cut of [1, 5, batch.length - 61, batch.length - 20]) {
      expect(await rejects(batch.subarray(0, batch.length - cut), [ERR.CORRUPT_MESSAGE])).toBe(ERR.CORRUPT_MESSAGE);
    }
  });

  it('a batch cut inside its last record, length and CRC fixed up → CORRUPT_MESSAGE or INVALID_RECORD', async () => {
    const batch = v2Batch(['trunc-a', 'trunc-b', 'trunc-c']);
    const cut = fixCrc(setLength(batch.subarray(0, batch.length - 4)));
    await rejects(cut, [ERR.CORRUPT_MESSAGE, ERR.INVALID_RECORD]);
  });

  it('a record count that does not match the records, CRC valid → CORRUPT_MESSAGE or INVALID_RECORD', async () => {
    const more = Buffer.from(v2Batch(['cnt-a', 'cnt-b']));
    more.writeInt32BE(3, 57);
    await rejects(fixCrc(more), [ERR.CORRUPT_MESSAGE, ERR.INVALID_RECORD]);
    const fewer = Buffer.from(v2Batch(['cnt-c', 'cnt-d']));
    fewer.writeInt32BE(1, 57);
    await rejects(fixCrc(fewer), [ERR.CORRUPT_MESSAGE, ERR.INVALID_RECORD]);
  });

  it('garbage inside the records section, CRC valid → CORRUPT_MESSAGE or INVALID_RECORD', async () => {
    const batch = Buffer.from(v2Batch(['garbage-a', 'garbage-b', 'garbage-c']));
    for (let i = 61; i < batch.length; i++) batch[i] = 0xff;
    await rejects(fixCrc(batch), [ERR.CORRUPT_MESSAGE, ERR.INVALID_RECORD]);
  });

  it('random garbage, and garbage behind a plausible v2 header → CORRUPT_MESSAGE or INVALID_RECORD', async () => {
    for (let i = 0; i < 10; i++) await rejects(randomBytes(20 + i * 37), [ERR.CORRUPT_MESSAGE, ERR.INVALID_RECORD]);
    const header = Buffer.from(v2Batch(['h']).subarray(0, 61));
    const fake = Buffer.concat([header, randomBytes(200)]);
    await rejects(setLength(fake), [ERR.CORRUPT_MESSAGE, ERR.INVALID_RECORD]);
    await rejects(fixCrc(setLength(fake)), [ERR.CORRUPT_MESSAGE, ERR.INVALID_RECORD]);
  });

  it('an unknown magic byte → CORRUPT_MESSAGE or INVALID_RECORD', async () => {
    const batch = Buffer.from(v2Batch(['magic']));
    batch[16] = 7;
    await rejects(batch, [ERR.CORRUPT_MESSAGE, ERR.INVALID_RECORD]);
  });

  it('empty records → CORRUPT_MESSAGE or INVALID_RECORD', async () => {
    await rejects(new Uint8Array(0), [ERR.CORRUPT_MESSAGE, ERR.INVALID_RECORD]);
  });

  it('a truncated magic 0 message set (Produce v2) → CORRUPT_MESSAGE', async () => {
    const set = legacySet(['legacy-c', 'legacy-d'], 0);
    await rejects(set.subarray(0, set.length - 3), [ERR.CORRUPT_MESSAGE], 2);
  });

  it('a good batch followed by a corrupt one in one Produce v2 → the whole partition is rejected', async () => {
    const bad = Buffer.from(v2Batch(['pair-b']));
    bad[bad.length - 1]! ^= 1;
    await rejects(Buffer.concat([v2Batch(['pair-a']), bad]), [ERR.CORRUPT_MESSAGE], 2);
  });

  it('a magic 1 message set in Produce v3+ → INVALID_RECORD', async () => {
    await rejects(legacySet(['new-version-old-magic'], 1), [ERR.INVALID_RECORD, ERR.CORRUPT_MESSAGE], 8);
  });
});

describe('after all the rejections', () => {
  it('a bad partition in a request does not stop a good one in the same request', async () => {
    const bad = Buffer.from(v2Batch(['mixed-bad']));
    bad[bad.length - 1]! ^= 1;
    const { ApiKey } = await import('../../protocol/generated/index.js');
    const before1 = b.topics.partitionLog(TOPIC, 1)!.logEndOffset;
    const r = await c.request(ApiKey.Produce, 8, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: bad }, { index: 1, records: v2Batch(['mixed-good']) }] }],
    });
    const [p0, p1] = r.responses[0]!.partitionResponses;
    expect(p0!.errorCode).toBe(ERR.CORRUPT_MESSAGE);
    expect(p1!.errorCode).toBe(ERR.NONE);
    expect(Number(p1!.baseOffset)).toBe(before1);
  });

  it('the log holds exactly the good batches, every fetched batch valid, and survives a restart byte-for-byte', async () => {
    await good(['final']);
    const got = await fetchAll(c, TOPIC, 0);
    expect(got.errorCode).toBe(ERR.NONE);
    expect(got.records.map((r) => r.value)).toEqual(appended);
    expect(got.records.map((r) => r.offset)).toEqual(appended.map((_, i) => i));
    expect(got.highWatermark).toBe(appended.length);

    const logBefore = snapshotPartition(b.dataDir, TOPIC, 0);
    c.close();
    await b.close();
    b = await startDataBroker({ dataDir: b.dataDir, sets: SETS });
    c = await KafkaTestClient.connect(b.port);
    const again = await fetchAll(c, TOPIC, 0);
    expect(again.records.map((r) => r.value)).toEqual(appended);
    const logAfter = snapshotPartition(b.dataDir, TOPIC, 0);
    for (const [name, bytes] of logBefore) expect(logAfter.get(name)!.equals(bytes), name).toBe(true);
  });
});
