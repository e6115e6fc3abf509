// `rivulet topics` — Kafka's kafka-topics.sh: --create, --list, --describe, --delete, --alter.
// Output, messages and exit codes follow Kafka's TopicCommand (0 ok, 1 on errors).
import { parseArgs } from 'node:util';
import { joinNegativeValues } from './argv.js';
import { Admin, ConfigResourceType, ConfigSource, type TopicDescription } from '../client/admin.js';
import { KafkaProtocolError } from '../../client/errors.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { ZERO_UUID } from '../../protocol/wire/uuid.js';
import { commandLine, describeError, intOption, parseOrUsage, parseProps, processIO, UsageError, type ToolIO } from './client-tool.js';

const USAGE = `Usage: rivulet topics --bootstrap-server <host:port> <action> [options]

Actions (exactly one):
  --create                   Create a topic (--topic, --partitions, --replication-factor, --config).
  --list                     List topic names.
  --describe                 Describe topics (all, or --topic).
  --delete                   Delete --topic.
  --alter                    Raise the partition count of --topic to --partitions.

Options:
  --bootstrap-server <h:p>   Broker(s) to connect to (comma-separated). Required.
  --topic <name>             The topic.
  --partitions <n>           Partition count (create: default the broker's num.partitions).
  --replication-factor <n>   Replication factor (create: default the broker's default.replication.factor).
  --config <key=value>       Topic config on create (repeatable).
  --if-not-exists            With --create: no error if the topic exists.
  --if-exists                With --alter/--delete/--describe: no error if the topic is missing.
  --exclude-internal         Leave internal topics out of --list/--describe.
  --command-timeout <ms>     Request timeout (default 30000).
  -h, --help                 This help.
`;

const OPTIONS = {
    'bootstrap-server': { type: 'string' },
    create: { type: 'boolean' },
    list: { type: 'boolean' },
    describe: { type: 'boolean' },
    delete: { type: 'boolean' },
    alter: { type: 'boolean' },
    topic: { type: 'string' },
    partitions: { type: 'string' },
    'replication-factor': { type: 'string' },
    config: { type: 'string', multiple: true },
    'if-not-exists': { type: 'boolean' },
    'if-exists': { type: 'boolean' },
    'exclude-internal': { type: 'boolean' },
    'command-timeout': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;

const parse = (argv: string[]) => parseArgs({ args: joinNegativeValues(argv, OPTIONS), strict: true, allowPositionals: false, options: OPTIONS });
type Values = ReturnType<typeof parse>['values'];

export async function run(argv: string[], io: ToolIO = processIO()): Promise<number> {
  const values = commandLine(() => parseCommandLine(argv), USAGE, io);
  if (typeof values === 'number') return values;

  const timeout = intOption(values['command-timeout'], 'command-timeout', 1) ?? 30_000;
  const admin = new Admin({ bootstrapServers: values['bootstrap-server']!, clientId: 'rivulet-topics', requestTimeoutMs: timeout, retries: 2 }, { timeoutMs: timeout });
  try {
    if (values.create) return await createTopic(admin, values, io);
    if (values.list) return await listTopics(admin, values, io);
    if (values.describe) return await describeTopics(admin, values, io);
    if (values.delete) return await deleteTopic(admin, values);
    return await alterTopic(admin, values);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`${e.message}\n${USAGE}`);
      return 1;
    }
    io.stderr.write(`Error while executing topic command : ${e instanceof ToolError ? e.message : describeError(e)}\n`);
    return 1;
  } finally {
    await admin.close();
  }
}

/** Parses and checks the flags (exactly one action, and what it needs); 'help' when asked for. Throws UsageError. */
function parseCommandLine(argv: string[]): Values | 'help' {
  const { values } = parseOrUsage(() => parse(argv));
  if (values.help) return 'help';
  if (!values['bootstrap-server']) throw new UsageError('Missing required argument "[bootstrap-server]"');
  const actions = (['create', 'list', 'describe', 'delete', 'alter'] as const).filter((a) => values[a]);
  if (actions.length !== 1) throw new UsageError('Command must include exactly one action: --list, --describe, --create, --alter or --delete');
  if ((values.create || values.delete || values.alter) && !values.topic) throw new UsageError(`Missing required argument "[topic]"`);
  if (values.alter && values.partitions === undefined) throw new UsageError('Missing required argument "[partitions]"');
  intOption(values['command-timeout'], 'command-timeout', 1);
  return values;
}

class ToolError extends Error {}

