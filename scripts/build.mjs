// Build: the AssemblyScript core (asc) and the TypeScript hosts (esbuild, one file in → one file out).
// Usage: node scripts/build.mjs [--core-only]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { NODE_BUNDLE, withThreadEntries } from './node-bundle.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const coreOnly = process.argv.includes('--core-only');

function run(cmd, args) {
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
}

// 1. The WebAssembly core.
if (existsSync(join(root, 'core/index.ts'))) {
  run(process.execPath, [join(root, 'node_modules/assemblyscript/bin/asc.js'), '--target', 'release']);
  mkdirSync(join(root, 'dist/core'), { recursive: true });
  for (const f of readdirSync(join(root, 'build/core'))) {
    if (f.endsWith('.wasm') || f.endsWith('.js') || f.endsWith('.d.ts')) cpSync(join(root, 'build/core', f), join(root, 'dist/core', f));
  }
}
if (coreOnly) process.exit(0);

// 2. TypeScript → ESM JavaScript, file by file, keeping the folder layout under dist/.
function tsFiles(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}
const entryPoints = ['common', 'bindings', 'protocol', 'storage', 'client', 'host-node', 'host-browser', 'bench'].flatMap((d) => tsFiles(join(root, d)));
await esbuild.build({
  entryPoints: entryPoints.map((p) => relative(root, p)),
  absWorkingDir: root,
  outdir: 'dist',
  outbase: '.',
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
});
// The `rivulet` command as one bundle (plus lazily loaded chunks for the client tools) in dist/cli/:
// loading ~150 separate modules cost more than half of the broker's start-up time. dist/cli/ sits one
// level under dist/, like dist/bindings/, so the core's `../core/rivulet-core.wasm` lookup still resolves.
const cli = await esbuild.build({
  entryPoints: withThreadEntries(root, { rivulet: 'host-node/cli/main.ts' }),
  absWorkingDir: root,
  outdir: 'dist/cli',
  ...NODE_BUNDLE,
  metafile: true,
});
// Chunk names carry content hashes: drop the chunks of earlier builds, which the npm package would
// otherwise carry (after writing the new ones, so a command started meanwhile finds its chunks).
const written = new Set(Object.keys(cli.metafile.outputs).map((f) => relative('dist/cli', f)));
for (const f of readdirSync(join(root, 'dist/cli'))) if (!written.has(f)) rmSync(join(root, 'dist/cli', f));
// Further build steps (the browser bundle, the embeddable broker, the embedded core) live in
// scripts/build-*.mjs and run here in name order.
for (const f of readdirSync(join(root, 'scripts')).filter((f) => /^build-.+\.mjs$/.test(f)).sort()) {
  run(process.execPath, [join(root, 'scripts', f)]);
}
