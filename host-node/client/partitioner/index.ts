// Partitioners: keyed records go where Java's DefaultPartitioner/BuiltInPartitioner puts them
// (murmur2); null-keyed records stick to one partition per topic until a batch for it is sent
// (KIP-480's sticky partitioning), then move on to another, so batches fill up.
import { murmur2Partition } from './murmur2.js';

export { murmur2, murmur2Partition, toPositive } from './murmur2.js';

export interface PartitionerInput {
  topic: string;
  key: Uint8Array | null;
  /** Partitions the topic has (from metadata), 0..numPartitions-1. */
  numPartitions: number;
  /** Partitions with a leader right now (subset); sticky choice prefers these. */
  availablePartitions?: readonly number[];
}

export interface Partitioner {
  partition(input: PartitionerInput): number;
  /** Called when a batch for (topic, partition) was closed and sent: sticky partitioners switch. */
  onNewBatch?(topic: string, partition: number, numPartitions: number): void;
}

/** Java-compatible default: murmur2 for keys, sticky for null keys. */
export class DefaultPartitioner implements Partitioner {
  private readonly sticky = new Map<string, number>();
  constructor(private readonly random: () => number = Math.random) {}

  partition({ topic, key, numPartitions, availablePartitions }: PartitionerInput): number {
    if (numPartitions <= 0) throw new RangeError(`topic ${topic} has no partitions`);
    if (key !== null) return murmur2Partition(key, numPartitions);
    let p = this.sticky.get(topic);
    if (p === undefined || p >= numPartitions) {
      p = this.pick(numPartitions, availablePartitions, -1);
      this.sticky.set(topic, p);
    }
    return p;
  }

  onNewBatch(topic: string, partition: number, numPartitions: number): void {
    if (this.sticky.get(topic) !== partition) return;
    this.sticky.set(topic, this.pick(numPartitions, undefined, partition));
  }

  private pick(n: number, available: readonly number[] | undefined, avoid: number): number {
    const from = available && available.length > 0 ? available : null;
    const count = from ? from.length : n;
    if (count === 1) return from ? from[0]! : 0;
    for (;;) {
      const i = Math.floor(this.random() * count);
      const p = from ? from[i]! : i;
      if (p !== avoid) return p;
    }
  }
}

/** Round robin for null keys (murmur2 for keys), an alternative some tools want. */
export class RoundRobinPartitioner implements Partitioner {
  private readonly next = new Map<string, number>();
  partition({ topic, key, numPartitions }: PartitionerInput): number {
    if (key !== null) return murmur2Partition(key, numPartitions);
    const n = this.next.get(topic) ?? 0;
    this.next.set(topic, n + 1);
    return n % numPartitions;
  }
}
