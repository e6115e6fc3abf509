// `rivulet perf produce|consume` — load generators in the spirit of Kafka's kafka-producer-perf-test.sh
// and kafka-consumer-perf-test.sh, driving our own client (batches encoded by the WASM core).
//
// produce: N records of S bytes (one reused payload buffer, null keys) from P producers (one connection
// each), optionally throttled to T records/s; outstanding (unacknowledged) records are bounded; latency
// is send → acknowledgement per record, in an HdrHistogram. consume: reads N records from the earliest
// offsets of every partition; reports records/s, MB/s, fetch-round latency and, from the records'
// CreateTime, end-to-end latency (meaningful when a producer runs at the same time).
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { joinNegativeValues } from './argv.js';
import * as hdr from 'hdr-histogram-js';
import cliProgress from 'cli-progress';
import { Admin } from '../client/admin.js';
import { Cluster } from '../client/cluster.js';
import type { CompressionName } from '../client/compression.js';
import { Consumer, type BatchSummary } from '../client/consumer.js';
import { KafkaProtocolError } from '../../client/errors.js';
import { Producer, type Acks } from '../client/producer.js';
import { commandLine, describeError, intOption, parseOrUsage, parseProps, processIO, toolSecurity, UsageError, type ToolIO } from './client-tool.js';
import type { ClientSecurityOptions } from '../client/security.js';

const USAGE = `Usage: rivulet perf produce|consume --bootstrap-server <host:port> --topic <topic> [options]
  --command-config <file>  Client properties (security.protocol, ssl.*, sasl.*) for the broker connections.

produce options (like kafka-producer-perf-test.sh):
  --num-records <n>        Records to send. Required.
  --record-size <bytes>    Value size of each record (default 100).
  --throughput <n>         Records/s across all producers, -1 = unthrottled (default -1).
  --acks <0|1|-1|all>      Default 1.
  --batch-size <bytes>     batch.size (default 16384).
  --linger-ms <ms>         linger.ms (default 5).
  --compression <codec>    none | gzip | snappy | lz4 | zstd. Default none.
  --producers <n>          Producers (one connection each), sharing the records (default 1).
  --partitions <n>         Create the topic with n partitions if it does not exist (default: leave to
                           the broker's auto-creation).
  --max-outstanding <n>    Unacknowledged records per producer (default min(20000, 32 MiB / size)).
  --reporting-interval <ms> Window stats interval when stdout is not a terminal (default 5000; 0 = off).

consume options (like kafka-consumer-perf-test.sh):
  --num-records <n>        Records to read from the earliest offsets. Required.
  --timeout <ms>           Give up when no record arrived for this long (default 10000).
  --fetch-max-wait-ms <ms> fetch.max.wait.ms (default 500).
  --fetch-max-bytes <n>    max.partition.fetch.bytes (default 1048576).

common:
  --json                   One JSON object with the results on stdout (no progress, no windows).
  -h, --help               This help.

The summary follows Kafka's tools: records, records/s, MB/s (MiB: 1024 × 1024 bytes, as Kafka),
latency avg/max and percentiles in ms (HdrHistogram, 3 significant digits). A progress bar is shown
when stdout is a terminal.
`;

export interface LatencySummary {
  count: number;
  avgMs: number;
  maxMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
}

export interface ProduceResult {
  mode: 'produce';
  topic: string;
  records: number;
  failed: number;
  recordSize: number;
  producers: number;
  acks: number;
  batchSize: number;
  lingerMs: number;
  compression: string;
  elapsedMs: number;
  recordsPerSec: number;
  mbPerSec: number;
  latency: LatencySummary;
  firstError?: string;
}

export interface ConsumeResult {
  mode: 'consume';
  topic: string;
  records: number;
  bytes: number;
  elapsedMs: number;
  recordsPerSec: number;
  mbPerSec: number;
  fetches: number;
  fetchLatency: LatencySummary;
  endToEndLatency: LatencySummary;
  timedOut: boolean;
}

const MB = 1024 * 1024;

