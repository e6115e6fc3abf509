// The log cleaner end to end in storage (the WASM cleaner core, cleanLog, the swap, the manager, recovery),
// checked against a model over random workloads: keys overwritten and tombstoned, the clock moving,
// cleanings run with failures injected into them (ENOSPC, a torn write of a cleaned segment, a failed
// rename before, at or after the commit of the swap), clean restarts and crashes. After every step the
// whole log is read back and:
// - every record read is the one appended at that offset (offsets kept, strictly increasing);
// - each key's latest record is there, except a tombstone whose delete horizon has passed;
// - nothing comes back: the offsets present are a subset of those present at the previous check plus the
//   appends since (no resurrected value after a cleaning, a crash or a recovery);
// - compaction happened: after a cleaning up to C, no record below C has a later record of its key below C.
// Every trial prints its seed; RIVULET_SEED=<n> replays one.
import { afterEach, describe, expect, it } from 'vitest';
import { newCore } from '../../bindings/node-loader.js';
import type { LogConfig } from '../../storage/config.js';
import { LogManager } from '../../storage/log-manager.js';
import { FaultyFs } from '../helpers/faulty-fs.js';
import { mulberry32 } from '../helpers/seeded-random.js';
import { cleanupTempDirs, records, tempDir, testCore } from './helpers/env.js';
import { InlineCleanerRunner } from './support/inline-cleaner-runner.js';

const TOPIC = 'cm';
const RETENTION_MS = 1000;
const KEYS = 24;
const STEPS = 160;
const reader = newCore();
const dec = new TextDecoder();

afterEach(() => cleanupTempDirs());

interface Appended {
  key: string;
  value: string | null;
}

const overrides: Partial<LogConfig> = {
  'cleanup.policy': ['compact'],
  'delete.retention.ms': RETENTION_MS,
  'min.cleanable.dirty.ratio': 0.01,
  'segment.bytes': 1500,
  'index.interval.bytes': 200,
};

function trial(seed: number): Promise<void> {
  return runTrial(seed).catch((e: unknown) => {
    throw new Error(`compaction model trial failed, seed ${seed} (replay with RIVULET_SEED=${seed}): ${(e as Error).stack ?? String(e)}`);
  });
}

