import { existsSync } from 'node:fs';
import { join } from 'node:path';

// esbuild options shared by the Node bundles (the `rivulet` command in dist/cli/, the embeddable broker in
// dist/broker/): one file plus split chunks, npm packages left external, whitespace and syntax minified
// (less to parse at start-up; identifiers and the source map keep stack traces readable).
export const NODE_BUNDLE = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  logLevel: 'warning',
};

// The worker_threads entries a Node bundle carries as files of their own beside it (a thread loads its
// entry by URL, so the entry cannot live inside the bundle): name in the bundle's folder → source. The
// code starting a thread resolves `./<name>.js` against its own import.meta.url, which in a bundle is a
// file of that same folder (host-node/storage/cleaner-threads.ts's cleanerWorkerUrl()).
const THREAD_ENTRIES = {
  'cleaner-worker': 'host-node/storage/cleaner-worker.ts',
};

/** esbuild entryPoints for a Node bundle: `entries` plus the thread entries whose sources exist under `root`. */
export function withThreadEntries(root, entries) {
  const out = { ...entries };
  for (const [name, src] of Object.entries(THREAD_ENTRIES)) if (existsSync(join(root, src))) out[name] = src;
  return out;
}
