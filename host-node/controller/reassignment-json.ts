// kafka-reassign-partitions.sh's files: the topics-to-move JSON ({"topics":[{"topic":"t"}],"version":1})
// and the partition assignment JSON ({"version":1,"partitions":[{"topic","partition","replicas","log_dirs"}]}),
// parsed with the tool's checks and messages, formatted as it prints them (sorted by topic, then
// partition), and --generate's proposal: every topic re-spread over the given brokers with the replica
// assignment rules.
import { brokersForAssignment, assignReplicasToBrokers, type AssignmentBroker } from './replica-assignment.js';

/** A refused input file or argument (Kafka's AdminCommandFailedException / AdminOperationException). */
export class ReassignmentCommandError extends Error {
  override readonly name = 'ReassignmentCommandError';
}

export interface PartitionReplicas {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
  /** One per replica; "any" lets the broker choose. */
  readonly logDirs: readonly string[];
}

const ANY_LOG_DIR = 'any';

function parseJson(text: string): Record<string, unknown> {
  let js: unknown;
  try {
    js = JSON.parse(text);
  } catch {
    throw new ReassignmentCommandError('The input string is not a valid JSON');
  }
  if (js === null || typeof js !== 'object' || Array.isArray(js)) throw new ReassignmentCommandError('The input string is not a valid JSON');
  const version = (js as { version?: unknown }).version ?? 1;
  if (version !== 1) throw new ReassignmentCommandError(`Not supported version field value ${String(version)}`);
  return js as Record<string, unknown>;
}

function field<T>(o: unknown, name: string, check: (v: unknown) => v is T, what: string): T {
  const v = (o as Record<string, unknown> | null)?.[name];
  if (!check(v)) throw new ReassignmentCommandError(`Expected ${what} for "${name}" in ${JSON.stringify(o)}`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => Number.isInteger(v);
const isIntArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(isInt);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);

/** --topics-to-move-json-file: the topic names; duplicates refused. */
export function parseTopicsToMoveJson(text: string): string[] {
  const js = parseJson(text);
  const topics = js.topics === undefined ? [] : field(js, 'topics', isArray, 'an array').map((t) => field(t, 'topic', isString, 'a string'));
  const dups = duplicates(topics);
  if (dups.length > 0) throw new ReassignmentCommandError(`List of topics to reassign contains duplicate entries: ${dups.join(',')}`);
  return topics;
}

export function formatTopicsToMoveJson(topics: readonly string[]): string {
  return JSON.stringify({ topics: topics.map((topic) => ({ topic })), version: 1 });
}

/** --reassignment-json-file: validated as --execute does (non-empty, no duplicate partition or replica). */
export function parseReassignmentJson(text: string): PartitionReplicas[] {
  const js = parseJson(text);
  const entries = js.partitions === undefined ? [] : field(js, 'partitions', isArray, 'an array');
  const out = entries.map((p): PartitionReplicas => {
    const topic = field(p, 'topic', isString, 'a string');
    const partition = field(p, 'partition', isInt, 'an integer');
    const replicas = field(p, 'replicas', isIntArray, 'an array of broker ids');
    const raw = (p as { log_dirs?: unknown }).log_dirs;
    const logDirs = raw === undefined ? replicas.map(() => ANY_LOG_DIR) : field(p, 'log_dirs', isStringArray, 'an array of strings');
    if (logDirs.length !== replicas.length)
      throw new ReassignmentCommandError(`Size of replicas list ${listOf(replicas)} is different from size of log dirs list ${listOf(logDirs)} for partition ${topic}-${partition}`);
    return { topic, partition, replicas, logDirs };
  });
  validateReassignment(out);
  return out;
}

function validateReassignment(parts: readonly PartitionReplicas[]): void {
  if (parts.length === 0) throw new ReassignmentCommandError('Partition reassignment list cannot be empty.');
  if (parts.some((p) => p.replicas.length === 0)) throw new ReassignmentCommandError('Partition replica list cannot be empty.');
  const dupParts = duplicates(parts.map((p) => `${p.topic}-${p.partition}`));
  if (dupParts.length > 0) throw new ReassignmentCommandError(`Partition reassignment contains duplicate topic partitions: ${dupParts.join(',')}`);
  const dupReplicas = parts.filter((p) => duplicates(p.replicas).length > 0).map((p) => `${p.topic}-${p.partition} contains multiple entries for ${duplicates(p.replicas).join(',')}`);
  if (dupReplicas.length > 0) throw new ReassignmentCommandError(`Partition replica lists may not contain duplicate entries: ${dupReplicas.join('. ')}`);
}

/** The assignment JSON as the tool prints it: sorted by topic then partition, log_dirs "any" unless given. */
export function formatReassignmentJson(parts: readonly { topic: string; partition: number; replicas: readonly number[]; logDirs?: readonly string[] }[]): string {
  const sorted = [...parts].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  return JSON.stringify({
    version: 1,
    partitions: sorted.map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.replicas, log_dirs: p.logDirs ?? p.replicas.map(() => ANY_LOG_DIR) })),
  });
}

