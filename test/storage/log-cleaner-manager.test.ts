// The cleaner manager: the selection math (cleanable.ts) by tables, then the whole loop inside a LogManager
// with the test runner (which drops batches with even last offsets): the dirty ratio and max lag triggers,
// min lag, the checkpoint across a restart, the thread limit, and cleanings abandoned by a deletion or a
// truncation.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanableOf, firstDirtyOffsetOf, pickFilthiest, type Cleanable, type CleanableInput, type SegmentStats } from '../../storage/cleaner/cleanable.js';
import { CLEANER_OFFSET_CHECKPOINT } from '../../storage/cleaner/cleaner-checkpoint.js';
import { offsetMapSlots } from '../../storage/cleaner/log-cleaner-manager.js';
import type { CleanJob } from '../../storage/cleaner/clean-job.js';
import type { StorageConfig } from '../../storage/config.js';
import type { Log } from '../../storage/log.js';
import { LogManager } from '../../storage/log-manager.js';
import { realFs } from '../../host-node/storage/node-fs.js';
import { cleanupTempDirs, readAllValues, records, tempDir, testCore } from './helpers/env.js';
import { CopyingCleanerRunner } from './support/copying-cleaner-runner.js';

afterEach(cleanupTempDirs);

const T0 = 1_700_000_000_000;

describe('cleanable.ts', () => {
  const seg = (baseOffset: number, size = 100, largestTimestamp = T0, firstBatchTimestamp = T0): SegmentStats => ({ baseOffset, size, largestTimestamp, firstBatchTimestamp });
  // Five segments of 100 bytes at 0, 10, 20, 30 and the active one at 40; the log ends at 45.
  const segments = [seg(0), seg(10), seg(20), seg(30), seg(40, 50)];
  const base: CleanableInput = { segments, logStartOffset: 0, logEndOffset: 45, highWatermark: 45, checkpoint: undefined, nowMs: T0 + 1000, minCompactionLagMs: 0, maxCompactionLagMs: Number.MAX_SAFE_INTEGER, minCleanableRatio: 0.5 };
  const cases: { name: string; input: Partial<CleanableInput>; want: Partial<Cleanable> }[] = [
    { name: 'no checkpoint: everything inactive is dirty', input: {}, want: { firstDirtyOffset: 0, firstUncleanableOffset: 40, cleanableEnd: 4, cleanBytes: 0, cleanableBytes: 400, dirtyRatio: 1, ready: true } },
    { name: 'checkpoint at a boundary, ratio exactly the minimum', input: { checkpoint: 20 }, want: { firstDirtyOffset: 20, cleanBytes: 200, cleanableBytes: 200, dirtyRatio: 0.5, ready: true } },
    { name: 'ratio below the minimum', input: { checkpoint: 20, minCleanableRatio: 0.6 }, want: { dirtyRatio: 0.5, ready: false } },
    { name: 'checkpoint inside a segment counts that segment dirty', input: { checkpoint: 25 }, want: { firstDirtyOffset: 25, cleanBytes: 200, cleanableBytes: 200 } },
    { name: 'checkpoint below the log start', input: { checkpoint: 5, logStartOffset: 12 }, want: { firstDirtyOffset: 12, cleanBytes: 100, cleanableBytes: 300 } },
    { name: 'checkpoint past the log end (a truncation)', input: { checkpoint: 90 }, want: { firstDirtyOffset: 0, cleanableBytes: 400 } },
    { name: 'nothing dirty', input: { checkpoint: 40 }, want: { cleanableBytes: 0, dirtyRatio: 0, ready: false } },
    { name: 'high watermark inside a segment: rounded down', input: { highWatermark: 27 }, want: { firstUncleanableOffset: 20, cleanableEnd: 2, cleanableBytes: 200 } },
    { name: 'high watermark at the log start', input: { highWatermark: 0 }, want: { firstUncleanableOffset: 0, cleanableBytes: 0, ready: false } },
    {
      name: 'min lag: the first segment with a newer record ends the cleanable part',
      input: { segments: [seg(0), seg(10), seg(20, 100, T0 + 900), seg(30), seg(40, 50)], minCompactionLagMs: 500 },
      want: { firstUncleanableOffset: 20, cleanableBytes: 200 },
    },
    { name: 'min lag: every segment too new', input: { minCompactionLagMs: 5000 }, want: { firstUncleanableOffset: 0, ready: false } },
    { name: 'max lag due: ready whatever the ratio', input: { checkpoint: 30, minCleanableRatio: 0.9, maxCompactionLagMs: 500 }, want: { dirtyRatio: 0.25, maxLagDue: true, ready: true } },
    { name: 'max lag not yet due', input: { checkpoint: 30, minCleanableRatio: 0.9, maxCompactionLagMs: 5000 }, want: { maxLagDue: false, ready: false } },
    { name: 'max lag with nothing cleanable', input: { checkpoint: 40, maxCompactionLagMs: 1 }, want: { ready: false } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(cleanableOf({ ...base, ...c.input })).toMatchObject(c.want);
    });
  }

  it('firstDirtyOffsetOf clamps to the log', () => {
    expect([firstDirtyOffsetOf(undefined, 3, 9), firstDirtyOffsetOf(5, 3, 9), firstDirtyOffsetOf(2, 3, 9), firstDirtyOffsetOf(10, 3, 9), firstDirtyOffsetOf(9, 3, 9)]).toEqual([3, 5, 3, 3, 9]);
  });

  it('picks the filthiest ready log not being cleaned', () => {
    const c = (key: string, dirtyRatio: number, ready = true) => ({ key, cleanable: { ...cleanableOf(base), dirtyRatio, ready } });
    const list = [c('a', 0.6), c('b', 0.9), c('c', 0.95, false), c('d', 0.9)];
    expect(pickFilthiest(list, new Set())!.key).toBe('b');
    expect(pickFilthiest(list, new Set(['b']))!.key).toBe('d');
    expect(pickFilthiest(list, new Set(['a', 'b', 'd']))).toBeNull();
  });
});

