// Recovery of the OPFS log in Chromium: a tab closed or a browser killed in the middle of appending, and
// a corrupt tail written on purpose. After reopening, the log serves only valid batches, every append
// the tab saw acknowledged is there, and appends continue at the right offset.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rivulet as RivuletApi } from '../../host-browser/index.js';
import { startBrowser, startStaticServer, type BrowserHarness } from './helpers.js';

type W = { Rivulet: typeof RivuletApi; ack?: (lastOffset: number) => Promise<void>; stopAppending?: boolean };

let server: Awaited<ReturnType<typeof startStaticServer>>;
/**
 * One browser for all tests (a launch costs seconds on a busy machine); its profile is kept so that the
 * last test can kill it and relaunch on the same storage.
 */
let shared: BrowserHarness;
let chromiumBefore: number[];
const profile = mkdtempSync(join(tmpdir(), 'rivulet-chromium-'));
beforeAll(async () => {
  server = await startStaticServer();
  chromiumBefore = chromiumChildren();
  shared = await startBrowser({ server, userDataDir: profile, keepProfile: true });
});
afterAll(async () => {
  await shared?.close();
  await server?.close();
  rmSync(profile, { recursive: true, force: true });
});

/** Starts appending batches of 1..20 records (value = `v<offset>`) in the page; each ack is reported to `acked`. */
async function appendForever(b: BrowserHarness, topic: string, acked: number[]): Promise<void> {
  await b.page.exposeFunction('ack', (lastOffset: number) => void acked.push(lastOffset));
  await b.openTestPage();
  await b.page.evaluate(async (topic) => {
    const w = window as unknown as W;
    const log = await w.Rivulet.open(topic, { segmentBytes: 256 * 1024 });
    void (async () => {
      for (let i = 0; !w.stopAppending; i++) {
        const n = 1 + (i % 20);
        const end = await log.endOffset();
        const r = await log.append(Array.from({ length: n }, (_, j) => ({ value: `v${end + j}`.padEnd(300, '.') })));
        void w.ack!(r.lastOffset); // reported without waiting: the test keeps the largest
      }
    })();
  }, topic);
}

/** Reopens the log in a fresh page and checks every record: offsets 0..end-1, each value `v<offset>`. */
async function verify(b: BrowserHarness, topic: string): Promise<{ end: number; bad: string[]; clean: boolean; truncatedBytes: number; appended: unknown }> {
  const page = await b.openTestPage(await b.context.newPage());
  return page.evaluate(async (topic) => {
    const { Rivulet } = window as unknown as W;
    const log = await Rivulet.open(topic, { segmentBytes: 256 * 1024 });
    const end = await log.endOffset();
    const bad: string[] = [];
    let next = 0;
    for (;;) {
      const rs = await log.read(next, { maxRecords: 2000 });
      if (rs.length === 0) break;
      for (const r of rs) {
        const v = Rivulet.text(r.value)!.replace(/\.+$/, '');
        if (r.offset !== next || v !== `v${r.offset}`) bad.push(`${r.offset}:${v} (expected ${next})`);
        next = r.offset + 1;
      }
    }
    if (next !== end) bad.push(`read up to ${next}, end offset ${end}`);
    const appended = await log.append({ value: 'after' });
    const { clean, truncatedBytes } = log.loadStats;
    await log.close();
    return { end, bad: bad.slice(0, 10), clean, truncatedBytes, appended };
  }, topic);
}

/** Pids of the Chromium main processes started by this test process. */
function chromiumChildren(): number[] {
  return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, comm]) => comm !== undefined && /chrom/.test(comm))
    .map(([pid]) => Number(pid));
}

function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => (cond() ? resolve() : Date.now() > deadline ? reject(new Error('timed out')) : setTimeout(tick, 20));
    tick();
  });
}

describe('OPFS log recovery in Chromium', () => {
  it('a tab closed in the middle of appending leaves a valid log with every acknowledged append', async () => {
    const b = shared;
    b.page = await b.context.newPage();
    {
      const acked: number[] = [];
      await appendForever(b, 'tab-closed', acked);
      await waitFor(() => acked.length >= 50, 15_000);
      await b.page.close({ runBeforeUnload: false }); // the Worker dies mid-loop
      const r = await verify(b, 'tab-closed');
      expect(r.bad).toEqual([]);
      expect(r.clean).toBe(false);
      expect(r.end).toBeGreaterThan(Math.max(...acked));
      expect(r.appended).toEqual({ baseOffset: r.end, lastOffset: r.end });
    }
  });

  it('truncates a corrupt tail written on purpose, rebuilds the indexes and appends after it', async () => {
    const b = shared;
    b.page = await b.context.newPage();
    {
      await b.openTestPage();
      const before = await b.page.evaluate(async () => {
        const { Rivulet } = window as unknown as W;
        const log = await Rivulet.open('torn');
        for (let i = 0; i < 40; i++) await log.append(Array.from({ length: 10 }, (_, j) => ({ value: `v${i * 10 + j}`.padEnd(500, '.') })));
        return log.endOffset(); // no close: the reload below is an unclean stop
      });
      expect(before).toBe(400);
      await b.openTestPage(); // reload: the Worker and its file handles are gone
      const damage = await b.page.evaluate(async () => {
        const dir = await (await (await navigator.storage.getDirectory()).getDirectoryHandle('rivulet')).getDirectoryHandle('torn-0');
        const fh = await dir.getFileHandle('00000000000000000000.log');
        const size = (await fh.getFile()).size;
        const w = await fh.createWritable({ keepExistingData: true });
        // Flip a byte inside the last batch's records (its CRC no longer matches) and add torn garbage.
        await w.write({ type: 'write', position: size - 20, data: new Uint8Array([0xff ^ 0x5a]) });
        await w.write({ type: 'write', position: size, data: new Uint8Array(777).fill(7) });
        await w.close();
        const index = await (await dir.getFileHandle('00000000000000000000.index')).getFile();
        return { size, indexSize: index.size };
      });
      const r = await verify(b, 'torn');
      expect(r.bad).toEqual([]);
      expect(r.clean).toBe(false);
      expect(r.end).toBe(390); // the last batch (10 records) was corrupt
      expect(r.truncatedBytes).toBeGreaterThan(777);
      expect(r.appended).toEqual({ baseOffset: 390, lastOffset: 390 });
      expect(damage.size).toBeGreaterThan(40 * 5000);
    }
  });

  it('a browser killed (SIGKILL) in the middle of appending recovers with every acknowledged append', async () => {
    const b = shared;
    b.page = await b.context.newPage();
    const acked: number[] = [];
    await appendForever(b, 'killed', acked);
    await waitFor(() => acked.length >= 50, 15_000);
    // Chromium's main process is a child of this test process: kill the one this file started.
    const pids = chromiumChildren().filter((p) => !chromiumBefore.includes(p));
    expect(pids.length).toBe(1);
    const maxAcked = Math.max(...acked);
    process.kill(pids[0]!, 'SIGKILL');
    await b.context.close().catch(() => undefined);
    shared = await startBrowser({ server, userDataDir: profile, keepProfile: true });
    const r = await verify(shared, 'killed');
    expect(r.bad).toEqual([]);
    expect(r.clean).toBe(false);
    expect(r.end).toBeGreaterThan(maxAcked);
  });
});