/** --broker-list "1,2,3": the ids; duplicates and non-numbers refused. */
export function parseBrokerList(s: string): number[] {
  const ids = s.split(',').map((x) => x.trim());
  if (ids.some((x) => !/^-?\d+$/.test(x))) throw new ReassignmentCommandError(`Invalid broker list: ${s}`);
  const nums = ids.map(Number);
  const dups = duplicates(nums);
  if (dups.length > 0) throw new ReassignmentCommandError(`Broker list contains duplicate entries: ${dups.join(',')}`);
  return nums;
}

export interface GeneratedAssignment {
  readonly current: PartitionReplicas[];
  readonly proposed: PartitionReplicas[];
  /** What --generate prints. */
  readonly text: string;
}

/**
 * --generate: each topic's partitions re-spread over `brokerList` (those of them registered, with their
 * racks unless `rackAware` is false) keeping its replication factor.
 */
export function generateAssignment(
  current: ReadonlyMap<string, readonly (readonly number[])[]>,
  brokerList: readonly number[],
  racks: ReadonlyMap<number, string | null>,
  opts: { rackAware?: boolean; random?: () => number } = {},
): GeneratedAssignment {
  const known: AssignmentBroker[] = brokerList.filter((id) => racks.has(id)).map((id) => ({ id, rack: racks.get(id) ?? null }));
  const brokers = brokersForAssignment(known, opts.rackAware === false ? 'disabled' : 'enforced');
  const cur: PartitionReplicas[] = [];
  const proposed: PartitionReplicas[] = [];
  for (const [topic, partitions] of current) {
    partitions.forEach((replicas, partition) => cur.push({ topic, partition, replicas, logDirs: replicas.map(() => ANY_LOG_DIR) }));
    const rf = partitions[0]?.length ?? 0;
    if (partitions.length === 0) continue;
    const spread = assignReplicasToBrokers(brokers, partitions.length, rf, opts.random !== undefined ? { random: opts.random } : {});
    spread.forEach((replicas, partition) => proposed.push({ topic, partition, replicas, logDirs: replicas.map(() => ANY_LOG_DIR) }));
  }
  const text = `Current partition replica assignment\n${formatReassignmentJson(cur)}\n\nProposed partition reassignment configuration\n${formatReassignmentJson(proposed)}\n`;
  return { current: cur, proposed, text };
}

function duplicates<T>(xs: readonly T[]): T[] {
  const seen = new Set<T>();
  const dup = new Set<T>();
  for (const x of xs) (seen.has(x) ? dup : seen).add(x);
  return [...dup];
}

/** Scala's List rendering, as the tool's messages show lists. */
function listOf(xs: readonly (string | number)[]): string {
  return `List(${xs.join(', ')})`;
}
