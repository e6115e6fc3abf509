// Cluster benchmark: three broker processes on one etcd (all on 127.0.0.1, sharing this machine's cores),
// in one run: RF=3 acks=all produce vs RF=1 acks=1 on the same cluster and vs a single broker without etcd,
// with the brokers' CPU per record; p99 produce latency at half the RF=3 rate; unavailability after a
// leader SIGKILL (kill → first acks=all record acknowledged by the new leader) with
// broker.session.timeout.ms=2000 and with the default 9000; catch-up of a replica added by a reassignment
// vs a loopback TCP copy of the same bytes.
// Usage: npm run bench -- cluster [--quick] [--save]. Writes cluster-<date>[-quick].json into the results
// folder. Every step has a timeout; every process is stopped at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildIfStale } from './tools/build.js';
import { cpuMs } from './tools/proc.js';
import { resultsDir } from './tools/suites.mjs';
import { Admin, Producer } from '../host-node/client/index.js';
import { startEtcd, type EtcdHandle } from '../test/helpers/etcd.js';
import { freePort } from '../test/helpers/ports.js';
import { BrokerProcess } from '../test/cluster/support/processes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
const MB = 1024 * 1024;
const RECORD = 1024;
/** Records per throughput run (1 KiB each). */
const COUNT = quick ? 60_000 : 300_000;
/** Throughput runs of each case (alternating); the median is reported. */
const TRIALS = quick ? 1 : 3;
/** Leader kills per session timeout. */
const KILLS: Record<number, number> = quick ? { 2000: 2, 9000: 1 } : { 2000: 5, 9000: 3 };
/** Bytes the new replica has to copy. */
const CATCHUP_MB = quick ? 64 : 256;
const tmpRoot = mkdtempSync(join(tmpdir(), 'rivulet-bench-cluster-'));
const children = new Set<ChildProcess>();
const brokers: BrokerProcess[] = [];
let etcd: EtcdHandle | undefined;

interface Row {
  group: string;
  name: string;
  recordsPerSec?: number;
  mbPerSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Every broker's CPU (user + system) over the run ÷ records, µs. */
  brokerCpuUsPerRecord?: number;
  medianMs?: number;
  maxMs?: number;
  note?: string;
}
const rows: Row[] = [];
const f = (n: number | undefined, d = 0): string => (n === undefined ? '' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
function add(r: Row): void {
  rows.push(r);
  console.log(
    `  ${(r.group + ' / ' + r.name).padEnd(60)}` +
      (r.recordsPerSec !== undefined ? ` ${f(r.recordsPerSec).padStart(9)} rec/s` : '') +
      (r.mbPerSec !== undefined ? ` ${f(r.mbPerSec, 1).padStart(7)} MB/s` : '') +
      (r.p99Ms !== undefined ? `  p50 ${f(r.p50Ms, 2)} p99 ${f(r.p99Ms, 2)} ms` : '') +
      (r.brokerCpuUsPerRecord !== undefined ? `  brokers ${f(r.brokerCpuUsPerRecord, 1)} µs/rec` : '') +
      (r.medianMs !== undefined ? `  median ${f(r.medianMs)} ms, max ${f(r.maxMs)} ms` : '') +
      (r.note ? `  (${r.note})` : ''),
  );
}

function section(title: string): void {
  console.log(`\n${title}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

// ---------------------------------------------------------------- processes
function brokerSets(id: number, sessionMs: number): Record<string, string> {
  return {
    'etcd.connect': etcd!.connect,
    'node.id': String(id),
    'broker.session.timeout.ms': String(sessionMs),
    'broker.heartbeat.interval.ms': String(Math.min(2000, Math.floor(sessionMs / 4))),
    'min.insync.replicas': '2',
    'auto.leader.rebalance.enable': 'false',
  };
}

/** Three brokers on a fresh etcd chroot, one per session timeout (earlier brokers are stopped first). */
async function startCluster(sessionMs: number): Promise<string> {
  await stopBrokers();
  const chroot = `/s${sessionMs}`;
  for (const id of [1, 2, 3]) {
    const sets = { ...brokerSets(id, sessionMs), 'etcd.connect': `${etcd!.connect}${chroot}` };
    brokers.push(await BrokerProcess.start({ sets, logFile: join(tmpRoot, `broker-${sessionMs}-${id}.log`) }));
  }
  return brokers.map((b) => b.bootstrap).join(',');
}

async function stopBrokers(): Promise<void> {
  for (const b of brokers.splice(0)) {
    b.signal('SIGKILL');
    await b.exited;
    await b.cleanup();
  }
}

function clusterCpuMs(): number {
  return brokers.reduce((sum, b) => sum + (cpuMs(b.pid) ?? 0), 0);
}

/** Runs a command, resolves with its stdout; rejects on a non-zero exit or after timeoutMs. */
function exec(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(c);
    let out = '';
    let err = '';
    c.stdout!.on('data', (d: Buffer) => (out += d));
    c.stderr!.on('data', (d: Buffer) => (err += d));
    const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('exit', (code) => {
      clearTimeout(t);
      children.delete(c);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`));
    });
  });
}