function newHistogram(): hdr.Histogram {
  // Microseconds, 1 µs .. 1 h, 3 significant digits.
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

function summarize(h: hdr.Histogram): LatencySummary {
  const ms = (us: number): number => Math.round(us) / 1000;
  // A percentile is its bucket's highest equivalent value, which can pass the exact max: clamp.
  const at = (p: number): number => ms(Math.min(h.getValueAtPercentile(p), h.maxValue));
  if (h.totalCount === 0) return { count: 0, avgMs: 0, maxMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, p999Ms: 0 };
  return {
    count: h.totalCount,
    avgMs: ms(h.mean),
    maxMs: ms(h.maxValue),
    p50Ms: at(50),
    p95Ms: at(95),
    p99Ms: at(99),
    p999Ms: at(99.9),
  };
}

const f2 = (n: number): string => n.toFixed(2);

function formatProduceSummary(r: ProduceResult): string {
  const l = r.latency;
  return (
    `${r.records} records sent, ${f2(r.recordsPerSec)} records/sec (${f2(r.mbPerSec)} MB/sec), ${f2(l.avgMs)} ms avg latency, ${f2(l.maxMs)} ms max latency, ` +
    `${f2(l.p50Ms)} ms 50th, ${f2(l.p95Ms)} ms 95th, ${f2(l.p99Ms)} ms 99th, ${f2(l.p999Ms)} ms 99.9th.` +
    (r.failed > 0 ? `\n${r.failed} records failed: ${r.firstError ?? ''}` : '')
  );
}

function formatConsumeSummary(r: ConsumeResult): string {
  const fl = r.fetchLatency;
  const el = r.endToEndLatency;
  return (
    `${r.records} records consumed, ${f2(r.recordsPerSec)} records/sec (${f2(r.mbPerSec)} MB/sec, ${f2(r.bytes / MB)} MB in ${f2(r.elapsedMs / 1000)} s), ${r.fetches} fetches, ` +
    `fetch latency ${f2(fl.avgMs)} ms avg, ${f2(fl.maxMs)} ms max, ${f2(fl.p50Ms)} ms 50th, ${f2(fl.p99Ms)} ms 99th; ` +
    `end-to-end ${f2(el.avgMs)} ms avg, ${f2(el.p50Ms)} ms 50th, ${f2(el.p99Ms)} ms 99th, ${f2(el.p999Ms)} ms 99.9th.` +
    (r.timedOut ? `\nWARN timed out: fewer records than --num-records arrived.` : '')
  );
}

type Values = Record<string, string | boolean | string[] | undefined>;

const OPTIONS = {
  'bootstrap-server': { type: 'string' },
  'command-config': { type: 'string' },
  topic: { type: 'string' },
  'num-records': { type: 'string' },
  'record-size': { type: 'string' },
  throughput: { type: 'string' },
  acks: { type: 'string' },
  'batch-size': { type: 'string' },
  'linger-ms': { type: 'string' },
  compression: { type: 'string' },
  producers: { type: 'string' },
  partitions: { type: 'string' },
  'max-outstanding': { type: 'string' },
  'reporting-interval': { type: 'string' },
  timeout: { type: 'string' },
  'fetch-max-wait-ms': { type: 'string' },
  'fetch-max-bytes': { type: 'string' },
  'producer-props': { type: 'string', multiple: true },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function run(argv: string[], io: ToolIO = processIO()): Promise<number> {
  const [mode, ...rest] = argv;
  if (mode === undefined || mode === '-h' || mode === '--help') {
    io.stdout.write(USAGE);
    return mode === undefined ? 1 : 0;
  }
  const values = commandLine(() => parseCommandLine(mode, rest), USAGE, io);
  if (typeof values === 'number') return values;
  try {
    return await runMode(mode, values, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`${e.message}\n${USAGE}`);
      return 1;
    }
    io.stderr.write(`ERROR ${describeError(e)}\n`);
    return 1;
  }
}

/** Checks the mode and the required flags; 'help' when the usage was asked for. Throws UsageError. */
function parseCommandLine(mode: string, rest: string[]): Values | 'help' {
  if (mode !== 'produce' && mode !== 'consume') throw new UsageError(`unknown perf mode '${mode}' (produce or consume)`);
  const { values } = parseOrUsage(() => parseArgs({ args: joinNegativeValues(rest, OPTIONS), strict: true, allowPositionals: false, options: OPTIONS }));
  if (values.help) return 'help';
  if (!values['bootstrap-server']) throw new UsageError('Missing required argument "[bootstrap-server]"');
  if (!values.topic) throw new UsageError('Missing required argument "[topic]"');
  if (values['num-records'] === undefined) throw new UsageError('Missing required argument "[num-records]"');
  return values;
}

/** Runs the test and prints its summary (or JSON); exit 1 when records failed or the consumer timed out. */
async function runMode(mode: string, values: Values, io: ToolIO): Promise<number> {
  if (mode === 'produce') {
    const r = await perfProduce(parseProduceOptions(values), io);
    io.stdout.write((values.json ? JSON.stringify(r) : formatProduceSummary(r)) + '\n');
    return r.failed > 0 ? 1 : 0;
  }
  const r = await perfConsume(parseConsumeOptions(values), io);
  io.stdout.write((values.json ? JSON.stringify(r) : formatConsumeSummary(r)) + '\n');
  return r.timedOut ? 1 : 0;
}

export interface ProduceOptions {
  bootstrap: string;
  /** --command-config: TLS and SASL for every connection. */
  security?: ClientSecurityOptions;
  topic: string;
  numRecords: number;
  recordSize: number;
  throughput: number;
  acks: Acks;
  batchSize: number;
  lingerMs: number;
  compression: CompressionName;
  producers: number;
  partitions?: number;
  maxOutstanding?: number;
  reportingIntervalMs: number;
  json: boolean;
}

function parseProduceOptions(v: Values): ProduceOptions {
  const str = (k: string): string | undefined => v[k] as string | undefined;
  const acksText = str('acks') ?? '1';
  const acks = acksText === 'all' ? -1 : Number(acksText);
  if (acks !== 0 && acks !== 1 && acks !== -1) throw new UsageError(`Invalid value '${acksText}' for --acks: expected all, -1, 0 or 1`);
  const throughput = Number(str('throughput') ?? '-1');
  if (!Number.isFinite(throughput) || throughput === 0 || (throughput < 0 && throughput !== -1)) throw new UsageError(`Invalid value '${str('throughput')}' for --throughput: records/s > 0, or -1`);
  const props = parseProps(v['producer-props'] as string[] | undefined, '--producer-props');
  return {
    bootstrap: str('bootstrap-server')!,
    security: toolSecurity({ 'command-config': str('command-config') }),
    topic: str('topic')!,
    numRecords: intOption(str('num-records'), 'num-records', 1)!,
    recordSize: intOption(str('record-size'), 'record-size', 0) ?? 100,
    throughput,
    acks: acks as Acks,
    batchSize: intOption(str('batch-size') ?? props.get('batch.size'), 'batch-size', 1) ?? 16384,
    lingerMs: intOption(str('linger-ms') ?? props.get('linger.ms'), 'linger-ms', 0) ?? 5,
    compression: (str('compression') ?? props.get('compression.type') ?? 'none') as CompressionName,
    producers: intOption(str('producers'), 'producers', 1) ?? 1,
    partitions: intOption(str('partitions'), 'partitions', 1),
    maxOutstanding: intOption(str('max-outstanding'), 'max-outstanding', 1),
    reportingIntervalMs: intOption(str('reporting-interval'), 'reporting-interval', 0) ?? 5000,
    json: v.json === true,
  };
}

export interface ConsumeOptions {
  bootstrap: string;
  /** --command-config: TLS and SASL for every connection. */
  security?: ClientSecurityOptions;
  topic: string;
  numRecords: number;
  timeoutMs: number;
  fetchMaxWaitMs: number;
  fetchMaxBytes: number;
  json: boolean;
}

function parseConsumeOptions(v: Values): ConsumeOptions {
  const str = (k: string): string | undefined => v[k] as string | undefined;
  return {
    bootstrap: str('bootstrap-server')!,
    security: toolSecurity({ 'command-config': str('command-config') }),
    topic: str('topic')!,
    numRecords: intOption(str('num-records'), 'num-records', 1)!,
    timeoutMs: intOption(str('timeout'), 'timeout', 1) ?? 10_000,
    fetchMaxWaitMs: intOption(str('fetch-max-wait-ms'), 'fetch-max-wait-ms', 0) ?? 500,
    fetchMaxBytes: intOption(str('fetch-max-bytes'), 'fetch-max-bytes', 1) ?? MB,
    json: v.json === true,
  };
}

/** Progress: a bar on a terminal; otherwise Kafka-style window lines every interval (unless JSON). */
class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private timer: NodeJS.Timeout | null = null;
  private windowStart = performance.now();
  private windowCount = 0;
  private windowBytes = 0;
  private done = 0;

  constructor(
    private readonly io: ToolIO,
    total: number,
    private readonly unit: string,
    json: boolean,
    intervalMs: number,
    private readonly windowLatency?: () => { avg: number; max: number },
  ) {
    const out = io.stdout as NodeJS.WriteStream;
    if (!json && out.isTTY) {
      this.bar = new cliProgress.SingleBar(
        { stream: out, format: `{bar} {percentage}% | {value}/{total} ${unit} | {rate} rec/s | {mbs} MB/s | ETA {eta_formatted}`, hideCursor: true, clearOnComplete: true, etaBuffer: 50 },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { rate: '0', mbs: '0.00' });
      this.timer = setInterval(() => this.tick(), 200);
    } else if (!json && intervalMs > 0) {
      this.timer = setInterval(() => this.window(), intervalMs);
    }
    this.timer?.unref();
  }

  add(records: number, bytes: number): void {
    this.done += records;
    this.windowCount += records;
    this.windowBytes += bytes;
  }

  private tick(): void {
    const secs = (performance.now() - this.windowStart) / 1000;
    if (secs < 0.5) {
      this.bar!.update(this.done);
      return;
    }
    this.bar!.update(this.done, { rate: (this.windowCount / secs).toFixed(0), mbs: (this.windowBytes / MB / secs).toFixed(2) });
    this.windowStart = performance.now();
    this.windowCount = 0;
    this.windowBytes = 0;
  }

  private window(): void {
    const secs = (performance.now() - this.windowStart) / 1000;
    const lat = this.windowLatency?.();
    this.io.stdout.write(
      `${this.windowCount} ${this.unit}, ${f2(this.windowCount / secs)} records/sec (${f2(this.windowBytes / MB / secs)} MB/sec)` +
        (lat ? `, ${f2(lat.avg)} ms avg latency, ${f2(lat.max)} ms max latency.` : '.') +
        '\n',
    );
    this.windowStart = performance.now();
    this.windowCount = 0;
    this.windowBytes = 0;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.bar) {
      this.bar.update(this.done);
      this.bar.stop();
    }
  }
}

