// Fetch ranges against an oracle: for any (offset, maxBytes) the range is the batch holding `offset`
// and the following whole batches, as many as fit in maxBytes (at least one), never past the HW.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { batch, cleanupTempDirs, openLog, tempDir } from './helpers/env.js';

afterEach(cleanupTempDirs);

describe('fetch ranges', () => {
  it('are maximal runs of whole batches within maxBytes (index jump included)', () => {
    const dir = tempDir();
    const log = openLog({ dir, config: { 'index.interval.bytes': 1000 } });
    const sizes = [10, 200, 3000, 50, 9000, 1, 700, 20000, 64, 5];
    for (let i = 0; i < 300; i++) log.append(batch(`v${i}`, 1 + (i % 5), 1, sizes[i % sizes.length]!));
    log.close();
    const file = readFileSync(join(dir, '00000000000000000000.log'));
    const bounds: { pos: number; size: number; base: number; last: number }[] = [];
    for (let p = 0; p < file.byteLength; ) {
      const size = file.readInt32BE(p + 8) + 12;
      const base = Number(file.readBigInt64BE(p));
      bounds.push({ pos: p, size, base, last: base + file.readInt32BE(p + 23) });
      p += size;
    }
    const again = openLog({ dir, config: { 'index.interval.bytes': 1000 } });
    const leo = again.logEndOffset;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: leo - 1 }), fc.integer({ min: 1, max: 300_000 }), (offset, maxBytes) => {
        const r = again.read(offset, maxBytes).records!;
        const i = bounds.findIndex((b) => b.last >= offset);
        expect(r.position).toBe(bounds[i]!.pos);
        expect(r.firstOffset).toBe(bounds[i]!.base);
        let j = i;
        let total = bounds[i]!.size;
        while (j + 1 < bounds.length && total + bounds[j + 1]!.size <= maxBytes) total += bounds[++j]!.size;
        expect(r.size).toBe(total);
      }),
      { numRuns: 500 },
    );
    again.close();
  });
});
