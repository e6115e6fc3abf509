// The runtime-neutral core cases (cases.ts) under Deno and Bun: the runner is bundled with esbuild
// into one ES module and executed by each runtime; every case must pass there too, and the package's
// web entry (dist/bindings/web.js) must load.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { cases } from './cases.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const outDir = join(root, 'build/test-core');
const runner = join(outDir, 'runtime-runner.mjs');
const wasm = join(root, 'dist/core/rivulet-core.wasm');
const webEntry = join(root, 'dist/bindings/web.js');

function run(cmd: string, args: string[], timeout = 150_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: root, timeout, maxBuffer: 16 << 20, env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function parse(out: { stdout: string; stderr: string }) {
  const line = out.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`runner printed no result.\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`);
  return JSON.parse(line.slice(7)) as { runtime: string; total: number; passed: number; failed: { name: string; error: string }[]; entry: string };
}

beforeAll(async () => {
  if (!existsSync(wasm)) {
    const r = await run(process.execPath, [join(root, 'scripts/build.mjs'), '--core-only']);
    if (r.code !== 0) throw new Error(`core build failed: ${r.stderr}`);
  }
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [join(root, 'test/core/runtime-runner.ts')],
    outfile: runner,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: ['node:*'],
    logLevel: 'error',
  });
});

const runtimes: [string, string, string[]][] = [
  ['deno', join(root, 'node_modules/.bin/deno'), ['run', '-A', '--no-prompt']],
  ['bun', join(root, 'node_modules/.bin/bun'), []],
];

describe.each(runtimes)('core cases under %s', (name, bin, pre) => {
  it(`all ${cases.length} cases pass and the web entry loads`, async () => {
    const webArg = existsSync(webEntry) ? pathToFileURL(webEntry).href : '';
    const out = await run(bin, [...pre, runner, wasm, webArg]);
    const r = parse(out);
    expect(r.runtime.startsWith(name)).toBe(true);
    expect(r.failed, `${name} failures`).toEqual([]);
    expect(r.passed).toBe(cases.length);
    expect(r.total).toBe(cases.length);
    if (webArg) expect(r.entry).toBe('ok');
  }, 170_000);
});
