// Swapping cleaned segments into a log (Log.replaceSegments) and completing or discarding an interrupted swap
// at the next start (recovery.ts). The cleaning is the test runner's: it drops every batch whose last offset
// is even, so the expected content of every group, before and after, is known exactly.
import { readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CleanJob, CleanJobResult } from '../../storage/cleaner/clean-job.js';
import { Log } from '../../storage/log.js';
import { applyRetention } from '../../storage/retention.js';
import type { LogSegment } from '../../storage/segment.js';
import type { StorageFs } from '../../storage/fs.js';
import { realFs } from '../../host-node/storage/node-fs.js';
import { batch, cleanupTempDirs, config, decodeBatches, readAllValues, tempDir, testCore } from './helpers/env.js';
import { CopyingCleanerRunner, jobForSegments } from './support/copying-cleaner-runner.js';
import { CrashAfterFs } from './support/crash-after-fs.js';

afterEach(cleanupTempDirs);

interface Rec {
  offset: number;
  value: string;
  batchLast: number;
}

const LOG_CONFIG = { 'segment.bytes': 360, 'index.interval.bytes': 64 };

function openTestLog(dir: string, o: { fs?: StorageFs; deleted?: LogSegment[]; clean?: boolean; recoveryPoint?: number } = {}): Log {
  const deleted = o.deleted;
  return new Log({
    topic: 't',
    partition: 0,
    dir,
    config: config(LOG_CONFIG),
    fs: o.fs ?? realFs,
    core: testCore(),
    clean: o.clean ?? true,
    recoveryPoint: o.recoveryPoint ?? 0,
    logStartOffset: 0,
    retryBackoffMs: 0,
    // As the manager does: old segments stay open (readable by fetches holding their ranges) until removed.
    onSegmentsDeleted: deleted ? (_l, segs) => deleted.push(...segs) : undefined,
  });
}

/** Appends `n` batches, batch i holding (i % 3) + 1 records `b<i>-<j>`. */
function fill(log: Log, n: number, from = 0): Rec[] {
  const out: Rec[] = [];
  for (let i = from; i < from + n; i++) {
    const info = log.append(batch(`b${i}`, (i % 3) + 1));
    for (let j = 0; j <= info.lastOffset - info.firstOffset; j++) out.push({ offset: info.firstOffset + j, value: `b${i}-${j}`, batchLast: info.lastOffset });
  }
  return out;
}

/** What the log holds after a swap of `groups`: in a group only batches with odd last offsets. */
function afterSwap(recs: readonly Rec[], groups: readonly { baseOffset: number; endOffset: number }[]): Rec[] {
  return recs.filter((r) => !groups.some((g) => r.offset >= g.baseOffset && r.offset < g.endOffset) || r.batchLast % 2 === 1);
}

function values(log: Log): { offset: number; value: string }[] {
  return readAllValues(log);
}
const plain = (recs: readonly Rec[]) => recs.map((r) => ({ offset: r.offset, value: r.value }));

async function cleanedResult(log: Log, segments: number, maxSegmentsPerGroup = 2): Promise<{ job: CleanJob; result: CleanJobResult; generation: number }> {
  const job = jobForSegments(log, segments);
  const generation = log.generation;
  const result = await new CopyingCleanerRunner({ core: testCore(), maxSegmentsPerGroup }).run(job);
  return { job, result, generation };
}

const leftovers = (dir: string) => readdirSync(dir).filter((n) => /\.(cleaned|swap|deleted)$/.test(n) || n.includes('groupend') || n.includes('scratch'));

