// The benchmark suites, their flags, and where a run writes its results. A plain .mjs so that
// scripts/bench.mjs (run by plain node) and the suites (run by tsx) share one list.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Flags every suite takes. */
export const COMMON_FLAGS = [
  ['--quick', 'shorter runs (every suite together in under 2 minutes)'],
  ['--save', 'write results into bench/results/ (committed) instead of bench/results/local/ (ignored)'],
];

/** One entry per bench/<name>.ts: what it measures against which peer, and its own flags. */
export const SUITES = [
  { name: 'broker', what: 'the broker under `rivulet perf` and librdkafka, vs Redis Streams and NATS JetStream; targets met or not', flags: [] },
  { name: 'browser', what: 'the in-tab OPFS log vs IndexedDB, headless Chromium', flags: [['--batch N', 'records per batched append (default 100)']] },
  { name: 'cluster', what: '3 broker processes + etcd: RF=3 acks=all vs RF=1 acks=1 and one broker, half-rate p99, leader-kill unavailability, replica catch-up vs loopback', flags: [] },
  {
    name: 'compaction',
    what: 'log cleaner MB/s (thread and inline, none and lz4) vs the same reads + writes; produce p99 with vs without a cleaning on the broker',
    flags: [['--only PART', 'throughput or latency: one part of the suite'], ['--cleaner-io-max N', 'throttle the latency part\'s cleaner (MiB/s, log.cleaner.io.max.bytes.per.second)']],
  },
  { name: 'core', what: 'the WebAssembly core: CRC-32C vs native and JS, batch append vs kafkajs', flags: [] },
  { name: 'groups', what: 'consumer-group rebalance time and OffsetCommit throughput', flags: [['--cpu-prof', 'broker CPU profiles into the results folder, prof/<run>/']] },
  { name: 'profile', what: 'flame graphs (SVG) of the broker under librdkafka produce and consume', flags: [] },
  { name: 'protocol', what: 'Produce request and Fetch response codecs vs kafkajs', flags: [] },
  {
    name: 'scale',
    what: 'one broker with many partitions, then many connections: memory, fds, CPU, latency',
    flags: [['--partitions N', 'partitions (default 10000; quick 1000)'], ['--connections N', 'connections (default 1000; quick 200)'], ['--hold-s S', 'seconds the connections stay busy (default 20; quick 3)']],
  },
  {
    name: 'security',
    what: 'produce over PLAINTEXT vs SSL vs SASL_SSL (librdkafka) and with the ACL authorizer on; SASL logins/s (PLAIN, SCRAM); vs Node\'s own TLS ceiling',
    flags: [],
  },
  { name: 'startup', what: 'broker start-up to accepting connections vs the `node -e 0` floor', flags: [['--runs N', 'starts measured (default 25; quick 7)']] },
  { name: 'websocket', what: 'Produce over the WebSocket listener vs the TCP listener', flags: [] },
];

/** The folder a run writes into: bench/results/ with --save, else the ignored bench/results/local/. */
export function resultsDir(argv = process.argv) {
  return argv.includes('--save') ? join(root, 'bench/results') : join(root, 'bench/results/local');
}

/** `npm run bench -- --help`: the suites and their flags. */
export function helpText() {
  const row = ([flag, text]) => `    ${flag.padEnd(16)} ${text}`;
  return [
    'Usage: npm run bench -- [suite] [flags]     (no suite: every suite, in the order below)',
    '',
    'Suites:',
    ...SUITES.flatMap((s) => [`  ${s.name.padEnd(10)} ${s.what}`, ...s.flags.map(row)]),
    '',
    'Flags of every suite:',
    ...COMMON_FLAGS.map(row),
    '',
    'Environment: RIVULET_BENCH_BUILD=1 always builds dist/ first, =0 never (default: when older than a source);',
    '  SCALE_CPU_PROF=<dir> writes the scale broker\'s CPU profiles there.',
    'How to read the results: docs/bench.md.',
    '',
  ].join('\n');
}
