// The cleaning of one log (storage/cleaner/cleaner.ts) over real logs written by the storage engine, with
// the model cleaner core (test/storage/support/model-cleaner-core.ts) standing in for the WASM one: the
// `.cleaned` segments hold valid batches with exactly the records the rules keep, their indexes load and
// pass the start-up sanity checks, groups respect segment.bytes, a full offset map cleans only as far as
// it reaches, the I/O is throttled to the configured rate, and a failure leaves no `.cleaned` file.
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newCore } from '../../bindings/node.js';
import { realFs } from '../../host-node/storage/node-fs.js';
import { cleanLog, groupSegmentsBySize, preparedSegmentPaths, THROTTLE_WINDOW_MS, type CleanerEnv } from '../../storage/cleaner/index.js';
import type { CleanJob, CleanJobResult, CleanJobSegment, CleanedGroup } from '../../storage/cleaner/clean-job.js';
import { ForwardingFs, type StorageFs } from '../../storage/fs.js';
import type { Log } from '../../storage/log.js';
import { OffsetIndex } from '../../storage/offset-index.js';
import { LogSegment } from '../../storage/segment.js';
import { TimeIndex } from '../../storage/time-index.js';
import { WasmStorageCore } from '../../storage/wasm-storage-core.js';
import { mulberry32 } from '../helpers/seeded-random.js';
import { cleanupTempDirs, decodeBatches, openLog, records, tempDir } from './helpers/env.js';
import { ModelCleanerCore } from './support/model-cleaner-core.js';

afterAll(cleanupTempDirs);

const SEGMENT_BYTES = 4096;
const INDEX_INTERVAL = 256;
const MAX_INDEX_BYTES = 4096;
const CFG = { 'segment.bytes': SEGMENT_BYTES, 'index.interval.bytes': INDEX_INTERVAL, 'segment.index.bytes': MAX_INDEX_BYTES };
/** The core's decoder, for batch attributes. */
const rc = newCore();
/**
 * The product's storage core, whatever RIVULET_STORAGE_CORE says: the JS reference's scan takes only
 * batches with recordCount = lastOffsetDelta + 1, as producers write them, not the gaps of cleaned ones.
 */
const storageCore = new WasmStorageCore(newCore());
const T0 = 1_700_000_000_000;
const NOW = T0 + 10_000_000;
const DELETE_RETENTION = 86_400_000;

interface Rec {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
}

interface Built {
  dir: string;
  log: Log;
}

/**
 * A log of `appends` batches of 1-3 records over many small segments: keys drawn from `keys` (from
 * `lateKeys` after 40% of the appends, when given), about one record in eight a tombstone, one in forty
 * keyless.
 */
function buildLog(seed: number, appends: number, keys: string[], lateKeys = keys): Built {
  const dir = tempDir('rivulet-cleaner-');
  const log = openLog({ dir, config: CFG });
  const rnd = mulberry32(seed);
  for (let i = 0; i < appends; i++) {
    const pool = i < appends * 0.4 ? keys : lateKeys;
    const n = 1 + Math.floor(rnd() * 3);
    const recs = [];
    for (let j = 0; j < n; j++) {
      const r = rnd();
      const key = r < 0.025 ? null : Buffer.from(pool[Math.floor(rnd() * pool.length)]!);
      const value = r > 0.875 ? null : Buffer.from(`v${i}.${j}-` + 'x'.repeat(40 + Math.floor(rnd() * 80)));
      recs.push({ key, value, timestamp: T0 + i * 10 + j });
    }
    log.append(records(recs));
  }
  expect(log.segmentCount).toBeGreaterThan(10);
  return { dir, log };
}

