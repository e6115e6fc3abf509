// Kafka's replica assignment for new topics and partitions (AdminUtils.assignReplicasToBrokers).
// Rack-unaware: brokers sorted by id; partition p's first replica is broker (p + start) mod n and the
// others follow at a shift that grows by one every n partitions, so leaders and followers both spread
// round-robin. Rack-aware: the same walk over a list that alternates racks, skipping a broker whose rack
// (or itself) already holds a replica while some rack (or broker) holds none.
import { invariantViolation } from '../../common/invariant.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AssignmentError } from './assignment-error.js';

export interface AssignmentBroker {
  readonly id: number;
  readonly rack: string | null;
}

/** Kafka's RackAwareMode: enforced refuses a mix of racked and unracked brokers, safe ignores racks then. */
export type RackAwareMode = 'enforced' | 'safe' | 'disabled';

export interface AssignOptions {
  /** Index of partition `startPartitionId`'s first replica (also the initial shift); random when absent. */
  readonly fixedStartIndex?: number;
  /** Id of the first partition to assign (the existing count when adding partitions). */
  readonly startPartitionId?: number;
  /** Uniform in [0, 1); Math.random when absent. */
  readonly random?: () => number;
}

/** The brokers (sorted by id) with racks kept or dropped per `mode` (Kafka's getBrokerMetadatas). */
export function brokersForAssignment(brokers: readonly AssignmentBroker[], mode: RackAwareMode): AssignmentBroker[] {
  const sorted = [...brokers].sort((a, b) => a.id - b.id);
  const racked = sorted.filter((b) => b.rack !== null).length;
  if (mode === 'enforced' && racked > 0 && racked < sorted.length)
    throw new AssignmentError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      'Not all brokers have rack information. Add --disable-rack-aware in command line to make replica assignment without rack information.',
    );
  if (mode === 'disabled' || racked < sorted.length) return sorted.map((b) => ({ id: b.id, rack: null }));
  return sorted;
}

