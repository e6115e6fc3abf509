// `rivulet produce` — Kafka's kafka-console-producer.sh: one record per stdin line; flushes and exits 0
// at end of input (1 if any record could not be sent).
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { joinNegativeValues } from './argv.js';
import { Cluster } from '../client/cluster.js';
import { Producer, type ProducerOptions } from '../client/producer.js';
import type { CompressionName } from '../client/compression.js';
import { boolProp, commandLine, describeError, intOption, parseOrUsage, parseProps, processIO, toolSecurity, unescape, UsageError, type ToolIO } from './client-tool.js';
import type { ClientSecurityOptions } from '../client/security.js';

const USAGE = `Usage: rivulet produce --bootstrap-server <host:port> --topic <topic> [options]

Reads records from standard input, one per line, and sends them to the topic.

Options:
  --bootstrap-server <h:p>        Broker(s) to connect to (comma-separated). Required.
  --command-config <file>         Client properties (security.protocol, ssl.*, sasl.*) for the broker connections.
  --topic <name>                  Topic to produce to. Required.
  --property <key=value>          Line reader properties (repeatable):
                                    parse.key=true|false (default false)
                                    key.separator=<s> (default tab)
                                    ignore.error=true|false (lines without separator: whole line as value)
                                    null.marker=<s> (a key/value equal to it is sent as null)
  --producer-property <key=value> Producer configs (repeatable): acks, linger.ms, batch.size,
                                  compression.type, retries, retry.backoff.ms, request.timeout.ms,
                                  max.request.size, client.id
  --request-required-acks <n>     acks (default -1 = all).
  --compression-codec <codec>     none | gzip | snappy | lz4 | zstd (default none).
  --batch-size <n>                Records per batch (Kafka's console producer flag; sets batch.size in bytes ×1024).
  --timeout <ms>                  linger.ms (default 1000 like Kafka's console producer; 0 with --sync).
  --sync                          Send each record and wait for its acknowledgement.
  -h, --help                      This help.
`;

const KNOWN_PRODUCER_PROPS = new Set(['acks', 'linger.ms', 'batch.size', 'compression.type', 'retries', 'retry.backoff.ms', 'request.timeout.ms', 'max.request.size', 'client.id', 'bootstrap.servers']);

