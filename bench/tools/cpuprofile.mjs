// Reading V8 .cpuprofile files (`node --cpu-prof`): sample weights, frame labels and kinds, and the top
// self-time table. Shared by cpuprofile-top.mjs (text) and flamegraph.mjs (SVG) so both name a frame alike.
import { existsSync, readFileSync } from 'node:fs';
import { sourceMapResolver } from './source-map.mjs';

export function readProfile(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/**
 * µs of sampled time per node id (self time). A sample stands for the interval until the next one
 * (timeDeltas[i + 1]); the last sample takes its own interval.
 */
export function selfTimes(profile) {
  const us = new Map();
  const deltas = profile.timeDeltas ?? [];
  const samples = profile.samples ?? [];
  for (let i = 0; i < samples.length; i++) us.set(samples[i], (us.get(samples[i]) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
  return us;
}

/**
 * The part of a profile sampled between fromUs and toUs, on the profile's own clock (startTime + the running
 * sum of timeDeltas; V8 takes it from CLOCK_MONOTONIC, which Node's process.hrtime reads too, so another
 * process can say when its workload ran). Null when the window holds no sample.
 */
export function trimProfile(profile, fromUs, toUs) {
  const deltas = profile.timeDeltas ?? [];
  let t = profile.startTime ?? 0;
  let first = -1;
  let last = -1;
  let firstT = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += deltas[i] ?? 0;
    if (t < fromUs) continue;
    if (t > toUs) break;
    if (first < 0) {
      first = i;
      firstT = t;
    }
    last = i;
  }
  if (first < 0) return null;
  return {
    ...profile,
    startTime: fromUs,
    endTime: toUs,
    samples: profile.samples.slice(first, last + 1),
    timeDeltas: [firstT - fromUs, ...deltas.slice(first + 1, last + 1)],
  };
}

const VM = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

/**
 * Function names of a WebAssembly module by function index (imports first, as the index space counts them),
 * from the text file asc writes next to it (`textFile` in asconfig.json). The release .wasm carries no name
 * section, so V8 reports its frames as wasm-function[N].
 */
export function watFunctionNames(watFile) {
  const names = [];
  const text = readFileSync(watFile, 'utf8');
  for (const m of text.matchAll(/^\s*\(import\s+"[^"]*"\s+"[^"]*"\s+\(func\s+\$(\S+)/gm)) names.push(m[1]);
  for (const m of text.matchAll(/^ \(func \$(\S+)/gm)) names.push(m[1]);
  return names;
}

/**
 * Returns labelOf(node) → { label, kind } with label "name where" and kind one of:
 * ours (project code: dist/ bundles, mapped back to host-node/…ts where a source map is next to them),
 * dep (node_modules), node (node: internals), wasm, vm ((program), (garbage collector), (idle), (root)),
 * native (no script: V8 builtins and C++ bindings). `wat` names wasm-function[N] frames when the profile
 * has a single WebAssembly module (with two there is no telling which one the index belongs to).
 */
export function labeller(profile, { base = process.cwd(), wat } = {}) {
  const mapped = sourceMapResolver(base);
  const wasmUrls = new Set(profile.nodes.map((n) => n.callFrame.url).filter((u) => u.startsWith('wasm://')));
  const wasmNames = wat && existsSync(wat) && wasmUrls.size === 1 ? watFunctionNames(wat) : null;
  const cache = new Map();
  return (node) => {
    let r = cache.get(node.id);
    if (r) return r;
    const f = node.callFrame;
    const name = f.functionName || '(anonymous)';
    if (VM.has(f.functionName) && !f.url) r = { label: f.functionName, kind: 'vm' };
    else if (f.url.startsWith('wasm://')) {
      const idx = /^wasm-function\[(\d+)\]$/.exec(f.functionName);
      const asc = idx && wasmNames?.[Number(idx[1])];
      if (asc) {
        const slash = asc.lastIndexOf('/');
        r = { label: slash > 0 ? `${asc.slice(slash + 1)} ${asc.slice(0, slash)}.ts (wasm)` : `${asc} (wasm)`, kind: 'wasm' };
      } else r = { label: `${name} (wasm)`, kind: 'wasm' };
    } else if (!f.url) r = { label: name, kind: 'native' };
    else if (f.url.startsWith('node:')) r = { label: `${name} ${f.url}:${f.lineNumber + 1}`, kind: 'node' };
    else {
      const src = mapped(f.url, f.lineNumber, f.columnNumber);
      const where = src ? `${src.source}:${src.line}` : `${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
      r = { label: `${name} ${where}`, kind: /(^|\/)node_modules\//.test(src?.source ?? f.url) ? 'dep' : 'ours' };
    }
    cache.set(node.id, r);
    return r;
  };
}

/**
 * Self and inclusive µs per label (inclusive counts a label once per stack, so recursion is not counted
 * twice), the total sampled and the idle share.
 */
export function summarize(profile, labelOf = labeller(profile)) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  const incl = new Map();
  let totalUs = 0;
  for (const [id, us] of selfTimes(profile)) {
    totalUs += us;
    const l = labelOf(byId.get(id)).label;
    self.set(l, (self.get(l) ?? 0) + us);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const pl = labelOf(byId.get(cur)).label;
      if (seen.has(pl)) continue;
      seen.add(pl);
      incl.set(pl, (incl.get(pl) ?? 0) + us);
    }
  }
  const idleUs = self.get('(idle)') ?? 0;
  return { totalUs, idleUs, busyUs: totalUs - idleUs, self, incl };
}

/** The top-N self-time table as text lines, percentages of busy (non-idle) time. */
export function formatTop(summary, n = 25, name = 'profile') {
  const { totalUs, busyUs, self, incl } = summary;
  const pct = (us) => (busyUs > 0 ? (100 * us) / busyUs : 0).toFixed(1);
  const lines = [
    `${name}: ${(totalUs / 1e3).toFixed(0)} ms sampled, busy ${(busyUs / 1e3).toFixed(0)} ms (${(totalUs > 0 ? (100 * busyUs) / totalUs : 0).toFixed(1)} %)`,
    ' self%busy  total%busy  function',
  ];
  for (const [l, us] of [...self].filter(([l]) => l !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, n))
    lines.push(`${pct(us).padStart(8)}  ${pct(incl.get(l) ?? 0).padStart(10)}  ${l}`);
  return lines;
}
