// A broker as a real child process for fault tests: the built `node bin/rivulet.js broker`, on a port
// chosen free beforehand on 127.0.0.1 (so a restart comes back on the same one), a data dir, and its
// stdout+stderr appended to a log file. Faults are signals by PID.
//
//   ensureBuilt();                                            // once, in beforeAll (builds dist/ when stale)
//   const b = await BrokerProcess.start({ sets: { 'log.flush.interval.messages': '1' } });
//   b.kill();                     // SIGKILL, resolves when it exited
//   b.pause(); b.resume();        // SIGSTOP / SIGCONT
//   await b.restart();            // same port, same data dir; resolves once it answers ApiVersions
//   await b.stop();               // SIGTERM (clean shutdown), resolves with the exit code
//   b.cleanup();                  // kills it if alive, removes the data dir it made (keep the log with keepLog)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiKey } from '../../../protocol/generated/index.js';
import { KafkaTestClient } from '../../helpers/broker.js';
import { freePort } from '../../helpers/ports.js';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Source folders whose .ts files dist/ is built from. */
const SOURCES = ['common', 'bindings', 'protocol', 'storage', 'client', 'host-node'];

function newestTs(dir: string, depth = 0): number {
  let t = 0;
  if (!existsSync(dir) || depth > 8) return t;
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newestTs(p, depth + 1) : n.endsWith('.ts') ? s.mtimeMs : 0);
  }
  return t;
}

/** Runs `npm run build` (scripts/build.mjs) when dist/ is missing or older than a source file. */
export function ensureBuilt(): void {
  const entry = join(ROOT, 'dist/host-node/cli/main.js');
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  if (built > 0 && SOURCES.every((d) => newestTs(join(ROOT, d)) <= built)) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
}

export interface BrokerProcessOptions {
  /** Data dir (log.dirs); a fresh temp dir when absent, removed by cleanup(). */
  dataDir?: string;
  /** Port of the Kafka listener; a free one when absent. */
  port?: number;
  /** Config keys passed as `--set k=v` (e.g. node.id, etcd.connect, advertised.listeners). */
  sets?: Record<string, string>;
  /** Where stdout and stderr go (appended across restarts); `<dataDir>.log` when absent. */
  logFile?: string;
  /** How long start()/restart() wait for ApiVersions to be answered (default 30 s). */
  startTimeoutMs?: number;
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export class BrokerProcess {
  private proc: ChildProcess | null = null;
  private exit_: Promise<Exit> = Promise.resolve({ code: null, signal: null });
  private readonly ownDataDir: boolean;
  readonly dataDir: string;
  readonly logFile: string;

  private constructor(
    readonly port: number,
    private readonly o: BrokerProcessOptions,
  ) {
    this.ownDataDir = o.dataDir === undefined;
    this.dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'rivulet-fault-'));
    this.logFile = o.logFile ?? `${this.dataDir}.log`;
  }

  /** Starts a broker and resolves once it answers ApiVersions. */
  static async start(o: BrokerProcessOptions = {}): Promise<BrokerProcess> {
    const b = new BrokerProcess(o.port ?? (await freePort()), o);
    await b.restart();
    return b;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Resolves when the current process has exited. */
  get exited(): Promise<Exit> {
    return this.exit_;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts the process again on the same port and data dir (it must not be running). */
  async restart(): Promise<void> {
    if (this.running) throw new Error(`broker on port ${this.port} is still running (pid ${this.pid})`);
    const args = [join(ROOT, 'bin/rivulet.js'), 'broker', '--host', '127.0.0.1', '--port', String(this.port), '--data-dir', this.dataDir];
    for (const [k, v] of Object.entries(this.o.sets ?? {})) args.push('--set', `${k}=${v}`);
    const fd = openSync(this.logFile, 'a');
    try {
      const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', fd, fd] });
      this.proc = proc;
      this.exit_ = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    } finally {
      closeSync(fd); // the child holds its own copy
    }
    await this.waitServing(this.o.startTimeoutMs ?? 30_000);
  }

  /** Resolves once the broker answers ApiVersions; fails after timeoutMs or when the process exited. */
  async waitServing(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`broker on port ${this.port} exited before serving: ${this.logTail()}`);
      if (await answersApiVersions(this.port, Math.min(2000, Math.max(100, until - Date.now())))) return;
      if (Date.now() > until) throw new Error(`broker on port ${this.port} did not answer ApiVersions within ${timeoutMs} ms: ${this.logTail()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends a signal to the process (no-op when it is not running). */
  signal(sig: NodeJS.Signals): void {
    if (this.running) this.proc!.kill(sig);
  }

  /** SIGKILL; resolves once the process has exited. */
  async kill(): Promise<Exit> {
    this.signal('SIGKILL'); // also ends a stopped process, without letting it run first
    return this.exit_;
  }

  /** SIGTERM (the broker's clean shutdown); resolves with the exit once it is done. */
  async stop(): Promise<Exit> {
    this.signal('SIGTERM');
    this.signal('SIGCONT'); // a paused broker handles the SIGTERM once it runs again
    return this.exit_;
  }

  pause(): void {
    this.signal('SIGSTOP');
  }

  resume(): void {
    this.signal('SIGCONT');
  }

  /** The last `chars` characters of the broker's log file. */
  logTail(chars = 2000): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8').slice(-chars) : '';
  }

  /** Kills the process if it runs; removes the data dir (and log, unless keepLog) if this helper made them. */
  async cleanup(o: { keepLog?: boolean } = {}): Promise<void> {
    if (this.running) await this.kill();
    if (!this.ownDataDir) return;
    rmSync(this.dataDir, { recursive: true, force: true });
    if (!o.keepLog) rmSync(this.logFile, { force: true });
  }
}

/** True when 127.0.0.1:port answers an ApiVersions (v3) request with error 0 within timeoutMs. */
export async function answersApiVersions(port: number, timeoutMs = 2000): Promise<boolean> {
  const timer = new Promise<null>((r) => setTimeout(() => r(null), timeoutMs).unref());
  const connecting = KafkaTestClient.connect(port).catch(() => null);
  const c = await Promise.race([connecting, timer]);
  if (!c) {
    void connecting.then((late) => late?.close()); // connected after the timeout: not needed any more
    return false;
  }
  try {
    const body = { clientSoftwareName: 'rivulet-faults', clientSoftwareVersion: '1' };
    c.send(ApiKey.ApiVersions, 3, body);
    const r = await c.recv(ApiKey.ApiVersions, 3, timeoutMs);
    return r.body.errorCode === 0;
  } catch {
    return false;
  } finally {
    c.close();
  }
}
