// The browser bundle in headless Chromium: the core loads in the Worker, records appended in a tab are in
// OPFS in the broker's segment layout and survive a reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rivulet as RivuletApi } from '../../host-browser/index.js';
import { startBrowser, type BrowserHarness } from './helpers.js';

type W = { Rivulet: typeof RivuletApi };

let b: BrowserHarness;
beforeAll(async () => {
  b = await startBrowser();
  await b.openTestPage();
});
afterAll(async () => {
  await b?.close();
});

describe('host-browser in Chromium', () => {
  it('loads the core in the Worker (CRC-32C of the check vector)', async () => {
    const crc = await b.page.evaluate(() => (window as unknown as W).Rivulet.crc32c('123456789'));
    expect(crc.toString(16)).toBe('e3069283');
  });

  it('appends, reads and subscribes', async () => {
    const out = await b.page.evaluate(async () => {
      const { Rivulet } = window as unknown as W;
      const log = await Rivulet.open('basics');
      const seen: number[] = [];
      const stop = log.subscribe((rs) => seen.push(...rs.map((r) => r.offset)));
      const a = await log.append([{ key: 'k1', value: 'hello', headers: { h: 'x' }, timestamp: 1700000000000 }, { value: new Uint8Array([1, 2, 3]) }]);
      const c = await log.append({ key: null, value: null });
      const records = await log.read(0);
      const from1 = await log.read(1, { maxRecords: 1 });
      for (let i = 0; i < 100 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
      stop();
      const end = await log.endOffset();
      await log.close();
      // A clean reopen trusts the files (indexes sanity-checked, tail walked) and appends after them.
      const again = await Rivulet.open('basics');
      const reopened = { clean: again.loadStats.clean, end: await again.endOffset(), next: await again.append({ value: 'd' }), values: (await again.read(0)).map((r) => Rivulet.text(r.value)) };
      await again.close();
      return {
        reopened,
        a,
        c,
        end,
        seen,
        first: { ...records[0]!, key: Rivulet.text(records[0]!.key), value: Rivulet.text(records[0]!.value), headers: records[0]!.headers.map((h) => [h.key, Rivulet.text(h.value)]) },
        second: Array.from(records[1]!.value!),
        third: [records[2]!.key, records[2]!.value],
        from1: from1.map((r) => r.offset),
      };
    });
    expect(out.a).toEqual({ baseOffset: 0, lastOffset: 1 });
    expect(out.c).toEqual({ baseOffset: 2, lastOffset: 2 });
    expect(out.end).toBe(3);
    expect(out.first).toEqual({ offset: 0, timestamp: 1700000000000, key: 'k1', value: 'hello', headers: [['h', 'x']] });
    expect(out.second).toEqual([1, 2, 3]);
    expect(out.third).toEqual([null, null]);
    expect(out.from1).toEqual([1]);
    expect(out.seen).toEqual([0, 1, 2]);
    expect(out.reopened).toEqual({ clean: true, end: 3, next: { baseOffset: 3, lastOffset: 3 }, values: ['hello', '\u0001\u0002\u0003', null, 'd'] });
  });

  it('answers bad input with clear errors and keeps working', async () => {
    const errors = await b.page.evaluate(async () => {
      const { Rivulet } = window as unknown as W;
      const msg = (p: Promise<unknown>) => p.then(() => 'no error', (e: Error) => `${e.name}: ${e.message}`);
      const out: Record<string, string> = {};
      out.topic = await msg(Rivulet.open('bad/topic'));
      out.partition = await msg(Rivulet.open('ok', { partition: -1 }));
      const log = await Rivulet.open('errors');
      out.empty = await msg(log.append([]));
      out.value = await msg(log.append({ value: 42 as unknown as string }));
      out.timestamp = await msg(log.append({ value: 'x', timestamp: 1.5 }));
      out.key = await msg(log.append({ key: 7 as unknown as string, value: 'x' }));
      out.header = await msg(log.append({ value: 'x', headers: { h: 7 as unknown as string } }));
      // A view into a larger buffer: only its own bytes are stored (records travel packed, not as the whole buffer).
      const big = new Uint8Array(64).map((_, i) => i);
      const at = await log.append({ key: big.subarray(2, 4), value: big.subarray(10, 13), headers: [{ key: 'h', value: big.subarray(20, 21) }, { key: 'n', value: null }] });
      const [rec] = await log.read(at.baseOffset, { maxRecords: 1 });
      out.view = JSON.stringify([[...rec!.key!], [...rec!.value!], rec!.headers.map((h) => [h.key, h.value && [...h.value]])]);
      out.offset = await msg(log.read(-1));
      out.good = JSON.stringify(await log.append({ value: 'still fine' }));
      await log.close();
      out.closed = await msg(log.append({ value: 'x' }));
      return out;
    });
    expect(errors.topic).toMatch(/^TypeError: invalid topic name/);
    expect(errors.partition).toMatch(/^TypeError: invalid partition -1/);
    expect(errors.empty).toMatch(/non-empty array/);
    expect(errors.value).toMatch(/^TypeError: record 0: value must be/);
    expect(errors.timestamp).toMatch(/^TypeError: record 0: timestamp must be an integer/);
    expect(errors.key).toMatch(/^TypeError: record 0: key must be/);
    expect(errors.header).toMatch(/^TypeError: record 0: a header value must be/);
    expect(errors.view).toBe('[[2,3],[10,11,12],[["h",[20]],["n",null]]]');
    expect(errors.offset).toMatch(/^RangeError: invalid offset -1/);
    expect(errors.good).toBe('{"baseOffset":1,"lastOffset":1}');
    expect(errors.closed).toMatch(/closed/);
  });

  it('packs appends into buffers the Worker hands back: mixed sizes, awaited and in flight, after a rejected append', async () => {
    const out = await b.page.evaluate(async () => {
      const { Rivulet } = window as unknown as W;
      const log = await Rivulet.open('buffers', { maxMessageBytes: 4 << 20 });
      const sizes = [10, 5000, 200_000, 1_200_000, 3, 70_000, 0];
      const expected: { key: string; value: string }[] = [];
      // Multi-byte text: 'é' is 2 bytes of UTF-8, '🙂' 4.
      const rec = (tag: string, n: number) => ({ key: tag, value: `${tag}:${'é'.repeat(n)}🙂` });
      for (const [i, n] of sizes.entries()) {
        const r = rec(`a${i}`, n);
        await log.append(r);
        expected.push(r);
      }
      const inFlight = Array.from({ length: 64 }, (_, i) => rec(`f${i}`, Math.floor(sizes[i % sizes.length]! / 10)));
      await Promise.all(inFlight.map((r) => log.append(r)));
      expected.push(...inFlight);
      const rejected = await log.append({ value: new Uint8Array(5 << 20) }).then(
        () => 'no error',
        (e: Error) => e.message,
      );
      const last = rec('last', 1);
      await log.append(last);
      expected.push(last);
      const bad: string[] = [];
      let next = 0;
      for (;;) {
        const rs = await log.read(next, { maxRecords: 20 });
        if (rs.length === 0) break;
        for (const r of rs) {
          const want = expected[r.offset];
          if (!want || Rivulet.text(r.key) !== want.key || Rivulet.text(r.value) !== want.value) bad.push(`offset ${r.offset}`);
          next = r.offset + 1;
        }
      }
      const pooled = (log as unknown as { client: { buffers: { free: ArrayBuffer[] } } }).client.buffers.free.length;
      await log.close();
      return { bad, end: next, expected: expected.length, rejected, pooled };
    });
    expect(out.bad).toEqual([]);
    expect(out.end).toBe(out.expected);
    expect(out.rejected).toMatch(/max\.message\.bytes|MESSAGE_TOO_LARGE|Kafka error 10/);
    expect(out.pooled).toBeGreaterThan(0); // buffers came back from the Worker
  });

  it('keeps records across a page reload, in the broker segment layout', async () => {
    const first = await b.page.evaluate(async () => {
      const { Rivulet } = window as unknown as W;
      // Small segments so the log rolls; no clean close: the reload drops the Worker.
      const log = await Rivulet.open('reload', { partition: 3, segmentBytes: 64 * 1024 });
      const value = 'x'.repeat(1000);
      for (let i = 0; i < 200; i++) await log.append(Array.from({ length: 5 }, (_, j) => ({ key: String(i * 5 + j), value })));
      return log.endOffset();
    });
    expect(first).toBe(1000);
    await b.openTestPage(); // navigation = reload of the tab
    const after = await b.page.evaluate(async () => {
      const { Rivulet } = window as unknown as W;
      const log = await Rivulet.open('reload', { partition: 3, segmentBytes: 64 * 1024 });
      const all = [];
      for (let from = 0; ; ) {
        const rs = await log.read(from, { maxRecords: 300 });
        if (rs.length === 0) break;
        all.push(...rs.map((r) => [r.offset, Rivulet.text(r.key)]));
        from = rs[rs.length - 1]!.offset + 1;
      }
      const dir = await (await (await navigator.storage.getDirectory()).getDirectoryHandle('rivulet')).getDirectoryHandle('reload-3');
      const names: string[] = [];
      for await (const n of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(n);
      const appended = await log.append({ value: 'after' });
      const stats = log.loadStats;
      await log.close();
      return { all, names: names.sort(), appended, stats };
    });
    expect(after.all.length).toBe(1000);
    after.all.forEach(([offset, key], i) => {
      expect(offset).toBe(i);
      expect(key).toBe(String(i));
    });
    expect(after.appended).toEqual({ baseOffset: 1000, lastOffset: 1000 });
    expect(after.stats.clean).toBe(false);
    const logs = after.names.filter((n) => n.endsWith('.log'));
    expect(logs.length).toBeGreaterThan(10);
    expect(logs[0]).toBe('00000000000000000000.log');
    for (const l of logs) {
      expect(l).toMatch(/^\d{20}\.log$/);
      expect(after.names).toContain(l.replace('.log', '.index'));
      expect(after.names).toContain(l.replace('.log', '.timeindex'));
    }
  });

  it('shares a partition between tabs: the second follows the first, sees its appends, and takes over when it closes', async () => {
    const a = await b.openTestPage(await b.context.newPage());
    const c = await b.openTestPage(await b.context.newPage());
    await a.evaluate(async () => {
      const w = window as unknown as W & { log?: Awaited<ReturnType<W['Rivulet']['open']>> };
      w.log = await w.Rivulet.open('shared');
      await w.log.append({ value: 'a0' });
    });
    const start = await c.evaluate(async () => {
      const w = window as unknown as W & { log?: Awaited<ReturnType<W['Rivulet']['open']>>; seen?: string[] };
      w.log = await w.Rivulet.open('shared'); // owned by tab a: this tab follows it
      w.seen = [];
      w.log.subscribe((rs) => w.seen!.push(...rs.map((r) => `${r.offset}:${w.Rivulet.text(r.value)}`)), { fromOffset: 0 });
      const r = await w.log.append({ value: 'c1' });
      return { r, end: await w.log.endOffset() };
    });
    expect(start.r).toEqual({ baseOffset: 1, lastOffset: 1 });
    const fromA = await a.evaluate(async () => {
      const w = window as unknown as W & { log?: Awaited<ReturnType<W['Rivulet']['open']>> };
      await w.log!.append({ value: 'a2' });
      return (await w.log!.read(0)).map((r) => w.Rivulet.text(r.value));
    });
    expect(fromA).toEqual(['a0', 'c1', 'a2']);
    await c.waitForFunction(() => ((window as unknown as { seen: string[] }).seen ?? []).length >= 3);
    await a.close({ runBeforeUnload: false }); // the owner goes away: tab c takes over the files
    const after = await c.evaluate(async () => {
      const w = window as unknown as W & { log?: Awaited<ReturnType<W['Rivulet']['open']>>; seen?: string[] };
      let r: { baseOffset: number; lastOffset: number } | null = null;
      for (let i = 0; i < 100 && r === null; i++) {
        // A call that raced with the takeover fails and says so; it is retried.
        r = await w.log!.append({ value: 'c3' }).catch(() => null);
        if (r === null) await new Promise((res) => setTimeout(res, 50));
      }
      for (let i = 0; i < 100 && w.seen!.length < 4; i++) await new Promise((res) => setTimeout(res, 20));
      const all = (await w.log!.read(0)).map((x) => w.Rivulet.text(x.value));
      await w.log!.close();
      return { r, all, seen: w.seen };
    });
    expect(after.r).toEqual({ baseOffset: 3, lastOffset: 3 });
    expect(after.all).toEqual(['a0', 'c1', 'a2', 'c3']);
    expect(after.seen).toEqual(['0:a0', '1:c1', '2:a2', '3:c3']);
    await c.close();
  });
});
