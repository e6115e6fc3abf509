// The cleaner's thread entry in the built forms of the broker. A bundle made with the Node bundles' esbuild
// options (scripts/node-bundle.mjs), holding the thread pool in one file and a thread entry emitted beside
// it as `cleaner-worker.js`, cleans a job through cleanerWorkerUrl() under Node, Deno and Bun, and each
// process exits by itself with its pool idle. `npm run build` emits the real entry next to dist/'s
// file-by-file build and as a file of its own in dist/cli/ and dist/broker/.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'rivulet-cleaner-bundle-'));
const env = { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' };

function run(cmd: string, args: string[], timeout = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: work, env, timeout }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function newestSource(dir: string): number {
  let t = 0;
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newestSource(p) : n.endsWith('.ts') ? s.mtimeMs : 0);
  }
  return t;
}

beforeAll(async () => {
  const { NODE_BUNDLE } = (await import(pathToFileURL(join(root, 'scripts/node-bundle.mjs')).href)) as { NODE_BUNDLE: esbuild.BuildOptions };
  await esbuild.build({
    ...NODE_BUNDLE,
    entryPoints: { main: 'test/storage/helpers/echo-pool-main.ts', 'cleaner-worker': 'test/storage/helpers/echo-cleaner-worker.ts' },
    absWorkingDir: root,
    outdir: join(work, 'bundle'),
    logLevel: 'error',
  });
  // `npm test` builds first; when run alone, build when dist/ is missing or older than the sources.
  const built = join(root, 'dist/cli/rivulet.js');
  if (!existsSync(built) || statSync(built).mtimeMs < newestSource(join(root, 'host-node'))) {
    const r = await run(process.execPath, [join(root, 'scripts/build.mjs')], 170_000);
    if (r.code !== 0) throw new Error(`build failed: ${r.stderr}`);
  }
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const runtimes = [
  { name: 'node', cmd: process.execPath, pre: [] as string[] },
  { name: 'deno', cmd: join(root, 'node_modules/.bin/deno'), pre: ['run', '--no-prompt', '--allow-read', '--allow-env'] },
  { name: 'bun', cmd: join(root, 'node_modules/.bin/bun'), pre: [] as string[] },
];

describe('the cleaner thread entry beside a bundle', () => {
  for (const rt of runtimes) {
    it(`${rt.name}: cleanerWorkerUrl() in a bundle finds cleaner-worker.js beside it, and the idle pool lets the process exit`, async () => {
      const r = await run(rt.cmd, [...rt.pre, join(work, 'bundle/main.js'), '--beside']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as { workerUrl: string; result: { cleanedUpTo: number; stats: { echo: { workerData: unknown } } } };
      expect(out.workerUrl).toBe(pathToFileURL(join(work, 'bundle/cleaner-worker.js')).href);
      expect(out.result.cleanedUpTo).toBe(10);
      expect(out.result.stats.echo.workerData).toEqual({ from: 'main' });
    });
  }
});

describe('npm run build', () => {
  it('cleanerWorkerUrl() of dist/host-node/ names the entry beside it', async () => {
    const mod = (await import(pathToFileURL(join(root, 'dist/host-node/storage/cleaner-threads.js')).href)) as { cleanerWorkerUrl(): URL };
    expect(fileURLToPath(mod.cleanerWorkerUrl())).toBe(join(root, 'dist/host-node/storage/cleaner-worker.js'));
  });

  // The entry's source is the cleaner thread itself (it runs storage's cleanLog); the bundles carry it
  // whenever it exists.
  it.runIf(existsSync(join(root, 'host-node/storage/cleaner-worker.ts')))('dist/, dist/cli/ and dist/broker/ hold cleaner-worker.js', () => {
    for (const dir of ['dist/host-node/storage', 'dist/cli', 'dist/broker']) expect(existsSync(join(root, dir, 'cleaner-worker.js')), dir).toBe(true);
  });
});
