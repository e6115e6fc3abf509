// kill -9 during log cleaning, with a real broker process (test/faults/compaction-kill-campaign.ts): the broker
// is SIGKILLed while a cleaning writes its `.cleaned` files, once it renamed them for the swap (`.swap` files
// present), as the swap commits (a `.log.swap`), after the old segments went (`.deleted` files) and at seeded
// random moments, restarted on the same data dir each time, and the compacted partition read whole: every
// key's latest acknowledged value (or its tombstone's absence), nothing a cleaning had removed back, offsets
// strictly increasing, no `.cleaned`/`.swap` file left, and the restarted broker cleaning again.
// RIVULET_SEED replays a run.
import { afterAll, describe, expect, it } from 'vitest';
import { KILL_STEPS, runCompactionKill, violationCount } from './compaction-kill-campaign.js';
import { cleanupChildEntry } from './helpers.js';

const SEED = Number(process.env.RIVULET_SEED ?? Math.floor(Math.random() * 1_000_000_000));
const KILLS = 20;

afterAll(async () => {
  await cleanupChildEntry();
});

describe('kill -9 during log cleaning', () => {
  it(`${KILLS} kills at each step of a cleaning, restarts on the same data dir (seed ${SEED})`, async () => {
    console.log(`compaction kill test: seed ${SEED} (replay with RIVULET_SEED=${SEED})`);
    const r = await runCompactionKill({ seed: SEED, kills: KILLS, log: (line) => console.log(line) });
    const byStep = KILL_STEPS.map((s) => {
      const ks = r.kills.filter((k) => k.step === s);
      return `${s} ${ks.filter((k) => k.hit).length}/${ks.length}`;
    });
    console.log(
      `compaction kill test: steps hit ${byStep.join(', ')}; writes acked ${r.writes.acked}, failed ${r.writes.failed}, unknown ${r.writes.pending}; ` +
        `final read ${r.finalRecords} records up to offset ${r.finalEnd}; cleaner checkpoint ${r.lastStartCheckpoint} at the last start, ${r.cleanerCheckpoint} at the end`,
    );
    expect(r.violations, JSON.stringify(r.violations)).toEqual({
      lost: { count: 0, examples: [] },
      resurrected: { count: 0, examples: [] },
      nonMonotonic: { count: 0, examples: [] },
      inconsistent: { count: 0, examples: [] },
      leftovers: { count: 0, examples: [] },
    });
    expect(violationCount(r.violations)).toBe(0);
    // The kills landed where they were aimed: the files of that step were there once the broker was dead.
    // The `.swap` files live from the end of a cleaning to the end of its swap on the main thread, a few ms
    // (a kill may land after it): some kill aimed at them left them.
    for (const k of r.kills.filter((k) => k.hit)) {
      if (k.step === 'cleaned') expect(k.cleaned + k.swap).toBeGreaterThan(0);
      if (k.step === 'deleted') expect(k.deleted).toBeGreaterThan(0);
    }
    for (const s of ['cleaned', 'deleted'] as const) expect(r.kills.filter((k) => k.step === s && k.hit).length).toBe(r.kills.filter((k) => k.step === s).length);
    for (const s of ['swap', 'commit'] as const) expect(r.kills.filter((k) => k.step === s && k.hit).length).toBeGreaterThan(0);
    expect(r.kills.filter((k) => (k.step === 'swap' || k.step === 'commit') && k.swap > 0).length).toBeGreaterThan(0);
    // Every restarted broker cleaned again: its checkpoint moved past where it started.
    for (const k of r.kills) expect(k.checkpointAfter).toBeGreaterThan(k.checkpointBefore);
    expect(r.cleanerCheckpoint).toBeGreaterThan(r.lastStartCheckpoint);
    expect(r.writes.acked).toBeGreaterThan(10_000);
  }, 120_000);
});
