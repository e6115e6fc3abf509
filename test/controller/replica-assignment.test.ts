// Kafka's replica assignment: the exact lists Kafka computes for fixed starts, its errors, continuing the
// spread when partitions are added, explicit assignments validated, and seeded properties (RF distinct
// brokers per partition, leaders balanced within one, replicas on distinct racks where racks allow).
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { AssignmentError } from '../../host-node/controller/assignment-error.js';
import {
  assignNewPartitions,
  assignReplicasToBrokers,
  brokersForAssignment,
  rackAlternatedBrokers,
  validateReplicaAssignment,
  type AssignmentBroker,
} from '../../host-node/controller/replica-assignment.js';
import { rng, testSeed } from './random.js';

const unracked = (ids: number[]): AssignmentBroker[] => ids.map((id) => ({ id, rack: null }));
const racked = (m: Record<number, string>): AssignmentBroker[] => Object.entries(m).map(([id, rack]) => ({ id: Number(id), rack }));

function codeOf(f: () => unknown): [number, string] {
  try {
    f();
  } catch (e) {
    if (e instanceof AssignmentError) return [e.code, e.message];
    throw e;
  }
  throw new Error('expected an AssignmentError');
}

describe('rack-unaware assignment', () => {
  it('spreads leaders and followers round-robin with a shift that grows every n partitions', () => {
    expect(assignReplicasToBrokers(unracked([4, 2, 0, 3, 1]), 10, 3, { fixedStartIndex: 0 })).toEqual([
      [0, 1, 2],
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 0],
      [4, 0, 1],
      [0, 2, 3],
      [1, 3, 4],
      [2, 4, 0],
      [3, 0, 1],
      [4, 1, 2],
    ]);
  });

  it('takes the start and the shift from the injected random', () => {
    const draws = [0.5, 0.1];
    const got = assignReplicasToBrokers(unracked([1, 2, 3]), 3, 2, { random: () => draws.shift()! });
    // start = floor(0.5 * 3) = 1, shift = 0
    expect(got).toEqual([
      [2, 3],
      [3, 1],
      [1, 2],
    ]);
  });

  it('refuses a replication factor above the brokers, a non-positive one, and no partitions', () => {
    expect(codeOf(() => assignReplicasToBrokers(unracked([1, 2]), 1, 3))).toEqual([
      ErrorCode.INVALID_REPLICATION_FACTOR,
      'Replication factor: 3 larger than available brokers: 2.',
    ]);
    expect(codeOf(() => assignReplicasToBrokers(unracked([1, 2]), 1, 0))[0]).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(codeOf(() => assignReplicasToBrokers(unracked([1, 2]), 0, 1))[0]).toBe(ErrorCode.INVALID_PARTITIONS);
  });
});

describe('rack-aware assignment', () => {
  const rackMap = { 0: 'rack1', 1: 'rack3', 2: 'rack3', 3: 'rack2', 4: 'rack2', 5: 'rack1' };

  it('interleaves brokers by rack', () => {
    expect(rackAlternatedBrokers(racked(rackMap))).toEqual([0, 3, 1, 5, 4, 2]);
    const { 5: _dropped, ...without5 } = rackMap;
    expect(rackAlternatedBrokers(racked(without5))).toEqual([0, 3, 1, 4, 2]);
  });

  it('puts each partition on three racks', () => {
    expect(assignReplicasToBrokers(racked(rackMap), 7, 3, { fixedStartIndex: 0, startPartitionId: 0 })).toEqual([
      [0, 3, 1],
      [3, 1, 5],
      [1, 5, 4],
      [5, 4, 2],
      [4, 2, 0],
      [2, 0, 3],
      [0, 4, 2],
    ]);
  });

  it('refuses a mix of racked and unracked brokers unless racks are ignored', () => {
    const mixed: AssignmentBroker[] = [
      { id: 1, rack: 'a' },
      { id: 2, rack: null },
    ];
    expect(codeOf(() => assignReplicasToBrokers(mixed, 2, 2))).toEqual([
      ErrorCode.INVALID_REPLICATION_FACTOR,
      'Not all brokers have rack information for replica rack aware assignment.',
    ]);
    expect(codeOf(() => brokersForAssignment(mixed, 'enforced'))[0]).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(brokersForAssignment(mixed, 'safe')).toEqual(unracked([1, 2]));
    expect(brokersForAssignment(racked({ 2: 'b', 1: 'a' }), 'disabled')).toEqual(unracked([1, 2]));
    expect(brokersForAssignment(racked({ 2: 'b', 1: 'a' }), 'enforced')).toEqual(racked({ 1: 'a', 2: 'b' }));
    expect(assignReplicasToBrokers(brokersForAssignment(mixed, 'safe'), 2, 2, { fixedStartIndex: 0 })).toEqual([
      [1, 2],
      [2, 1],
    ]);
  });
});

