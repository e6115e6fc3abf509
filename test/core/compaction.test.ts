// The cleaner's core primitives: MurmurHash3 x64_128 against published vectors, the offset map (put, get,
// overwrite, limit, probing under collisions of the slot index), map-put over batches (keyed records only,
// control batches skipped, stops at the limit, at compressed and partial batches), AF_REQUIRE_KEY, and the
// bounds checks of every new entry point (errors, never traps).
import { describe, expect, it } from 'vitest';
import type { RivuletCore } from '../../bindings/core.js';
import { CoreError, ErrorCode, KafkaError, kafkaErrorFor } from '../../bindings/errors.js';
import * as layout from '../../bindings/layout.js';
import { newCore } from '../../bindings/node.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const u64 = (x: string) => BigInt.asUintN(64, BigInt(x));

// Published MurmurHash3_x64_128 vectors (h1, h2), as the reference C++ implementation computes them.
const VECTORS: Array<[string, number, string, string]> = [
  ['', 0, '0x0000000000000000', '0x0000000000000000'],
  ['hello', 0, '0xcbd8a7b341bd9b02', '0x5b1e906a48ae1d19'],
  ['hell', 0, '0x629942693e10f867', '0x92db0b82baeb5347'],
  ['hello', 1, '0xa78ddff5adae8d10', '0x128900ef20900135'],
  ['hello ', 2, '0x8a486b23f422e826', '0xf962a2c58947765f'],
  ['hello w', 3, '0x2ea59f466f6bed8c', '0xc610990acc428a17'],
  ['hello wo', 4, '0x79f6305a386c572c', '0x46305aed3483b94e'],
  ['hello wor', 5, '0xc2219d213ec1f1b5', '0xa1d8e2e0a52785bd'],
  ['123456789012345', 0, '0x887001aea2afcfd6', '0x1ec326364f0801b3'],
  ['1234567890123456', 0, '0x4fbe5dc5c0e32cf8', '0xc0c8e96b60c322c1'],
  ['12345678901234567', 0, '0x748617968026b77e', '0x291e6386473f7103'],
  ['The quick brown fox jumps over the lazy dog', 0, '0xe34bbc7bbc071b6c', '0x7a433ca9c49a9347'],
  ['The quick brown fox jumps over the lazy cog', 0, '0x658ca970ff85269a', '0x43fee3eaa68e5c3e'],
];

function batch(core: RivuletCore, baseOffset: number, records: Array<{ key: string | null; value?: string | null }>, extra: { control?: boolean } = {}): Uint8Array {
  return core.encodeBatch({ baseOffset, baseTimestamp: 1000, records: records.map((r, i) => ({ key: r.key, value: r.value === undefined ? `v${i}` : r.value, timestamp: 1000 + i })), ...extra });
}

function region(core: RivuletCore, ...parts: Uint8Array[]): { ptr: number; len: number } {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const r = core.alloc(Math.max(len, 1));
  let at = 0;
  for (const p of parts) {
    r.write(p, at);
    at += p.length;
  }
  return { ptr: r.ptr, len };
}

describe('MurmurHash3 x64_128', () => {
  const core = newCore();
  it.each(VECTORS)('%j seed %i', (input, seed, h1, h2) => {
    const h = core.keyHash128(utf8(input), seed);
    expect(h.hi.toString(16)).toBe(u64(h1).toString(16));
    expect(h.lo.toString(16)).toBe(u64(h2).toString(16));
  });
  it('hashes every tail length differently, and a 1-bit change changes both halves', () => {
    const seen = new Set<string>();
    const bytes = new Uint8Array(40).map((_, i) => i * 7 + 1);
    for (let n = 0; n <= 40; n++) {
      const h = core.keyHash128(bytes.subarray(0, n));
      seen.add(`${h.hi}:${h.lo}`);
    }
    expect(seen.size).toBe(41);
    const a = core.keyHash128(utf8('The quick brown fox jumps over the lazy dog'));
    const b = core.keyHash128(utf8('The quick brown fox jumps over the lazy eog'));
    expect(a.hi).not.toBe(b.hi);
    expect(a.lo).not.toBe(b.lo);
  });
});

