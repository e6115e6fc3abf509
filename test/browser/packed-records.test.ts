// The page → Worker packing of appends (host-browser/packed-records.ts), in Node: records come back as
// they went in, strings as UTF-8, buffers are reused from the pool, and input errors are named.
import { describe, expect, it } from 'vitest';
import { BufferPool, FRAME_HEADER, packRecords, readFrameAnswer, readFrameRequest, unpackRecords, writeFrameAnswer, writeFrameRequest, type RecordInput } from '../../host-browser/packed-records.js';

const enc = new TextEncoder();
const bytes = (v: string | Uint8Array | null | undefined) => (v == null ? null : typeof v === 'string' ? [...enc.encode(v)] : [...v]);

function roundTrip(records: RecordInput[], pool = new BufferPool()) {
  const { buffer, length } = packRecords(records, pool);
  return { buffer, length, out: unpackRecords(buffer, length) };
}

describe('packed records', () => {
  it('round-trips keys, values, headers and timestamps; text as UTF-8 (multi-byte, astral, lone surrogates)', () => {
    // Long ones (> 4096 code units) are measured exactly before packing: every kind of character, and
    // surrogates alone at the very end.
    const long = 'aé日🙂\udc00\ud800x'.repeat(1000);
    const texts = ['', 'plain', 'é ü ß', '日本語', '🙂 rocket 🚀', 'lone \ud800 surrogate', 'x'.repeat(5000), long, long + '\ud800', long + '🙂'.slice(0, 1)];
    const records: RecordInput[] = texts.map((t, i) => ({
      key: i % 2 ? t : null,
      value: i % 3 ? enc.encode(t) : t,
      headers: i % 2 ? { [`h-${t}`]: t, n: null } : [{ key: t, value: new Uint8Array([i]) }],
      timestamp: i === 0 ? undefined : i === 1 ? new Date(1700000000000) : 1700000000000 + i,
    }));
    const { out, length, buffer } = roundTrip(records);
    expect(buffer.byteLength).toBeGreaterThanOrEqual(length);
    expect(out.length).toBe(records.length);
    out.forEach((r, i) => {
      const src = records[i]!;
      expect(bytes(r.key)).toEqual(bytes(src.key));
      expect(bytes(r.value)).toEqual(bytes(src.value));
      const hs = Array.isArray(src.headers) ? src.headers : Object.entries(src.headers!).map(([key, value]) => ({ key, value }));
      expect(r.headers!.map((h) => [h.key, bytes(h.value)])).toEqual(hs.map((h) => [new TextDecoder().decode(enc.encode(h.key)), bytes(h.value)]));
      expect(r.timestamp).toBe(i === 0 ? undefined : i === 1 ? 1700000000000 : 1700000000000 + i);
    });
  });

  it('takes a buffer just big enough for long text (measured, not 3 bytes per code unit)', () => {
    const { buffer, length } = packRecords([{ value: 'é'.repeat(300_000) }], new BufferPool());
    expect(length).toBe(4 + 8 + 4 + 4 + 600_000 + 4);
    expect(buffer.byteLength).toBeGreaterThanOrEqual(FRAME_HEADER + length);
    expect(buffer.byteLength).toBe(1 << 20);
  });

  it('packs only the bytes of a view, and no headers as none', () => {
    const big = new Uint8Array(64).map((_, i) => i);
    const { out } = roundTrip([{ key: big.subarray(2, 4), value: big.subarray(10, 13) }]);
    expect(bytes(out[0]!.key)).toEqual([2, 3]);
    expect(bytes(out[0]!.value)).toEqual([10, 11, 12]);
    expect(out[0]!.headers).toBeUndefined();
  });

  it('reuses buffers given back, keeps big ones out of the pool', () => {
    const pool = new BufferPool();
    const a = packRecords([{ value: 'x'.repeat(100) }], pool).buffer;
    expect(a.byteLength).toBe(4096);
    pool.give(a);
    const b = packRecords([{ value: 'y'.repeat(200) }], pool).buffer;
    expect(b).toBe(a); // the same buffer again
    expect(packRecords([{ value: new Uint8Array(10_000) }], pool).buffer.byteLength).toBe(16384); // a small pooled one does not fit
    const huge = packRecords([{ value: new Uint8Array(BufferPool.MAX_BUFFER + 1) }], pool).buffer;
    pool.give(huge);
    expect(packRecords([{ value: new Uint8Array(BufferPool.MAX_BUFFER + 1) }], pool).buffer).not.toBe(huge);
  });

  it('names the record and field of bad input', () => {
    const pool = new BufferPool();
    const msg = (rs: unknown[]) => {
      try {
        packRecords(rs as RecordInput[], pool);
        return 'no error';
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
    };
    expect(msg([{ value: 'ok' }, null])).toBe('TypeError: record 1 must be an object');
    expect(msg([{ value: 42 }])).toMatch(/^TypeError: record 0: value must be/);
    expect(msg([{ key: 7, value: 'x' }])).toMatch(/^TypeError: record 0: key must be/);
    expect(msg([{ value: 'x', headers: 'h' }])).toMatch(/^TypeError: record 0: headers must be/);
    expect(msg([{ value: 'x', headers: { h: 7 } }])).toMatch(/^TypeError: record 0: a header value must be/);
    expect(msg([{ value: 'x', headers: [null] }])).toMatch(/^TypeError: record 0: a header value must be/);
    expect(msg([{ value: 'x', timestamp: 1.5 }])).toMatch(/^TypeError: record 0: timestamp must be an integer/);
  });

  it('carries an append request and its answer in the frame header, records untouched', () => {
    const { buffer, length } = packRecords([{ key: 'k', value: 'v', timestamp: 5 }], new BufferPool());
    writeFrameRequest(buffer, 0xfffffffe, 7, length);
    expect(readFrameRequest(buffer)).toEqual({ id: 0xfffffffe, logId: 7, length });
    expect(unpackRecords(buffer, length).map((r) => [bytes(r.key), bytes(r.value), r.timestamp])).toEqual([[[107], [118], 5]]);
    writeFrameAnswer(buffer, 0xfffffffe, { baseOffset: 2 ** 40, lastOffset: 2 ** 40 + 9 });
    expect(readFrameAnswer(buffer)).toEqual({ id: 0xfffffffe, baseOffset: 2 ** 40, lastOffset: 2 ** 40 + 9 });
    expect(readFrameRequest(new ArrayBuffer(8))).toBeNull();
    expect(readFrameAnswer(new ArrayBuffer(8))).toBeNull();
  });

  it('rejects a malformed buffer or length', () => {
    const { buffer, length } = packRecords([{ key: 'k', value: 'v' }], new BufferPool());
    expect(() => unpackRecords(buffer, length - 1)).toThrow(/malformed/);
    expect(() => unpackRecords(buffer, length + 1)).toThrow(/trailing bytes/);
    expect(() => unpackRecords(buffer, buffer.byteLength - FRAME_HEADER + 1)).toThrow(/bad packed length/);
    expect(() => unpackRecords(buffer, undefined)).toThrow(/bad packed length/);
    expect(() => unpackRecords(new Uint8Array(8), 8)).toThrow(/packed ArrayBuffer/);
  });
});