async function createTopic(admin: Admin, values: Values, io: ToolIO): Promise<number> {
  const topic = values.topic!;
  const partitions = intOption(values.partitions, 'partitions', 1);
  const rf = intOption(values['replication-factor'], 'replication-factor', 1);
  const configs = Object.fromEntries(parseProps(values.config, '--config'));
  try {
    await admin.createTopics([{ name: topic, numPartitions: partitions ?? -1, replicationFactor: rf ?? -1, configs }]);
  } catch (e) {
    if (e instanceof KafkaProtocolError && e.type === 'TOPIC_ALREADY_EXISTS') {
      if (values['if-not-exists']) return 0;
      throw new ToolError(`Topic '${topic}' already exists.`);
    }
    throw e;
  }
  io.stdout.write(`Created topic ${topic}.\n`);
  return 0;
}

async function listTopics(admin: Admin, values: Values, io: ToolIO): Promise<number> {
  const topic = values.topic;
  const names = await admin.listTopics({ includeInternal: !values['exclude-internal'] });
  for (const n of names) if (!topic || n === topic) io.stdout.write(`${n}\n`);
  return 0;
}

async function describeTopics(admin: Admin, values: Values, io: ToolIO): Promise<number> {
  const topic = values.topic;
  let topics: TopicDescription[];
  if (topic) {
    topics = await admin.describeTopics([topic]).catch((e: unknown) => {
      if (e instanceof KafkaProtocolError && e.code === 3) {
        if (values['if-exists']) return [];
        throw new ToolError(`Topic '${topic}' does not exist as expected`);
      }
      throw e;
    });
  } else {
    topics = (await admin.describeTopics()).filter((t) => !(values['exclude-internal'] && t.isInternal));
  }
  const configs = await topicConfigs(admin, topics.map((t) => t.name));
  for (const t of topics) io.stdout.write(formatTopic(t, configs.get(t.name) ?? ''));
  return 0;
}

async function deleteTopic(admin: Admin, values: Values): Promise<number> {
  const topic = values.topic!;
  try {
    await admin.deleteTopics([topic]);
  } catch (e) {
    return missingTopic(e, topic, values['if-exists'] === true);
  }
  return 0;
}

/** --alter: raises the partition count to --partitions. */
async function alterTopic(admin: Admin, values: Values): Promise<number> {
  const topic = values.topic!;
  const count = intOption(values.partitions, 'partitions', 1)!;
  try {
    await admin.createPartitions([{ topic, count }]);
  } catch (e) {
    return missingTopic(e, topic, values['if-exists'] === true);
  }
  return 0;
}

/**
 * A failed delete or alter: a missing topic (UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID) exits 0 with
 * --if-exists and is Kafka's "does not exist" error otherwise; any other error is rethrown.
 */
function missingTopic(e: unknown, topic: string, ifExists: boolean): number {
  if (e instanceof KafkaProtocolError && (e.code === 3 || e.code === 100)) {
    if (ifExists) return 0;
    throw new ToolError(`Topic '${topic}' does not exist as expected`);
  }
  throw e;
}

/** Non-default topic configs (`k=v,k=v`) per topic, or '' when the broker has no DescribeConfigs. */
async function topicConfigs(admin: Admin, names: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (names.length === 0) return out;
  const conn = await admin.cluster.controllerConnection();
  if (!conn.supports(ApiKey.DescribeConfigs)) return out;
  const res = await admin.describeConfigs(names.map((name) => ({ type: ConfigResourceType.TOPIC, name })));
  for (const r of res) {
    // Like Kafka's TopicCommand: everything not at its default (topic overrides and broker-set values).
    const shown = r.configs.filter((c) => !c.isDefault && c.source !== ConfigSource.DEFAULT_CONFIG).sort((a, b) => a.name.localeCompare(b.name));
    out.set(r.name, shown.map((c) => `${c.name}=${c.isSensitive ? '<redacted>' : (c.value ?? 'null')}`).join(','));
  }
  return out;
}

/**
 * Kafka 3.9's describe layout: a topic line, then one tab-indented line per partition. ELR comes from
 * DescribeTopicPartitions, which we don't use (Metadata instead), so it shows N/A as Kafka's tool does then.
 */
function formatTopic(t: TopicDescription, configs: string): string {
  const rf = t.partitions[0]?.replicas.length ?? 0;
  const id = t.topicId !== ZERO_UUID ? `\tTopicId: ${t.topicId}` : '';
  let s = `Topic: ${t.name}${id}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${configs}\n`;
  for (const p of t.partitions) {
    s += `\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader < 0 ? 'none' : p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}`;
    s += '\tElr: N/A\tLastKnownElr: N/A\n';
  }
  return s;
}
