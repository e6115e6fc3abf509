// The demo page on the WebSocket listener's HTTP server (http://ws.host:ws.port/demo/): the fixed set of
// files with their content types, 404 for anything else (traversal attempts included), 405 for other
// methods, and the Kafka WebSocket endpoint unchanged on the same port.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketListener } from '../../host-node/network/ws-listener.js';
import { silentLogger } from '../../host-node/util/log.js';
import type { RequestDispatcher } from '../../host-node/network/types.js';
import { startBroker, type RunningBroker } from '../../host-node/broker.js';
import { WsConnection } from '../../host-browser/sync/ws-connection.js';
import { WS } from './helpers.js';

/** A raw HTTP request (no URL normalisation on our side, so `..` reaches the server as sent). */
function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string | undefined; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('demo page over the WebSocket listener', () => {
  let root: string;
  let listener: WebSocketListener;

  beforeAll(async () => {
    // A package root of our own: the demo files, a bundle directory, and files that must never be served.
    root = mkdtempSync(join(tmpdir(), 'rivulet-demo-'));
    mkdirSync(join(root, 'host-browser/demo'), { recursive: true });
    mkdirSync(join(root, 'dist/browser/sub'), { recursive: true });
    writeFileSync(join(root, 'package.json'), '{"name":"rivulet","secret":true}');
    writeFileSync(join(root, 'host-browser/demo/index.html'), '<!doctype html><title>demo</title>');
    writeFileSync(join(root, 'host-browser/demo/demo.js'), 'console.log("demo")');
    writeFileSync(join(root, 'host-browser/demo/notes.txt'), 'not in the fixed set');
    writeFileSync(join(root, 'dist/browser/rivulet.js'), 'export const Rivulet = {}');
    writeFileSync(join(root, 'dist/browser/chunk-AB12.js.map'), '{}');
    writeFileSync(join(root, 'dist/browser/core.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
    writeFileSync(join(root, 'dist/browser/.hidden.js'), 'hidden');
    writeFileSync(join(root, 'dist/browser/sub/x.js'), 'nested');
    const dispatcher = { dispatch: async () => new Uint8Array(0) } as unknown as RequestDispatcher;
    listener = await WebSocketListener.listen({
      name: 'WEBSOCKET',
      host: '127.0.0.1',
      port: 0,
      limits: { maxRequestBytes: 1 << 20, maxQueuedRequests: 10, idleTimeoutMs: -1 },
      dispatcher,
      log: silentLogger,
      demoRoot: root,
    });
  });

  afterAll(async () => {
    await listener?.close(0);
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the page and the bundle files with their content types', async () => {
    const page = await get(listener.port, '/demo/');
    expect(page.status).toBe(200);
    expect(page.type).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<title>demo</title>');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect((await get(listener.port, '/demo/index.html')).body).toBe(page.body);
    expect(await get(listener.port, '/demo/?topic=x')).toMatchObject({ status: 200 });
    expect(await get(listener.port, '/demo/demo.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', body: 'console.log("demo")' });
    expect(await get(listener.port, '/demo/rivulet.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    expect(await get(listener.port, '/demo/chunk-AB12.js.map')).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' });
    expect(await get(listener.port, '/demo/core.wasm')).toMatchObject({ status: 200, type: 'application/wasm' });
    const head = await get(listener.port, '/demo/rivulet.js', 'HEAD');
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(head.headers['content-length']).toBe(String('export const Rivulet = {}'.length));
    expect(await get(listener.port, '/demo')).toMatchObject({ status: 301, headers: expect.objectContaining({ location: '/demo/' }) });
  });

  it('404 for everything outside the fixed set: traversal, encoded traversal, hidden, nested, unknown', async () => {
    for (const path of [
      '/demo/../package.json',
      '/demo/..%2fpackage.json',
      '/demo/%2e%2e/package.json',
      '/demo/%2e%2e%2fpackage.json',
      '/demo//etc/passwd',
      '/demo/..\\package.json',
      '/demo/notes.txt',
      '/demo/.hidden.js',
      '/demo/sub/x.js',
      '/demo/sub%2fx.js',
      '/demo/missing.js',
      '/demo/__proto__',
      '/demo/constructor',
      '/demo/index.html/',
    ]) {
      const r = await get(listener.port, path);
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toContain('secret');
    }
  });

  it('serves the bundle at /dist/browser/, where the README imports it from, to any origin', async () => {
    const js = await get(listener.port, '/dist/browser/rivulet.js');
    expect(js).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', body: 'export const Rivulet = {}' });
    expect(js.headers).toMatchObject({ 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin', 'x-content-type-options': 'nosniff' });
    expect(await get(listener.port, '/dist/browser/rivulet.js?v=1')).toMatchObject({ status: 200, body: 'export const Rivulet = {}' });
    expect(await get(listener.port, '/dist/browser/chunk-AB12.js.map')).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' });
    expect(await get(listener.port, '/dist/browser/core.wasm')).toMatchObject({ status: 200, type: 'application/wasm' });
    expect(await get(listener.port, '/dist/browser/rivulet.js', 'HEAD')).toMatchObject({ status: 200, body: '' });
    // The page's own files stay under /demo/ only, and carry no CORS header.
    expect((await get(listener.port, '/dist/browser/index.html')).status).toBe(404);
    expect((await get(listener.port, '/dist/browser/demo.js')).status).toBe(404);
    expect((await get(listener.port, '/demo/demo.js')).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('404 under /dist/browser/ for directories, traversal, hidden, nested and unknown files', async () => {
    for (const path of [
      '/dist/browser/',
      '/dist/browser',
      '/dist/browser/sub/',
      '/dist/browser/../../package.json',
      '/dist/browser/..%2f..%2fpackage.json',
      '/dist/browser/%2e%2e/%2e%2e/package.json',
      '/dist/browser/%2e%2e%2f%2e%2e%2fpackage.json',
      '/dist/browser/..\\..\\package.json',
      '/dist/browser//etc/passwd',
      '/dist/browser/.hidden.js',
      '/dist/browser/sub/x.js',
      '/dist/browser/sub%2fx.js',
      '/dist/browser/missing.js',
      '/dist/browser/rivulet.js/',
      '/dist/browser/__proto__',
      '/dist/browser/%72ivulet.js',
    ]) {
      const r = await get(listener.port, path);
      expect([404, 426], path).toContain(r.status);
      expect(r.body, path).not.toContain('secret');
      expect(r.body, path).not.toContain('rivulet.js');
    }
    expect((await get(listener.port, '/dist/browser/')).status).toBe(404);
    expect((await get(listener.port, '/dist/browser/../../package.json')).status).toBe(404);
  });

  it('other methods get 405; other paths keep the 426 of the Kafka endpoint', async () => {
    expect(await get(listener.port, '/demo/', 'POST')).toMatchObject({ status: 405, headers: expect.objectContaining({ allow: 'GET, HEAD' }) });
    expect(await get(listener.port, '/demo/rivulet.js', 'DELETE')).toMatchObject({ status: 405 });
    expect(await get(listener.port, '/dist/browser/rivulet.js', 'PUT')).toMatchObject({ status: 405 });
    expect((await get(listener.port, '/')).status).toBe(426);
    expect((await get(listener.port, '/package.json')).status).toBe(426);
    expect((await get(listener.port, '/demox')).status).toBe(426);
    expect((await get(listener.port, '/dist/browserx/rivulet.js')).status).toBe(426);
    expect((await get(listener.port, '/dist/core/rivulet-core.wasm')).status).toBe(426);
  });
});

describe('demo page on a real broker', () => {
  let broker: RunningBroker;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rivulet-demo-broker-'));
    broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, log: silentLogger, sets: { 'ws.port': 0 } });
  });
  afterAll(async () => {
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves this repository’s demo page next to the Kafka WebSocket endpoint', async () => {
    const port = broker.ws!.port;
    const page = await get(port, '/demo/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module" src="demo.js">');
    const js = await get(port, '/demo/demo.js');
    expect(js.status).toBe(200);
    expect(js.body).toContain("from './rivulet.js'");
    // The bundle the README imports from '/dist/browser/…' (built by `npm run build` before these tests).
    for (const name of ['rivulet.js', 'worker.js', 'sync.js']) {
      const r = await get(port, `/dist/browser/${name}`);
      expect(r, name).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
      expect(r.body.length, name).toBeGreaterThan(100);
    }
    // The same port still speaks Kafka over WebSocket.
    const conn = await WsConnection.connect({ url: broker.ws!.url, WebSocket: WS });
    expect(conn.brokerVersions.size).toBeGreaterThan(10);
    conn.close();
  });
});
