// Broker start-up time (target: start-up to accepting connections ≤ 300 ms on an empty data dir).
// Each run spawns `node bin/rivulet.js broker` on a fresh, empty data dir and an ephemeral 127.0.0.1 port,
// and connects every 2 ms until the listener accepts: that instant is the figure (it includes formatting
// the data dir: meta.properties, checkpoints, __consumer_offsets' registry). Measured side by side in the
// same run: `node -e 0` (the floor any Node program pays) and the same broker on a data dir that already
// holds one formatted start. Also the CPU time the broker used until then (/proc/<pid>/stat), which is
// steadier than wall time when the machine is busy. Prints min / median / p90 and writes
// startup.json into the results folder.
// Usage: npm run bench -- startup [--quick] [--runs N]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/ports.js';
import { resultsDir } from './tools/suites.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : quick ? 7 : 25;
const CONNECT_DEADLINE_MS = 10_000;

if (!existsSync(join(root, 'dist/cli/rivulet.js'))) {
  console.error('startup bench: dist/ is missing, run `npm run build` first');
  process.exit(2);
}


/** CPU time (user + system) of a live process in ms, from /proc (10 ms ticks). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Sample {
  wallMs: number;
  cpuMs: number;
}

async function startOnce(dataDir: string): Promise<Sample> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['bin/rivulet.js', 'broker', '--port', String(port), '--data-dir', dataDir], { cwd: root, stdio: 'ignore' });
  try {
    const wallMs = await new Promise<number>((resolve, reject) => {
      const attempt = (): void => {
        if (performance.now() - t0 > CONNECT_DEADLINE_MS) return reject(new Error(`broker did not accept within ${CONNECT_DEADLINE_MS} ms`));
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(performance.now() - t0);
        });
        s.once('error', () => setTimeout(attempt, 2));
      };
      child.once('exit', (code) => reject(new Error(`broker exited with ${code} before accepting`)));
      attempt();
    });
    return { wallMs, cpuMs: cpuMsOf(child.pid!) };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

function nodeFloorOnce(): number {
  const t0 = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - t0;
}

function stats(xs: number[]): { min: number; median: number; p90: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { min: s[0]!, median: at(0.5), p90: at(0.9) };
}

const empty: Sample[] = [];
const formatted: Sample[] = [];
const floor: number[] = [];
const reused = mkdtempSync(join(tmpdir(), 'rivulet-startup-reused-'));
try {
  await startOnce(reused); // format it once
  for (let i = 0; i < RUNS; i++) {
    floor.push(nodeFloorOnce());
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-startup-'));
    try {
      empty.push(await startOnce(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    formatted.push(await startOnce(reused));
  }
} finally {
  rmSync(reused, { recursive: true, force: true });
}

const rows = [
  { name: 'node -e 0 (floor)', wall: stats(floor), cpu: null },
  { name: 'rivulet broker, empty data dir', wall: stats(empty.map((s) => s.wallMs)), cpu: stats(empty.map((s) => s.cpuMs)) },
  { name: 'rivulet broker, formatted data dir', wall: stats(formatted.map((s) => s.wallMs)), cpu: stats(formatted.map((s) => s.cpuMs)) },
];
const f = (n: number): string => n.toFixed(0).padStart(6);
console.log(`\nstart-up to accepting connections, ${RUNS} runs each (load average ${loadavg()[0]!.toFixed(2)})`);
console.log(`${'run'.padEnd(36)} ${'min'.padStart(6)} ${'median'.padStart(6)} ${'p90'.padStart(6)}   cpu median (ms)`);
for (const r of rows) console.log(`${r.name.padEnd(36)} ${f(r.wall.min)} ${f(r.wall.median)} ${f(r.wall.p90)}   ${r.cpu ? f(r.cpu.median) : ''}`);
const overFloor = rows[1]!.wall.median - rows[0]!.wall.median;
console.log(`\nempty data dir: median ${rows[1]!.wall.median.toFixed(0)} ms (target ≤ 300), ${overFloor.toFixed(0)} ms over the Node floor; ratio to the floor ${(rows[1]!.wall.median / rows[0]!.wall.median).toFixed(2)}×`);

mkdirSync(resultsDir(), { recursive: true });
writeFileSync(
  join(resultsDir(), 'startup.json'),
  JSON.stringify({ date: new Date().toISOString(), runs: RUNS, loadavg: loadavg(), node: process.version, rows }, null, 2) + '\n',
);