interface PerfJson {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  latency?: { p50Ms: number; p99Ms: number; p999Ms: number };
}

async function perf(args: string[], timeoutMs = 120_000): Promise<PerfJson> {
  const out = await exec(process.execPath, [join(root, 'bin/rivulet.js'), 'perf', 'produce', ...args, '--json'], timeoutMs);
  return JSON.parse(out.trim().split('\n').pop()!) as PerfJson;
}

/** A produce run with the CPU every broker used over it, per record. */
async function producePerf(bootstrap: string, topic: string, acks: string, extra: string[] = [], n = COUNT): Promise<PerfJson & { cpuUsPerRecord: number }> {
  const c0 = clusterCpuMs();
  const r = await perf(['--bootstrap-server', bootstrap, '--topic', topic, '--num-records', String(n), '--record-size', String(RECORD), '--acks', acks, '--batch-size', '262144', ...extra]);
  return { ...r, cpuUsPerRecord: ((clusterCpuMs() - c0) * 1000) / r.records };
}

async function createTopic(admin: Admin, name: string, assignment: number[]): Promise<void> {
  await admin.createTopics([{ name, assignments: { 0: assignment } }]);
  await waitForPartition(admin, name, (p) => p.leader === assignment[0] && p.isr.length === assignment.length, 30_000);
}

type PartitionView = { leader: number; isr: number[]; replicas: number[] };

async function partitionOf(admin: Admin, topic: string): Promise<PartitionView | undefined> {
  try {
    const [t] = await admin.describeTopics([topic]);
    return t?.partitions[0];
  } catch {
    return undefined;
  }
}

async function waitForPartition(admin: Admin, topic: string, ok: (p: PartitionView) => boolean, timeoutMs: number, pollMs = 50): Promise<PartitionView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await partitionOf(admin, topic);
    if (p !== undefined && ok(p)) return p;
    if (Date.now() > deadline) throw new Error(`${topic}-0 did not reach the expected state within ${timeoutMs} ms (last: ${JSON.stringify(p)})`);
    await sleep(pollMs);
  }
}

// ---------------------------------------------------------------- throughput and latency
interface Throughput {
  single: PerfJson & { cpuUsPerRecord: number };
  rf1: PerfJson & { cpuUsPerRecord: number };
  rf3: PerfJson & { cpuUsPerRecord: number };
}

/** The single broker without etcd, acks=1, for reference (alone on the machine). */
async function singleBroker(): Promise<PerfJson & { cpuUsPerRecord: number }> {
  const b = await BrokerProcess.start({ logFile: join(tmpRoot, 'single.log') });
  brokers.push(b);
  try {
    const admin = new Admin({ bootstrapServers: b.bootstrap });
    await admin.createTopics([{ name: 'single', numPartitions: 1, replicationFactor: 1 }]).finally(() => admin.close());
    return await producePerf(b.bootstrap, 'single', '1');
  } finally {
    await stopBrokers();
  }
}

