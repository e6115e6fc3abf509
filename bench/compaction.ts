// Log compaction benchmark, in one run:
// 1. Cleaner throughput: one cleaning (cleanLog over a WasmCleanerCore and the Node fs) of a dirty log of
//    1 KiB keyed records with 10 % distinct keys, uncompressed and lz4, in a cleaner thread
//    (WorkerCleanerRunner, the broker's path) and inline (with its map-build and rewrite phases timed),
//    as MB/s of dirty log, side by side with this machine's read + write limit for the same I/O measured
//    in the same run: the cleaning's reads (both passes, same chunk size) from the same files and its
//    output bytes written to a new file, fdatasync at the end. Reads come from the page cache in both.
// 2. Produce latency with the cleaner running: a broker process (bench/_compaction-broker.ts) with a large
//    dirty compacted topic; a producer in this process at a fixed rate (1 KiB, acks=1) measures p50/p99
//    without cleaning and while the cleaner cleans that topic (its counters checked), alternating.
// Usage: npm run bench -- compaction [--quick] [--save]. Writes compaction-<date>[-quick].json into the
// results folder. Every step has a timeout; the broker process is stopped at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdirSync, mkdtempSync, openSync, readSync, readdirSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir, freemem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cpuMs } from './tools/proc.js';
import { resultsDir } from './tools/suites.mjs';
import { DISTINCT_KEY_RATIO, RECORD_BYTES, writeDirtyLog } from './_compaction-log.js';
import { newCore } from '../bindings/node-loader.js';
import { run as perfRun } from '../host-node/cli/perf.js';
import { initBatchCodecs, nodeBatchCodecs } from '../host-node/codecs/batch-codecs.js';
import { Codec, decompress } from '../host-node/codecs/codecs.js';
import { WorkerCleanerRunner, cleanerWorkerUrl } from '../host-node/storage/cleaner-threads.js';
import { realFs } from '../host-node/storage/node-fs.js';
import { cleanLog, offsetMapSlots, removeCleanedSegment, type CleanerEnv } from '../storage/cleaner/index.js';
import type { CleanJob, CleanJobResult, CleanJobSegment, CleanerRunner } from '../storage/cleaner/clean-job.js';
import type { CleanerCore, CleanOutput, CleanParams, MapPutResult } from '../storage/cleaner/cleaner-core.js';
import { WasmCleanerCore } from '../storage/cleaner/wasm-cleaner-core.js';
import { offsetFileName } from '../storage/segment.js';
import { WasmStorageCore } from '../storage/wasm-storage-core.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
/** `--only throughput` or `--only latency`: one part of the suite. */
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
/** `--cleaner-io-max N`: the latency part's broker with log.cleaner.io.max.bytes.per.second = N MiB/s (default: unthrottled, Kafka's default). */
const cleanerIoMaxMbps = process.argv.includes('--cleaner-io-max') ? Number(process.argv[process.argv.indexOf('--cleaner-io-max') + 1]) : undefined;
const MB = 1024 * 1024;
/** Dirty log of the throughput part, and its segment size. */
const LOG_MB = quick ? 64 : 256;
const SEGMENT_MB = quick ? 16 : 64;
/** Rounds of the throughput part (limit, thread, inline each, interleaved); the median is reported. */
const ROUNDS = quick ? 2 : 3;
/** The broker's defaults for what a job gets (log.cleaner.dedupe.buffer.size and load factor, io.buffer.size / 2 vs max.message.bytes). */
const DEDUPE_BUFFER = 134_217_728;
const READ_BUFFER = Math.max(524_288 / 2, 1_048_588);
/** Latency part: records/s, seconds per window, with/without pairs, dirty topic partitions × MiB. */
const RATE = 5000;
const WINDOW_S = quick ? 2 : 3;
const PAIRS = quick ? 2 : 3;
/** Enough that the cleanings (one after another, ~250-300 MiB/s of dirty log here) outlast the window. */
const DIRTY_PARTITIONS = 4;
const DIRTY_MB = quick ? 192 : 320;
const tmpRoot = mkdtempSync(join(tmpdir(), 'rivulet-bench-compaction-'));
let brokerProc: ChildProcess | undefined;

