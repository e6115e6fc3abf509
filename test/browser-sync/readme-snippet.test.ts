// The README's browser snippet, as written, in headless Chromium against a real broker:
// - on the broker's own origin (its WebSocket port serves the bundle at /dist/browser/) and on another
//   origin that serves a copy of dist/browser/ (the static server of test/browser/helpers.ts), a blank
//   page runs the README's module code (`import { Rivulet } from '/dist/browser/rivulet.js'` …): it
//   appends, reads the record back and starts and stops a sync;
// - demo tabs opened and closed leave no consumer group on the broker (ListGroups is empty).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startBroker, type RunningBroker } from '../../host-node/broker.js';
import { silentLogger } from '../../host-node/util/log.js';
import { repoRoot, startBrowser, type BrowserHarness } from '../browser/helpers.js';
import { kcatConsume, listGroups } from './helpers.js';

let broker: RunningBroker;
let browser: BrowserHarness;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rivulet-snippet-'));
  broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, log: silentLogger, sets: { 'ws.port': 0, 'offsets.topic.num.partitions': 1 } });
  browser = await startBrowser();
});

afterAll(async () => {
  await browser?.close();
  await broker?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The README's ```js block that imports the browser bundle, with the broker's real port in its URL. */
function readmeSnippet(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes("from '/dist/browser/rivulet.js'"));
  expect(block, 'README has a js block importing /dist/browser/rivulet.js').toBeDefined();
  expect(block).toContain('ws://127.0.0.1:9093/');
  return block!.replaceAll('ws://127.0.0.1:9093/', broker.ws!.url);
}

/** Opens a blank page at `origin` (a page of the user's own there) and runs `code` as a module script in it. */
async function runModule(page: Page, origin: string, code: string): Promise<string[]> {
  const logs: string[] = [];
  const errors: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route(`${origin}/snippet.html`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>snippet</title>' }));
  await page.goto(`${origin}/snippet.html`);
  await page.addScriptTag({ type: 'module', content: `${code}\nwindow.snippetDone = true;\n` });
  await page.waitForFunction(() => (window as unknown as { snippetDone?: boolean }).snippetDone === true, undefined, { timeout: 30_000 }).catch(() => undefined);
  expect(errors).toEqual([]);
  expect(await page.evaluate(() => (window as unknown as { snippetDone?: boolean }).snippetDone)).toBe(true);
  return logs;
}

describe('the README browser snippet, as written', () => {
  it('runs on the broker origin, importing the bundle the WebSocket port serves', async () => {
    const page = await browser.context.newPage();
    const logs = await runModule(page, `http://127.0.0.1:${broker.ws!.port}`, readmeSnippet());
    expect(logs).toContain('0 hello');
    await page.close();
  });

  it('runs on another origin that serves a copy of dist/browser/', async () => {
    const page = await browser.context.newPage();
    const logs = await runModule(page, browser.origin, readmeSnippet());
    expect(logs).toContain('0 hello');
    await page.close();
  });

  it('its mirror reaches the broker once a sync runs long enough', async () => {
    const page = await browser.context.newPage();
    const topic = `snippet-${Date.now()}`;
    // A local log and topic of its own (the runs above left a record in this origin's 'orders' log).
    const code = readmeSnippet().replace("Rivulet.open('orders')", `Rivulet.open('${topic}')`).replace("topic: 'orders'", `topic: '${topic}'`).replace('await sync.stop();', "await new Promise((r) => sync.onStatus((s) => s.state === 'online' && s.lag === 0 && r()));\nawait sync.stop();");
    await runModule(page, `http://127.0.0.1:${broker.ws!.port}`, code);
    expect(await kcatConsume(broker.port, topic)).toEqual(['hello']);
    await page.close();
  });
});

describe('demo tabs', () => {
  it('leave no consumer group behind', async () => {
    const topic = `demo-groups-${Date.now()}`;
    for (let i = 0; i < 3; i++) {
      const p = await browser.context.newPage();
      await p.goto(`http://127.0.0.1:${broker.ws!.port}/demo/?topic=${topic}`);
      await p.waitForFunction(() => /^(Tab |Error)/.test(document.querySelector('#whoami')?.textContent ?? ''), undefined, { timeout: 30_000 });
      expect(await p.textContent('#whoami')).toMatch(/^Tab /);
      await p.fill('#value', `from tab ${i}`);
      await p.click('#append button[type=submit]');
      await p.waitForFunction((n) => document.querySelectorAll('#inbox li').length === n, i + 1, { timeout: 30_000 });
      await p.close();
    }
    expect(await kcatConsume(broker.port, topic)).toEqual(['from tab 0', 'from tab 1', 'from tab 2']);
    expect(await listGroups(broker.port)).toEqual([]);
  });
});
