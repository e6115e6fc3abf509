// A cluster of real broker processes on one etcd for the fault tests, optionally behind TCP proxies the
// test owns: with `proxied`, broker N advertises `127.0.0.1:<its listener proxy>` (so clients and the
// other brokers' fetchers reach it only through that proxy) and reaches etcd through a proxy of its own.
// Cutting both proxies of a broker cuts it off from clients, from the brokers fetching from it, and from
// etcd; its own fetches from other leaders go through their proxies, which stay up.
//
//   const c = await ProxiedCluster.start({ brokers: 3, proxied: true, sets: { 'min.insync.replicas': '2' } });
//   await c.createTopic('t', 6, 3);
//   await c.waitPartitions(1, 't', (ps) => ps.every((p) => p.isr.length === 3));
//   c.node(2).listenerProxy!.cut('silent'); ...
//   await c.close();
import { Etcd3 } from 'etcd3';
import { ApiKey } from '../../../protocol/generated/index.js';
import { KafkaTestClient } from '../../helpers/broker.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { freePort } from '../../helpers/ports.js';
import { BrokerProcess } from './processes.js';
import { TcpProxy } from './tcp-proxy.js';

export interface PartitionView {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

export interface ClusterNode {
  readonly id: number;
  readonly broker: BrokerProcess;
  /** The advertised listener (proxied clusters only). */
  readonly listenerProxy: TcpProxy | null;
  /** This broker's link to etcd (proxied clusters only). */
  readonly etcdProxy: TcpProxy | null;
}

export interface ProxiedClusterOptions {
  brokers: number;
  proxied: boolean;
  /** Config for every broker (node.id, etcd.connect and advertised.listeners are set here). */
  sets?: Record<string, string>;
}

/** Polls `probe` every 200 ms until `ok` holds (returns the value) or `timeoutMs` passed (returns null). */
export async function pollUntil<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T | null> {
  const until = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000; i++) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && ok(v)) return v;
    if (Date.now() > until) return null;
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}

export class ProxiedCluster {
  readonly etcdClient: Etcd3;

  private constructor(
    readonly etcd: EtcdHandle,
    readonly nodes: ClusterNode[],
  ) {
    this.etcdClient = new Etcd3({ hosts: etcd.endpoint });
  }

  static async start(o: ProxiedClusterOptions): Promise<ProxiedCluster> {
    const etcd = await startEtcd();
    const made: ClusterNode[] = [];
    try {
      const starting = [];
      for (let id = 1; id <= o.brokers; id++) starting.push(startNode(id, etcd, o));
      const settled = await Promise.allSettled(starting);
      for (const s of settled) if (s.status === 'fulfilled') made.push(s.value);
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      const c = new ProxiedCluster(etcd, made.sort((a, b) => a.id - b.id));
      if (!(await c.waitRegistered(30_000))) throw new Error(`not every broker registered in etcd:\n${c.logTails()}`);
      return c;
    } catch (e) {
      for (const n of made) await closeNode(n);
      await etcd.stop();
      throw e;
    }
  }

