// Campaign `cluster-rolling-restart` (fault h): every broker in turn (a seeded order) gets SIGTERM under load
// — controlled shutdown moves its leaderships away before it stops — exits 0, is started again on its data
// dir and rejoins every ISR before the next one goes. The idempotent acks=all producer must see no delivery
// error at all, and the history is clean.
import { checkedTrial, clusterTrial, TOPIC, type ClusterTrialResult } from '../cluster-trial.js';
import { sleep } from '../fault-cluster.js';
import type { Campaign } from './campaign.js';

export interface RollingRestartFacts {
  order: number[];
  /** Exit codes of the SIGTERMed brokers, in order. */
  exitCodes: Array<number | null>;
  /** Milliseconds each broker took from SIGTERM to exit. */
  stopMs: number[];
}

export function trial(o: { seed: number; log: (line: string) => void }): Promise<ClusterTrialResult<RollingRestartFacts>> {
  // The load lasts as long as the roll: the producer is stopped once the last broker is back.
  return clusterTrial({ ...o, durationS: 120 }, async ({ rand, cluster, producer }) => {
    const order = [1, 2, 3].sort(() => rand() - 0.5);
    const exitCodes: Array<number | null> = [];
    const stopMs: number[] = [];
    await sleep(1000);
    for (const id of order) {
      const t0 = Date.now();
      exitCodes.push((await cluster.broker(id).stop()).code);
      stopMs.push(Date.now() - t0);
      await sleep(Math.floor(rand() * 1000));
      await cluster.broker(id).restart();
      await cluster.waitFullIsr(TOPIC, 60_000);
      await sleep(500);
    }
    const acked = producer.acked;
    await producer.untilAcked(acked + 200);
    producer.stop();
    return { notes: `rolled ${order} (stops took ${stopMs} ms, exits ${exitCodes}) with ${acked} acked`, facts: { order, exitCodes, stopMs } };
  });
}

export const campaign: Campaign = {
  name: 'cluster-rolling-restart',
  description: '3 brokers RF 3 min ISR 2; SIGTERM (controlled shutdown) and restart each broker in turn under load: no delivery error; history check',
  trial: checkedTrial(trial, (r) => [r.check.attempts.fail + r.check.attempts.unknown > 0 && `${r.check.attempts.fail} failed, ${r.check.attempts.unknown} unanswered deliveries`, r.facts.exitCodes.some((c) => c !== 0) && `exit codes ${r.facts.exitCodes}`]),
};
