// Malformed input: truncated frames and garbage must raise ProtocolDecodeError — never another
// exception type, never a hang, never a read past the frame.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apiList } from '../../protocol/generated/index.js';
import { decodeRequestFrame } from '../../protocol/frame.js';
import { ProtocolDecodeError, UnsupportedVersionError } from '../../protocol/wire/errors.js';
import { Reader } from '../../protocol/wire/reader.js';
import { Writer } from '../../protocol/wire/writer.js';
import { messageArb, models } from './model.js';

const all = models();

function expectDecodeErrorOrValue(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ProtocolDecodeError)) throw new Error(`expected ProtocolDecodeError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
  }
}

describe('truncated and garbage bodies', () => {
  for (const api of apiList) {
    it(`${api.name}: every truncation throws ProtocolDecodeError; garbage never throws anything else`, () => {
      for (const side of ['Request', 'Response'] as const) {
        const model = all.get(`${api.name}${side}`)!;
        const decode = side === 'Request' ? api.decodeRequest : api.decodeResponse;
        const encode = side === 'Request' ? api.encodeRequest : api.encodeResponse;
        const size = side === 'Request' ? api.sizeRequest : api.sizeResponse;
        for (let v = api.validVersions[0]; v <= api.validVersions[1]; v++) {
          const samples = fc.sample(messageArb(model, v), { numRuns: 3, seed: api.apiKey * 31 + v });
          for (const value of samples) {
            const w = new Writer(size(v, value));
            encode(w, v, value);
            const bytes = w.buf;
            const cuts = bytes.length <= 80 ? [...Array(bytes.length).keys()] : Array.from({ length: 60 }, (_, i) => Math.floor((i * bytes.length) / 60));
            for (const cut of cuts) {
              // Decode from a window of a larger buffer: bytes after `cut` exist but must not be read.
              const r = new Reader(bytes, 0, cut);
              expect(() => decode(r, v)).toThrow(ProtocolDecodeError);
            }
            // Random byte flips of a valid encoding.
            const flips = fc.sample(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { numRuns: 20, seed: bytes.length + v });
            for (const [at, val] of flips) {
              if (bytes.length === 0) break;
              const copy = bytes.slice();
              copy[at % copy.length] = val;
              expectDecodeErrorOrValue(() => decode(new Reader(copy), v));
            }
          }
          // Pure garbage.
          for (const junk of fc.sample(fc.uint8Array({ maxLength: 96 }), { numRuns: 25, seed: api.apiKey + v * 1000 })) {
            expectDecodeErrorOrValue(() => decode(new Reader(junk), v));
          }
          // Huge declared lengths must fail fast instead of allocating.
          const huge = new Uint8Array(64).fill(0x7f);
          expectDecodeErrorOrValue(() => decode(new Reader(huge), v));
        }
      }
    });
  }
});

describe('request frames from garbage', () => {
  it('decodeRequestFrame only ever throws ProtocolDecodeError or UnsupportedVersionError', () => {
    const valid = fc.tuple(fc.constantFrom(...apiList.map((a) => a.apiKey)), fc.integer({ min: -1, max: 20 }), fc.uint8Array({ maxLength: 80 })).map(([k, v, rest]) => {
      const b = new Uint8Array(4 + rest.length);
      new DataView(b.buffer).setInt16(0, k);
      new DataView(b.buffer).setInt16(2, v);
      b.set(rest, 4);
      return b;
    });
    fc.assert(
      fc.property(fc.oneof(valid, fc.uint8Array({ maxLength: 40 })), (frame) => {
        try {
          decodeRequestFrame(frame);
        } catch (e) {
          if (!(e instanceof ProtocolDecodeError || e instanceof UnsupportedVersionError)) throw e;
        }
      }),
      { numRuns: 3000, seed: 99 },
    );
  });
});

describe('Reader primitives', () => {
  it('rejects over-long and overflowing varints', () => {
    expect(() => new Reader(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).uvarint()).toThrow(ProtocolDecodeError);
    expect(() => new Reader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x1f])).uvarint()).toThrow(ProtocolDecodeError);
    expect(new Reader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])).uvarint()).toBe(0xffffffff);
    expect(() => new Reader(new Uint8Array([0x80])).uvarint()).toThrow(ProtocolDecodeError);
    expect(() => new Reader(new Uint8Array(Array(10).fill(0xff).concat([0x01]))).uvarlong()).toThrow(ProtocolDecodeError);
  });
  it('varint/varlong zig-zag round-trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (i, l) => {
        const w = new Writer(15);
        w.varint(i);
        w.varlong(l);
        const r = new Reader(w.buf, 0, w.pos);
        expect(r.varint()).toBe(i);
        expect(r.varlong()).toBe(l);
        expect(r.remaining()).toBe(0);
      }),
    );
  });
  it('bytes are views, not copies', () => {
    const buf = new Uint8Array([0, 0, 0, 3, 1, 2, 3]);
    const b = new Reader(buf).bytes();
    expect(b.buffer).toBe(buf.buffer);
    expect(b.byteOffset).toBe(4);
  });
  it('rejects invalid UTF-8 and negative lengths with ProtocolDecodeError', () => {
    expect(() => new Reader(new Uint8Array([0, 2, 0xc3, 0x28])).string()).toThrow(ProtocolDecodeError);
    expect(() => new Reader(new Uint8Array([0xff, 0xfe])).nullableString()).toThrow(ProtocolDecodeError);
    expect(() => new Reader(new Uint8Array([0xff, 0xff])).string()).toThrow(ProtocolDecodeError);
    expect(new Reader(new Uint8Array([0xff, 0xff])).nullableString()).toBeNull();
  });
});
