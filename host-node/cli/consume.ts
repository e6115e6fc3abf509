// `rivulet consume` — Kafka's kafka-console-consumer.sh without consumer groups (for now): reads one
// partition (--partition) or all partitions of the topic, printing records like Kafka's
// DefaultMessageFormatter. Ends on --max-messages, --timeout-ms without records, or Ctrl-C, then prints
// "Processed a total of N messages" to stderr and exits 0.
import { parseArgs } from 'node:util';
import { Cluster } from '../client/cluster.js';
import { Consumer, type ConsumerRecord, type StartPosition } from '../client/consumer.js';
import { boolProp, describeError, intOption, parseOrUsage, parseProps, processIO, unescape, UsageError, type ToolIO } from './client-tool.js';

const USAGE = `Usage: rivulet consume --bootstrap-server <host:port> --topic <topic> [options]

Prints the records of a topic (all partitions, or --partition) to standard output.

Options:
  --bootstrap-server <h:p>        Broker(s) to connect to (comma-separated). Required.
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
  --group <id>                    Not supported yet (consumer groups come later).
  -h, --help                      This help.
`;

export async function run(argv: string[], io: ToolIO = processIO()): Promise<number> {
  let values;
  let props: Map<string, string>;
  let cprops: Map<string, string>;
  let start: StartPosition;
  let partition: number | undefined;
  let maxMessages: number | undefined;
  let timeoutMs: number | undefined;
  try {
    ({ values } = parseOrUsage(() =>
      parseArgs({
        args: argv,
        strict: true,
        allowPositionals: false,
        options: {
          'bootstrap-server': { type: 'string' },
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
        },
      }),
    ));
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    if (!values['bootstrap-server']) throw new UsageError('Missing required argument "[bootstrap-server]"');
    if (!values.topic) throw new UsageError('Exactly one of whitelist/topic is required.');
    if (values.group) throw new UsageError('--group is not supported by rivulet consume: it reads partitions directly (use --partition, or read all partitions; kcat -G joins a group).');
    partition = intOption(values.partition, 'partition');
    if (values.offset !== undefined && partition === undefined) throw new UsageError('The partition is required when offset is specified.');
    if (values.offset !== undefined && values['from-beginning']) throw new UsageError("Options from-beginning and offset cannot be specified together.");
    const off = values.offset?.trim().toLowerCase();
    if (off === undefined) start = values['from-beginning'] ? 'earliest' : 'latest';
    else if (off === 'earliest' || off === 'latest') start = off;
    else if (/^\d+$/.test(off)) start = BigInt(off);
    else throw new UsageError(`The provided offset value '${values.offset}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.`);
    maxMessages = intOption(values['max-messages'], 'max-messages', 1);
    timeoutMs = intOption(values['timeout-ms'], 'timeout-ms', 1);
    props = parseProps(values.property, '--property');
    cprops = parseProps(values['consumer-property'], '--consumer-property');
    const il = values['isolation-level'];
    if (il !== undefined && il !== 'read_committed' && il !== 'read_uncommitted') throw new UsageError(`Invalid isolation level '${il}'`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`${e.message}\n${USAGE}`);
    return 1;
  }

  const format = formatter(props);
  const cluster = new Cluster({
    bootstrapServers: values['bootstrap-server'],
    clientId: cprops.get('client.id') ?? 'rivulet-console-consumer',
    requestTimeoutMs: intOption(cprops.get('request.timeout.ms'), 'request.timeout.ms', 1),
  });
  const maxWait = intOption(cprops.get('fetch.max.wait.ms'), 'fetch.max.wait.ms') ?? 500;
  const consumer = new Consumer(cluster, {
    maxWaitMs: timeoutMs !== undefined ? Math.min(maxWait, timeoutMs) : maxWait,
    minBytes: intOption(cprops.get('fetch.min.bytes'), 'fetch.min.bytes'),
    maxBytes: intOption(cprops.get('fetch.max.bytes'), 'fetch.max.bytes', 1),
    maxPartitionBytes: intOption(cprops.get('max.partition.fetch.bytes'), 'max.partition.fetch.bytes', 1),
    isolationLevel: values['isolation-level'] === 'read_committed' ? 1 : 0,
    autoOffsetReset: values['from-beginning'] ? 'earliest' : 'latest',
  });

  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let idle: NodeJS.Timeout | null = null;
  const armIdle = () => {
    if (timeoutMs === undefined) return;
    if (idle) clearTimeout(idle);
    idle = setTimeout(() => ac.abort(), timeoutMs);
  };
  let count = 0;
  let code = 0;
  try {
    const topic = values.topic;
    if (partition !== undefined) {
      const info = await cluster.topic(topic);
      if (!info.partitions.some((p) => p.partition === partition)) throw new Error(`Partition ${partition} of topic ${topic} does not exist`);
      consumer.assign([{ topic, partition, start }]);
    } else {
      await consumer.assignTopics([topic], start);
    }
    armIdle();
    outer: for await (const part of consumer.batches({ signal: ac.signal })) {
      if (part.records.length === 0) continue;
      armIdle();
      let out = '';
      for (const r of part.records) {
        out += format(r);
        count++;
        if (maxMessages !== undefined && count >= maxMessages) {
          io.stdout.write(out);
          break outer;
        }
        if (out.length > 65536) {
          io.stdout.write(out);
          out = '';
        }
      }
      io.stdout.write(out);
    }
  } catch (e) {
    io.stderr.write(`ERROR Error processing message, terminating consumer process: ${describeError(e)}\n`);
    code = 1;
  } finally {
    if (idle) clearTimeout(idle);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await consumer.close();
    await cluster.close();
  }
  io.stderr.write(`Processed a total of ${count} messages\n`);
  return code;
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