const f = (n: number | undefined, d = 0): string => (n === undefined ? '' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Row {
  group: string;
  name: string;
  mbPerSec?: number;
  ms?: number;
  p50Ms?: number;
  p99Ms?: number;
  note?: string;
}
const rows: Row[] = [];
function add(r: Row): void {
  rows.push(r);
  console.log(
    `  ${(r.group + ' / ' + r.name).padEnd(58)}` +
      (r.mbPerSec !== undefined ? ` ${f(r.mbPerSec, 1).padStart(8)} MB/s` : '') +
      (r.ms !== undefined ? ` ${f(r.ms).padStart(7)} ms` : '') +
      (r.p99Ms !== undefined ? `  p50 ${f(r.p50Ms, 2)} p99 ${f(r.p99Ms, 2)} ms` : '') +
      (r.note ? `  (${r.note})` : ''),
  );
}

// ---------------------------------------------------------------- 1. cleaner throughput
interface DirtyLog {
  dir: string;
  segments: CleanJobSegment[];
  bytes: number;
  records: number;
  keys: number;
}

/** Writes segment files of `segmentBytes` (a batch never straddles two) straight into a new directory. */
function writeLog(name: string, mb: number, compression: 'none' | 'lz4'): DirtyLog {
  const dir = join(tmpRoot, name);
  mkdirSync(dir, { recursive: true });
  const core = newCore();
  const segments: CleanJobSegment[] = [];
  let fd = -1;
  let base = 0;
  let size = 0;
  let bytes = 0;
  const close = (next: number) => {
    if (fd < 0) return;
    fdatasyncSync(fd);
    closeSync(fd);
    segments.push({ baseOffset: base, size, nextBaseOffset: next, offsetIndexEntries: 0, timeIndexEntries: 0 });
    fd = -1;
  };
  let lastOffset = -1;
  const r = writeDirtyLog(core, { bytes: mb * MB, compression, seed: 7 }, (batch, last) => {
    if (fd >= 0 && size + batch.byteLength > SEGMENT_MB * MB) close(lastOffset + 1);
    if (fd < 0) {
      base = lastOffset + 1;
      size = 0;
      fd = openSync(join(dir, `${offsetFileName(base)}.log`), 'w');
    }
    writeSync(fd, batch, 0, batch.byteLength, size);
    size += batch.byteLength;
    bytes += batch.byteLength;
    lastOffset = last;
  });
  close(r.nextOffset);
  return { dir, segments, bytes, records: r.records, keys: r.keys };
}

function jobOf(log: DirtyLog): CleanJob {
  const last = log.segments[log.segments.length - 1]!;
  return {
    dir: log.dir,
    topic: 'bench',
    partition: 0,
    segments: log.segments,
    firstDirtyOffset: 0,
    firstUncleanableOffset: last.nextBaseOffset,
    nowMs: Date.now(),
    segmentBytes: SEGMENT_MB * MB,
    maxIndexBytes: 10 * MB,
    indexIntervalBytes: 4096,
    deleteRetentionMs: 86_400_000,
    maxMessageBytes: 1_048_588,
    retainBatchLastOffsets: [],
    mapSlots: offsetMapSlots(DEDUPE_BUFFER, 1, 0.9, last.nextBaseOffset),
    mapLoadFactor: 0.9,
    ioMaxBytesPerSecond: Number.MAX_VALUE,
    readBufferBytes: READ_BUFFER,
  };
}

/** A CleanerCore that times the core's calls and notes when the rewrite (the first clean()) starts. */
class TimedCore implements CleanerCore {
  mapPutMs = 0;
  cleanMs = 0;
  firstCleanAt = 0;
  constructor(private readonly inner: WasmCleanerCore) {}
  region(size: number): Uint8Array {
    return this.inner.region(size);
  }
  mapReset(slots: number, loadFactor: number): void {
    this.inner.mapReset(slots, loadFactor);
  }
  get mapSize(): number {
    return this.inner.mapSize;
  }
  get mapLimit(): number {
    return this.inner.mapLimit;
  }
  mapPut(input: Uint8Array): MapPutResult {
    const t = performance.now();
    const r = this.inner.mapPut(input);
    this.mapPutMs += performance.now() - t;
    return r;
  }
  mapGet(key: Uint8Array): number {
    return this.inner.mapGet(key);
  }
  clean(input: Uint8Array, params: CleanParams): CleanOutput {
    const t = performance.now();
    if (this.firstCleanAt === 0) this.firstCleanAt = t;
    const r = this.inner.clean(input, params);
    this.cleanMs += performance.now() - t;
    return r;
  }
}

const inlineCore = newCore();
const inlineCleaner = new WasmCleanerCore(inlineCore, nodeBatchCodecs());
const inlineStorageCore = new WasmStorageCore(inlineCore, 64 * 1024);

interface Phases {
  mapMs: number;
  rewriteMs: number;
  mapCoreMs: number;
  rewriteCoreMs: number;
}

async function cleanInline(job: CleanJob): Promise<{ result: CleanJobResult; ms: number; phases: Phases }> {
  const core = new TimedCore(inlineCleaner);
  const env: CleanerEnv = { fs: realFs, core, storageCore: inlineStorageCore, sleep, now: () => Date.now() };
  const t0 = performance.now();
  const result = await cleanLog(job, env);
  const t1 = performance.now();
  const split = core.firstCleanAt || t1;
  return { result, ms: t1 - t0, phases: { mapMs: split - t0, rewriteMs: t1 - split, mapCoreMs: core.mapPutMs, rewriteCoreMs: core.cleanMs } };
}

async function cleanIn(runner: CleanerRunner, job: CleanJob): Promise<{ result: CleanJobResult; ms: number }> {
  const t0 = performance.now();
  const result = await runner.run(job);
  return { result, ms: performance.now() - t0 };
}

function dropCleaned(job: CleanJob, result: CleanJobResult): void {
  for (const g of result.groups) removeCleanedSegment(realFs, job.dir, g.baseOffset);
  for (const name of readdirSync(job.dir)) if (!name.endsWith('.log')) rmSync(join(job.dir, name), { force: true });
}

/**
 * The same I/O as a cleaning, without the cleaning: the segments read `passes` times in chunks of the
 * job's read buffer, and `writeBytes` written to a new file in writes of the cleaning's output per chunk,
 * fdatasync at the end.
 */
function ioLimit(log: DirtyLog, passes: number, writeBytes: number): number {
  const buf = Buffer.allocUnsafe(READ_BUFFER);
  const chunks = Math.ceil(log.bytes / READ_BUFFER);
  const writeChunk = Math.max(1, Math.ceil(writeBytes / chunks));
  const out = join(log.dir, 'limit.out');
  const t0 = performance.now();
  for (let p = 0; p < passes; p++) {
    for (const s of log.segments) {
      const fd = openSync(join(log.dir, `${offsetFileName(s.baseOffset)}.log`), 'r');
      for (let pos = 0; pos < s.size; ) {
        const n = readSync(fd, buf, 0, Math.min(READ_BUFFER, s.size - pos), pos);
        if (n <= 0) throw new Error('short read');
        pos += n;
      }
      closeSync(fd);
    }
  }
  const wfd = openSync(out, 'w');
  for (let done = 0; done < writeBytes; ) {
    const n = writeSync(wfd, buf, 0, Math.min(writeChunk, writeBytes - done, buf.byteLength), done);
    done += n;
  }
  fdatasyncSync(wfd);
  closeSync(wfd);
  const ms = performance.now() - t0;
  unlinkSync(out);
  return ms;
}

const floorCore = newCore();

/**
 * The I/O of ioLimit plus a CRC-32C check of every batch once and, for compressed batches, every records
 * section decompressed in both passes (map build and rewrite). For lz4 logs that is work no cleaning can skip
 * (each compressed batch is checked before the host decompresses it); uncompressed, the rewrite checks only
 * the batches it gives a new CRC (rebuilt or emptied), so this is the floor of a cleaning that checks all.
 */
function workFloor(log: DirtyLog, writeBytes: number, codec: number): number {
  const ptr = floorCore.allocPtr(READ_BUFFER, 64);
  const chunks = Math.ceil(log.bytes / READ_BUFFER);
  const writeChunk = Math.max(1, Math.ceil(writeBytes / chunks));
  const out = join(log.dir, 'floor.out');
  const t0 = performance.now();
  for (let pass = 0; pass < 2; pass++) {
    for (const s of log.segments) {
      const fd = openSync(join(log.dir, `${offsetFileName(s.baseOffset)}.log`), 'r');
      for (let pos = 0; pos < s.size; ) {
        const mem = floorCore.u8;
        const len = Math.min(READ_BUFFER, s.size - pos);
        if (readSync(fd, mem, ptr, len, pos) !== len) throw new Error('short read');
        const dv = new DataView(mem.buffer, ptr, len);
        let at = 0;
        while (at + 12 <= len) {
          const size = 12 + dv.getInt32(at + 8);
          if (at + size > len) break;
          if (pass === 1 && floorCore.crc32cAt(ptr + at + 21, size - 21) !== dv.getUint32(at + 17)) throw new Error('bad CRC');
          if (codec !== Codec.NONE) decompress(codec, mem.subarray(ptr + at + 61, ptr + at + size));
          at += size;
        }
        if (at === 0) throw new Error('a batch bigger than the read buffer');
        pos += at;
      }
      closeSync(fd);
    }
  }
  const buf = Buffer.alloc(writeChunk);
  const wfd = openSync(out, 'w');
  for (let done = 0; done < writeBytes; ) done += writeSync(wfd, buf, 0, Math.min(writeChunk, writeBytes - done), done);
  fdatasyncSync(wfd);
  closeSync(wfd);
  const ms = performance.now() - t0;
  unlinkSync(out);
  return ms;
}

interface ThroughputCase {
  compression: 'none' | 'lz4';
  logBytes: number;
  records: number;
  keys: number;
  bytesRead: number;
  bytesWritten: number;
  recordsKept: number;
  threadMbPerSec: number;
  threadRecordsPerSec: number;
  inlineMbPerSec: number;
  limitMbPerSec: number;
  copyMbPerSec: number;
  floorMbPerSec: number;
  ratio: number;
  ratioToFloor: number;
  ratioInline: number;
  phases: Phases;
}

async function throughput(runner: WorkerCleanerRunner): Promise<ThroughputCase[]> {
  const out: ThroughputCase[] = [];
  for (const compression of ['none', 'lz4'] as const) {
    const t0 = performance.now();
    const log = writeLog(compression, LOG_MB, compression);
    console.log(`  wrote ${f(log.bytes / MB)} MiB (${log.segments.length} segments, ${f(log.records)} records, ${f(log.keys)} keys, ${compression}) in ${f(performance.now() - t0)} ms`);
    // Warm: every file read once (into the page cache, as the limit's reads and the cleanings' are), the thread started.
    ioLimit(log, 1, 0);
    const job = jobOf(log);
    const thread: number[] = [];
    const inline: number[] = [];
    const limit: number[] = [];
    const copy: number[] = [];
    const floor: number[] = [];
    const phases: Phases[] = [];
    let last: CleanJobResult | undefined;
    for (let r = 0; r < ROUNDS; r++) {
      const w = await cleanIn(runner, job);
      dropCleaned(job, w.result);
      thread.push(w.ms);
      last = w.result;
      const i = await cleanInline(job);
      dropCleaned(job, i.result);
      inline.push(i.ms);
      phases.push(i.phases);
      limit.push(ioLimit(log, Math.round(w.result.stats.bytesRead / log.bytes), w.result.stats.bytesWritten));
      copy.push(ioLimit(log, 1, log.bytes));
      floor.push(workFloor(log, w.result.stats.bytesWritten, compression === 'lz4' ? Codec.LZ4 : Codec.NONE));
    }
    const st = last!.stats;
    const mbps = (ms: number) => log.bytes / MB / (ms / 1000);
    const mid = median(inline);
    const ph = phases[inline.indexOf(mid)]!;
    const c: ThroughputCase = {
      compression,
      logBytes: log.bytes,
      records: log.records,
      keys: log.keys,
      bytesRead: st.bytesRead,
      bytesWritten: st.bytesWritten,
      recordsKept: st.recordsKept,
      threadMbPerSec: mbps(median(thread)),
      threadRecordsPerSec: log.records / (median(thread) / 1000),
      inlineMbPerSec: mbps(mid),
      limitMbPerSec: mbps(median(limit)),
      copyMbPerSec: mbps(median(copy)),
      floorMbPerSec: mbps(median(floor)),
      ratio: median(limit) / median(thread),
      ratioInline: median(limit) / mid,
      ratioToFloor: median(floor) / median(thread),
      phases: ph,
    };
    const io = `${f(c.threadRecordsPerSec)} records/s; reads ${f(st.bytesRead / MB)} MiB, writes ${f(st.bytesWritten / MB, 1)} MiB, ${f(st.recordsKept)} of ${f(st.recordsRead)} records kept`;
    add({ group: `clean ${compression}`, name: 'cleaner thread (WorkerCleanerRunner)', mbPerSec: c.threadMbPerSec, ms: median(thread), note: io });
    add({ group: `clean ${compression}`, name: 'inline (cleanLog on this thread)', mbPerSec: c.inlineMbPerSec, ms: mid });
    add({ group: `clean ${compression}`, name: '  map build', ms: ph.mapMs, note: `core mapPut ${f(ph.mapCoreMs)} ms` });
    add({ group: `clean ${compression}`, name: '  rewrite', ms: ph.rewriteMs, note: `core clean ${f(ph.rewriteCoreMs)} ms` });
    add({ group: `clean ${compression}`, name: 'limit: same reads + writes, fdatasync', mbPerSec: c.limitMbPerSec, ms: median(limit), note: 'cached reads' });
    add({ group: `clean ${compression}`, name: 'copy: log read once + written once, fdatasync', mbPerSec: c.copyMbPerSec, ms: median(copy), note: 'cached reads' });
    // lz4: every batch is checked before it is decompressed, so this is work the cleaning cannot skip; uncompressed,
    // the cleaning checks only the batches it rebuilds (core/log-cleaner.ts), so it can beat this row.
    add({ group: `clean ${compression}`, name: 'floor: same I/O + CRC-32C of every batch' + (compression === 'lz4' ? ' + lz4 decompress ×2' : ''), mbPerSec: c.floorMbPerSec, ms: median(floor), note: compression === 'lz4' ? 'what no cleaning can skip' : 'a cleaning that checks every batch' });
    out.push(c);
    rmSync(log.dir, { recursive: true, force: true });
  }
  return out;
}

// ---------------------------------------------------------------- 2. produce latency with the cleaner running
class BrokerChild {
  private readonly lines: string[] = [];
  private waiter: ((l: string) => void) | null = null;
  constructor(readonly proc: ChildProcess) {
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(l);
      } else this.lines.push(l);
    });
  }
  next(timeoutMs: number): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`the bench broker did not answer within ${timeoutMs} ms`)), timeoutMs);
      this.waiter = (line) => {
        clearTimeout(t);
        resolve(line);
      };
    });
  }
  async ask<T>(cmd: string, timeoutMs = 10_000): Promise<T> {
    this.proc.stdin!.write(cmd + '\n');
    const reply = JSON.parse(await this.next(timeoutMs)) as T & { error?: string };
    if (reply.error) throw new Error(`bench broker: ${cmd}: ${reply.error}`);
    return reply;
  }
}

