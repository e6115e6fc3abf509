// One fault trial on a FaultCluster, the shape every cluster campaign shares (Kafka's replication system
// tests, Jepsen's Kafka workload): etcd + 3 brokers, a topic with RF 3 and min.insync.replicas 2, an
// idempotent acks=all confluent-kafka producer writing unique values to every broker's address while the
// campaign's fault runs, then every replica back in every ISR, a full read and the history check.
// Every random choice of the fault comes from `rand`, seeded by the printed trial seed.
import type { CheckResult } from './history.js';
import { FaultCluster } from './fault-cluster.js';
import { seededRandom } from './campaigns/campaign.js';
import { startProducer, type RunningProducer, type TimedAttempt } from './workload.js';

export const TOPIC = 'faults';

export interface FaultContext {
  seed: number;
  rand: () => number;
  log: (line: string) => void;
  cluster: FaultCluster;
  producer: RunningProducer;
  /** Milliseconds of producing the trial asked for. */
  loadMs: number;
}

export interface FaultOutcome<X> {
  /** What the fault did, for the soak log. */
  notes: string;
  /** Facts the CI test asserts on (e.g. the controller before and after). */
  facts: X;
}

export interface ClusterTrialOptions {
  seed: number;
  log: (line: string) => void;
  /** Broker settings over TRIAL_SETS. */
  sets?: Record<string, string>;
  partitions?: number;
  /** Explicit replica assignment per partition (Kafka's CreateTopics assignments). */
  assignments?: number[][];
  /** Attempts per second and seconds of producing (the fault may stop the producer earlier). */
  rate?: number;
  durationS?: number;
  /** Extra librdkafka settings for the producer. */
  producerConfig?: Record<string, string>;
  /** Runs once the cluster and topic exist, before the producer starts (e.g. another topic). */
  setup?: (c: FaultCluster) => Promise<void>;
}

export interface ClusterTrialResult<X> {
  seed: number;
  check: CheckResult;
  notes: string;
  facts: X;
  produced: TimedAttempt[];
}

/**
 * Runs one trial: the cluster, the load, `fault` while the load runs, the healing (every replica in every
 * ISR), `healed` (checks of the healed cluster, before the read), the read and the check.
 */
export async function clusterTrial<X>(
  o: ClusterTrialOptions,
  fault: (ctx: FaultContext) => Promise<FaultOutcome<X>>,
  healed?: (c: FaultCluster) => Promise<void>,
): Promise<ClusterTrialResult<X>> {
  const rand = seededRandom(o.seed);
  const durationS = o.durationS ?? 10;
  const cluster = await FaultCluster.start({ sets: o.sets });
  let producer: RunningProducer | null = null;
  let failed = false;
  try {
    await cluster.createTopic(TOPIC, o.partitions ?? 3, { assignments: o.assignments });
    await o.setup?.(cluster);
    producer = startProducer({ bootstrap: cluster.bootstrap, topic: TOPIC, rate: o.rate ?? 250, durationS, seed: o.seed, runId: `c${o.seed}`, config: o.producerConfig });
    await producer.untilAcked(1);
    const outcome = await fault({ seed: o.seed, rand, log: o.log, cluster, producer, loadMs: durationS * 1000 });
    const produced = await producer.done;
    await cluster.waitFullIsr(TOPIC, 60_000);
    await healed?.(cluster);
    const check = await cluster.readAndCheck(TOPIC, produced);
    o.log(`seed ${o.seed}: ${outcome.notes}`);
    return { seed: o.seed, check, notes: outcome.notes, facts: outcome.facts, produced };
  } catch (e) {
    failed = true;
    const logs = cluster.brokers.map((b) => b.logFile).join(' ');
    o.log(`seed ${o.seed}: failed: ${String(e)}\nbroker logs kept: ${logs}\n${cluster.logTails()}`);
    throw e;
  } finally {
    producer?.stop();
    await producer?.done.catch(() => {});
    await cluster.cleanup({ keepLogs: failed });
  }
}

/** Acknowledged attempts whose acknowledgement arrived within [fromMs, toMs] (epoch milliseconds). */
export function ackedBetween(produced: TimedAttempt[], fromMs: number, toMs: number): number {
  return produced.filter((a) => a.outcome === 'ok' && a.tAck !== undefined && a.tAck >= fromMs && a.tAck <= toMs).length;
}

/**
 * A campaign's trial that also fails on the fault's own facts (the ones the CI test asserts), so the soak
 * reports them like an anomaly: `problems` lists what went wrong, empty when nothing did.
 */
export function checkedTrial<X>(
  trial: (o: { seed: number; log: (line: string) => void }) => Promise<ClusterTrialResult<X>>,
  problems: (r: ClusterTrialResult<X>) => Array<string | false>,
): (o: { seed: number; log: (line: string) => void }) => Promise<ClusterTrialResult<X>> {
  return async (o) => {
    const r = await trial(o);
    const found = problems(r).filter((p): p is string => p !== false);
    if (found.length > 0) throw new Error(`seed ${r.seed}: ${found.join('; ')} (facts ${JSON.stringify(r.facts)})`);
    return r;
  };
}