async function throughput(bootstrap: string, admin: Admin, single: PerfJson & { cpuUsPerRecord: number }): Promise<Throughput> {
  const rf1: (PerfJson & { cpuUsPerRecord: number })[] = [];
  const rf3: (PerfJson & { cpuUsPerRecord: number })[] = [];
  for (let t = 0; t < TRIALS; t++) {
    await createTopic(admin, `rf1-${t}`, [1]);
    await createTopic(admin, `rf3-${t}`, [1, 2, 3]);
    rf1.push(await producePerf(bootstrap, `rf1-${t}`, '1'));
    rf3.push(await producePerf(bootstrap, `rf3-${t}`, 'all'));
  }
  const pick = <T extends PerfJson>(xs: T[]): T => [...xs].sort((a, b) => a.recordsPerSec - b.recordsPerSec)[Math.floor((xs.length - 1) / 2)]!;
  const runs = (xs: PerfJson[]) => (xs.length > 1 ? `median of ${xs.length}: ${xs.map((x) => Math.round(x.recordsPerSec / 1000)).join(', ')}k rec/s` : undefined);
  const r = { single, rf1: pick(rf1), rf3: pick(rf3) };
  add({ group: 'produce 1 KiB', name: 'single broker, no etcd, acks=1', recordsPerSec: single.recordsPerSec, mbPerSec: single.mbPerSec, brokerCpuUsPerRecord: single.cpuUsPerRecord });
  add({ group: 'produce 1 KiB', name: '3 brokers, RF=1 acks=1', recordsPerSec: r.rf1.recordsPerSec, mbPerSec: r.rf1.mbPerSec, brokerCpuUsPerRecord: r.rf1.cpuUsPerRecord, note: runs(rf1) });
  add({ group: 'produce 1 KiB', name: '3 brokers, RF=3 acks=all (min.insync.replicas=2)', recordsPerSec: r.rf3.recordsPerSec, mbPerSec: r.rf3.mbPerSec, brokerCpuUsPerRecord: r.rf3.cpuUsPerRecord, note: runs(rf3) });
  return r;
}

/** acks=all at half the measured RF=3 rate, Kafka's default batch size and a 2 ms linger. */
async function latencyAtHalfRate(bootstrap: string, admin: Admin, rf3Rate: number): Promise<PerfJson> {
  const rate = Math.max(100, Math.floor(rf3Rate / 2));
  await createTopic(admin, 'latency', [1, 2, 3]);
  const n = rate * (quick ? 4 : 10);
  const r = await perf(['--bootstrap-server', bootstrap, '--topic', 'latency', '--num-records', String(n), '--record-size', String(RECORD), '--acks', 'all', '--throughput', String(rate), '--linger-ms', '2']);
  add({ group: 'latency', name: `RF=3 acks=all at ${f(rate)} rec/s (half the RF=3 rate)`, recordsPerSec: r.recordsPerSec, p50Ms: r.latency?.p50Ms, p99Ms: r.latency?.p99Ms });
  return r;
}

// ---------------------------------------------------------------- unavailability after a leader kill
/** SIGKILL of the leader → the first acks=all record acknowledged after it, in ms; the broker is restarted and back in the ISR after. */
async function killLeaderOnce(admin: Admin, producer: Producer, topic: string): Promise<number> {
  const before = await waitForPartition(admin, topic, (p) => p.leader > 0 && p.isr.length === 3, 60_000);
  await producer.send({ topic, partition: 0, value: 'warm' });
  const victim = brokers[before.leader - 1]!;
  const t0 = performance.now();
  victim.signal('SIGKILL');
  let ms = -1;
  for (let i = 0; ms < 0; i++) {
    try {
      // Bounded: a leader that is never replaced fails the bench instead of hanging it.
      const left = 60_000 - (performance.now() - t0);
      await Promise.race([producer.send({ topic, partition: 0, value: `after-${i}` }), sleep(Math.max(0, left)).then(() => Promise.reject(new Error('timeout')))]);
      ms = performance.now() - t0;
    } catch {
      if (performance.now() - t0 > 60_000) throw new Error('no acks=all record acknowledged within 60 s of the leader kill');
      await sleep(5);
    }
  }
  await victim.exited;
  const after = await waitForPartition(admin, topic, (p) => p.leader > 0, 10_000);
  if (after.leader === before.leader) throw new Error(`broker ${before.leader} was killed but still leads ${topic}-0`);
  await victim.restart();
  return ms;
}