describe('offset map', () => {
  it('puts, gets, overwrites and counts distinct keys', () => {
    const core = newCore();
    const map = core.offsetMap(64, 48);
    expect(map.size).toBe(0);
    expect(map.get('a')).toBe(-1n);
    map.put('a', 5);
    map.put('b', 7);
    map.put('a', 9);
    map.put(new Uint8Array(0), 11); // the empty key is a key
    expect(map.get('a')).toBe(9n);
    expect(map.get('b')).toBe(7n);
    expect(map.get(new Uint8Array(0))).toBe(11n);
    expect(map.get('c')).toBe(-1n);
    expect(map.size).toBe(3);
    expect(map.lastOffset).toBe(11n);
    map.reset();
    expect(map.size).toBe(0);
    expect(map.get('a')).toBe(-1n);
    expect(map.lastOffset).toBe(-1n);
  });

  it('accepts keys up to its limit, then INDEX_FULL for a new key but not for a known one', () => {
    const core = newCore();
    const map = core.offsetMap(16, 10);
    for (let i = 0; i < 10; i++) map.put(`k${i}`, i);
    expect(map.size).toBe(10);
    expect(() => map.put('new', 99)).toThrow(CoreError);
    try {
      map.put('new', 99);
    } catch (e) {
      expect((e as CoreError).code).toBe(ErrorCode.INDEX_FULL);
    }
    map.put('k3', 100);
    expect(map.get('k3')).toBe(100n);
    for (let i = 0; i < 10; i++) if (i !== 3) expect(map.get(`k${i}`)).toBe(BigInt(i));
  });

  it('a full table (limit = slots) answers absent keys after a bounded probe', () => {
    const core = newCore();
    const map = core.offsetMap(8, 8);
    for (let i = 0; i < 8; i++) map.put(`k${i}`, i);
    expect(map.get('absent')).toBe(-1n);
    for (let i = 0; i < 8; i++) expect(map.get(`k${i}`)).toBe(BigInt(i));
  });

  it('holds many keys in a small table (probing across collisions), as a JS Map does', () => {
    const core = newCore();
    const map = core.offsetMap(4096, 3686);
    const ref = new Map<string, number>();
    let s = 12345;
    for (let i = 0; i < 20000; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const k = `key-${s % 3000}`;
      map.put(k, i);
      ref.set(k, i);
    }
    expect(map.size).toBe(ref.size);
    for (const [k, v] of ref) expect(map.get(k)).toBe(BigInt(v));
    expect(map.get('key-3001')).toBe(-1n);
  });

  it('grows its table in place as keys come, up to every reserved slot, losing no key or offset', () => {
    const core = newCore();
    // 100,000 keys: the table doubles from its initial 8,192 slots, then spans all 200,003 slots.
    const map = core.offsetMap(200_003, 180_000);
    const table = () => core.dv.getInt32(map.state + layout.OffsetMapState.TABLE, true);
    expect(table()).toBe(8192);
    const ref = new Map<string, number>();
    let s = 99;
    for (let i = 0; i < 150_000; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const k = `k${i < 100_000 ? i : s % 100_000}`; // every key once, then overwrites
      map.put(k, i);
      ref.set(k, i);
      if (i === 4095) expect(table()).toBe(8192);
      if (i === 4096) expect(table()).toBe(16384);
    }
    expect(table()).toBe(200_003);
    expect(map.size).toBe(100_000);
    expect(map.lastOffset).toBe(149_999n);
    for (const [k, v] of ref) expect(map.get(k)).toBe(BigInt(v));
    expect(map.get('k100000')).toBe(-1n);
    map.reset();
    expect(table()).toBe(8192);
    expect(map.get('k5')).toBe(-1n);
    map.put('k5', 1);
    expect(map.get('k5')).toBe(1n);
    // A map reserved smaller than the initial table uses all of it from the start.
    const small = core.offsetMap(100, 90);
    expect(core.dv.getInt32(small.state + layout.OffsetMapState.TABLE, true)).toBe(100);
  });

  it('resizes (slots only grow) and rejects sizes the core would refuse', () => {
    const core = newCore();
    const map = core.offsetMap(8, 4);
    map.put('x', 1);
    map.resize(1024, 900);
    expect(map.size).toBe(0);
    expect(map.slots).toBe(1024);
    expect(map.limit).toBe(900);
    expect(() => map.resize(0, 0)).toThrow(RangeError);
    expect(() => map.resize(8, 9)).toThrow(RangeError);
  });

  it('map-put over batches: keyed records only, control batches skipped, stops at the limit, a compressed and a partial batch', () => {
    const core = newCore();
    const map = core.offsetMap(64, 5);
    const b1 = batch(core, 0, [{ key: 'a' }, { key: null }, { key: 'b' }]);
    const ctl = batch(core, 3, [{ key: 'ctl' }], { control: true });
    const b2 = batch(core, 4, [{ key: 'a' }, { key: 'c', value: null }]);
    const b3 = batch(core, 6, [{ key: 'd' }, { key: 'e' }, { key: 'f' }]);
    const { ptr, len } = region(core, b1, ctl, b2, b3);
    const r = map.putBatchesAt(ptr, len);
    expect(r).toEqual({ bytes: b1.length + ctl.length + b2.length, stop: 'full', records: 4, batches: 3, lastOffset: 5n });
    expect(map.get('a')).toBe(4n);
    expect(map.get('b')).toBe(2n);
    expect(map.get('c')).toBe(5n);
    expect(map.get('ctl')).toBe(-1n);
    expect(map.size).toBe(3);

    const compressed = core.encodeBatchRaw({ baseOffset: 9, records: core.encodeRecords([{ key: 'z', value: 'v' }], 0), recordCount: 1, compression: 1, maxTimestamp: 0, lastOffsetDelta: 0 });
    const rest = region(core, b3, compressed, b1.subarray(0, 70));
    const map2 = core.offsetMap(64, 60);
    expect(map2.putBatchesAt(rest.ptr, rest.len)).toEqual({ bytes: b3.length, stop: 'compressed', records: 3, batches: 1, lastOffset: 8n });
    // The host hands the (here uncompressed) records section of the compressed batch to putRecordsAt.
    const section = core.encodeRecords([{ key: 'z', value: 'v' }], 0);
    const sec = region(core, section);
    expect(map2.putRecordsAt(rest.ptr + b3.length, sec.ptr, sec.len)).toBe(1);
    expect(map2.get('z')).toBe(9n);
    const after = rest.ptr + b3.length + compressed.length;
    expect(map2.putBatchesAt(after, 70)).toEqual({ bytes: 0, stop: 'end', records: 0, batches: 0, lastOffset: -1n });
  });

  it('map-put rejects a corrupt batch with its error code', () => {
    const core = newCore();
    const map = core.offsetMap(64, 60);
    const b = batch(core, 0, [{ key: 'a' }]);
    const bad = b.slice();
    bad[16] = 1; // magic
    const r = region(core, bad);
    expect(() => map.putBatchesAt(r.ptr, r.len)).toThrow(/BAD_MAGIC/);
  });
});

