// One child process of `rivulet dev-cluster` (etcd or a broker): started in its own process group, so a
// Ctrl-C in the terminal reaches only dev-cluster, which then stops the children in order (a broker that
// got the terminal's SIGINT and then dev-cluster's SIGTERM would die on the second signal, skipping its
// controlled shutdown). Its output goes line by line to a sink (prefixed on the terminal, or a log file);
// the last lines are kept to explain an unexpected exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** Lines of a child's output kept for the report of its exit. */
export const TAIL_LINES = 20;

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** Where a child's output lines go: `stream` is 'out' for its stdout, 'err' for its stderr. */
export type LineSink = (line: string, stream: 'out' | 'err') => void;

export interface ChildSpec {
  /** How the child is named in reports: `etcd`, `broker-2`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
}

export class DevChild {
  private proc: ChildProcess | null = null;
  private exit_: Promise<Exit> = Promise.resolve({ code: null, signal: null });
  private readonly tail: string[] = [];
  /** When the current process was started (ms since the epoch). */
  startedAt = 0;

  constructor(
    readonly spec: ChildSpec,
    private readonly sink: LineSink,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Resolves when the current process has exited (at once when none runs). */
  get exited(): Promise<Exit> {
    return this.exit_;
  }

  /** Starts the process; throws when it is already running or cannot be spawned. */
  start(): void {
    if (this.running) throw new Error(`${this.name} is already running (pid ${this.pid})`);
    const proc = spawn(this.spec.command, [...this.spec.args], { cwd: this.spec.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.proc = proc;
    this.startedAt = Date.now();
    this.exit_ = new Promise((resolve) => {
      proc.once('error', () => resolve({ code: proc.exitCode ?? 127, signal: null }));
      proc.once('close', (code, signal) => resolve({ code, signal }));
    });
    this.follow(proc.stdout!, 'out');
    this.follow(proc.stderr!, 'err');
  }

  /** The last lines the child wrote (at most TAIL_LINES). */
  lastLines(): readonly string[] {
    return this.tail;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.proc!.kill(sig);
  }

  /** SIGTERM, then SIGKILL when it has not exited after graceMs; resolves with how it exited and whether it had to be killed. */
  async stop(graceMs: number): Promise<{ exit: Exit; killed: boolean }> {
    if (!this.running) return { exit: await this.exit_, killed: false };
    this.signal('SIGTERM');
    this.signal('SIGCONT'); // a stopped process handles the SIGTERM once it runs again
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), graceMs)));
    const first = await Promise.race([this.exit_, timedOut]);
    clearTimeout(timer);
    if (first !== 'timeout') return { exit: first, killed: false };
    this.signal('SIGKILL');
    return { exit: await this.exit_, killed: true };
  }

  private follow(stream: Readable, which: 'out' | 'err'): void {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => {
      this.tail.push(line);
      if (this.tail.length > TAIL_LINES) this.tail.shift();
      this.sink(line, which);
    });
  }
}

/** "code 1", "signal SIGKILL": how a process ended, for reports. */
export function describeExit(e: Exit): string {
  return e.signal !== null ? `signal ${e.signal}` : `code ${e.code}`;
}