interface CleanerState {
  counters: { cleanings: number; failures: number; bytesRead: number; bytesWritten: number; timeMs: number };
  cleaning: number;
}

interface LatencyRun {
  cleaning: boolean;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  recordsPerSec: number;
  /** Fraction of the producer's window during which a cleaning ran (state polled every 50 ms). */
  overlap: number;
  /** Cleanings that ended within the window (the counters move when a cleaning ends). */
  cleaningsEndedInWindow: number;
  /** Bytes read and cleanings done by the cleanings of this run, from the counters once they all ended. */
  cleanerBytesRead: number;
  cleanings: number;
  brokerCpuMs: number;
  /** The broker main thread's event-loop delay over the window (5 ms resolution). */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Swaps of cleaned segments in the window (Log.replaceSegments on the main thread), ms each. */
  swapMs: number[];
}

async function produceWindow(port: number): Promise<{ p50Ms: number; p99Ms: number; p999Ms: number; recordsPerSec: number }> {
  let out = '';
  const io = { stdin: process.stdin, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => process.stderr.write(s) } };
  const code = await perfRun(['produce', '--bootstrap-server', `127.0.0.1:${port}`, '--topic', 'lat', '--num-records', String(RATE * WINDOW_S), '--record-size', String(RECORD_BYTES), '--acks', '1', '--throughput', String(RATE), '--json'], io);
  if (code !== 0) throw new Error(`perf produce exited ${code}`);
  const r = JSON.parse(out.trim().split('\n').pop()!) as { recordsPerSec: number; latency: { p50Ms: number; p99Ms: number; p999Ms: number } };
  return { ...r.latency, recordsPerSec: r.recordsPerSec };
}

