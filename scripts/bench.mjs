// `npm run bench -- <suite> [args]`: runs bench/<suite>.ts (all suites in order when none is named).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');
const [suite, ...rest] = process.argv.slice(2);
const suites = suite && !suite.startsWith('-')
  ? [suite]
  : readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).map((f) => f.slice(0, -3)).sort();
let failed = 0;
for (const s of suites) {
  const file = join(root, 'bench', `${s}.ts`);
  if (!existsSync(file)) {
    console.error(`bench: no suite named '${s}' (bench/${s}.ts)`);
    process.exit(2);
  }
  const args = suite && !suite.startsWith('-') ? rest : process.argv.slice(2);
  const r = spawnSync(process.execPath, [tsx, file, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
