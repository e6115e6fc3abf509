// Start-up time depends on how much code the broker loads before it listens. The broker serves
// ~27 APIs; the other ~60 APIs' codecs (and the client tools) must stay out of the modules the `rivulet`
// command imports statically, so they are neither read nor compiled at start. This walks the built bundle's
// static import graph from dist/cli/rivulet.js and checks what it contains; `npm run bench -- startup`
// measures the time itself.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerDefaultHandlers } from '../../host-node/server/handlers/index.js';
import { HandlerRegistry } from '../../host-node/server/registry.js';
import { apiList } from '../../protocol/generated/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cliDir = join(root, 'dist/cli');

beforeAll(async () => {
  if (!existsSync(join(cliDir, 'rivulet.js'))) {
    await new Promise<void>((resolve, reject) => {
      execFile(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, timeout: 120_000 }, (err, _o, stderr) => (err ? reject(new Error(`build failed: ${stderr}`)) : resolve()));
    });
  }
}, 150_000);

/** Source of every module reachable from dist/cli/rivulet.js through static imports (not import()). */
function staticGraph(): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    const text = readFileSync(join(cliDir, file), 'utf8');
    seen.set(file, text);
    // Static imports of sibling chunks: `import{…}from"./chunk-X.js"` or `import"./chunk-X.js"`
    // (dynamic ones are `import("./x.js")` and are not followed).
    for (const m of text.matchAll(/(?:from|import)\s*"\.\/([^"]+\.js)"/g)) visit(m[1]!);
  };
  visit('rivulet.js');
  return seen;
}

describe('what `rivulet broker` loads at start', () => {
  it('holds the codecs of the served APIs and none of the others', () => {
    const graph = staticGraph();
    const all = [...graph.values()].join('\n');
    const served = new Set(registerDefaultHandlers(new HandlerRegistry()).supported().map((a) => a.apiKey));
    expect(served.size).toBeGreaterThan(20);
    const missing: string[] = [];
    const extra: string[] = [];
    for (const api of apiList) {
      const present = new RegExp(`\\bdecode${api.name}Request\\b`).test(all);
      if (served.has(api.apiKey) && !present) missing.push(api.name);
      if (!served.has(api.apiKey) && present) extra.push(api.name);
    }
    expect(missing).toEqual([]);
    expect(extra).toEqual([]);
  });

  it('leaves the client tools and optional libraries to lazily loaded chunks', () => {
    const all = [...staticGraph().values()].join('\n');
    // The perf tool's histogram library, the progress bar and the native codecs are not imported at start.
    for (const lib of ['hdr-histogram-js', 'cli-progress', 'snappy', 'lz4-napi', 'prom-client', 'ws']) {
      expect(all, lib).not.toMatch(new RegExp(`from\\s*"${lib}"|import\\s*"${lib}"`));
    }
  });
});
