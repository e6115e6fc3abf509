// `rivulet topics` — Kafka's kafka-topics.sh: --create, --list, --describe, --delete, --alter.
// Output, messages and exit codes follow Kafka's TopicCommand (0 ok, 1 on errors).
import { parseArgs } from 'node:util';
import { joinNegativeValues } from './argv.js';
import { Admin, ConfigResourceType, ConfigSource, type ConfigEntry, type PartitionReassignment, type TopicDescription } from '../client/admin.js';
import type { PartitionInfo } from '../client/cluster.js';
import { KafkaProtocolError } from '../../client/errors.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { ZERO_UUID } from '../../protocol/wire/uuid.js';
import { commandLine, intOption, parseOrUsage, parseProps, processIO, runWithAdmin, ToolError, UsageError, type ToolIO } from './client-tool.js';

const USAGE = `Usage: rivulet topics --bootstrap-server <host:port> <action> [options]

Actions (exactly one):
  --create                   Create a topic (--topic, --partitions, --replication-factor, --config).
  --list                     List topic names.
  --describe                 Describe topics (all, or --topic).
  --delete                   Delete --topic.
  --alter                    Raise the partition count of --topic to --partitions.

Options:
  --bootstrap-server <h:p>   Broker(s) to connect to (comma-separated). Required.
  --command-config <file>    Client properties (security.protocol, ssl.*, sasl.*) for the broker connections.
  --topic <name>             The topic.
  --partitions <n>           Partition count (create: default the broker's num.partitions).
  --replication-factor <n>   Replication factor (create: default the broker's default.replication.factor).
  --config <key=value>       Topic config on create (repeatable).
  --if-not-exists            With --create: no error if the topic exists.
  --if-exists                With --alter/--delete/--describe: no error if the topic is missing.
  --exclude-internal         Leave internal topics out of --list/--describe.
  --under-replicated-partitions  With --describe: only partitions whose ISR is smaller than their replicas.
  --unavailable-partitions   With --describe: only partitions without a live leader.
  --under-min-isr-partitions With --describe: only partitions whose ISR is below min.insync.replicas.
  --at-min-isr-partitions    With --describe: only partitions whose ISR is exactly min.insync.replicas.
  --topics-with-overrides    With --describe: only topics with overridden configs (their topic lines).
  --command-timeout <ms>     Request timeout (default 30000).
  -h, --help                 This help.
`;

const OPTIONS = {
    'bootstrap-server': { type: 'string' },
    'command-config': { type: 'string' },
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
    'under-replicated-partitions': { type: 'boolean' },
    'unavailable-partitions': { type: 'boolean' },
    'under-min-isr-partitions': { type: 'boolean' },
    'at-min-isr-partitions': { type: 'boolean' },
    'topics-with-overrides': { type: 'boolean' },
    'command-timeout': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;

const parse = (argv: string[]) => parseArgs({ args: joinNegativeValues(argv, OPTIONS), strict: true, allowPositionals: false, options: OPTIONS });
type Values = ReturnType<typeof parse>['values'];

export async function run(argv: string[], io: ToolIO = processIO()): Promise<number> {
  const values = commandLine(() => parseCommandLine(argv), USAGE, io);
  if (typeof values === 'number') return values;

  return runWithAdmin(values, 'rivulet-topics', { usage: USAGE, io, errorPrefix: 'Error while executing topic command : ' }, async (admin) => {
    if (values.create) return createTopic(admin, values, io);
    if (values.list) return listTopics(admin, values, io);
    if (values.describe) return describeTopics(admin, values, io);
    if (values.delete) return deleteTopic(admin, values);
    return alterTopic(admin, values);
  });
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
  const describeOnly = [...REPORTS, 'topics-with-overrides' as const].find((o) => values[o]);
  if (describeOnly && !values.describe) throw new UsageError(`Option "[${describeOnly}]" can't be used with option "[${actions[0]}]"`);
  intOption(values['command-timeout'], 'command-timeout', 1);
  return values;
}


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
  const view: DescribeView = {
    configs: await topicConfigs(admin, topics.map((t) => t.name)),
    reassignments: await reassignmentsOf(admin, topics),
    liveBrokers: new Set((await admin.describeCluster()).brokers.map((b) => b.nodeId)),
    reports: REPORTS.filter((r) => values[r]),
    overridesOnly: values['topics-with-overrides'] === true,
  };
  for (const t of topics) io.stdout.write(describeTopic(t, view));
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

/** The --describe filters that pick partitions (Kafka's replication reports). */
const REPORTS = ['under-replicated-partitions', 'unavailable-partitions', 'under-min-isr-partitions', 'at-min-isr-partitions'] as const;
type Report = (typeof REPORTS)[number];

/** What --describe prints from besides Metadata: configs, reassignments in progress, live brokers, filters. */
interface DescribeView {
  configs: Map<string, ConfigEntry[]>;
  reassignments: Map<string, PartitionReassignment>;
  liveBrokers: Set<number>;
  reports: Report[];
  overridesOnly: boolean;
}

/** Each topic's configs (DescribeConfigs), or none when the broker has no DescribeConfigs. */
async function topicConfigs(admin: Admin, names: string[]): Promise<Map<string, ConfigEntry[]>> {
  const out = new Map<string, ConfigEntry[]>();
  if (names.length === 0) return out;
  const conn = await admin.cluster.controllerConnection();
  if (!conn.supports(ApiKey.DescribeConfigs)) return out;
  const res = await admin.describeConfigs(names.map((name) => ({ type: ConfigResourceType.TOPIC, name })));
  for (const r of res) out.set(r.name, r.configs);
  return out;
}

/** Reassignments in progress of these topics by "topic-partition" (none when the broker lacks ListPartitionReassignments). */
async function reassignmentsOf(admin: Admin, topics: TopicDescription[]): Promise<Map<string, PartitionReassignment>> {
  const out = new Map<string, PartitionReassignment>();
  if (topics.length === 0) return out;
  const conn = await admin.cluster.controllerConnection();
  if (!conn.supports(ApiKey.ListPartitionReassignments)) return out;
  const parts = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition })));
  for (const r of await admin.listPartitionReassignments(parts)) out.set(`${r.topic}-${r.partition}`, r);
  return out;
}

