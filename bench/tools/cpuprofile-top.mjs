#!/usr/bin/env node
// Prints the top-N functions by self time (and their total time) from a V8 .cpuprofile (`node --cpu-prof`):
// the text form of a flame graph's widest boxes. Usage: node bench/tools/cpuprofile-top.mjs <file> [N]
import { readFileSync } from 'node:fs';

const [file, nArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: cpuprofile-top.mjs <file.cpuprofile> [N=25]');
  process.exit(2);
}
const top = Number(nArg ?? 25);
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
// Sample counts per node (self), weighted by the time delta of each sample.
const selfUs = new Map();
const deltas = p.timeDeltas ?? [];
for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const label = (n) => {
  const f = n.callFrame;
  const where = f.url ? `${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
};
const self = new Map();
const incl = new Map();
for (const [id, us] of selfUs) {
  const n = byId.get(id);
  self.set(label(n), (self.get(label(n)) ?? 0) + us);
  // Inclusive: every distinct function on the stack once.
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur));
    if (seen.has(l)) continue;
    seen.add(l);
    incl.set(l, (incl.get(l) ?? 0) + us);
  }
}
const idle = self.get('(idle)') ?? 0;
const busy = total - idle;
console.log(`${file}: ${(total / 1e3).toFixed(0)} ms sampled, busy ${(busy / 1e3).toFixed(0)} ms (${((100 * busy) / total).toFixed(1)} %)`);
console.log(' self%busy  total%busy  function');
for (const [l, us] of [...self].filter(([l]) => l !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${((100 * us) / busy).toFixed(1).padStart(8)}  ${((100 * (incl.get(l) ?? 0)) / busy).toFixed(1).padStart(10)}  ${l}`);
