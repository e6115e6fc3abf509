// A WebSocket listener (ws.port): the Kafka protocol over WebSocket, for clients that cannot open raw TCP
// sockets (browsers). Each binary message carries exactly one request frame, its 4-byte size prefix
// included; each response goes back as one binary message, size prefix included. Everything past the
// framing — limits, dispatch, in-order responses, backpressure, idle timeout — is the same Connection the
// TCP listener uses, fed through a small Transport adapter.
//
// A text message (1003), a message whose size prefix disagrees with its length or is shorter than 4 bytes
// (1002), or one above socket.request.max.bytes (1009) closes that WebSocket only.
//
// Plain HTTP on the same port gets the demo page and the browser bundle (browser-files.ts); any other
// path answers 426 Upgrade Required.
//
// Security (ws.security.protocol): with TLS options (SSL, SASL_SSL) the server is an https server, so the
// WebSocket is wss:// and the demo page is served over https; a plaintext client on that port fails the TLS
// handshake and is dropped. SASL_PLAINTEXT / SASL_SSL connections get the same SASL gate as a Kafka SASL
// listener (gateFor): SaslHandshake and SaslAuthenticate travel in binary messages like any request.
// ws.allowed.origins is checked before the upgrade: an Origin not on the list gets HTTP 403 and no WebSocket.

import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket, TlsOptions } from 'node:tls';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { CloseReason, Connection, Transport } from './connection.js';
import { adoptConnection, admitConnection, bindServer, drainAndClose, type ListenerOptions } from './listener-common.js';
import type { ResponseFrame } from './types.js';
import type { Logger } from '../util/log.js';
import { findPackageRoot, isBrowserFilePath, serveBrowserFile } from './browser-files.js';
import { originCheck, type OriginCheck } from './allowed-origins.js';

export interface WebSocketListenerOptions extends ListenerOptions {
  /** Package root the demo page and the browser bundle are served from (default: found from this module's location). */
  demoRoot?: string | null;
  /** Serve https and wss:// with these options (SSL, SASL_SSL); plain http and ws:// when absent. */
  tls?: TlsOptions;
  /** ws.allowed.origins: page origins allowed to upgrade (empty or absent: any). */
  allowedOrigins?: readonly string[];
}

/** How long a TLS client has to complete its handshake before its socket is closed. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

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
  /** Every TCP socket until it closes (upgraded, serving HTTP or still in its TLS handshake). */
  private readonly sockets = new Set<Socket>();
  private readonly allowOrigin: OriginCheck;
  private closePromise: Promise<void> | null = null;
  private readonly demoRoot: string | null;

  private constructor(private readonly o: WebSocketListenerOptions) {
    const demoRoot = (this.demoRoot = o.demoRoot === undefined ? findPackageRoot() : o.demoRoot);
    this.allowOrigin = originCheck(o.allowedOrigins ?? []);
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      if (!this.peerCertificateOk(req.socket)) {
        req.socket.destroy();
        return;
      }
      if (demoRoot && isBrowserFilePath(req.url)) {
        serveBrowserFile(demoRoot, req, res).catch((e: Error) => {
          o.log.warn(`${req.url}: ${e.message}`);
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end();
        });
        return;
      }
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket', connection: 'Upgrade' });
      res.end('Kafka over WebSocket: open a WebSocket and send one request frame per binary message.\n');
    };
    if (o.tls) {
      const https = createHttpsServer({ ...o.tls, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }, onRequest);
      // A failed handshake (untrusted certificate, plaintext bytes such as a ws:// client's) closes that socket only.
      https.on('tlsClientError', (err: Error, socket: TLSSocket) => {
        if (o.log.enabled('debug')) o.log.debug(`TLS handshake failed on ${o.name} from ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}: ${err.message}`);
        socket.destroy();
      });
      this.http = https;
    } else {
      this.http = createServer(onRequest);
    }
    this.http.on('connection', (raw: Socket) => {
      this.sockets.add(raw);
      raw.once('close', () => this.sockets.delete(raw));
    });
    this.wss = new WebSocketServer({
      noServer: true,
      // A frame is at most socket.request.max.bytes plus its 4-byte prefix; ws closes with 1009 above that.
      maxPayload: o.limits.maxRequestBytes + 4,
      perMessageDeflate: false,
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.closePromise || !this.peerCertificateOk(req.socket)) {
        socket.destroy();
        return;
      }
      const origin = req.headers.origin;
      if (!this.allowOrigin(origin)) {
        if (o.log.enabled('debug')) o.log.debug(`WebSocket upgrade on ${o.name} from origin ${JSON.stringify(origin)} refused (ws.allowed.origins)`);
        refuseUpgrade(socket, 403, 'This page origin is not allowed to connect (ws.allowed.origins).');
        return;
      }
      const raw = req.socket;
      admitConnection(this.o, raw, () => {
        if (this.closePromise || socket.destroyed) {
          socket.destroy();
          return;
        }
        raw.resume();
        this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
      });
    });
  }

  /** ssl.client.auth=requested: no certificate is fine, but one that was sent must verify. */
  private peerCertificateOk(socket: Socket): boolean {
    if (!this.o.tls) return true;
    const tls = socket as TLSSocket;
    if (tls.authorized || Object.keys(tls.getPeerCertificate()).length === 0) return true;
    if (this.o.log.enabled('debug')) this.o.log.debug(`TLS client certificate refused on ${this.o.name}: ${String(tls.authorizationError)}`);
    return false;
  }

  /** Whether this listener serves TLS (wss:// and https). */
  get secure(): boolean {
    return this.o.tls !== undefined;
  }

  get name(): string {
    return this.o.name;
  }

  private get hostPort(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** http(s)://host:port/demo/ when the demo page's files were found (see browser-files.ts), else null. */
  get demoUrl(): string | null {
    return this.demoRoot ? `${this.secure ? 'https' : 'http'}://${this.hostPort}/demo/` : null;
  }

  /** ws://host:port/ (wss:// with TLS) */
  get url(): string {
    return `${this.secure ? 'wss' : 'ws'}://${this.hostPort}/`;
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
    // Sockets waiting for a connection slot are closed: they would hold the server's close.
    this.o.connectionQuotas?.close();
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
        for (const raw of [...this.sockets]) raw.destroy();
      },
    );
    return this.closePromise;
  }
}

/** Answers an upgrade request with an HTTP error and closes the socket (no WebSocket is opened). */
function refuseUpgrade(socket: Duplex, status: number, why: string): void {
  const reason = status === 403 ? 'Forbidden' : 'Bad Request';
  const body = `${why}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
