// The `rivulet broker` command as users run it: built dist/ through bin/rivulet.js, port 0, kcat -L, SIGTERM.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

function newest(dir: string): number {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : n.endsWith('.ts') ? s.mtimeMs : 0);
  }
  return t;
}

beforeAll(() => {
  const entry = join(root, 'dist/host-node/cli/main.js');
  if (!existsSync(entry) || statSync(entry).mtimeMs < newest(join(root, 'host-node'))) {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  }
}, 120_000);

it('rivulet broker --port 0 serves kcat -L and exits 0 on SIGTERM', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-cli-'));
  const child = spawn(process.execPath, [join(root, 'bin/rivulet.js'), 'broker', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--set', 'node.id=1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 15_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  expect(stderr).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO/m);
  const { stdout } = await run('kcat', ['-L', '-b', `127.0.0.1:${port}`, '-m', '10'], { timeout: 20_000 });
  expect(stdout).toMatch(new RegExp(`broker 1 at 127\\.0\\.0\\.1:${port}`));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  rmSync(dataDir, { recursive: true, force: true });
});

it('reads --config server.properties and RIVULET_* env, flags winning', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-cli-'));
  const props = join(dir, 'server.properties');
  writeFileSync(props, `node.id=7\nlisteners=PLAINTEXT://127.0.0.1:1\nlog.dirs=${join(dir, 'from-file')}\n`);
  const child = spawn(process.execPath, [join(root, 'bin/rivulet.js'), 'broker', '--config', props, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RIVULET_NODE_ID: '9', RIVULET_LOG_LEVEL: 'info' },
  });
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 15_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
  });
  expect(stderr).toMatch(/node\.id=9/); // env over file
  expect(readFileSync(join(dir, 'from-file', 'meta.properties'), 'utf8')).toMatch(/node\.id=9/);
  const { stdout } = await run('kcat', ['-L', '-b', `127.0.0.1:${port}`, '-m', '10'], { timeout: 20_000 });
  expect(stdout).toMatch(/broker 9 at/);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGINT');
  expect(await exited).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

it('a bad config value fails with an error naming the key and exit code 2', async () => {
  const r = await run(process.execPath, [join(root, 'bin/rivulet.js'), 'broker', '--set', 'queued.max.requests=none', '--data-dir', join(tmpdir(), 'unused')]).catch(
    (e: { code: number; stderr: string }) => e,
  );
  expect((r as { code: number }).code).toBe(2);
  expect((r as { stderr: string }).stderr).toMatch(/queued\.max\.requests/);
  const h = await run(process.execPath, [join(root, 'bin/rivulet.js'), 'broker', '--help']);
  expect(h.stdout).toMatch(/--data-dir/);
  expect(h.stdout).toMatch(/socket\.request\.max\.bytes/);
});

/** Starts `rivulet broker` with argv; resolves with the PLAINTEXT port once it is listening, and all of stderr so far. */
function startCli(argv: string[]): Promise<{ child: ReturnType<typeof spawn>; port: number; stderr: () => string }> {
  const child = spawn(process.execPath, [join(root, 'bin/rivulet.js'), 'broker', ...argv], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 15_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(t);
        // The lines after the listening one (WebSocket, metrics) are written in the same tick.
        setTimeout(() => resolve({ child, port: Number(m[1]), stderr: () => stderr }), 200);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
}

async function stopCli(child: ReturnType<typeof spawn>): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
}

it('rivulet broker --config config/server.properties (the README sample) loads it and starts; the banner says where the data lives', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-cli-'));
  const b = await startCli(['--config', 'config/server.properties', '--port', '0', '--data-dir', dataDir]);
  expect(b.stderr()).not.toMatch(/not used/);
  expect(b.stderr()).toContain(`INFO  [rivulet] data in ${dataDir} (log.dirs)`);
  const { stdout } = await run('kcat', ['-L', '-b', `127.0.0.1:${b.port}`, '-m', '10'], { timeout: 20_000 });
  expect(stdout).toMatch(/broker 1 at/);
  expect(await stopCli(b.child)).toBe(0);
  rmSync(dataDir, { recursive: true, force: true });
});

it('rivulet broker --ws-port -1 --metrics-port -1 turns both off, over --set; 0 binds any free port', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-cli-'));
  let b = await startCli(['--port', '0', '--data-dir', dataDir, '--set', 'ws.port=0', '--set', 'metrics.port=0', '--ws-port', '-1', '--metrics-port', '-1']);
  expect(b.stderr()).not.toMatch(/WebSocket|Prometheus/);
  expect(await stopCli(b.child)).toBe(0);

  b = await startCli(['--port', '0', '--data-dir', dataDir, '--ws-port', '0', '--metrics-port', '0']);
  expect(b.stderr()).toMatch(/Kafka over WebSocket at ws:\/\/127\.0\.0\.1:\d+\//);
  const metricsUrl = /Prometheus metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(b.stderr())?.[1];
  expect(metricsUrl, b.stderr()).toBeDefined();
  expect((await fetch(metricsUrl!)).status).toBe(200);
  expect(await stopCli(b.child)).toBe(0);

  const r = await run(process.execPath, [join(root, 'bin/rivulet.js'), 'broker', '--metrics-port', '-2', '--data-dir', dataDir]).catch((e: { code: number; stderr: string }) => e);
  expect((r as { code: number }).code).toBe(2);
  expect((r as { stderr: string }).stderr).toContain('Invalid value -2 for --metrics-port: expected -1..65535');
  rmSync(dataDir, { recursive: true, force: true });
});
