// Build hook (run by scripts/build.mjs after esbuild): the `rivulet/broker` package entry, an in-process
// broker for Node, Deno and Bun. One bundle (plus lazily loaded chunks: WebSocket listener, metrics)
// in dist/broker/, written against Node's APIs (node:net, node:fs, node:crypto …), which Deno and Bun
// implement; npm packages stay imports resolved from node_modules. dist/broker/ sits one level under
// dist/ like dist/bindings/, so the core's `../core/rivulet-core.wasm` lookup resolves. Also emits the
// entry's .d.ts (package.json "types" of ./broker) under dist/types/.
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { NODE_BUNDLE, withThreadEntries } from './node-bundle.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
// --bundle-only skips the .d.ts (tests rebuild a stale bundle with it).
const bundleOnly = process.argv.includes('--bundle-only');
const result = await esbuild.build({
  entryPoints: withThreadEntries(root, { index: 'host-node/broker.ts' }),
  absWorkingDir: root,
  outdir: 'dist/broker',
  ...NODE_BUNDLE,
  metafile: true,
});
// Chunk names carry content hashes: drop the chunks of earlier builds (after writing the new ones, so a
// broker started meanwhile from dist/broker/ never finds the entry missing).
const written = new Set(Object.keys(result.metafile.outputs).map((f) => relative('dist/broker', f)));
for (const f of readdirSync(join(root, 'dist/broker'))) if (!written.has(f)) rmSync(join(root, 'dist/broker', f));

if (!bundleOnly) execFileSync(process.execPath, [
  join(root, 'node_modules/typescript/bin/tsc'),
  'host-node/broker.ts',
  '--declaration', '--emitDeclarationOnly', '--outDir', 'dist/types', '--rootDir', '.',
  '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--lib', 'ES2022,DOM',
  '--types', 'node', '--strict', '--skipLibCheck', '--verbatimModuleSyntax', '--isolatedModules', '--resolveJsonModule',
], { cwd: root, stdio: 'inherit' });
