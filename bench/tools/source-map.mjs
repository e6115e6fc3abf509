// Maps a position in a generated JavaScript file back to its TypeScript source through the file's source map
// (version 3, as esbuild writes it). The broker runs from whitespace-minified bundles (dist/cli/chunk-*.js),
// where every function sits on line 1 of a file whose name changes with each build; profiles are readable
// only once their frames name host-node/…/file.ts:line instead.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) DIGIT[B64.charCodeAt(i)] = i;

/**
 * Decodes a "mappings" string into one array per generated line of [generatedColumn, sourceIndex,
 * sourceLine, sourceColumn] segments (all 0-based), sorted by column as the format guarantees. Segments
 * with no source (1 field) are kept with sourceIndex -1 so a lookup does not fall through to an earlier one.
 */
export function decodeMappings(mappings) {
  const lines = [[]];
  let src = 0;
  let srcLine = 0;
  let srcCol = 0;
  let genCol = 0;
  let fields = [];
  let value = 0;
  let shift = 0;
  const endSegment = () => {
    if (fields.length === 0) return;
    genCol += fields[0];
    if (fields.length >= 4) {
      src += fields[1];
      srcLine += fields[2];
      srcCol += fields[3];
      lines[lines.length - 1].push([genCol, src, srcLine, srcCol]);
    } else lines[lines.length - 1].push([genCol, -1, 0, 0]);
    fields = [];
  };
  for (let i = 0; i < mappings.length; i++) {
    const c = mappings.charCodeAt(i);
    if (c === 59 /* ; */) {
      endSegment();
      lines.push([]);
      genCol = 0;
    } else if (c === 44 /* , */) endSegment();
    else {
      const d = DIGIT[c];
      if (d === undefined || d < 0) throw new Error(`source map: bad mappings character '${mappings[i]}'`);
      value += (d & 31) << shift;
      if (d & 32) shift += 5;
      else {
        // VLQ: the lowest bit of the assembled value is the sign.
        fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
        value = 0;
        shift = 0;
      }
    }
  }
  endSegment();
  return lines;
}

/** The segment covering (line, column) of the generated file: the last one at or before the column. */
export function lookup(lines, line, column) {
  const segs = lines[line];
  if (!segs || segs.length === 0) return null;
  let lo = 0;
  let hi = segs.length - 1;
  if (segs[0][0] > column) return null;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segs[mid][0] <= column) lo = mid;
    else hi = mid - 1;
  }
  return segs[lo][1] < 0 ? null : segs[lo];
}

/**
 * Returns resolve(url, line, column) → { source, line } (source relative to `base` when under it, line
 * 1-based) or null when the frame has no source map. Maps are read once per generated file and looked for
 * as `<file>.map` next to it (esbuild's naming); http(s)/node:/wasm URLs are never mapped.
 */
export function sourceMapResolver(base = process.cwd()) {
  const maps = new Map();
  const load = (url) => {
    if (maps.has(url)) return maps.get(url);
    let m = null;
    try {
      const file = url.startsWith('file://') ? fileURLToPath(url) : isAbsolute(url) ? url : null;
      if (file && existsSync(`${file}.map`)) {
        const raw = JSON.parse(readFileSync(`${file}.map`, 'utf8'));
        const dir = resolve(dirname(file), raw.sourceRoot ?? '');
        const sources = raw.sources.map((s) => {
          const abs = resolve(dir, s);
          const rel = relative(base, abs);
          return rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
        });
        m = { sources, lines: decodeMappings(raw.mappings) };
      }
    } catch {
      m = null; // an unreadable map leaves the frame as it was
    }
    maps.set(url, m);
    return m;
  };
  return (url, line, column) => {
    if (!url) return null;
    const m = load(url);
    if (!m) return null;
    const seg = lookup(m.lines, line, column);
    return seg ? { source: m.sources[seg[1]], line: seg[2] + 1 } : null;
  };
}
