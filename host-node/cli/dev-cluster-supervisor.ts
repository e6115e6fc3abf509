// Runs a dev cluster's processes: etcd first (until it answers), then every broker (until each answers
// ApiVersions); reports a process that exits on its own with its last lines, restarts it when asked to,
// and stops everything in order: the brokers with SIGTERM (their controlled shutdown), then etcd.
import { createWriteStream, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { DevChild, describeExit, type Exit, type LineSink } from './dev-cluster-child.js';
import { brokerIds, brokerPort, brokerSpec, etcdSpec, type DevClusterOptions } from './dev-cluster-plan.js';
import { waitEtcdHealthy, waitServingKafka } from './dev-cluster-ready.js';
import type { ToolIO } from './client-tool.js';

const ETCD_READY_MS = 30_000;
const BROKER_READY_MS = 60_000;
/** How long a broker's controlled shutdown may take before it is killed. */
export const BROKER_STOP_GRACE_MS = 30_000;
const ETCD_STOP_GRACE_MS = 10_000;
const RESTART_DELAY_MS = 1000;
/** A process that ran shorter than this before exiting counts as a failed start. */
const QUICK_EXIT_MS = 10_000;
/** Consecutive failed starts after which --restart gives up on a process. */
const MAX_QUICK_RESTARTS = 5;

export interface SupervisorFlags {
  /** etcd's output on the terminal, prefixed [etcd], instead of in <dir>/etcd.log. */
  verbose: boolean;
  /** Start a process again when it exits on its own. */
  restart: boolean;
}

export class DevClusterSupervisor {
  readonly etcd: DevChild;
  readonly brokers: DevChild[];
  private stopping = false;
  /** Set once start() succeeded: before, an exit fails start() itself, which reports it. */
  private started = false;
  private readonly etcdLog: WriteStream | null;
  private readonly quickExits = new Map<DevChild, number>();
  /** Brokers that are down for good (exited, no restart coming). */
  private readonly gone = new Set<DevChild>();
  private allGone: () => void = () => {};
  /** Resolves once every broker is down for good: nothing is left to serve clients. */
  readonly allBrokersGone = new Promise<void>((r) => (this.allGone = r));

  constructor(
    private readonly o: DevClusterOptions,
    etcdBin: string,
    cliEntry: string,
    private readonly io: ToolIO,
    private readonly flags: SupervisorFlags,
  ) {
    this.etcdLog = flags.verbose ? null : createWriteStream(this.etcdLogPath, { flags: 'a' });
    this.etcd = new DevChild(etcdSpec(o, etcdBin), this.etcdSink());
    this.brokers = brokerIds(o).map((id) => new DevChild(brokerSpec(o, id, cliEntry), this.prefixed(`broker-${id}`)));
  }

  get etcdLogPath(): string {
    return resolve(this.o.dir, 'etcd.log');
  }

  /** Starts etcd, then the brokers; resolves once all serve. Throws (with the culprit's last lines) when one fails. */
  async start(): Promise<void> {
    this.launch(this.etcd);
    await this.ready(this.etcd, waitEtcdHealthy(this.etcd, this.o.etcdPort, ETCD_READY_MS));
    this.say(`etcd (pid ${this.etcd.pid}) serves 127.0.0.1:${this.o.etcdPort}; data in ${resolve(this.o.dir, 'etcd')}${this.etcdLog ? `, log in ${this.etcdLogPath}` : ''}`);
    for (const b of this.brokers) {
      this.launch(b);
      this.say(`${b.name} (pid ${b.pid}) starting on PLAINTEXT://127.0.0.1:${brokerPort(this.o, this.brokerId(b))}`);
    }
    await Promise.all(this.brokers.map((b) => this.ready(b, waitServingKafka(b, brokerPort(this.o, this.brokerId(b)), BROKER_READY_MS))));
    this.started = true;
  }

  /** Stops every broker (SIGTERM, SIGKILL after the grace time), then etcd. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.brokers.map((b) => this.stopOne(b, BROKER_STOP_GRACE_MS)));
    await this.stopOne(this.etcd, ETCD_STOP_GRACE_MS);
    await new Promise<void>((r) => (this.etcdLog ? this.etcdLog.end(r) : r()));
    this.say('stopped');
  }

  /** Stops a child; says so when it had to be killed or did not exit cleanly from its SIGTERM. */
  private async stopOne(child: DevChild, graceMs: number): Promise<void> {
    if (!child.running) return;
    const { exit, killed } = await child.stop(graceMs);
    if (killed) this.say(`${child.name} did not stop within ${graceMs / 1000} s: killed`);
    else if (exit.code !== 0 && exit.code !== null) this.say(`${child.name} stopped with ${describeExit(exit)}`);
  }

  /** SIGKILL to every process at once (a second Ctrl-C); resolves once all are gone. */
  async kill(): Promise<void> {
    this.stopping = true;
    for (const c of [...this.brokers, this.etcd]) c.signal('SIGKILL');
    await Promise.all([...this.brokers, this.etcd].map((c) => c.exited));
  }

  private brokerId(b: DevChild): number {
    return this.brokers.indexOf(b) + 1;
  }

  /** Waits for `waiting`; on failure the error carries the child's last lines. */
  private async ready(child: DevChild, waiting: Promise<void>): Promise<void> {
    try {
      await waiting;
    } catch (e) {
      if (!child.running) await child.exited; // every line it wrote has been read
      throw new Error(`${(e as Error).message}${this.tailText(child)}`);
    }
  }

  /** Starts a child, unless the cluster is stopping (a stop during start() must leave nothing running). */
  private launch(child: DevChild): void {
    if (this.stopping) throw new Error(`not starting ${child.name}: the cluster is stopping`);
    child.start();
    void child.exited.then((exit) => this.onExit(child, exit));
  }

  private onExit(child: DevChild, exit: Exit): void {
    if (this.stopping || !this.started) return;
    this.io.stderr.write(`[dev-cluster] ${child.name} exited with ${describeExit(exit)}${this.tailText(child)}\n`);
    const quick = Date.now() - child.startedAt < QUICK_EXIT_MS ? (this.quickExits.get(child) ?? 0) + 1 : 0;
    this.quickExits.set(child, quick);
    if (this.flags.restart && quick < MAX_QUICK_RESTARTS) return this.restartLater(child);
    if (this.flags.restart) this.say(`${child.name} failed ${quick} times in a row right after starting: not restarting it`);
    if (child === this.etcd) return;
    this.gone.add(child);
    if (this.gone.size === this.brokers.length) this.allGone();
  }

  private restartLater(child: DevChild): void {
    this.say(`restarting ${child.name} in ${RESTART_DELAY_MS / 1000} s`);
    setTimeout(() => {
      if (this.stopping) return;
      this.launch(child);
      this.say(`${child.name} restarted (pid ${child.pid})`);
    }, RESTART_DELAY_MS);
  }

  private tailText(child: DevChild): string {
    const lines = child.lastLines();
    if (lines.length === 0) return ' (no output)';
    const where = child === this.etcd && this.etcdLog ? ` (all of it in ${this.etcdLogPath})` : '';
    return `; its last lines${where}:\n${lines.map((l) => `  ${l}`).join('\n')}`;
  }

  private say(msg: string): void {
    this.io.stdout.write(`[dev-cluster] ${msg}\n`);
  }

  private prefixed(name: string): LineSink {
    return (line, stream) => (stream === 'out' ? this.io.stdout : this.io.stderr).write(`[${name}] ${line}\n`);
  }

  private etcdSink(): LineSink {
    const log = this.etcdLog;
    return log ? (line) => void log.write(line + '\n') : this.prefixed('etcd');
  }
}
