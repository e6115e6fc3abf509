// Kafka's round-robin replica spread (its rack-unaware assignment), used by `rivulet reassign-partitions
// --generate`: partition p's first replica is broker (p + start) mod n over the sorted broker list; the
// others follow at a distance that grows by one after every n partitions, so followers spread too.
import { invariant } from '../../common/invariant.js';

export interface GenerateOptions {
  /** Index of the first partition's first replica; random (as Kafka) when left out. */
  readonly startIndex?: number;
  /** Initial distance between the first and the second replica; random (as Kafka) when left out. */
  readonly replicaShift?: number;
  /** Random source for the two above, in [0, 1). */
  readonly random?: () => number;
}

/** Replica lists for `partitions` partitions of `replicationFactor` replicas over `brokers`. Throws RangeError when RF > brokers. */
export function generateAssignment(brokers: readonly number[], partitions: number, replicationFactor: number, o: GenerateOptions = {}): number[][] {
  const sorted = [...new Set(brokers)].sort((a, b) => a - b);
  const n = sorted.length;
  if (replicationFactor < 1) throw new RangeError('Replication factor must be larger than 0.');
  if (replicationFactor > n) throw new RangeError(`Replication factor: ${replicationFactor} larger than available brokers: ${n}.`);
  const random = o.random ?? Math.random;
  const start = o.startIndex ?? Math.floor(random() * n);
  let shift = o.replicaShift ?? Math.floor(random() * n);
  const out: number[][] = [];
  for (let p = 0; p < partitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const first = (p + start) % n;
    const replicas = [sorted[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) replicas.push(sorted[followerIndex(first, shift, j, n)]!);
    invariant(new Set(replicas).size === replicas.length, 'a generated replica list repeats a broker');
    out.push(replicas);
  }
  return out;
}

/** The broker index of follower j: 1..n-1 places after the first, never the first itself. */
function followerIndex(first: number, shift: number, j: number, n: number): number {
  return (first + 1 + ((shift + j) % (n - 1))) % n;
}
