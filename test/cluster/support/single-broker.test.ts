// The fault tools end to end against today's single broker: confluent-kafka's idempotent acks=all producer
// writes for a few seconds while the broker process is SIGKILLed once and restarted on its data dir; a
// consumer then reads every partition and the history checker judges it (campaign single-broker-kill, which
// `npm run soak -- single-broker-kill` repeats).
//
// What the broker promises (docs/storage.md "Durability and the high watermark", docs/data-path.md "acks"):
// under the default flush policy acks=all answers once the append is in the page cache, which a process
// kill does not lose (only a machine crash could). So after SIGKILL + restart no acknowledged write may be
// missing: lost must be 0, as well as duplicates (idempotence), offsets with two values, backwards reads,
// values nobody wrote and reads of writes reported failed.
import { beforeAll, expect, it } from 'vitest';
import { anomalyNames, describeAnomalies } from './history.js';
import { ensureBuilt } from './processes.js';
import { trialRow } from './campaigns/campaign.js';
import { trial } from './campaigns/single-broker-kill.js';

beforeAll(() => ensureBuilt(), 180_000);

it('an idempotent acks=all producer across a SIGKILL and restart of the broker: nothing lost, nothing duplicated', async () => {
  const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 1_000_000));
  console.log(`single-broker seed=${seed} (SEED=${seed} replays)`);
  const r = await trial({ seed, log: (l) => console.log(l) });
  const c = r.check;
  console.log(JSON.stringify(trialRow(0, r)));
  expect(r.ackedAtKill, 'the kill came while writes were being acknowledged').toBeGreaterThan(0);
  expect(c.attempts.ok, 'writes were acknowledged after the restart too').toBeGreaterThan(r.ackedAtKill);
  expect(c.lostChecked, 'the final read reached the end offsets').toBe(true);
  expect(c.recordsRead).toBeGreaterThanOrEqual(c.attempts.ok);
  expect(anomalyNames(c), describeAnomalies(c)).toEqual([]);
  expect(c.lost.count).toBe(0);
  expect(c.duplicates.count).toBe(0);
}, 120_000);
