// `rivulet dev-cluster` — a local cluster in one command, like a developer's docker-compose of Kafka: etcd
// from PATH plus N brokers as child processes of this same `rivulet`, all on 127.0.0.1; prints the
// bootstrap list once every broker serves Kafka; Ctrl-C (or SIGTERM) stops the brokers with their
// controlled shutdown, then etcd.
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { joinNegativeValues } from './argv.js';
import { commandLine, intOption, parseOrUsage, processIO, UsageError, type ToolIO } from './client-tool.js';
import { bootstrapServers, ETCD_PACKAGE_HINT, findOnPath, plannedPorts, type DevClusterOptions } from './dev-cluster-plan.js';
import { takenPorts } from './dev-cluster-ready.js';
import { DevClusterSupervisor, BROKER_STOP_GRACE_MS, type SupervisorFlags } from './dev-cluster-supervisor.js';

const USAGE = `Usage: rivulet dev-cluster [options]

Runs a local cluster on 127.0.0.1: etcd (found on PATH; Debian package etcd-server) and N brokers, each a
child process. Prints bootstrap.servers once every broker serves Kafka; Ctrl-C stops everything
(brokers first, with their controlled shutdown, then etcd). Data stays in --dir across runs.

Options:
  --brokers <n>               Number of brokers, node.id 1..n (default 3).
  --base-port <port>          Kafka port of broker 1; broker i listens on base + i - 1 (default 9092).
  --etcd-port <port>          etcd's client port; its peer port is the next one (default 2379).
  --dir <dir>                 etcd's data, its log (etcd.log) and each broker's log.dirs (broker-<id>)
                              (default ./dev-cluster).
  --min-insync-replicas <n>   min.insync.replicas of every broker (default min(2, brokers)).
  --metrics                   Prometheus endpoints on --metrics-base-port + i - 1 (default off).
  --metrics-base-port <port>  (default 9404)
  --ws                        Kafka-over-WebSocket listeners on --ws-base-port + i - 1 (default off).
  --ws-base-port <port>       (default 9192)
  --set <key=value>           A broker config key for every broker (repeatable; wins over the defaults
                              below).
  --restart                   Start a broker (or etcd) again when it exits on its own.
  --verbose                   etcd's output on the terminal, prefixed [etcd] (default: in etcd.log).
  -h, --help                  This help.

Every broker gets: etcd.connect=127.0.0.1:<etcd port>, default.replication.factor and
offsets.topic.replication.factor = min(3, brokers), min.insync.replicas as above.
`;

