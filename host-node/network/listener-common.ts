// What the TCP and the WebSocket listener share: their options, binding the server, adopting an accepted
// transport as a Connection, and a graceful close. They differ only in what a transport is.

import type { Server as NetServer } from 'node:net';
import { invariant } from '../../common/invariant.js';
import { Connection, type CloseReason, type Transport } from './connection.js';
import type { FrameArena } from './frame-decoder.js';
import type { ConnectionInfo, ConnectionLimits, RequestDispatcher, RequestGate } from './types.js';
import type { SecurityProtocol } from '../config/ssl-defs.js';
import type { Logger } from '../util/log.js';
import type { ConnectionQuotas } from './connection-quotas.js';

export interface ListenerOptions {
  /** Listener name (PLAINTEXT; ConnectionInfo.listenerName and logs). */
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
  /** Where frames that span socket reads may be reassembled (the broker: Produce frames into the storage core). */
  frameArena?: FrameArena;
  /** The listener's security protocol (default PLAINTEXT). */
  securityProtocol?: SecurityProtocol;
  /** SASL listeners: the gate every request of a new connection passes (its authentication). */
  gateFor?: (conn: ConnectionInfo) => RequestGate;
  /** max.connections, max.connections.per.ip, max.connection.creation.rate: shared by all of the broker's listeners. */
  connectionQuotas?: ConnectionQuotas;
}

/** What waits for admission: an accepted socket (or an HTTP upgrade's), not yet read from. */
interface AcceptedSocket {
  readonly remoteAddress?: string | undefined;
  readonly destroyed: boolean;
  pause(): unknown;
  destroy(): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/**
 * Passes an accepted socket through the connection limits: `serve` runs once it is admitted (at once when
 * there are no limits, or later when it had to wait); a refused socket is closed.
 */
export function admitConnection(o: ListenerOptions, socket: AcceptedSocket, serve: () => void): void {
  const q = o.connectionQuotas;
  if (q === undefined) return serve();
  socket.pause();
  // A socket that fails while it waits must not throw for want of a listener (the Connection adds its own).
  socket.on('error', () => socket.destroy());
  q.accept(o.name, {
    remoteAddress: socket.remoteAddress ?? '?',
    admit: serve,
    refuse: (why, delayMs) => {
      if (o.log.enabled('debug')) o.log.debug(`refused connection from ${socket.remoteAddress ?? '?'} on ${o.name}: ${why}`);
      if (delayMs !== undefined && delayMs > 0) setTimeout(() => socket.destroy(), delayMs).unref();
      else socket.destroy();
    },
    gone: () => socket.destroyed,
  });
}

/** Binds `server` (a net or http server) and resolves with the address and port actually bound. */
export async function bindServer(server: NetServer, o: ListenerOptions): Promise<{ host: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: o.host === '' ? undefined : o.host, port: o.port, backlog: 1024 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => o.log.error(`listener ${o.name} error: ${e.message}`));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('unexpected listener address');
  return { host: addr.address, port: addr.port };
}

/** Wraps an accepted transport in a Connection kept in `connections` until it closes. */
export function adoptConnection(transport: Transport, connections: Set<Connection>, o: ListenerOptions, what: string): Connection {
  const conn = new Connection(transport, o.name, o.dispatcher, o.limits, o.log, (c, reason: CloseReason) => {
    invariant(connections.delete(c), 'a connection leaves its listener once');
    o.connectionQuotas?.closed(o.name, c.remoteAddress);
    o.onConnectionClosed?.(c, reason);
  }, o.frameArena, o.securityProtocol ?? 'PLAINTEXT');
  if (o.gateFor !== undefined) conn.security.gate = o.gateFor(conn);
  connections.add(conn);
  if (o.log.enabled('debug')) o.log.debug(`accepted ${what} ${conn.describe()} on ${o.name}`);
  o.onConnection?.(conn);
  return conn;
}

/**
 * Asks every connection to send what is pending and close, and `closeServer` to stop accepting; after
 * `graceMs` whatever is left is aborted (and `onGraceOver` runs). Resolves once the server has closed.
 */
export function drainAndClose(connections: Set<Connection>, graceMs: number, closeServer: (done: () => void) => void, onGraceOver?: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      for (const c of connections) c.abort('shutdown', 'broker shutting down');
      onGraceOver?.();
    }, graceMs);
    t.unref();
    closeServer(() => {
      clearTimeout(t);
      resolve();
    });
    for (const c of connections) c.shutdown();
  });
}
