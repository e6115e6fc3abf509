// A TCP listener that turns accepted sockets into Connections feeding one RequestDispatcher.

import { createServer, type Server, type Socket } from 'node:net';
import type { Connection } from './connection.js';
import { adoptConnection, bindServer, drainAndClose, type ListenerOptions } from './listener-common.js';

export type TcpListenerOptions = ListenerOptions;

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
    ({ host: l.host, port: l.port } = await bindServer(l.server, o));
    return l;
  }

  private accept(socket: Socket): void {
    const o = this.o;
    if (this.closePromise) {
      socket.destroy();
      return;
    }
    adoptConnection(socket, this.connections, o, 'connection');
  }

  /** Stops accepting, lets connections send what is pending (up to `graceMs`), then destroys what is left. */
  close(graceMs = 2000): Promise<void> {
    if (this.closePromise) return this.closePromise;
    this.closePromise = drainAndClose(this.connections, graceMs, (done) => this.server.close(() => done()));
    return this.closePromise;
  }
}
