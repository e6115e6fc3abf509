// The `rivulet` command line.
import { parseArgs } from 'node:util';
import { joinNegativeValues } from './argv.js';
import { BrokerConfig, ConfigError, describeConfigs, envName } from '../config/index.js';
import { startBroker, type RunningBroker } from '../broker.js';
import { createLogger, parseLogLevel, type Logger } from '../util/log.js';

const USAGE = `Usage: rivulet <command> [options]

Commands:
  broker                Run a broker that speaks the Kafka protocol.
  topics                Create, list, describe, alter and delete topics (like kafka-topics.sh).
  produce               Send standard-input lines to a topic (like kafka-console-producer.sh).
  consume               Print a topic's records (like kafka-console-consumer.sh).
  groups                List, describe, reset offsets of and delete consumer groups (like kafka-consumer-groups.sh).
  acls                  Add, list and remove ACLs (like kafka-acls.sh).
  configs               SCRAM credentials, client quotas, topic and broker configs (like kafka-configs.sh).
  perf                  Load-test a broker: perf produce | perf consume (like kafka-producer/consumer-perf-test.sh).
  leader-election       Elect preferred or unclean partition leaders (like kafka-leader-election.sh).
  reassign-partitions   Move partition replicas between brokers (like kafka-reassign-partitions.sh).
  dev-cluster           Run a local cluster: etcd and N brokers on 127.0.0.1, stopped together with Ctrl-C.

Run 'rivulet <command> --help' for a command's options.
`;

const BROKER_USAGE = `Usage: rivulet broker [options]

Options:
  --port <n>          Port of the first listener (0 = ephemeral). Overrides listeners.
  --host <addr>       Address of the first listener. Overrides listeners.
  --data-dir <dir>    Log directory (sets log.dirs).
  --ws-port <n>       Port of the Kafka-over-WebSocket listener (sets ws.port; 0 = ephemeral, -1 = off).
  --metrics-port <n>  Port of the Prometheus endpoint (sets metrics.port; 0 = ephemeral, -1 = off).
  --config <file>     A server.properties file (Kafka's format and key names).
  --set <key=value>   Set a config key (repeatable).
  --log-level <lvl>   debug | info | warn | error (default info, or RIVULET_LOG_LEVEL).
  -h, --help          This help.

Precedence: defaults < --config file < environment RIVULET_<KEY> (e.g. ${envName('node.id')}) < --set < flags.

Config keys:
${describeConfigs()}
`;

type Tool = { run(argv: string[]): Promise<number> };
const TOOLS: Record<string, () => Promise<Tool>> = {
  topics: () => import('./topics.js'),
  produce: () => import('./produce.js'),
  consume: () => import('./consume.js'),
  groups: () => import('./groups.js'),
  acls: () => import('./acls.js'),
  configs: () => import('./configs.js'),
  perf: () => import('./perf.js'),
  'leader-election': () => import('./leader-election.js'),
  'reassign-partitions': () => import('./reassign-partitions.js'),
  'dev-cluster': () => import('./dev-cluster.js'),
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(USAGE);
    return cmd === undefined ? 1 : 0;
  }
  if (cmd === 'broker') return brokerCommand(rest);
  // The client tools are loaded only when asked for, so `rivulet broker` starts without them.
  const tool = Object.hasOwn(TOOLS, cmd) ? TOOLS[cmd] : undefined;
  if (tool) return (await tool()).run(rest);
  process.stderr.write(`rivulet: unknown command '${cmd}'\n\n${USAGE}`);
  return 1;
}

const BROKER_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  'ws-port': { type: 'string' },
  'metrics-port': { type: 'string' },
  config: { type: 'string' },
  set: { type: 'string', multiple: true },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const parseBrokerArgs = (argv: string[]) => parseArgs({ args: joinNegativeValues(argv, BROKER_OPTIONS), strict: true, allowPositionals: false, options: BROKER_OPTIONS });
