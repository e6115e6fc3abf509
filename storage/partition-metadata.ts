// Kafka's `partition.metadata` file in each partition directory: the topic id, so a restarted broker
// (and the topic registry) can tell a re-created topic of the same name from the old one.
//   version: 0
//   topic_id: <22-char base64url UUID>
import { writeFileAtomic, type StorageFs } from './fs.js';
import { joinPath } from './path.js';

export const PARTITION_METADATA_FILE = 'partition.metadata';
const TOPIC_ID_RE = /^[A-Za-z0-9_-]{22}$/;

/**
 * Not fsynced (Kafka flushes this file in the background too): the topic id's durable home is the topic
 * record, and a start-up that finds the file missing or torn writes it again (topic-registry.ts), so
 * creating 10,000 partitions does not cost 20,000 fsyncs. The write is still atomic (temp file + rename).
 */
export function writePartitionMetadata(dir: string, topicId: string, fs: StorageFs): void {
  if (!TOPIC_ID_RE.test(topicId)) throw new Error(`Invalid topic id ${JSON.stringify(topicId)}`);
  writeFileAtomic(fs, joinPath(dir, PARTITION_METADATA_FILE), new TextEncoder().encode(`version: 0\ntopic_id: ${topicId}\n`), false);
}

/** The topic id in `dir/partition.metadata`, or null if there is no file. Throws if it is malformed. */
export function readPartitionMetadata(dir: string, fs: StorageFs): string | null {
  const p = joinPath(dir, PARTITION_METADATA_FILE);
  if (!fs.existsSync(p)) return null;
  const fields = new Map<string, string>();
  for (const line of new TextDecoder().decode(fs.readFileSync(p)).split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) fields.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  if (fields.get('version') !== '0') throw new Error(`Malformed ${p}: version ${fields.get('version') ?? '(none)'}`);
  const id = fields.get('topic_id');
  if (id === undefined || !TOPIC_ID_RE.test(id)) throw new Error(`Malformed ${p}: topic_id ${id ?? '(none)'}`);
  return id;
}