describe('adding partitions', () => {
  it('continues the spread of the existing partitions', () => {
    const brokers = unracked([0, 1, 2, 3, 4]);
    const all = assignReplicasToBrokers(brokers, 10, 3, { fixedStartIndex: 0 });
    expect(assignNewPartitions(brokers, all.slice(0, 3), 10)).toEqual(all.slice(3));
  });

  it('starts at the first broker whose id is at least partition 0 leader', () => {
    const got = assignNewPartitions(unracked([1, 2, 3]), [[2, 3]], 3);
    // start index 1 (broker 2), partition ids 1 and 2
    expect(got).toEqual([
      [3, 2],
      [1, 3],
    ]);
  });

  it('refuses a count that is no increase', () => {
    expect(codeOf(() => assignNewPartitions(unracked([1, 2]), [[1], [2]], 2))).toEqual([
      ErrorCode.INVALID_PARTITIONS,
      'Topic currently has 2 partitions, 2 would not be an increase.',
    ]);
  });
});

describe('explicit assignments', () => {
  const known = new Set([1, 2, 3]);
  it('accepts a consistent one', () => {
    expect(() =>
      validateReplicaAssignment(
        [
          [1, 2],
          [3, 1],
        ],
        known,
      ),
    ).not.toThrow();
  });
  it.each([
    [[[1, 1]], undefined, 'Duplicate brokers not allowed in replica assignment: 1, 1 for partition id 0.'],
    [[[1, 4]], undefined, 'Unknown broker(s) in replica assignment: 4.'],
    [[[1, 2], [3]], undefined, 'Inconsistent replication factor between partitions, partition 0 has 2 while partition 1 has 1.'],
    [[[1]], 2, 'Inconsistent replication factor between partitions, partition 0 has 2 while partition 0 has 1.'],
    [[[]], undefined, 'Partition 0 has an empty replica list.'],
  ])('refuses %j (rf %s)', (assignment, rf, message) => {
    expect(codeOf(() => validateReplicaAssignment(assignment, known, rf))).toEqual([ErrorCode.INVALID_REPLICA_ASSIGNMENT, message]);
  });
});

describe('properties (seeded)', () => {
  it('RF distinct brokers per partition, leaders balanced within one, replicas on distinct racks where possible', () => {
    const seed = testSeed();
    console.log(`replica-assignment property seed=${seed} (RIVULET_SEED=${seed} replays)`);
    const r = rng(seed);
    for (let trial = 0; trial < 500; trial++) {
      const n = 1 + r.int(9);
      const withRacks = r.chance(0.5);
      const numRacks = 1 + r.int(4);
      const brokers: AssignmentBroker[] = Array.from({ length: n }, (_, i) => ({ id: 100 + i * 3, rack: withRacks ? `r${r.int(numRacks)}` : null }));
      const rf = 1 + r.int(n);
      const partitions = 1 + r.int(40);
      const got = assignReplicasToBrokers(brokers, partitions, rf, { random: r.next });
      const ctx = `seed=${seed} trial=${trial} n=${n} rf=${rf} partitions=${partitions} racks=${JSON.stringify(brokers)}`;
      expect(got.length, ctx).toBe(partitions);
      const leaders = new Map<number, number>(brokers.map((b) => [b.id, 0]));
      const rackOf = new Map(brokers.map((b) => [b.id, b.rack]));
      const racks = new Set(brokers.map((b) => b.rack));
      for (const replicas of got) {
        expect(replicas.length, ctx).toBe(rf);
        expect(new Set(replicas).size, ctx).toBe(rf);
        for (const id of replicas) expect(rackOf.has(id), ctx).toBe(true);
        leaders.set(replicas[0]!, leaders.get(replicas[0]!)! + 1);
        if (withRacks) expect(new Set(replicas.map((id) => rackOf.get(id))).size, ctx).toBe(Math.min(rf, racks.size));
      }
      const counts = [...leaders.values()];
      expect(Math.max(...counts) - Math.min(...counts), ctx).toBeLessThanOrEqual(1);
    }
  });
});
