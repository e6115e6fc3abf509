// `rivulet produce` — Kafka's kafka-console-producer.sh: one record per stdin line; flushes and exits 0
// at end of input (1 if any record could not be sent).
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Cluster } from '../client/cluster.js';
import { Producer, type ProducerOptions } from '../client/producer.js';
import type { CompressionName } from '../client/compression.js';
import { boolProp, describeError, intOption, parseOrUsage, parseProps, processIO, unescape, UsageError, type ToolIO } from './client-tool.js';

const USAGE = `Usage: rivulet produce --bootstrap-server <host:port> --topic <topic> [options]

Reads records from standard input, one per line, and sends them to the topic.

Options:
  --bootstrap-server <h:p>        Broker(s) to connect to (comma-separated). Required.
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
  --compression-codec <codec>     none | gzip (snappy, lz4, zstd once a codec is registered).
  --batch-size <n>                Records per batch (Kafka's console producer flag; sets batch.size in bytes ×1024).
  --timeout <ms>                  linger.ms (default 1000 like Kafka's console producer; 0 with --sync).
  --sync                          Send each record and wait for its acknowledgement.
  -h, --help                      This help.
`;

const KNOWN_PRODUCER_PROPS = new Set(['acks', 'linger.ms', 'batch.size', 'compression.type', 'retries', 'retry.backoff.ms', 'request.timeout.ms', 'max.request.size', 'client.id', 'bootstrap.servers']);

export async function run(argv: string[], io: ToolIO = processIO()): Promise<number> {
  let values;
  let props: Map<string, string>;
  let pprops: Map<string, string>;
  try {
    ({ values } = parseOrUsage(() =>
      parseArgs({
        args: argv,
        strict: true,
        allowPositionals: false,
        options: {
          'bootstrap-server': { type: 'string' },
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
        },
      }),
    ));
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    if (!values['bootstrap-server'] && !values['broker-list']) throw new UsageError('Missing required argument "[bootstrap-server]"');
    if (!values.topic) throw new UsageError('Missing required argument "[topic]"');
    props = parseProps(values.property, '--property');
    pprops = parseProps(values['producer-property'], '--producer-property');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`${e.message}\n${USAGE}`);
    return 1;
  }

  for (const k of pprops.keys()) if (!KNOWN_PRODUCER_PROPS.has(k)) io.stderr.write(`WARN The configuration '${k}' was supplied but isn't a known config.\n`);
  let options: ProducerOptions;
  let requestTimeoutMs: number | undefined;
  try {
    const acksText = pprops.get('acks') ?? values['request-required-acks'] ?? '-1';
    const acks = acksText === 'all' ? -1 : Number(acksText);
    if (acks !== 0 && acks !== 1 && acks !== -1) throw new UsageError(`Invalid value '${acksText}' for acks: expected all, -1, 0 or 1`);
    const batchRecords = intOption(values['batch-size'], 'batch-size', 1);
    options = {
      acks,
      lingerMs: intOption(pprops.get('linger.ms') ?? values.timeout, 'linger.ms') ?? (values.sync ? 0 : 1000),
      batchSize: intOption(pprops.get('batch.size'), 'batch.size', 1) ?? (batchRecords !== undefined ? batchRecords * 1024 : 16384),
      compression: (pprops.get('compression.type') ?? values['compression-codec'] ?? 'none') as CompressionName,
      retries: intOption(pprops.get('retries'), 'retries'),
      retryBackoffMs: intOption(pprops.get('retry.backoff.ms'), 'retry.backoff.ms'),
      maxRequestSize: intOption(pprops.get('max.request.size'), 'max.request.size', 1),
    };
    requestTimeoutMs = intOption(pprops.get('request.timeout.ms'), 'request.timeout.ms', 1);
  } catch (e) {
    io.stderr.write(`${(e as Error).message}\n`);
    return 1;
  }

  const topic = values.topic;
  const parseKey = boolProp(props.get('parse.key'), false);
  const separator = unescape(props.get('key.separator') ?? '\t');
  const ignoreError = boolProp(props.get('ignore.error'), false);
  const nullMarker = props.get('null.marker');
  const asValue = (s: string): string | null => (nullMarker !== undefined && s === nullMarker ? null : s);

  const cluster = new Cluster({
    bootstrapServers: values['bootstrap-server'] ?? values['broker-list']!,
    clientId: pprops.get('client.id') ?? 'rivulet-console-producer',
    requestTimeoutMs,
  });
  let producer: Producer;
  try {
    producer = new Producer(cluster, options);
  } catch (e) {
    io.stderr.write(`${describeError(e)}\n`);
    await cluster.close();
    return 1;
  }
  let failures = 0;
  let lineNo = 0;
  const outstanding = new Set<Promise<unknown>>();
  try {
    const lines = createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
    for await (const line of lines) {
      lineNo++;
      let key: string | null = null;
      let value: string | null = line;
      if (parseKey) {
        const at = line.indexOf(separator);
        if (at < 0) {
          if (!ignoreError) {
            io.stderr.write(`ERROR No key separator found on line number ${lineNo}: '${line}'\n`);
            failures++;
            break;
          }
        } else {
          key = asValue(line.slice(0, at));
          value = line.slice(at + separator.length);
        }
      }
      value = value === null ? null : asValue(value);
      const p = producer.send({ topic, key, value }).then(
        () => undefined,
        (e: unknown) => {
          failures++;
          io.stderr.write(`ERROR Error when sending message to topic ${topic} with key: ${key === null ? 'null' : `${Buffer.byteLength(key)} bytes`}, value: ${value === null ? 'null' : `${Buffer.byteLength(value)} bytes`} with error: ${describeError(e)}\n`);
        },
      );
      if (values.sync) await p;
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
  } finally {
    await producer.close().catch(() => undefined);
    await cluster.close();
  }
  return failures > 0 ? 1 : 0;
}
