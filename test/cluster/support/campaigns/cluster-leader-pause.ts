// Campaign `cluster-leader-pause` (fault c): the leader of a random partition is SIGSTOPped at a random
// moment until another broker's Metadata shows a new leader with a newer leader epoch, kept stopped a
// random while longer, then SIGCONTed. The deposed leader must acknowledge nothing of the old epoch that
// the new leader lacks (the history proves it: nothing lost, no offset with two values), truncate its
// divergent tail and follow; afterwards its copy of the partition is byte for byte the new leader's.
import { checkedTrial, clusterTrial, TOPIC, type ClusterTrialResult } from '../cluster-trial.js';
import { sleep, type FaultCluster } from '../fault-cluster.js';
import type { Campaign } from './campaign.js';

export interface LeaderPauseFacts {
  partition: number;
  oldLeader: number;
  newLeader: number;
  leaderEpochBefore: number;
  leaderEpochAfter: number;
  /** Milliseconds from SIGSTOP until Metadata named the new leader. */
  electedAfterMs: number;
  /** Bytes of the partition's log on each replica at the end, by broker id. */
  logBytes: Record<number, number>;
  /** Every replica's log equals the leader's, byte for byte. */
  logsEqual: boolean;
}

/** Polls until every replica's copy of the partition equals the leader's (they converge once fetched). */
async function compareLogs(c: FaultCluster, partition: number, leader: number): Promise<{ logBytes: Record<number, number>; logsEqual: boolean }> {
  let logBytes: Record<number, number> = {};
  for (let i = 0; i < 100; i++) {
    const bytes = c.ids.map((id) => c.partitionLogBytes(id, TOPIC, partition));
    logBytes = Object.fromEntries(bytes.map((b, i) => [i + 1, b.length]));
    if (bytes.every((b) => b.equals(bytes[leader - 1]!))) return { logBytes, logsEqual: true };
    await sleep(200);
  }
  return { logBytes, logsEqual: false };
}

export function trial(o: { seed: number; log: (line: string) => void }): Promise<ClusterTrialResult<LeaderPauseFacts>> {
  let partition = 0;
  let found: Omit<LeaderPauseFacts, 'logBytes' | 'logsEqual'> | null = null;
  return clusterTrial(o, async ({ rand, cluster, loadMs }) => {
    partition = Math.floor(rand() * 3);
    await sleep(1000 + Math.floor(rand() * (loadMs - 6000)));
    const before = (await cluster.metadata(TOPIC)).partitions[partition]!;
    const other = cluster.ids.find((id) => id !== before.leader)!;
    const t0 = Date.now();
    cluster.broker(before.leader).pause();
    const moved = (p: { leader: number; leaderEpoch: number }) => p.leader > 0 && p.leader !== before.leader && p.leaderEpoch > before.leaderEpoch;
    const md = await cluster.waitMetadata('a new leader', TOPIC, (m) => moved(m.partitions[partition]!), 20_000, other);
    const electedAfterMs = Date.now() - t0;
    await sleep(Math.floor(rand() * 1500));
    cluster.broker(before.leader).resume();
    const after = md.partitions[partition]!;
    found = { partition, oldLeader: before.leader, newLeader: after.leader, leaderEpochBefore: before.leaderEpoch, leaderEpochAfter: after.leaderEpoch, electedAfterMs };
    const notes = `paused leader ${before.leader} of partition ${partition}; broker ${after.leader} leads at epoch ${after.leaderEpoch} after ${electedAfterMs} ms`;
    return { notes, facts: found as LeaderPauseFacts };
  }, async (cluster) => {
    // Once the load ended and every replica is back in the ISR: the logs of the paused partition.
    const leader = (await cluster.metadata(TOPIC)).partitions[partition]!.leader;
    Object.assign(found!, await compareLogs(cluster, partition, leader));
  });
}

export const campaign: Campaign = {
  name: 'cluster-leader-pause',
  description: '3 brokers RF 3 min ISR 2; SIGSTOP a leader until a new one is elected, SIGCONT: it acknowledges nothing stale, truncates and follows; logs equal; history check',
  trial: checkedTrial(trial, (r) => [!r.facts.logsEqual && `replica logs differ: ${JSON.stringify(r.facts.logBytes)}`, r.facts.leaderEpochAfter <= r.facts.leaderEpochBefore && 'leader epoch did not grow']),
};