async function latencyRun(b: BrokerChild, port: number, withCleaning: boolean): Promise<LatencyRun> {
  const state = () => b.ask<CleanerState>(`state dirty ${DIRTY_PARTITIONS}`);
  const before = await state();
  if (withCleaning) {
    await b.ask('clean');
    for (let i = 0; ; i++) {
      if ((await state()).cleaning > 0) break;
      if (i > 200) throw new Error('the cleaning did not start');
      await sleep(10);
    }
  }
  const s0 = await state();
  const cpu0 = cpuMs(b.proc.pid) ?? 0;
  await b.ask('eld');
  let polls = 0;
  let busy = 0;
  let stop = false;
  const poller = (async () => {
    while (!stop) {
      const s = await state();
      polls++;
      if (s.cleaning > 0) busy++;
      await sleep(50);
    }
  })();
  const r = await produceWindow(port);
  stop = true;
  await poller;
  const s1 = await state();
  const eld = await b.ask<{ p99Ms: number; maxMs: number; swapMs: number[] }>('eld');
  const cpu = (cpuMs(b.proc.pid) ?? 0) - cpu0;
  let end = s1;
  if (withCleaning) {
    // Every dirty partition cleaned before the next run.
    for (let i = 0; ; i++) {
      const s = (end = await state());
      if (s.cleaning === 0 && s.counters.cleanings >= before.counters.cleanings + DIRTY_PARTITIONS) break;
      if (s.counters.failures > before.counters.failures) throw new Error('a cleaning failed');
      if (i > 6000) throw new Error('the cleanings did not end within 120 s');
      await sleep(20);
    }
  } else if (s1.counters.bytesRead !== before.counters.bytesRead) throw new Error('the cleaner ran during a run without cleaning');
  return { cleaning: withCleaning, ...r, overlap: polls ? busy / polls : 0,
    cleaningsEndedInWindow: s1.counters.cleanings - s0.counters.cleanings,
    cleanerBytesRead: end.counters.bytesRead - before.counters.bytesRead,
    cleanings: end.counters.cleanings - before.counters.cleanings, brokerCpuMs: cpu, loopDelayP99Ms: eld.p99Ms, loopDelayMaxMs: eld.maxMs, swapMs: eld.swapMs };
}