describe('cleaner pass', () => {
  it('a compressed batch without records is not handed back: dropped, or kept uncompressed when retained', () => {
    const core = newCore();
    const map = core.offsetMap(64, 48);
    const pass = core.logCleanerPass();
    const empty = core.encodeBatchRaw({ baseOffset: 5, records: new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]), recordCount: 0, compression: 1, maxTimestamp: 77, lastOffsetDelta: 2, producerId: 4, producerEpoch: 1, baseSequence: 9 });
    const { ptr, len } = region(core, empty);
    expect(map.putBatchesAt(ptr, len)).toEqual({ bytes: len, stop: 'end', records: 0, batches: 1, lastOffset: 7n });
    const out = core.allocPtr(256, 8);
    pass.setParams({ nowMs: 0, horizonMs: 0, retainLastOffsets: [] });
    const dropped = pass.cleanAt(map, ptr, len, out, 256);
    expect([dropped.stop, dropped.bytesRead, dropped.bytesWritten, dropped.stats.batchesRead]).toEqual(['end', len, 0, 1]);
    pass.setParams({ nowMs: 0, horizonMs: 0, retainLastOffsets: [3n, 7n, 11n] });
    const kept = pass.cleanAt(map, ptr, len, out, 256);
    expect(kept.batches).toEqual([{ position: 0, size: 61, baseOffset: 5n, lastOffset: 7n, maxTimestamp: 77n, offsetOfMaxTimestamp: 7n, recordCount: 0, leaderEpoch: -1 }]);
    const info = core.validateBatch(core.u8.slice(out, out + 61));
    expect([info.compression, info.recordCount, info.producerId, info.producerEpoch, info.baseSequence, info.lastOffsetDelta]).toEqual([0, 0, 4n, 1, 9, 2]);
  });
});