async function unavailability(sessionMs: number, bootstrap: string, admin: Admin): Promise<number[]> {
  const topic = `avail-${sessionMs}`;
  await createTopic(admin, topic, [1, 2, 3]);
  const producer = new Producer({ bootstrapServers: bootstrap, requestTimeoutMs: 1000, retryBackoffMs: 10 }, { acks: -1, lingerMs: 0, retries: 1_000_000 });
  const times: number[] = [];
  try {
    for (let k = 0; k < KILLS[sessionMs]!; k++) times.push(await killLeaderOnce(admin, producer, topic));
  } finally {
    await producer.close().catch(() => {});
  }
  add({ group: 'leader SIGKILL', name: `broker.session.timeout.ms=${sessionMs}: kill → first acks=all ack`, medianMs: median(times), maxMs: Math.max(...times), note: `${times.length} kills: ${times.map((t) => Math.round(t)).join(', ')} ms` });
  return times;
}

// ---------------------------------------------------------------- catch-up vs loopback
/**
 * A replica with an empty log catching up: RF=2 on brokers 1 and 2, broker 2 killed while the partition
 * is still empty, the partition filled on broker 1 (acks=1), broker 2 started again; time from its start until it is back
 * in the ISR (AlterPartitionReassignments is not served in a cluster yet, so the new replica is made this way).
 */
async function catchUp(admin: Admin): Promise<{ mbPerSec: number; loopbackMbPerSec: number; secs: number }> {
  await createTopic(admin, 'catchup', [1, 2]);
  const follower = brokers[1]!;
  follower.signal('SIGKILL');
  await follower.exited;
  await waitForPartition(admin, 'catchup', (p) => !p.isr.includes(2), 30_000);
  await producePerf(brokers[0]!.bootstrap, 'catchup', '1', [], CATCHUP_MB * 1024);
  const t0 = performance.now();
  await follower.restart();
  await waitForPartition(admin, 'catchup', (p) => p.isr.includes(2), 120_000, 20);
  const secs = (performance.now() - t0) / 1000;
  const mbPerSec = CATCHUP_MB / secs;
  const loopbackMbPerSec = await loopbackTcp(CATCHUP_MB * MB);
  add({ group: 'catch-up', name: `empty replica of a ${CATCHUP_MB} MiB partition: start → in ISR`, mbPerSec, note: `${f(secs, 2)} s, broker start included` });
  add({ group: 'catch-up', name: `loopback TCP copy of ${CATCHUP_MB} MiB, 2 processes`, mbPerSec: loopbackMbPerSec });
  return { mbPerSec, loopbackMbPerSec, secs };
}

/** MB/s of `total` bytes written in 64 KiB chunks to a sink in another process on 127.0.0.1. */
async function loopbackTcp(total: number): Promise<number> {
  const port = await freePort();
  const sink = `const s=require('net').createServer(c=>{let n=0;c.on('data',d=>{n+=d.length;if(n>=${total}){c.end('k');}})});s.listen(${port},'127.0.0.1',()=>console.log('ready'));setTimeout(()=>process.exit(1),120000).unref();`;
  const child = spawn(process.execPath, ['-e', sink], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  await new Promise((r) => child.stdout!.once('data', r));
  const sock = connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const chunk = Buffer.alloc(64 * 1024, 7);
  const t0 = performance.now();
  const done = new Promise((r) => sock.once('data', r));
  let sent = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      for (; sent < total; ) {
        sent += chunk.length;
        if (!sock.write(chunk)) return void sock.once('drain', pump);
      }
      resolve();
    };
    pump();
  });
  await done;
  const secs = (performance.now() - t0) / 1000;
  sock.destroy();
  child.kill();
  return total / MB / secs;
}

