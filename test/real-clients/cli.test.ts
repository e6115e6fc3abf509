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