const keyNames = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Every inactive segment of the log, as the main thread would list them in a job. */
function jobFor(log: Log, o: Partial<CleanJob> = {}): CleanJob {
  const list = log.segmentList;
  const segments: CleanJobSegment[] = [];
  for (let i = 0; i < list.length - 1; i++) {
    const s = list[i]!;
    segments.push({ baseOffset: s.baseOffset, size: s.size, nextBaseOffset: list[i + 1]!.baseOffset, offsetIndexEntries: s.offsetIndex.entries, timeIndexEntries: s.timeIndex.entries });
  }
  return {
    dir: list[0]!.dir,
    topic: 't',
    partition: 0,
    segments,
    firstDirtyOffset: 0,
    firstUncleanableOffset: list[list.length - 1]!.baseOffset,
    nowMs: NOW,
    segmentBytes: SEGMENT_BYTES * 3,
    maxIndexBytes: MAX_INDEX_BYTES,
    indexIntervalBytes: INDEX_INTERVAL,
    deleteRetentionMs: DELETE_RETENTION,
    maxMessageBytes: 1 << 20,
    retainBatchLastOffsets: [],
    mapSlots: 4096,
    mapLoadFactor: 0.9,
    ioMaxBytesPerSecond: Infinity,
    readBufferBytes: 64 * 1024,
    ...o,
  };
}

