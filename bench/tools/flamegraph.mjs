#!/usr/bin/env node
// A static SVG flame graph of a V8 .cpuprofile (`node --cpu-prof`): stacks merged by their path of function
// labels (the labels of cpuprofile.mjs: name + source:line), the root at the bottom, each box as wide as its
// share of the busy (non-idle) samples, children in label order. No script: hovering a box shows its <title>
// (full label, self and total ms and %), so it reads the same in a browser and as an image on GitHub.
// Usage: node bench/tools/flamegraph.mjs <in.cpuprofile> <out.svg> [--title "..."] [--subtitle "..."]
//        [--min 0.1] [--wat build/core/rivulet-core.wat] [--width 1200]
import { realpathSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labeller, readProfile, selfTimes } from './cpuprofile.mjs';

/**
 * The merged call tree: { label, kind, selfUs, totalUs, children: Map<label, node> } from "all" (V8's
 * (root)) down, without the (idle) branch, whose time is returned apart as idleUs.
 */
export function flameTree(profile, labelOf = labeller(profile)) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const childIds = new Set(profile.nodes.flatMap((n) => n.children ?? []));
  const v8root = profile.nodes.find((n) => !childIds.has(n.id));
  const self = selfTimes(profile);
  const make = (label, kind) => ({ label, kind, selfUs: 0, totalUs: 0, children: new Map() });
  const root = make('all', 'vm');
  let idleUs = 0;
  let totalUs = 0;
  for (const us of self.values()) totalUs += us;
  // Iterative walk: deep recursion in the profiled program must not overflow this one's stack.
  const stack = [[v8root, root]];
  const order = [];
  while (stack.length) {
    const [v, m] = stack.pop();
    m.selfUs += self.get(v.id) ?? 0;
    for (const cid of v.children ?? []) {
      const c = byId.get(cid);
      const { label, kind } = labelOf(c);
      if (v === v8root && label === '(idle)') {
        idleUs += subtreeUs(c, byId, self);
        continue;
      }
      let mc = m.children.get(label);
      if (!mc) {
        mc = make(label, kind);
        m.children.set(label, mc);
        order.push(mc);
      }
      stack.push([c, mc]);
    }
  }
  // Children were created after their parents, so a reverse pass sees every child before its parent.
  for (const n of [root, ...order].reverse()) n.totalUs = n.selfUs + [...n.children.values()].reduce((s, c) => s + c.totalUs, 0);
  return { root, totalUs, idleUs, busyUs: root.totalUs, samples: profile.samples?.length ?? 0 };
}

function subtreeUs(node, byId, self) {
  let us = 0;
  const stack = [node];
  while (stack.length) {
    const n = stack.pop();
    us += self.get(n.id) ?? 0;
    for (const c of n.children ?? []) stack.push(byId.get(c));
  }
  return us;
}

// Hue range, saturation and lightness range per kind: warm for our code (what we can change), cool for
// Node's internals, violet for the WebAssembly core, yellow for native code, grey for the VM's own states.
const PALETTE = {
  ours: [12, 38, 85, 58, 70],
  dep: [95, 130, 50, 55, 66],
  node: [195, 220, 60, 64, 74],
  wasm: [262, 290, 55, 68, 78],
  native: [44, 58, 80, 55, 66],
  vm: [0, 0, 0, 70, 80],
};
export const KIND_NAMES = {
  ours: 'our code (dist/ → host-node/…)',
  dep: 'node_modules',
  node: 'node: internals',
  wasm: 'WebAssembly core',
  native: 'native (V8 builtins, C++)',
  vm: '(program), (garbage collector)',
};

/** A stable colour for a box: the kind picks the range, a hash of the label the point in it. */
export function colour(kind, label) {
  const [h0, h1, s, l0, l1] = PALETTE[kind] ?? PALETTE.native;
  let h = 2166136261;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619);
  const a = ((h >>> 0) % 1000) / 1000;
  const b = ((h >>> 10) % 1000) / 1000;
  return `hsl(${(h0 + (h1 - h0) * a).toFixed(0)},${s}%,${(l0 + (l1 - l0) * b).toFixed(0)}%)`;
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const ms = (us) => (us / 1e3).toFixed(1);
/** Text cut to `chars` characters, the last one an ellipsis when cut (SVG text does not clip itself). */
const clip = (s, chars) => (s.length <= chars ? s : `${s.slice(0, Math.max(0, chars - 1))}…`);

/**
 * The SVG text. opts: title, subtitle (an extra header line), width (px, default 1200), minPercent (boxes
 * under this share of busy time are left out with everything above them; default 0.1), labelOf (a
 * labeller, for --wat).
 */