const OPTIONS = {
  'bootstrap-server': { type: 'string' },
  'command-config': { type: 'string' },
  'broker-list': { type: 'string' },
  topic: { type: 'string' },
  property: { type: 'string', multiple: true },
  'producer-property': { type: 'string', multiple: true },
  'request-required-acks': { type: 'string' },
  'compression-codec': { type: 'string' },
  'batch-size': { type: 'string' },
  timeout: { type: 'string' },
  sync: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const parse = (argv: string[]) => parseArgs({ args: joinNegativeValues(argv, OPTIONS), strict: true, allowPositionals: false, options: OPTIONS });
type Values = ReturnType<typeof parse>['values'];

/** The command line: flags, line reader properties (--property) and producer configs (--producer-property). */
interface CommandLine {
  values: Values;
  props: Map<string, string>;
  pprops: Map<string, string>;
}

export async function run(argv: string[], io: ToolIO = processIO()): Promise<number> {
  const args = commandLine(() => parseCommandLine(argv), USAGE, io);
  if (typeof args === 'number') return args;
  const { values, props, pprops } = args;
  for (const k of pprops.keys()) if (!KNOWN_PRODUCER_PROPS.has(k)) io.stderr.write(`WARN The configuration '${k}' was supplied but isn't a known config.\n`);
  let config: ProducerConfig;
  let security: ClientSecurityOptions | undefined;
  try {
    config = producerConfig(values, pprops);
    security = toolSecurity(values);
  } catch (e) {
    io.stderr.write(`${(e as Error).message}\n`);
    return 1;
  }
  const reader = new LineReader(props);
  const cluster = new Cluster({
    bootstrapServers: values['bootstrap-server'] ?? values['broker-list']!,
    clientId: pprops.get('client.id') ?? 'rivulet-console-producer',
    requestTimeoutMs: config.requestTimeoutMs,
    security,
  });
  let producer: Producer;
  try {
    producer = new Producer(cluster, config.options);
  } catch (e) {
    io.stderr.write(`${describeError(e)}\n`);
    await cluster.close();
    return 1;
  }
  try {
    const failures = await produceLines(producer, reader, values.topic!, values.sync === true, io);
    return failures > 0 ? 1 : 0;
  } finally {
    await producer.close().catch(() => undefined);
    await cluster.close();
  }
}

/** Parses and checks the flags; 'help' when the usage was asked for. Throws UsageError. */
function parseCommandLine(argv: string[]): CommandLine | 'help' {
  const { values } = parseOrUsage(() => parse(argv));
  if (values.help) return 'help';
  if (!values['bootstrap-server'] && !values['broker-list']) throw new UsageError('Missing required argument "[bootstrap-server]"');
  if (!values.topic) throw new UsageError('Missing required argument "[topic]"');
  const props = parseProps(values.property, '--property');
  const pprops = parseProps(values['producer-property'], '--producer-property');
  return { values, props, pprops };
}

interface ProducerConfig {
  options: ProducerOptions;
  requestTimeoutMs: number | undefined;
}

/** The producer's configs: --producer-property keys win over the console producer's own flags. */
function producerConfig(values: Values, pprops: Map<string, string>): ProducerConfig {
  const acksText = pprops.get('acks') ?? values['request-required-acks'] ?? '-1';
  const acks = acksText === 'all' ? -1 : Number(acksText);
  if (acks !== 0 && acks !== 1 && acks !== -1) throw new UsageError(`Invalid value '${acksText}' for acks: expected all, -1, 0 or 1`);
  const batchRecords = intOption(values['batch-size'], 'batch-size', 1);
  const options: ProducerOptions = {
    acks,
    lingerMs: intOption(pprops.get('linger.ms') ?? values.timeout, 'linger.ms') ?? (values.sync ? 0 : 1000),
    batchSize: intOption(pprops.get('batch.size'), 'batch.size', 1) ?? (batchRecords !== undefined ? batchRecords * 1024 : 16384),
    compression: (pprops.get('compression.type') ?? values['compression-codec'] ?? 'none') as CompressionName,
    retries: intOption(pprops.get('retries'), 'retries'),
    retryBackoffMs: intOption(pprops.get('retry.backoff.ms'), 'retry.backoff.ms'),
    maxRequestSize: intOption(pprops.get('max.request.size'), 'max.request.size', 1),
  };
  return { options, requestTimeoutMs: intOption(pprops.get('request.timeout.ms'), 'request.timeout.ms', 1) };
}

/**
 * Kafka's LineMessageReader: splits a line into key and value (parse.key, key.separator, ignore.error)
 * and maps null.marker to null. `read` leaves the result in `key` and `value`.
 */
class LineReader {
  key: string | null = null;
  value: string | null = null;
  private readonly parseKey: boolean;
  private readonly separator: string;
  private readonly ignoreError: boolean;
  private readonly nullMarker: string | undefined;

  constructor(props: Map<string, string>) {
    this.parseKey = boolProp(props.get('parse.key'), false);
    this.separator = unescape(props.get('key.separator') ?? '\t');
    this.ignoreError = boolProp(props.get('ignore.error'), false);
    this.nullMarker = props.get('null.marker');
  }

  /** False when the line has no key separator and ignore.error is off. */
  read(line: string): boolean {
    this.key = null;
    this.value = line;
    if (this.parseKey) {
      const at = line.indexOf(this.separator);
      if (at < 0) {
        if (!this.ignoreError) return false;
      } else {
        this.key = this.orNull(line.slice(0, at));
        this.value = line.slice(at + this.separator.length);
      }
    }
    this.value = this.value === null ? null : this.orNull(this.value);
    return true;
  }

  private orNull(s: string): string | null {
    return this.nullMarker !== undefined && s === this.nullMarker ? null : s;
  }
}

/**
 * Sends one record per stdin line (each acknowledged before the next with `sync`), then flushes and
 * waits for every send. Returns the number of failures: failed sends, a line without a key separator
 * (which stops reading), or an error while reading or flushing.
 */
async function produceLines(producer: Producer, reader: LineReader, topic: string, sync: boolean, io: ToolIO): Promise<number> {
  let failures = 0;
  let lineNo = 0;
  const outstanding = new Set<Promise<unknown>>();
  try {
    const lines = createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
    for await (const line of lines) {
      lineNo++;
      if (!reader.read(line)) {
        io.stderr.write(`ERROR No key separator found on line number ${lineNo}: '${line}'\n`);
        failures++;
        break;
      }
      const { key, value } = reader;
      const p = producer.send({ topic, key, value }).then(
        () => undefined,
        (e: unknown) => {
          failures++;
          io.stderr.write(`ERROR Error when sending message to topic ${topic} with key: ${sizeText(key)}, value: ${sizeText(value)} with error: ${describeError(e)}\n`);
        },
      );
      if (sync) await p;
      else {
        outstanding.add(p);
        void p.finally(() => outstanding.delete(p));
      }
    }
    await producer.flush();
    await Promise.all(outstanding);
  } catch (e) {
    io.stderr.write(`ERROR ${describeError(e)}\n`);
    failures++;
  }
  return failures;
}

const sizeText = (s: string | null): string => (s === null ? 'null' : `${Buffer.byteLength(s)} bytes`);
