// Flame graphs of the broker under librdkafka load: the broker child runs with `node --cpu-prof`, one
// workload per broker process, so each profile is one workload.
//   produce: rdkafka-perf produces N × 1 KiB records, acks=1, to partition 0 of a fresh broker;
//   consume: a second broker process on the same data directory serves them to rdkafka-perf consume
//            (3 passes in the full run, for enough samples).
// The broker is stopped with SIGTERM (so V8 writes the profile), the samples taken while the client ran are
// kept (start-up, recovery and the shutdown flush are left out: V8's profile clock and process.hrtime are
// both CLOCK_MONOTONIC), and each is drawn by bench/tools/flamegraph.mjs into
// flame-{produce,consume}-1k[-quick].svg in the results folder (bench/results/local/, or bench/results/
// with --save), with the top 15 self-time entries printed.
// The .cpuprofile files stay in a temp dir and are deleted. Usage: npm run bench -- profile [--quick]
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTop, labeller, readProfile, summarize, trimProfile } from './tools/cpuprofile.mjs';
import { renderFlameGraph } from './tools/flamegraph.mjs';
import { resultsDir } from './tools/suites.mjs';
import { buildIfStale } from './tools/build.js';
import { cpuMs } from './tools/proc.js';
import { buildRdkafkaPerf, runRdkafkaPerf } from './tools/rdkafka.js';
import { freePort, waitForPort } from '../test/helpers/ports.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
const RECORDS = quick ? 100_000 : 400_000;
const FETCH_BYTES = 4 * 1024 * 1024; // as bench/broker.ts's librdkafka consume
// The consume side costs the broker ~1 µs a record: one pass is a few hundred ms of busy samples, too few
// to tell 2 % from noise, so the full run reads the records several times (each pass a new client).
const CONSUME_PASSES = quick ? 1 : 3;
const TOP = 15;
// V8's default is 1000 µs; a 1-2 s workload then gives too few samples for the narrower boxes.
const INTERVAL_US = 250;
const WAT = join(root, 'build/core/rivulet-core.wat');
const tmpRoot = mkdtempSync(join(tmpdir(), 'rivulet-profile-'));
const dataDir = join(tmpRoot, 'data');
const children = new Set<ChildProcess>();

process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.pid) c.kill('SIGKILL');
  rmSync(tmpRoot, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

interface Broker {
  proc: ChildProcess;
  port: number;
  profDir: string;
  stderr: () => string;
}

async function startProfiledBroker(name: string): Promise<Broker> {
  const port = await freePort();
  const profDir = join(tmpRoot, `prof-${name}`);
  mkdirSync(profDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const args = ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', String(INTERVAL_US), join(root, 'bin/rivulet.js'), 'broker', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'];
  const proc = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(proc);
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  proc.on('exit', () => children.delete(proc));
  try {
    await waitForPort(port, 30_000, proc);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`broker (${name}) did not start: ${(e as Error).message}: ${err.trim().split('\n').slice(-3).join(' | ')}`);
  }
  return { proc, port, profDir, stderr: () => err };
}