async function ensureTopic(bootstrap: string, topic: string, partitions: number, security: ClientSecurityOptions | undefined): Promise<void> {
  const admin = new Admin({ bootstrapServers: bootstrap, clientId: 'rivulet-perf-admin', security });
  try {
    await admin.createTopics([{ name: topic, numPartitions: partitions, replicationFactor: 1 }]);
  } catch (e) {
    if (!(e instanceof KafkaProtocolError && e.type === 'TOPIC_ALREADY_EXISTS')) throw e;
  } finally {
    await admin.cluster.close();
  }
}

/** Records sent per producer turn before yielding to I/O. */
const CHUNK = 512;

async function perfProduce(o: ProduceOptions, io: ToolIO = processIO()): Promise<ProduceResult> {
  if (o.partitions !== undefined) await ensureTopic(o.bootstrap, o.topic, o.partitions, o.security);
  const run = new ProduceRun(o, io);
  const producers: Producer[] = [];
  for (let i = 0; i < o.producers; i++) {
    const cluster = new Cluster({ bootstrapServers: o.bootstrap, clientId: `rivulet-perf-producer-${i}`, security: o.security });
    producers.push(new Producer(cluster, { acks: o.acks, batchSize: o.batchSize, lingerMs: o.lingerMs, compression: o.compression }));
  }
  const start = performance.now();
  try {
    // Metadata before the clock matters: load the topic once per producer.
    await Promise.all(producers.map((p) => p.cluster.topic(o.topic, { refresh: true, allowAutoTopicCreation: true })));
    run.t0 = performance.now();
    await Promise.all(producers.map((p, i) => driveProducer(run, p, recordsOfProducer(o, i))));
  } finally {
    run.progress.stop();
    await Promise.all(producers.map((p) => p.close().catch(() => undefined)));
    await Promise.all(producers.map((p) => p.cluster.close().catch(() => undefined)));
  }
  return produceResult(o, run, performance.now() - start);
}

