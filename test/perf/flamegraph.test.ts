// bench/tools/flamegraph.mjs on a hand-made .cpuprofile: merged stacks, widths as shares of busy time,
// the idle share left out, small boxes omitted, clipped text, tooltips; and the frame labels it shares
// with cpuprofile-top.mjs (source-mapped bundles, wasm function names from the core's .wat).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatTop, labeller, summarize, trimProfile, type CpuProfile, type ProfileNode } from '../../bench/tools/cpuprofile.mjs';
import { flameTree, renderFlameGraph } from '../../bench/tools/flamegraph.mjs';

const frame = (functionName: string, url = '', lineNumber = -1, columnNumber = -1) => ({ functionName, url, lineNumber, columnNumber, scriptId: 0 });
const A = 'file:///proj/dist/a.js';

/** A profile whose sample i weighs weights[i] µs (a sample stands for the interval up to the next one). */
function profile(nodes: ProfileNode[], samples: Array<[number, number]>): CpuProfile {
  // The last sample takes its own delta, so it must weigh what the one before it does.
  expect(samples.at(-1)![1]).toBe(samples.at(-2)![1]);
  return { nodes, startTime: 0, endTime: 0, samples: samples.map((s) => s[0]), timeDeltas: [0, ...samples.slice(0, -1).map((s) => s[1])] };
}

const nodes: ProfileNode[] = [
  { id: 1, callFrame: frame('(root)'), children: [2, 3, 4, 7] },
  { id: 2, callFrame: frame('(program)') },
  { id: 3, callFrame: frame('(idle)') },
  { id: 4, callFrame: frame('main', A, 0, 0), children: [5, 6, 9, 10] },
  // Two V8 nodes of one function (different columns): one box.
  { id: 5, callFrame: frame('foo', A, 9, 4), children: [8] },
  { id: 6, callFrame: frame('foo', A, 9, 7) },
  { id: 7, callFrame: frame('(garbage collector)') },
  { id: 8, callFrame: frame('writeBuffer') },
  { id: 9, callFrame: frame('wasm-function[0]', 'wasm://wasm/1234abcd', 0, 120) },
  { id: 10, callFrame: frame('rare', A, 40, 0) },
];
const ms = 1000;
// Busy 1000 ms: (program) 100, GC 50, main 50 self, foo 300 self (200 + 100), writeBuffer 250, wasm 249.5,
// rare 0.5 (0.05 %: under the 0.1 % cut); idle 1000 ms.
const p = profile(nodes, [
  [2, 100 * ms],
  [7, 50 * ms],
  [4, 50 * ms],
  [5, 200 * ms],
  [6, 100 * ms],
  [8, 250 * ms],
  [9, 249.5 * ms],
  [10, 0.5 * ms],
  [3, 500 * ms],
  [3, 500 * ms],
]);

