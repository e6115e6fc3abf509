// The JSON files of kafka-reassign-partitions.sh and kafka-leader-election.sh, read and checked with
// Kafka-like messages (a ToolError each, so the tool exits 1):
//   reassignment  {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any","any"]}]}
//   topics        {"version":1,"topics":[{"topic":"t"}]}
//   election      {"partitions":[{"topic":"t","partition":0}]}
import { readFileSync } from 'node:fs';
import type { TopicPartition } from '../client/consumer.js';
import { ToolError } from './client-tool.js';

export interface PartitionTarget extends TopicPartition {
  replicas: number[];
}

/** Most entries a file may list: a bound on the work one command asks for. */
const MAX_ENTRIES = 1_000_000;

/** The parsed JSON of a file named by `option`. */
function readJson(path: string, option: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ToolError(`Unable to read ${option} ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ToolError(`Unable to parse the JSON in ${path} (${option}): ${(e as Error).message}`);
  }
}

function entriesOf(doc: unknown, field: string, path: string): unknown[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ToolError(`${path}: expected a JSON object with a "${field}" list`);
  const list = (doc as Record<string, unknown>)[field];
  if (list === undefined) throw new ToolError(`${path}: missing the "${field}" field`);
  if (!Array.isArray(list)) throw new ToolError(`${path}: "${field}" must be a list`);
  if (list.length > MAX_ENTRIES) throw new ToolError(`${path}: more than ${MAX_ENTRIES} entries in "${field}"`);
  return list;
}

function checkVersion(doc: unknown, path: string): void {
  const version = (doc as Record<string, unknown>).version;
  if (version !== undefined && version !== 1) throw new ToolError(`${path}: Not supported version field value ${JSON.stringify(version)}`);
}

function field<T>(entry: unknown, name: string, ok: (v: unknown) => v is T, what: string, path: string, at: number): T {
  const v = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)[name] : undefined;
  if (!ok(v)) throw new ToolError(`${path}: entry ${at} needs "${name}" (${what})`);
  return v;
}

const isTopic = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isIndex = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isIdList = (v: unknown): v is number[] => Array.isArray(v) && v.every((id) => Number.isInteger(id));

/** Partitions named more than once, as "t-0" strings. */
function duplicatePartitions(parts: readonly TopicPartition[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const p of parts) {
    const k = `${p.topic}-${p.partition}`;
    if (seen.has(k)) dup.add(k);
    seen.add(k);
  }
  return [...dup];
}

/** A reassignment file (--reassignment-json-file). */
export function readReassignmentFile(path: string): PartitionTarget[] {
  const doc = readJson(path, '--reassignment-json-file');
  const list = entriesOf(doc, 'partitions', path);
  checkVersion(doc, path);
  if (list.length === 0) throw new ToolError('Partition reassignment list cannot be empty');
  const out = list.map((e, i) => {
    const t: PartitionTarget = {
      topic: field(e, 'topic', isTopic, 'a topic name', path, i),
      partition: field(e, 'partition', isIndex, 'a partition number ≥ 0', path, i),
      replicas: field(e, 'replicas', isIdList, 'a list of broker ids', path, i),
    };
    checkLogDirs((e as Record<string, unknown>).log_dirs, t, path);
    const repeated = t.replicas.find((id, k) => t.replicas.indexOf(id) !== k);
    if (repeated !== undefined) throw new ToolError(`Partition replica lists may not contain duplicate entries: ${t.topic}-${t.partition} contains ${repeated}`);
    if (t.replicas.length === 0) throw new ToolError(`Partition replica list of ${t.topic}-${t.partition} cannot be empty`);
    return t;
  });
  const dup = duplicatePartitions(out);
  if (dup.length > 0) throw new ToolError(`Partition reassignment contains duplicate topic partitions: ${dup.join(',')}`);
  return out;
}

/** log_dirs, when given, has one entry per replica; only "any" (Rivulet places each replica in its broker's log.dirs). */
function checkLogDirs(logDirs: unknown, t: PartitionTarget, path: string): void {
  if (logDirs === undefined) return;
  if (!Array.isArray(logDirs) || logDirs.length !== t.replicas.length)
    throw new ToolError(`${path}: Size of replicas list ${JSON.stringify(t.replicas)} is different from size of log dirs list ${JSON.stringify(logDirs)} for partition ${t.topic}-${t.partition}`);
  if (logDirs.some((d) => d !== 'any')) throw new ToolError(`${path}: log_dirs of ${t.topic}-${t.partition} must be "any": Rivulet does not move replicas between log directories`);
}

/** A topics-to-move file (--topics-to-move-json-file): the topic names. */
export function readTopicsFile(path: string): string[] {
  const doc = readJson(path, '--topics-to-move-json-file');
  const list = entriesOf(doc, 'topics', path);
  checkVersion(doc, path);
  if (list.length === 0) throw new ToolError(`${path}: the "topics" list is empty`);
  const names = list.map((e, i) => field(e, 'topic', isTopic, 'a topic name', path, i));
  const dup = names.filter((n, i) => names.indexOf(n) !== i);
  if (dup.length > 0) throw new ToolError(`List of topics to reassign contains duplicate entries: ${[...new Set(dup)].join(',')}`);
  return names;
}

/** An election file (--path-to-json-file). */
export function readElectionFile(path: string): TopicPartition[] {
  const doc = readJson(path, '--path-to-json-file');
  const list = entriesOf(doc, 'partitions', path);
  const out = list.map((e, i) => ({ topic: field(e, 'topic', isTopic, 'a topic name', path, i), partition: field(e, 'partition', isIndex, 'a partition number ≥ 0', path, i) }));
  const dup = duplicatePartitions(out);
  if (dup.length > 0) throw new ToolError(`Replica election data contains duplicate partitions: ${dup.join(',')}`);
  return out;
}

/** Kafka's reassignment JSON (one line) for replica lists, with "any" log dirs. */
export function reassignmentJson(parts: readonly PartitionTarget[]): string {
  const partitions = parts.map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.replicas, log_dirs: p.replicas.map(() => 'any') }));
  return JSON.stringify({ version: 1, partitions });
}

/** Sorts by topic, then partition (Kafka's order for printed partitions). */
export function byTopicPartition(a: TopicPartition, b: TopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}
