// Campaign `cluster-leader-kill` (fault a): the leader of a random partition is SIGKILLed at a random moment
// of the load and restarted on its data dir after a random pause (sometimes before its session expires,
// sometimes long after a new leader took over); it must rejoin every ISR and no acknowledged write may be lost.
import { checkedTrial, clusterTrial, TOPIC, type ClusterTrialResult } from '../cluster-trial.js';
import { sleep } from '../fault-cluster.js';
import type { Campaign } from './campaign.js';

export interface LeaderKillFacts {
  partition: number;
  killed: number;
  ackedAtKill: number;
  downMs: number;
  /** The partition's leader and leader epoch once every replica was back in the ISR. */
  leaderEpochBefore: number;
  leaderEpochAfter: number;
}

export function trial(o: { seed: number; log: (line: string) => void }): Promise<ClusterTrialResult<LeaderKillFacts>> {
  return clusterTrial(o, async ({ rand, cluster, producer, loadMs }) => {
    const partition = Math.floor(rand() * 3);
    const killAfterMs = 1000 + Math.floor(rand() * (loadMs - 5000));
    const downMs = Math.floor(rand() * 4000);
    await sleep(killAfterMs);
    const before = (await cluster.metadata(TOPIC)).partitions[partition]!;
    const ackedAtKill = producer.acked;
    await cluster.broker(before.leader).kill();
    await sleep(downMs);
    await cluster.broker(before.leader).restart();
    const after = (await cluster.waitFullIsr(TOPIC, 60_000)).partitions[partition]!;
    const facts = { partition, killed: before.leader, ackedAtKill, downMs, leaderEpochBefore: before.leaderEpoch, leaderEpochAfter: after.leaderEpoch };
    return { notes: `killed leader ${before.leader} of partition ${partition} at ${ackedAtKill} acked, down ${downMs} ms, epoch ${before.leaderEpoch} -> ${after.leaderEpoch}`, facts };
  });
}

export const campaign: Campaign = {
  name: 'cluster-leader-kill',
  description: '3 brokers RF 3 min ISR 2, idempotent acks=all producer; SIGKILL a partition leader at a random moment, restart after a random pause; it rejoins the ISR; history check',
  trial: checkedTrial(trial, (r) => [r.check.attempts.fail > 0 && `${r.check.attempts.fail} failed deliveries`]),
};
