// The README's "Compatibility and limits" lists exactly the APIs and versions the broker advertises in
// ApiVersions (the handler registry), so the list stays true as APIs are added or widened.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HandlerRegistry } from '../../host-node/server/registry.js';
import { registerDefaultHandlers } from '../../host-node/server/handlers/index.js';
import { apiMetaByKey } from '../../protocol/generated/api.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** "Produce 0–11, …, OffsetDelete 0." from the APIs-served bullet → name → "min–max". */
function readmeApis(): Map<string, string> {
  const bullet = /^- \*\*APIs served\*\*[^:]*:([\s\S]*?)(?=^- |^$)/m.exec(readme);
  expect(bullet, 'the APIs-served bullet of Compatibility and limits').not.toBeNull();
  const out = new Map<string, string>();
  for (const m of bullet![1]!.matchAll(/([A-Z][A-Za-z]+) (\d+)(?:–(\d+))?/g)) out.set(m[1]!, `${m[2]}–${m[3] ?? m[2]}`);
  return out;
}

describe('README: Compatibility and limits', () => {
  it('has the section', () => {
    expect(readme).toMatch(/^## Compatibility and limits$/m);
  });

  it('lists every API the broker serves, with the versions ApiVersions advertises, and no other', () => {
    const registry = registerDefaultHandlers(new HandlerRegistry());
    const served = new Map(registry.supported().map((s) => [apiMetaByKey(s.apiKey)!.name, `${s.minVersion}–${s.maxVersion}`]));
    expect(Object.fromEntries(readmeApis())).toEqual(Object.fromEntries(served));
  });

  it('claims no compacted __consumer_offsets and no tested Java client', () => {
    expect(readme).not.toMatch(/compacted-style|the Java client — work/);
  });
});
