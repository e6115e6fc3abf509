// `rivulet consume` — Kafka's kafka-console-consumer.sh without consumer groups (for now): reads one
// partition (--partition) or all partitions of the topic, printing records like Kafka's
// DefaultMessageFormatter. Ends on --max-messages, --timeout-ms without records, or Ctrl-C, then prints
// "Processed a total of N messages" to stderr and exits 0.
import { parseArgs } from 'node:util';
import { joinNegativeValues } from './argv.js';
import { Cluster } from '../client/cluster.js';
import { Consumer, type ConsumerOptions, type ConsumerRecord, type StartPosition } from '../client/consumer.js';
import { boolProp, commandLine, describeError, intOption, parseOrUsage, parseProps, processIO, toolSecurity, unescape, UsageError, type ToolIO } from './client-tool.js';
import type { ClientSecurityOptions } from '../client/security.js';

const USAGE = `Usage: rivulet consume --bootstrap-server <host:port> --topic <topic> [options]

Prints the records of a topic (all partitions, or --partition) to standard output.

Options:
  --bootstrap-server <h:p>        Broker(s) to connect to (comma-separated). Required.
  --command-config <file>         Client properties (security.protocol, ssl.*, sasl.*) for the broker connections.
  --topic <name>                  Topic to read. Required.
  --from-beginning                Start at the earliest offset (default: the latest, new records only).
  --partition <n>                 Read only this partition.
  --offset <n|earliest|latest>    Start offset (needs --partition).
  --max-messages <n>              Exit after this many records.
  --timeout-ms <ms>               Exit when no record arrived for this long.
  --isolation-level <level>       read_uncommitted (default) | read_committed
  --property <key=value>          Formatter properties (repeatable): print.key, print.value,
                                  print.partition, print.offset, print.timestamp, print.headers
                                  (true|false), key.separator (default tab), line.separator,
                                  headers.separator (default ','), headers.key.separator (default ':'),
                                  null.literal (default 'null')
  --consumer-property <key=value> Consumer configs: fetch.max.wait.ms, fetch.min.bytes, fetch.max.bytes,
                                  max.partition.fetch.bytes, client.id, request.timeout.ms
  --group <id>                    Not supported: reads partitions directly (kcat -G joins a group).
  -h, --help                      This help.
`;

