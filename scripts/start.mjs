// `npm start`: build if dist/ is missing or older than the sources, then run a broker on 127.0.0.1:9092
// with its data in ./data, Prometheus metrics at http://127.0.0.1:9404/metrics (metrics.port; the URL is
// logged at startup) and Kafka over WebSocket at ws://127.0.0.1:9093/ (ws.port). Extra arguments are passed
// on: `npm start -- --set queued.max.requests=100` (`--metrics-port -1` / `--ws-port -1` turn those off).
// A build says so when it starts and how long it took: the first one takes a while (the WebAssembly core,
// the TypeScript, the bundles).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = join(root, 'dist/cli/rivulet.js');

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (name.endsWith('.ts')) newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}

// host-browser/*.ts is built into dist/browser/, which the demo page (http://127.0.0.1:9093/demo/) loads; the
// page's own files (host-browser/demo/) are served as they are, so they need no build.
const sources = Math.max(...['host-node', 'host-browser', 'bindings', 'core'].map((d) => newestMtime(join(root, d))));
// The build writes every file, so the oldest of these outputs is the build time; a missing one means no build.
const outputs = [entry, join(root, 'dist/browser/worker.js'), join(root, 'dist/browser/rivulet.js')];
const built = outputs.every((p) => existsSync(p)) ? Math.min(...outputs.map((p) => statSync(p).mtimeMs)) : 0;
if (built === 0 || sources > built) {
  console.error(
    built === 0
      ? 'rivulet: first start, building dist/ (npm run build; about half a minute, once)…'
      : 'rivulet: sources changed, rebuilding dist/ (npm run build)…',
  );
  const t0 = performance.now();
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  console.error(`rivulet: built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const { main } = await import(pathToFileURL(entry).href);
const metrics = process.env.RIVULET_METRICS_PORT ? [] : ['--set', 'metrics.port=9404'];
const ws = process.env.RIVULET_WS_PORT ? [] : ['--set', 'ws.port=9093'];
process.exitCode = await main(['broker', '--host', '127.0.0.1', '--port', '9092', '--data-dir', join(process.cwd(), 'data'), ...metrics, ...ws, ...process.argv.slice(2)]);
