// The cluster gauges of /metrics on a real etcd and three brokers (1 and 2 in this process, 3 a child
// process so it can be paused): one active controller, leaders and replicas counted per broker; a follower
// SIGSTOPped past replica.lag.time.max.ms makes the leader shrink the ISR (IsrShrinks,
// UnderReplicatedPartitions, UnderMinIsrPartitionCount move on the leader only) and, resumed, rejoin it
// (IsrExpands); a broker that leaves with the only replica of a partition makes the controller report it
// offline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../host-node/broker.js';
import { Admin, Producer } from '../../host-node/client/index.js';
import { createLogger, silentLogger } from '../../host-node/util/log.js';
import { startEtcd, type EtcdHandle } from '../helpers/etcd.js';
import { freePort } from '../helpers/ports.js';
import { BrokerProcess, ensureBuilt } from '../cluster/support/processes.js';
import { waitFor } from '../replication/harness.js';
import { scrape, value } from './scrape.js';

const LAG_MS = 1000;
let etcd: EtcdHandle;
/** Brokers 1 and 2, in this process. */
const brokers = new Map<number, RunningBroker>();
/** Broker 3, a child process, and its metrics URL. */
let b3: BrokerProcess | undefined;
let b3Metrics = '';
const dirs: string[] = [];
let admin: Admin;

const M = {
  urp: 'kafka_server_replicamanager_underreplicatedpartitions',
  underMinIsr: 'kafka_server_replicamanager_underminisrpartitioncount',
  leaders: 'kafka_server_replicamanager_leadercount',
  partitions: 'kafka_server_replicamanager_partitioncount',
  shrinks: 'kafka_server_replicamanager_isrshrinks_total',
  expands: 'kafka_server_replicamanager_isrexpands_total',
  active: 'kafka_controller_kafkacontroller_activecontrollercount',
  offline: 'kafka_controller_kafkacontroller_offlinepartitionscount',
};

function urlOf(id: number): string {
  return id === 3 ? b3Metrics : brokers.get(id)!.metrics!.url;
}

async function metric(id: number, name: string): Promise<number> {
  const v = value((await scrape(urlOf(id))).samples, name);
  if (v === undefined) throw new Error(`broker ${id}: no ${name}`);
  return v;
}

/** Polls a metric of broker `id` until `ok` holds for it. */
async function waitForMetric(id: number, name: string, ok: (v: number) => boolean, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await metric(id, name);
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`broker ${id}: ${name} stayed at ${v}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function partitionOf(id: number, topic: string) {
  return brokers.get(id)?.context.replicaManager?.getPartition(topic, 0);
}

function setsOf(id: number): Record<string, string> {
  return {
    'etcd.connect': etcd.connect,
    'node.id': String(id),
    // A paused broker keeps its registration: the leader, not the controller, takes it out of the ISR.
    'broker.session.timeout.ms': '8000',
    'broker.heartbeat.interval.ms': '1000',
    'replica.lag.time.max.ms': String(LAG_MS),
    'replica.fetch.wait.max.ms': '100',
    'replica.fetch.backoff.ms': '100',
    // Every replica needed: one out of the ISR puts the partition under min ISR.
    'min.insync.replicas': '3',
  };
}

beforeAll(async () => {
  ensureBuilt();
  etcd = await startEtcd();
  const log = process.env.RIVULET_TEST_LOG ? createLogger('test', 'debug') : silentLogger;
  for (const id of [1, 2]) {
    const dataDir = mkdtempSync(join(tmpdir(), `rivulet-cm-${id}-`));
    dirs.push(dataDir);
    brokers.set(id, await startBroker({ host: '127.0.0.1', port: 0, dataDir, sets: { ...setsOf(id), 'metrics.port': '0' }, log: log.child(`b${id}`) }));
  }
  const metricsPort = await freePort();
  b3 = await BrokerProcess.start({ sets: { ...setsOf(3), 'metrics.port': String(metricsPort) } });
  b3Metrics = `http://127.0.0.1:${metricsPort}/metrics`;
  admin = new Admin({ bootstrapServers: [...[...brokers.values()].map((b) => `127.0.0.1:${b.port}`), b3.bootstrap].join(',') });
}, 90_000);

