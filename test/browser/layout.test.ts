// The OPFS log uses the broker's on-disk layout: segments written in the browser are opened by the
// Node broker's storage (storage/log.ts over Node's file system), which validates every batch, rebuilds
// the indexes byte for byte as the browser wrote them, and serves the same records.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCore } from '../../bindings/node.js';
import type { Rivulet as RivuletApi } from '../../host-browser/index.js';
import { cleanupTempDirs, openLog, tempDir } from '../storage/helpers/env.js';
import { startBrowser, type BrowserHarness } from './helpers.js';

type W = { Rivulet: typeof RivuletApi };

let b: BrowserHarness;
beforeAll(async () => {
  b = await startBrowser();
  await b.openTestPage();
});
afterAll(async () => {
  await b?.close();
  cleanupTempDirs();
});

describe('OPFS segments in the broker layout', () => {
  it('are read, recovered and re-indexed identically by the storage engine over the Node file system', async () => {
    const SEGMENT = 64 * 1024;
    const files = await b.page.evaluate(async (SEGMENT) => {
      const { Rivulet } = window as unknown as W;
      const log = await Rivulet.open('layout', { segmentBytes: SEGMENT });
      for (let i = 0; i < 120; i++) {
        await log.append(Array.from({ length: 4 }, (_, j) => ({ key: `k${i * 4 + j}`, value: `v${i * 4 + j}`.padEnd(700, '-'), headers: { n: String(j) }, timestamp: 1_700_000_000_000 + i })));
      }
      await log.close(); // clean close: indexes trimmed to their entries, as the broker's close does
      const dir = await (await (await navigator.storage.getDirectory()).getDirectoryHandle('rivulet')).getDirectoryHandle('layout-0');
      const out: Record<string, string> = {};
      for await (const [name, h] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemFileHandle]> }).entries()) {
        const bytes = new Uint8Array(await (await h.getFile()).arrayBuffer());
        let s = '';
        for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        out[name] = btoa(s);
      }
      return out;
    }, SEGMENT);

    const names = Object.keys(files).sort();
    const segments = names.filter((n) => /^\d{20}\.log$/.test(n));
    expect(segments.length).toBeGreaterThan(3);
    const dir = join(tempDir('rivulet-layout-'), 'layout-0');
    mkdirSync(dir, { recursive: true });
    for (const n of names) if (/^\d{20}\.(log|index|timeindex)$/.test(n)) writeFileSync(join(dir, n), Buffer.from(files[n]!, 'base64'));
    // Unclean open from offset 0: the broker validates every batch and rebuilds every index.
    const log = openLog({ dir, clean: false, recoveryPoint: 0, config: { 'segment.bytes': SEGMENT, 'segment.index.bytes': 1024 * 1024 } });
    try {
      expect(log.logEndOffset).toBe(480);
      expect(log.segmentBaseOffsets()).toEqual(segments.map((n) => Number(n.slice(0, 20))));
      const core = newCore();
      const got: string[] = [];
      for (let next = 0; next < log.logEndOffset; ) {
        const r = log.read(next, 1 << 20);
        for (const batch of core.decodeBatches(r.records!.read())) {
          for (const rec of batch.records) {
            if (Number(rec.offset) < next) continue;
            got.push(`${rec.offset}:${Buffer.from(rec.key!).toString()}:${Buffer.from(rec.value!).toString().replace(/-+$/, '')}:${rec.headers.map((h) => `${h.key}=${Buffer.from(h.value!).toString()}`).join()}`);
            next = Number(rec.offset) + 1;
          }
        }
      }
      expect(got.length).toBe(480);
      got.forEach((g, i) => expect(g).toBe(`${i}:k${i}:v${i}:n=${i % 4}`));
    } finally {
      log.close();
    }
    // The indexes the broker rebuilt equal the ones the browser wrote (same sparse entries, same trim).
    const indexFiles = names.filter((n) => /^\d{20}\.(index|timeindex)$/.test(n));
    expect(indexFiles.filter((n) => files[n]!.length > 0).length).toBeGreaterThan(segments.length); // sparse entries exist
    for (const n of indexFiles) {
      expect(readFileSync(join(dir, n)).equals(Buffer.from(files[n]!, 'base64')), n).toBe(true);
    }
  });
});