export function renderFlameGraph(profile, opts = {}) {
  const width = opts.width ?? 1200;
  const minPercent = opts.minPercent ?? 0.1;
  const { root, totalUs, idleUs, busyUs, samples } = flameTree(profile, opts.labelOf ?? labeller(profile));
  const pad = 10;
  const row = 16;
  const charW = 6.7; // 11 px monospace, with a little to spare
  const gw = width - 2 * pad;
  const minUs = (busyUs * minPercent) / 100;
  const pct = (us) => (busyUs > 0 ? (100 * us) / busyUs : 0).toFixed(2);

  // Lay out first (depth of the tallest drawn stack decides where the bottom row is), then draw.
  const boxes = [];
  const stack = [[root, 0, 0]];
  while (stack.length) {
    const [n, startUs, depth] = stack.pop();
    if (n.totalUs < minUs || n.totalUs <= 0) continue;
    boxes.push({ n, startUs, depth });
    let x = startUs;
    for (const c of [...n.children.values()].sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))) {
      stack.push([c, x, depth + 1]);
      x += c.totalUs;
    }
  }
  const maxDepth = boxes.reduce((d, b) => Math.max(d, b.depth), 0);
  const lineY = opts.subtitle ? 60 : 42; // the header lines below the title
  const top = lineY + 42;
  const height = top + (maxDepth + 1) * row + pad;
  const title = opts.title ?? 'CPU flame graph';
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="ui-monospace,SFMono-Regular,Menlo,Consolas,'DejaVu Sans Mono',monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${pad}" y="22" font-size="15" font-weight="bold" fill="#222">${esc(clip(title, Math.floor(gw / 9.2)))}</text>`,
    ...(opts.subtitle ? [`<text x="${pad}" y="42" fill="#444">${esc(clip(opts.subtitle, Math.floor(gw / charW)))}</text>`] : []),
    `<text x="${pad}" y="${lineY}" fill="#444">${esc(clip(
      `busy ${ms(busyUs)} ms of ${ms(totalUs)} ms sampled (${(totalUs > 0 ? (100 * busyUs) / totalUs : 0).toFixed(1)} %; idle ${ms(idleUs)} ms left out), ${samples} samples. ` +
        `Width = share of busy time; boxes under ${minPercent} % omitted. Hover a box for self/total time.`,
      Math.floor(gw / charW),
    ))}</text>`,
  );
  let lx = pad;
  for (const [kind, name] of Object.entries(KIND_NAMES)) {
    out.push(`<rect x="${lx}" y="${lineY + 12}" width="12" height="12" rx="2" fill="${colour(kind, kind)}"/><text x="${lx + 16}" y="${lineY + 22}" fill="#444">${esc(name)}</text>`);
    lx = Math.round(lx + 16 + name.length * charW + 18);
  }
  for (const { n, startUs, depth } of boxes) {
    const x = pad + (busyUs > 0 ? (startUs / busyUs) * gw : 0);
    const w = busyUs > 0 ? (n.totalUs / busyUs) * gw : 0;
    const y = top + (maxDepth - depth) * row;
    const label = n === root ? 'all (busy time)' : n.label;
    const tip = `${label}\nself ${ms(n.selfUs)} ms (${pct(n.selfUs)} %), total ${ms(n.totalUs)} ms (${pct(n.totalUs)} %) of busy time`;
    const fits = Math.floor((w - 6) / charW);
    const text = fits < 3 ? '' : clip(label, fits);
    out.push(
      `<g><title>${esc(tip)}</title><rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${row - 1}" rx="2" fill="${n === root ? '#d8d8d8' : colour(n.kind, n.label)}"/>` +
        (text ? `<text x="${(x + 3).toFixed(2)}" y="${y + 11.5}" fill="#000">${esc(text)}</text>` : '') +
        '</g>',
    );
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function cli(argv) {
  const opt = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv.splice(i, 2)[1] : undefined;
  };
  const title = opt('--title');
  const subtitle = opt('--subtitle');
  const min = opt('--min');
  const wat = opt('--wat');
  const width = opt('--width');
  const [input, output] = argv;
  if (!input || !output) {
    console.error('usage: flamegraph.mjs <in.cpuprofile> <out.svg> [--title "..."] [--subtitle "..."] [--min 0.1] [--wat file.wat] [--width 1200]');
    process.exit(2);
  }
  const p = readProfile(input);
  const svg = renderFlameGraph(p, {
    title: title ?? basename(input),
    subtitle,
    minPercent: min === undefined ? undefined : Number(min),
    width: width === undefined ? undefined : Number(width),
    labelOf: labeller(p, { wat }),
  });
  writeFileSync(output, svg);
}

// Run as a command (not when imported by bench/profile.ts or a test).
if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) cli(process.argv.slice(2));
