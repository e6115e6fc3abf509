// Producer ids in a cluster: unique across every broker, because two producers with the same id would
// have one's batches taken for the other's duplicates. Each broker takes blocks of ids from etcd's
// /latest_producer_id_block with a conditional write (Kafka's ZooKeeper-era ProducerIdManager) and hands
// them out one by one; a new block is taken when one runs out.
import type { ProducerIdSource } from '../server/producer-ids.js';
import type { EtcdMetadataStore } from './metadata-store.js';

const BLOCK_SIZE = 1000;

export class ClusterProducerIds implements ProducerIdSource {
  private next = 0n;
  private end = 0n;
  private taking: Promise<void> | null = null;

  constructor(
    private readonly store: Pick<EtcdMetadataStore, 'takeProducerIdBlock'>,
    private readonly brokerId: number,
  ) {}

  async generate(): Promise<bigint> {
    // Concurrent callers share one block request; a block can run out before a waiter gets its id (bounded retries).
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.next < this.end) return this.next++;
      this.taking ??= this.store
        .takeProducerIdBlock(this.brokerId, BLOCK_SIZE)
        .then((first) => {
          this.next = first;
          this.end = first + BigInt(BLOCK_SIZE);
        })
        .finally(() => (this.taking = null));
      await this.taking;
    }
    throw new Error('producer id blocks ran out faster than they were taken');
  }
}
