// Topic names and ids as Kafka has them (org.apache.kafka.common.internals.Topic, Uuid).
import { randomBytes } from 'node:crypto';
import { ZERO_UUID, uuidFromBytes } from '../../protocol/wire/uuid.js';

/** Kafka's limit: 249 characters, so `<topic>-<partition>` directory names fit in 255. */
const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Topics the broker itself owns (flagged isInternal in Metadata). */
const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);

export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name);
}

/** Why `name` is not a legal topic name (Kafka's messages), or undefined when it is. */
export function invalidTopicNameReason(name: string | null | undefined): string | undefined {
  if (name === null || name === undefined || name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME_LENGTH)
    return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`;
  if (!LEGAL.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return undefined;
}

/** `.` and `_` collide in metric names, so Kafka refuses topics that differ only in them. */
export function unifyCollisionChars(name: string): string {
  return name.replace(/\./g, '_');
}

/**
 * A new random topic id in Kafka's base64url form. Like Kafka's Uuid.randomUuid(): never the zero id,
 * never the metadata topic's id (1), and never one whose string starts with '-' (it would read as an
 * option on a command line).
 */
export function newTopicId(): string {
  for (;;) {
    const b = randomBytes(16);
    b[6] = (b[6]! & 0x0f) | 0x40; // version 4
    b[8] = (b[8]! & 0x3f) | 0x80; // IETF variant
    const id = uuidFromBytes(b, 0);
    if (id !== ZERO_UUID && id !== 'AAAAAAAAAAAAAAAAAAAAAQ' && !id.startsWith('-')) return id;
  }
}
