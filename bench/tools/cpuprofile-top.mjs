#!/usr/bin/env node
// Prints the top-N functions by self time (and their total time) from a V8 .cpuprofile (`node --cpu-prof`):
// the text form of a flame graph's widest boxes (bench/tools/flamegraph.mjs draws the graph).
// Usage: node bench/tools/cpuprofile-top.mjs <file> [N] [--wat build/core/rivulet-core.wat]
// Frames in dist/ bundles are named by their TypeScript source (source maps); --wat names the core's
// wasm-function[N] frames.
import { formatTop, labeller, readProfile, summarize } from './cpuprofile.mjs';

const args = process.argv.slice(2);
const watAt = args.indexOf('--wat');
const wat = watAt >= 0 ? args.splice(watAt, 2)[1] : undefined;
const [file, nArg] = args;
if (!file) {
  console.error('usage: cpuprofile-top.mjs <file.cpuprofile> [N=25] [--wat file.wat]');
  process.exit(2);
}
const p = readProfile(file);
console.log(formatTop(summarize(p, labeller(p, { wat })), Number(nArg ?? 25), file).join('\n'));
