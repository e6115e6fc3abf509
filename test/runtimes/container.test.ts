// The broker's container image, built offline by container/build.mjs and run with podman: data on a named
// volume, Kafka's port mapped to 127.0.0.1:<ephemeral>, advertised.listeners from the environment. kcat
// produces and consumes; `podman stop` (SIGTERM) stops the broker cleanly (exit 0, the clean-shutdown marker
// on the volume); a new container on the same volume serves the records back; after `podman kill` (SIGKILL)
// the lock left by the broker, pid 1 as in every container, does not block the next one.
// Skipped, saying why, only where podman is not installed or cannot run a container on this machine.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'rivulet-container-test-'));
const id = `rivulet-test-${process.pid}`;
const image = `localhost/${id}:latest`;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeout = 30_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: root, timeout, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; killed?: boolean }) | null;
      const code = !e ? 0 : e.killed ? -1 : typeof e.code === 'number' ? e.code : 127;
      resolve({ code, stdout, stderr });
    });
  });
}

const show = (what: string, r: Result) => `${what} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
const lines = (s: string) => s.split('\n').filter((l) => l !== '');

/** Why containers cannot run here, or null once a `podman run` works (runArgs then holds what it needed). */
let unavailable: string | null = null;
let runArgs: string[] = [];

/**
 * The `podman run` options this machine needs. Podman's defaults first; where they fail (inside a VM or a
 * container whose cgroups are in hybrid mode, or without CAP_SYS_RESOURCE to raise rlimits) runc with the
 * rlimits this process already has.
 */
async function probeRun(): Promise<string | null> {
  const hard = await run('sh', ['-c', 'ulimit -Hn']);
  const candidates = [[], ['--runtime', 'runc', '--ulimit', `nofile=${hard.stdout.trim()}:${hard.stdout.trim()}`, '--ulimit', 'nproc=4096:4096']];
  const failures: string[] = [];
  for (const args of candidates) {
    const [global, local] = args[0] === '--runtime' ? [args.slice(0, 2), args.slice(2)] : [[], args];
    const r = await run('podman', [...global, 'run', '--rm', ...local, '--entrypoint', '/usr/local/bin/node', image, '-e', 'process.exit(0)']);
    if (r.code === 0) {
      runArgs = args;
      return null;
    }
    failures.push(show(`podman ${[...global, 'run', ...local].join(' ')}`, r));
  }
  return `podman cannot run a container on this machine:\n${failures.join('\n')}`;
}

beforeAll(async () => {
  const version = await run('podman', ['--version']);
  if (version.code !== 0) {
    unavailable = version.code === 127 ? 'podman is not installed (no podman on PATH)' : `podman --version failed: ${show('podman --version', version)}`;
    console.warn(`container tests skipped: ${unavailable}`);
    return;
  }
  if (!existsSync(join(root, 'dist/cli/rivulet.js'))) {
    const b = await run(process.execPath, ['scripts/build.mjs'], 170_000);
    if (b.code !== 0) throw new Error(show('npm run build', b));
  }
  const b = await run(process.execPath, ['container/build.mjs', '--tag', image], 150_000);
  if (b.code !== 0) throw new Error(show('node container/build.mjs', b));
  unavailable = await probeRun();
  if (unavailable) console.warn(`container tests skipped: ${unavailable}`);
}, 330_000);

afterAll(async () => {
  await run('podman', ['rm', '--force', '--ignore', id]);
  await run('podman', ['volume', 'rm', '--force', id]);
  await run('podman', ['rmi', '--force', '--ignore', image]);
  rmSync(work, { recursive: true, force: true });
}, 60_000);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts a broker container on the volume; resolves once it prints its listening line. */
async function startContainer(port: number): Promise<void> {
  const [global, local] = runArgs[0] === '--runtime' ? [runArgs.slice(0, 2), runArgs.slice(2)] : [[], runArgs];
  const args = [...global, 'run', '--detach', '--name', id, ...local, '--publish', `127.0.0.1:${port}:9092`, '--volume', `${id}:/var/lib/rivulet`];
  const r = await run('podman', [...args, '--env', `RIVULET_ADVERTISED_LISTENERS=PLAINTEXT://127.0.0.1:${port}`, image]);
  expect(r.code, show('podman run', r)).toBe(0);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const logs = await run('podman', ['logs', id]);
    if (/listening on PLAINTEXT:\/\/0\.0\.0\.0:9092 \(advertised PLAINTEXT:\/\/127\.0\.0\.1:\d+\)/.test(logs.stdout + logs.stderr)) return;
    if (Date.now() > deadline) throw new Error(`no listening line in 30 s\n${show('podman logs', logs)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Removes the stopped container, keeping its logs and exit code. */
async function removeContainer(): Promise<{ exitCode: number; logs: string }> {
  const code = await run('podman', ['inspect', '--format', '{{.State.ExitCode}}', id]);
  const logs = await run('podman', ['logs', id]);
  await run('podman', ['rm', '--force', id]);
  return { exitCode: Number(code.stdout.trim()), logs: logs.stdout + logs.stderr };
}

function recordsFile(name: string, n: number): { path: string; records: string[] } {
  const records = Array.from({ length: n }, (_, i) => `${name}-${String(i).padStart(4, '0')} ${'c'.repeat(i % 61)}`);
  const path = join(work, `${name}.txt`);
  writeFileSync(path, records.join('\n') + '\n');
  return { path, records };
}

async function produce(bootstrap: string, topic: string, path: string, codec: string): Promise<void> {
  const p = await run('kcat', ['-P', '-b', bootstrap, '-t', topic, '-z', codec, '-X', 'acks=all', '-l', path]);
  expect(p.stderr, show(`kcat -P -z ${codec}`, p)).toBe('');
  expect(p.code).toBe(0);
}

async function consume(bootstrap: string, topic: string): Promise<string[]> {
  const c = await run('kcat', ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q']);
  expect(c.code, show('kcat -C', c)).toBe(0);
  return lines(c.stdout);
}

describe('the container image', () => {
  it('runs the broker as the non-root rivulet user, data on /var/lib/rivulet, Kafka\'s port, SIGTERM to stop', async (ctx) => {
    if (unavailable) ctx.skip(unavailable);
    const r = await run('podman', ['image', 'inspect', '--format', '{{json .Config}}', image]);
    expect(r.code, show('podman image inspect', r)).toBe(0);
    const config = JSON.parse(r.stdout) as { User: string; Volumes: Record<string, object>; ExposedPorts: Record<string, object>; StopSignal: string; Entrypoint: string[] };
    expect(config.User).toBe('10001:10001');
    expect(Object.keys(config.Volumes)).toEqual(['/var/lib/rivulet']);
    expect(Object.keys(config.ExposedPorts)).toEqual(['9092/tcp']);
    expect(config.StopSignal).toBe('SIGTERM');
    expect(config.Entrypoint).toEqual(['/usr/local/bin/node', '/opt/rivulet/bin/rivulet.js', 'broker']);
  });

  it('serves kcat on a mapped port, stops cleanly on podman stop, and keeps the records on its volume across containers', async (ctx) => {
    if (unavailable) ctx.skip(unavailable);
    const v = await run('podman', ['volume', 'create', id]);
    expect(v.code, show('podman volume create', v)).toBe(0);
    const volume = (await run('podman', ['volume', 'inspect', '--format', '{{.Mountpoint}}', id])).stdout.trim();

    const port = await freePort();
    const bootstrap = `127.0.0.1:${port}`;
    await startContainer(port);
    const plain = recordsFile('plain', 400);
    const snappy = recordsFile('snappy', 300);
    await produce(bootstrap, 'plain', plain.path, 'none');
    await produce(bootstrap, 'snappy', snappy.path, 'snappy');
    expect(await consume(bootstrap, 'plain')).toEqual(plain.records);
    expect(await consume(bootstrap, 'snappy')).toEqual(snappy.records);

    // podman stop sends the image's STOPSIGNAL (SIGTERM) to the broker, PID 1.
    const stop = await run('podman', ['stop', '--time', '20', id], 40_000);
    expect(stop.code, show('podman stop', stop)).toBe(0);
    const first = await removeContainer();
    expect(first.logs).toContain('received SIGTERM');
    expect(first.logs).toContain('broker stopped');
    expect(first.exitCode, first.logs).toBe(0);
    expect(existsSync(join(volume, '.kafka_cleanshutdown')), `no clean-shutdown marker in ${volume}`).toBe(true);

    // A new container on the same volume: the records are there, and more can be written.
    await startContainer(port);
    expect(await consume(bootstrap, 'plain')).toEqual(plain.records);
    expect(await consume(bootstrap, 'snappy')).toEqual(snappy.records);
    const more = recordsFile('more', 200);
    await produce(bootstrap, 'plain', more.path, 'lz4');

    // SIGKILL leaves the lock naming pid 1; the next container's broker is pid 1 too, yet takes it over.
    const kill = await run('podman', ['kill', '--signal', 'KILL', id]);
    expect(kill.code, show('podman kill', kill)).toBe(0);
    await run('podman', ['wait', id]);
    await removeContainer();
    await startContainer(port);
    expect(await consume(bootstrap, 'plain')).toEqual([...plain.records, ...more.records]);
    await run('podman', ['stop', '--time', '20', id], 40_000);
    expect((await removeContainer()).exitCode).toBe(0);
  }, 180_000);
});