/** The records' share of producer i: an even split, the remainder to the first producers. */
function recordsOfProducer(o: ProduceOptions, i: number): number {
  return Math.floor(o.numRecords / o.producers) + (i < o.numRecords % o.producers ? 1 : 0);
}

/**
 * What the producers of one run share: the payload, the bound on outstanding records, the throttle
 * (records sent since t0), and the outcome: latency histogram, acknowledged and failed records.
 */
class ProduceRun {
  /** One payload for every record (as Kafka's tool does); the core copies it into each batch. */
  readonly payload: Uint8Array;
  readonly maxOutstanding: number;
  readonly hist = newHistogram();
  readonly progress: Progress;
  acked = 0;
  failed = 0;
  firstError: string | undefined;
  /** Across producers, for throttling. */
  sent = 0;
  t0 = 0;
  private windowSum = 0;
  private windowMax = 0;
  private windowN = 0;

  constructor(readonly o: ProduceOptions, io: ToolIO) {
    this.payload = new Uint8Array(o.recordSize);
    for (let i = 0; i < this.payload.length; i++) this.payload[i] = 65 + (i % 26);
    this.maxOutstanding = o.maxOutstanding ?? Math.max(64, Math.min(20_000, Math.floor((32 * MB) / Math.max(1, o.recordSize + 30))));
    this.progress = new Progress(io, o.numRecords, 'records sent', o.json, o.reportingIntervalMs, () => this.takeWindowLatency());
  }

