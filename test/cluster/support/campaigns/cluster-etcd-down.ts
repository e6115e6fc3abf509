// Campaign `cluster-etcd-down`: three broker processes on one etcd, a topic with RF=3 and
// min.insync.replicas=2 under an idempotent acks=all confluent-kafka producer; at a seeded moment etcd goes
// away — SIGSTOP (sockets open, nothing answers) or SIGKILL and a restart on its data dir — for a short
// outage (< broker.session.timeout.ms) or a long one (> it), then comes back. While it is down the trial
// records whether writes were still acknowledged, what every broker reports as leaders, and what a
// CreateTopics sent during the outage answered; after, whether the broker sessions survived (same broker
// epochs), whether leaders changed, and whether the admin change went through. A full read then checks
// the history.
import { checkHistory } from '../history.js';
import { ProxiedCluster, pollUntil, type PartitionView } from '../proxied-cluster.js';
import { consumeAll, startProducer } from '../workload.js';
import { seededRandom, type Campaign, type TrialResult } from './campaign.js';

const TOPIC = 'steady';
const PARTITIONS = 6;
const RATE = 200;
export const SESSION_MS = 4000;

const SETS: Record<string, string> = {
  'broker.session.timeout.ms': String(SESSION_MS),
  'broker.heartbeat.interval.ms': '500',
  'min.insync.replicas': '2',
  'replica.lag.time.max.ms': '30000',
  'offsets.topic.replication.factor': '3',
};

export type OutageLength = 'short' | 'long';
export type OutageKind = 'pause' | 'kill';

export interface EtcdDownTrialResult extends TrialResult {
  length: OutageLength;
  kind: OutageKind;
  outageMs: number;
  ackedDuring: number;
  /** Every broker's leaders and leader epochs during the outage equal those before it. */
  leadersKeptDuring: boolean;
  /** What the CreateTopics sent during the outage answered by the time etcd came back ('pending': nothing yet). */
  createDuring: number | 'pending';
  /** The topic created during/after the outage had a leader on every partition after it. */
  createdAfter: boolean;
  /** Broker epochs after the outage equal those before (the sessions survived). */
  sessionsKept: boolean;
  /** Partitions whose leader or leader epoch differs after the outage (as every broker agrees on it). */
  leadersChangedAfter: number;
}

const leaderMap = (ps: PartitionView[]) => ps.map((p) => `${p.partition}:${p.leader}@${p.leaderEpoch}`).join(' ');

/** Every broker's view of the topic's leaders; null if any broker did not answer. */
async function leadersSeenByAll(c: ProxiedCluster): Promise<string[] | null> {
  try {
    return await Promise.all(c.nodes.map(async (n) => leaderMap((await c.metadata(n.id, TOPIC)).partitions)));
  } catch {
    return null;
  }
}

/** Sends CreateTopics to broker 2 without waiting; the promise settles with its error code (or -1 if the connection failed). */
function createTopicLater(c: ProxiedCluster, name: string): Promise<number> {
  return c.createTopic(name, 3, 3, 2).catch(() => -1);
}

