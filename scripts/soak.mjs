// `npm run soak -- <campaign|group> [--trials N] [--seed S]`: the long fault campaigns. A campaign is one module
// test/cluster/support/campaigns/<campaign>.ts exporting `campaign` (see campaign.ts there); each trial gets
// its own seed (S, S+1, ... with --seed; random otherwise), printed so a failing trial replays with
// `--seed <its seed> --trials 1`. Prints one line per trial (seed, records acknowledged, lost, duplicates,
// anomalies), a summary table at the end, and exits non-zero when any trial found an anomaly or failed.
// A group runs N trials of each of its campaigns in turn: `cluster` is every campaign named cluster-*.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { tsImport } from 'tsx/esm/api';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'test/cluster/support/campaigns');
const names = () => readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'campaign.ts').map((f) => f.slice(0, -3)).sort();
const groups = { cluster: () => names().filter((n) => n.startsWith('cluster-')) };
const usage = () => `Usage: npm run soak -- <campaign|group> [--trials N] [--seed S]\n\nCampaigns: ${names().join(', ')}\nGroups: ${Object.keys(groups).join(', ')}\n`;

const { values: v, positionals } = parseArgs({ allowPositionals: true, options: { trials: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (v.help || positionals.length !== 1) {
  process.stdout.write(usage());
  process.exit(v.help ? 0 : 2);
}
const [name] = positionals;
const selected = Object.hasOwn(groups, name) ? groups[name]() : names().includes(name) ? [name] : [];
if (selected.length === 0) {
  process.stderr.write(`soak: no campaign named '${name}'\n\n${usage()}`);
  process.exit(2);
}
const trials = Number(v.trials ?? 10);
const baseSeed = v.seed !== undefined ? Number(v.seed) : Math.floor(Math.random() * 1_000_000_000);
if (!Number.isInteger(trials) || trials < 1 || trials > 100_000 || !Number.isInteger(baseSeed)) {
  process.stderr.write(`soak: --trials must be 1..100000 and --seed an integer\n`);
  process.exit(2);
}

const load = (rel) => tsImport(pathToFileURL(join(root, rel)).href, import.meta.url);
const { trialRow } = await load('test/cluster/support/campaigns/campaign.ts');
const { describeAnomalies } = await load('test/cluster/support/history.ts');
const { ensureBuilt } = await load('test/cluster/support/processes.ts');
ensureBuilt();

/** Runs `trials` trials of one campaign; returns its rows and how many trials found an anomaly or failed. */
async function runCampaign(file) {
  const { campaign } = await load(`test/cluster/support/campaigns/${file}.ts`);
  console.log(`soak ${campaign.name}: ${campaign.description}`);
  console.log(`${trials} trials, seeds ${baseSeed}..${baseSeed + trials - 1}`);
  const rows = [];
  let bad = 0;
  for (let i = 0; i < trials; i++) {
    const seed = baseSeed + i;
    const t0 = Date.now();
    let row;
    try {
      const r = await campaign.trial({ seed, trial: i, log: (line) => console.log(`  ${line}`) });
      row = { ...trialRow(i, r), seconds: Math.round((Date.now() - t0) / 100) / 10 };
      if (row.anomalies !== 'none' || row.lost === 'n/a') {
        bad++;
        console.log(`  ANOMALY (replay: npm run soak -- ${file} --seed ${seed} --trials 1)\n  ${describeAnomalies(r.check).replaceAll('\n', '\n  ')}`);
      }
    } catch (e) {
      bad++;
      row = { trial: i, seed, anomalies: `error: ${String(e?.message ?? e).split('\n')[0]}`, seconds: Math.round((Date.now() - t0) / 100) / 10 };
      console.log(`  ERROR (replay: npm run soak -- ${file} --seed ${seed} --trials 1): ${e?.stack ?? e}`);
    }
    rows.push(row);
    console.log(JSON.stringify(row));
  }
  const sum = (k) => rows.reduce((s, r) => s + (typeof r[k] === 'number' ? r[k] : 0), 0);
  console.log(`\nsummary of ${campaign.name}`);
  console.table(rows);
  const total = { campaign: campaign.name, trials, acked: sum('acked'), read: sum('read'), lost: sum('lost'), duplicates: sum('duplicates'), 'trials with anomalies or errors': bad };
  console.table([total]);
  return total;
}

const totals = [];
for (const file of selected) totals.push(await runCampaign(file));
if (selected.length > 1) {
  console.log(`\nsummary of ${name}`);
  console.table(totals);
}
process.exit(totals.some((t) => t['trials with anomalies or errors'] > 0) ? 1 : 0);