async function runTrial(seed: number): Promise<void> {
  const rnd = mulberry32(seed);
  const dir = tempDir('rivulet-compaction-model-');
  const fs = new FaultyFs();
  const clock = { now: 1_700_000_000_000 };
  const open = () =>
    new LogManager({
      config: { 'log.dirs': [dir], 'log.segment.delete.delay.ms': 0, 'log.cleaner.threads': 1 },
      core: testCore(),
      fs,
      now: () => clock.now,
      topicConfig: () => overrides,
      cleanerRunner: new InlineCleanerRunner(fs, () => clock.now),
      scheduler: false,
    });
  let m = open();
  let log = m.getOrCreateLog(TOPIC, 0, overrides);
  const appended = new Map<number, Appended>();
  /** Offset → when the first cleaning that reached it ran (tombstone horizons start there). */
  const reachedAt = new Map<number, number>();
  let present = new Set<number>();
  let appendedSinceCheck: number[] = [];
  let cleanings = 0;
  let expired = 0;

  const readAll = (): Map<number, Appended> => {
    const out = new Map<number, Appended>();
    let offset = log.logStartOffset;
    for (let guard = 0; offset < log.logEndOffset; guard++) {
      expect(guard).toBeLessThan(100_000);
      const bytes = log.readBytes(offset, 1 << 20, 'log_end');
      if (bytes === null) break;
      let last = offset - 1;
      for (const b of reader.decodeBatches(bytes)) {
        for (const r of b.records) {
          const o = Number(r.offset);
          expect(o, 'offsets strictly increase').toBeGreaterThan(last);
          last = o;
          if (o >= offset) out.set(o, { key: dec.decode(r.key!), value: r.value === null ? null : dec.decode(r.value) });
        }
        last = Math.max(last, Number(b.baseOffset) + b.lastOffsetDelta);
      }
      offset = last + 1;
    }
    return out;
  };

  const check = (cleanedUpTo: number | null): void => {
    const now = readAll();
    const latest = new Map<string, number>();
    for (const [o, a] of appended) latest.set(a.key, Math.max(latest.get(a.key) ?? -1, o));
    for (const [o, a] of now) {
      expect(appended.get(o), `offset ${o} holds what was appended there`).toEqual(a);
      expect(present.has(o) || appendedSinceCheck.includes(o), `offset ${o} came back`).toBe(true);
    }
    for (const [key, o] of latest) {
      if (now.has(o)) continue;
      const a = appended.get(o)!;
      const reached = reachedAt.get(o);
      if (process.env.RIVULET_TRACE) console.log('missing', o, JSON.stringify(a), 'reached', reached, 'now', clock.now);
      expect(a.value === null && reached !== undefined && clock.now >= reached + RETENTION_MS, `latest record of ${key} (offset ${o}) is there`).toBe(true);
      expired++;
    }
    if (cleanedUpTo !== null) {
      const laterBelow = new Map<string, number>();
      for (const [o, a] of appended) if (o < cleanedUpTo) laterBelow.set(a.key, Math.max(laterBelow.get(a.key) ?? -1, o));
      for (const [o, a] of now) if (o < cleanedUpTo) expect(laterBelow.get(a.key), `offset ${o} (${a.key}) outlived a cleaning up to ${cleanedUpTo}`).toBe(o);
    }
    present = new Set(now.keys());
    appendedSinceCheck = [];
  };

  const reopen = async (crash: boolean): Promise<void> => {
    if (crash) m.crash();
    else await m.shutdown();
    fs.clear();
    m = open();
    log = m.getLog(TOPIC, 0)!;
    expect(log, 'the log reopens').toBeDefined();
  };

  for (let step = 0; step < STEPS; step++) {
    const dice = rnd();
    if (process.env.RIVULET_TRACE) console.log(step, dice.toFixed(3), 'end', log.logEndOffset, 'segs', log.segmentBaseOffsets().join(','), 'now', clock.now);
    if (dice < 0.55) {
      const n = 1 + Math.floor(rnd() * 4);
      const recs = [];
      for (let i = 0; i < n; i++) {
        const key = `k${Math.floor(rnd() * KEYS)}`;
        const value = rnd() < 0.12 ? null : `v${step}-${i}-${'x'.repeat(Math.floor(rnd() * 40))}`;
        recs.push({ key, value });
      }
      const info = log.append(records(recs.map((r) => ({ key: Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value), timestamp: clock.now }))));
      recs.forEach((r, i) => {
        appended.set(info.firstOffset + i, r);
        appendedSinceCheck.push(info.firstOffset + i);
      });
      check(null);
    } else if (dice < 0.7) {
      clock.now += Math.floor(rnd() * 700);
    } else if (dice < 0.93) {
      const f = rnd();
      if (f < 0.1) fs.inject({ op: 'write', code: 'ENOSPC', pathIncludes: '.cleaned', times: 1 });
      else if (f < 0.18) fs.inject({ op: 'write', code: 'ENOSPC', pathIncludes: '.cleaned', times: 1, tornBytes: 7 });
      else if (f < 0.24) fs.inject({ op: 'rename', code: 'EIO', pathIncludes: '.swap', times: 1 });
      // The commit's rename (the log's thread) and the cleaner thread's renames to `.swap` before it.
      else if (f < 0.27) fs.inject({ op: 'rename', code: 'EIO', pathIncludes: '.log.cleaned', times: 1 });
      else if (f < 0.3) fs.inject({ op: 'rename', code: 'EIO', pathIncludes: '.groupend.cleaned', times: 1 });
      const at = clock.now;
      const activeBase = log.segmentBaseOffsets().at(-1)!;
      const outcomes = await m.cleaner!.cleanNow(TOPIC, 0);
      fs.clear();
      if (process.env.RIVULET_TRACE) console.log('  cleaning', f.toFixed(2), JSON.stringify(outcomes.map((o) => ({ s: o.status, c: o.cleanedUpTo, e: String((o as { error?: unknown }).error ?? '') }))), 'offline', log.isOffline);
      let upTo: number | null = null;
      for (const o of outcomes) {
        // A cleaning that failed after its swap committed is completed by the recovery of the reopened log:
        // its tombstones may have their horizon from now on too.
        if (o.status !== 'swapped') {
          for (const off of appended.keys()) if (off < activeBase && !reachedAt.has(off)) reachedAt.set(off, at);
          continue;
        }
        cleanings++;
        const c = o.cleanedUpTo!;
        upTo = c;
        for (const off of appended.keys()) if (off < c && !reachedAt.has(off)) reachedAt.set(off, at);
      }
      if (log.isOffline) await reopen(true);
      check(upTo);
    } else if (dice < 0.97) {
      await reopen(false);
      check(null);
    } else {
      await reopen(true);
      check(null);
    }
  }
  await m.shutdown();
  expect(cleanings, 'the workload cleaned').toBeGreaterThan(3);
  console.log(`compaction model: seed ${seed}: ${cleanings} cleanings, ${expired} expired tombstones seen gone, ${appended.size} appended, ${present.size} left`);
}

describe('log compaction against a model', () => {
  const fixed = process.env.RIVULET_SEED ? [Number(process.env.RIVULET_SEED)] : [];
  const base = Number(process.env.RIVULET_SEED_BASE ?? Date.now() % 1_000_000);
  const seeds = fixed.length > 0 ? fixed : Array.from({ length: 6 }, (_, i) => base + i);
  it.each(seeds)('random workload with faults and restarts (seed %i)', async (seed) => {
    console.log(`compaction model: seed ${seed}`);
    await trial(seed);
  }, 60_000);
});
