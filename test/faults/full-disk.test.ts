// A full disk: the broker's log dir is a 2 MiB tmpfs. Filling it makes Produce answer KAFKA_STORAGE_ERROR (56)
// without a crash and without leaving torn bytes in the segment; other partitions still serve reads,
// Metadata and ListOffsets still answer; once a filler file is deleted, writes resume at the right offset
// (no gap, no duplicate) and everything reads back valid, also after a restart.
// Needs root for mount(8) (CI runs as root); skipped otherwise.
import { closeSync, mkdtempSync, openSync, rmdirSync, statfsSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { startDataBroker, type DataBroker } from '../helpers/data-broker.js';
import { ERR, IS_ROOT, fetchAll, mountTmpfs, produce, snapshotPartition, unmount, v2Batch } from './helpers.js';

if (!IS_ROOT) console.warn('test/faults/full-disk.test.ts: SKIPPED — mounting a tmpfs needs root (CI runs the suite as root)');

const SETS = {
  'log.index.size.max.bytes': '65536',
  'log.storage.retry.backoff.ms': '200',
};
const T = 'disk';
const OTHER = 'other';

let mnt: string;
let mounted = false;
let b: DataBroker | undefined;
let c: KafkaTestClient | undefined;
const expected: Record<string, string[]> = { [`${T}-0`]: [], [`${T}-1`]: [], [`${OTHER}-0`]: [] };
let seq = 0;

function values(n: number, size = 50): string[] {
  return Array.from({ length: n }, () => `${seq++}:`.padEnd(size, 'v'));
}

async function ok(topic: string, partition: number, vals: string[]): Promise<void> {
  const r = await produce(c!, topic, partition, v2Batch(vals));
  expect(r.errorCode, r.errorMessage ?? '').toBe(ERR.NONE);
  const list = expected[`${topic}-${partition}`]!;
  expect(Number(r.baseOffset)).toBe(list.length);
  list.push(...vals);
}

/** Writes `file` until the file system is full (ENOSPC); returns the bytes written. */
function fill(file: string, chunk: number): number {
  const fd = openSync(file, 'a');
  const buf = Buffer.alloc(chunk, 0xab);
  let total = 0;
  try {
    for (;;) total += writeSync(fd, buf);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  return total;
}

function freeBytes(): number {
  const st = statfsSync(mnt);
  return st.bavail * st.bsize;
}

async function verifyAll(): Promise<void> {
  for (const [tp, want] of Object.entries(expected)) {
    const [topic, p] = [tp.slice(0, tp.lastIndexOf('-')), Number(tp.slice(tp.lastIndexOf('-') + 1))];
    const got = await fetchAll(c!, topic, p);
    expect(got.errorCode, tp).toBe(ERR.NONE);
    expect(got.records.map((r) => r.value), tp).toEqual(want);
    expect(got.records.map((r) => r.offset), tp).toEqual(want.map((_, i) => i));
    expect(got.highWatermark, tp).toBe(want.length);
  }
}

describe.skipIf(!IS_ROOT)('full disk (2 MiB tmpfs log dir)', () => {
  beforeAll(async () => {
    mnt = mkdtempSync(join(tmpdir(), 'rivulet-tmpfs-'));
    mountTmpfs(mnt, '2m');
    mounted = true;
    b = await startDataBroker({ dataDir: join(mnt, 'logs'), sets: SETS });
    b.createTopic(T, 2);
    b.createTopic(OTHER, 1);
    c = await KafkaTestClient.connect(b.port);
  });

  afterAll(async () => {
    c?.close();
    await b?.close().catch(() => undefined);
    if (mounted) unmount(mnt);
    rmdirSync(mnt);
  });

  it('fills up: Produce gets KAFKA_STORAGE_ERROR, the segment keeps no torn bytes, reads and Metadata keep working', async () => {
    for (let i = 0; i < 5; i++) await ok(T, 0, values(10));
    await ok(T, 1, values(10));
    await ok(OTHER, 0, values(10));

    // A small gap file first (freed later to leave a little room), then fill everything.
    writeFileSync(join(mnt, 'gap'), Buffer.alloc(8192, 0xcd));
    const filled = fill(join(mnt, 'filler'), 65536) + fill(join(mnt, 'filler'), 4096) + fill(join(mnt, 'filler'), 512);
    expect(filled).toBeGreaterThan(0);
    expect(freeBytes()).toBe(0);

    const before = snapshotPartition(b!.dataDir, T, 0, () => true);
    // 64 KiB batch: more than any slack left in the segment's last page, so the write fails (ENOSPC, or a
    // short write followed by ENOSPC).
    const r = await produce(c!, T, 0, v2Batch(values(64, 1024)));
    expect(r.errorCode).toBe(ERR.KAFKA_STORAGE_ERROR);
    const after = snapshotPartition(b!.dataDir, T, 0, () => true);
    for (const [name, bytes] of before) expect(after.get(name)!.equals(bytes), `${name} changed`).toBe(true);

    // Again, immediately and after the retry backoff: still 56, never a crash.
    expect((await produce(c!, T, 0, v2Batch(values(64, 1024)))).errorCode).toBe(ERR.KAFKA_STORAGE_ERROR);
    await new Promise((res) => setTimeout(res, 300));
    expect((await produce(c!, T, 0, v2Batch(values(64, 1024)))).errorCode).toBe(ERR.KAFKA_STORAGE_ERROR);
    const big = await produce(c!, T, 1, v2Batch(values(64, 1024)));
    expect(big.errorCode).toBe(ERR.KAFKA_STORAGE_ERROR);

    // The rest of the broker answers: Metadata, ListOffsets, Fetch of the other partitions.
    const md = await c!.request(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(md.topics.map((t) => t.name).sort()).toEqual([T, OTHER]);
    const lo = await c!.request(ApiKey.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: OTHER, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
    });
    expect(lo.topics[0]!.partitions[0]!.errorCode).toBe(ERR.NONE);
    expect(Number(lo.topics[0]!.partitions[0]!.offset)).toBe(expected[`${OTHER}-0`]!.length);
    const other = await fetchAll(c!, OTHER, 0);
    expect(other.errorCode).toBe(ERR.NONE);
    expect(other.records.map((x) => x.value)).toEqual(expected[`${OTHER}-0`]);
    // A partition whose write just failed is offline for reads too (docs/storage.md, the failure rule) until
    // the retry backoff has passed; then a read probes, and it serves its data again even while the disk is full.
    expect((await fetchAll(c!, T, 1)).errorCode).toBe(ERR.KAFKA_STORAGE_ERROR);
    await new Promise((res) => setTimeout(res, 300));
    const back = await fetchAll(c!, T, 1);
    expect(back.errorCode).toBe(ERR.NONE);
    expect(back.records.map((x) => x.value)).toEqual(expected[`${T}-1`]);
  });

  it('a little room (a torn write): still KAFKA_STORAGE_ERROR, the partial bytes are cut', async () => {
    unlinkSync(join(mnt, 'gap')); // a few KiB free: a 64 KiB write lands partly, then ENOSPC
    const free = freeBytes();
    expect(free).toBeGreaterThan(0);
    expect(free).toBeLessThan(64 * 1024);
    await new Promise((res) => setTimeout(res, 300)); // past the retry backoff: the append really tries
    const before = snapshotPartition(b!.dataDir, T, 0, () => true);
    const r = await produce(c!, T, 0, v2Batch(values(64, 1024)));
    expect(r.errorCode).toBe(ERR.KAFKA_STORAGE_ERROR);
    const after = snapshotPartition(b!.dataDir, T, 0, () => true);
    for (const [name, bytes] of before) expect(after.get(name)!.equals(bytes), `${name} changed`).toBe(true);
  });

  it('space freed: writes resume with no gap or duplicate, every batch valid, also after a restart', async () => {
    unlinkSync(join(mnt, 'filler'));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const vals = values(64, 1024);
      const r = await produce(c!, T, 0, v2Batch(vals));
      if (r.errorCode === ERR.NONE) {
        expect(Number(r.baseOffset)).toBe(expected[`${T}-0`]!.length);
        expected[`${T}-0`]!.push(...vals);
        break;
      }
      expect(r.errorCode).toBe(ERR.KAFKA_STORAGE_ERROR);
      if (Date.now() > deadline) throw new Error('writes did not resume within 10 s of freeing space');
      await new Promise((res) => setTimeout(res, 100));
    }
    await ok(T, 0, values(5));
    await ok(T, 1, values(5));
    await ok(OTHER, 0, values(5));
    await verifyAll();

    c!.close();
    await b!.close();
    b = await startDataBroker({ dataDir: join(mnt, 'logs'), sets: SETS });
    c = await KafkaTestClient.connect(b.port);
    await verifyAll();
    await ok(T, 0, values(3));
    await verifyAll();
  });
});

