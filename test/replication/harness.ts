// In-process brokers running a replica manager without etcd: the test plays the metadata side, pushing
// partition states to every broker, and an in-memory IsrStore with etcd's compare-and-swap semantics
// (a write succeeds only against the partition epoch it read, and bumps it) pushes accepted ISR changes
// to every broker the way the metadata watch would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../host-node/broker.js';
import { createLogger, silentLogger } from '../../host-node/util/log.js';
import { newTopicId } from '../../host-node/topics/names.js';
import type { AlterPartitionResult, BrokerEndpoint, ConnectToLeader, IsrStore, IsrUpdate, PartitionState, ReplicationConfig } from '../../host-node/replication/types.js';
import { ApiKey } from '../../protocol/generated/api.js';
import type { Partition } from '../../host-node/replication/partition.js';
import { Connection } from '../../host-node/client/connection.js';

export class InMemoryIsrStore implements IsrStore {
  private readonly states = new Map<string, PartitionState>();
  private revision = 1;
  /** Every accepted change, in order (tests read the ISR history). */
  readonly accepted: PartitionState[] = [];
  onChange: (s: PartitionState) => void = () => {};

  /** The metadata side writes a state (a controller decision): a new partition epoch. */
  put(s: Omit<PartitionState, 'partitionEpoch'>): PartitionState {
    const state = { ...s, partitionEpoch: ++this.revision };
    this.states.set(`${s.topic}-${s.partition}`, state);
    return state;
  }

  all(): PartitionState[] {
    return [...this.states.values()];
  }

  get(topic: string, partition: number): PartitionState | undefined {
    return this.states.get(`${topic}-${partition}`);
  }

  async alterPartition(topic: string, partition: number, update: IsrUpdate, expectedPartitionEpoch: number): Promise<AlterPartitionResult> {
    const cur = this.get(topic, partition);
    if (cur === undefined) return { ok: false };
    if (cur.partitionEpoch !== expectedPartitionEpoch || cur.leader !== update.leader || cur.leaderEpoch !== update.leaderEpoch) return { ok: false, current: cur };
    const next = this.put({ ...cur, isr: [...update.isr] });
    this.accepted.push(next);
    queueMicrotask(() => this.onChange(next));
    return { ok: true, partitionEpoch: next.partitionEpoch };
  }
}

export interface TestCluster {
  readonly brokers: Map<number, RunningBroker>;
  readonly store: InMemoryIsrStore;
  readonly topicId: string;
  endpoints(): Map<number, BrokerEndpoint>;
  /** Writes a state (new partition epoch) and pushes it to every running broker. */
  publish(s: Omit<PartitionState, 'partitionEpoch' | 'topicId'>): PartitionState;
  partition(brokerId: number, topic: string, p?: number): Partition;
  connect(brokerId: number): Promise<Connection>;
  /** Stops a broker (its data stays) and tells the others nothing: its followers just stop fetching. */
  stop(brokerId: number): Promise<void>;
  /** Starts a stopped broker again on its data, and pushes every known state to it. */
  restart(brokerId: number): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  config?: Partial<ReplicationConfig>;
  sets?: Record<string, string>;
  /** The Fetch versions followers may use (an older leader's range). */
  fetchVersions?: readonly [number, number];
}

export async function startCluster(ids: readonly number[], o: ClusterOptions = {}): Promise<TestCluster> {
  const store = new InMemoryIsrStore();
  const brokers = new Map<number, RunningBroker>();
  const dirs = new Map<number, string>();
  const conns: Connection[] = [];
  const topicId = newTopicId();
  const log = process.env.RIVULET_TEST_LOG ? createLogger('test', 'debug') : silentLogger;
  const start = async (id: number) => {
    const dataDir = dirs.get(id) ?? mkdtempSync(join(tmpdir(), `rivulet-repl-${id}-`));
    dirs.set(id, dataDir);
    const sets = { 'node.id': String(id), ...o.sets };
    const connect: ConnectToLeader | undefined = o.fetchVersions && ((c) => Connection.connect({ ...c, versionLimits: { [ApiKey.Fetch]: o.fetchVersions! } }));
    const replication = { isrStore: store, brokerEpoch: 100 + id, config: o.config, connect };
    brokers.set(id, await startBroker({ host: '127.0.0.1', port: 0, dataDir, sets, log: log.child(`b${id}`), replication }));
  };
  for (const id of ids) await start(id);
  const endpoints = () => {
    const m = new Map<number, BrokerEndpoint>();
    for (const [id, b] of brokers) m.set(id, { id, host: '127.0.0.1', port: b.port, rack: null });
    return m;
  };
  const push = (s: PartitionState) => {
    for (const b of brokers.values()) b.context.replicaManager?.applyPartitionStates([s], endpoints());
  };
  store.onChange = push;
  return {
    brokers,
    store,
    topicId,
    endpoints,
    publish(s) {
      const state = store.put({ ...s, topicId });
      push(state);
      return state;
    },
    partition(brokerId, topic, p = 0) {
      const part = brokers.get(brokerId)!.context.replicaManager!.getPartition(topic, p);
      if (part === undefined) throw new Error(`broker ${brokerId} has no replica of ${topic}-${p}`);
      return part;
    },
    async connect(brokerId) {
      const c = await Connection.connect({ host: '127.0.0.1', port: brokers.get(brokerId)!.port, clientId: 'replication-test' });
      conns.push(c);
      return c;
    },
    async stop(id) {
      const b = brokers.get(id)!;
      brokers.delete(id);
      await b.close();
    },
    async restart(id) {
      await start(id);
      const all = store.all();
      for (const b of brokers.values()) b.context.replicaManager!.applyPartitionStates(all, endpoints());
    },
    async close() {
      for (const c of conns) c.close();
      await Promise.all([...brokers.values()].map((b) => b.close()));
      for (const d of dirs.values()) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Polls `cond` every 10 ms until it holds or `timeoutMs` passes (then throws naming `what`). */
export async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
