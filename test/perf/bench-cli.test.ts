// `npm run bench -- --help` lists every suite under bench/ with its flags and starts nothing; a run's
// results go to the ignored bench/results/local/ unless --save asks for the committed bench/results/.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { helpText, resultsDir, SUITES } from '../../bench/tools/suites.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const suiteFiles = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

describe('npm run bench -- --help', () => {
  it('prints every suite and every flag, and exits 0 without running anything', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts/bench.mjs'), '--help'], { cwd: root, encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(helpText());
    for (const name of suiteFiles) expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    for (const flag of ['--quick', '--save', '--batch N', '--cpu-prof', '--partitions N', '--connections N', '--hold-s S', '--runs N']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('-h after a suite name prints the same help', () => {
    const out = execFileSync(process.execPath, [join(root, 'scripts/bench.mjs'), 'core', '-h'], { cwd: root, encoding: 'utf8', timeout: 10_000 });
    expect(out).toBe(helpText());
  });

  it('the catalogue has exactly the suites under bench/', () => {
    expect(SUITES.map((s) => s.name).sort()).toEqual(suiteFiles);
  });

  it('an unknown suite is refused with a pointer to --help', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts/bench.mjs'), 'no-such-suite'], { cwd: root, encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--help');
  });
});

describe('where results go', () => {
  it('the ignored bench/results/local/ by default, bench/results/ with --save', () => {
    expect(resultsDir(['node', 'bench/core.ts'])).toBe(join(root, 'bench/results/local'));
    expect(resultsDir(['node', 'bench/core.ts', '--quick'])).toBe(join(root, 'bench/results/local'));
    expect(resultsDir(['node', 'bench/core.ts', '--save'])).toBe(join(root, 'bench/results'));
  });

  it('bench/results/local/ is git-ignored', () => {
    const ignore = readFileSync(join(root, '.gitignore'), 'utf8').split('\n');
    expect(ignore).toContain('bench/results/local/');
  });

  it('every suite writes through resultsDir(), never to a fixed bench/results path', () => {
    for (const name of suiteFiles) {
      const src = readFileSync(join(root, 'bench', `${name}.ts`), 'utf8');
      const code = src.split('\n').filter((l) => !l.trimStart().startsWith('//')).join('\n');
      expect(code, name).not.toMatch(/['"`]\.?\/?(bench\/)?results/);
      if (/writeFileSync/.test(code)) expect(code, name).toContain('resultsDir()');
    }
  });
});
