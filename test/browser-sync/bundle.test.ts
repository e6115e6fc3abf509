// The sync module (dist/browser/sync.js, loaded by the Worker on the first log.sync()) carries the codecs of
// the APIs it speaks and no others: the client connection core (client/connection.ts) frames requests
// through protocol/api-frame.ts with the per-API descriptors host-browser/sync/ws-connection.ts hands it,
// not through frame.ts, which would load all 88 APIs' codecs (about 1.2 MB instead of about 0.3 MB). This
// walks the built files' static imports.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiList } from '../../protocol/generated/index.js';
import { repoRoot } from '../browser/helpers.js';

const dir = join(repoRoot, 'dist/browser');

beforeAll(() => {
  if (!existsSync(join(dir, 'sync.js'))) execFileSync(process.execPath, [join(repoRoot, 'scripts/build-browser.mjs')], { cwd: repoRoot, stdio: 'inherit' });
}, 120_000);

/** Source of every file reachable from `entry` through static imports (`import()` is not followed). */
function staticGraph(entry: string): string {
  const seen = new Map<string, string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    const text = readFileSync(join(dir, file), 'utf8');
    seen.set(file, text);
    for (const m of text.matchAll(/(?:from|import)\s*"\.\/([^"]+\.js)"/g)) visit(m[1]!);
  };
  visit(entry);
  return [...seen.values()].join('\n');
}

const SYNC_APIS = ['ApiVersions', 'Metadata', 'CreateTopics', 'InitProducerId', 'Produce', 'Fetch', 'ListOffsets', 'OffsetFetch', 'OffsetCommit', 'SaslHandshake', 'SaslAuthenticate'];
const hasCodec = (code: string, name: string): boolean => new RegExp(`\\bdecode${name}Request\\b`).test(code);

describe('browser bundle contents', () => {
  it('sync.js holds the codecs of the APIs the sync speaks and none of the others', () => {
    const code = staticGraph('sync.js');
    expect(code).not.toContain('decodeShareFetchRequest');
    expect(SYNC_APIS.filter((name) => !hasCodec(code, name))).toEqual([]);
    const extra = apiList.map((a) => a.name).filter((name) => !SYNC_APIS.includes(name) && hasCodec(code, name));
    expect(extra).toEqual([]);
    expect(code.length).toBeLessThan(600_000);
  });

  it('the page module and the Worker load no protocol codec (sync.js comes on demand)', () => {
    for (const entry of ['rivulet.js', 'worker.js']) {
      const code = staticGraph(entry);
      expect(apiList.filter((a) => hasCodec(code, a.name)).map((a) => a.name)).toEqual([]);
    }
  });
});