describe('cleaner pass: rebuilds', () => {
  // Batches of up to 4,096 records are rebuilt from the decide pass's notes; bigger ones decide again.
  // With tombstones the kept records are rewritten for the new delete horizon; without, copied as they are.
  it.each([[16, false], [4096, false], [4097, false], [6000, false], [4096, true], [6000, true]])('a batch of %i records (tombstones: %s) keeps exactly the records the map says are latest', (n, tombstones) => {
    const core = newCore();
    const map = core.offsetMap(1 << 15, 1 << 14);
    const recs = Array.from({ length: n }, (_, i) => ({ key: `k${i % 997}`, value: tombstones && i % 13 === 0 ? null : `v${i}` }));
    for (let i = 0; i < n; i++) map.put(recs[i]!.key, i);
    map.put('k5', 1_000_000); // a later record of k5 elsewhere: every k5 here goes
    const b = batch(core, 0, recs);
    const r = region(core, b);
    const pass = core.logCleanerPass();
    pass.setParams({ nowMs: 0, horizonMs: 0, retainLastOffsets: [] });
    const out = core.allocPtr(b.length + 10 * n + 4096, 8);
    const s = pass.cleanAt(map, r.ptr, r.len, out, b.length + 10 * n + 4096);
    const want = recs.map((x, i) => ({ ...x, offset: i })).filter((x, i) => x.key !== 'k5' && (i + 997 >= n || n <= 997 || i >= n - 997));
    expect(s.stats.recordsKept).toBe(want.length);
    const [got] = core.decodeBatches(core.u8.slice(out, out + s.bytesWritten));
    expect((core.dv.getInt16(out + 21) & 0x40) !== 0).toBe(tombstones);
    expect(got!.records.map((x) => [x.offset, x.key === null ? null : new TextDecoder().decode(x.key), x.value === null ? null : new TextDecoder().decode(x.value)]))
      .toEqual(want.map((x) => [BigInt(x.offset), x.key, x.value]));
  });
});

