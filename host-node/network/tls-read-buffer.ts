// An accepted TLS socket switched to reading into one buffer of its own, reused for every read, as the
// plaintext listener's sockets do (tcp-listener.ts, withReusedReadBuffer).
//
// Node hands a TLS socket's decrypted bytes to JavaScript once per TLS record: its TLSWrap calls SSL_read,
// which returns one record at a time, and emits each result. A client that sends each part of a request in a
// record of its own (librdkafka calls SSL_write per buffer segment: a Produce request of 1 KiB records arrives
// as about two records per Kafka record) makes that a 'data' event every few hundred bytes, each with a fresh
// ArrayBuffer, a trip through the Readable machinery and a tick drained after it. With a reused buffer a
// record costs one callback and no allocation.
//
// Node offers the reused buffer (`onread`) only to TLS sockets it connects itself, not to the TLSSocket a
// server wraps around an accepted socket. The TLS handle supports it all the same (useUserBuffer is one of
// its stream methods), and net.Socket's read path honours it once the socket's own `onread` fields are set.
// Those fields are keyed by symbols private to Node: they are found once, on a probe socket constructed with
// `onread`, by the values given. When a piece is missing (another runtime, another Node) the socket keeps its
// 'data' events.

import { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** Bytes read per callback: TLSWrap emits at most one TLS record's plaintext (16 KiB) at a time. */
const TLS_READ_BUFFER_BYTES = 16 * 1024;

interface OnreadKeys {
  buffer: symbol;
  callback: symbol;
}

let keys: OnreadKeys | null | undefined;

/** The symbols net.Socket keeps its `onread` buffer and callback under (null when not found). */
function onreadKeys(): OnreadKeys | null {
  if (keys !== undefined) return keys;
  keys = null;
  if (typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined' || process.versions.bun !== undefined) return keys;
  try {
    const buffer = Buffer.alloc(1);
    const callback = (): boolean => true;
    const probe = new Socket({ onread: { buffer, callback } } as ConstructorParameters<typeof Socket>[0]);
    const own = probe as unknown as Record<symbol, unknown>;
    const symbols = Object.getOwnPropertySymbols(probe);
    const b = symbols.filter((s) => own[s] === buffer);
    const c = symbols.filter((s) => own[s] === callback);
    probe.destroy();
    if (b.length === 1 && c.length === 1) keys = { buffer: b[0]!, callback: c[0]! };
  } catch {
    keys = null;
  }
  return keys;
}

/**
 * Makes `socket` (handshake done, no 'data' listener yet) hand each read to `onChunk` — a view of a reused
 * buffer, valid only during the call — instead of emitting 'data'. Returns what the socket had already
 * buffered (to be handled first; null when nothing), or undefined when the switch is not possible (the socket
 * is left as it was).
 */
export function useReusedTlsReadBuffer(socket: TLSSocket, onChunk: (view: Buffer) => void): Buffer | null | undefined {
  const k = onreadKeys();
  if (k === null || socket.destroyed) return undefined;
  const own = socket as unknown as Record<symbol, unknown> & { _handle: { useUserBuffer?: (b: Uint8Array) => void } | null };
  const handle = own._handle;
  if (handle === null || typeof handle.useUserBuffer !== 'function' || !(k.buffer in own) || own[k.buffer] !== null || own[k.callback] !== null) return undefined;
  if (socket.listenerCount('data') > 0 || socket.readableFlowing === true) return undefined;
  // Bytes decrypted before the switch (a request sent right behind the handshake) wait in the Readable's buffer.
  const early = socket.readableLength > 0 ? (socket.read() as Buffer | null) : null;
  const buffer = Buffer.allocUnsafe(TLS_READ_BUFFER_BYTES);
  try {
    handle.useUserBuffer(buffer);
  } catch {
    if (early !== null) socket.unshift(early);
    return undefined;
  }
  own[k.buffer] = buffer;
  own[k.callback] = (n: number): boolean => {
    onChunk(Buffer.from(buffer.buffer, buffer.byteOffset, n));
    return true; // pausing goes through socket.pause(), which stops reading
  };
  return early;
}
