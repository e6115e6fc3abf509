// Campaign `cluster-follower-pause` (fault b, Kafka's ReplicationReplicaFailureTest): broker 3 follows every
// partition and leads none; it is SIGSTOPped past replica.lag.time.max.ms (3 s) but within its session
// (9 s), so the leaders drop it from the ISR for lagging, not the controller for dying. acks=all writes go on
// with the two others (min.insync.replicas 2); after SIGCONT it catches up and rejoins every ISR.
import { checkedTrial, clusterTrial, TOPIC, type ClusterTrialResult } from '../cluster-trial.js';
import { sleep } from '../fault-cluster.js';
import type { Campaign } from './campaign.js';

const FOLLOWER = 3;

export interface FollowerPauseFacts {
  pausedMs: number;
  /** Milliseconds from SIGSTOP until Metadata showed the follower out of every ISR. */
  shrunkAfterMs: number;
  /** Writes acknowledged between the ISR shrink and SIGCONT. */
  ackedWhileOut: number;
  /** Milliseconds from SIGCONT until the follower was back in every ISR. */
  rejoinedAfterMs: number;
}

export function trial(o: { seed: number; log: (line: string) => void }): Promise<ClusterTrialResult<FollowerPauseFacts>> {
  const sets = { 'broker.session.timeout.ms': '9000', 'replica.lag.time.max.ms': '3000' };
  const assignments = [
    [1, 2, 3],
    [2, 1, 3],
    [1, 3, 2],
  ];
  return clusterTrial({ ...o, sets, assignments, durationS: 14 }, async ({ rand, cluster, producer }) => {
    await sleep(500 + Math.floor(rand() * 2000));
    const t0 = Date.now();
    cluster.broker(FOLLOWER).pause();
    const out = (m: { partitions: { isr: number[] }[] }) => m.partitions.every((p) => !p.isr.includes(FOLLOWER) && p.isr.length === 2);
    await cluster.waitMetadata(`broker ${FOLLOWER} out of every ISR`, TOPIC, out, 6000, 1);
    const shrunkAfterMs = Date.now() - t0;
    const ackedAtShrink = producer.acked;
    await sleep(800 + Math.floor(rand() * 700)); // short enough to stay well within the 9 s session
    const ackedWhileOut = producer.acked - ackedAtShrink;
    const pausedMs = Date.now() - t0;
    cluster.broker(FOLLOWER).resume();
    const t1 = Date.now();
    await cluster.waitFullIsr(TOPIC, 30_000);
    const rejoinedAfterMs = Date.now() - t1;
    const facts = { pausedMs, shrunkAfterMs, ackedWhileOut, rejoinedAfterMs };
    return { notes: `paused broker ${FOLLOWER} ${pausedMs} ms: out of the ISR after ${shrunkAfterMs} ms, ${ackedWhileOut} acked while out, back in ${rejoinedAfterMs} ms`, facts };
  });
}

export const campaign: Campaign = {
  name: 'cluster-follower-pause',
  description: '3 brokers RF 3 min ISR 2; SIGSTOP a follower past replica.lag.time.max.ms: ISR shrinks, acks=all goes on, SIGCONT: it rejoins; history check',
  trial: checkedTrial(trial, (r) => [r.facts.ackedWhileOut === 0 && 'no write acknowledged with the follower out of the ISR', r.check.attempts.fail > 0 && `${r.check.attempts.fail} failed deliveries`]),
};