describe('cleaner pass: CRC checked where a new CRC is written', () => {
  // A corrupt byte in a record's value: the records still parse, only the CRC tells.
  function corruptValue(b: Uint8Array, value: string): Uint8Array {
    const bad = b.slice();
    const at = Buffer.from(bad).indexOf(value);
    expect(at).toBeGreaterThan(61);
    bad[at] ^= 0x20;
    return bad;
  }
  function setup() {
    const core = newCore();
    const map = core.offsetMap(64, 48);
    map.put('a', 100); // every record of key 'a' below 100 is dropped
    const pass = core.logCleanerPass();
    const out = core.allocPtr(4096, 8);
    return { core, map, pass, out };
  }

  it('a corrupt batch that would be rebuilt fails with BAD_CRC', () => {
    const { core, map, pass, out } = setup();
    pass.setParams({ nowMs: 0, horizonMs: 0, retainLastOffsets: [] });
    const r = region(core, corruptValue(batch(core, 0, [{ key: 'a', value: 'old' }, { key: 'b', value: 'keep' }]), 'keep'));
    expect(() => pass.cleanAt(map, r.ptr, r.len, out, 4096)).toThrow(/BAD_CRC/);
    // So does one whose header would be signed anew (producer id flipped), and a tombstone's new horizon.
    const header = batch(core, 0, [{ key: 'a' }, { key: 'b' }]).slice();
    header[43] ^= 1;
    const h = region(core, header);
    expect(() => pass.cleanAt(map, h.ptr, h.len, out, 4096)).toThrow(/BAD_CRC/);
    const t = region(core, corruptValue(batch(core, 0, [{ key: 'b', value: null }, { key: 'c', value: 'live' }]), 'live'));
    pass.setParams({ nowMs: 0, horizonMs: 5000, retainLastOffsets: [] });
    expect(() => pass.cleanAt(map, t.ptr, t.len, out, 4096)).toThrow(/BAD_CRC/);
  });

  it('a corrupt batch kept whole is copied unchanged, its bad CRC intact', () => {
    const { core, map, pass, out } = setup();
    pass.setParams({ nowMs: 0, horizonMs: 0, retainLastOffsets: [] });
    const bad = corruptValue(batch(core, 0, [{ key: 'b', value: 'one' }, { key: 'c', value: 'two' }]), 'two');
    const r = region(core, bad);
    const s = pass.cleanAt(map, r.ptr, r.len, out, 4096);
    expect([s.stop, s.bytesRead, s.bytesWritten, s.stats.recordsKept]).toEqual(['end', bad.length, bad.length, 2]);
    expect(core.u8.slice(out, out + bad.length)).toEqual(bad);
    expect(core.crc32c(bad.subarray(21))).not.toBe(new DataView(bad.buffer).getUint32(17));
  });

  it('a corrupt batch whose records are all dropped is dropped; kept as an empty header it fails with BAD_CRC', () => {
    const { core, map, pass, out } = setup();
    const good = batch(core, 0, [{ key: 'b', value: 'first' }]);
    const bad = corruptValue(batch(core, 1, [{ key: 'a', value: 'gone' }, { key: 'a', value: 'also' }]), 'gone');
    const r = region(core, good, bad);
    pass.setParams({ nowMs: 0, horizonMs: 0, retainLastOffsets: [] });
    const s = pass.cleanAt(map, r.ptr, r.len, out, 4096);
    expect([s.stop, s.bytesRead, s.bytesWritten, s.stats.batchesRead, s.stats.recordsKept]).toEqual(['end', r.len, good.length, 2, 1]);
    expect(core.u8.slice(out, out + good.length)).toEqual(good);
    // The last batch of a live producer keeps its header, under a new CRC: verified first.
    pass.setParams({ nowMs: 0, horizonMs: 0, retainLastOffsets: [2n] });
    expect(() => pass.cleanAt(map, r.ptr, r.len, out, 4096)).toThrow(/BAD_CRC/);
  });

  it('a corrupt compressed batch is not handed to the host', () => {
    const { core, map, pass, out } = setup();
    pass.setParams({ nowMs: 0, horizonMs: 0, retainLastOffsets: [] });
    const compressed = core.encodeBatchRaw({ baseOffset: 0, records: core.encodeRecords([{ key: 'z', value: 'v' }], 0), recordCount: 1, compression: 1, maxTimestamp: 0, lastOffsetDelta: 0 });
    const ok = region(core, compressed);
    expect(pass.cleanAt(map, ok.ptr, ok.len, out, 4096).stop).toBe('compressed');
    const bad = compressed.slice();
    bad[bad.length - 1] ^= 1;
    const r = region(core, bad);
    expect(() => pass.cleanAt(map, r.ptr, r.len, out, 4096)).toThrow(/BAD_CRC/);
  });
});

