// `rivulet leader-election` — Kafka's kafka-leader-election.sh over ElectLeaders: preferred or unclean
// elections for one partition (--topic + --partition), the partitions of a JSON file, or every partition.
// Output and exit codes follow Kafka's LeaderElectionCommand (0 ok, 1 when a partition failed).
import { parseArgs } from 'node:util';
import { joinNegativeValues } from './argv.js';
import { ElectionType, type PartitionOutcome } from '../client/admin.js';
import type { TopicPartition } from '../client/consumer.js';
import { ErrorCode } from '../../protocol/errors.js';
import { KafkaProtocolError } from '../../client/errors.js';
import { commandLine, intOption, parseOrUsage, processIO, runWithAdmin, UsageError, type ToolIO } from './client-tool.js';
import { byTopicPartition, readElectionFile } from './partition-json.js';

const USAGE = `Usage: rivulet leader-election --bootstrap-server <host:port> --election-type <type> <partitions>

Elects partition leaders (like kafka-leader-election.sh).

Options:
  --bootstrap-server <h:p>     Broker(s) to connect to (comma-separated). Required.
  --command-config <file>      Client properties (security.protocol, ssl.*, sasl.*) for the broker connections.
  --election-type <type>       preferred (the first replica of the assignment, when in sync) or unclean
                               (any live replica, even out of sync: may lose records). Required.
  --topic <name>               The topic of --partition.
  --partition <n>              The partition (with --topic).
  --all-topic-partitions       Every partition of every topic.
  --path-to-json-file <file>   Partitions from {"partitions":[{"topic":"t","partition":0}]}.
  --command-timeout <ms>       Request timeout (default 30000).
  -h, --help                   This help.

Exactly one of --topic, --all-topic-partitions and --path-to-json-file.
`;

const OPTIONS = {
  'bootstrap-server': { type: 'string' },
  'command-config': { type: 'string' },
  'election-type': { type: 'string' },
  topic: { type: 'string' },
  partition: { type: 'string' },
  'all-topic-partitions': { type: 'boolean' },
  'path-to-json-file': { type: 'string' },
  'command-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const parse = (argv: string[]) => parseArgs({ args: joinNegativeValues(argv, OPTIONS), strict: true, allowPositionals: false, options: OPTIONS });
type Values = ReturnType<typeof parse>['values'];

interface Request {
  type: number;
  /** null = every partition. */
  partitions: TopicPartition[] | null;
}

export async function run(argv: string[], io: ToolIO = processIO()): Promise<number> {
  const values = commandLine(() => parseCommandLine(argv), USAGE, io);
  if (typeof values === 'number') return values;
  return runWithAdmin(values, 'rivulet-leader-election', { usage: USAGE, io, errorPrefix: 'Error: ' }, async (admin) => {
    const req = electionRequest(values);
    const results = await admin.electLeaders(req.type, req.partitions);
    return printResults(req.type, results, io);
  });
}

/** Parses and checks the flags; 'help' when asked for. Throws UsageError. */
function parseCommandLine(argv: string[]): Values | 'help' {
  const { values } = parseOrUsage(() => parse(argv));
  if (values.help) return 'help';
  if (!values['bootstrap-server']) throw new UsageError('Missing required option(s) [bootstrap-server]');
  if (values['election-type'] === undefined) throw new UsageError('Missing required option(s) [election-type]');
  electionType(values['election-type']);
  const sources = [values.topic !== undefined, values['all-topic-partitions'] === true, values['path-to-json-file'] !== undefined].filter(Boolean).length;
  if (sources !== 1) throw new UsageError('One and only one of the following options is required: all-topic-partitions, topic, path-to-json-file');
  if (values.topic !== undefined && values.partition === undefined) throw new UsageError('Missing required option(s) [partition]');
  if (values.partition !== undefined && values.topic === undefined) throw new UsageError('Missing required option(s) [topic]');
  intOption(values.partition, 'partition');
  intOption(values['command-timeout'], 'command-timeout', 1);
  return values;
}

function electionType(text: string): number {
  const t = text.toLowerCase();
  if (t === 'preferred') return ElectionType.PREFERRED;
  if (t === 'unclean') return ElectionType.UNCLEAN;
  throw new UsageError(`Invalid value '${text}' for --election-type: expected preferred or unclean`);
}

function electionRequest(values: Values): Request {
  const type = electionType(values['election-type']!);
  if (values['all-topic-partitions']) return { type, partitions: null };
  if (values['path-to-json-file'] !== undefined) return { type, partitions: readElectionFile(values['path-to-json-file']) };
  return { type, partitions: [{ topic: values.topic!, partition: intOption(values.partition, 'partition')! }] };
}

/**
 * Kafka's report: the partitions that got their leader, those whose leader already fit (ELECTION_NOT_NEEDED),
 * then one line per failed partition; exit code 1 when any failed.
 */
function printResults(type: number, results: readonly PartitionOutcome[], io: ToolIO): number {
  const name = type === ElectionType.PREFERRED ? 'PREFERRED' : 'UNCLEAN';
  const sorted = [...results].sort(byTopicPartition);
  const label = (r: PartitionOutcome) => `${r.topic}-${r.partition}`;
  const succeeded = sorted.filter((r) => r.errorCode === ErrorCode.NONE);
  const noop = sorted.filter((r) => r.errorCode === ErrorCode.ELECTION_NOT_NEEDED);
  const failed = sorted.filter((r) => r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED);
  if (succeeded.length > 0) io.stdout.write(`Successfully completed leader election (${name}) for partitions ${succeeded.map(label).join(', ')}\n`);
  if (noop.length > 0) io.stdout.write(`Valid replica already elected for partitions ${noop.map(label).join(', ')}\n`);
  for (const r of failed) {
    const e = new KafkaProtocolError(r.errorCode, undefined, r.errorMessage);
    io.stdout.write(`Error completing leader election (${name}) for partition: ${label(r)}: ${e.message}\n`);
  }
  if (failed.length === 0) return 0;
  io.stderr.write(`Error: ${failed.length} replica(s) could not be elected\n`);
  return 1;
}
