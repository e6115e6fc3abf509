// CRC-32C and CRC-32 of the core against the native @node-rs/crc32 on random inputs (fast-check).
import { crc32 as nativeCrc32, crc32c as nativeCrc32c } from '@node-rs/crc32';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newCore } from '../../bindings/node.js';

const core = newCore();

describe('crc vs @node-rs/crc32', () => {
  it('crc32c("123456789") = 0xE3069283', () => {
    expect(core.crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(nativeCrc32c(Buffer.from('123456789')) >>> 0).toBe(0xe3069283);
  });

  it('crc32c matches native on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (b) => {
        expect(core.crc32c(b)).toBe(nativeCrc32c(Buffer.from(b)) >>> 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('crc32 (IEEE) matches native on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (b) => {
        expect(core.crc32(b)).toBe(nativeCrc32(Buffer.from(b)) >>> 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('crc32c matches native on large inputs at every alignment', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300_000 }), fc.integer({ min: 0, max: 63 }), fc.integer(), (n, off, seed) => {
        const buf = new Uint8Array(n + 64);
        let x = seed | 1;
        for (let i = 0; i < buf.length; i++) {
          x ^= x << 13;
          x ^= x >>> 17;
          x ^= x << 5;
          buf[i] = x;
        }
        const b = buf.subarray(off, off + n);
        expect(core.crc32c(b)).toBe(nativeCrc32c(Buffer.from(b)) >>> 0);
        expect(core.crc32(b)).toBe(nativeCrc32(Buffer.from(b)) >>> 0);
      }),
      { numRuns: 60 },
    );
  });

  it('continuation over a split equals native with an initial value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(), (b, k) => {
        const cut = b.length ? k % b.length : 0;
        const r = core.alloc(Math.max(1, b.length), 8);
        r.write(b);
        const first = core.exports.crc32cContinue(0, r.ptr, cut) >>> 0;
        expect(first).toBe(nativeCrc32c(Buffer.from(b.subarray(0, cut))) >>> 0);
        const whole = core.exports.crc32cContinue(first, r.ptr + cut, b.length - cut) >>> 0;
        expect(whole).toBe(nativeCrc32c(Buffer.from(b.subarray(cut)), first) >>> 0);
        expect(whole).toBe(nativeCrc32c(Buffer.from(b)) >>> 0);
      }),
      { numRuns: 300 },
    );
  });
});
