// Scale benchmark: one broker holding many partitions and many client connections.
// Usage: npm run bench -- scale [--quick] [--partitions N] [--connections N] [--hold-s S]
//
//  1. partitions: CreateTopics with N partitions (10,000; quick 2,000) timed; Metadata of that topic;
//     produce to every partition with our own Producer (one Produce request carries many partitions), once
//     with 1 record per partition and once with 10; fetch everything back with Fetch requests of 1,000
//     partitions each; broker RSS, heap, open fds and CPU time (utime+stime) before and after each step, so
//     memory per partition and CPU per message come out; then a clean restart (SIGTERM, start → accepting
//     connections, which in Rivulet as in Kafka means every log is loaded) and an unclean one (SIGKILL:
//     every active segment is validated on the way up).
//  2. connections: C connections (1,000; quick 200) each doing ApiVersions + Metadata, all held open; each
//     sends a small Produce or Fetch about once a second for S seconds (20; quick 3); broker RSS per
//     connection, request latency percentiles, errors, connections dropped.
// The broker is `node bin/rivulet.js broker` on 127.0.0.1 with its own temp dir (built first when dist/
// is older than a source; RIVULET_BENCH_BUILD=1 forces, =0 skips). Results:
// scale-<date>[-quick].json in the results folder (bench/results/local/, or bench/results/ with --save).
// SCALE_CPU_PROF=<dir> writes the broker's CPU profiles there.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { encodeBatch } from '../bindings/node.js';
import { ApiKey } from '../protocol/generated/index.js';
import { ZERO_UUID } from '../protocol/wire/uuid.js';
import { Admin, Cluster, Connection, Producer } from '../host-node/client/index.js';
import { buildIfStale } from './tools/build.js';
import { resultsDir } from './tools/suites.mjs';
import { freePort, waitForPort } from '../test/helpers/ports.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const arg = (name: string, dflt: number): number => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : dflt;
};
const PARTITIONS = arg('--partitions', quick ? 1_000 : 10_000);
const CONNECTIONS = arg('--connections', quick ? 200 : 1_000);
const HOLD_S = arg('--hold-s', quick ? 3 : 20);
const RECORD_BYTES = 100;
const FETCH_PARTITIONS_PER_REQUEST = 1_000;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const tmpRoot = mkdtempSync(join(tmpdir(), 'rivulet-scale-'));
const children = new Set<ChildProcess>();
const results: Record<string, unknown> = {};

function cleanup(): void {
  for (const c of children) if (c.exitCode === null && c.pid) c.kill('SIGKILL');
  rmSync(tmpRoot, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

// ---------------------------------------------------------------- the broker process

interface ProcStats {
  rssMiB: number;
  fds: number;
  /** CPU seconds (user + system) since the process started. */
  cpuS: number;
}

function procStats(pid: number): ProcStats {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(rest[11]) + Number(rest[12]);
  return { rssMiB: rssKb / 1024, fds: readdirSync(`/proc/${pid}/fd`).length, cpuS: cpuTicks / CLK_TCK };
}



interface Broker {
  proc: ChildProcess;
  pid: number;
  port: number;
  metricsPort: number;
  /** ms from spawn to accepting connections. */
  startMs: number;
}

async function startBroker(dir: string, port: number, metricsPort: number): Promise<Broker> {
  const t0 = performance.now();
  // SCALE_CPU_PROF=<dir>: the broker writes a V8 CPU profile there when it stops (for flame graphs).
  const prof = process.env.SCALE_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SCALE_CPU_PROF}`] : [];
  const proc = spawn(
    process.execPath,
    [...prof, join(root, 'bin/rivulet.js'), 'broker', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dir, '--log-level', 'warn', '--set', `metrics.port=${metricsPort}`, '--set', 'metrics.host=127.0.0.1'],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  children.add(proc);
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  proc.on('exit', () => children.delete(proc));
  try {
    await waitForPort(port, 300_000, proc);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${(e as Error).message}: ${err.trim().split('\n').slice(-3).join(' | ')}`);
  }
  return { proc, pid: proc.pid!, port, metricsPort, startMs: performance.now() - t0 };
}

async function stopBroker(b: Broker, signal: 'SIGTERM' | 'SIGKILL'): Promise<number> {
  const t0 = performance.now();
  if (b.proc.exitCode !== null) return 0;
  const done = new Promise((r) => b.proc.once('exit', r));
  b.proc.kill(signal);
  const t = setTimeout(() => b.proc.kill('SIGKILL'), 300_000);
  await done;
  clearTimeout(t);
  return performance.now() - t0;
}