describe('bounds checks: errors, never traps', () => {
  const core = newCore();
  const x = core.exports;
  const mem = core.exports.memory.buffer.byteLength;
  const huge = 0x7ffffff0;
  it('hash and map entry points refuse pointers outside memory or inside the private area', () => {
    expect(x.keyHash128(mem - 4, 8, 0, core.allocPtr(16, 8))).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(x.keyHash128(core.allocPtr(8, 8), 8, 0, 0)).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(x.keyHash128(0, -1, 0, core.allocPtr(16, 8))).toBe(ErrorCode.OUT_OF_BOUNDS);
    const state = core.allocPtr(layout.OffsetMapState.BYTES, 8);
    expect(x.offsetMapInit(0, core.allocPtr(24, 8), 1, 1)).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(x.offsetMapInit(state, mem - 24, 2, 1)).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(x.offsetMapInit(state, 0, 1, 1)).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(x.offsetMapInit(state, core.allocPtr(24, 8), 1, 2)).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(x.offsetMapInit(state, core.allocPtr(24, 8), 0, 0)).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(x.offsetMapInit(state, core.allocPtr(24, 8), huge, 0)).toBe(ErrorCode.INVALID_ARGUMENT);
    // A state whose fields were overwritten with garbage is refused by every entry point.
    const garbage = core.allocPtr(layout.OffsetMapState.BYTES, 8);
    core.dv.setInt32(garbage + layout.OffsetMapState.ENTRIES, mem - 8, true);
    core.dv.setInt32(garbage + layout.OffsetMapState.SLOTS, 1000, true);
    expect(x.offsetMapReset(garbage)).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(x.offsetMapPut(garbage, core.allocPtr(1, 8), 1, 0n)).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(x.offsetMapGet(garbage, core.allocPtr(1, 8), 1)).toBe(BigInt(ErrorCode.OUT_OF_BOUNDS));
    expect(x.offsetMapPutBatches(garbage, core.allocPtr(8, 8), 8, core.allocPtr(layout.MapPutResult.SIZE, 8))).toBe(ErrorCode.OUT_OF_BOUNDS);
    const map = core.offsetMap(8, 4);
    expect(x.offsetMapPut(map.state, mem - 2, 4, 0n)).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(x.offsetMapPut(map.state, core.allocPtr(1, 8), 1, -5n)).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(x.offsetMapGet(map.state, mem - 2, 4)).toBe(BigInt(ErrorCode.OUT_OF_BOUNDS));
    expect(x.offsetMapPutBatches(map.state, mem - 10, 100, core.allocPtr(layout.MapPutResult.SIZE, 8))).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(x.offsetMapPutBatches(map.state, core.allocPtr(8, 8), 8, mem - 4)).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(x.offsetMapPutRecords(map.state, mem - 30, core.allocPtr(8, 8), 8)).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(x.offsetMapPutRecords(map.state, core.allocPtr(61, 8), mem - 3, 8)).toBe(ErrorCode.OUT_OF_BOUNDS);
  });

  it('cleaner entry points refuse bad pointers, overlapping output, and garbage parameters', () => {
    const map = core.offsetMap(8, 4);
    const pass = core.logCleanerPass();
    const b = batch(core, 0, [{ key: 'a' }]);
    const { ptr, len } = region(core, b);
    const out = core.allocPtr(256, 8);
    const params = core.allocPtr(layout.CleanParams.BYTES, 8);
    const result = core.allocPtr(layout.CleanResult.HEADER_BYTES + 4 * layout.CleanBatch.BYTES, 8);
    core.dv.setInt32(result + layout.CleanResult.CAPACITY, 4, true);
    expect(x.cleanBatches(map.state, ptr, len, out, 256, params, result)).toBe(0);
    expect(x.cleanBatches(map.state, mem - 10, 100, out, 256, params, result)).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(x.cleanBatches(map.state, ptr, len, mem - 100, 256, params, result)).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(x.cleanBatches(map.state, ptr, len, 0, 256, params, result)).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(x.cleanBatches(map.state, ptr, len, ptr + 4, 256, params, result)).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(x.cleanBatches(map.state, ptr, len, out, 256, mem - 4, result)).toBe(ErrorCode.OUT_OF_BOUNDS);
    core.dv.setInt32(params + layout.CleanParams.RETAIN_COUNT, 1 << 27, true);
    expect(x.cleanBatches(map.state, ptr, len, out, 256, params, result)).toBe(ErrorCode.OUT_OF_BOUNDS);
    core.dv.setInt32(params + layout.CleanParams.RETAIN_COUNT, -1, true);
    expect(x.cleanBatches(map.state, ptr, len, out, 256, params, result)).toBe(ErrorCode.OUT_OF_BOUNDS);
    core.dv.setInt32(params + layout.CleanParams.RETAIN_COUNT, 0, true);
    core.dv.setInt32(result + layout.CleanResult.CAPACITY, huge, true);
    expect(x.cleanBatches(map.state, ptr, len, out, 256, params, result)).toBe(ErrorCode.OUT_OF_BOUNDS);
    core.dv.setInt32(result + layout.CleanResult.CAPACITY, 4, true);
    const filter = core.allocPtr(layout.RecordsFilter.BYTES, 8);
    expect(x.cleanRecords(map.state, ptr, ptr + 61, len - 61, out, 256, params, mem - 8)).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(x.cleanRecords(map.state, mem - 20, ptr + 61, len - 61, out, 256, params, filter)).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(x.cleanRecords(map.state, ptr, ptr + 61, len - 61, ptr + 70, 256, params, filter)).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(x.cleanRecords(map.state, ptr, ptr + 61, len - 61, out, 256, params, filter)).toBe(0);
    const entry = core.allocPtr(layout.CleanBatch.BYTES, 8);
    expect(x.cleanFinishBatch(ptr, filter, 0, 0, out, 256, mem - 4)).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(x.cleanFinishBatch(ptr, filter, 0, 0, out, 10, entry)).toBe(ErrorCode.OUTPUT_TOO_SMALL);
    core.dv.setInt32(filter + layout.RecordsFilter.ACTION, 3, true);
    expect(x.cleanFinishBatch(ptr, filter, mem - 2, 10, out, 256, entry)).toBe(ErrorCode.OUT_OF_BOUNDS);
    core.dv.setInt32(filter + layout.RecordsFilter.ACTION, 9, true);
    expect(x.cleanFinishBatch(ptr, filter, 0, 0, out, 256, entry)).toBe(ErrorCode.INVALID_ARGUMENT);
    // Corrupt input: a bad CRC is an error with its position, not a trap.
    const bad = b.slice();
    bad[bad.length - 1]! ^= 1;
    const r = region(core, bad);
    expect(() => pass.cleanAt(map, r.ptr, r.len, out, 256)).toThrow(/BAD_CRC/);
  });

  it('random bytes never trap map-put or clean', () => {
    const map = core.offsetMap(64, 32);
    const pass = core.logCleanerPass();
    const b = batch(core, 0, [{ key: 'a' }, { key: 'b', value: null }, { key: null }]);
    const buf = core.alloc(b.length);
    const out = core.allocPtr(4096, 8);
    let s = 7;
    for (let i = 0; i < 20000; i++) {
      const m = b.slice();
      for (let k = 0; k < 3; k++) {
        s = (s * 1103515245 + 12345) >>> 0;
        m[s % m.length] = (s >>> 8) & 0xff;
      }
      // Fix the CRC so that the mutation reaches the record parser.
      new DataView(m.buffer).setUint32(17, core.crc32c(m.subarray(21)));
      buf.write(m);
      for (const f of [() => map.putBatchesAt(buf.ptr, m.length), () => pass.cleanAt(map, buf.ptr, m.length, out, 4096)]) {
        try {
          f();
        } catch (e) {
          if (!(e instanceof CoreError)) throw e;
        }
      }
    }
  });
});

