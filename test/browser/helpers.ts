// Harness for tests (and benchmarks) in a real browser: Debian's Chromium driven by playwright-core, pages
// and the browser bundle (dist/browser/) served by a tiny static HTTP server on 127.0.0.1:<ephemeral>.
//
//   const b = await startBrowser();                 // fresh profile in a temp dir
//   await b.page.goto(b.url('/test/browser/pages/index.html'));
//   ...
//   await b.close();                                 // browser, server, and the temp profile
//
// `startBrowser({ userDataDir })` reuses a profile (OPFS survives a browser restart): pass `keepProfile`
// to the first run and the same dir to the second.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env.RIVULET_CHROMIUM ?? '/usr/bin/chromium';
export const TEST_PAGE = '/test/browser/pages/index.html';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
};
/** Only these folders of the repository are served. */
const SERVED = ['dist/browser/', 'dist/core/', 'test/browser/pages/'];

/** Builds dist/browser/ when it is missing (`npm run build` normally did it). */
export function ensureBrowserBundle(): void {
  if (existsSync(join(repoRoot, 'dist/browser/rivulet.js')) && existsSync(join(repoRoot, 'dist/browser/worker.js'))) return;
  execFileSync(process.execPath, [join(repoRoot, 'scripts/build-browser.mjs')], { cwd: repoRoot, stdio: 'inherit' });
}

/** Serves SERVED folders of the repository on 127.0.0.1 (ephemeral port). */
export async function startStaticServer(): Promise<{ server: Server; origin: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    const file = normalize(join(repoRoot, path));
    const rel = file.slice(repoRoot.length).split(sep).join('/');
    const allowed = file.startsWith(repoRoot) && SERVED.some((d) => rel.startsWith(d));
    if (!allowed || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface BrowserHarness {
  /** The default page (replace it to make openTestPage() use another one). */
  page: Page;
  context: BrowserContext;
  origin: string;
  userDataDir: string;
  /** An absolute URL on the static server. */
  url(path: string): string;
  /** Opens the test page (the bundle's API on window.Rivulet) in `page` (default: the harness page). */
  openTestPage(page?: Page): Promise<Page>;
  /** Closes the browser (and the server unless `server` was given); removes the profile unless kept. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Reuse this profile directory (storage survives); default a fresh temp dir. */
  userDataDir?: string;
  /** Keep the profile directory on close (for a second run with the same storage). */
  keepProfile?: boolean;
  /** Share a static server between runs. */
  server?: { origin: string };
  /** More Chromium command-line switches (e.g. --ignore-certificate-errors-spki-list for a test CA). */
  args?: string[];
}

export async function startBrowser(o: StartOptions = {}): Promise<BrowserHarness> {
  ensureBrowserBundle();
  const own = o.server ? null : await startStaticServer();
  const origin = o.server?.origin ?? own!.origin;
  const userDataDir = o.userDataDir ?? mkdtempSync(join(tmpdir(), 'rivulet-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...(o.args ?? [])] });
  } catch (e) {
    await own?.close();
    if (!o.userDataDir && !o.keepProfile) rmSync(userDataDir, { recursive: true, force: true });
    throw e;
  }
  // Functions passed to page.evaluate() are serialized as compiled; tsx (esbuild keepNames) wraps named
  // functions in a `__name` helper that does not exist in the page.
  await context.addInitScript({ content: 'globalThis.__name = globalThis.__name || ((f) => f);' });
  const page = context.pages()[0] ?? (await context.newPage());
  const url = (path: string) => origin + path;
  const harness: BrowserHarness = {
    page,
    context,
    origin,
    userDataDir,
    url,
    async openTestPage(p = harness.page) {
      await p.goto(url(TEST_PAGE));
      await p.waitForFunction(() => (window as unknown as { rivuletLoaded?: boolean }).rivuletLoaded === true);
      return p;
    },
    async close() {
      await context.close().catch(() => undefined);
      await own?.close();
      if (!o.keepProfile) rmSync(userDataDir, { recursive: true, force: true });
    },
  };
  return harness;
}
