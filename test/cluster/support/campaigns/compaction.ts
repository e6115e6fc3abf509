// Campaign `compaction`: a single broker serving a compacted topic, SIGKILLed again and again at each step of
// a cleaning (`.cleaned` files being written, mid-swap, old segments `.deleted`, random moments) and restarted
// on the same data dir, each restart's whole read checked against what the producer had acknowledged
// (test/faults/compaction-kill-campaign.ts, the longer form of test/faults/compaction-kill.test.ts). The
// checker's findings map onto the history anomalies: a latest acknowledged value missing is `lost`, a value
// or record a cleaning had superseded or removed coming back is `unexpected` (as is a `.cleaned`/`.swap` file
// left after a restart), an acknowledged offset holding another record is `inconsistentOffsets`.
import type { CheckResult } from '../history.js';
import { KILL_STEPS, runCompactionKill } from '../../../faults/compaction-kill-campaign.js';
import { cleanupChildEntry } from '../../../faults/helpers.js';
import type { Campaign } from './campaign.js';

/** Kills per trial (each step in turn). */
const KILLS = 40;

function none<T>(): { count: number; examples: T[] } {
  return { count: 0, examples: [] };
}

export const campaign: Campaign = {
  name: 'compaction',
  description: `a compacted topic's broker SIGKILLed ${KILLS} times at the steps of its cleanings (${KILL_STEPS.join(', ')}), restarted on the same data dir, every read checked`,
  async trial({ seed, log }) {
    try {
      const r = await runCompactionKill({ seed, kills: KILLS, log });
      const v = r.violations;
      const hits = KILL_STEPS.map((s) => `${s} ${r.kills.filter((k) => k.step === s && k.hit).length}/${r.kills.filter((k) => k.step === s).length}`);
      const stalled = r.kills.filter((k) => k.checkpointAfter <= k.checkpointBefore).length + (r.cleanerCheckpoint > r.lastStartCheckpoint ? 0 : 1);
      const check: CheckResult = {
        attempts: { ok: r.writes.acked, fail: r.writes.failed, unknown: r.writes.pending },
        recordsRead: r.kills.reduce((s, k) => s + k.recordsRead, 0),
        lostChecked: true,
        lost: { count: v.lost.count, examples: v.lost.examples.map((e) => ({ value: e, partition: 0, missingFrom: 'the read after a restart' })) },
        duplicates: none(),
        inconsistentOffsets: { count: v.inconsistent.count, examples: v.inconsistent.examples.map((e) => ({ partition: 0, offset: -1, values: [e] })) },
        nonMonotonic: { count: v.nonMonotonic.count, examples: v.nonMonotonic.examples.map(() => ({ consumerId: 'restart-read', partition: 0, previous: -1, next: -1, pollIndex: 0 })) },
        unexpected: {
          count: v.resurrected.count + v.leftovers.count + stalled,
          examples: [...v.resurrected.examples, ...v.leftovers.examples, ...(stalled > 0 ? [`${stalled} restarts after which the cleaner checkpoint did not move`] : [])].map((e) => ({
            value: e,
            partition: 0,
            offset: -1,
            consumerId: 'restart-read',
          })),
        },
        failedButRead: none(),
      };
      log(`seed ${seed}: steps hit ${hits.join(', ')}; final read ${r.finalRecords} records up to offset ${r.finalEnd}, cleaner checkpoint ${r.cleanerCheckpoint}`);
      return { seed, check, notes: `steps hit ${hits.join(', ')}` };
    } finally {
      await cleanupChildEntry();
    }
  },
};
