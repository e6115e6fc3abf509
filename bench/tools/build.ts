// Builds dist/ (`npm run build`) before a bench when it is older than a source it is built from.
// RIVULET_BENCH_BUILD=1 always builds, =0 never does.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** True when the `rivulet` bundle is missing or older than a TypeScript source of the hosts or the core. */
export function staleBuild(): boolean {
  const built = join(root, 'dist/cli/rivulet.js');
  if (!existsSync(built)) return true;
  const t = statSync(built).mtimeMs;
  const newer = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((e) =>
      e.isDirectory() ? e.name !== 'generator' && newer(join(dir, e.name)) : /\.ts$/.test(e.name) && statSync(join(dir, e.name)).mtimeMs > t,
    );
  return ['host-node', 'bindings', 'core'].some((d) => existsSync(join(root, d)) && newer(join(root, d)));
}

export function buildIfStale(): void {
  const env = process.env.RIVULET_BENCH_BUILD;
  if (env === '0' || (env !== '1' && !staleBuild())) return;
  console.log('building (npm run build)…');
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit', timeout: 300_000 });
}