describe('Log.replaceSegments', () => {
  it('swaps cleaned groups in: every offset reads the kept batches, offsets unchanged, gaps skipped', async () => {
    const dir = tempDir();
    const deleted: LogSegment[] = [];
    const log = openTestLog(dir, { deleted });
    const recs = fill(log, 40);
    expect(log.segmentCount).toBeGreaterThan(7);
    const hw = log.highWatermark;
    const before = log.read(0, 1 << 20, 'log_end').records!;
    const beforeBytes = before.read();
    const { job, result, generation } = await cleanedResult(log, 6);
    expect(result.groups.length).toBe(3);
    expect(result.groups.every((g) => g.oldBaseOffsets.length === 2)).toBe(true);

    expect(log.replaceSegments(result, job, generation)).toBe(true);
    await log.whenSwapSynced();
    const expected = afterSwap(recs, result.groups);
    expect(expected.length).toBeLessThan(recs.length);
    expect(values(log)).toEqual(plain(expected));
    expect(log.segmentBaseOffsets().slice(0, 3)).toEqual(result.groups.map((g) => g.baseOffset));
    expect(log.highWatermark).toBe(hw);
    expect(log.logEndOffset).toBe(hw);

    // A read at every offset starts with the batch holding the first kept record at or after it.
    for (let o = 0; o < log.logEndOffset; o++) {
      const got = decodeBatches(log.readBytes(o, 1 << 20, 'high_watermark')!);
      const want = expected.filter((r) => r.offset >= o);
      const from = got.filter((r) => r.offset >= o).map((r) => ({ offset: r.offset, value: r.value!.toString() }));
      expect(from.length).toBeGreaterThan(0);
      expect(from).toEqual(plain(want.slice(0, from.length)));
      // Whole batches: whatever precedes `o` in the first batch is kept content too.
      for (const r of got) expect(expected.some((e) => e.offset === r.offset && e.value === r.value!.toString())).toBe(true);
    }

    // A fetch that took its range before the swap still reads the old bytes.
    expect(deleted.length).toBe(6);
    expect(Buffer.from(before.read()).equals(Buffer.from(beforeBytes))).toBe(true);
    expect(decodeBatches(before.read()).map((r) => r.offset)).toEqual(recs.filter((r) => r.offset < decodeBatches(beforeBytes).length).map((r) => r.offset));

    // Appends, the high watermark and a restart go on as before.
    const more = fill(log, 5, 40);
    expect(log.highWatermark).toBe(log.logEndOffset);
    expect(values(log)).toEqual(plain([...expected, ...more]));
    for (const s of deleted) s.close();
    log.close();
    const reopened = openTestLog(dir);
    expect(values(reopened)).toEqual(plain([...expected, ...more]));
    reopened.close();
    // The reopen removed the old segments' `.deleted` files as leftovers.
    expect(leftovers(dir)).toEqual([]);
  });

  it('reads past a group cleaned down to nothing (an empty segment), before and after a restart', async () => {
    const dir = tempDir();
    const log = openTestLog(dir, { deleted: [] });
    const recs = fill(log, 30);
    const job = jobForSegments(log, 4);
    const end = job.segments[1]!.nextBaseOffset;
    // The first group (two segments) keeps nothing; the second keeps everything.
    const runner = new CopyingCleanerRunner({ core: testCore(), keep: (b) => b.baseOffset >= end });
    const result = await runner.run(job);
    expect(result.groups[0]!.size).toBe(0);
    expect(log.replaceSegments(result, job, log.generation)).toBe(true);
    expect(log.segmentList[0]!.isEmpty).toBe(true);
    const expected = plain(recs.filter((r) => r.offset >= end));
    for (const isolation of ['high_watermark', 'log_end'] as const) {
      for (let o = 0; o <= end; o++) {
        const got = decodeBatches(log.readBytes(o, 1 << 20, isolation)!);
        expect(got[0]!.offset).toBe(end);
      }
    }
    expect(values(log)).toEqual(expected);
    log.close();
    for (const clean of [true, false]) {
      const reopened = openTestLog(dir, { clean });
      expect(reopened.segmentList[0]!.isEmpty).toBe(true);
      expect(values(reopened)).toEqual(expected);
      reopened.close();
    }
    // Time retention is not held up by it: it goes, and the old segments after it with it.
    const r = openTestLog(dir);
    r.updateConfig({ ...r.config, 'cleanup.policy': ['compact', 'delete'], 'retention.ms': 1000 });
    const gone = applyRetention(r, Date.now());
    expect(gone.deletedSegments).toBeGreaterThan(1);
    expect(r.segmentCount).toBe(1);
    r.close();
  });

  it('is refused, and the cleaned files removed, after a truncation, retention or close', async () => {
    const dir = tempDir();
    const log = openTestLog(dir);
    const recs = fill(log, 30);
    // Truncation inside the active segment: the old segments are untouched, but the generation moved.
    const a = await cleanedResult(log, 3);
    expect(log.truncateTo(log.logEndOffset - 1)).toBe(true);
    const kept = recs.filter((r) => r.offset < log.logEndOffset);
    expect(log.replaceSegments(a.result, a.job, a.generation)).toBe(false);
    expect(leftovers(dir)).toEqual([]);
    expect(values(log)).toEqual(plain(kept));

    // Retention took the first segment meanwhile.
    const b = await cleanedResult(log, 3);
    log.deleteOldSegments((_s, next) => next !== null && next.baseOffset <= log.segmentList[1]!.baseOffset);
    expect(log.replaceSegments(b.result, b.job, b.generation)).toBe(false);
    expect(leftovers(dir)).toEqual([]);

    // A high watermark back below a group (replicated mode) refuses too.
    const c = await cleanedResult(log, 3);
    log.setHighWatermarkMode('replicated', c.job.segments[0]!.baseOffset + 1);
    expect(log.replaceSegments(c.result, c.job, c.generation)).toBe(false);
    expect(leftovers(dir)).toEqual([]);
    log.setHighWatermarkMode('durable');

    const d = await cleanedResult(log, 3);
    log.close();
    expect(log.replaceSegments(d.result, d.job, d.generation)).toBe(false);
    expect(leftovers(dir)).toEqual([]);
  });

  it('moves a high watermark held at the end of a replaced segment onto the next one', async () => {
    const dir = tempDir();
    const log = openTestLog(dir);
    fill(log, 3);
    log.setHighWatermarkMode('replicated');
    const recs = fill(log, 30, 3);
    // The high watermark at the end of the segment active now, held as (that segment, its size); a roll
    // then makes that segment inactive and cleanable.
    const firstActive = log.segmentList.length - 1;
    const hwAt = log.logEndOffset;
    log.updateHighWatermark(hwAt);
    log.roll();
    const more = fill(log, 12, 33);
    const activeIdx = log.segmentList.findIndex((s) => s.baseOffset === hwAt);
    expect(activeIdx).toBe(firstActive + 1);
    const { job, result, generation } = await cleanedResult(log, activeIdx, 2);
    expect(result.groups.at(-1)!.endOffset).toBe(hwAt);
    expect(log.replaceSegments(result, job, generation)).toBe(true);
    expect(log.highWatermark).toBe(hwAt);
    const visible = readAllValues(log, log.logStartOffset, 'high_watermark');
    expect(visible.at(-1)!.offset).toBeLessThan(hwAt);
    expect(log.readBytes(hwAt, 1 << 20, 'high_watermark')).toBeNull();
    log.updateHighWatermark(log.logEndOffset);
    const all = readAllValues(log, log.logStartOffset, 'high_watermark');
    expect(all.filter((r) => r.offset >= hwAt)).toEqual(plain(more));
    expect(all.some((r) => r.offset === recs[0]!.offset)).toBe(recs[0]!.batchLast % 2 === 1);
    log.close();
  });
});

