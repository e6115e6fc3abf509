// A WebSocket listener (ws.port): the Kafka protocol over WebSocket, for clients that cannot open raw TCP
// sockets (browsers). Each binary message carries exactly one request frame, its 4-byte size prefix
// included; each response goes back as one binary message, size prefix included. Everything past the
// framing — limits, dispatch, in-order responses, backpressure, idle timeout — is the same Connection the
// TCP listener uses, fed through a small Transport adapter.
//
// A text message (1003), a message whose size prefix disagrees with its length or is shorter than 4 bytes
// (1002), or one above socket.request.max.bytes (1009) closes that WebSocket only.

import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { CloseReason, Connection, Transport } from './connection.js';
import { adoptConnection, bindServer, drainAndClose, type ListenerOptions } from './listener-common.js';
import type { ResponseFrame } from './types.js';
import type { Logger } from '../util/log.js';

export interface WebSocketListenerOptions extends ListenerOptions {
  /** Package root the demo page is served from (default: found from this module's location). */
  demoRoot?: string | null;
}

/** WebSocket close codes (RFC 6455 §7.4.1). */
const WS_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  messageTooBig: 1009,
  internalError: 1011,
} as const;

/** Bytes buffered for sending above which writeFrame() reports "full" (like a socket's highWaterMark). */
const WRITE_HIGH_WATER = 1 << 20;
/** How long a close handshake may take before the TCP connection is dropped. */
const CLOSE_GRACE_MS = 1000;

function closeCodeFor(reason: CloseReason): number {
  switch (reason) {
    case 'protocol':
      return WS_CLOSE.protocolError;
    case 'error':
      return WS_CLOSE.internalError;
    case 'idle':
    case 'shutdown':
      return WS_CLOSE.goingAway;
    default:
      return WS_CLOSE.normal;
  }
}

/** Close reasons are limited to 123 bytes of UTF-8. */
function closeText(why: string): string {
  let s = why.slice(0, 123);
  while (Buffer.byteLength(s) > 123) s = s.slice(0, -1);
  return s;
}

/** A WebSocket seen as a Connection's Transport: one message in = one request frame, one frame out = one message. */
class WebSocketTransport extends EventEmitter implements Transport {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly localPort: number | undefined;
  writableEnded = false;
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private needDrain = false;
  private killTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ws: WebSocket,
    req: IncomingMessage,
    private readonly maxRequestBytes: number,
    private readonly log: Logger,
  ) {
    super();
    this.remoteAddress = req.socket.remoteAddress;
    this.remotePort = req.socket.remotePort;
    this.localPort = req.socket.localPort;
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('error', (err: Error) => {
      // ws reports a message above maxPayload (1009) and protocol violations here, then closes.
      this.log.warn(`closing websocket ${this.who()}: ${err.message}`);
      this.emit('error', err);
    });
    ws.on('close', () => {
      this.clearIdle();
      if (this.killTimer) clearTimeout(this.killTimer);
      this.emit('close');
    });
  }

  get destroyed(): boolean {
    return this.ws.readyState !== WebSocket.OPEN;
  }

  private who(): string {
    return `${this.remoteAddress ?? '?'}:${this.remotePort ?? 0}`;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.destroyed) return;
    this.touch();
    if (!isBinary) return this.refuse(WS_CLOSE.unsupportedData, 'text messages are not accepted: send each Kafka request as one binary message');
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (buf.length < 4) return this.refuse(WS_CLOSE.protocolError, `message of ${buf.length} bytes is shorter than a size prefix`);
    const size = buf.readInt32BE(0);
    if (size > this.maxRequestBytes) return this.refuse(WS_CLOSE.messageTooBig, `frame size ${size} exceeds socket.request.max.bytes ${this.maxRequestBytes}`);
    if (size !== buf.length - 4) return this.refuse(WS_CLOSE.protocolError, `size prefix ${size} disagrees with message length ${buf.length} (expected exactly one frame)`);
    this.emit('data', buf);
  }

  /** Closes because the peer broke the framing rules. */
  private refuse(code: number, why: string): void {
    this.log.warn(`closing websocket ${this.who()}: ${why}`);
    this.closeWith(code, why);
  }

  private closeWith(code: number, why: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, closeText(why));
    // Read on (if paused) so the peer's closing handshake is seen; messages after close are dropped.
    if (this.ws.isPaused) this.ws.resume();
    if (this.killTimer === null && this.ws.readyState !== WebSocket.CLOSED) {
      this.killTimer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
      this.killTimer.unref();
    }
  }

  writeFrame(frame: ResponseFrame): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return true;
    const msg = frame instanceof Uint8Array ? frame : Buffer.concat(frame as Uint8Array[]);
    this.touch();
    this.ws.send(msg, { binary: true }, () => {
      if (this.needDrain && this.ws.bufferedAmount < WRITE_HIGH_WATER / 2) {
        this.needDrain = false;
        this.emit('drain');
      }
    });
    if (this.ws.bufferedAmount >= WRITE_HIGH_WATER) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  write(chunk: Uint8Array): boolean {
    return this.writeFrame(chunk);
  }

  // The ws sender writes each message as it comes; nothing to gather.
  cork(): void {}
  uncork(): void {}

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.resume();
  }

  setTimeout(ms: number): void {
    this.idleMs = ms;
    this.touch();
  }

  private touch(): void {
    if (this.idleMs <= 0) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = null;
        if (!this.destroyed) this.emit('timeout');
      }, this.idleMs);
      this.idleTimer.unref();
    }
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  end(): void {
    this.writableEnded = true;
    this.closeWith(WS_CLOSE.normal, '');
  }

  destroy(): void {
    this.ws.terminate();
  }

  abort(reason: CloseReason, why: string): void {
    this.closeWith(closeCodeFor(reason), why);
  }
}

