// `rivulet reassign-partitions` — Kafka's kafka-reassign-partitions.sh over AlterPartitionReassignments and
// ListPartitionReassignments: --generate a plan, --execute it, --verify its progress, --cancel it, --list
// what moves now. JSON files and output follow Kafka's ReassignPartitionsCommand (exit 0 ok, 1 on errors).
import { parseArgs } from 'node:util';
import { joinNegativeValues } from './argv.js';
import { Admin, type PartitionOutcome, type PartitionReassignment, type TopicDescription } from '../client/admin.js';
import type { TopicPartition } from '../client/consumer.js';
import { KafkaProtocolError } from '../../client/errors.js';
import { commandLine, intOption, parseOrUsage, processIO, runWithAdmin, ToolError, UsageError, type ToolIO } from './client-tool.js';
import { byTopicPartition, readReassignmentFile, readTopicsFile, reassignmentJson, type PartitionTarget } from './partition-json.js';
import { generateAssignment, ReassignmentCommandError } from '../controller/reassignment-json.js';
import { AssignmentError } from '../controller/assignment-error.js';

const USAGE = `Usage: rivulet reassign-partitions --bootstrap-server <host:port> <action> [options]

Moves partition replicas between brokers (like kafka-reassign-partitions.sh).

Actions (exactly one):
  --generate                        Propose a plan moving the topics of --topics-to-move-json-file onto --broker-list.
  --execute                         Start the reassignments of --reassignment-json-file.
  --verify                          Report the progress of the reassignments of --reassignment-json-file.
  --cancel                          Cancel the reassignments of --reassignment-json-file still in progress.
  --list                            List the reassignments in progress.

Options:
  --bootstrap-server <h:p>          Broker(s) to connect to (comma-separated). Required.
  --command-config <file>           Client properties (security.protocol, ssl.*, sasl.*) for the broker connections.
  --reassignment-json-file <file>   {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any","any"]}]}
  --topics-to-move-json-file <file> {"version":1,"topics":[{"topic":"t"}]} (with --generate).
  --broker-list <ids>               Target brokers, e.g. 1,2,3 (with --generate).
  --disable-rack-aware              With --generate: spread replicas without the brokers' racks.
  --additional                      With --execute: start even while other reassignments run.
  --throttle <bytes/s>              Accepted but not applied: Rivulet does not throttle replication.
  --preserve-throttles              Accepted (there are no throttles to clear).
  --command-timeout <ms>            Request timeout (default 30000).
  -h, --help                        This help.
`;