type BrokerValues = ReturnType<typeof parseBrokerArgs>['values'];

/** `rivulet broker`: loads the config, starts the broker and runs it until SIGTERM or SIGINT. */
async function brokerCommand(argv: string[]): Promise<number> {
  let v: BrokerValues;
  try {
    v = parseBrokerArgs(argv).values;
  } catch (e) {
    process.stderr.write(`rivulet broker: ${(e as Error).message}\n\n${BROKER_USAGE}`);
    return 2;
  }
  if (v.help) {
    process.stdout.write(BROKER_USAGE);
    return 0;
  }
  const log = createLogger('rivulet', parseLogLevel(v['log-level'] ?? process.env.RIVULET_LOG_LEVEL));
  let config: BrokerConfig;
  try {
    config = loadBrokerConfig(v);
  } catch (e) {
    if (e instanceof ConfigError) return configurationError(e);
    throw e;
  }
  if (config.unknownKeys.length) log.warn(`These configurations were supplied but are not used: ${config.unknownKeys.join(', ')}`);
  // Listened for before the start: a signal arriving while the broker starts, or just after it logged
  // that it listens, stops it cleanly once started instead of killing it mid-way.
  const signal = firstSignal();
  let broker: RunningBroker;
  try {
    broker = await startBroker({ config, log });
  } catch (e) {
    signal.dispose();
    if (e instanceof ConfigError) return configurationError(e);
    process.stderr.write(`rivulet broker: failed to start: ${(e as Error).message}\n`);
    return 1;
  }
  return stopAfter(broker, await signal.received, log);
}

function configurationError(e: ConfigError): number {
  process.stderr.write(`rivulet broker: configuration error: ${e.message}\n`);
  return 2;
}

/** The broker config from --config, the environment, --set and the flags. Throws ConfigError. */
function loadBrokerConfig(v: BrokerValues): BrokerConfig {
  const sets: [string, string][] = [];
  for (const s of v.set ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new ConfigError('--set', `--set expects key=value, got '${s}'`);
    sets.push([s.slice(0, eq).trim(), s.slice(eq + 1)]);
  }
  let port: number | undefined;
  if (v.port !== undefined) {
    if (!/^\d+$/.test(v.port)) throw new ConfigError('--port', `Invalid value ${v.port} for --port: expected 0..65535`);
    port = Number(v.port);
  }
  return BrokerConfig.load({
    configFile: v.config,
    env: process.env,
    sets,
    flags: { port, host: v.host, dataDir: v['data-dir'], wsPort: optionalPort(v, 'ws-port'), metricsPort: optionalPort(v, 'metrics-port') },
  });
}

/** A listener port flag where -1 turns the listener off (--ws-port, --metrics-port). Throws ConfigError. */
function optionalPort(v: BrokerValues, flag: 'ws-port' | 'metrics-port'): number | undefined {
  const text = v[flag];
  if (text === undefined) return undefined;
  if (!/^(-1|\d+)$/.test(text)) throw new ConfigError(`--${flag}`, `Invalid value ${text} for --${flag}: expected -1..65535`);
  return Number(text);
}

/** The first SIGTERM or SIGINT; once it arrived the handlers are gone, so a second one ends the process. */
function firstSignal(): { received: Promise<NodeJS.Signals>; dispose(): void } {
  let onSignal: (sig: NodeJS.Signals) => void = () => {};
  const dispose = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  const received = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (sig) => {
      dispose();
      resolve(sig);
    };
  });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return { received, dispose };
}

/** Stops the broker after `sig`: 0 once it closed, 1 if closing failed. */
async function stopAfter(broker: RunningBroker, sig: NodeJS.Signals, log: Logger): Promise<number> {
  log.info(`received ${sig}, shutting down`);
  try {
    await broker.close();
  } catch (e) {
    log.error(`error while stopping: ${(e as Error).message}`);
    return 1;
  }
  log.info('broker stopped');
  return 0;
}
