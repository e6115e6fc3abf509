// A TCP listener that turns accepted sockets into Connections feeding one RequestDispatcher.

import { createServer, type Server, type Socket } from 'node:net';
import { Connection, type CloseReason } from './connection.js';
import type { ConnectionLimits, RequestDispatcher } from './types.js';
import type { Logger } from '../util/log.js';

export interface TcpListenerOptions {
  /** Listener name (PLAINTEXT). */
  name: string;
  /** '' = all interfaces. */
  host: string;
  /** 0 = ephemeral. */
  port: number;
  limits: ConnectionLimits;
  dispatcher: RequestDispatcher;
  log: Logger;
  /** Called for every accepted connection (tests/metrics). */
  onConnection?: (c: Connection) => void;
  onConnectionClosed?: (c: Connection, reason: CloseReason) => void;
}

export class TcpListener {
  readonly connections = new Set<Connection>();
  /** The address and port actually bound (valid after listen). */
  host = '';
  port = 0;
  private readonly server: Server;
  private closePromise: Promise<void> | null = null;

  private constructor(private readonly o: TcpListenerOptions) {
    // allowHalfOpen: a client that half-closes still gets the answers to what it sent.
    this.server = createServer({ allowHalfOpen: true, noDelay: true, keepAlive: true });
    this.server.on('connection', (socket: Socket) => this.accept(socket));
  }

  get name(): string {
    return this.o.name;
  }

  static async listen(o: TcpListenerOptions): Promise<TcpListener> {
    const l = new TcpListener(o);
    await new Promise<void>((resolve, reject) => {
      l.server.once('error', reject);
      l.server.listen({ host: o.host === '' ? undefined : o.host, port: o.port, backlog: 1024 }, () => {
        l.server.off('error', reject);
        resolve();
      });
    });
    l.server.on('error', (e) => o.log.error(`listener ${o.name} error: ${e.message}`));
    const addr = l.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('unexpected listener address');
    l.host = addr.address;
    l.port = addr.port;
    return l;
  }

  private accept(socket: Socket): void {
    const o = this.o;
    if (this.closePromise) {
      socket.destroy();
      return;
    }
    const conn = new Connection(socket, o.name, o.dispatcher, o.limits, o.log, (c, reason: CloseReason) => {
      this.connections.delete(c);
      o.onConnectionClosed?.(c, reason);
    });
    this.connections.add(conn);
    if (o.log.enabled('debug')) o.log.debug(`accepted connection ${conn.describe()} on ${o.name}`);
    o.onConnection?.(conn);
  }

  /** Stops accepting, lets connections send what is pending (up to `graceMs`), then destroys what is left. */
  close(graceMs = 2000): Promise<void> {
    if (this.closePromise) return this.closePromise;
    this.closePromise = new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        for (const c of this.connections) c.abort('shutdown', 'broker shutting down');
      }, graceMs);
      t.unref();
      this.server.close(() => {
        clearTimeout(t);
        resolve();
      });
      for (const c of this.connections) c.shutdown();
    });
    return this.closePromise;
  }
}