/** SIGTERM (the broker's clean shutdown; --cpu-prof writes on exit), then the main thread's profile file. */
async function stopForProfile(b: Broker): Promise<string> {
  if (b.proc.exitCode === null) {
    const exited = new Promise((r) => b.proc.once('exit', r));
    b.proc.kill('SIGTERM');
    const t = setTimeout(() => b.proc.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(t);
  }
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (workers write their own).
  const files = readdirSync(b.profDir).filter((f) => f.endsWith('.cpuprofile'));
  const main = files.find((f) => f.includes(`.${b.proc.pid}.0.`)) ?? files.sort((x, y) => statSync(join(b.profDir, y)).size - statSync(join(b.profDir, x)).size)[0];
  if (!main) throw new Error(`no .cpuprofile written by the broker (exit ${b.proc.exitCode ?? b.proc.signalCode}): ${b.stderr().trim().split('\n').slice(-3).join(' | ')}`);
  return join(b.profDir, main);
}

interface RkJson {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
}

function rdkafka(mode: 'produce' | 'consume', args: string[], timeoutMs = 180_000): Promise<RkJson> {
  return runRdkafkaPerf<RkJson>(mode, args, { cwd: tmpRoot, timeoutMs, children });
}

/** asc writes the .wat beside build/core/rivulet-core.wasm, which the build copies into dist/core/: names by index hold while the two .wasm files are the same. */
function watMatchesDist(): boolean {
  const built = join(root, 'build/core/rivulet-core.wasm');
  const shipped = join(root, 'dist/core/rivulet-core.wasm');
  return existsSync(WAT) && existsSync(built) && existsSync(shipped) && readFileSync(built).equals(readFileSync(shipped));
}

/** One profiled broker process running one workload; writes the SVG and prints the top entries. */
async function phase(name: string, title: string, workload: (bootstrap: string) => Promise<RkJson>): Promise<void> {
  console.log(`\n${name}: ${title}`);
  const b = await startProfiledBroker(name);
  const c0 = cpuMs(b.proc.pid);
  const from = nowUs();
  const r = await workload(`127.0.0.1:${b.port}`); // on failure the exit handler kills the broker
  const to = nowUs();
  const c1 = cpuMs(b.proc.pid);
  const file = await stopForProfile(b);
  const cpu = c0 !== null && c1 !== null ? `, broker CPU ${(((c1 - c0) * 1000) / r.records).toFixed(2)} µs/record` : '';
  const result = `${r.recordsPerSec.toLocaleString('en-US', { maximumFractionDigits: 0 })} rec/s, ${r.mbPerSec.toFixed(1)} MB/s${cpu}`;
  console.log(`  ${r.records.toLocaleString('en-US')} records, ${result}${c0 !== null && c1 !== null ? ` (${(c1 - c0).toFixed(0)} ms)` : ''}`);

  const whole = readProfile(file);
  const inWindow = trimProfile(whole, from, to);
  // The window must lie inside the profile; if the clocks disagreed, say so and draw the whole process.
  const ok = inWindow !== null && whole.startTime! <= from && whole.endTime! >= to;
  if (!ok) console.log(`  warning: the workload window (${from}–${to} µs) is not inside the profile (${whole.startTime}–${whole.endTime}); drawing the whole process`);
  const p = ok ? inWindow : whole;
  const labelOf = labeller(p, { base: root, wat: watMatchesDist() ? WAT : undefined });
  const s = summarize(p, labelOf);
  const wholeS = ((whole.endTime! - whole.startTime!) / 1e6).toFixed(1);
  const scope = ok ? `the ${((to - from) / 1e6).toFixed(1)} s the client ran (of the broker's ${wholeS} s: start-up, shutdown left out)` : `the whole broker process (${wholeS} s)`;
  const out = join(resultsDir(), `flame-${name}-1k${quick ? '-quick' : ''}.svg`);
  mkdirSync(resultsDir(), { recursive: true });
  const subtitle = `${result}. Main thread during ${scope}, sampled every ${INTERVAL_US} µs.`;
  const when = `node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
  writeFileSync(out, renderFlameGraph(p, { title: `Rivulet broker: ${title}${quick ? ' (quick)' : ''} — ${when}`, subtitle, labelOf }));
  console.log(`  ${formatTop(s, TOP, `profile of ${scope}`).join('\n  ')}`);
  console.log(`  written ${out.slice(root.length)}`);
}

async function main(): Promise<void> {
  console.log(`profile bench${quick ? ' (quick)' : ''}: node ${process.version}, ${RECORDS.toLocaleString('en-US')} × 1 KiB records, broker under --cpu-prof`);
  buildIfStale();
  const why = await buildRdkafkaPerf();
  if (why !== null) {
    // Like bench/broker.ts's librdkafka section: a machine without the tool skips, `npm run bench` goes on.
    console.log(`  skipped: rdkafka-perf is needed: ${why}`);
    return;
  }
  if (!watMatchesDist()) console.log(`  (${WAT.slice(root.length)} missing or not from the build in dist/: wasm frames keep their wasm-function[N] names)`);
  const topic = 'flame-1k';
  await phase('produce', `librdkafka produce ${RECORDS.toLocaleString('en-US')} × 1 KiB, acks=1, 1 partition`, (bs) =>
    rdkafka('produce', ['-b', bs, '-t', topic, '-a', '1', '-n', String(RECORDS), '-s', '1024', '-p', '0']),
  );
  const passes = CONSUME_PASSES > 1 ? `, ${CONSUME_PASSES} passes` : '';
  await phase('consume', `librdkafka consume ${RECORDS.toLocaleString('en-US')} × 1 KiB${passes}, 1 partition, fetch.max.bytes 4 MiB`, async (bs) => {
    const runs: RkJson[] = [];
    for (let i = 0; i < CONSUME_PASSES; i++) runs.push(await rdkafka('consume', ['-b', bs, '-t', topic, '-n', String(RECORDS), '-F', String(FETCH_BYTES)]));
    const sum = (f: (r: RkJson) => number): number => runs.reduce((a, r) => a + f(r), 0);
    // Rates are the passes' means; records the total the broker served.
    return { records: sum((r) => r.records), recordsPerSec: sum((r) => r.recordsPerSec) / runs.length, mbPerSec: sum((r) => r.mbPerSec) / runs.length };
  });
}

const overall = setTimeout(() => {
  console.error('profile bench: gave up after 600 s');
  process.exit(1);
}, 600_000);
overall.unref();
main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`profile bench failed: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
