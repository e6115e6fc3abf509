// A cluster for the fault trials: one real etcd (test/helpers/etcd.ts) and N real broker processes
// (BrokerProcess) with node.id 1..N, replication defaults of Kafka's replication system tests (RF 3,
// min.insync.replicas 2) and short failure timings; plus what the trials ask it: Metadata as one broker
// sees it, the controller epoch in etcd, a topic's partition files on a broker, the final read and check.
//
//   const c = await FaultCluster.start({ sets: { 'replica.lag.time.max.ms': '3000' } });
//   await c.createTopic('t', 3);
//   const md = await c.waitMetadata('a new leader', 't', (m) => m.partitions[0]!.leader === 2);
//   const r = await c.readAndCheck('t', produced);   // checkHistory over a full read
//   await c.cleanup();
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { ApiKey } from '../../../protocol/generated/index.js';
import { ZERO_UUID } from '../../../protocol/wire/uuid.js';
import { KafkaTestClient } from '../../helpers/broker.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { checkHistory, type CheckResult, type ProduceAttempt } from './history.js';
import { BrokerProcess } from './processes.js';
import { consumeAll } from './workload.js';

/** Settings every trial broker gets (node.id and etcd.connect are added per broker). */
export const TRIAL_SETS: Readonly<Record<string, string>> = {
  'default.replication.factor': '3',
  'min.insync.replicas': '2',
  'broker.session.timeout.ms': '2000',
  'broker.heartbeat.interval.ms': '500',
  'replica.lag.time.max.ms': '3000',
  'auto.create.topics.enable': 'false',
};

export interface PartitionView {
  partition: number;
  errorCode: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

export interface MetadataView {
  /** The broker that answered. */
  via: number;
  controllerId: number;
  brokers: number[];
  partitions: PartitionView[];
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class FaultCluster {
  private constructor(
    readonly etcd: EtcdHandle,
    readonly brokers: BrokerProcess[],
  ) {}

  /** Starts etcd and `brokers` broker processes (ids 1..n) and waits until every broker is registered. */
  static async start(o: { brokers?: number; sets?: Record<string, string> } = {}): Promise<FaultCluster> {
    const etcd = await startEtcd();
    const n = o.brokers ?? 3;
    const started = await Promise.allSettled(
      Array.from({ length: n }, (_, i) => BrokerProcess.start({ sets: { ...TRIAL_SETS, ...o.sets, 'node.id': String(i + 1), 'etcd.connect': etcd.connect } })),
    );
    const brokers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const c = new FaultCluster(etcd, brokers);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await c.cleanup();
      throw (failed as PromiseRejectedResult).reason;
    }
    await c.waitMetadata('every broker registered', null, (m) => m.brokers.length === n && m.controllerId > 0, 30_000);
    return c;
  }

  /** The broker process with node.id `id`. */
  broker(id: number): BrokerProcess {
    return this.brokers[id - 1]!;
  }

  get ids(): number[] {
    return this.brokers.map((_, i) => i + 1);
  }

  /** Every broker's address, as a client's bootstrap list. */
  get bootstrap(): string {
    return this.brokers.map((b) => b.bootstrap).join(',');
  }

  /** Metadata for `topic` (or no topic) as broker `via` answers it (default: the first running broker). */
  async metadata(topic: string | null, via?: number): Promise<MetadataView> {
    const id = via ?? this.ids.find((i) => this.broker(i).running);
    if (id === undefined) throw new Error('no broker is running');
    const c = await KafkaTestClient.connect(this.broker(id).port);
    try {
      const topics = topic === null ? [] : [{ name: topic, topicId: ZERO_UUID }];
      const md = await c.request(ApiKey.Metadata, 12, { topics, allowAutoTopicCreation: false });
      const t = md.topics[0];
      const partitions = (t?.partitions ?? []).map((p) => ({
        partition: p.partitionIndex,
        errorCode: p.errorCode,
        leader: p.leaderId,
        leaderEpoch: p.leaderEpoch,
        replicas: [...p.replicaNodes],
        isr: [...p.isrNodes].sort((a, b) => a - b),
      }));
      partitions.sort((a, b) => a.partition - b.partition);
      return { via: id, controllerId: md.controllerId, brokers: md.brokers.map((b) => b.nodeId).sort((a, b) => a - b), partitions };
    } finally {
      c.close();
    }
  }