async function latency(): Promise<{ runs: LatencyRun[]; p99Ratio: number; p50Ratio: number }> {
  const sets = {
    'log.cleaner.backoff.ms': '3600000', // cleanings start only when the bench says so (and chain from there)
    'log.cleaner.threads': '1',
    'auto.create.topics.enable': 'false',
    ...(cleanerIoMaxMbps !== undefined ? { 'log.cleaner.io.max.bytes.per.second': String(cleanerIoMaxMbps * MB) } : {}),
  };
  // `node --import tsx`, not tsx's CLI (which runs a second process): the pid is the broker's, for its CPU time.
  const proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/_compaction-broker.ts'), join(tmpRoot, 'broker'), JSON.stringify(sets)], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  brokerProc = proc;
  const b = new BrokerChild(proc);
  const { port } = JSON.parse(await b.next(60_000)) as { port: number };
  await b.ask(`create lat 1 {}`);
  await b.ask(`create dirty ${DIRTY_PARTITIONS} ${JSON.stringify({ 'cleanup.policy': 'compact', 'segment.bytes': String(64 * MB) })}`);
  const runs: LatencyRun[] = [];
  // Warm-up: connections, the producer's code, the cleaner thread (a small cleaning).
  await produceWindow(port);
  for (let pair = 0; pair < PAIRS; pair++) {
    const fill = await b.ask<{ bytes: number; ms: number }>(`fill dirty ${DIRTY_PARTITIONS} ${DIRTY_MB} ${pair * 100}`, 300_000);
    console.log(`  filled the compacted topic: ${f(fill.bytes / MB)} MiB dirty over ${DIRTY_PARTITIONS} partitions in ${f(fill.ms)} ms`);
    await sleep(1000);
    for (const withCleaning of pair % 2 === 0 ? [false, true] : [true, false]) {
      const r = await latencyRun(b, port, withCleaning);
      runs.push(r);
      add({
        group: 'produce 1 KiB acks=1 at 5,000 rec/s',
        name: withCleaning ? `pair ${pair + 1}: cleaner cleaning` : `pair ${pair + 1}: no cleaning`,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        note: `${f(r.recordsPerSec)} rec/s; broker process CPU ${f(r.brokerCpuMs)} ms (cleaner thread included); its event loop delay p99 ${f(r.loopDelayP99Ms, 1)} max ${f(r.loopDelayMaxMs, 1)} ms` + (r.swapMs.length ? `; swaps ${r.swapMs.map((m) => f(m)).join(', ')} ms` : '') + (withCleaning ? `; a cleaning ran during ${f(r.overlap * 100)} % of the window, ${r.cleaningsEndedInWindow} of its ${r.cleanings} cleanings (${f(r.cleanerBytesRead / MB)} MiB read) ended in it` : ''),
      });
    }
  }
  proc.stdin!.end();
  await new Promise((r) => proc.once('exit', r));
  brokerProc = undefined;
  const p99 = (w: boolean) => median(runs.filter((r) => r.cleaning === w).map((r) => r.p99Ms));
  const p50 = (w: boolean) => median(runs.filter((r) => r.cleaning === w).map((r) => r.p50Ms));
  return { runs, p99Ratio: p99(true) / p99(false), p50Ratio: p50(true) / p50(false) };
}

