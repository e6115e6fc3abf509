// `rivulet dev-cluster` as a user runs it: the built CLI as a real process starting real etcd and three
// real brokers on free 127.0.0.1 ports (never 2379/9092), the bootstrap line, the processes and what they
// serve, the metadata in etcd and in Metadata, Ctrl-C (SIGINT) stopping everything with exit code 0; and
// the two errors raised before anything starts: etcd missing from PATH, ports already in use.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../host-node/client/cluster.js';
import { brokerSpec, type DevClusterOptions } from '../../host-node/cli/dev-cluster-plan.js';
import { freePort } from '../helpers/ports.js';
import { answersApiVersions, ensureBuilt, ROOT } from './support/processes.js';

const BROKERS = 3;

/** True when 127.0.0.1:port can be bound right now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** Whether first..first+n-1 meets lo..hi. */
const overlaps = (first: number, n: number, lo: number, hi: number): boolean => first <= hi && first + n - 1 >= lo;

/** The first of `n` consecutive ports free on 127.0.0.1 (none of them etcd's or Kafka's defaults). */
async function consecutiveFreePorts(n: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const first = await freePort();
    if (first + n - 1 > 65535 || overlaps(first, n, 2379, 2380) || overlaps(first, n, 9092, 9094)) continue;
    let ok = true;
    for (let p = first + 1; ok && p < first + n; p++) ok = await bindable(p);
    if (ok) return first;
  }
  throw new Error(`no ${n} consecutive free ports found on 127.0.0.1`);
}

