// host-browser/sync in headless Chromium (one browser, one broker for both tests):
// - the demo page: the broker serves /demo/ on its WebSocket port, two tabs open it, a record appended in
//   one tab (its OPFS outbox, mirrored by the Worker's sync) reaches the other tab's inbox (tailed), kcat
//   reads it once, and what kcat produces appears in both tabs;
// - a tab goes offline (context.setOffline), appends 10,000 records to its OPFS log, comes back: kcat then
//   reads exactly those records once each, in order; the page's sync handle follows it (online → offline
//   with 10,000 pending → online with 0 pending), as does the demo page's status line;
// - malformed frames sent from a page over its own WebSocket close only that socket (1002/1003/1009).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startBroker, type RunningBroker } from '../../host-node/broker.js';
import { silentLogger } from '../../host-node/util/log.js';
import { startBrowser, type BrowserHarness } from '../browser/helpers.js';
import { kcatConsume, kcatProduce, range } from './helpers.js';

let broker: RunningBroker;
let browser: BrowserHarness;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rivulet-demo-e2e-'));
  broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, log: silentLogger, sets: { 'ws.port': 0, 'offsets.topic.num.partitions': 1 } });
  browser = await startBrowser();
});

afterAll(async () => {
  await browser?.close();
  await broker?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const inbox = (p: Page): Promise<string[]> => p.$$eval('#inbox li', (lis) => lis.map((li) => li.lastChild?.textContent ?? ''));

async function openDemo(p: Page, topic: string): Promise<void> {
  await p.goto(`http://127.0.0.1:${broker.ws!.port}/demo/?topic=${topic}`);
  await p.waitForFunction(() => /^(Tab |Error)/.test(document.querySelector('#whoami')?.textContent ?? ''), undefined, { timeout: 30_000 });
  const who = await p.textContent('#whoami');
  expect(who).toMatch(/^Tab /);
}

describe('demo page in Chromium', () => {
  it('two tabs and kcat see the same stream', async () => {
    const topic = `demo-e2e-${Date.now()}`;
    const a = browser.page;
    const b = await browser.context.newPage();
    await openDemo(a, topic);
    await openDemo(b, topic);

    await a.fill('#value', 'hello from tab A');
    await a.click('#append button[type=submit]');
    for (const p of [a, b]) await p.waitForFunction(() => [...document.querySelectorAll('#inbox li')].some((li) => li.textContent?.includes('hello from tab A')), undefined, { timeout: 30_000 });
    expect(await a.$$eval('#outbox li', (lis) => lis.map((li) => li.lastChild?.textContent))).toEqual(['hello from tab A']);

    await kcatProduce(broker.port, topic, ['hello from kcat']);
    for (const p of [a, b]) await p.waitForFunction(() => [...document.querySelectorAll('#inbox li')].some((li) => li.textContent?.includes('hello from kcat')), undefined, { timeout: 30_000 });

    for (const p of [a, b]) {
      await p.waitForFunction(() => document.querySelector('#outbox-status')?.getAttribute('data-state') === 'online', undefined, { timeout: 30_000 });
      await p.waitForFunction(() => document.querySelector('#inbox-status')?.getAttribute('data-state') === 'online', undefined, { timeout: 30_000 });
    }
    await a.waitForFunction(() => document.querySelector('#outbox-status')?.textContent === 'mirror: online · 0 records pending', undefined, { timeout: 30_000 });

    await b.click('#burst');
    await a.waitForFunction(() => document.querySelectorAll('#inbox li').length === 102, undefined, { timeout: 30_000 });
    const seenA = await inbox(a);
    await b.waitForFunction(() => document.querySelectorAll('#inbox li').length === 102, undefined, { timeout: 30_000 });
    expect(await inbox(b)).toEqual(seenA);
    const remote = await kcatConsume(broker.port, topic);
    expect(remote).toEqual(seenA);
    expect(remote.filter((v) => v === 'hello from tab A')).toHaveLength(1);
  });
});

type Status = { state: string; online: boolean; lag: number; records: number; lastError?: string };
type Handle = { status: Status; onStatus(fn: (s: Status) => void): () => void; stop(): Promise<void> };
type OpenLog = { append(r: unknown): Promise<unknown>; sync(o: unknown): Promise<Handle> };
type Win = { Rivulet: { open(t: string): Promise<OpenLog> }; outbox: OpenLog; sync: Handle; seen: Status[] };

const statusOf = (page: Page): Promise<Status> => page.evaluate(() => (window as unknown as Win).sync.status);
async function waitStatus(page: Page, want: (s: Status) => boolean, what: string): Promise<Status> {
  let s = await statusOf(page);
  for (let i = 0; i < 300 && !want(s); i++) {
    await new Promise((r) => setTimeout(r, 100));
    s = await statusOf(page);
  }
  expect(want(s), `${what}; status ${JSON.stringify(s)}`).toBe(true);
  return s;
}

describe('a tab offline in Chromium', () => {
  it('appends 10,000 records offline; once back online kcat reads exactly those, once each, in order', async () => {
    const topic = `offline-e2e-${Date.now()}`;
    const page = await browser.openTestPage();
    await page.evaluate(
      async ({ url, topic }) => {
        const w = window as unknown as Win;
        w.outbox = await w.Rivulet.open(`outbox-${topic}`);
        w.sync = await w.outbox.sync({ url, topic, mode: 'mirror' });
        w.seen = [];
        w.sync.onStatus((s) => w.seen.push(s));
        await w.outbox.append({ value: 'online-0' });
      },
      { url: broker.ws!.url, topic },
    );
    // Online first: the record arrives, so the socket is up before the network goes away.
    let remote: string[] = [];
    for (let i = 0; i < 100 && remote.length < 1; i++) {
      remote = await kcatConsume(broker.port, topic).catch(() => []);
      if (remote.length < 1) await new Promise((r) => setTimeout(r, 200));
    }
    expect(remote).toEqual(['online-0']);
    await waitStatus(page, (s) => s.state === 'online' && s.lag === 0 && s.records === 1, 'online, the record delivered');

    await browser.context.setOffline(true);
    await waitStatus(page, (s) => s.state === 'offline' && !s.online, 'offline once the network is gone');
    const values = range(10_000, 'offline-');
    await page.evaluate(async (values) => {
      const w = window as unknown as Win;
      for (let i = 0; i < values.length; i += 1000) await w.outbox.append(values.slice(i, i + 1000).map((value) => ({ value })));
    }, values);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await kcatConsume(broker.port, topic), 'nothing reaches the broker while offline').toEqual(['online-0']);
    await waitStatus(page, (s) => s.state !== 'online' && s.lag === 10_000, '10,000 records pending while offline');

    await browser.context.setOffline(false);
    const expected = ['online-0', ...values];
    for (let i = 0; i < 300 && remote.length < expected.length; i++) {
      remote = await kcatConsume(broker.port, topic);
      if (remote.length < expected.length) await new Promise((r) => setTimeout(r, 200));
    }
    expect(remote.length).toBe(expected.length);
    expect(remote).toEqual(expected);
    await waitStatus(page, (s) => s.state === 'online' && s.online && s.lag === 0 && s.records === 10_001, 'online again, nothing pending');

    // Every change reached the listener, in order; stop() ends it with 'stopped'.
    await page.evaluate(() => (window as unknown as Win).sync.stop());
    const seen = await page.evaluate(() => (window as unknown as Win).seen.map((s) => s.state));
    const collapsed = seen.filter((st, i) => st !== seen[i - 1]);
    expect(collapsed.slice(collapsed.indexOf('online'))).toEqual(expect.arrayContaining(['online', 'offline', 'stopped']));
    expect(collapsed.at(-1)).toBe('stopped');
    expect(collapsed.indexOf('offline')).toBeLessThan(collapsed.lastIndexOf('online'));
  });
});

describe('malformed frames from a page', () => {
  it('close only the WebSocket that sent them; the demo tab syncing beside it stays online', async () => {
    const topic = `demo-bad-${Date.now()}`;
    const page = await browser.context.newPage();
    await openDemo(page, topic);
    await page.waitForFunction(() => document.querySelector('#outbox-status')?.getAttribute('data-state') === 'online', undefined, { timeout: 30_000 });
    const url = `ws://127.0.0.1:${broker.ws!.port}/`;
    // Each case opens its own WebSocket from the page, sends one bad message and reports the close code.
    const codes = await page.evaluate(async (wsUrl) => {
      const sendBad = (payload: string | Uint8Array): Promise<number> =>
        new Promise((resolve) => {
          const ws = new WebSocket(wsUrl);
          ws.binaryType = 'arraybuffer';
          ws.onopen = () => ws.send(payload);
          ws.onclose = (e) => resolve(e.code);
        });
      const wrongPrefix = new Uint8Array(12);
      new DataView(wrongPrefix.buffer).setInt32(0, 100); // says 100 bytes, carries 8
      const huge = new Uint8Array(8);
      new DataView(huge.buffer).setInt32(0, 0x7fff0000); // above socket.request.max.bytes
      const garbage = new Uint8Array(20).fill(0xff);
      new DataView(garbage.buffer).setInt32(0, 16); // a well-sized frame with a nonsense header
      return {
        text: await sendBad('not a kafka frame'),
        wrongPrefix: await sendBad(wrongPrefix),
        tooShort: await sendBad(new Uint8Array(2)),
        huge: await sendBad(huge),
        garbage: await sendBad(garbage),
      };
    }, url);
    expect(codes).toEqual({ text: 1003, wrongPrefix: 1002, tooShort: 1002, huge: 1009, garbage: expect.any(Number) });
    expect(codes.garbage).not.toBe(1000);

    // The demo page's own sync connection was untouched: a record appended now still arrives.
    await page.fill('#value', 'still online');
    await page.click('#append button[type=submit]');
    await page.waitForFunction(() => [...document.querySelectorAll('#inbox li')].some((li) => li.textContent?.includes('still online')), undefined, { timeout: 30_000 });
    expect(await page.getAttribute('#outbox-status', 'data-state')).toBe('online');
    expect(await kcatConsume(broker.port, topic)).toEqual(['still online']);
    await page.close();
  });
});