export class WebSocketListener {
  readonly connections = new Set<Connection>();
  host = '';
  port = 0;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private closePromise: Promise<void> | null = null;
  private readonly demoRoot: string | null;

  private constructor(private readonly o: WebSocketListenerOptions) {
    const demoRoot = (this.demoRoot = o.demoRoot === undefined ? findPackageRoot() : o.demoRoot);
    this.http = createServer((req, res) => {
      if (demoRoot && (req.url === '/demo' || req.url?.startsWith('/demo/') || req.url?.startsWith('/demo?'))) {
        serveDemo(demoRoot, req, res).catch((e: Error) => {
          o.log.warn(`demo page: ${e.message}`);
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end();
        });
        return;
      }
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket', connection: 'Upgrade' });
      res.end('Kafka over WebSocket: open a WebSocket and send one request frame per binary message.\n');
    });
    this.wss = new WebSocketServer({
      noServer: true,
      // A frame is at most socket.request.max.bytes plus its 4-byte prefix; ws closes with 1009 above that.
      maxPayload: o.limits.maxRequestBytes + 4,
      perMessageDeflate: false,
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.closePromise) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
    });
  }

  get name(): string {
    return this.o.name;
  }

  /** http://host:port/demo/ when the demo page's files were found (see serveDemo), else null. */
  get demoUrl(): string | null {
    return this.demoRoot ? `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}/demo/` : null;
  }

  /** ws://host:port/ */
  get url(): string {
    return `ws://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}/`;
  }

  static async listen(o: WebSocketListenerOptions): Promise<WebSocketListener> {
    const l = new WebSocketListener(o);
    ({ host: l.host, port: l.port } = await bindServer(l.http, o));
    return l;
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const o = this.o;
    req.socket.setNoDelay(true);
    const transport = new WebSocketTransport(ws, req, o.limits.maxRequestBytes, o.log);
    adoptConnection(transport, this.connections, o, 'websocket connection');
  }

  /** Stops accepting, lets connections send what is pending (up to `graceMs`), then drops what is left. */
  close(graceMs = 2000): Promise<void> {
    if (this.closePromise) return this.closePromise;
    this.wss.close();
    this.closePromise = drainAndClose(
      this.connections,
      graceMs,
      (done) => {
        this.http.close(() => done());
        this.http.closeIdleConnections();
      },
      () => {
        for (const ws of this.wss.clients) ws.terminate();
      },
    );
    return this.closePromise;
  }
}

// ---- The demo page (http://ws.host:ws.port/demo/) ----
// Only a fixed set of files is served: the page's own files from host-browser/demo/ (DEMO_FILES) and the
// browser bundle's files in dist/browser/ whose names are plain (BUNDLE_FILE: no slash, no leading dot),
// looked up by exact name — a request path is never joined onto a directory, so there is nothing to traverse.
const DEMO_FILES: Record<string, string> = { 'index.html': 'index.html', 'demo.js': 'demo.js', 'demo.css': 'demo.css' };
const BUNDLE_FILE = /^[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*\.(?:js|map|wasm)$/;
const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
  wasm: 'application/wasm',
};

/** The directory holding this package's package.json (source tree or installed package), or null. */
function findPackageRoot(): string | null {
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

async function serveDemo(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const send = (status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n', { allow: 'GET, HEAD' });
  const path = (req.url ?? '').split('?')[0]!;
  if (path === '/demo') return send(301, 'moved to /demo/\n', { location: '/demo/' });
  const name = path === '/demo/' ? 'index.html' : path.slice('/demo/'.length);
  let file: string | null = null;
  if (Object.hasOwn(DEMO_FILES, name)) file = join(root, 'host-browser', 'demo', DEMO_FILES[name]!);
  else if (BUNDLE_FILE.test(name)) {
    const bundleDir = join(root, 'dist', 'browser');
    const names = await readdir(bundleDir).catch(() => [] as string[]);
    if (names.includes(name)) file = join(bundleDir, name);
  }
  if (file === null) return send(404, 'not found\n');
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return send(404, name.endsWith('.js') && !Object.hasOwn(DEMO_FILES, name) ? 'not built: run `npm run build`\n' : 'not found\n');
  }
  const ext = name.slice(name.lastIndexOf('.') + 1);
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
    'content-length': String(body.length),
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