const OPTIONS = {
  'bootstrap-server': { type: 'string' },
  'command-config': { type: 'string' },
  topic: { type: 'string' },
  'from-beginning': { type: 'boolean' },
  partition: { type: 'string' },
  offset: { type: 'string' },
  'max-messages': { type: 'string' },
  'timeout-ms': { type: 'string' },
  'isolation-level': { type: 'string' },
  property: { type: 'string', multiple: true },
  'consumer-property': { type: 'string', multiple: true },
  group: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const parse = (argv: string[]) => parseArgs({ args: joinNegativeValues(argv, OPTIONS), strict: true, allowPositionals: false, options: OPTIONS });
type Values = ReturnType<typeof parse>['values'];

/** The checked command line: where to start, when to stop, formatter (--property) and consumer configs. */
interface CommandLine {
  values: Values;
  topic: string;
  props: Map<string, string>;
  cprops: Map<string, string>;
  /** --consumer-property request.timeout.ms, checked with the other flags. */
  requestTimeoutMs: number | undefined;
  /** The consumer's configs, checked with the other flags (a bad number is a usage error, not a crash). */
  consumer: ConsumerOptions;
  start: StartPosition;
  partition: number | undefined;
  maxMessages: number | undefined;
  timeoutMs: number | undefined;
}

export async function run(argv: string[], io: ToolIO = processIO()): Promise<number> {
  const args = commandLine(() => parseCommandLine(argv), USAGE, io);
  if (typeof args === 'number') return args;
  let security: ClientSecurityOptions | undefined;
  try {
    security = toolSecurity(args.values);
  } catch (e) {
    io.stderr.write(`ERROR ${(e as Error).message}\n`);
    return 1;
  }
  const printer = new RecordPrinter(formatter(args.props), args.maxMessages, io);
  const cluster = new Cluster({
    security,
    bootstrapServers: args.values['bootstrap-server']!,
    clientId: args.cprops.get('client.id') ?? 'rivulet-console-consumer',
    requestTimeoutMs: args.requestTimeoutMs,
  });
  const consumer = new Consumer(cluster, args.consumer);
  const stop = new StopSignal(args.timeoutMs);
  let code = 0;
  try {
    await assignPartitions(cluster, consumer, args);
    await printRecords(consumer, printer, stop);
  } catch (e) {
    io.stderr.write(`ERROR Error processing message, terminating consumer process: ${describeError(e)}\n`);
    code = 1;
  } finally {
    stop.close();
    await consumer.close();
    await cluster.close();
  }
  io.stderr.write(`Processed a total of ${printer.count} messages\n`);
  return code;
}

/** Parses and checks the flags like Kafka's ConsoleConsumer; 'help' when the usage was asked for. Throws UsageError. */
function parseCommandLine(argv: string[]): CommandLine | 'help' {
  const { values } = parseOrUsage(() => parse(argv));
  if (values.help) return 'help';
  if (!values['bootstrap-server']) throw new UsageError('Missing required argument "[bootstrap-server]"');
  if (!values.topic) throw new UsageError('Exactly one of whitelist/topic is required.');
  if (values.group) throw new UsageError('--group is not supported by rivulet consume: it reads partitions directly (use --partition, or read all partitions; kcat -G joins a group).');
  const partition = intOption(values.partition, 'partition');
  if (values.offset !== undefined && partition === undefined) throw new UsageError('The partition is required when offset is specified.');
  if (values.offset !== undefined && values['from-beginning']) throw new UsageError("Options from-beginning and offset cannot be specified together.");
  const start = startPosition(values);
  const maxMessages = intOption(values['max-messages'], 'max-messages', 1);
  const timeoutMs = intOption(values['timeout-ms'], 'timeout-ms', 1);
  const props = parseProps(values.property, '--property');
  const cprops = parseProps(values['consumer-property'], '--consumer-property');
  const il = values['isolation-level'];
  if (il !== undefined && il !== 'read_committed' && il !== 'read_uncommitted') throw new UsageError(`Invalid isolation level '${il}'`);
  const requestTimeoutMs = intOption(cprops.get('request.timeout.ms'), 'request.timeout.ms', 1);
  const consumer = consumerOptions(values, cprops, timeoutMs);
  return { values, topic: values.topic, props, cprops, requestTimeoutMs, consumer, start, partition, maxMessages, timeoutMs };
}

/** --offset (earliest, latest or an offset), else --from-beginning's earliest, else latest. */
function startPosition(values: Values): StartPosition {
  const off = values.offset?.trim().toLowerCase();
  if (off === undefined) return values['from-beginning'] ? 'earliest' : 'latest';
  if (off === 'earliest' || off === 'latest') return off;
  if (/^\d+$/.test(off)) return BigInt(off);
  throw new UsageError(`The provided offset value '${values.offset}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.`);
}

/** The consumer's fetch configs; a fetch never waits longer than --timeout-ms. */
function consumerOptions(values: Values, cprops: Map<string, string>, timeoutMs: number | undefined): ConsumerOptions {
  const maxWait = intOption(cprops.get('fetch.max.wait.ms'), 'fetch.max.wait.ms') ?? 500;
  return {
    maxWaitMs: timeoutMs !== undefined ? Math.min(maxWait, timeoutMs) : maxWait,
    minBytes: intOption(cprops.get('fetch.min.bytes'), 'fetch.min.bytes'),
    maxBytes: intOption(cprops.get('fetch.max.bytes'), 'fetch.max.bytes', 1),
    maxPartitionBytes: intOption(cprops.get('max.partition.fetch.bytes'), 'max.partition.fetch.bytes', 1),
    isolationLevel: values['isolation-level'] === 'read_committed' ? 1 : 0,
    autoOffsetReset: values['from-beginning'] ? 'earliest' : 'latest',
  };
}

/** Assigns --partition (which must exist), or every partition of the topic. */
async function assignPartitions(cluster: Cluster, consumer: Consumer, args: CommandLine): Promise<void> {
  const { topic, partition, start } = args;
  if (partition !== undefined) {
    const info = await cluster.topic(topic);
    if (!info.partitions.some((p) => p.partition === partition)) throw new Error(`Partition ${partition} of topic ${topic} does not exist`);
    consumer.assign([{ topic, partition, start }]);
  } else {
    await consumer.assignTopics([topic], start);
  }
}

/** Prints batches until --max-messages, or until `stop` fires (Ctrl-C, or --timeout-ms without records). */
async function printRecords(consumer: Consumer, printer: RecordPrinter, stop: StopSignal): Promise<void> {
  stop.armIdle();
  for await (const part of consumer.batches({ signal: stop.signal })) {
    if (part.records.length === 0) continue;
    stop.armIdle();
    if (printer.print(part.records)) break;
  }
}

/** Aborts on SIGINT/SIGTERM, or when no record arrived for the idle timeout (if one is set). */
class StopSignal {
  private readonly controller = new AbortController();
  private readonly onSignal = (): void => this.controller.abort();
  private idle: NodeJS.Timeout | null = null;

  constructor(private readonly idleTimeoutMs: number | undefined) {
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Restarts the idle timeout: called when records arrive. */
  armIdle(): void {
    if (this.idleTimeoutMs === undefined) return;
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => this.controller.abort(), this.idleTimeoutMs);
  }

  close(): void {
    if (this.idle) clearTimeout(this.idle);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

/** Writes formatted records to stdout in chunks of about 64 KiB and counts them up to --max-messages. */
class RecordPrinter {
  count = 0;

  constructor(
    private readonly format: (r: ConsumerRecord) => string,
    private readonly maxMessages: number | undefined,
    private readonly io: ToolIO,
  ) {}

  /** Prints a partition's records; true when --max-messages is reached (the rest are not printed). */
  print(records: readonly ConsumerRecord[]): boolean {
    let out = '';
    for (const r of records) {
      out += this.format(r);
      this.count++;
      if (this.maxMessages !== undefined && this.count >= this.maxMessages) {
        this.io.stdout.write(out);
        return true;
      }
      if (out.length > 65536) {
        this.io.stdout.write(out);
        out = '';
      }
    }
    this.io.stdout.write(out);
    return false;
  }
}

const dec = new TextDecoder();

/** Kafka's DefaultMessageFormatter: [timestamp][partition][offset][headers][key] value, separated by key.separator. */
function formatter(props: Map<string, string>): (r: ConsumerRecord) => string {
  const printKey = boolProp(props.get('print.key'), false);
  const printValue = boolProp(props.get('print.value'), true);
  const printPartition = boolProp(props.get('print.partition'), false);
  const printOffset = boolProp(props.get('print.offset'), false);
  const printTimestamp = boolProp(props.get('print.timestamp'), false);
  const printHeaders = boolProp(props.get('print.headers'), false);
  const sep = unescape(props.get('key.separator') ?? '\t');
  const lineSep = unescape(props.get('line.separator') ?? '\n');
  const headersSep = unescape(props.get('headers.separator') ?? ',');
  const headerKeySep = unescape(props.get('headers.key.separator') ?? ':');
  const nullLiteral = props.get('null.literal') ?? 'null';
  const text = (b: Uint8Array | null) => (b === null ? nullLiteral : dec.decode(b));
  return (r) => {
    const parts: string[] = [];
    if (printTimestamp) parts.push(r.timestamp >= 0n ? `${r.timestampType}:${r.timestamp}` : 'NO_TIMESTAMP');
    if (printPartition) parts.push(`Partition:${r.partition}`);
    if (printOffset) parts.push(`Offset:${r.offset}`);
    if (printHeaders) parts.push(r.headers.length === 0 ? 'NO_HEADERS' : r.headers.map((h) => `${h.key}${headerKeySep}${text(h.value)}`).join(headersSep));
    if (printKey) parts.push(text(r.key));
    if (printValue) parts.push(text(r.value));
    return parts.join(sep) + (printValue || parts.length > 0 ? lineSep : '');
  };
}