/** `rivulet dev-cluster <args>` with its output collected. */
class DevClusterRun {
  out = '';
  err = '';
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv = process.env) {
    this.proc = spawn(process.execPath, [join(ROOT, 'bin/rivulet.js'), 'dev-cluster', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => (this.err += d.toString()));
    this.exited = new Promise((r) => this.proc.once('close', (code) => r(code)));
  }

  /** Resolves with the first match of `re` in stdout (or stderr); fails after timeoutMs or when the process exits first. */
  async waitFor(re: RegExp, timeoutMs: number, stream: 'out' | 'err' = 'out'): Promise<RegExpMatchArray> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(stream === 'out' ? this.out : this.err);
      if (m) return m;
      if (this.proc.exitCode !== null || Date.now() > until) throw new Error(`no ${re} in the output (exit ${this.proc.exitCode}):\n${this.out}\n${this.err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `f` until it returns a value `ok` accepts, or returns the last value after timeoutMs. */
async function eventually<T>(f: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined as T);
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('rivulet dev-cluster --brokers 3 --restart', () => {
  let dir: string;
  let basePort: number;
  let etcdPort: number;
  let run: DevClusterRun;
  const pids = new Map<string, number>();

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'rivulet-dev-cluster-'));
    basePort = await consecutiveFreePorts(BROKERS);
    etcdPort = await consecutiveFreePorts(2);
    const args = ['--brokers', String(BROKERS), '--base-port', String(basePort), '--etcd-port', String(etcdPort), '--dir', join(dir, 'cluster'), '--restart'];
    run = new DevClusterRun(args);
    await run.waitFor(/^bootstrap\.servers=.*$/m, 60_000);
    for (const m of run.out.matchAll(/^\[dev-cluster\] (etcd|broker-\d+) \(pid (\d+)\)/gm)) pids.set(m[1]!, Number(m[2]));
  }, 120_000);

  afterAll(async () => {
    for (const pid of pids.values()) if (alive(pid)) process.kill(pid, 'SIGKILL');
    if (run?.proc.exitCode === null) run.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the bootstrap list of its three brokers and a kcat example', () => {
    const list = [0, 1, 2].map((i) => `127.0.0.1:${basePort + i}`).join(',');
    expect(run.out).toMatch(new RegExp(`^bootstrap\\.servers=${list.replace(/\./g, '\\.')}$`, 'm'));
    expect(run.out).toMatch(new RegExp(`^try: kcat -L -b ${list.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('runs etcd and three brokers, each serving its port, with data under --dir', async () => {
    expect([...pids.keys()].sort()).toEqual(['broker-1', 'broker-2', 'broker-3', 'etcd']);
    for (const [name, pid] of pids) expect(alive(pid), name).toBe(true);
    const health = (await (await fetch(`http://127.0.0.1:${etcdPort}/health`)).json()) as { health: string };
    expect(health.health).toBe('true');
    for (let i = 0; i < BROKERS; i++) expect(await answersApiVersions(basePort + i), `broker ${i + 1}`).toBe(true);
    for (const sub of ['etcd', 'broker-1', 'broker-2', 'broker-3']) expect(existsSync(join(dir, 'cluster', sub)), sub).toBe(true);
    expect(run.err).toMatch(new RegExp(`^\\[broker-1\\] .*listening on PLAINTEXT://127\\.0\\.0\\.1:${basePort}\\b`, 'm'));
  });

  // Holds once the brokers register in etcd (cluster mode); a broker without it writes nothing there.
  it('etcd holds the registration of brokers 1..3', async () => {
    const etcd = new Etcd3({ hosts: `http://127.0.0.1:${etcdPort}` });
    try {
      const keys = await eventually(async () => (await etcd.getAll().prefix('/brokers/ids/').keys()).sort(), (k) => k?.length === BROKERS, 10_000);
      expect(keys).toEqual(['/brokers/ids/1', '/brokers/ids/2', '/brokers/ids/3']);
    } finally {
      etcd.close();
    }
  }, 20_000);

  // Every broker answers Metadata for the whole cluster (cluster mode).
  it('Metadata from each broker lists the three brokers', async () => {
    for (let i = 0; i < BROKERS; i++) {
      const ids = await eventually(
        async () => {
          const c = new Cluster({ bootstrapServers: `127.0.0.1:${basePort + i}`, retries: 0 });
          try {
            return (await c.connect()).brokers.map((b) => b.nodeId).sort((a, b) => a - b);
          } finally {
            await c.close();
          }
        },
        (v) => v?.length === BROKERS,
        10_000,
      );
      expect(ids, `Metadata from broker ${i + 1}`).toEqual([1, 2, 3]);
    }
  }, 40_000);

  it('reports a broker that dies with its last lines, and restarts it on its port', async () => {
    const before = pids.get('broker-2')!;
    process.kill(before, 'SIGKILL');
    await run.waitFor(/^\[dev-cluster\] broker-2 exited with signal SIGKILL; its last lines:\n {2}\S/m, 5000, 'err');
    const [, pid] = await run.waitFor(/^\[dev-cluster\] broker-2 restarted \(pid (\d+)\)$/m, 5000);
    pids.set('broker-2', Number(pid));
    expect(Number(pid)).not.toBe(before);
    expect(await eventually(() => answersApiVersions(basePort + 1), (ok) => ok, 15_000)).toBe(true);
    for (const [name, p] of pids) expect(alive(p), name).toBe(true);
  }, 30_000);

  it('SIGINT stops every broker, then etcd, and exits 0', async () => {
    run.proc.kill('SIGINT');
    expect(await run.exited).toBe(0);
    for (const [name, pid] of pids) expect(alive(pid), `${name} still running`).toBe(false);
    for (let i = 1; i <= BROKERS; i++) expect(run.err).toMatch(new RegExp(`^\\[broker-${i}\\] .*broker stopped$`, 'm'));
    expect(run.out).toMatch(/^\[dev-cluster\] stopped$/m);
    expect(await bindable(etcdPort)).toBe(true);
  }, 45_000);
});

describe('rivulet dev-cluster refuses to start', () => {
  let dir: string;
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'rivulet-dev-cluster-err-'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('without etcd on PATH, naming the Debian package, before creating anything', async () => {
    const emptyPath = join(dir, 'empty-bin');
    rmSync(emptyPath, { recursive: true, force: true });
    mkdirSync(emptyPath);
    const run = new DevClusterRun(['--dir', join(dir, 'no-etcd'), '--base-port', String(await consecutiveFreePorts(3))], { ...process.env, PATH: emptyPath });
    expect(await run.exited).toBe(1);
    expect(run.err).toMatch(/etcd was not found on PATH/);
    expect(run.err).toContain('apt-get install etcd-server');
    expect(existsSync(join(dir, 'no-etcd'))).toBe(false);
  }, 20_000);

  it('when a port is in use, naming it, before starting anything', async () => {
    const base = await consecutiveFreePorts(3);
    const etcdPort = await consecutiveFreePorts(2);
    const squatter: Server = createServer();
    await new Promise<void>((r) => squatter.listen(base + 1, '127.0.0.1', r));
    try {
      const args = ['--brokers', '3', '--base-port', String(base), '--etcd-port', String(etcdPort), '--dir', join(dir, 'busy')];
      const run = new DevClusterRun(args);
      expect(await run.exited).toBe(1);
      expect(run.err).toContain(`127.0.0.1:${base + 1} (broker 2's Kafka listener`);
      expect(run.err).not.toContain(`127.0.0.1:${base} `);
      expect(existsSync(join(dir, 'busy'))).toBe(false);
      expect(await bindable(etcdPort)).toBe(true);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  }, 20_000);
});

describe('rivulet dev-cluster with a broker that cannot start', () => {
  it('stops etcd and the other brokers, shows the broker\'s error and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-dev-cluster-bad-'));
    try {
      const args = ['--brokers', '2', '--base-port', String(await consecutiveFreePorts(2)), '--etcd-port', String(await consecutiveFreePorts(2)), '--dir', dir];
      const run = new DevClusterRun([...args, '--set', 'log.retention.hours=abc']);
      expect(await run.exited).toBe(1);
      expect(run.err).toMatch(/^rivulet dev-cluster: broker-\d exited before serving Kafka on 127\.0\.0\.1:\d+; its last lines:\n.*configuration error: .*log\.retention\.hours/m);
      expect(run.out).toMatch(/^\[dev-cluster\] stopped$/m);
      for (const m of run.out.matchAll(/^\[dev-cluster\] (etcd|broker-\d+) \(pid (\d+)\)/gm)) expect(alive(Number(m[2])), m[1]).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('the brokers dev-cluster starts', () => {
  const o: DevClusterOptions = { brokers: 2, basePort: 19092, etcdPort: 12379, dir: '/tmp/dc', minInsyncReplicas: 2, metricsBasePort: null, wsBasePort: 19192, sets: ['min.insync.replicas=1'] };
  const args = brokerSpec(o, 2, '/x/bin/rivulet.js').args;
  const sets = args.flatMap((a, i) => (args[i - 1] === '--set' ? [a] : []));

  it('are `rivulet broker` on their own port and data dir, node.id = position, etcd.connect to the dev etcd', () => {
    expect(args.slice(0, 8)).toEqual(['/x/bin/rivulet.js', 'broker', '--host', '127.0.0.1', '--port', '19093', '--data-dir', '/tmp/dc/broker-2']);
    expect(sets).toContain('node.id=2');
    expect(sets).toContain('etcd.connect=127.0.0.1:12379');
    expect(sets).toContain('default.replication.factor=2');
    expect(sets).toContain('offsets.topic.replication.factor=2');
  });

  it('have metrics off unless asked, WebSocket on base + id - 1, and --set values last so they win', () => {
    expect(args.join(' ')).toContain('--metrics-port -1');
    expect(args.join(' ')).toContain('--ws-port 19193');
    expect(sets.indexOf('min.insync.replicas=2')).toBeLessThan(sets.indexOf('min.insync.replicas=1'));
    expect(sets.at(-1)).toBe('min.insync.replicas=1');
  });
});