function cleanerEnv(fs: StorageFs = realFs, clock?: { now(): number; sleep(ms: number): Promise<void> }): CleanerEnv & { core: ModelCleanerCore } {
  return {
    fs,
    core: new ModelCleanerCore(newCore()),
    storageCore,
    now: clock ? () => clock.now() : () => Date.now(),
    sleep: clock ? (ms) => clock.sleep(ms) : (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

/** Real time plus the time slept, slept without waiting: a throttled cleaning's rate, measured instantly. */
function skippingClock(): { now(): number; sleep(ms: number): Promise<void>; slept: number } {
  const t0 = performance.now();
  const c = {
    slept: 0,
    now: () => performance.now() - t0 + c.slept,
    sleep: async (ms: number) => {
      c.slept += ms;
    },
  };
  return c;
}

const str = (b: Buffer | null): string | null => (b === null ? null : b.toString());

function readRecords(path: string): Rec[] {
  return decodeBatches(readFileSync(path)).map((r) => ({ offset: r.offset, timestamp: r.timestamp, key: str(r.key), value: str(r.value) }));
}

/** Every record of the job's segments, from their .log files. */
function oldRecords(job: CleanJob): Rec[] {
  return job.segments.flatMap((s) => readRecords(logPath(job.dir, s.baseOffset)));
}

/** What the rules keep of `all` (records of cleaned segments) with a map over [mapFrom, mapTo). */
function expectedKept(all: Rec[], mapFrom: number, mapTo: number): Rec[] {
  const map = new Map<string, number>();
  for (const r of all) if (r.key !== null && r.offset >= mapFrom && r.offset < mapTo) map.set(r.key, r.offset);
  return all.filter((r) => r.key !== null && (map.get(r.key) ?? -1) <= r.offset);
}

const logPath = (dir: string, base: number) => join(dir, `${String(base).padStart(20, '0')}.log`);
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
/** What a cleaning leaves beside the old segments: `.cleaned` and (after prepareSwap) `.swap` files. */
const cleanedFiles = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.cleaned') || n.endsWith('.swap'));

/**
 * Checks every group's files (valid batches, increasing offsets, indexes as a segment builds them, the
 * group-end file) and returns the records of all cleaned segments, oldest first.
 */
function checkCleanedSegments(job: CleanJob, result: CleanJobResult): Rec[] {
  const core = storageCore;
  const out: Rec[] = [];
  let prevEnd = job.segments[0]!.baseOffset;
  for (const g of result.groups) {
    const p = preparedSegmentPaths(job.dir, g.baseOffset);
    expect(g.baseOffset).toBe(g.oldBaseOffsets[0]);
    expect(g.baseOffset).toBe(prevEnd);
    prevEnd = g.endOffset;
    const bytes = new Uint8Array(readFileSync(p.log));
    expect(bytes.byteLength).toBe(g.size);
    const scan = core.scan(core.stage(bytes), 1 << 20);
    expect(scan.stop).toBe('end');
    expect(scan.validBytes).toBe(bytes.byteLength);
    let next = g.baseOffset;
    let maxTs = -1;
    for (const b of scan.batches) {
      expect(b.baseOffset).toBeGreaterThanOrEqual(next);
      next = b.lastOffset + 1;
      maxTs = Math.max(maxTs, b.maxTimestamp);
    }
    expect(next).toBeLessThanOrEqual(g.endOffset);
    const batchAt = new Map(scan.batches.map((b) => [b.position, b]));
    // Offset index: trimmed, sane, every entry a batch's last offset at that batch's position, sparse.
    expect(readFileSync(p.index).byteLength % 8).toBe(0);
    const oi = OffsetIndex.load(realFs, p.index, g.baseOffset, job.maxIndexBytes, core);
    expect(readFileSync(p.index).byteLength).toBe(oi.entries * 8);
    expect(oi.sanityCheck(g.size, g.endOffset)).toBeNull();
    for (let i = 0; i < oi.entries; i++) {
      const e = oi.entry(i);
      expect(batchAt.get(e.position)?.lastOffset).toBe(e.offset);
      if (i > 0) expect(e.position - oi.entry(i - 1).position).toBeGreaterThan(INDEX_INTERVAL);
    }
    if (g.size > 4 * INDEX_INTERVAL) expect(oi.entries).toBeGreaterThan(0);
    // Time index: trimmed, sane, its last entry the segment's max timestamp (the final entry on roll).
    const ti = TimeIndex.load(realFs, p.timeIndex, g.baseOffset, job.maxIndexBytes, core);
    expect(readFileSync(p.timeIndex).byteLength).toBe(ti.entries * 12);
    expect(ti.sanityCheck(g.endOffset)).toBeNull();
    if (scan.batches.length > 0) expect(ti.lastEntry()?.timestamp).toBe(maxTs);
    expect(readFileSync(p.groupEnd, 'utf8')).toBe(`${g.endOffset}\n`);
    checkHandedOverState(job, g, p);
    out.push(...readRecords(p.log));
  }
  return out;
}

function checkGroups(job: CleanJob, result: CleanJobResult): void {
  const cleaned = job.segments.filter((s) => s.baseOffset < result.cleanedUpTo);
  expect(result.groups.flatMap((g) => g.oldBaseOffsets)).toEqual(cleaned.map((s) => s.baseOffset));
  const byBase = new Map(job.segments.map((s) => [s.baseOffset, s]));
  result.groups.forEach((g, i) => {
    const segs = g.oldBaseOffsets.map((b) => byBase.get(b)!);
    const bytes = segs.reduce((n, s) => n + s.size, 0);
    if (segs.length > 1) expect(bytes).toBeLessThanOrEqual(job.segmentBytes);
    expect(g.endOffset).toBe(segs[segs.length - 1]!.nextBaseOffset);
    // Maximal: the next group's first segment did not fit this one.
    const next = result.groups[i + 1];
    if (next) expect(bytes + byBase.get(next.baseOffset)!.size).toBeGreaterThan(job.segmentBytes);
  });
}

describe('cleanLog', () => {
  for (const readBufferBytes of [64 * 1024, 200]) {
    it(`keeps exactly the latest record of each key, in valid, indexed segments grouped under segment.bytes (read buffer ${readBufferBytes})`, async () => {
      const { log } = buildLog(7, 300, keyNames('k', 30));
      const job = jobFor(log, { readBufferBytes });
      const before = job.segments.map((s) => sha(logPath(job.dir, s.baseOffset)));
      const all = oldRecords(job);
      const fs = new FailingFs();
      const env = cleanerEnv(fs);
      const result = await cleanLog(job, env);

      expect(result.cleanedUpTo).toBe(job.firstUncleanableOffset);
      checkGroups(job, result);
      expect(result.groups.length).toBeGreaterThan(1);
      expect(result.groups.some((g) => g.oldBaseOffsets.length > 1)).toBe(true);
      const kept = checkCleanedSegments(job, result);
      expect(kept).toEqual(expectedKept(all, 0, job.firstUncleanableOffset));
      // One record per key (tombstones stay: their horizon starts now), no keyless record.
      expect(new Set(kept.map((r) => r.key)).size).toBe(kept.length);
      expect(kept.some((r) => r.value === null)).toBe(true);
      // Batches keeping a tombstone carry the delete horizon: now + delete.retention.ms.
      for (const g of result.groups) {
        for (const b of rc.decodeBatches(readFileSync(preparedSegmentPaths(job.dir, g.baseOffset).log))) {
          if (!b.records.some((r) => r.value === null)) continue;
          expect(b.attributes & 0x40).toBe(0x40);
          expect(b.baseTimestamp).toBe(BigInt(NOW + DELETE_RETENTION));
        }
      }
      expect(result.stats.recordsRead).toBe(all.length);
      expect(result.stats.recordsKept).toBe(kept.length);
      expect(result.stats.mapKeys).toBe(new Set(all.filter((r) => r.key !== null).map((r) => r.key)).size);
      expect(result.stats.bytesWritten).toBe(result.groups.reduce((n, g) => n + g.size, 0));
      // Old segments untouched, their descriptors closed, nothing written but the four files per group.
      expect(job.segments.map((s) => sha(logPath(job.dir, s.baseOffset)))).toEqual(before);
      expect(fs.openFds).toBe(0);
      expect(cleanedFiles(job.dir).length).toBe(4 * result.groups.length);
      // A small read buffer: batches larger than it were read by growing the chunk to hold them.
      if (readBufferBytes < 1024) expect(env.core.largestRegion).toBeGreaterThan(readBufferBytes);
      else expect(env.core.largestRegion).toBeLessThanOrEqual(readBufferBytes);
      log.close();
    });
  }

  it('with a dirty section starting inside a segment, maps only the dirty records (clean-section keys stay)', async () => {
    const { log } = buildLog(11, 300, [...keyNames('a', 10), ...keyNames('b', 10)], keyNames('b', 10));
    const probe = jobFor(log);
    const all = oldRecords(probe);
    // The dirty section starts at a batch boundary just after the last record of an early-only key, inside
    // that record's segment: the batches before it there must not reach the map.
    const lastA = all.filter((r) => r.key?.startsWith('a')).at(-1)!;
    const seg = probe.segments.find((s) => s.baseOffset <= lastA.offset && lastA.offset < s.nextBaseOffset)!;
    const firstDirtyOffset = batchBaseOffsets(logPath(probe.dir, seg.baseOffset)).find((b) => b > lastA.offset)!;
    expect(firstDirtyOffset).toBeGreaterThan(seg.baseOffset);
    expect(seg.offsetIndexEntries).toBeGreaterThan(2);
    const job = jobFor(log, { firstDirtyOffset });
    const env = cleanerEnv();
    const result = await cleanLog(job, env);
    expect(env.core.firstOffsetPut).toBe(firstDirtyOffset);
    expect(result.cleanedUpTo).toBe(job.firstUncleanableOffset);
    checkGroups(job, result);
    const kept = checkCleanedSegments(job, result);
    expect(kept).toEqual(expectedKept(all, firstDirtyOffset, job.firstUncleanableOffset));
    // Keys only written before the dirty section are not in the map: every copy of them is kept.
    const aKept = kept.filter((r) => r.key?.startsWith('a'));
    expect(aKept.length).toBe(all.filter((r) => r.key?.startsWith('a')).length);
    expect(new Set(aKept.map((r) => r.key)).size).toBeLessThan(aKept.length);
    // Starting right after a batch the segment's offset index points at: that batch is not mapped either.
    const entry = OffsetIndex.load(realFs, logPath(probe.dir, seg.baseOffset).replace(/\.log$/, '.index'), seg.baseOffset, MAX_INDEX_BYTES, storageCore).entry(1);
    const afterEntry = jobFor(log, { firstDirtyOffset: entry.offset + 1 });
    const env2 = cleanerEnv();
    const result2 = await cleanLog(afterEntry, env2);
    expect(env2.core.firstOffsetPut).toBe(entry.offset + 1);
    expect(checkCleanedSegments(afterEntry, result2)).toEqual(expectedKept(all, entry.offset + 1, job.firstUncleanableOffset));
    log.close();
  });

  it('keeps the last batch of a live producer as an empty batch when none of its records survive', async () => {
    const { log } = buildLog(7, 300, keyNames('k', 30));
    const probe = jobFor(log);
    const first = await cleanLog(probe, cleanerEnv());
    const keptRecords = checkCleanedSegments(probe, first);
    const kept = new Set(keptRecords.map((r) => r.offset));
    // A batch of the old log none of whose records is kept.
    const oldBatches = probe.segments.flatMap((s) => rc.decodeBatches(readFileSync(logPath(probe.dir, s.baseOffset))).map((b) => ({ base: Number(b.baseOffset), last: Number(b.baseOffset) + b.lastOffsetDelta })));
    const dropped = oldBatches.filter((b) => ![...kept].some((o) => o >= b.base && o <= b.last));
    expect(dropped.length).toBeGreaterThan(1);
    const retained = dropped[Math.floor(dropped.length / 2)]!;
    const job = jobFor(log, { retainBatchLastOffsets: [retained.last] });
    const result = await cleanLog(job, cleanerEnv());
    const batches = result.groups.flatMap((g) => rc.decodeBatches(readFileSync(preparedSegmentPaths(job.dir, g.baseOffset).log)).map((b) => ({ base: Number(b.baseOffset), last: Number(b.baseOffset) + b.lastOffsetDelta, count: b.recordCount })));
    expect(batches.filter((b) => b.count === 0)).toEqual([{ base: retained.base, last: retained.last, count: 0 }]);
    expect(checkCleanedSegments(job, result)).toEqual(keptRecords);
    log.close();
  });

  it('cleans only as far as a full offset map reaches', async () => {
    const { log } = buildLog(3, 300, keyNames('k', 30));
    const job = jobFor(log, { mapSlots: 12, mapLoadFactor: 0.75 });
    const all = oldRecords(job);
    const env = cleanerEnv();
    const result = await cleanLog(job, env);
    const upTo = result.cleanedUpTo;
    expect(upTo).toBeGreaterThan(0);
    expect(upTo).toBeLessThan(job.firstUncleanableOffset);
    expect(result.stats.mapKeys).toBeLessThanOrEqual(9);
    // The map stopped at a batch boundary, before the first batch that could take it past its limit.
    const bases = job.segments.flatMap((s) => batchBaseOffsets(logPath(job.dir, s.baseOffset)));
    expect(bases).toContain(upTo);
    const distinct = new Set(all.filter((r) => r.offset < upTo && r.key !== null).map((r) => r.key)).size;
    const nextBatchRecords = all.filter((r) => r.offset >= upTo && r.offset < bases[bases.indexOf(upTo) + 1]!).length;
    expect(distinct + nextBatchRecords).toBeGreaterThan(9);
    // Only segments starting below the map's end are rewritten; their records past it are all kept.
    checkGroups(job, result);
    const lastGroupEnd = result.groups[result.groups.length - 1]!.endOffset;
    expect(lastGroupEnd).toBeGreaterThanOrEqual(upTo);
    expect(job.segments.some((s) => s.baseOffset >= lastGroupEnd)).toBe(true);
    const kept = checkCleanedSegments(job, result);
    const inGroups = all.filter((r) => r.offset < lastGroupEnd);
    expect(kept).toEqual(expectedKept(inGroups, 0, upTo));
    expect(kept.filter((r) => r.offset >= upTo)).toEqual(inGroups.filter((r) => r.offset >= upTo && r.key !== null));
    log.close();
  });

  it('fails when the offset map cannot hold the first dirty batch, leaving nothing behind', async () => {
    const { log } = buildLog(5, 300, keyNames('k', 30));
    const job = jobFor(log, { mapSlots: 2, mapLoadFactor: 0.5 });
    await expect(cleanLog(job, cleanerEnv())).rejects.toThrow(/offset map/);
    expect(cleanedFiles(job.dir)).toEqual([]);
    log.close();
  });

  it('throttles reads and writes to log.cleaner.io.max.bytes.per.second', async () => {
    const { log } = buildLog(9, 300, keyNames('k', 30));
    const rate = 100_000;
    const clock = skippingClock();
    const job = jobFor(log, { ioMaxBytesPerSecond: rate, readBufferBytes: 4096 });
    const result = await cleanLog(job, cleanerEnv(realFs, clock));
    const io = result.stats.bytesRead + result.stats.bytesWritten;
    expect(io).toBeGreaterThan(rate); // more than a second's worth
    const atRateMs = (io / rate) * 1000;
    // At most one window's worth of bytes goes unthrottled at the end.
    expect(result.stats.elapsedMs).toBeGreaterThanOrEqual(atRateMs - THROTTLE_WINDOW_MS - 50);
    expect(result.stats.elapsedMs).toBeLessThanOrEqual(atRateMs * 1.1 + 200);
    expect(clock.slept).toBeGreaterThan(atRateMs * 0.5);
    // Unlimited: no sleeping at all.
    const free = skippingClock();
    await cleanLog(jobFor(log), cleanerEnv(realFs, free));
    expect(free.slept).toBe(0);
    log.close();
  });

  it('a new rate from env.onIoRate (the dynamic log.cleaner.io.max.bytes.per.second) throttles the running cleaning', async () => {
    const { log } = buildLog(9, 300, keyNames('k', 30));
    const clock = skippingClock();
    let listener: ((r: number) => void) | null = null;
    let sleeps = 0;
    const env = {
      ...cleanerEnv(realFs, clock),
      // The first throttle sleep is where the rate drops a hundredfold.
      sleep: async (ms: number) => {
        if (sleeps++ === 0) listener?.(1_000);
        await clock.sleep(ms);
      },
      onIoRate: (l: (r: number) => void) => {
        listener = l;
        return () => {
          listener = null;
        };
      },
    };
    const result = await cleanLog(jobFor(log, { ioMaxBytesPerSecond: 100_000, readBufferBytes: 4096 }), env);
    const io = result.stats.bytesRead + result.stats.bytesWritten;
    // Far slower than the job's own rate allows: most of the bytes went at the new one.
    expect(result.stats.elapsedMs).toBeGreaterThan(((io / 100_000) * 1000) * 10);
    expect(listener).toBe(null); // detached when the cleaning ended
    log.close();
  });

  it('a failure mid-way (ENOSPC, EIO on a sync of any group or on a rename to .swap) removes every .cleaned and .swap file and closes every descriptor', async () => {
    const { log } = buildLog(13, 300, keyNames('k', 30));
    const job = jobFor(log);
    const counting = new FailingFs();
    const ok = await cleanLog(job, cleanerEnv(counting));
    expect(ok.groups.length).toBeGreaterThan(2);
    const writes = counting.cleanedWrites;
    for (const n of distinctPositive([1, Math.floor(writes / 2), writes - 1, writes])) {
      for (const p of cleanedFiles(job.dir)) realFs.unlinkSync(join(job.dir, p));
      const fs = new FailingFs({ op: 'write', at: n, code: 'ENOSPC' });
      await expect(cleanLog(job, cleanerEnv(fs))).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(fs.fired).toBe(true);
      expect(cleanedFiles(job.dir)).toEqual([]);
      expect(fs.openFds).toBe(0);
    }
    // The first group's sync fails while the next group is being cleaned; the last group's at the end.
    for (const at of [1, 2, ok.groups.length]) {
      const fs = new FailingFs({ op: 'fdatasync', at, code: 'EIO' });
      await expect(cleanLog(job, cleanerEnv(fs))).rejects.toMatchObject({ code: 'EIO' });
      expect(fs.fired).toBe(true);
      expect(cleanedFiles(job.dir)).toEqual([]);
      expect(fs.openFds).toBe(0);
    }
    // The renames to `.swap` at the end (prepareSwap): a failure at any of them leaves nothing either.
    const renames = counting.swapRenames;
    expect(renames).toBe(3 * ok.groups.length);
    for (let n = 1; n <= renames; n++) {
      const rfs = new FailingFs({ op: 'rename', at: n, code: 'EIO' });
      await expect(cleanLog(job, cleanerEnv(rfs))).rejects.toMatchObject({ code: 'EIO' });
      expect(rfs.fired).toBe(true);
      expect(cleanedFiles(job.dir)).toEqual([]);
      expect(rfs.openFds).toBe(0);
    }
    log.close();
  });
});

describe('groupSegmentsBySize', () => {
  const seg = (baseOffset: number, nextBaseOffset: number, size: number, entries = 0): CleanJobSegment => ({ baseOffset, nextBaseOffset, size, offsetIndexEntries: entries, timeIndexEntries: entries });

  it('groups adjacent segments while bytes, index entries and the int32 offset range fit', () => {
    const bases = (groups: CleanJobSegment[][]) => groups.map((g) => g.map((s) => s.baseOffset));
    const segs = [seg(0, 10, 400), seg(10, 20, 400), seg(20, 30, 300), seg(30, 40, 900), seg(40, 50, 0)];
    expect(bases(groupSegmentsBySize(segs, 1000, 1 << 20))).toEqual([[0, 10], [20], [30, 40]]);
    // Index entries: the 12-byte time entries bound first (5 × 12 = 60 > 40, while 5 × 8 = 40 fits).
    const idx = [seg(0, 10, 1, 2), seg(10, 20, 1, 1), seg(20, 30, 1, 2)];
    expect(bases(groupSegmentsBySize(idx, 1000, 40))).toEqual([[0, 10], [20]]);
    // Offsets more than an int32 past the group's base start a new group; an empty segment adds none.
    const far = [seg(0, 2 ** 31 - 1, 10), seg(2 ** 31 - 1, 2 ** 31 + 5, 10), seg(2 ** 31 + 5, 2 ** 31 + 9, 0)];
    expect(bases(groupSegmentsBySize(far, 1000, 1000))).toEqual([[0], [2 ** 31 - 1, 2 ** 31 + 5]]);
    const fits = [seg(0, 100, 10), seg(100, 2 ** 31, 10)];
    expect(bases(groupSegmentsBySize(fits, 1000, 1000))).toEqual([[0, 100]]);
  });
});

/**
 * The state a cleaning hands over with a group (what the swap opens the segment from, LogSegment.openCleaned)
 * is what opening the segment from its files gives (LogSegment.openInactive, as recovery reads it).
 */
function checkHandedOverState(job: CleanJob, g: CleanedGroup, p: ReturnType<typeof preparedSegmentPaths>): void {
  const state = g.state!;
  expect(state).toBeDefined();
  expect(Buffer.from(state.offsetIndex).equals(readFileSync(p.index))).toBe(true);
  expect(Buffer.from(state.timeIndex).equals(readFileSync(p.timeIndex))).toBe(true);
  const dir = tempDir();
  const stem = join(dir, String(g.baseOffset).padStart(20, '0'));
  copyFileSync(p.log, stem + '.log');
  copyFileSync(p.index, stem + '.index');
  copyFileSync(p.timeIndex, stem + '.timeindex');
  const o = { fs: realFs, core: storageCore, maxIndexBytes: job.maxIndexBytes, indexIntervalBytes: job.indexIntervalBytes };
  const fromFiles = LogSegment.openInactive(dir, g.baseOffset, o, 0, job.maxMessageBytes);
  const handed = LogSegment.openCleaned(dir, g.baseOffset, o, 0, g.size, { ...state, offsetIndex: state.offsetIndex.slice(), timeIndex: state.timeIndex.slice() })!;
  expect(handed).not.toBeNull();
  const view = (s: LogSegment) => ({
    size: s.size,
    nextOffset: s.nextOffset,
    maxTimestampSoFar: s.maxTimestampSoFar,
    offsetOfMaxTimestampSoFar: s.offsetOfMaxTimestampSoFar,
    rollingBasedTimestamp: s.rollingBasedTimestamp,
    bytesSinceLastIndexEntry: (s as unknown as { bytesSinceLastIndexEntry: number }).bytesSinceLastIndexEntry,
    offsetIndex: Buffer.from(s.offsetIndex.entryBytes()).toString('hex'),
    timeIndex: Buffer.from(s.timeIndex.entryBytes()).toString('hex'),
  });
  expect(view(handed)).toEqual(view(fromFiles));
  // Nothing was written to the files: they stay what the cleaning wrote.
  expect(readFileSync(stem + '.index').equals(readFileSync(p.index))).toBe(true);
  expect(readFileSync(stem + '.timeindex').equals(readFileSync(p.timeIndex))).toBe(true);
  handed.close();
  fromFiles.close();
  // A size that is not the file's, or index entries that are not whole: opened from the files instead.
  expect(LogSegment.openCleaned(dir, g.baseOffset, o, 0, g.size + 1, state)).toBeNull();
  expect(LogSegment.openCleaned(dir, g.baseOffset, o, 0, g.size, { ...state, offsetIndex: new Uint8Array(state.offsetIndex.byteLength + 3) })).toBeNull();
}

/** Base offsets of the batches of a .log file, in order. */
function batchBaseOffsets(path: string): number[] {
  const b = readFileSync(path);
  const out: number[] = [];
  for (let pos = 0; pos + 61 <= b.byteLength; pos += b.readInt32BE(pos + 8) + 12) out.push(Number(b.readBigInt64BE(pos)));
  return out;
}

const distinctPositive = (ns: number[]) => [...new Set(ns)].filter((n) => n >= 1);

/**
 * Counts open descriptors, writes to `.cleaned` files and renames to `.swap`, and fails the n-th write (or
 * fdatasync) of a `.cleaned` file or the n-th rename to `.swap` with an errno code.
 */
class FailingFs extends ForwardingFs {
  cleanedWrites = 0;
  swapRenames = 0;
  private syncs = 0;
  fired = false;
  constructor(private readonly fail?: { op: 'write' | 'fdatasync' | 'rename'; at: number; code: string }) {
    super(realFs);
  }
  get openFds(): number {
    return this.paths.size;
  }
  private maybeFail(op: 'write' | 'fdatasync', fd: number): void {
    if (!this.paths.get(fd)?.endsWith('.cleaned')) return;
    const n = op === 'write' ? ++this.cleanedWrites : ++this.syncs;
    if (this.fail?.op === op && this.fail.at === n) {
      this.fired = true;
      throw Object.assign(new Error(`${this.fail.code}: injected`), { code: this.fail.code });
    }
  }
  override writeSync(fd: number, data: Uint8Array, offset?: number, length?: number, position?: number | null): number {
    this.maybeFail('write', fd);
    return super.writeSync(fd, data, offset, length, position);
  }
  override fdatasyncSync(fd: number): void {
    this.maybeFail('fdatasync', fd);
    super.fdatasyncSync(fd);
  }
  override fdatasync(fd: number): Promise<void> {
    try {
      this.maybeFail('fdatasync', fd);
    } catch (e) {
      return Promise.reject(e);
    }
    return super.fdatasync(fd);
  }
  override renameSync(from: string, to: string): void {
    if (to.endsWith('.swap') && ++this.swapRenames === this.fail?.at && this.fail.op === 'rename') {
      this.fired = true;
      throw Object.assign(new Error(`${this.fail.code}: injected`), { code: this.fail.code });
    }
    super.renameSync(from, to);
  }
}
