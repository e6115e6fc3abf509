// Build hook (run by scripts/build.mjs): the browser bundle in dist/browser/ — rivulet.js (the page API,
// host-browser/index.ts), worker.js (the Worker owning the OPFS logs, with the core's wasm embedded) and,
// when host-browser/sync/index.ts exists, sync.js (loaded by the Worker on demand). ESM, code shared
// between worker.js and sync.js is split into chunks.
//
// The platform-neutral packages (storage/, protocol/, client/) run in the Worker as they are: they use no
// Node API (tsconfig.neutral.json checks that at compile time), so nothing is shimmed or polyfilled.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const wasm = join(root, 'dist/core/rivulet-core.wasm');
if (!existsSync(wasm)) {
  console.error('build-browser: dist/core/rivulet-core.wasm missing (core build failed?)');
  process.exit(1);
}

const embeddedCore = {
  name: 'rivulet-embedded-core',
  setup(build) {
    // bindings/web.ts imports the core as a generated base64 module; it is made here from the .wasm, so
    // this hook does not depend on build-core-embed.mjs having run first.
    build.onResolve({ filter: /core-wasm-embedded\.js$/ }, () => ({ path: wasm, namespace: 'rivulet-wasm-base64' }));
    build.onLoad({ filter: /.*/, namespace: 'rivulet-wasm-base64' }, () => ({
      contents: `export default ${JSON.stringify(readFileSync(wasm).toString('base64'))};`,
      loader: 'js',
    }));
  },
};

const entryPoints = { rivulet: 'host-browser/index.ts', worker: 'host-browser/worker.ts' };
if (existsSync(join(root, 'host-browser/sync/index.ts'))) entryPoints.sync = 'host-browser/sync/index.ts';

// Chunk names carry content hashes: start from an empty folder so stale chunks do not pile up.
rmSync(join(root, 'dist/browser'), { recursive: true, force: true });
await esbuild.build({
  entryPoints,
  absWorkingDir: root,
  outdir: 'dist/browser',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  plugins: [embeddedCore],
  sourcemap: true,
  logLevel: 'warning',
});