describe('offsetMapSlots', () => {
  it('is the thread\'s share of the dedupe buffer, capped to twice what the dirty offsets could fill, and never fills before the dirty section ends', () => {
    const share = Math.floor(134_217_728 / 24);
    expect(offsetMapSlots(134_217_728, 1, 0.9, 100_000_000)).toBe(share);
    expect(offsetMapSlots(134_217_728, 4, 0.9, 100_000_000)).toBe(Math.floor(share / 4));
    expect(offsetMapSlots(134_217_728, 1, 0.9, 65_000)).toBe(2 * (Math.ceil(65_000 / 0.9) + 1));
    expect(offsetMapSlots(134_217_728, 1, 0.9, 0)).toBe(2);
    for (const lf of [0.01, 0.5, 0.75, 0.9, 1]) {
      for (const n of [0, 1, 7, 30, 999, 65_537, 10_000_000]) {
        const slots = offsetMapSlots(2 ** 50, 1, lf, n);
        // The map takes keys up to floor(slots × load factor) (WasmCleanerCore.mapReset): every offset's key fits.
        expect(Math.floor(slots * lf)).toBeGreaterThanOrEqual(n);
      }
    }
  });
});

describe('LogCleanerManager in a LogManager', () => {
  interface Setup {
    dir: string;
    m: LogManager;
    runner: CopyingCleanerRunner;
    clock: { now: number };
  }
  function setup(o: { dir?: string; config?: Partial<StorageConfig>; gate?: (job: CleanJob) => Promise<void>; scheduler?: boolean; clock?: { now: number } } = {}): Setup {
    const dir = o.dir ?? tempDir();
    const clock = o.clock ?? { now: T0 + 1000 };
    const runner = new CopyingCleanerRunner({ core: testCore(), gate: o.gate });
    const m = new LogManager({
      config: { 'log.dirs': [dir], 'log.segment.bytes': 360, 'log.index.interval.bytes': 64, 'log.segment.delete.delay.ms': 0, 'log.cleaner.backoff.ms': 20, ...o.config },
      core: testCore(),
      fs: realFs,
      now: () => clock.now,
      cleanerRunner: runner,
      scheduler: o.scheduler ?? false,
    });
    return { dir, m, runner, clock };
  }
  const compacted = { 'cleanup.policy': ['compact'] };
  /** n batches of one record each, all with timestamp `ts`. */
  function fill(log: Log, n: number, ts = T0, tag = 'v'): void {
    for (let i = 0; i < n; i++) log.append(records([{ key: Buffer.from(`${tag}${i}`), value: Buffer.from(`${tag}${i}-0`), timestamp: ts }]));
  }
  /** A gate the test opens: cleanings wait at it. */
  function gate(): { wait: (job: CleanJob) => Promise<void>; open: () => void; entered: Promise<void> } {
    let open!: () => void;
    let entered!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    const enteredP = new Promise<void>((r) => (entered = r));
    return {
      wait: async () => {
        entered();
        await opened;
      },
      open,
      entered: enteredP,
    };
  }
  const stray = (dir: string) => readdirSync(dir).filter((n) => /\.(cleaned|swap|deleted)$/.test(n) || n.includes('scratch'));

  it('cleans compacted logs once their dirty ratio is reached, writes the checkpoint and reads it back after a restart', async () => {
    const { dir, m, runner } = setup();
    const c = m.getOrCreateLog('c', 0, compacted);
    const d = m.getOrCreateLog('d', 0);
    fill(c, 40);
    fill(d, 40);
    const cleaner = m.cleaner!;
    expect(cleaner).not.toBeNull();
    const activeBase = c.segmentList.at(-1)!.baseOffset;
    const [o, ...rest] = await cleaner.cleanNow();
    expect(rest).toEqual([]);
    expect(o).toMatchObject({ topic: 'c', partition: 0, status: 'swapped', firstDirtyOffset: 0, firstUncleanableOffset: activeBase, cleanedUpTo: activeBase, dirtyRatio: 1 });
    expect(runner.jobs.map((j) => j.topic)).toEqual(['c']);
    expect(readAllValues(c).filter((r) => r.offset < activeBase).every((r) => r.offset % 2 === 1)).toBe(true);
    expect(readAllValues(d)).toHaveLength(40);
    const pdir = c.dir;
    expect(cleaner.checkpointedOffset(dir, 'c', 0)).toBe(activeBase);
    expect(cleaner.counters).toMatchObject({ cleanings: 1, failures: 0, abandoned: 0 });
    expect(cleaner.counters.bytesRead).toBeGreaterThan(cleaner.counters.bytesWritten);
    expect(cleaner.lastOutcome('c', 0)!.status).toBe('swapped');

    // A little more dirt: under the ratio (clean bytes dominate), so a pass does nothing.
    fill(c, 6, T0, 'w');
    c.roll();
    expect(cleaner.cleanableOf(c, dir).dirtyRatio).toBeLessThan(0.5);
    expect(await cleaner.cleanNow()).toEqual([]);
    // With a lower minimum it is ready: only the dirty section is new in the job.
    m.updateTopicConfig('c', { ...compacted, 'min.cleanable.dirty.ratio': 0.1 });
    const [o2] = await cleaner.cleanNow();
    expect(o2).toMatchObject({ status: 'swapped', firstDirtyOffset: activeBase });
    expect(runner.jobs[1]!.firstDirtyOffset).toBe(activeBase);
    const cp = cleaner.checkpointedOffset(dir, 'c', 0)!;
    expect(cp).toBe(c.segmentList.at(-1)!.baseOffset);
    const content = readAllValues(c);
    await m.shutdown();
    expect(runner.closed).toBe(true);
    expect(existsSync(join(dir, CLEANER_OFFSET_CHECKPOINT))).toBe(true);
    expect(stray(pdir)).toEqual([]);

    const again = setup({ dir, config: {} });
    expect(again.m.cleaner!.checkpointedOffset(dir, 'c', 0)).toBe(cp);
    const c2 = again.m.getLog('c', 0)!;
    again.m.updateTopicConfig('c', { ...compacted, 'min.cleanable.dirty.ratio': 0.1 });
    expect(readAllValues(c2)).toEqual(content);
    expect(await again.m.cleaner!.cleanNow()).toEqual([]);
    expect(again.runner.jobs).toEqual([]);
    await again.m.shutdown();
  });

  it('removes the producer snapshots of the segments a cleaning replaced, keeping those at segment bases', async () => {
    const { m } = setup();
    const c = m.getOrCreateLog('c', 0, compacted);
    for (let round = 0; round < 3; round++) {
      fill(c, 40, T0, `r${round}`);
      const rolledBases = c.segmentList.slice(1).map((s) => s.baseOffset);
      expect(c.producerSnapshotOffsets()).toEqual(expect.arrayContaining(rolledBases)); // one per roll
      const [o] = await m.cleaner!.cleanNow('c', 0);
      expect(o!.status).toBe('swapped');
      expect(o!.groups).toBeLessThan(rolledBases.length); // segments were merged: their bases went
      const bases = new Set(c.segmentList.map((s) => s.baseOffset));
      const active = c.segmentList.at(-1)!.baseOffset;
      expect(c.producerSnapshotOffsets().filter((s) => s < active && !bases.has(s))).toEqual([]);
    }
    await m.shutdown();
  });

  it('cleans a log whose oldest dirty record passed max.compaction.lag.ms, whatever its ratio', async () => {
    const { m, clock } = setup();
    const c = m.getOrCreateLog('c', 0, { ...compacted, 'min.cleanable.dirty.ratio': 0.99, 'max.compaction.lag.ms': 60_000 });
    fill(c, 30);
    await m.cleaner!.cleanNow('c', 0); // a first cleaning, so clean bytes exist
    fill(c, 8, T0 + 5_000, 'w');
    c.roll();
    expect(m.cleaner!.cleanableOf(c, c.dir.slice(0, c.dir.lastIndexOf('/'))).ready).toBe(false);
    expect(await m.cleaner!.cleanNow()).toEqual([]);
    clock.now = T0 + 5_000 + 60_001;
    const [o] = await m.cleaner!.cleanNow();
    expect(o!.status).toBe('swapped');
    expect(o!.dirtyRatio).toBeLessThan(0.99);
    await m.shutdown();
  });

  it('leaves records younger than min.compaction.lag.ms alone', async () => {
    const { m, runner, clock } = setup();
    const c = m.getOrCreateLog('c', 0, { ...compacted, 'min.compaction.lag.ms': 60_000 });
    fill(c, 20, T0);
    const firstNew = c.logEndOffset;
    c.roll();
    fill(c, 20, T0 + 50_000, 'n');
    clock.now = T0 + 70_000;
    const [o] = await m.cleaner!.cleanNow();
    expect(o!.status).toBe('swapped');
    expect(runner.jobs[0]!.firstUncleanableOffset).toBe(firstNew);
    expect(readAllValues(c).filter((r) => r.offset >= firstNew)).toHaveLength(20);
    // Once they are old enough, they go too.
    clock.now = T0 + 120_000;
    const [o2] = await m.cleaner!.cleanNow('c', 0);
    expect(o2!.status).toBe('swapped');
    expect(runner.jobs[1]!.firstUncleanableOffset).toBe(c.segmentList.at(-1)!.baseOffset);
    await m.shutdown();
  });

  it('builds jobs with the per-thread shares and never runs more than log.cleaner.threads, nor two of one log', async () => {
    const g = gate();
    const { m, runner } = setup({ config: { 'log.cleaner.threads': 2, 'log.cleaner.dedupe.buffer.size': 48_000, 'log.cleaner.io.buffer.size': 8_000_000, 'log.cleaner.io.max.bytes.per.second': 1000 }, gate: g.wait });
    for (const t of ['a', 'b', 'c']) fill(m.getOrCreateLog(t, 0, compacted), 30);
    const pass = m.cleaner!.cleanNow();
    await g.entered;
    expect(runner.jobs).toHaveLength(2);
    expect(m.cleaner!.isCleaning(runner.jobs[0]!.topic, 0)).toBe(true);
    // A second pass meanwhile starts nothing: both threads are busy.
    expect(await Promise.race([m.cleaner!.cleanNow(), new Promise((r) => setTimeout(() => r('busy'), 30))])).toEqual([]);
    const j0 = runner.jobs[0]!;
    // The thread's share of the buffer (48,000 / 2 threads / 24 bytes = 1000 slots) capped to what the dirty section could fill.
    expect(j0).toMatchObject({ mapSlots: offsetMapSlots(48_000, 2, 0.9, j0.firstUncleanableOffset), mapLoadFactor: 0.9, ioMaxBytesPerSecond: 500, readBufferBytes: 2_000_000, firstDirtyOffset: 0 });
    expect(j0.mapSlots).toBeLessThan(1000);
    expect(runner.jobs[0]!.segments.every((s, i, all) => i === 0 || all[i - 1]!.nextBaseOffset === s.baseOffset)).toBe(true);
    g.open();
    expect((await pass).map((o) => o.status)).toEqual(['swapped', 'swapped']);
    expect((await m.cleaner!.cleanNow()).map((o) => o.topic)).toHaveLength(1);
    expect(runner.jobs).toHaveLength(3);
    await m.shutdown();
  });

  it('keeps the last batch of each live producer (retainBatchLastOffsets) and sizes buffers from the defaults', async () => {
    const { m, runner } = setup();
    const c = m.getOrCreateLog('c', 0, compacted);
    fill(c, 30);
    // Producer 7's last batch is offset 4 (even: the test runner would drop it otherwise); an older one is not retained.
    const batches = [{ firstSeq: 0, lastSeq: 0, firstOffset: 2, lastOffset: 2, maxTimestamp: T0 }, { firstSeq: 1, lastSeq: 1, firstOffset: 4, lastOffset: 4, maxTimestamp: T0 }];
    c.producerState.load({ producerId: 7n, epoch: 0, lastWriteMs: T0, batches });
    const [o] = await m.cleaner!.cleanNow();
    expect(o!.status).toBe('swapped');
    expect(runner.jobs[0]).toMatchObject({ retainBatchLastOffsets: [4], mapSlots: offsetMapSlots(134217728, 1, 0.9, runner.jobs[0]!.firstUncleanableOffset - runner.jobs[0]!.firstDirtyOffset), readBufferBytes: 1048588 });
    const offsets = readAllValues(c).map((r) => r.offset);
    expect(offsets).toContain(4);
    expect(offsets).not.toContain(2);
    await m.shutdown();
  });

  it('abandons a cleaning of a log truncated or deleted meanwhile', async () => {
    let g = gate();
    const { dir, m } = setup({ gate: (job) => g.wait(job) });
    const c = m.getOrCreateLog('c', 0, compacted);
    fill(c, 30);
    // Truncated meanwhile: the swap is refused and the output removed.
    const pass = m.cleaner!.cleanNow('c', 0);
    await g.entered;
    c.truncateTo(c.logEndOffset - 2);
    g.open();
    expect((await pass)[0]!.status).toBe('abandoned');
    expect(stray(c.dir)).toEqual([]);
    expect(readAllValues(c)).toHaveLength(28);

    // A cleaning that completes gives the log a checkpoint entry.
    g = gate();
    g.open();
    expect((await m.cleaner!.cleanNow('c', 0))[0]!.status).toBe('swapped');
    const cp = m.cleaner!.checkpointedOffset(dir, 'c', 0)!;
    expect(cp).toBeGreaterThan(0);
    // A truncation below it brings it down (the records past it will be new).
    c.truncateTo(cp - 3);
    expect(m.cleaner!.checkpointedOffset(dir, 'c', 0)).toBe(c.logEndOffset);
    expect(c.logEndOffset).toBeLessThan(cp);

    // Deleted meanwhile: abandoned, the checkpoint entry dropped.
    fill(c, 10);
    c.roll();
    g = gate();
    const pass2 = m.cleaner!.cleanNow('c', 0);
    await g.entered;
    await m.deleteLog('c', 0);
    g.open();
    expect((await pass2)[0]!.status).toBe('abandoned');
    expect(m.cleaner!.checkpointedOffset(dir, 'c', 0)).toBeUndefined();
    expect(m.cleaner!.counters.abandoned).toBe(2);
    await m.shutdown();
    expect(readdirSync(dir).filter((n) => n.startsWith('c-'))).toEqual([]);
  });

  it('runs by itself with the scheduler and stops at shutdown', async () => {
    const { m, runner } = setup({ scheduler: true });
    const c = m.getOrCreateLog('c', 0, compacted);
    fill(c, 30);
    for (let i = 0; i < 200 && m.cleaner!.counters.cleanings === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(m.cleaner!.counters.cleanings).toBe(1);
    expect(runner.jobs).toHaveLength(1);
    await m.shutdown();
    expect(runner.closed).toBe(true);
  });
});