/** V8 heap used by the broker, from its Prometheus endpoint (prom-client's default metrics). */
async function brokerHeapMiB(b: Broker): Promise<number | null> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${b.metricsPort}/metrics`)).text();
    const m = /^nodejs_heap_size_used_bytes\s+([\d.e+]+)/m.exec(text);
    return m ? Number(m[1]) / 1024 / 1024 : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- helpers

const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;
const log = (s: string): void => console.log(s);

function histogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

/** Records in the v2 batches of a Fetch partition's bytes (the batch header's record count at byte 57). */
function countRecords(bytes: Uint8Array): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let n = 0;
  for (let pos = 0; pos + 61 <= bytes.byteLength; ) {
    const size = 12 + v.getInt32(pos + 8);
    if (pos + size > bytes.byteLength) break;
    n += v.getInt32(pos + 57);
    pos += size;
  }
  return n;
}

interface Measured {
  ms: number;
  cpuS: number;
  before: ProcStats;
  after: ProcStats;
}

async function measure(b: Broker, f: () => Promise<void>): Promise<Measured> {
  const before = procStats(b.pid);
  const t0 = performance.now();
  await f();
  const ms = performance.now() - t0;
  const after = procStats(b.pid);
  return { ms, cpuS: after.cpuS - before.cpuS, before, after };
}

// ---------------------------------------------------------------- 1. partitions

async function partitionsBench(): Promise<void> {
  log(`\n1. ${PARTITIONS.toLocaleString('en-US')} partitions on one broker`);
  const dir = join(tmpRoot, 'partitions');
  mkdirSync(dir);
  const port = await freePort();
  const metricsPort = await freePort();
  let broker = await startBroker(dir, port, metricsPort);
  const base = procStats(broker.pid);
  const baseHeap = await brokerHeapMiB(broker);
  log(`   broker up in ${round(broker.startMs, 0)} ms: RSS ${round(base.rssMiB)} MiB, heap ${round(baseHeap ?? 0)} MiB, ${base.fds} fds`);

  const cluster = new Cluster({ bootstrapServers: `127.0.0.1:${port}`, clientId: 'scale-bench', requestTimeoutMs: 600_000 });
  const admin = new Admin(cluster, { timeoutMs: 600_000 });
  const topic = 'scale';
  const create = await measure(broker, () => admin.createTopics([{ name: topic, numPartitions: PARTITIONS, replicationFactor: 1 }]).then(() => undefined));
  const heapCreated = await brokerHeapMiB(broker);
  log(
    `   CreateTopics ${PARTITIONS} partitions: ${round(create.ms, 0)} ms (${round((create.ms * 1000) / PARTITIONS, 0)} µs/partition, broker CPU ${round(create.cpuS, 2)} s); ` +
      `RSS +${round(create.after.rssMiB - base.rssMiB)} MiB (${round(((create.after.rssMiB - base.rssMiB) * 1024) / PARTITIONS, 2)} KiB/partition), fds ${create.after.fds}`,
  );

  // Metadata for the big topic: size and time, as a client refreshing it sees them.
  const conn = await Connection.connect({ host: '127.0.0.1', port, clientId: 'scale-bench', requestTimeoutMs: 600_000 });
  const mdTimes: number[] = [];
  let topicId = '';
  const mdCpu0 = procStats(broker.pid).cpuS;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const md = await conn.send(ApiKey.Metadata, { topics: [{ name: topic, topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false, includeClusterAuthorizedOperations: false } as never);
    mdTimes.push(performance.now() - t0);
    const t = (md as { topics: { name: string; topicId: string; partitions: unknown[] }[] }).topics[0]!;
    if (t.partitions.length !== PARTITIONS) throw new Error(`Metadata lists ${t.partitions.length} partitions`);
    topicId = t.topicId;
  }
  const mdBrokerMs = ((procStats(broker.pid).cpuS - mdCpu0) * 1000) / 5;
  mdTimes.sort((a, b) => a - b);
  log(`   Metadata of the topic (${PARTITIONS} partitions): median ${round(mdTimes[2]!, 1)} ms round trip (client decode included), broker CPU ${round(mdBrokerMs, 1)} ms per request`);

  // Produce: one round of 1 record per partition, then one of 10 per partition (Produce requests of up to
  // 1 MiB, each carrying hundreds to thousands of partitions).
  const producer = new Producer(cluster, { acks: 1, lingerMs: 20, batchSize: 16384, maxRequestSize: 1024 * 1024 });
  const value = Buffer.alloc(RECORD_BYTES, 120);
  const produceRound = async (perPartition: number) => {
    const records: { topic: string; partition: number; value: Buffer }[] = [];
    for (let p = 0; p < PARTITIONS; p++) for (let i = 0; i < perPartition; i++) records.push({ topic, partition: p, value });
    return measure(broker, async () => {
      await producer.sendAll(records);
      await producer.flush();
    });
  };
  const produced: Record<string, unknown> = {};
  let totalRecords = 0;
  for (const per of [1, 10]) {
    const m = await produceRound(per);
    const n = PARTITIONS * per;
    totalRecords += n;
    produced[`${per}PerPartition`] = { records: n, ms: round(m.ms, 0), recordsPerSec: round(n / (m.ms / 1000), 0), brokerCpuUsPerRecord: round((m.cpuS * 1e6) / n, 1), brokerCpuUsPerPartitionBatch: round((m.cpuS * 1e6) / PARTITIONS, 1), rssAfterMiB: round(m.after.rssMiB) };
    log(`   produce ${per} record(s) × ${PARTITIONS} partitions: ${round(m.ms, 0)} ms, ${round(n / (m.ms / 1000), 0)} rec/s; broker CPU ${round((m.cpuS * 1e6) / n, 1)} µs/record (${round((m.cpuS * 1e6) / PARTITIONS, 1)} µs per partition batch)`);
  }

  // Fetch everything back: Fetch requests of FETCH_PARTITIONS_PER_REQUEST partitions each, from offset 0.
  let fetched = 0;
  let fetchRequests = 0;
  const fetch = await measure(broker, async () => {
    for (let from = 0; from < PARTITIONS; from += FETCH_PARTITIONS_PER_REQUEST) {
      const parts = [];
      for (let p = from; p < Math.min(PARTITIONS, from + FETCH_PARTITIONS_PER_REQUEST); p++)
        parts.push({ partition: p, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 * 1024 });
      const res = await conn.send(ApiKey.Fetch, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 64 * 1024 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, topicId, partitions: parts }],
        forgottenTopicsData: [],
        rackId: '',
      } as never);
      fetchRequests++;
      for (const t of (res as { responses: { partitions: { errorCode: number; records: Uint8Array | null }[] }[] }).responses)
        for (const p of t.partitions) {
          if (p.errorCode !== 0) throw new Error(`Fetch error ${p.errorCode}`);
          if (p.records) fetched += countRecords(p.records);
        }
    }
  });
  if (fetched !== totalRecords) throw new Error(`fetched ${fetched} records, produced ${totalRecords}`);
  log(`   fetch all ${fetched} records in ${fetchRequests} Fetch requests: ${round(fetch.ms, 0)} ms, ${round(fetched / (fetch.ms / 1000), 0)} rec/s; broker CPU ${round((fetch.cpuS * 1e6) / fetched, 2)} µs/record`);

  const loaded = procStats(broker.pid);
  const heapLoaded = await brokerHeapMiB(broker);
  log(`   after produce + fetch: RSS ${round(loaded.rssMiB)} MiB, heap ${round(heapLoaded ?? 0)} MiB, ${loaded.fds} fds`);
  await producer.close?.();
  conn.close();
  await cluster.close();

  // Restarts with every partition on disk.
  const cleanStopMs = await stopBroker(broker, 'SIGTERM');
  broker = await startBroker(dir, port, metricsPort);
  const cleanStart = { stopMs: round(cleanStopMs, 0), startMs: round(broker.startMs, 0), ...procStats(broker.pid) };
  log(`   clean restart: shutdown ${round(cleanStopMs, 0)} ms, start → accepting (all logs loaded) ${round(broker.startMs, 0)} ms; RSS ${round(cleanStart.rssMiB)} MiB, ${cleanStart.fds} fds`);
  const check = await Connection.connect({ host: '127.0.0.1', port, requestTimeoutMs: 600_000 });
  const ends = await check.send(ApiKey.ListOffsets, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) }],
  } as never);
  const sum = (ends as { topics: { partitions: { offset: bigint }[] }[] }).topics[0]!.partitions.reduce((a, p) => a + Number(p.offset), 0);
  if (sum !== totalRecords) throw new Error(`after restart the log end offsets add up to ${sum}, expected ${totalRecords}`);
  check.close();
  const killMs = await stopBroker(broker, 'SIGKILL');
  void killMs;
  broker = await startBroker(dir, port, metricsPort);
  const uncleanStartMs = broker.startMs;
  log(`   unclean restart (SIGKILL; every active segment validated): start → accepting ${round(uncleanStartMs, 0)} ms`);
  await stopBroker(broker, 'SIGTERM');

  results.partitions = {
    partitions: PARTITIONS,
    baseline: { rssMiB: round(base.rssMiB), heapMiB: baseHeap && round(baseHeap), fds: base.fds },
    createTopics: {
      ms: round(create.ms, 0),
      usPerPartition: round((create.ms * 1000) / PARTITIONS, 0),
      brokerCpuS: round(create.cpuS, 2),
      rssMiB: round(create.after.rssMiB),
      heapMiB: heapCreated && round(heapCreated),
      kibPerPartitionRss: round(((create.after.rssMiB - base.rssMiB) * 1024) / PARTITIONS, 2),
      kibPerPartitionHeap: heapCreated && baseHeap ? round(((heapCreated - baseHeap) * 1024) / PARTITIONS, 2) : null,
      fds: create.after.fds,
    },
    metadataMedianMs: round(mdTimes[2]!, 2),
    metadataBrokerCpuMs: round(mdBrokerMs, 1),
    produce: produced,
    fetch: { records: fetched, requests: fetchRequests, ms: round(fetch.ms, 0), recordsPerSec: round(fetched / (fetch.ms / 1000), 0), brokerCpuUsPerRecord: round((fetch.cpuS * 1e6) / fetched, 2) },
    afterLoad: { rssMiB: round(loaded.rssMiB), heapMiB: heapLoaded && round(heapLoaded), fds: loaded.fds, kibPerPartitionRss: round(((loaded.rssMiB - base.rssMiB) * 1024) / PARTITIONS, 2) },
    cleanRestart: { shutdownMs: cleanStart.stopMs, startToAcceptingMs: cleanStart.startMs, rssMiB: round(cleanStart.rssMiB), fds: cleanStart.fds },
    uncleanRestart: { startToAcceptingMs: round(uncleanStartMs, 0) },
  };
}

// ---------------------------------------------------------------- 2. connections

async function connectionsBench(): Promise<void> {
  log(`\n2. ${CONNECTIONS.toLocaleString('en-US')} concurrent connections, held ${HOLD_S} s`);
  const dir = join(tmpRoot, 'connections');
  mkdirSync(dir);
  const port = await freePort();
  const broker = await startBroker(dir, port, await freePort());
  const topic = 'held';
  const topicPartitions = 16;
  {
    const admin = new Admin({ bootstrapServers: `127.0.0.1:${port}` });
    await admin.createTopics([{ name: topic, numPartitions: topicPartitions, replicationFactor: 1 }]);
    await admin.close();
  }
  const before = procStats(broker.pid);
  const beforeHeap = await brokerHeapMiB(broker);

  const t0 = performance.now();
  const conns: Connection[] = [];
  let dropped = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  const noteError = (e: unknown) => {
    errors++;
    if (errorSamples.length < 5) errorSamples.push((e as Error).message);
  };
  // Connect in waves of 100 (a client fleet starting up), each doing ApiVersions + Metadata.
  let topicId = '';
  for (let i = 0; i < CONNECTIONS; i += 100) {
    const wave = await Promise.all(
      Array.from({ length: Math.min(100, CONNECTIONS - i) }, async (_, j) => {
        const c = await Connection.connect({ host: '127.0.0.1', port, clientId: `held-${i + j}`, requestTimeoutMs: 30_000 });
        const md = await c.send(ApiKey.Metadata, { topics: [{ name: topic, topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false, includeClusterAuthorizedOperations: false } as never);
        topicId = (md as { topics: { topicId: string }[] }).topics[0]!.topicId;
        c.onClose?.(() => dropped++);
        return c;
      }),
    );
    conns.push(...wave);
  }
  const connectMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 500));
  const held = procStats(broker.pid);
  const heldHeap = await brokerHeapMiB(broker);
  log(
    `   ${conns.length} connections opened (ApiVersions + Metadata each) in ${round(connectMs, 0)} ms; broker RSS +${round(held.rssMiB - before.rssMiB)} MiB ` +
      `(${round(((held.rssMiB - before.rssMiB) * 1024) / CONNECTIONS, 1)} KiB/connection), heap +${round((heldHeap ?? 0) - (beforeHeap ?? 0), 1)} MiB, fds ${held.fds}`,
  );

  // Hold: each connection sends a small Produce or Fetch about once a second (spread over the second).
  const latency = histogram();
  const batch = encodeBatch({ records: [{ key: null, value: Buffer.alloc(RECORD_BYTES, 97), headers: [], timestampDelta: 0, offsetDelta: 0 }], baseTimestamp: Date.now() });
  let requests = 0;
  const stopAt = performance.now() + HOLD_S * 1000;
  const cpu0 = procStats(broker.pid).cpuS;
  await Promise.all(
    conns.map(async (c, i) => {
      await new Promise((r) => setTimeout(r, Math.random() * 1000));
      for (let k = 0; performance.now() < stopAt; k++) {
        const partition = i % topicPartitions;
        const t = performance.now();
        try {
          if ((i + k) % 2 === 0) {
            const res = await c.send(ApiKey.Produce, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] } as never);
            const code = (res as { responses: { partitionResponses: { errorCode: number }[] }[] }).responses[0]!.partitionResponses[0]!.errorCode;
            if (code !== 0) throw new Error(`Produce error ${code}`);
          } else {
            const res = await c.send(ApiKey.Fetch, {
              replicaId: -1,
              maxWaitMs: 0,
              minBytes: 0,
              maxBytes: 1024 * 1024,
              isolationLevel: 0,
              sessionId: 0,
              sessionEpoch: -1,
              topics: [{ topic, topicId, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 4096 }] }],
              forgottenTopicsData: [],
              rackId: '',
            } as never);
            const code = (res as { responses: { partitions: { errorCode: number }[] }[] }).responses[0]!.partitions[0]!.errorCode;
            if (code !== 0) throw new Error(`Fetch error ${code}`);
          }
          latency.recordValue(Math.max(1, Math.round((performance.now() - t) * 1000)));
          requests++;
        } catch (e) {
          noteError(e);
        }
        const wait = 1000 - (performance.now() - t);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    }),
  );
  const cpuS = procStats(broker.pid).cpuS - cpu0;
  const open = conns.filter((c) => c.isOpen).length;
  const end = procStats(broker.pid);
  const q = (p: number) => round(latency.getValueAtPercentile(p) / 1000, 2);
  log(
    `   held ${HOLD_S} s: ${requests} requests (${round(requests / HOLD_S, 0)}/s), latency p50 ${q(50)} ms p99 ${q(99)} ms p99.9 ${q(99.9)} ms max ${round(latency.maxValue / 1000, 1)} ms; ` +
      `${errors} errors, ${CONNECTIONS - open} dropped; broker CPU ${round((cpuS * 1e6) / Math.max(1, requests), 0)} µs/request; RSS ${round(end.rssMiB)} MiB`,
  );
  if (errorSamples.length) log(`   errors: ${errorSamples.join(' | ')}`);
  const droppedEvents = dropped;
  for (const c of conns) c.close();
  await stopBroker(broker, 'SIGTERM');
  results.connections = {
    connections: CONNECTIONS,
    holdS: HOLD_S,
    connectMs: round(connectMs, 0),
    rssBeforeMiB: round(before.rssMiB),
    rssHeldMiB: round(held.rssMiB),
    kibPerConnectionRss: round(((held.rssMiB - before.rssMiB) * 1024) / CONNECTIONS, 1),
    kibPerConnectionHeap: heldHeap && beforeHeap ? round(((heldHeap - beforeHeap) * 1024) / CONNECTIONS, 1) : null,
    fdsHeld: held.fds,
    requests,
    latencyMs: { p50: q(50), p99: q(99), p999: q(99.9), max: round(latency.maxValue / 1000, 2) },
    brokerCpuUsPerRequest: round((cpuS * 1e6) / Math.max(1, requests), 0),
    errors,
    dropped: CONNECTIONS - open,
    droppedEvents,
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  buildIfStale();
  const limit = execFileSync('sh', ['-c', 'ulimit -n']).toString().trim();
  log(`scale bench${quick ? ' (quick)' : ''}: node ${process.version}, ${PARTITIONS} partitions, ${CONNECTIONS} connections, open-file limit ${limit}`);
  results.openFileLimit = limit;
  const t0 = performance.now();
  await partitionsBench();
  await connectionsBench();
  const date = new Date().toISOString();
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `scale-${date.slice(0, 19).replace(/:/g, '-')}${quick ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify({ date, node: process.version, quick, ...results }, null, 2) + '\n');
  log(`\nscale bench done in ${round((performance.now() - t0) / 1000, 0)} s → ${file}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`scale bench failed: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);