interface Box {
  tip: string;
  x: number;
  y: number;
  w: number;
  fill: string;
  text: string | null;
}
function boxes(svg: string): Box[] {
  const re = /<g><title>([^<]*)<\/title><rect x="([\d.]+)" y="(\d+)" width="([\d.]+)" height="\d+" rx="2" fill="([^"]+)"\/>(?:<text [^>]*>([^<]*)<\/text>)?<\/g>/g;
  return [...svg.matchAll(re)].map((m) => ({ tip: m[1]!, x: Number(m[2]), y: Number(m[3]), w: Number(m[4]), fill: m[5]!, text: m[6] ?? null }));
}
const byLabel = (bs: Box[], label: string): Box => {
  const b = bs.find((x) => x.tip.split('\n')[0] === label);
  if (!b) throw new Error(`no box ${label}: ${bs.map((x) => x.tip.split('\n')[0]).join(', ')}`);
  return b;
};
const hue = (fill: string): number => Number(/^hsl\((\d+),/.exec(fill)![1]);

describe('flamegraph.mjs', () => {
  const svg = renderFlameGraph(p, { title: 'test <profile>' });
  const bs = boxes(svg);

  it('merges stacks by label, leaves idle out and sums self/total', () => {
    const t = flameTree(p);
    expect(t.totalUs).toBe(2000 * ms);
    expect(t.idleUs).toBe(1000 * ms);
    expect(t.busyUs).toBe(1000 * ms);
    const main = t.root.children.get('main dist/a.js:1')!;
    expect([...t.root.children.keys()].sort()).toEqual(['(garbage collector)', '(program)', 'main dist/a.js:1']);
    expect(main.totalUs).toBe(850 * ms);
    const foo = main.children.get('foo dist/a.js:10')!;
    expect(foo).toMatchObject({ selfUs: 300 * ms, totalUs: 550 * ms, kind: 'ours' });
    expect(foo.children.get('writeBuffer')).toMatchObject({ totalUs: 250 * ms, kind: 'native' });
    expect(main.children.get('wasm-function[0] (wasm)')).toMatchObject({ totalUs: 249.5 * ms, kind: 'wasm' });
  });

  it('draws one box per merged frame over 0.1 %, widths as shares of busy time, root at the bottom', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toContain('<script');
    expect(bs.map((b) => b.tip.split('\n')[0]).sort()).toEqual(['(garbage collector)', '(program)', 'all (busy time)', 'foo dist/a.js:10', 'main dist/a.js:1', 'wasm-function[0] (wasm)', 'writeBuffer']);
    expect(svg).not.toContain('rare');
    expect(svg).not.toContain('(idle)');
    // 1200 px wide, 10 px margins: 1180 px is all busy time.
    const root = byLabel(bs, 'all (busy time)');
    expect(root).toMatchObject({ x: 10, w: 1180 });
    const gc = byLabel(bs, '(garbage collector)');
    const prog = byLabel(bs, '(program)');
    const main = byLabel(bs, 'main dist/a.js:1');
    const foo = byLabel(bs, 'foo dist/a.js:10');
    const wb = byLabel(bs, 'writeBuffer');
    const wasm = byLabel(bs, 'wasm-function[0] (wasm)');
    expect([gc.w, prog.w, main.w, foo.w, wb.w, wasm.w]).toEqual([59, 118, 1003, 649, 295, 294.41]);
    // Children in label order from the parent's left edge; the omitted 0.5 ms still takes its place.
    expect([gc.x, prog.x, main.x, foo.x, wb.x]).toEqual([10, 69, 187, 187, 187]);
    expect(wasm.x).toBeCloseTo(187 + 649 + 0.59, 2);
    // Depth grows upwards: each level one 16 px row above its parent.
    expect(main.y).toBe(root.y - 16);
    expect(foo.y).toBe(root.y - 32);
    expect(wb.y).toBe(root.y - 48);
    expect(gc.y).toBe(main.y);
  });

  it('tooltips carry the full label with self and total ms and %; text is clipped to the box', () => {
    expect(byLabel(bs, 'foo dist/a.js:10').tip).toBe('foo dist/a.js:10\nself 300.0 ms (30.00 %), total 550.0 ms (55.00 %) of busy time');
    expect(byLabel(bs, 'all (busy time)').tip).toBe('all (busy time)\nself 0.0 ms (0.00 %), total 1000.0 ms (100.00 %) of busy time');
    expect(byLabel(bs, '(program)').text).toBe('(program)');
    // 59 px holds 7 characters of 11 px monospace: 6 and an ellipsis.
    expect(byLabel(bs, '(garbage collector)').text).toBe('(garba…');
    for (const b of bs) if (b.text) expect(b.text.length * 6.7).toBeLessThanOrEqual(b.w);
  });

  it('colours by kind and says busy time in the header; escapes text', () => {
    const h = (l: string) => hue(byLabel(bs, l).fill);
    expect(h('main dist/a.js:1')).toBeGreaterThanOrEqual(12);
    expect(h('main dist/a.js:1')).toBeLessThanOrEqual(38);
    expect(h('wasm-function[0] (wasm)')).toBeGreaterThanOrEqual(262);
    expect(h('writeBuffer')).toBeGreaterThanOrEqual(44);
    expect(h('writeBuffer')).toBeLessThanOrEqual(58);
    expect(byLabel(bs, '(program)').fill).toMatch(/^hsl\(0,0%,/);
    expect(svg).toContain('test &lt;profile&gt;');
    expect(svg).toContain('busy 1000.0 ms of 2000.0 ms sampled (50.0 %; idle 1000.0 ms left out)');
  });

  it('--min changes the cut', () => {
    expect(boxes(renderFlameGraph(p, { minPercent: 0 })).some((b) => b.tip.startsWith('rare dist/a.js:41'))).toBe(true);
    expect(boxes(renderFlameGraph(p, { minPercent: 30 })).map((b) => b.tip.split('\n')[0]).sort()).toEqual(['all (busy time)', 'foo dist/a.js:10', 'main dist/a.js:1']);
  });
});

describe('cpuprofile.mjs labels, window and top table', () => {
  it('trimProfile keeps the samples taken inside a window of the profile clock', () => {
    // p's samples are taken at 0 (program), 100 (GC), 150, 200, 400, 500, 750 (wasm), 999.5, 1000, 1500 ms.
    const w = trimProfile({ ...p, startTime: 5_000_000 }, 5_000_000 + 150 * ms, 5_000_000 + 760 * ms)!;
    expect(w.samples).toEqual([4, 5, 6, 8, 9]);
    expect(w.timeDeltas).toEqual([0, 50 * ms, 200 * ms, 100 * ms, 250 * ms]);
    expect(w.startTime).toBe(5_000_000 + 150 * ms);
    expect(trimProfile(p, -10, -1)).toBeNull();
    // Each sample keeps its weight but the last, which takes its own delta (250 ms for the wasm one's 249.5).
    expect(flameTree(w).busyUs).toBe((50 + 200 + 100 + 250 + 250) * ms);
  });

  const dir = mkdtempSync(join(tmpdir(), 'rivulet-flame-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names bundle frames by their TypeScript source and wasm frames from the .wat', () => {
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist/b.js'), 'function x(){}function y(){}\n//# sourceMappingURL=b.js.map\n');
    // Line 1, column 0 → src/b.ts line 5; column 20 → line 10 (VLQ: "AAIA", then +20 cols, +5 lines, +2 cols).
    writeFileSync(join(dir, 'dist/b.js.map'), JSON.stringify({ version: 3, sources: ['../src/b.ts'], names: [], mappings: 'AAIA,oBAKE' }));
    writeFileSync(join(dir, 'core.wat'), '(module\n (import "env" "abort" (func $~lib/builtins/abort (param i32)))\n (func $core/crc32c/crc32cUpdate (param $0 i32)\n )\n)\n');
    const url = pathToFileURL(join(dir, 'dist/b.js')).href;
    const q = profile(
      [
        { id: 1, callFrame: frame('(root)'), children: [2, 3, 4] },
        { id: 2, callFrame: frame('x', url, 0, 3) },
        { id: 3, callFrame: frame('y', url, 0, 25) },
        { id: 4, callFrame: frame('wasm-function[1]', 'wasm://wasm/feed', 0, 9) },
      ],
      [
        [2, 3 * ms],
        [3, 1 * ms],
        [4, 1 * ms],
        [4, 1 * ms],
      ],
    );
    const labelOf = labeller(q, { base: dir, wat: join(dir, 'core.wat') });
    expect(q.nodes.map((n) => labelOf(n).label)).toEqual(['(root)', 'x src/b.ts:5', 'y src/b.ts:10', 'crc32cUpdate core/crc32c.ts (wasm)']);
    const top = formatTop(summarize(q, labelOf), 2, 'q');
    expect(top[0]).toBe('q: 6 ms sampled, busy 6 ms (100.0 %)');
    expect(top.slice(2)).toEqual(['    50.0        50.0  x src/b.ts:5', '    33.3        33.3  crc32cUpdate core/crc32c.ts (wasm)']);
  });
});
