// A TCP listener that turns accepted sockets into Connections feeding one RequestDispatcher.
//
// Under Node, every accepted connection reads into one buffer of its own, reused for every read (`onread`),
// instead of the fresh 64 KiB ArrayBuffer Node allocates per read. At 250 MB/s those allocations made V8 run
// a scavenge every ~100 ms for "external memory pressure", some of them 10-25 ms long: the produce latency
// tail. Node offers `onread` only to sockets it constructs from options, so the accepted handle is taken
// from the socket the server made (paused on connect, nothing read yet) and wrapped in one that has it.
// Elsewhere (Deno, Bun, or a Node without the handle) the accepted socket is used as it is.
//
// An SSL listener (`tls` set) accepts TLS sockets once their handshake is done. Their decrypted bytes come
// from the TLS layer, which is switched to a reused buffer of the connection's too where Node allows it
// (tls-read-buffer.ts); otherwise they feed the Connection through 'data' events.

import { createServer, Socket, type Server } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import type { Connection } from './connection.js';
import type { KafkaPrincipal } from '../security/principal.js';
import { rfc2253Subject } from './peer-subject.js';
import { useReusedTlsReadBuffer } from './tls-read-buffer.js';
import { adoptConnection, admitConnection, bindServer, drainAndClose, type ListenerOptions } from './listener-common.js';

export interface TcpListenerOptions extends ListenerOptions {
  /** Serve TLS with these options (an SSL listener); plaintext when absent. */
  tls?: TlsOptions;
  /**
   * SSL listeners: the principal of a verified client certificate's subject DN (RFC 2253), mapped by
   * ssl.principal.mapping.rules; without it the DN itself is the principal's name.
   */
  sslPrincipal?: (subjectDn: string) => KafkaPrincipal;
}

export class TcpListener {
  readonly connections = new Set<Connection>();
  /** An SSL listener's TCP sockets until they close, handshake done or not (destroyed once the close's grace is over). */
  private readonly tlsSockets = new Set<Socket>();
  /** The address and port actually bound (valid after listen). */
  host = '';
  port = 0;
  private readonly server: Server;
  private closePromise: Promise<void> | null = null;
  private currentTls: TlsOptions | undefined;

