// Brokers in this process forming a cluster on a test etcd: each on 127.0.0.1 with its own temp data dir
// (kept across a stop and start, as a restarted broker keeps its disk) and the port it first bound (its
// registration keeps the same endpoint). A Fetch gate lets a test hold back the replica fetches of chosen
// brokers, so a replica stays out of the ISR for as long as the test needs.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../../host-node/broker.js';
import { Admin } from '../../../host-node/client/admin.js';
import type { TopicDescription } from '../../../host-node/client/admin.js';
import type { ApiHandler } from '../../../host-node/server/registry.js';
import type { BrokerService } from '../../../host-node/server/context.js';
import type { HandlerRegistry } from '../../../host-node/server/registry.js';
import { createLogger, silentLogger } from '../../../host-node/util/log.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';

/** Fast timings for tests: short sessions and replica fetch waits. */
export const FAST_CLUSTER_SETS: Record<string, string> = {
  'broker.session.timeout.ms': '3000',
  'broker.heartbeat.interval.ms': '500',
  'replica.fetch.wait.max.ms': '100',
  'replica.fetch.backoff.ms': '100',
  'controlled.shutdown.retry.backoff.ms': '500',
  'auto.leader.rebalance.enable': 'false',
};

export class GatedCluster {
  readonly brokers = new Map<number, RunningBroker>();
  readonly dataDirs = new Map<number, string>();
  private readonly ports = new Map<number, number>();
  /** Broker ids whose replica fetches every broker holds back while they are in this set. */
  readonly heldReplicas = new Set<number>();
  private readonly releases: (() => void)[] = [];
  /** Replica fetches waiting at a gate now, by `<leader broker>:<replica broker>`. */
  private readonly parked = new Map<string, number>();

  private constructor(
    readonly etcd: EtcdHandle,
    private readonly sets: Record<string, string>,
  ) {}

  static async start(ids: readonly number[], sets: Record<string, string> = {}): Promise<GatedCluster> {
    const c = new GatedCluster(await startEtcd(), { ...FAST_CLUSTER_SETS, ...sets });
    try {
      for (const id of ids) await c.startBroker(id);
    } catch (e) {
      await c.close();
      throw e;
    }
    return c;
  }

  bootstrap(): string {
    return [...this.brokers.values()].map((b) => `127.0.0.1:${b.port}`).join(',');
  }

  async startBroker(id: number, sets: Record<string, string> = {}): Promise<RunningBroker> {
    if (!this.dataDirs.has(id)) this.dataDirs.set(id, mkdtempSync(join(tmpdir(), `rivulet-cluster-${id}-`)));
    const b = await startBroker({
      host: '127.0.0.1',
      port: this.ports.get(id) ?? 0,
      dataDir: this.dataDirs.get(id)!,
      sets: { ...this.sets, ...sets, 'etcd.connect': this.etcd.connect, 'node.id': String(id) },
      log: process.env.RIVULET_TEST_LOG ? createLogger(`broker-${id}`, 'debug') : silentLogger,
      configureHandlers: (registry) => this.gateReplicaFetches(id, registry),
    });
    this.ports.set(id, b.port);
    this.brokers.set(id, b);
    return b;
  }

  /** Stops a broker (its controlled shutdown runs unless the broker's config turned it off); its data stays. */
  async stopBroker(id: number): Promise<void> {
    const b = this.brokers.get(id);
    this.brokers.delete(id);
    await b?.close();
  }

  /** Lets held replica fetches of `id` go on. */
  release(id: number): void {
    this.heldReplicas.delete(id);
    for (const r of this.releases.splice(0)) r();
  }

  /**
   * Resolves once a replica fetch of `id` waits at the gate of broker `leader`: a follower has one fetch in
   * flight per leader, so from then on no fetch that began before `id` was held brings records from `leader`.
   */
  async waitParked(id: number, leader: number, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!(this.parked.get(`${leader}:${id}`)! > 0)) {
      if (Date.now() > until) throw new Error(`no replica fetch of broker ${id} reached the gate of broker ${leader} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  admin(): Admin {
    return new Admin({ bootstrapServers: this.bootstrap(), clientId: 'cluster-test', requestTimeoutMs: 15_000, retries: 5 }, { timeoutMs: 15_000 });
  }

  partitionDir(id: number, topic: string, partition: number): string {
    return join(this.dataDirs.get(id)!, `${topic}-${partition}`);
  }

  hasPartitionDir(id: number, topic: string, partition: number): boolean {
    return existsSync(this.partitionDir(id, topic, partition));
  }

  async close(): Promise<void> {
    this.heldReplicas.clear();
    for (const r of this.releases.splice(0)) r();
    for (const id of [...this.brokers.keys()]) await this.stopBroker(id).catch(() => {});
    await this.etcd.stop();
    for (const dir of this.dataDirs.values()) rmSync(dir, { recursive: true, force: true });
  }

  /** Wraps Fetch: a replica fetch from a held broker waits until the broker is released. */
  private gateReplicaFetches(leader: number, registry: HandlerRegistry): void {
    const entry = registry.get(ApiKey.Fetch)!;
    const inner = entry.handler as unknown as ApiHandler<typeof ApiKey.Fetch, BrokerService>;
    const gated: ApiHandler<typeof ApiKey.Fetch, BrokerService> = {
      ...inner,
      async handle(request, ctx) {
        const replica = request.replicaState.replicaId >= 0 ? request.replicaState.replicaId : request.replicaId;
        if (held.has(replica)) {
          const key = `${leader}:${replica}`;
          parked.set(key, (parked.get(key) ?? 0) + 1);
          try {
            for (let i = 0; i < 600 && held.has(replica); i++) await new Promise<void>((r) => (releases.push(r), setTimeout(r, 100)));
          } finally {
            parked.set(key, parked.get(key)! - 1);
          }
        }
        return inner.handle(request, ctx);
      },
    };
    const held = this.heldReplicas;
    const releases = this.releases;
    const parked = this.parked;
    (entry as { handler: unknown }).handler = gated;
  }
}

/** Polls `describe` until `ok` holds for the topic (or throws after `timeoutMs` with the last description). */
export async function waitForTopic(admin: Admin, topic: string, ok: (t: TopicDescription) => boolean, timeoutMs = 20_000): Promise<TopicDescription> {
  const until = Date.now() + timeoutMs;
  let last: TopicDescription | undefined;
  for (;;) {
    try {
      last = (await admin.describeTopics([topic]))[0];
      if (last && ok(last)) return last;
    } catch {
      // a broker of the bootstrap list may be stopping; ask again
    }
    if (Date.now() > until) throw new Error(`topic ${topic} did not reach the expected state within ${timeoutMs} ms: ${JSON.stringify(last?.partitions)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