afterAll(async () => {
  b3?.resume();
  await admin?.close();
  await Promise.all([...brokers.values()].map((b) => b.close().catch(() => {})));
  b3?.signal('SIGKILL');
  await b3?.exited;
  await etcd?.stop();
  for (const d of [...dirs, ...(b3 ? [b3.dataDir] : [])]) rmSync(d, { recursive: true, force: true });
}, 60_000);

describe('cluster metrics', () => {
  const IDS = [1, 2, 3];
  let controller = -1;

  it('reports one active controller, and leaders and replicas per broker', async () => {
    // Broker 1 first in the assignment: the preferred leader.
    await admin.createTopics([{ name: 'm', assignments: { 0: [1, 2, 3] } }]);
    await waitFor('broker 1 leading m-0 with an ISR of 3', () => partitionOf(1, 'm')?.isLeader === true && partitionOf(1, 'm')!.isr.length === 3, 15_000);
    const active = await Promise.all(IDS.map((id) => metric(id, M.active)));
    expect(active.reduce((a, b) => a + b, 0)).toBe(1);
    controller = IDS[active.indexOf(1)]!;
    for (const id of IDS) {
      expect(await waitForMetric(id, M.partitions, (v) => v === 1), `broker ${id} PartitionCount`).toBe(1);
      expect(await metric(id, M.leaders), `broker ${id} LeaderCount`).toBe(id === 1 ? 1 : 0);
      expect(await metric(id, M.urp), `broker ${id} UnderReplicatedPartitions`).toBe(0);
      expect(await metric(id, M.underMinIsr)).toBe(0);
      expect(await metric(id, M.shrinks)).toBe(0);
      expect(await metric(id, M.offline)).toBe(0);
    }
  }, 30_000);

  it('shows the leader shrinking the ISR while a follower is paused, and expanding it when it is back', async () => {
    const producer = new Producer({ bootstrapServers: `127.0.0.1:${brokers.get(1)!.port}` }, { acks: 1, lingerMs: 0 });
    b3!.pause();
    try {
      // Kafka keeps a follower at the leader's log end in the ISR however long it is silent: records make it lag.
      await producer.sendAll(Array.from({ length: 5 }, (_, i) => ({ topic: 'm', partition: 0, value: `v${i}` })));
      expect(await waitForMetric(1, M.shrinks, (v) => v >= 1)).toBe(1);
      expect(await waitForMetric(1, M.urp, (v) => v === 1)).toBe(1);
      expect(await metric(1, M.underMinIsr)).toBe(1);
      expect(await metric(1, M.expands)).toBe(0);
      expect(partitionOf(1, 'm')!.isr).toEqual([1, 2]);
      expect(await metric(2, M.urp), 'broker 2 is no leader').toBe(0);
      expect(await metric(2, M.shrinks)).toBe(0);
    } finally {
      b3!.resume();
      await producer.close();
    }
    expect(await waitForMetric(1, M.expands, (v) => v >= 1)).toBe(1);
    expect(await waitForMetric(1, M.urp, (v) => v === 0)).toBe(0);
    expect(await metric(1, M.underMinIsr)).toBe(0);
    expect(await metric(1, M.shrinks)).toBe(1);
    expect(await metric(3, M.shrinks), 'broker 3 is no leader').toBe(0);
  }, 30_000);

  it('has the controller report a partition whose only replica left as offline', async () => {
    // An in-process broker other than the controller holds the partition's only replica.
    const lonely = [1, 2].find((id) => id !== controller)!;
    await admin.createTopics([{ name: 'solo', assignments: { 0: [lonely] } }]);
    await waitFor('solo-0 led by its replica', () => partitionOf(lonely, 'solo')?.isLeader === true, 15_000);
    expect(await metric(controller, M.offline)).toBe(0);
    await brokers.get(lonely)!.close();
    brokers.delete(lonely);
    expect(await waitForMetric(controller, M.offline, (v) => v >= 1)).toBe(1);
    const other = IDS.find((id) => id !== lonely && id !== controller)!;
    expect(await metric(other, M.offline), `broker ${other} is no controller`).toBe(0);
    expect(await metric(other, M.active)).toBe(0);
  }, 30_000);
});