/** Like Kafka's TopicCommand: everything not at its default (topic overrides and broker-set values), `k=v,…`. */
function overriddenConfigs(configs: readonly ConfigEntry[]): string {
  const shown = configs.filter((c) => !c.isDefault && c.source !== ConfigSource.DEFAULT_CONFIG).sort((a, b) => a.name.localeCompare(b.name));
  return shown.map((c) => `${c.name}=${c.isSensitive ? '<redacted>' : (c.value ?? 'null')}`).join(',');
}

/** min.insync.replicas of a topic (1, the default, when the broker did not say). */
function minIsr(configs: readonly ConfigEntry[]): number {
  const v = Number(configs.find((c) => c.name === 'min.insync.replicas')?.value);
  return Number.isInteger(v) && v > 0 ? v : 1;
}

/**
 * Kafka 3.9's describe layout: a topic line (left out when a report filter is on), then one tab-indented
 * line per partition (only those a filter picks, when one is on). ELR comes from DescribeTopicPartitions,
 * which we don't use (Metadata instead), so it shows N/A as Kafka's tool does then.
 */
function describeTopic(t: TopicDescription, view: DescribeView): string {
  const configs = view.configs.get(t.name) ?? [];
  const overrides = overriddenConfigs(configs);
  if (view.overridesOnly && overrides === '') return '';
  let s = '';
  if (view.reports.length === 0) {
    const first = t.partitions[0];
    const rf = first ? replicationFactor(first, view.reassignments.get(`${t.name}-${first.partition}`)) : 0;
    const id = t.topicId !== ZERO_UUID ? `\tTopicId: ${t.topicId}` : '';
    s += `Topic: ${t.name}${id}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${overrides}\n`;
  }
  if (view.overridesOnly) return s;
  for (const p of t.partitions) {
    const reassignment = view.reassignments.get(`${t.name}-${p.partition}`);
    if (view.reports.length > 0 && !view.reports.some((r) => reported(r, p, reassignment, minIsr(configs), view.liveBrokers))) continue;
    s += partitionLine(t.name, p, reassignment);
  }
  return s;
}

/** Replicas not counting those a reassignment is adding (Kafka's replication factor of a moving partition). */
function replicationFactor(p: PartitionInfo, reassignment: PartitionReassignment | undefined): number {
  return p.replicas.length - (reassignment?.addingReplicas.length ?? 0);
}

function reported(r: Report, p: PartitionInfo, reassignment: PartitionReassignment | undefined, minIsrCount: number, live: Set<number>): boolean {
  switch (r) {
    case 'under-replicated-partitions':
      return replicationFactor(p, reassignment) > p.isr.length;
    case 'unavailable-partitions':
      return p.leader < 0 || !live.has(p.leader);
    case 'under-min-isr-partitions':
      return p.leader < 0 || p.isr.length < minIsrCount;
    case 'at-min-isr-partitions':
      return p.isr.length === minIsrCount;
  }
}

function partitionLine(topic: string, p: PartitionInfo, reassignment: PartitionReassignment | undefined): string {
  let s = `\tTopic: ${topic}\tPartition: ${p.partition}\tLeader: ${p.leader < 0 ? 'none' : p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}`;
  if (reassignment) s += `\tAdding Replicas: ${reassignment.addingReplicas.join(',')}\tRemoving Replicas: ${reassignment.removingReplicas.join(',')}`;
  return `${s}\tElr: N/A\tLastKnownElr: N/A\n`;
}