  /** Polls Metadata (from `via`, or the first running broker) until `ok` holds; fails naming `what` after timeoutMs. */
  async waitMetadata(what: string, topic: string | null, ok: (m: MetadataView) => boolean, timeoutMs = 20_000, via?: number): Promise<MetadataView> {
    const until = Date.now() + timeoutMs;
    let last: MetadataView | string = 'no answer';
    while (Date.now() < until) {
      try {
        const m = await this.metadata(topic, via);
        if (ok(m)) return m;
        last = m;
      } catch (e) {
        last = String(e);
      }
      await sleep(100);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last metadata: ${JSON.stringify(last)}`);
  }

  /** Waits until every partition of `topic` has a leader and every one of its replicas in its ISR. */
  waitFullIsr(topic: string, timeoutMs = 30_000): Promise<MetadataView> {
    const full = (p: PartitionView) => p.leader > 0 && p.replicas.length > 0 && p.replicas.every((id) => p.isr.includes(id));
    return this.waitMetadata(`every replica in the ISR of every partition of ${topic}`, topic, (m) => m.partitions.length > 0 && m.partitions.every(full), timeoutMs);
  }

  /** CreateTopics through broker `via` (any broker forwards to the cluster); explicit assignments when given. */
  async createTopic(name: string, partitions: number, o: { assignments?: number[][]; via?: number; replicationFactor?: number } = {}): Promise<void> {
    const via = o.via ?? this.ids.find((i) => this.broker(i).running)!;
    const c = await KafkaTestClient.connect(this.broker(via).port);
    try {
      const assignments = (o.assignments ?? []).map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds }));
      const topic = { name, numPartitions: assignments.length > 0 ? -1 : partitions, replicationFactor: assignments.length > 0 ? -1 : (o.replicationFactor ?? 3), assignments, configs: [] };
      const r = await c.request(ApiKey.CreateTopics, 7, { timeoutMs: 15_000, topics: [topic], validateOnly: false });
      const t = r.topics[0]!;
      if (t.errorCode !== 0) throw new Error(`CreateTopics ${name} via broker ${via}: error ${t.errorCode} ${t.errorMessage ?? ''}`);
    } finally {
      c.close();
    }
    await this.waitFullIsr(name);
  }

  /** The controller epoch kept in etcd (/controller_epoch). */
  async controllerEpoch(): Promise<number> {
    const client = new Etcd3({ hosts: this.etcd.endpoint });
    try {
      return Number(JSON.parse((await client.get('/controller_epoch').string()) ?? '0'));
    } finally {
      client.close();
    }
  }

  /** The bytes of every segment file (`*.log`) of topic-partition on broker `id`, in offset order. */
  partitionLogBytes(id: number, topic: string, partition: number): Buffer {
    const dir = findPartitionDir(this.broker(id).dataDir, `${topic}-${partition}`);
    const segments = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
    return Buffer.concat(segments.map((f) => readFileSync(join(dir, f))));
  }

  /** Reads every partition of `topic` from the beginning with a fresh consumer and checks the history. */
  async readAndCheck(topic: string, produced: ProduceAttempt[]): Promise<CheckResult> {
    const read = await consumeAll({ bootstrap: this.bootstrap, topic, consumerId: 'final' });
    return checkHistory({ produced, consumed: read.records, completeReaders: read.complete ? ['final'] : [] });
  }

  /** The last lines of every broker's log, for a failing trial. */
  logTails(chars = 1500): string {
    return this.brokers.map((b, i) => `--- broker ${i + 1} (port ${b.port}) ---\n${b.logTail(chars)}`).join('\n');
  }

  /** Stops every broker and etcd and removes their data (the broker logs too, unless keepLogs). */
  async cleanup(o: { keepLogs?: boolean } = {}): Promise<void> {
    await Promise.all(this.brokers.map((b) => b.cleanup({ keepLog: o.keepLogs })));
    await this.etcd.stop();
  }
}

/** The directory named `name` under `root` (a broker's data dir), searched two levels deep. */
function findPartitionDir(root: string, name: string): string {
  for (const e of readdirSync(root, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    if (e.name === name) return join(root, name);
    for (const f of readdirSync(join(root, e.name), { withFileTypes: true })) if (f.isDirectory() && f.name === name) return join(root, e.name, name);
  }
  throw new Error(`no directory ${name} under ${root}`);
}
