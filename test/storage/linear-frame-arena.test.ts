// Regions of the WASM core's linear memory lent for Produce frames: taken and reused up to a limit, still
// right after linear memory grows (views are rebuilt, bytes never move), and stage() leaves bytes that are
// already there where they are.
import { describe, expect, it } from 'vitest';
import { WasmStorageCore } from '../../storage/wasm-storage-core.js';
import { newCore } from '../../bindings/node.js';
import { LinearFrameArena, LinearSpans } from '../../storage/linear-frame-arena.js';
import { encodeBatch } from '../../bindings/node.js';

function arena(maxRegions = 2) {
  const core = new WasmStorageCore(newCore());
  const a = new LinearFrameArena(core.linear, { regionBytes: 64 * 1024, maxRegions, accepts: (k) => k === 0 });
  return { core, a };
}

describe('LinearFrameArena', () => {
  it('lends regions up to the limit, reuses given-back ones, and refuses frames above the region size', () => {
    const { a } = arena(2);
    expect(a.accepts(0)).toBe(true);
    expect(a.accepts(1)).toBe(false);
    expect(a.take(64 * 1024 + 1)).toBeNull();
    const r1 = a.take(100)!;
    const r2 = a.take(64 * 1024)!;
    expect(r1.ptr).not.toBe(r2.ptr);
    expect(a.take(10)).toBeNull(); // both lent
    expect(a.lentCount).toBe(2);
    r1.release();
    r1.release(); // twice is harmless
    const r3 = a.take(10)!;
    expect(r3.ptr).toBe(r1.ptr);
    expect(a.lentCount).toBe(2);
    expect(() => r1.bytes()).toThrow(/after release/);
  });

  it('keeps region contents across linear memory growth (fresh views from bytes())', () => {
    const { core, a } = arena();
    const r = a.take(1000)!;
    const before = r.bytes();
    before.fill(7, 0, 1000);
    const pagesBefore = core.linear.bytes().byteLength;
    core.linear.alloc(32 << 20, 64); // grows memory: every earlier view is detached
    expect(core.linear.bytes().byteLength).toBeGreaterThan(pagesBefore);
    expect(before.byteLength).toBe(0);
    const after = r.bytes();
    expect(after.byteLength).toBe(64 * 1024);
    expect(after.subarray(0, 1000).every((x) => x === 7)).toBe(true);
  });

  it('stage() returns bytes already in linear memory as they are, and copies others', () => {
    const { core, a } = arena();
    const r = a.take(1000)!;
    const inside = r.bytes().subarray(10, 500);
    expect(core.stage(inside)).toBe(inside);
    const outside = new Uint8Array(300).fill(3);
    const staged = core.stage(outside);
    expect(staged).not.toBe(outside);
    expect(staged.buffer).toBe(core.linear.bytes().buffer);
    expect(Array.from(staged)).toEqual(Array.from(outside));
  });
});

describe('LinearSpans', () => {
  it('rebuilds views of linear memory detached by growth, and leaves other views alone', () => {
    const { core, a } = arena();
    const r = a.take(60_000)!;
    const bytes = encodeBatch({ records: [{ key: 'k', value: 'v'.repeat(2000) }] });
    r.bytes().set(bytes, 100);
    const inLinear = r.bytes().subarray(100, 100 + bytes.length);
    const elsewhere = new Uint8Array([1, 2, 3]);
    const spans = new LinearSpans(core.linear);
    const i = spans.add(inLinear);
    const j = spans.add(elsewhere);
    const k = spans.add(null);
    core.linear.alloc(32 << 20, 64);
    expect(inLinear.byteLength).toBe(0);
    const rebuilt = spans.view(i, inLinear);
    expect(Buffer.from(rebuilt).equals(Buffer.from(bytes))).toBe(true);
    expect(core.stage(rebuilt)).toBe(rebuilt); // still in linear memory: appended without a copy
    expect(spans.view(j, elsewhere)).toBe(elsewhere);
    expect(spans.view(k, null)).toBeNull();
    // Not detached: the same view back.
    const fresh = r.bytes().subarray(0, 10);
    const s2 = new LinearSpans(core.linear);
    expect(s2.view(s2.add(fresh), fresh)).toBe(fresh);
  });
});