  /** Records --throughput allows now (≤ 0: none yet). */
  allowed(): number {
    return Math.floor(((performance.now() - this.t0) / 1000) * this.o.throughput) + 1 - this.sent;
  }

  /** Waits until the throttle lets the next record go, given what `allowed` returned. */
  throttle(allowed: number): Promise<unknown> {
    return new Promise((r) => setTimeout(r, Math.max(1, Math.ceil((-allowed + 1) / this.o.throughput * 1000))));
  }

  /** Counts one record's outcome; an acknowledged record adds its send → acknowledgement latency. */
  completed(err: Error | null, sentAt: number): void {
    if (err) {
      this.failed++;
      this.firstError ??= describeError(err);
      return;
    }
    const us = Math.max(1, Math.round((performance.now() - sentAt) * 1000));
    this.hist.recordValue(us);
    this.windowSum += us;
    this.windowN++;
    if (us > this.windowMax) this.windowMax = us;
    this.acked++;
    this.progress.add(1, this.o.recordSize);
  }

  /** The reporting window's latency (ms), then a new window. */
  private takeWindowLatency(): { avg: number; max: number } {
    const r = { avg: this.windowN ? this.windowSum / this.windowN / 1000 : 0, max: this.windowMax / 1000 };
    this.windowSum = this.windowMax = this.windowN = 0;
    return r;
  }
}

/**
 * Sends n records through one producer in chunks, keeping at most maxOutstanding unacknowledged (it
 * resumes when half have been acknowledged) and within --throughput; then flushes.
 */
async function driveProducer(run: ProduceRun, p: Producer, n: number): Promise<void> {
  const { o, maxOutstanding } = run;
  let outstanding = 0;
  let wake: (() => void) | null = null;
  const low = Math.max(1, maxOutstanding >> 1);
  let mine = 0;
  while (mine < n) {
    if (outstanding >= maxOutstanding) {
      await new Promise<void>((r) => (wake = r));
      continue;
    }
    let k = Math.min(CHUNK, maxOutstanding - outstanding, n - mine);
    if (o.throughput > 0) {
      const allowed = run.allowed();
      if (allowed <= 0) {
        await run.throttle(allowed);
        continue;
      }
      k = Math.min(k, allowed);
    }
    const sentAt = performance.now();
    const timestamp = Date.now();
    // One callback for the chunk: no promise or closure per record.
    const cb = (err: Error | null): void => {
      outstanding--;
      run.completed(err, sentAt);
      if (wake && outstanding <= low) {
        const w = wake as () => void;
        wake = null;
        w();
      }
    };
    const record = { topic: o.topic, value: run.payload, timestamp };
    for (let j = 0; j < k; j++) p.sendWithCallback(record, cb);
    outstanding += k;
    mine += k;
    run.sent += k;
    // Let I/O (responses, socket writes) run between chunks.
    await new Promise<void>((r) => setImmediate(r));
  }
  await p.flush();
}

function produceResult(o: ProduceOptions, run: ProduceRun, elapsedMs: number): ProduceResult {
  const secs = elapsedMs / 1000;
  const { acked, firstError } = run;
  return {
    mode: 'produce',
    topic: o.topic,
    records: acked,
    failed: run.failed,
    recordSize: o.recordSize,
    producers: o.producers,
    acks: o.acks === 'all' ? -1 : o.acks,
    batchSize: o.batchSize,
    lingerMs: o.lingerMs,
    compression: o.compression,
    elapsedMs: Math.round(elapsedMs * 1000) / 1000,
    recordsPerSec: acked / secs,
    mbPerSec: (acked * o.recordSize) / MB / secs,
    latency: summarize(run.hist),
    ...(firstError !== undefined ? { firstError } : {}),
  };
}

