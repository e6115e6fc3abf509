// Which package may import which: the table below is the rule (docs/architecture.md draws it). Every
// relative import and every bare import of every hand-written source file is checked against it, so a
// neutral package that reaches into a host, or one host into the other, fails here with the file named.
// tsconfig.neutral.json and tsconfig.browser.json check the other half: no Node API in those packages.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** Package → the packages its files may import (itself always allowed). */
const ALLOWED: Record<string, readonly string[]> = {
  common: [],
  bindings: ['common'],
  protocol: ['common'],
  storage: ['common', 'bindings'],
  client: ['common', 'protocol'],
  'host-browser': ['common', 'bindings', 'protocol', 'storage', 'client'],
  'host-node': ['common', 'bindings', 'protocol', 'storage', 'client'],
};
/** Packages that run on every host: no `node:` module, no npm package but the ones listed. */
const NEUTRAL = new Set(['common', 'bindings', 'protocol', 'storage', 'client']);
/** Files of a neutral package that are host-specific by design (the core's Node loader, the generator). */
const HOST_FILES = [/^bindings\/node(-loader)?\.ts$/, /^bindings\/index\.ts$/, /^protocol\/generator\//];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function importsOf(text: string): string[] {
  const specs: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) specs.push((m[1] ?? m[2] ?? m[3])!);
  return specs;
}

/** One cycle in a directed graph (as the list of its nodes), or [] when there is none. */
function findCycle(edges: Map<string, Set<string>>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] => {
    if (state.get(n) === 'done') return [];
    if (state.get(n) === 'open') return [...path.slice(path.indexOf(n)), n];
    state.set(n, 'open');
    path.push(n);
    for (const m of edges.get(n) ?? []) {
      const c = visit(m);
      if (c.length > 0) return c;
    }
    path.pop();
    state.set(n, 'done');
    return [];
  };
  for (const n of edges.keys()) {
    const c = visit(n);
    if (c.length > 0) return c;
  }
  return [];
}

function packageOf(path: string): string {
  return path.split('/')[0]!;
}

describe('package boundaries', () => {
  const files = Object.keys(ALLOWED).flatMap((pkg) => sourceFiles(join(root, pkg)).map((f) => relative(root, f).split(sep).join('/')));

  it('finds the packages and their files', () => {
    for (const pkg of Object.keys(ALLOWED)) expect(files.some((f) => packageOf(f) === pkg), pkg).toBe(true);
  });

  it('every relative import stays inside the packages its package may use', () => {
    const bad: string[] = [];
    for (const f of files) {
      const pkg = packageOf(f);
      const hostFile = HOST_FILES.some((r) => r.test(f));
      for (const spec of importsOf(readFileSync(join(root, f), 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const target = relative(root, join(root, dirname(f), spec)).split(sep).join('/');
        const to = packageOf(target);
        if (to === pkg) continue;
        if (hostFile && to === 'bindings') continue;
        if (!ALLOWED[pkg]!.includes(to)) bad.push(`${f} imports ${target} (${pkg} may not import ${to})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the neutral packages import no Node module and no host-specific npm package', () => {
    const bad: string[] = [];
    for (const f of files) {
      if (!NEUTRAL.has(packageOf(f)) || HOST_FILES.some((r) => r.test(f))) continue;
      for (const spec of importsOf(readFileSync(join(root, f), 'utf8'))) {
        if (spec.startsWith('.')) continue;
        bad.push(`${f} imports ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the Node host\'s folders import each other without cycles', () => {
    const edges = new Map<string, Set<string>>();
    for (const f of files) {
      const parts = f.split('/');
      if (parts[0] !== 'host-node' || parts.length < 3) continue;
      for (const spec of importsOf(readFileSync(join(root, f), 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const target = relative(root, join(root, dirname(f), spec)).split(sep).join('/').split('/');
        if (target[0] !== 'host-node' || target.length < 3 || target[1] === parts[1]) continue;
        if (!edges.has(parts[1]!)) edges.set(parts[1]!, new Set());
        edges.get(parts[1]!)!.add(target[1]!);
      }
    }
    expect(edges.get('server')?.has('topics'), 'the graph is read').toBe(true);
    expect(findCycle(edges)).toEqual([]);
  });

  it('the checkers see a violation when there is one', () => {
    expect(findCycle(new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])]]))).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', new Set(['b'])], ['b', new Set(['c'])]]))).toEqual([]);
    expect(importsOf("import { x } from '../host-node/a.js';\nexport { y } from './b.js';\nconst m = await import('node:fs');")).toEqual([
      '../host-node/a.js',
      './b.js',
      'node:fs',
    ]);
  });
});
