// A small seeded PRNG (mulberry32) for the controller's randomized tests: the seed is printed by each test,
// and the same seed replays the same run.
import { mulberry32 } from '../helpers/seeded-random.js';

export interface Rng {
  readonly seed: number;
  next(): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

export function rng(seed: number): Rng {
  const next = mulberry32(seed);
  return {
    seed,
    next,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
    chance: (p) => next() < p,
  };
}

/** The seed from RIVULET_SEED (to replay a failure) or a fresh one. */
export function testSeed(): number {
  const env = process.env.RIVULET_SEED;
  return env !== undefined && env !== '' ? Number(env) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
}
