// The files the WebSocket listener serves over plain HTTP beside the Kafka endpoint, read-only:
//   /demo/                the demo page (host-browser/demo/) and, next to it, the browser bundle's files;
//   /dist/browser/<name>  the browser bundle (dist/browser/), where the README's
//                         `import { Rivulet } from '/dist/browser/rivulet.js'` looks for it.
// Only a fixed set of files is served: the page's own files by name (DEMO_FILES) and the bundle's files
// whose names are plain (BUNDLE_FILE: no slash, no leading dot), looked up by exact name in a listing of
// dist/browser/ — a request path is never joined onto a directory, so there is nothing to traverse, and no
// directory is ever listed to the client.
//
// Bundle files carry `Access-Control-Allow-Origin: *` and `Cross-Origin-Resource-Policy: cross-origin`:
// they are public code that pages on other origins (cross-origin isolated ones included) may fetch. The
// page API itself still needs a same-origin copy: browsers start a Worker only from the page's origin.

import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DEMO_PREFIX = '/demo/';
const BUNDLE_PREFIX = '/dist/browser/';

const DEMO_FILES: Record<string, string> = { 'index.html': 'index.html', 'demo.js': 'demo.js', 'demo.css': 'demo.css' };
const BUNDLE_FILE = /^[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*\.(?:js|map|wasm)$/;
const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
  wasm: 'application/wasm',
};
const BUNDLE_HEADERS = { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' };

/** True for the paths served here (the rest of the port is the Kafka WebSocket endpoint). */
export function isBrowserFilePath(url: string | undefined): boolean {
  if (url === undefined) return false;
  const path = url.split('?')[0]!;
  return path === '/demo' || path.startsWith(DEMO_PREFIX) || path.startsWith(BUNDLE_PREFIX);
}

/** The directory holding this package's package.json (source tree or installed package), or null. */
export function findPackageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'rivulet') return dir;
      } catch {
        // not ours: keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** A file to send: where it is on disk, and whether it belongs to the bundle. */
interface Located {
  file: string;
  bundle: boolean;
}

/** The file a request path names under `root`, or null when it names none of the served files. */
async function locate(root: string, path: string): Promise<Located | null> {
  if (path.startsWith(BUNDLE_PREFIX)) return locateBundleFile(root, path.slice(BUNDLE_PREFIX.length));
  const name = path === DEMO_PREFIX ? 'index.html' : path.slice(DEMO_PREFIX.length);
  if (Object.hasOwn(DEMO_FILES, name)) return { file: join(root, 'host-browser', 'demo', DEMO_FILES[name]!), bundle: false };
  return locateBundleFile(root, name);
}

async function locateBundleFile(root: string, name: string): Promise<Located | null> {
  if (!BUNDLE_FILE.test(name)) return null;
  const bundleDir = join(root, 'dist', 'browser');
  const names = await readdir(bundleDir).catch(() => [] as string[]);
  return names.includes(name) ? { file: join(bundleDir, name), bundle: true } : null;
}

/** Answers a GET/HEAD for a path isBrowserFilePath() accepted: 200 with the file, 301, 404 or 405. */
export async function serveBrowserFile(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const send = (status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n', { allow: 'GET, HEAD' });
  const path = (req.url ?? '').split('?')[0]!;
  if (path === '/demo') return send(301, 'moved to /demo/\n', { location: DEMO_PREFIX });
  const found = await locate(root, path);
  if (found === null) return send(404, notFoundText(root, path));
  let body: Buffer;
  try {
    body = await readFile(found.file);
  } catch {
    return send(404, 'not found\n');
  }
  const ext = found.file.slice(found.file.lastIndexOf('.') + 1);
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
    'content-length': String(body.length),
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    ...(found.bundle ? BUNDLE_HEADERS : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** A missing bundle entry point most likely means the bundle was never built: say how to build it. */
function notFoundText(root: string, path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const entry = name === 'rivulet.js' || name === 'worker.js' || name === 'sync.js';
  return entry && !existsSync(join(root, 'dist', 'browser')) ? 'not built: run `npm run build`\n' : 'not found\n';
}
