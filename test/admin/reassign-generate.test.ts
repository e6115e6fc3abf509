// generateAssignment: Kafka's round-robin replica spread, checked against the layout Kafka documents for
// 5 brokers and 10 partitions, and on random inputs (seed printed) for its invariants.
import { describe, expect, it } from 'vitest';
import { generateAssignment } from '../../host-node/cli/reassign-generate.js';

/** A small seeded generator (mulberry32), so a failing case replays from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('generateAssignment', () => {
  it("spreads replicas as Kafka's rack-unaware assignment does", () => {
    const plan = generateAssignment([4, 2, 0, 3, 1], 10, 3, { startIndex: 0, replicaShift: 0 });
    expect(plan.slice(0, 5)).toEqual([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 0], [4, 0, 1]]);
    // After a full round the second replica moves one broker further.
    expect(plan.slice(5)).toEqual([[0, 2, 3], [1, 3, 4], [2, 4, 0], [3, 0, 1], [4, 1, 2]]);
  });

  it('refuses a replication factor above the broker count', () => {
    expect(() => generateAssignment([1, 2], 3, 3)).toThrow('Replication factor: 3 larger than available brokers: 2.');
    expect(() => generateAssignment([1, 2], 3, 0)).toThrow(RangeError);
  });

  it('gives distinct replicas, the asked replication factor and balanced leaders on random inputs', () => {
    const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
    console.log(`generateAssignment property seed=${seed}`);
    const random = rng(seed);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(random() * 8);
      const brokers = Array.from({ length: n }, (_, i) => 10 + i * 3);
      const partitions = Math.floor(random() * 40);
      const rf = 1 + Math.floor(random() * n);
      const plan = generateAssignment(brokers, partitions, rf, { random });
      expect(plan).toHaveLength(partitions);
      const leads = new Map<number, number>();
      for (const replicas of plan) {
        expect(replicas).toHaveLength(rf);
        expect(new Set(replicas).size).toBe(rf);
        for (const b of replicas) expect(brokers).toContain(b);
        leads.set(replicas[0]!, (leads.get(replicas[0]!) ?? 0) + 1);
      }
      for (const b of brokers) expect(Math.abs((leads.get(b) ?? 0) - partitions / n)).toBeLessThan(1);
    }
  });
});