const OPTIONS = {
  'bootstrap-server': { type: 'string' },
  'command-config': { type: 'string' },
  generate: { type: 'boolean' },
  execute: { type: 'boolean' },
  verify: { type: 'boolean' },
  cancel: { type: 'boolean' },
  list: { type: 'boolean' },
  'reassignment-json-file': { type: 'string' },
  'topics-to-move-json-file': { type: 'string' },
  'broker-list': { type: 'string' },
  'disable-rack-aware': { type: 'boolean' },
  additional: { type: 'boolean' },
  throttle: { type: 'string' },
  'preserve-throttles': { type: 'boolean' },
  'command-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const parse = (argv: string[]) => parseArgs({ args: joinNegativeValues(argv, OPTIONS), strict: true, allowPositionals: false, options: OPTIONS });
type Values = ReturnType<typeof parse>['values'];
const ACTIONS = ['generate', 'execute', 'verify', 'cancel', 'list'] as const;

export async function run(argv: string[], io: ToolIO = processIO()): Promise<number> {
  const values = commandLine(() => parseCommandLine(argv), USAGE, io);
  if (typeof values === 'number') return values;
  return runWithAdmin(values, 'rivulet-reassign-partitions', { usage: USAGE, io, errorPrefix: 'Error: ' }, async (admin) => {
    if (values.generate) return generate(admin, values, io);
    if (values.execute) return execute(admin, values, io);
    if (values.verify) return verify(admin, values, io);
    if (values.cancel) return cancel(admin, values, io);
    return list(admin, io);
  });
}

/** Parses and checks the flags (exactly one action, and the files it needs); 'help' when asked for. Throws UsageError. */
function parseCommandLine(argv: string[]): Values | 'help' {
  const { values } = parseOrUsage(() => parse(argv));
  if (values.help) return 'help';
  if (!values['bootstrap-server']) throw new UsageError('Missing required argument "[bootstrap-server]"');
  if (ACTIONS.filter((a) => values[a]).length !== 1) throw new UsageError('Command must include exactly one action: --generate, --execute, --verify, --cancel, or --list');
  if (values.generate && (values['topics-to-move-json-file'] === undefined || values['broker-list'] === undefined))
    throw new UsageError('Command must include both --topics-to-move-json-file and --broker-list with --generate');
  if ((values.execute || values.verify || values.cancel) && values['reassignment-json-file'] === undefined)
    throw new UsageError('Missing required argument "[reassignment-json-file]"');
  if (values.throttle !== undefined) intOption(values.throttle, 'throttle');
  intOption(values['command-timeout'], 'command-timeout', 1);
  return values;
}

const label = (p: TopicPartition) => `${p.topic}-${p.partition}`;

/** The broker ids of --broker-list: comma-separated non-negative integers, no repeats. */
function brokerList(text: string): number[] {
  const ids = text.split(',').map((s) => s.trim());
  if (ids.some((s) => !/^\d+$/.test(s))) throw new ToolError(`Invalid --broker-list '${text}': expected broker ids like 1,2,3`);
  const nums = ids.map(Number);
  const dup = nums.filter((n, i) => nums.indexOf(n) !== i);
  if (dup.length > 0) throw new ToolError(`Duplicate broker ids in --broker-list: ${[...new Set(dup)].join(',')}`);
  return nums;
}

/** Throws Kafka's "Unknown broker id" for the first id the cluster does not have. */
async function checkBrokers(admin: Admin, ids: Iterable<number>): Promise<void> {
  const known = new Set((await admin.describeCluster()).brokers.map((b) => b.nodeId));
  for (const id of ids) if (!known.has(id)) throw new ToolError(`Unknown broker id ${id}`);
}

/** The topics' current assignment; a missing topic is Kafka's "Topic … not found." */
async function describe(admin: Admin, names: readonly string[]): Promise<Map<string, TopicDescription>> {
  const all = new Map((await admin.describeTopics()).map((t) => [t.name, t]));
  for (const n of names) if (!all.has(n)) throw new ToolError(`Topic ${n} not found.`);
  return all;
}

/** Current replica lists of the targets' partitions; a missing partition is an error. */
function currentAssignment(topics: Map<string, TopicDescription>, targets: readonly TopicPartition[]): PartitionTarget[] {
  return targets.map((t) => {
    const p = topics.get(t.topic)?.partitions.find((x) => x.partition === t.partition);
    if (!p) throw new ToolError(`Unable to find partition: ${label(t)}`);
    return { topic: t.topic, partition: t.partition, replicas: p.replicas };
  });
}

/**
 * Kafka's --generate: every topic re-spread over --broker-list with the controller's assignment rules,
 * rack-aware with the racks the brokers registered (unless --disable-rack-aware), keeping its replication factor.
 */
async function generate(admin: Admin, values: Values, io: ToolIO): Promise<number> {
  const names = readTopicsFile(values['topics-to-move-json-file']!);
  const brokers = brokerList(values['broker-list']!);
  const cluster = await admin.describeCluster();
  const racks = new Map(cluster.brokers.map((b) => [b.nodeId, b.rack] as const));
  for (const id of brokers) if (!racks.has(id)) throw new ToolError(`Unknown broker id ${id}`);
  const topics = await describe(admin, names);
  const current = new Map([...names].sort().map((n) => [n, [...topics.get(n)!.partitions].sort((a, b) => a.partition - b.partition).map((p) => p.replicas)] as const));
  try {
    io.stdout.write(generateAssignment(current, brokers, racks, { rackAware: !values['disable-rack-aware'] }).text);
  } catch (e) {
    if (e instanceof AssignmentError || e instanceof ReassignmentCommandError) throw new ToolError(e.message);
    throw e;
  }
  return 0;
}

async function execute(admin: Admin, values: Values, io: ToolIO): Promise<number> {
  const targets = readReassignmentFile(values['reassignment-json-file']!);
  if (!values.additional && (await admin.listPartitionReassignments()).length > 0)
    throw new ToolError('Cannot execute because there is an existing partition assignment. Use --additional to override this and create a new partition assignment in addition to the existing one.');
  await checkBrokers(admin, new Set(targets.flatMap((t) => t.replicas)));
  const current = currentAssignment(await describe(admin, [...new Set(targets.map((t) => t.topic))]), targets).sort(byTopicPartition);
  io.stdout.write(`Current partition replica assignment\n\n${reassignmentJson(current)}\n\nSave this to use as the --reassignment-json-file option during rollback\n`);
  if (values.throttle !== undefined) io.stderr.write('Warning: --throttle is not applied: Rivulet does not throttle replication traffic.\n');
  const outcomes = await admin.alterPartitionReassignments(targets);
  const failed = outcomes.filter((o) => o.errorCode !== 0).sort(byTopicPartition);
  if (failed.length > 0) throw new ToolError(`Error reassigning partition(s):\n${failed.map(outcomeLine).join('\n')}`);
  io.stdout.write(`Successfully started partition reassignments for ${[...targets].sort(byTopicPartition).map(label).join(',')}\n`);
  return 0;
}

function outcomeLine(o: PartitionOutcome): string {
  return `${label(o)}: ${new KafkaProtocolError(o.errorCode, undefined, o.errorMessage).message}`;
}

/** Kafka's status lines: in progress (listed as ongoing), completed (replicas = target), or neither. */
async function verify(admin: Admin, values: Values, io: ToolIO): Promise<number> {
  const targets = readReassignmentFile(values['reassignment-json-file']!).sort(byTopicPartition);
  const ongoing = new Set((await admin.listPartitionReassignments()).map(label));
  const topics = new Map((await admin.describeTopics()).map((t) => [t.name, t]));
  const lines = ['Status of partition reassignment:'];
  for (const t of targets) {
    if (ongoing.has(label(t))) {
      lines.push(`Reassignment of partition ${label(t)} is still in progress.`);
      continue;
    }
    const current = topics.get(t.topic)?.partitions.find((p) => p.partition === t.partition)?.replicas ?? [];
    if (current.join(',') === t.replicas.join(',')) lines.push(`Reassignment of partition ${label(t)} is completed.`);
    else lines.push(`There is no active reassignment of partition ${label(t)}, but replica set is ${current.join(',')} rather than ${t.replicas.join(',')}.`);
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** Cancels the file's partitions that are still being reassigned. */
async function cancel(admin: Admin, values: Values, io: ToolIO): Promise<number> {
  const targets = readReassignmentFile(values['reassignment-json-file']!);
  const active = (await admin.listPartitionReassignments(targets.map((t) => ({ topic: t.topic, partition: t.partition })))).sort(byTopicPartition);
  if (active.length === 0) {
    io.stdout.write('None of the specified partition reassignments are active.\n');
    return 0;
  }
  const outcomes = await admin.alterPartitionReassignments(active.map((a) => ({ topic: a.topic, partition: a.partition, replicas: null })));
  const failed = outcomes.filter((o) => o.errorCode !== 0).sort(byTopicPartition);
  if (failed.length > 0) throw new ToolError(`Error cancelling partition reassignment${failed.length === 1 ? '' : 's'} for:\n${failed.map((o) => `  ${outcomeLine(o)}`).join('\n')}`);
  io.stdout.write(`Successfully cancelled partition reassignments for: ${active.map(label).join(',')}\n`);
  return 0;
}

async function list(admin: Admin, io: ToolIO): Promise<number> {
  const ongoing = (await admin.listPartitionReassignments()).sort(byTopicPartition);
  if (ongoing.length === 0) {
    io.stdout.write('No partition reassignments found.\n');
    return 0;
  }
  const line = (r: PartitionReassignment) => `${label(r)}: replicas: ${r.replicas.join(',')}. adding: ${r.addingReplicas.join(',')}. removing: ${r.removingReplicas.join(',')}.`;
  io.stdout.write(`Current partition reassignments:\n${ongoing.map(line).join('\n')}\n`);
  return 0;
}
