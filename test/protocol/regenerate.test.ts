// `npm run generate` must reproduce the committed generated/ byte for byte (deterministic output),
// and the generator must fail loudly on schema attributes it does not understand.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultOutDir, writeGenerated } from '../../protocol/generator/main.js';
import { loadMessage } from '../../protocol/generator/schema.js';
import { parseJsonWithComments } from '../../protocol/generator/parse-json-with-comments.js';

describe('generator', () => {
  it('regenerates generated/ byte for byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-gen-'));
    try {
      const files = writeGenerated(dir).sort();
      const committed = readdirSync(defaultOutDir).filter((f) => f.endsWith('.ts')).sort();
      expect(files).toEqual(committed);
      for (const f of files) {
        const fresh = readFileSync(join(dir, f), 'utf8');
        const ours = readFileSync(join(defaultOutDir, f), 'utf8');
        expect(fresh === ours, `${f} differs from a fresh generation — run npm run generate`).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const base = (field: string): string => `{
    "apiKey": 999, "type": "request", "name": "TestRequest", "validVersions": "0-3", "flexibleVersions": "2+",
    "fields": [ ${field} ]
  }`;
  it('rejects unknown field attributes, types, bad defaults and inconsistent tags', () => {
    expect(() => loadMessage('t.json', base('{ "name": "A", "type": "int32", "versions": "0+", "frobnicate": true }'))).toThrow(/unknown attribute "frobnicate"/);
    expect(() => loadMessage('t.json', base('{ "name": "A", "type": "int33", "versions": "0+" }'))).toThrow(/unknown type|unknown struct/);
    expect(() => loadMessage('t.json', base('{ "name": "A", "type": "int8", "versions": "0+", "default": "300" }'))).toThrow(/out of range/);
    expect(() => loadMessage('t.json', base('{ "name": "A", "type": "int8", "versions": "0+", "nullableVersions": "0+" }'))).toThrow(/nullableVersions/);
    expect(() => loadMessage('t.json', base('{ "name": "A", "type": "int8", "versions": "0+", "tag": 0, "taggedVersions": "0+" }'))).toThrow(/flexibleVersions/);
    expect(() => loadMessage('t.json', base('{ "name": "A", "type": "int8", "versions": "x" }'))).toThrow(/cannot parse version/);
    expect(() => loadMessage('t.json', base('{ "name": "A", "type": "[]Foo", "versions": "0+" }'))).toThrow(/unknown struct type Foo/);
    expect(() => loadMessage('t.json', `{ "type": "request", "apiKey": 1, "name": "X", "validVersions": "0", "fields": [], "extra": 1 }`)).toThrow(/unknown attribute "extra"/);
  });
  it('keeps // comments (not inside strings) as doc comments', () => {
    const { value, comments } = parseJsonWithComments(`// licence
{
  // top note
  "name": "a // not a comment",
  "fields": [
    // field note
    { "name": "F" }
  ]
}`);
    const v = value as { name: string; fields: object[] };
    expect(v.name).toBe('a // not a comment');
    expect(comments.get(v)).toEqual(['top note']);
    expect(comments.get(v.fields[0]!)).toEqual(['field note']);
  });
});