const OPTIONS = {
  brokers: { type: 'string' },
  'base-port': { type: 'string' },
  'etcd-port': { type: 'string' },
  dir: { type: 'string' },
  'min-insync-replicas': { type: 'string' },
  metrics: { type: 'boolean' },
  'metrics-base-port': { type: 'string' },
  ws: { type: 'boolean' },
  'ws-base-port': { type: 'string' },
  set: { type: 'string', multiple: true },
  restart: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The largest cluster this command starts (every broker is a process on this one machine). */
const MAX_BROKERS = 32;

interface CommandLine {
  options: DevClusterOptions;
  flags: SupervisorFlags;
}

export async function run(argv: string[], io: ToolIO = processIO()): Promise<number> {
  const line = commandLine(() => parseCommandLine(argv), USAGE, io);
  if (typeof line === 'number') return line;
  const o = line.options;
  const etcdBin = findOnPath('etcd', process.env.PATH);
  if (etcdBin === null) {
    io.stderr.write(`rivulet dev-cluster: etcd was not found on PATH: ${ETCD_PACKAGE_HINT}.\n`);
    return 1;
  }
  const taken = await takenPorts(plannedPorts(o));
  if (taken.length > 0) {
    const list = taken.map((p) => `  127.0.0.1:${p.port} (${p.purpose})`).join('\n');
    io.stderr.write(`rivulet dev-cluster: ports already in use, nothing was started:\n${list}\nStop what listens there, or choose other ports (--base-port, --etcd-port).\n`);
    return 1;
  }
  mkdirSync(o.dir, { recursive: true });
  return runCluster(new DevClusterSupervisor(o, etcdBin, process.argv[1]!, io, line.flags), o, io);
}

/** Starts the cluster and runs it until a signal (exit 0) or until no broker is left (exit 1). */
async function runCluster(cluster: DevClusterSupervisor, o: DevClusterOptions, io: ToolIO): Promise<number> {
  const signals = stopSignals(cluster, io);
  try {
    const starting = cluster.start().then(() => 'started' as const);
    starting.catch(() => {}); // once a signal stopped the processes, the start they were in fails as expected
    const outcome = await Promise.race([starting, signals.first]);
    if (outcome === 'started') {
      printBootstrap(o, io);
      const end = await Promise.race([signals.first, cluster.allBrokersGone.then(() => 'gone' as const)]);
      if (end === 'gone') io.stderr.write('[dev-cluster] no broker is left running: stopping etcd\n');
      await cluster.stop();
      return end === 'gone' ? 1 : 0;
    }
    io.stdout.write(`[dev-cluster] ${outcome} received while starting: stopping\n`);
    await cluster.stop();
    return 0;
  } catch (e) {
    io.stderr.write(`rivulet dev-cluster: ${(e as Error).message}\n`);
    await cluster.stop();
    return 1;
  } finally {
    signals.dispose();
  }
}

function printBootstrap(o: DevClusterOptions, io: ToolIO): void {
  const list = bootstrapServers(o);
  io.stdout.write(`[dev-cluster] ${o.brokers} broker(s) serve Kafka; Ctrl-C stops the cluster.\n`);
  io.stdout.write(`bootstrap.servers=${list}\n`);
  io.stdout.write(`try: kcat -L -b ${list}\n`);
}

/**
 * The first SIGINT/SIGTERM starts the orderly stop (`first` resolves with its name); a second one kills
 * every process at once.
 */
function stopSignals(cluster: DevClusterSupervisor, io: ToolIO): { first: Promise<NodeJS.Signals>; dispose(): void } {
  let count = 0;
  let resolveFirst: (s: NodeJS.Signals) => void = () => {};
  const first = new Promise<NodeJS.Signals>((r) => (resolveFirst = r));
  const onSignal = (sig: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      io.stdout.write(`[dev-cluster] ${sig}: stopping the brokers (controlled shutdown, up to ${BROKER_STOP_GRACE_MS / 1000} s), then etcd; again to kill them at once\n`);
      return resolveFirst(sig);
    }
    if (count === 2) void cluster.kill();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const dispose = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  return { first, dispose };
}

function parseCommandLine(argv: string[]): CommandLine | 'help' {
  const { values: v, positionals } = parseOrUsage(() => parseArgs({ args: joinNegativeValues(argv, OPTIONS), strict: true, allowPositionals: true, options: OPTIONS }));
  if (v.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`Unexpected argument '${positionals[0]}'`);
  const brokers = intOption(v.brokers, 'brokers', 1) ?? 3;
  if (brokers > MAX_BROKERS) throw new UsageError(`Invalid value '${brokers}' for --brokers: at most ${MAX_BROKERS}`);
  for (const s of v.set ?? []) if (s.indexOf('=') <= 0) throw new UsageError(`Invalid --set '${s}': expected key=value`);
  const options: DevClusterOptions = {
    brokers,
    basePort: portOption(v['base-port'], 'base-port', 9092, brokers),
    etcdPort: portOption(v['etcd-port'], 'etcd-port', 2379, 2),
    dir: v.dir ?? './dev-cluster',
    minInsyncReplicas: intOption(v['min-insync-replicas'], 'min-insync-replicas', 1) ?? Math.min(2, brokers),
    metricsBasePort: v.metrics ? portOption(v['metrics-base-port'], 'metrics-base-port', 9404, brokers) : null,
    wsBasePort: v.ws ? portOption(v['ws-base-port'], 'ws-base-port', 9192, brokers) : null,
    sets: v.set ?? [],
  };
  return { options, flags: { verbose: v.verbose === true, restart: v.restart === true } };
}

/** The first of `count` consecutive ports, all within 1..65535. */
function portOption(text: string | undefined, name: string, fallback: number, count: number): number {
  const port = intOption(text, name, 1) ?? fallback;
  if (port + count - 1 > 65535) throw new UsageError(`Invalid value '${port}' for --${name}: ${count} ports from it must fit below 65536`);
  return port;
}