describe('an interrupted swap at the next start', () => {
  /** Builds a log of 40 batches over ~10 segments. */
  async function filled(fs: StorageFs): Promise<{ dir: string; log: Log; recs: Rec[] }> {
    const dir = tempDir();
    const log = openTestLog(dir, { fs, deleted: [] });
    const recs = fill(log, 40);
    await log.whenRolledFlushed();
    return { dir, log, recs };
  }
  /** A cleaning of the log's first 6 segments (3 groups of 2), written through `fs`. */
  async function cleaning(log: Log, fs: StorageFs): Promise<{ job: CleanJob; result: CleanJobResult; generation: number }> {
    const job = jobForSegments(log, 6);
    const generation = log.generation;
    const result = await new CopyingCleanerRunner({ core: testCore(), fs }).run(job);
    return { job, result, generation };
  }
  /** The log of `filled` and a cleaning of it. */
  async function prepared(fs: StorageFs): Promise<{ dir: string; log: Log; recs: Rec[]; job: CleanJob; result: CleanJobResult; generation: number }> {
    const f = await filled(fs);
    return { ...f, ...(await cleaning(f.log, realFs)) };
  }

  it('gives the old or the new content of every group after a crash at any step of the end of the cleaning or of the swap', async () => {
    // How many renames and fsyncs the end of a cleaning (its groupend and index files renamed `.swap`, the
    // directory fsynced: prepareSwap) and a whole swap take.
    const probe = new CrashAfterFs();
    const p = await filled(probe);
    const start = probe.steps;
    const c = await cleaning(p.log, probe);
    const prepareFrom = probe.log.findIndex((step, i) => i >= start && step.startsWith('rename') && step.includes('.groupend.cleaned'));
    expect(prepareFrom).toBeGreaterThan(start);
    const swapFrom = probe.steps;
    expect(p.log.replaceSegments(c.result, c.job, c.generation)).toBe(true);
    await p.log.whenSwapSynced();
    const total = probe.steps - start;
    p.log.closeAbruptly();
    // prepareSwap: 3 renames per group, then the directory fsync.
    expect(probe.log.slice(prepareFrom, swapFrom).map((step) => step.split(' ')[0])).toEqual([...Array<string>(9).fill('rename'), 'fsync']);
    // The swap on the log's thread: the 3 .log renames (the commit) and one fsync, then per group 2 × 3 old
    // segment renames and 4 to final names (groupend `.deleted`), and the directory fsync on the pool.
    expect(probe.steps - swapFrom).toBe(3 + 1 + 3 * (6 + 4) + 1);
    expect(probe.log.slice(swapFrom, swapFrom + 4).map((step) => step.split(' ')[0])).toEqual(['rename', 'rename', 'rename', 'fsync']);

    const outcomes = new Set<string>();
    // From the first rename of prepareSwap on (the cleaned files' own writes and syncs before it are the
    // same as a cleaning that fails: test/storage/cleaner.test.ts).
    for (let n = prepareFrom - start; n <= total; n++) {
      const fs = new CrashAfterFs();
      const { dir, log, recs } = await filled(fs);
      fs.limit = fs.steps + n;
      let swapped = false;
      const result = c.result;
      let r: Awaited<ReturnType<typeof cleaning>> | null = null;
      try {
        r = await cleaning(log, fs);
        swapped = log.replaceSegments(r.result, r.job, r.generation);
        await log.whenSwapSynced();
      } catch {
        /* the crash */
      }
      if (r !== null) expect(r.result.groups).toEqual(result.groups);
      const recoveryPoint = log.recoveryPoint;
      log.closeAbruptly();

      const reopened = openTestLog(dir, { clean: false, recoveryPoint });
      const got = values(reopened);
      const old = plain(recs);
      const cleaned = plain(afterSwap(recs, result.groups));
      const state = result.groups.map((g) => {
        const inGroup = (r: { offset: number }) => r.offset >= g.baseOffset && r.offset < g.endOffset;
        const have = got.filter(inGroup);
        if (JSON.stringify(have) === JSON.stringify(old.filter(inGroup))) return 'old';
        if (JSON.stringify(have) === JSON.stringify(cleaned.filter(inGroup))) return 'new';
        throw new Error(`crash after ${n} steps: group ${g.baseOffset}..${g.endOffset} is a mix: ${JSON.stringify(have)}`);
      });
      const end = result.groups.at(-1)!.endOffset;
      expect(got.filter((r) => r.offset >= end)).toEqual(old.filter((r) => r.offset >= end));
      if (swapped) expect(state.every((s) => s === 'new')).toBe(true);
      outcomes.add(state.join(','));
      expect(leftovers(dir)).toEqual([]);
      // The log takes appends again, and a clean restart reads the same.
      const info = reopened.append(batch('after', 1));
      expect(info.firstOffset).toBe(recs.at(-1)!.offset + 1);
      reopened.close();
      const again = openTestLog(dir);
      expect(values(again)).toEqual([...got, { offset: info.firstOffset, value: 'after-0' }]);
      again.close();
    }
    expect(outcomes.has('old,old,old')).toBe(true);
    expect(outcomes.has('new,new,new')).toBe(true);
  });

  it('completes a committed swap whose groupend rename never reached the disk, from the .cleaned groupend', async () => {
    const { dir, log, recs, result } = await prepared(realFs);
    log.closeAbruptly();
    const g = result.groups[0]!;
    const stem = join(dir, String(g.baseOffset).padStart(20, '0'));
    renameSync(stem + '.groupend.swap', stem + '.groupend.cleaned');
    renameSync(stem + '.timeindex.swap', stem + '.timeindex.cleaned');
    renameSync(stem + '.log.cleaned', stem + '.log.swap');
    const reopened = openTestLog(dir, { clean: false });
    expect(values(reopened)).toEqual(plain(afterSwap(recs, [g])));
    expect(leftovers(dir)).toEqual([]);
    reopened.close();
  });

  it('discards groupend and index .swap files without a .log.swap (a cleaning done, its swap not committed)', async () => {
    const { dir, log, recs, result } = await prepared(realFs);
    log.closeAbruptly();
    const names = readdirSync(dir);
    for (const g of result.groups) {
      const stem = String(g.baseOffset).padStart(20, '0');
      for (const kind of ['.groupend', '.index', '.timeindex']) expect(names).toContain(`${stem}${kind}.swap`);
      expect(names).toContain(`${stem}.log.cleaned`);
    }
    const reopened = openTestLog(dir, { clean: false });
    expect(values(reopened)).toEqual(plain(recs));
    expect(leftovers(dir)).toEqual([]);
    reopened.close();
  });
});
