// Campaign `cluster-partition`: three broker processes on one etcd, every broker behind TCP proxies the
// test owns (its advertised listener and its etcd link; see fault-cluster.ts). A topic with RF=3 and
// min.insync.replicas=2 takes an idempotent acks=all confluent-kafka producer through the proxies; at a
// seeded moment one broker that leads partitions is cut off ('silent': connections stay open, no byte
// moves) from clients, from the brokers fetching from it, and from etcd. Its lease expires, the
// controller elects new leaders from the ISR; the cut broker still believes it leads, so a write sent
// straight to its own port must not be acknowledged. After a seeded while the cut heals: the broker
// registers again (new broker epoch), truncates the divergent tail, and rejoins every ISR. A full read
// then checks the history.
import { checkHistory } from '../history.js';
import { ProxiedCluster, pollUntil, type PartitionView } from '../proxied-cluster.js';
import { consumeAll, startProducer } from '../workload.js';
import { v2Batch, produce } from '../../../faults/helpers.js';
import { seededRandom, type Campaign, type TrialResult } from './campaign.js';
import type { ProduceAttempt } from '../history.js';

const TOPIC = 'partitioned';
const PARTITIONS = 6;
const RATE = 200;
const SESSION_MS = 3000;

export const PARTITION_SETS: Record<string, string> = {
  'broker.session.timeout.ms': String(SESSION_MS),
  'broker.heartbeat.interval.ms': '500',
  'min.insync.replicas': '2',
  'replica.lag.time.max.ms': '6000',
  'offsets.topic.replication.factor': '3',
};

export interface PartitionTrialResult extends TrialResult {
  victim: number;
  wasController: boolean;
  ackedAtCut: number;
  ackedWhileCut: number;
  /** Cut → every partition the victim led has another leader, as a live broker reports it. */
  electedMs: number;
  /** The error code of an acks=all write sent to the cut broker's own port after the elections ('none': no answer). */
  directWrite: number | 'none';
  epochBefore: number;
  epochAfter: number;
  /** Heal → the victim is back in the ISR of every partition. */
  rejoinedMs: number;
}

const led = (ps: PartitionView[], id: number) => ps.filter((p) => p.leader === id).map((p) => p.partition);

/** Writes one record straight to the cut broker (its own port), acks=all; the attempt goes into the history. */
async function writeToCutBroker(c: ProxiedCluster, victim: number, partition: number, value: string): Promise<{ code: number | 'none'; attempt: ProduceAttempt }> {
  const client = await c.connect(victim);
  try {
    const r = await produce(client, TOPIC, partition, v2Batch([value]), { acks: -1, timeoutMs: 2000 });
    const code = r.errorCode;
    return { code, attempt: { key: null, value, partition, outcome: code === 0 ? 'ok' : 'fail', ...(code === 0 ? { offset: Number(r.baseOffset) } : {}) } };
  } catch {
    return { code: 'none', attempt: { key: null, value, partition, outcome: 'unknown' } };
  } finally {
    client.close();
  }
}

export async function trial(o: { seed: number; log: (line: string) => void; durationS?: number }): Promise<PartitionTrialResult> {
  const rand = seededRandom(o.seed);
  const durationS = o.durationS ?? 24;
  const cutAfterMs = 1500 + Math.floor(rand() * 2500);
  const extraCutMs = 1000 + Math.floor(rand() * 3000); // how long the cut lasts after the elections
  const c = await ProxiedCluster.start({ brokers: 3, proxied: true, sets: PARTITION_SETS });
  try {
    const created = await c.createTopic(TOPIC, PARTITIONS, 3);
    if (created !== 0) throw new Error(`CreateTopics: error ${created}`);
    const ready = await c.waitPartitions(1, TOPIC, (ps) => ps.every((p) => p.leader >= 0 && p.isr.length === 3));
    if (!ready) throw new Error('the topic never had a leader and a full ISR on every partition');
    const leaders = [...new Set(ready.map((p) => p.leader))].sort();
    const victim = leaders[Math.floor(rand() * leaders.length)]!;
    const witness = c.nodes.map((n) => n.id).find((id) => id !== victim)!;

    const prod = startProducer({ bootstrap: c.bootstrap, topic: TOPIC, rate: RATE, durationS, seed: o.seed, runId: `p${o.seed}`, messageTimeoutMs: 45_000 });
    await prod.untilAcked(1);
    await new Promise((r) => setTimeout(r, cutAfterMs));
    const before = await c.metadata(witness, TOPIC);
    const victimLed = led(before.partitions, victim);
    const epochBefore = await c.brokerEpoch(victim);
    const ackedAtCut = prod.acked;
    const cutAt = Date.now();
    c.node(victim).listenerProxy!.cut('silent');
    c.node(victim).etcdProxy!.cut('silent');

    const moved = await c.waitPartitions(witness, TOPIC, (ps) => led(ps, victim).length === 0 && ps.every((p) => p.leader >= 0), SESSION_MS + 20_000);
    if (!moved) throw new Error(`leadership never left broker ${victim}:\n${c.logTails()}`);
    const electedMs = Date.now() - cutAt;
    const direct = await writeToCutBroker(c, victim, victimLed[0] ?? 0, `direct-${o.seed}`);
    await new Promise((r) => setTimeout(r, extraCutMs));
    const ackedWhileCut = prod.acked - ackedAtCut;

    const healAt = Date.now();
    c.node(victim).etcdProxy!.heal();
    c.node(victim).listenerProxy!.heal();
    const epochAfter = (await pollUntil(() => c.brokerEpoch(victim), (e) => e > epochBefore, 30_000)) ?? -1;
    const rejoined = await c.waitPartitions(witness, TOPIC, (ps) => ps.every((p) => p.isr.includes(victim)), 45_000);
    if (!rejoined) throw new Error(`broker ${victim} did not rejoin every ISR:\n${c.logTails()}`);
    const rejoinedMs = Date.now() - healAt;

    const produced = await prod.done;
    const read = await consumeAll({ bootstrap: c.bootstrap, topic: TOPIC, consumerId: 'final' });
    const check = checkHistory({ produced: [...produced, direct.attempt], consumed: read.records, completeReaders: read.complete ? ['final'] : [] });
    const notes = `cut broker ${victim}${before.controller === victim ? ' (controller)' : ''} leading [${victimLed}] at ${ackedAtCut} acked; new leaders after ${electedMs} ms; direct write → ${direct.code}; healed after ${extraCutMs} ms more; epoch ${epochBefore} → ${epochAfter}; rejoined in ${rejoinedMs} ms`;
    o.log(`seed ${o.seed}: ${notes}`);
    return { seed: o.seed, check, notes, victim, wasController: before.controller === victim, ackedAtCut, ackedWhileCut, electedMs, directWrite: direct.code, epochBefore, epochAfter, rejoinedMs };
  } catch (e) {
    o.log(`seed ${o.seed}: failed; broker logs:\n${c.logTails()}`);
    throw e;
  } finally {
    await c.close();
  }
}

export const campaign: Campaign = {
  name: 'cluster-partition',
  description: '3 brokers behind TCP proxies, RF=3, min ISR 2, idempotent acks=all producer; one leading broker cut off from clients, peers and etcd, then healed; full read, history check',
  trial: (o) => trial(o),
};
