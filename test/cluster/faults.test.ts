// The replication fault tests, short version for CI (Kafka's replication system tests, Jepsen's Kafka
// workload): real etcd, three real broker processes (RF 3, min.insync.replicas 2, broker.session.timeout.ms
// 2000), an idempotent acks=all confluent-kafka producer writing unique values for ~10 s while one fault
// is injected, every replica back in every ISR, a full read, and the history check: no acknowledged write
// lost, no duplicate, no offset holding two values, consumed offsets strictly increasing, nothing read that
// nobody wrote or that was reported failed. Each fault is a campaign `npm run soak -- cluster` repeats with
// random timings; SEED=<n> replays a trial here (the seed of each is printed).
import { beforeAll, describe, expect, it } from 'vitest';
import { anomalyNames, describeAnomalies } from './support/history.js';
import { ensureBuilt } from './support/processes.js';
import { trialRow } from './support/campaigns/campaign.js';
import type { ClusterTrialResult } from './support/cluster-trial.js';
import * as leaderKill from './support/campaigns/cluster-leader-kill.js';
import * as followerPause from './support/campaigns/cluster-follower-pause.js';
import * as leaderPause from './support/campaigns/cluster-leader-pause.js';
import * as controllerKill from './support/campaigns/cluster-controller-kill.js';
import * as twoDown from './support/campaigns/cluster-two-down.js';
import * as rollingRestart from './support/campaigns/cluster-rolling-restart.js';
import { ErrorCode } from '../../protocol/errors.js';

beforeAll(() => ensureBuilt(), 180_000);

const TRIAL_TIMEOUT_MS = 150_000;

function seedFor(name: string): number {
  const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 1_000_000));
  console.log(`${name} seed=${seed} (SEED=${seed} replays)`);
  return seed;
}

/** The checks every trial passes: a complete read and a clean history. */
function expectCleanHistory<X>(r: ClusterTrialResult<X>): void {
  const c = r.check;
  console.log(JSON.stringify({ ...trialRow(0, r), facts: r.facts }));
  expect(c.lostChecked, 'the final read reached the end offsets').toBe(true);
  expect(anomalyNames(c), describeAnomalies(c)).toEqual([]);
  expect(c.lost.count).toBe(0);
  expect(c.duplicates.count).toBe(0);
  expect(c.inconsistentOffsets.count).toBe(0);
  expect(c.nonMonotonic.count).toBe(0);
  expect(c.unexpected.count).toBe(0);
  expect(c.recordsRead).toBeGreaterThanOrEqual(c.attempts.ok);
}

const log = (l: string) => console.log(l);

describe('three brokers, RF 3, min.insync.replicas 2, idempotent acks=all producer', () => {
  it('(a) the leader of a partition is SIGKILLed and restarted: it rejoins the ISR, nothing acknowledged is lost', async () => {
    const r = await leaderKill.trial({ seed: seedFor('leader-kill'), log });
    expectCleanHistory(r);
    expect(r.facts.ackedAtKill, 'the kill came while writes were being acknowledged').toBeGreaterThan(0);
    expect(r.check.attempts.ok, 'writes were acknowledged after the kill').toBeGreaterThan(r.facts.ackedAtKill);
    expect(r.check.attempts.fail, 'the producer retried through the failover').toBe(0);
  }, TRIAL_TIMEOUT_MS);

  it('(b) a follower SIGSTOPped past replica.lag.time.max.ms leaves the ISR, writes go on, it rejoins after SIGCONT', async () => {
    const r = await followerPause.trial({ seed: seedFor('follower-pause'), log });
    expectCleanHistory(r);
    expect(r.facts.shrunkAfterMs, 'dropped for lagging, after replica.lag.time.max.ms').toBeGreaterThanOrEqual(3000);
    expect(r.facts.ackedWhileOut, 'acks=all writes went on with two in-sync replicas').toBeGreaterThan(0);
    expect(r.check.attempts.fail).toBe(0);
  }, TRIAL_TIMEOUT_MS);

  it('(c) a leader SIGSTOPped until a new one is elected acknowledges nothing stale, truncates and follows: logs equal', async () => {
    const r = await leaderPause.trial({ seed: seedFor('leader-pause'), log });
    expectCleanHistory(r);
    const f = r.facts;
    expect(f.newLeader).not.toBe(f.oldLeader);
    expect(f.leaderEpochAfter).toBeGreaterThan(f.leaderEpochBefore);
    expect(f.electedAfterMs, 'elected once the stopped leader\'s 2 s session expired').toBeGreaterThanOrEqual(1500);
    expect(f.logBytes[f.newLeader], 'the partition has data').toBeGreaterThan(0);
    expect(f.logsEqual, `replica logs of partition ${f.partition}: ${JSON.stringify(f.logBytes)}`).toBe(true);
    expect(r.check.attempts.fail).toBe(0);
  }, TRIAL_TIMEOUT_MS);

  it('(d) the controller is SIGKILLed: another broker claims with a higher controller epoch, topics can be created', async () => {
    const r = await controllerKill.trial({ seed: seedFor('controller-kill'), log });
    expectCleanHistory(r);
    const f = r.facts;
    expect(f.controllerAfter).not.toBe(f.controllerBefore);
    expect(f.controllerAfter).toBeGreaterThan(0);
    expect(f.controllerEpochAfter).toBeGreaterThan(f.controllerEpochBefore);
    expect(f.claimedAfterMs, 'within broker.session.timeout.ms and a few seconds').toBeLessThan(10_000);
    expect(r.check.attempts.fail).toBe(0);
  }, TRIAL_TIMEOUT_MS);

  it('(g) two of three brokers are SIGKILLed: acks=all is refused, nothing is acknowledged that is later lost', async () => {
    const r = await twoDown.trial({ seed: seedFor('two-down'), log });
    expectCleanHistory(r);
    const f = r.facts;
    if (f.probeLeader === f.survivor) expect(f.probeError, 'the survivor leads with ISR [itself] < min.insync.replicas').toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    // The leader the probe looked up (-1 while the metadata it read was between states) may be older than the
    // broker that answered its Produce: the survivor leading is then a refusal with NOT_ENOUGH_REPLICAS too.
    else expect([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.REQUEST_TIMED_OUT, ErrorCode.NOT_ENOUGH_REPLICAS]).toContain(f.probeError);
    expect(f.ackedWhileDown, 'no acknowledgement with one broker of three').toBe(0);
    expect(r.check.attempts.ok, 'writes resumed after the restart').toBeGreaterThan(0);
    expect(r.check.attempts.fail).toBe(0);
  }, TRIAL_TIMEOUT_MS);

  it('(h) a rolling restart with controlled shutdown under load: the producer sees no error at all', async () => {
    const r = await rollingRestart.trial({ seed: seedFor('rolling-restart'), log });
    expectCleanHistory(r);
    expect(r.facts.exitCodes, 'every SIGTERMed broker exited cleanly').toEqual([0, 0, 0]);
    expect(r.check.attempts.fail, 'no failed delivery').toBe(0);
    expect(r.check.attempts.unknown, 'no delivery left unanswered').toBe(0);
  }, TRIAL_TIMEOUT_MS);
});