// ---------------------------------------------------------------- main
async function main(): Promise<void> {
  const load = (await import('node:os')).loadavg();
  console.log(`compaction bench${quick ? ' (quick)' : ''}: node ${process.version}, load average ${load.map((l) => l.toFixed(2)).join(' ')}, ${f(freemem() / MB)} MiB free`);
  await initBatchCodecs();
  let tp: ThroughputCase[] = [];
  if (only !== 'latency') {
    console.log(`\ncleaner throughput: ${LOG_MB} MiB dirty log, ${SEGMENT_MB} MiB segments, 1 KiB records, ${DISTINCT_KEY_RATIO * 100} % distinct keys, read buffer ${f(READ_BUFFER / 1024)} KiB, median of ${ROUNDS}`);
    const runner = new WorkerCleanerRunner({ threads: 1, workerUrl: cleanerWorkerUrl() });
    try {
      // The thread's start-up (and tsx's compile of its modules) outside the measured runs.
      const warm = jobOf(writeLog('warm', 2, 'none'));
      dropCleaned(warm, await runner.run(warm));
      tp = await throughput(runner);
    } finally {
      await runner.close();
    }
  }
  let lat: { runs: LatencyRun[]; p99Ratio: number; p50Ratio: number } = { runs: [], p99Ratio: NaN, p50Ratio: NaN };
  if (only !== 'throughput') {
    console.log(`\nproduce latency with the cleaner running: ${f(RATE)} rec/s × ${WINDOW_S} s per run, ${PAIRS} pairs alternating; compacted topic ${DIRTY_PARTITIONS} × ${DIRTY_MB} MiB dirty per pair, on the same broker process (1 cleaner thread)`);
    lat = await latency();
  }

  const ratios = Object.fromEntries([
    ...tp.map((c) => [`cleanerThreadVsIoLimit_${c.compression}`, c.ratio]),
    ...tp.map((c) => [`cleanerInlineVsIoLimit_${c.compression}`, c.ratioInline]),
    ...tp.map((c) => [`cleanerThreadVsWorkFloor_${c.compression}`, c.ratioToFloor]),
    ['produceP99WithVsWithoutCleaning', lat.p99Ratio],
    ['produceP50WithVsWithoutCleaning', lat.p50Ratio],
  ]) as Record<string, number>;
  const targets: Record<string, boolean> = {};
  for (const c of tp) targets[`cleaner thread ≥ 0.5× the read + write limit (${c.compression})`] = c.ratio >= 0.5;
  if (only !== 'throughput') targets['produce p99 with cleaning ≤ 1.2× without'] = lat.p99Ratio <= 1.2;
  console.log('\nratios');
  for (const c of tp) console.log(`  cleaner thread / read + write limit, ${c.compression.padEnd(4)}       ${f(c.ratio, 2)}×   (inline ${f(c.ratioInline, 2)}×; vs the work floor ${f(c.ratioToFloor, 2)}×)`);
  if (only !== 'throughput') console.log(`  produce p99 with / without cleaning          ${f(lat.p99Ratio, 2)}×   (p50 ${f(lat.p50Ratio, 2)}×)`);
  for (const [t, ok] of Object.entries(targets)) console.log(`  ${ok ? 'met    ' : 'NOT met'} ${t}`);

  const date = new Date().toISOString();
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `compaction-${date.slice(0, 19).replace(/:/g, '-')}${quick ? '-quick' : ''}.json`);
  const config = { logMb: LOG_MB, segmentMb: SEGMENT_MB, rounds: ROUNDS, dedupeBufferBytes: DEDUPE_BUFFER, readBufferBytes: READ_BUFFER, rate: RATE, windowS: WINDOW_S, pairs: PAIRS, dirtyPartitions: DIRTY_PARTITIONS, dirtyMbPerPartition: DIRTY_MB };
  writeFileSync(file, JSON.stringify({ date, node: process.version, quick, loadavg: load, config, rows, throughput: tp, latency: lat.runs, ratios, targets }, null, 2) + '\n');
  console.log(`\nwrote ${file}`);
}

function cleanup(): void {
  if (brokerProc && brokerProc.exitCode === null) brokerProc.kill('SIGKILL');
  rmSync(tmpRoot, { recursive: true, force: true });
}

const overall = setTimeout(() => {
  console.error(`compaction bench: gave up after ${quick ? 300 : 900} s`);
  cleanup();
  process.exit(1);
}, (quick ? 300 : 900) * 1000);
overall.unref();
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

main().then(
  () => {
    cleanup();
    process.exit(0);
  },
  (e: unknown) => {
    console.error(`compaction bench failed: ${(e as Error).stack ?? String(e)}`);
    cleanup();
    process.exit(1);
  },
);
