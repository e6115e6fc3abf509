// The documentation hangs together: every page under docs/ starts with a `# Title` line and is linked,
// with a line of its own, from the index docs/README.md, which the project README links to.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = join(root, 'docs');
const pages = readdirSync(docs).filter((f) => f.endsWith('.md')).sort();
const index = readFileSync(join(docs, 'README.md'), 'utf8');

describe('docs/', () => {
  it.each(pages)('%s starts with a # title', (page) => {
    const first = readFileSync(join(docs, page), 'utf8').split('\n')[0]!;
    expect(first).toMatch(/^# \S/);
  });

  it.each(pages.filter((p) => p !== 'README.md'))('%s is linked from docs/README.md', (page) => {
    expect(index).toMatch(new RegExp(`^- \\[[^\\]]+\\]\\(${page.replace('.', '\\.')}\\) — \\S`, 'm'));
  });

  it('every link in the index names a page that exists', () => {
    const links = [...index.matchAll(/\]\(([^)]+\.md)\)/g)].map((m) => m[1]!).filter((l) => !l.startsWith('../'));
    for (const l of links) expect(pages).toContain(l);
  });

  it('the project README links to the index', () => {
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('(docs/README.md)');
  });
});