  private constructor(private readonly o: TcpListenerOptions) {
    this.currentTls = o.tls;
    // allowHalfOpen: a client that half-closes still gets the answers to what it sent.
    if (o.tls) {
      // Not half-open: a peer that goes away during the handshake must take its socket with it.
      const server = createTlsServer({ ...o.tls, allowHalfOpen: false, noDelay: true, keepAlive: true, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS });
      server.on('connection', (raw: Socket) => {
        this.tlsSockets.add(raw);
        raw.once('close', () => this.tlsSockets.delete(raw));
      });
      server.on('secureConnection', (socket: TLSSocket) => this.acceptSecure(socket));
      // A failed handshake (untrusted certificate, plaintext bytes, no common protocol) closes that socket only.
      server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
        if (o.log.enabled('debug')) o.log.debug(`TLS handshake failed on ${o.name} from ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}: ${err.message}`);
        socket.destroy();
      });
      this.server = server;
    } else {
      this.server = createServer({ allowHalfOpen: true, noDelay: true, keepAlive: true, pauseOnConnect: USER_READ_BUFFERS });
      this.server.on('connection', (socket: Socket) => this.accept(socket));
    }
  }

  get name(): string {
    return this.o.name;
  }

  static async listen(o: TcpListenerOptions): Promise<TcpListener> {
    const l = new TcpListener(o);
    ({ host: l.host, port: l.port } = await bindServer(l.server, o));
    return l;
  }

  private accept(socket: Socket): void {
    if (this.closePromise) {
      socket.destroy();
      return;
    }
    admitConnection(this.o, socket, () => this.serve(socket));
  }

  /** An admitted plaintext socket becomes a Connection. */
  private serve(socket: Socket): void {
    const o = this.o;
    if (this.closePromise || socket.destroyed) {
      socket.destroy();
      return;
    }
    if (!USER_READ_BUFFERS) {
      adoptConnection(socket, this.connections, o, 'connection');
      // Admission paused it (a 'data' listener does not resume a stream paused on purpose).
      socket.resume();
      return;
    }
    const rewrapped = withReusedReadBuffer(socket, (view) => conn.receive(view, true));
    const conn = adoptConnection(rewrapped ?? socket, this.connections, o, 'connection');
    (rewrapped ?? socket).resume();
  }

  private acceptSecure(socket: TLSSocket): void {
    if (this.closePromise) {
      socket.destroy();
      return;
    }
    // ssl.client.auth=requested: no certificate is fine, but one that was sent must verify.
    if (!socket.authorized && Object.keys(socket.getPeerCertificate()).length > 0) {
      if (this.o.log.enabled('debug')) this.o.log.debug(`TLS client certificate refused on ${this.o.name}: ${String(socket.authorizationError)}`);
      socket.destroy();
      return;
    }
    admitConnection(this.o, socket, () => {
      if (this.closePromise || socket.destroyed) {
        socket.destroy();
        return;
      }
      // A verified client certificate names the peer: its subject always, and on SSL listeners the principal
      // (on SASL_SSL the SASL exchange decides the principal, as in Kafka).
      const cert = socket.authorized ? socket.getPeerX509Certificate() : undefined;
      const subject = cert !== undefined ? rfc2253Subject(cert) : null;
      const early = useReusedTlsReadBuffer(socket, (view) => conn.receive(view, true));
      const conn = adoptConnection(socket, this.connections, this.o, 'TLS connection');
      if (subject !== null) {
        conn.security.peerCertificateSubject = subject;
        if (conn.security.securityProtocol === 'SSL') conn.security.principal = this.o.sslPrincipal?.(subject) ?? { principalType: 'User', name: subject };
      }
      if (early) conn.receive(early);
      socket.resume();
    });
  }

  /**
   * Replaces the key store and trust store new TLS connections are served with (KIP-226 reload);
   * connections already established keep theirs.
   */
  setSecureContext(options: TlsOptions): void {
    if (!this.o.tls) throw new Error(`listener ${this.o.name} does not serve TLS`);
    (this.server as TlsServer).setSecureContext(options);
    this.currentTls = options;
  }

  /** The TLS options new connections are served with (undefined: a plaintext listener). */
  get tls(): TlsOptions | undefined {
    return this.currentTls;
  }

  /** Stops accepting, lets connections send what is pending (up to `graceMs`), then destroys what is left. */
  close(graceMs = 2000): Promise<void> {
    if (this.closePromise) return this.closePromise;
    // Sockets waiting for a connection slot are closed: they would hold the server's close.
    this.o.connectionQuotas?.close();
    this.closePromise = drainAndClose(
      this.connections,
      graceMs,
      (done) => this.server.close(() => done()),
      () => {
        for (const raw of [...this.tlsSockets]) raw.destroy();
      },
    );
    return this.closePromise;
  }
}

/** How long a TLS client has to complete its handshake before its socket is closed. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** Bytes read per socket read (libuv's suggestion for a stream read is 64 KiB too). */
const READ_BUFFER_BYTES = 64 * 1024;

/** Node proper (the embedding runtimes' node:net has no handle to take over). */
const USER_READ_BUFFERS = typeof (globalThis as { Deno?: unknown }).Deno === 'undefined' && process.versions.bun === undefined;

interface TcpHandle {
  readStart(): number;
}

/**
 * A socket over `accepted`'s handle that reads into one reused buffer and hands each read to `onChunk`
 * (a view valid only during the call). `accepted` is released without closing the handle (the server's
 * connection count goes with it). Null when there is no handle to take over.
 */
function withReusedReadBuffer(accepted: Socket, onChunk: (view: Buffer) => void): Socket | null {
  const a = accepted as unknown as { _handle: TcpHandle | null };
  const handle = a._handle;
  if (handle === null || typeof handle.readStart !== 'function') return null;
  a._handle = null;
  accepted.destroy();
  const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  return new Socket({
    handle,
    allowHalfOpen: true,
    readable: true,
    writable: true,
    onread: {
      buffer,
      callback: (n: number, buf: Uint8Array) => {
        onChunk(Buffer.from(buf.buffer, buf.byteOffset, n));
        return true; // pausing goes through socket.pause(), which stops reading
      },
    },
  } as ConstructorParameters<typeof Socket>[0] & { handle: unknown });
}