/** Key + value bytes of the records of an uncompressed v2 batch (Kafka's tool counts these). */
function recordPayloadBytes(batch: Uint8Array): number {
  let pos = 61;
  let total = 0;
  const varint = (): number => {
    let shift = 0;
    let v = 0;
    for (;;) {
      const byte = batch[pos++]!;
      v += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
      shift += 7;
      if (shift > 63 || pos >= batch.length) throw new Error('bad varint in a record');
    }
    // zigzag
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  };
  while (pos < batch.length) {
    const len = varint();
    const end = pos + len;
    pos++; // attributes
    varint(); // timestamp delta
    varint(); // offset delta
    const k = varint();
    if (k > 0) {
      total += k;
      pos += k;
    }
    const v = varint();
    if (v > 0) total += v;
    pos = end;
  }
  return total;
}

async function perfConsume(o: ConsumeOptions, io: ToolIO = processIO()): Promise<ConsumeResult> {
  const consumer = new Consumer({ bootstrapServers: o.bootstrap, clientId: 'rivulet-perf-consumer', security: o.security }, { maxWaitMs: o.fetchMaxWaitMs, maxPartitionBytes: o.fetchMaxBytes, autoOffsetReset: 'earliest' });
  const run = new ConsumeRun(io, o);
  let timedOut = false;
  const start = performance.now();
  try {
    await consumer.assignTopics([o.topic], 'earliest');
    let lastData = performance.now();
    while (run.records < o.numRecords) {
      const got = await run.fetchRound(consumer);
      if (got > 0) lastData = performance.now();
      else if (performance.now() - lastData > o.timeoutMs) {
        timedOut = true;
        break;
      }
    }
  } finally {
    run.progress.stop();
    await consumer.close();
  }
  const elapsedMs = performance.now() - start;
  const secs = elapsedMs / 1000;
  return {
    mode: 'consume',
    topic: o.topic,
    records: run.records,
    bytes: run.bytes,
    elapsedMs: Math.round(elapsedMs * 1000) / 1000,
    recordsPerSec: run.records / secs,
    mbPerSec: run.bytes / MB / secs,
    fetches: run.fetches,
    fetchLatency: summarize(run.fetchHist),
    endToEndLatency: summarize(run.e2eHist),
    timedOut,
  };
}

/** A consume run's counters and latency histograms (fetch round, and end-to-end from CreateTime). */
class ConsumeRun {
  readonly fetchHist = newHistogram();
  readonly e2eHist = newHistogram();
  readonly progress: Progress;
  records = 0;
  bytes = 0;
  fetches = 0;

  constructor(io: ToolIO, o: ConsumeOptions) {
    this.progress = new Progress(io, o.numRecords, 'records consumed', o.json, 5000);
  }

  /**
   * One fetch round over the assigned partitions; returns its record count. The batch-level path: whole
   * batches summarised from their headers, no record objects or BigInts per record; key + value bytes
   * come from a walk over the record varints (uncompressed batches).
   */
  async fetchRound(consumer: Consumer): Promise<number> {
    const t0 = performance.now();
    let first = true;
    let got = 0;
    for await (const part of consumer.fetchBatchesOnce()) {
      if (part.recordCount === 0) continue;
      if (first) {
        this.fetchHist.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
        first = false;
      }
      const b = this.countBatches(part.batches);
      got += part.recordCount;
      this.bytes += b;
      this.progress.add(part.recordCount, b);
    }
    this.fetches++;
    this.records += got;
    return got;
  }

  /** Key + value bytes of a partition's data batches; records their end-to-end latency. */
  private countBatches(batches: readonly BatchSummary[]): number {
    const wall = Date.now();
    let b = 0;
    for (const batch of batches) {
      if (batch.isControl) continue;
      b += batch.compression === 0 ? recordPayloadBytes(batch.bytes) : batch.bytes.length - 61;
      // End-to-end latency per batch, from its max timestamp (CreateTime, ms), weighted by its records.
      this.e2eHist.recordValueWithCount(Math.max(1, (wall - batch.maxTimestamp) * 1000), batch.recordCount);
    }
    return b;
  }
}