/** Replica lists for partitions startPartitionId.. (nPartitions of them), index 0 = the first of them. */
export function assignReplicasToBrokers(brokers: readonly AssignmentBroker[], nPartitions: number, replicationFactor: number, opts: AssignOptions = {}): number[][] {
  if (nPartitions <= 0) throw new AssignmentError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
  if (replicationFactor <= 0) throw new AssignmentError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
  if (replicationFactor > brokers.length)
    throw new AssignmentError(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${replicationFactor} larger than available brokers: ${brokers.length}.`);
  const sorted = [...brokers].sort((a, b) => a.id - b.id);
  if (sorted.every((b) => b.rack === null)) return assign(sorted.map((b) => b.id), null, nPartitions, replicationFactor, opts);
  if (sorted.some((b) => b.rack === null))
    throw new AssignmentError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Not all brokers have rack information for replica rack aware assignment.');
  const rackOf = new Map(sorted.map((b) => [b.id, b.rack!] as const));
  return assign(rackAlternatedBrokers(sorted), rackOf, nPartitions, replicationFactor, opts);
}

/**
 * Replica lists for the partitions a topic grows by (existing.length .. newTotal-1), continuing the spread
 * of the existing ones: the start is the first broker whose id ≥ partition 0's first replica, as Kafka.
 */
export function assignNewPartitions(brokers: readonly AssignmentBroker[], existing: readonly (readonly number[])[], newTotal: number, random?: () => number): number[][] {
  const first = existing[0];
  if (first === undefined || first.length === 0) throw new AssignmentError(ErrorCode.INVALID_PARTITIONS, 'The topic has no partition 0 to continue from.');
  if (newTotal <= existing.length)
    throw new AssignmentError(
      ErrorCode.INVALID_PARTITIONS,
      `Topic currently has ${existing.length} partitions, ${newTotal} would not be an increase.`,
    );
  const sorted = [...brokers].sort((a, b) => a.id - b.id);
  const startIndex = Math.max(0, sorted.findIndex((b) => b.id >= first[0]!));
  return assignReplicasToBrokers(sorted, newTotal - existing.length, first.length, {
    fixedStartIndex: startIndex,
    startPartitionId: existing.length,
    ...(random !== undefined ? { random } : {}),
  });
}

function assign(list: readonly number[], rackOf: ReadonlyMap<number, string> | null, nPartitions: number, rf: number, opts: AssignOptions): number[][] {
  const n = list.length;
  const random = opts.random ?? Math.random;
  const fixed = opts.fixedStartIndex ?? -1;
  const startIndex = fixed >= 0 ? fixed : Math.floor(random() * n);
  let shift = fixed >= 0 ? fixed : Math.floor(random() * n);
  const numRacks = rackOf === null ? 0 : new Set(rackOf.values()).size;
  const out: number[][] = [];
  for (let p = Math.max(0, opts.startPartitionId ?? 0), i = 0; i < nPartitions; p++, i++) {
    if (p > 0 && p % n === 0) shift++;
    const firstIndex = (p + startIndex) % n;
    out.push(rackOf === null ? followersUnaware(list, firstIndex, shift, rf) : followersRackAware(list, rackOf, numRacks, firstIndex, shift, rf));
  }
  return out;
}

/** Kafka's replicaIndex: the j-th follower sits 1 + (shift + j) mod (n - 1) places after the first. */
function replicaIndex(firstIndex: number, shift: number, j: number, n: number): number {
  return (firstIndex + 1 + ((shift + j) % (n - 1))) % n;
}

function followersUnaware(list: readonly number[], firstIndex: number, shift: number, rf: number): number[] {
  const replicas = [list[firstIndex]!];
  for (let j = 0; j < rf - 1; j++) replicas.push(list[replicaIndex(firstIndex, shift, j, list.length)]!);
  return replicas;
}

function followersRackAware(list: readonly number[], rackOf: ReadonlyMap<number, string>, numRacks: number, firstIndex: number, shift: number, rf: number): number[] {
  const n = list.length;
  const leader = list[firstIndex]!;
  const replicas = [leader];
  const racks = new Set([rackOf.get(leader)!]);
  const used = new Set([leader]);
  let k = 0;
  for (let r = 0; r < rf - 1; r++) {
    // Each pass over the n - 1 other positions finds a broker: at worst every rack and broker is used.
    for (let tries = 0; ; tries++) {
      if (tries > 2 * n) throw invariantViolation(`rack-aware assignment found no broker for replica ${r + 1}`);
      const broker = list[replicaIndex(firstIndex, shift * numRacks, k++, n)]!;
      const rack = rackOf.get(broker)!;
      if ((!racks.has(rack) || racks.size === numRacks) && (!used.has(broker) || used.size === n)) {
        replicas.push(broker);
        racks.add(rack);
        used.add(broker);
        break;
      }
    }
  }
  return replicas;
}

/** Brokers interleaved by rack: racks sorted by name, each rack's brokers by id, one of each in turn. */
export function rackAlternatedBrokers(brokers: readonly AssignmentBroker[]): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of [...brokers].sort((x, y) => x.id - y.id)) {
    const list = byRack.get(b.rack!) ?? [];
    list.push(b.id);
    byRack.set(b.rack!, list);
  }
  const racks = [...byRack.keys()].sort();
  const out: number[] = [];
  for (let round = 0; out.length < brokers.length; round++)
    for (const rack of racks) {
      const id = byRack.get(rack)![round];
      if (id !== undefined) out.push(id);
    }
  return out;
}

/**
 * An explicit assignment (CreateTopics / CreatePartitions assignments): every partition with the same
 * number of replicas (`expectedReplicationFactor` when given: the existing partitions'), no broker twice
 * in a partition, every broker known.
 */
export function validateReplicaAssignment(assignment: readonly (readonly number[])[], brokerIds: ReadonlySet<number>, expectedReplicationFactor?: number): void {
  const bad = (m: string) => new AssignmentError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, m);
  const rf = expectedReplicationFactor ?? assignment[0]?.length ?? 0;
  assignment.forEach((replicas, i) => {
    if (replicas.length === 0) throw bad(`Partition ${i} has an empty replica list.`);
    if (replicas.length !== rf)
      throw bad(`Inconsistent replication factor between partitions, partition 0 has ${rf} while partition ${i} has ${replicas.length}.`);
    if (new Set(replicas).size !== replicas.length) throw bad(`Duplicate brokers not allowed in replica assignment: ${replicas.join(', ')} for partition id ${i}.`);
    const unknown = replicas.filter((b) => !brokerIds.has(b));
    if (unknown.length > 0) throw bad(`Unknown broker(s) in replica assignment: ${unknown.join(', ')}.`);
  });
}