  node(id: number): ClusterNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no broker ${id}`);
    return n;
  }

  /** The bootstrap list clients use: the advertised addresses (the proxies in a proxied cluster). */
  get bootstrap(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.listenerProxy?.port ?? n.broker.port}`).join(',');
  }

  /** A test client on broker `id`'s own port (never through its proxy). */
  connect(id: number): Promise<KafkaTestClient> {
    return KafkaTestClient.connect(this.node(id).broker.port);
  }

  async createTopic(name: string, partitions: number, replicationFactor: number, via = 1): Promise<number> {
    const c = await this.connect(via);
    try {
      const r = await c.request(ApiKey.CreateTopics, 7, { timeoutMs: 15_000, topics: [{ name, numPartitions: partitions, replicationFactor, assignments: [], configs: [] }] });
      return r.topics[0]!.errorCode;
    } finally {
      c.close();
    }
  }

  /** Metadata of `topic` as broker `id` answers it (its own port), plus the brokers and controller it lists. */
  async metadata(id: number, topic?: string): Promise<{ brokers: number[]; controller: number; partitions: PartitionView[] }> {
    const c = await this.connect(id);
    try {
      const r = await c.request(ApiKey.Metadata, 12, { topics: topic === undefined ? [] : [{ name: topic }], allowAutoTopicCreation: false });
      const brokers = r.brokers.map((b) => b.nodeId).sort();
      if (topic === undefined) return { brokers, controller: r.controllerId, partitions: [] };
      const t = r.topics[0]!;
      if (t.errorCode !== 0) throw new Error(`Metadata ${topic} from broker ${id}: error ${t.errorCode}`);
      const partitions = t.partitions
        .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: [...p.replicaNodes], isr: [...p.isrNodes].sort() }))
        .sort((a, b) => a.partition - b.partition);
      return { brokers, controller: r.controllerId, partitions };
    } finally {
      c.close();
    }
  }

  /** Waits until broker `id`'s Metadata of `topic` satisfies `ok`; null on timeout. */
  waitPartitions(id: number, topic: string, ok: (ps: PartitionView[]) => boolean, timeoutMs = 30_000): Promise<PartitionView[] | null> {
    return pollUntil(async () => (await this.metadata(id, topic)).partitions, (ps) => ps.length > 0 && ok(ps), timeoutMs);
  }

  /** The broker epoch of `id` (the create revision of /brokers/ids/<id>), or -1 when it is not registered. */
  async brokerEpoch(id: number): Promise<number> {
    const r = await this.etcdClient.get(`/brokers/ids/${id}`).exec();
    const kv = r.kvs[0];
    return kv ? Number(kv.create_revision) : -1;
  }

  /** Waits until every broker's Metadata lists every broker (each is registered and sees the others). */
  async waitRegistered(timeoutMs: number): Promise<boolean> {
    const all = this.nodes.map((n) => n.id).join();
    for (const n of this.nodes) {
      const ok = await pollUntil(async () => (await this.metadata(n.id)).brokers.join(), (ids) => ids === all, timeoutMs);
      if (ok === null) return false;
    }
    return true;
  }

  /** Log tails of every broker, for a failure message. */
  logTails(chars = 1500): string {
    return this.nodes.map((n) => `--- broker ${n.id} ---\n${n.broker.logTail(chars)}`).join('\n');
  }

  async close(): Promise<void> {
    this.etcdClient.close();
    for (const n of this.nodes) await closeNode(n);
    await this.etcd.stop();
  }
}

async function startNode(id: number, etcd: EtcdHandle, o: ProxiedClusterOptions): Promise<ClusterNode> {
  const port = await freePort();
  const listenerProxy = o.proxied ? await TcpProxy.start({ port }) : null;
  const etcdProxy = o.proxied ? await TcpProxy.start({ port: etcd.clientPort }) : null;
  const sets: Record<string, string> = {
    'auto.create.topics.enable': 'false',
    ...o.sets,
    'node.id': String(id),
    'etcd.connect': etcdProxy ? `127.0.0.1:${etcdProxy.port}` : etcd.connect,
  };
  if (listenerProxy) sets['advertised.listeners'] = `PLAINTEXT://127.0.0.1:${listenerProxy.port}`;
  try {
    const broker = await BrokerProcess.start({ port, sets, startTimeoutMs: 60_000 });
    return { id, broker, listenerProxy, etcdProxy };
  } catch (e) {
    await listenerProxy?.close();
    await etcdProxy?.close();
    throw e;
  }
}

async function closeNode(n: ClusterNode): Promise<void> {
  n.listenerProxy?.heal();
  n.etcdProxy?.heal();
  await n.broker.cleanup();
  await n.listenerProxy?.close();
  await n.etcdProxy?.close();
}