describe('AF_REQUIRE_KEY', () => {
  it('fails the append of a keyless record in an uncompressed batch with KEY_REQUIRED → INVALID_RECORD', () => {
    const core = newCore();
    const keyed = core.encodeBatch({ records: [{ key: 'a', value: '1' }, { key: '', value: null }] });
    const keyless = core.encodeBatch({ records: [{ key: 'a', value: '1' }, { key: null, value: '2' }] });
    expect(core.append(keyed.slice(), { nextOffset: 0, requireKey: true }).error).toBe(0);
    const s = core.append(keyless.slice(), { nextOffset: 0, requireKey: true });
    expect(s.error).toBe(ErrorCode.KEY_REQUIRED);
    expect(s.errorBatch).toBe(0);
    expect(kafkaErrorFor(s.error)).toBe(KafkaError.INVALID_RECORD);
    expect(core.append(keyless.slice(), { nextOffset: 0 }).error).toBe(0);
    // Compressed batches are the host's to check.
    const compressed = core.encodeBatchRaw({ records: core.encodeRecords([{ key: null, value: 'x' }], 0), recordCount: 1, compression: 1, maxTimestamp: 0, lastOffsetDelta: 0 });
    expect(core.append(compressed, { nextOffset: 0, requireKey: true }).error).toBe(0);
  });
});