export async function trial(o: { seed: number; log: (line: string) => void; length?: OutageLength; kind?: OutageKind; durationS?: number }): Promise<EtcdDownTrialResult> {
  const rand = seededRandom(o.seed);
  const length: OutageLength = o.length ?? (rand() < 0.5 ? 'short' : 'long');
  const kind: OutageKind = o.kind ?? (rand() < 0.5 ? 'pause' : 'kill');
  const outageMs = length === 'short' ? 1000 + Math.floor(rand() * (SESSION_MS - 2500)) : SESSION_MS + 1500 + Math.floor(rand() * 3000);
  const startAfterMs = 1000 + Math.floor(rand() * 2000);
  const c = await ProxiedCluster.start({ brokers: 3, proxied: false, sets: SETS });
  try {
    const created = await c.createTopic(TOPIC, PARTITIONS, 3);
    if (created !== 0) throw new Error(`CreateTopics: error ${created}`);
    const ready = await c.waitPartitions(1, TOPIC, (ps) => ps.every((p) => p.leader >= 0 && p.isr.length === 3));
    if (!ready) throw new Error('the topic never had a leader and a full ISR on every partition');
    const durationS = o.durationS ?? Math.ceil((startAfterMs + outageMs) / 1000) + 8;
    const prod = startProducer({ bootstrap: c.bootstrap, topic: TOPIC, rate: RATE, durationS, seed: o.seed, runId: `e${o.seed}`, messageTimeoutMs: 45_000 });
    await prod.untilAcked(1);
    await new Promise((r) => setTimeout(r, startAfterMs));

    const before = await leadersSeenByAll(c);
    const epochsBefore = await Promise.all(c.nodes.map((n) => c.brokerEpoch(n.id)));
    const ackedAtStart = prod.acked;
    if (kind === 'pause') c.etcd.pause();
    else await c.etcd.kill();
    const downAt = Date.now();
    let createDuring: number | 'pending' = 'pending';
    const creating = createTopicLater(c, 'made-during-outage').then((code) => (Date.now() - downAt < outageMs ? (createDuring = code) : code));
    await new Promise((r) => setTimeout(r, outageMs - 600));
    const during = await leadersSeenByAll(c);
    await new Promise((r) => setTimeout(r, Math.max(0, outageMs - (Date.now() - downAt))));
    const ackedDuring = prod.acked - ackedAtStart;
    if (kind === 'pause') c.etcd.resume();
    else await c.etcd.restart();

    const createdAfter = await createAfterOutage(c, await creating, o.log);
    if (!createdAfter) o.log(`seed ${o.seed}: the topic asked for during the outage has no leaders after it; broker logs:\n${c.logTails(3000)}`);
    const settled = await pollUntil(() => c.waitPartitions(1, TOPIC, (ps) => ps.every((p) => p.leader >= 0 && p.isr.length === 3), 1000), (v) => v !== null, 45_000);
    const agreed = await pollUntil(() => leadersSeenByAll(c), (v) => v !== null && v.every((x) => x === v[0]), 15_000);
    const registered = await pollUntil(() => Promise.all(c.nodes.map((n) => c.brokerEpoch(n.id))), (es) => es.every((e) => e > 0), 30_000);
    const epochsAfter = registered ?? (await Promise.all(c.nodes.map((n) => c.brokerEpoch(n.id))));
    const leadersChangedAfter = countChanged(before?.[0] ?? '', agreed?.[0] ?? '');

    const produced = await prod.done;
    const read = await consumeAll({ bootstrap: c.bootstrap, topic: TOPIC, consumerId: 'final' });
    const check = checkHistory({ produced, consumed: read.records, completeReaders: read.complete ? ['final'] : [] });
    const r: EtcdDownTrialResult = {
      seed: o.seed,
      check,
      length,
      kind,
      outageMs,
      ackedDuring,
      leadersKeptDuring: before !== null && during !== null && during.every((v) => v === before[0]) && before.every((v) => v === before[0]),
      createDuring,
      createdAfter,
      sessionsKept: epochsAfter.every((e, i) => e === epochsBefore[i]),
      leadersChangedAfter,
      notes: '',
    };
    r.notes = `${length} outage (${kind}, ${outageMs} ms): ${ackedDuring} acked during, leaders kept during: ${r.leadersKeptDuring}, CreateTopics during → ${createDuring}, after → ${createdAfter}; sessions kept: ${r.sessionsKept} (epochs ${epochsBefore} → ${epochsAfter}); leaders changed after: ${leadersChangedAfter}; ISR full again: ${settled !== null}`;
    o.log(`seed ${o.seed}: ${r.notes}`);
    return r;
  } catch (e) {
    o.log(`seed ${o.seed}: failed; broker logs:\n${c.logTails()}`);
    throw e;
  } finally {
    await c.close();
  }
}

/** After the outage the topic asked for during it exists with leaders, whether that request or a retry made it. */
async function createAfterOutage(c: ProxiedCluster, firstCode: number, log: (line: string) => void): Promise<boolean> {
  const TOPIC_ALREADY_EXISTS = 36;
  const codes = [firstCode];
  // etcd's client may refuse for a few seconds after an outage (its circuit breaker): retry for up to 30 s.
  for (let i = 0; i < 30 && codes.at(-1) !== 0 && codes.at(-1) !== TOPIC_ALREADY_EXISTS; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 1000));
    codes.push(await c.createTopic('made-during-outage', 3, 3, 2).catch(() => -1));
  }
  log(`CreateTopics answers after the outage: ${codes}`);
  const led = await pollUntil(async () => (await c.metadata(1, 'made-during-outage')).partitions, (ps) => ps.length === 3 && ps.every((p) => p.leader >= 0), 30_000);
  return led !== null;
}

function countChanged(before: string, after: string): number {
  const a = after.split(' ');
  return before.split(' ').filter((x, i) => a[i] !== x).length;
}

export const campaign: Campaign = {
  name: 'cluster-etcd-down',
  description: '3 brokers, RF=3, min ISR 2, idempotent acks=all producer; etcd paused or killed for a short or long outage, then back; full read, history check',
  trial: (o) => trial(o),
};
