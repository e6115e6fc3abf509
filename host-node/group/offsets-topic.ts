// The configs of the internal `__consumer_offsets` topic, as Kafka's group coordinator creates it
// (GroupCoordinator's offsetsTopicConfigs): compacted, so the log keeps the latest record of each group and
// of each committed partition and drops what tombstones delete; batches stored as the coordinator writes
// them; segments of offsets.topic.segment.bytes. A topic created before Rivulet compacted logs (kept
// forever with retention.ms=-1 instead) is switched to compaction when the coordinator starts.
import type { TopicAdmin } from '../topics/topic-admin.js';
import type { Logger } from '../util/log.js';
import { CONSUMER_OFFSETS_TOPIC } from './consumer-offsets-schema.js';

/** The overrides __consumer_offsets is created with. */
export function offsetsTopicConfigs(segmentBytes: number): { name: string; value: string }[] {
  return [
    { name: 'cleanup.policy', value: 'compact' },
    { name: 'compression.type', value: 'producer' },
    { name: 'segment.bytes', value: String(segmentBytes) },
  ];
}

/**
 * The overrides an existing __consumer_offsets needs to be compacted: its own with cleanup.policy=compact,
 * or undefined when its cleanup.policy already includes compact (or it does not exist).
 */
export function offsetsTopicCompactionOverrides(admin: Pick<TopicAdmin, 'topic'>): Record<string, string> | undefined {
  const t = admin.topic(CONSUMER_OFFSETS_TOPIC);
  if (t === undefined || t.effective['cleanup.policy'].includes('compact')) return undefined;
  return { ...t.configs, 'cleanup.policy': 'compact' };
}

/**
 * Switches an existing __consumer_offsets without compaction to cleanup.policy=compact (its other overrides
 * kept). Returns whether it changed it; a refused change is logged and the topic left as it was.
 */
export async function compactOffsetsTopic(admin: Pick<TopicAdmin, 'topic' | 'setTopicConfigs'>, log: Logger | undefined): Promise<boolean> {
  const overrides = offsetsTopicCompactionOverrides(admin);
  if (overrides === undefined) return false;
  try {
    await admin.setTopicConfigs(CONSUMER_OFFSETS_TOPIC, overrides);
    log?.info(`${CONSUMER_OFFSETS_TOPIC}: set cleanup.policy=compact (it was created without compaction)`);
    return true;
  } catch (e) {
    log?.warn(`${CONSUMER_OFFSETS_TOPIC}: could not set cleanup.policy=compact: ${(e as Error).message}`);
    return false;
  }
}
