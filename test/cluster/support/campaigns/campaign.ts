// What a soak campaign is: a name, a one-line description and one trial, run by scripts/soak.mjs as many
// times as asked, each with its own seed (printed, so a failing trial replays with --seed). A campaign is
// one module in this folder exporting `campaign`; scripts/soak.mjs finds it by file name.
import { anomalyNames, type CheckResult } from '../history.js';
import { mulberry32 } from '../../../helpers/seeded-random.js';

export interface TrialResult {
  seed: number;
  check: CheckResult;
  /** What the trial did, for the log (e.g. "killed at 812 acked, restarted after 340 ms"). */
  notes: string;
}

export interface Campaign {
  name: string;
  description: string;
  trial(o: { seed: number; trial: number; log: (line: string) => void }): Promise<TrialResult>;
}

/** The row soak.mjs prints per trial. */
export function trialRow(trial: number, r: TrialResult): Record<string, string | number> {
  const a = anomalyNames(r.check);
  return {
    trial,
    seed: r.seed,
    acked: r.check.attempts.ok,
    failed: r.check.attempts.fail,
    unknown: r.check.attempts.unknown,
    read: r.check.recordsRead,
    lost: r.check.lostChecked ? r.check.lost.count : 'n/a',
    duplicates: r.check.duplicates.count,
    anomalies: a.length === 0 ? 'none' : a.map((n) => `${n}=${r.check[n].count}`).join(','),
  };
}

/** A small seeded generator (mulberry32) so a trial's random choices replay from its seed. */
export const seededRandom = mulberry32;
