// A cluster of in-process brokers on one real etcd: each broker is startBroker() with `etcd.connect`, its
// own node.id and temp data dir, listening on 127.0.0.1:0. A broker can be closed (a clean, controlled
// shutdown) and started again on the same data dir; its new listener port is then a different one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../../host-node/broker.js';
import { createLogger, silentLogger } from '../../../host-node/util/log.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';

export interface InProcessClusterOptions {
  /** Node ids (default 1..3). */
  readonly ids?: readonly number[];
  /** Config keys for every broker (`etcd.connect` and `node.id` are set here). */
  readonly sets?: Record<string, string>;
}

export class InProcessCluster {
  private readonly running = new Map<number, RunningBroker>();
  private readonly dirs = new Map<number, string>();

  private constructor(
    readonly etcd: EtcdHandle,
    readonly ids: readonly number[],
    private readonly sets: Record<string, string>,
  ) {}

  static async start(o: InProcessClusterOptions = {}): Promise<InProcessCluster> {
    const etcd = await startEtcd();
    const c = new InProcessCluster(etcd, o.ids ?? [1, 2, 3], o.sets ?? {});
    try {
      await Promise.all(c.ids.map((id) => c.startNode(id)));
    } catch (e) {
      await c.close();
      throw e;
    }
    return c;
  }

  /** Starts broker `id` (again) on its data dir. */
  async startNode(id: number): Promise<RunningBroker> {
    if (this.running.has(id)) throw new Error(`broker ${id} is running`);
    const dataDir = this.dirs.get(id) ?? mkdtempSync(join(tmpdir(), `rivulet-cluster-${id}-`));
    this.dirs.set(id, dataDir);
    const log = process.env.RIVULET_TEST_LOG ? createLogger(`b${id}`, 'debug') : silentLogger;
    const b = await startBroker({
      host: '127.0.0.1',
      port: 0,
      dataDir,
      log,
      sets: { 'etcd.connect': this.etcd.connect, 'node.id': String(id), ...this.sets },
    });
    this.running.set(id, b);
    return b;
  }

  /** Closes broker `id` cleanly (controlled shutdown); its data dir stays. */
  async stopNode(id: number): Promise<void> {
    const b = this.running.get(id);
    if (!b) return;
    this.running.delete(id);
    await b.close();
  }

  broker(id: number): RunningBroker {
    const b = this.running.get(id);
    if (!b) throw new Error(`broker ${id} is not running`);
    return b;
  }

  brokers(): RunningBroker[] {
    return [...this.running.values()];
  }

  runningIds(): number[] {
    return [...this.running.keys()].sort((a, b) => a - b);
  }

  dataDir(id: number): string {
    return this.dirs.get(id)!;
  }

  /** `127.0.0.1:p1,127.0.0.1:p2,…` of the running brokers. */
  bootstrap(): string {
    return this.brokers()
      .map((b) => `127.0.0.1:${b.port}`)
      .join(',');
  }

  async close(): Promise<void> {
    await Promise.all(this.brokers().map((b) => b.close().catch(() => {})));
    this.running.clear();
    await this.etcd.stop();
    for (const d of this.dirs.values()) rmSync(d, { recursive: true, force: true });
  }
}

/** Polls `cond` every 20 ms until it holds, or throws naming `what` after timeoutMs. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
