// Runs the runtime-neutral core cases (cases.ts) under vitest, one test per case, each on a fresh
// core instance loaded the way the Node entry loads it.
import { describe, it } from 'vitest';
import { newCore } from '../../bindings/node.js';
import { cases } from './cases.js';

describe('core (node)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      await c.run(newCore(), { fuzzIterations: 100_000 });
    });
  }
});
