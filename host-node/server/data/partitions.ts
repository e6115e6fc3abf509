// How the data-path handlers (Produce, Fetch, ListOffsets, DeleteRecords) find a partition's Log: through the
// topic registry on BrokerContext (`broker.topicRegistry`, host-node/topics/topic-registry.ts).
import type { Log } from '../../../storage/index.js';
import type { BrokerContext } from '../context.js';

/** The partition's log, or undefined for an unknown topic/partition. Throws StorageError(56) when offline. */
export function findLog(broker: Pick<BrokerContext, 'topicRegistry'>, topic: string, partition: number): Log | undefined {
  return broker.topicRegistry.partitionLog(topic, partition);
}

/** A topic's name from its id (Fetch v13+), or undefined when unknown. */
export function topicNameById(broker: Pick<BrokerContext, 'topicRegistry'>, topicId: string): string | undefined {
  return broker.topicRegistry.topicNameById(topicId);
}