// ---------------------------------------------------------------- run
async function main(): Promise<void> {
  console.log(`cluster bench${quick ? ' (quick)' : ''}: node ${process.version}, 3 broker processes + etcd on 127.0.0.1, ${RECORD} B records`);
  buildIfStale();
  etcd = await startEtcd({ dataDir: join(tmpRoot, 'etcd') });

  section('produce throughput (same run; CPU = all brokers, user + system)');
  const single = await singleBroker();
  let bootstrap = await startCluster(2000);
  let admin = new Admin({ bootstrapServers: bootstrap });
  const tp = await throughput(bootstrap, admin, single);
  section('latency');
  const latency = await latencyAtHalfRate(bootstrap, admin, tp.rf3.recordsPerSec);
  section('catch-up of a new replica');
  const catchup = await catchUp(admin);
  section('unavailability after a leader SIGKILL');
  const unavailable: Record<string, number[]> = {};
  unavailable['2000'] = await unavailability(2000, bootstrap, admin);
  await admin.close();
  bootstrap = await startCluster(9000);
  admin = new Admin({ bootstrapServers: bootstrap });
  unavailable['9000'] = await unavailability(9000, bootstrap, admin);
  await admin.close();

  const ratios = {
    rf3AcksAllVsRf1Acks1: tp.rf3.recordsPerSec / tp.rf1.recordsPerSec,
    rf3AcksAllVsSingleBroker: tp.rf3.recordsPerSec / tp.single.recordsPerSec,
    rf1ClusterVsSingleBroker: tp.rf1.recordsPerSec / tp.single.recordsPerSec,
    cpuPerRecordRf3VsRf1: tp.rf3.cpuUsPerRecord / tp.rf1.cpuUsPerRecord,
    catchUpVsLoopback: catchup.mbPerSec / catchup.loopbackMbPerSec,
  };
  const targets = {
    'RF=3 acks=all ≥ 0.5× RF=1 acks=1': ratios.rf3AcksAllVsRf1Acks1 >= 0.5,
    'leader kill → first ack ≤ 3 s with broker.session.timeout.ms=2000': Math.max(...unavailable['2000']) <= 3000,
  };
  section('ratios');
  console.log(`  RF=3 acks=all / RF=1 acks=1 (same cluster)     ${f(ratios.rf3AcksAllVsRf1Acks1, 2)}×   (Kafka 2014: 0.51×)`);
  console.log(`  RF=3 acks=all / single broker acks=1           ${f(ratios.rf3AcksAllVsSingleBroker, 2)}×`);
  console.log(`  RF=1 acks=1 cluster / single broker acks=1     ${f(ratios.rf1ClusterVsSingleBroker, 2)}×`);
  console.log(`  CPU per record, RF=3 acks=all / RF=1 acks=1    ${f(ratios.cpuPerRecordRf3VsRf1, 2)}×`);
  console.log(`  replica catch-up / loopback TCP                ${f(ratios.catchUpVsLoopback, 2)}×`);
  for (const [t, ok] of Object.entries(targets)) console.log(`  ${ok ? 'met    ' : 'NOT met'} ${t}`);

  const date = new Date().toISOString();
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `cluster-${date.slice(0, 19).replace(/:/g, '-')}${quick ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify({ date, node: process.version, quick, recordSize: RECORD, count: COUNT, catchUpMb: CATCHUP_MB, rows, ratios, targets, latency, unavailableMs: unavailable }, null, 2) + '\n');
  console.log(`\nwrote ${file}`);
}

async function cleanup(): Promise<void> {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await stopBrokers().catch(() => {});
  await etcd?.stop().catch(() => {});
  rmSync(tmpRoot, { recursive: true, force: true });
}

const overall = setTimeout(() => {
  console.error(`cluster bench: gave up after ${quick ? 300 : 600} s`);
  void cleanup().finally(() => process.exit(1));
}, (quick ? 300 : 600) * 1000);
overall.unref();
process.on('SIGINT', () => void cleanup().finally(() => process.exit(130)));

main().then(
  () => cleanup().then(() => process.exit(0)),
  (e: unknown) => {
    console.error(`cluster bench failed: ${(e as Error).stack ?? String(e)}`);
    void cleanup().finally(() => process.exit(1));
  },
);