describe('layout', () => {
  it('new layouts match the wasm exports', () => {
    const core = newCore();
    const x = core.exports as unknown as Record<string, WebAssembly.Global>;
    const g = (n: string) => Number((x[n] as WebAssembly.Global).value);
    expect(g('OFFSET_MAP_STATE_SIZE')).toBe(layout.OffsetMapState.BYTES);
    expect(g('OM_LAST_OFFSET')).toBe(layout.OffsetMapState.LAST_OFFSET);
    expect(g('OM_TABLE')).toBe(layout.OffsetMapState.TABLE);
    expect(g('OFFSET_MAP_ENTRY_SIZE')).toBe(layout.OFFSET_MAP_ENTRY);
    expect(g('MAP_PUT_RESULT_SIZE')).toBe(layout.MapPutResult.SIZE);
    expect(g('MP_LAST_OFFSET')).toBe(layout.MapPutResult.LAST_OFFSET);
    expect(g('CLEAN_PARAMS_SIZE')).toBe(layout.CleanParams.BYTES);
    expect(g('CLEAN_RESULT_HEADER')).toBe(layout.CleanResult.HEADER_BYTES);
    expect(g('CR_KEYLESS_DROPPED')).toBe(layout.CleanResult.KEYLESS_DROPPED);
    expect(g('CLEAN_BATCH_ENTRY')).toBe(layout.CleanBatch.BYTES);
    expect(g('CE_LEADER_EPOCH')).toBe(layout.CleanBatch.LEADER_EPOCH);
    expect(g('RECORDS_FILTER_SIZE')).toBe(layout.RecordsFilter.BYTES);
    expect(g('RF_MAX_TIMESTAMP')).toBe(layout.RecordsFilter.MAX_TIMESTAMP);
    expect(g('CLEAN_GROWTH_PER_RECORD')).toBe(layout.CLEAN_GROWTH_PER_RECORD);
    expect(g('E_KEY_REQUIRED')).toBe(ErrorCode.KEY_REQUIRED);
  });
});
