// `npm run bench -- [suite] [flags]`: runs bench/<suite>.ts (all suites in order when none is named);
// `--help` lists the suites and their flags. Results go to bench/results/local/ unless `--save`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { helpText, resultsDir } from '../bench/tools/suites.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(helpText());
  process.exit(0);
}
const [suite, ...rest] = argv;
const named = suite !== undefined && !suite.startsWith('-');
const suites = named
  ? [suite]
  : readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).map((f) => f.slice(0, -3)).sort();
let failed = 0;
for (const s of suites) {
  const file = join(root, 'bench', `${s}.ts`);
  if (!existsSync(file)) {
    console.error(`bench: no suite named '${s}' (bench/${s}.ts); npm run bench -- --help lists them`);
    process.exit(2);
  }
  const r = spawnSync(process.execPath, [tsx, file, ...(named ? rest : argv)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
console.log(`\nresults in ${relative(root, resultsDir(argv))}/`);
process.exit(failed ? 1 : 0);
