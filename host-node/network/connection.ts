// One client connection: framing, dispatch, in-order responses, backpressure, idle timeout.
//
// Requests are dispatched as soon as their frame is complete, so several can be in flight at once
// (pipelining). Each gets a slot in a FIFO; a slot is filled when its dispatch settles, and the head of the
// FIFO is written out while it is filled — responses leave in request order whatever order handlers finish
// in. A request with no response (acks=0 Produce) frees its slot without writing anything.
//
// Reading pauses while `maxQueuedRequests` requests are pending (dispatched, response not yet written) or
// while the socket's write buffer is full (client not reading), and resumes when both clear.
//
// Writes between two ticks are corked together, so a burst of responses goes out in one writev (on TLS
// connections, writes until the loop's I/O callbacks are done: see uncorkAfterIo).
//
// The byte stream comes from a Transport: a net.Socket (TCP) satisfies it as is; the WebSocket listener
// adapts a WebSocket to it (one message per request frame, one per response).
//
// Invariants (a failure is a broker bug, not a client's): a frame from the decoder is within
// socket.request.max.bytes; a slot completes once; responses leave from the FIFO's head only, and the
// in-flight count (slots past the head) never goes negative; a response frame's size prefix matches its bytes.

import { invariant, invariantViolation } from '../../common/invariant.js';
import type { Logger } from '../util/log.js';
import { FrameDecoder, FrameError, type FrameArena, type Lent } from './frame-decoder.js';
import type { ConnectionInfo, ConnectionLimits, ConnectionSecurity, DispatchResult, RequestDispatcher, ResponseFrame } from './types.js';
import { ANONYMOUS } from '../security/principal.js';
import type { SecurityProtocol } from '../config/ssl-defs.js';

/**
 * What a Connection needs from the thing carrying its bytes — the subset of net.Socket it uses. Events:
 * 'data' (Buffer), 'drain', 'end' (peer half-closed), 'error', 'close', 'timeout' (after setTimeout(ms) of
 * inactivity).
 */
export interface Transport {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly localPort?: number | undefined;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'drain' | 'end' | 'close' | 'timeout', listener: () => void): unknown;
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): unknown;
  setTimeout(ms: number): unknown;
  pause(): unknown;
  resume(): unknown;
  cork(): void;
  uncork(): void;
  /** Returns false when the write buffer is full ('drain' follows); `cb` runs once the chunk is sent (or failed). */
  write(chunk: Uint8Array, cb?: (err?: Error | null) => void): boolean;
  /** Message-based transports: sends one whole response frame as a unit (used instead of write()). */
  writeFrame?(frame: ResponseFrame): boolean;
  end(): unknown;
  destroy(): unknown;
  /** Message-based transports: closes abruptly, telling the peer why (used instead of destroy()). */
  abort?(reason: CloseReason, why: string): void;
}

interface Slot {
  done: boolean;
  result: DispatchResult;
  lent: Lent | undefined;
}

let nextConnectionId = 1;

export type CloseReason = 'client' | 'idle' | 'protocol' | 'error' | 'shutdown';

export class Connection implements ConnectionInfo {
  readonly id = nextConnectionId++;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  clientId: string | null = null;
  clientSoftwareName: string | null = null;
  clientSoftwareVersion: string | null = null;

  private readonly decoder: FrameDecoder;
  private readonly slots: Slot[] = [];
  private head = 0;
  private pausedForQueue = false;
  private pausedForWrite = false;
  private corked = false;
  /**
   * TLS: a read from the network reaches us as one callback per TLS record, each followed by a drain of the
   * tick queue, so responses are uncorked once the loop's I/O callbacks are done (setImmediate) instead: the
   * responses to all requests of one read leave in one TLS write, as a plaintext read's do.
   */
  private readonly uncorkAfterIo: boolean;
  private closing = false;
  private closed = false;
  private closeReason: CloseReason | null = null;
  /** Requests received so far (for tests/metrics). */
  requestCount = 0;
  readonly security: ConnectionSecurity;
  private pausedForThrottle = false;
  private throttleTimer: ReturnType<typeof setTimeout> | undefined;
  private throttleUntil = 0;
  /**
   * Requests read while muted (the rest of the chunk that carried the throttled request), served once the
   * mute is over: a throttled connection has no request processed until then, as Kafka's muted channel.
   */
  private readonly deferred: { frame: Uint8Array; lent: Lent | undefined }[] = [];

  constructor(
    private readonly socket: Transport,
    readonly listenerName: string,
    private readonly dispatcher: RequestDispatcher,
    private readonly limits: ConnectionLimits,
    private readonly log: Logger,
    private readonly onClosed: (c: Connection, reason: CloseReason) => void,
    frameArena?: FrameArena,
    securityProtocol: SecurityProtocol = 'PLAINTEXT',
  ) {
    this.uncorkAfterIo = securityProtocol === 'SSL' || securityProtocol === 'SASL_SSL';
    this.security = { securityProtocol, principal: ANONYMOUS, saslMechanism: null, peerCertificateSubject: null, gate: undefined };
    this.remoteAddress = socket.remoteAddress ?? '?';
    this.remotePort = socket.remotePort ?? 0;
    this.localPort = socket.localPort ?? 0;
    this.decoder = new FrameDecoder(limits.maxRequestBytes, (frame, lent) => this.onFrame(frame, lent), frameArena);

    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => {
      this.pausedForWrite = false;
      this.maybeResume();
    });
    socket.on('end', () => {
      // Half-close from the client: answer what is pending, then close our side.
      this.closing = true;
      this.endIfDrained();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.log.enabled('debug')) this.log.debug(`connection ${this.describe()} socket error: ${err.code ?? err.message}`);
      this.closeReason ??= 'error';
    });
    socket.on('close', () => this.finish());
    if (limits.idleTimeoutMs >= 0) {
      socket.setTimeout(this.idleMs());
      socket.on('timeout', () => this.onIdle());
    }
  }

  /** Requests dispatched whose response has not been written yet. */
  get pending(): number {
    return this.slots.length - this.head;
  }

  /** Whether reading is paused (queue full, write buffer full, or muted by a quota's throttle). */
  get readPaused(): boolean {
    return this.pausedForQueue || this.pausedForWrite || this.pausedForThrottle;
  }

  /** Mutes the connection (no request read) for `ms`; a longer mute already running is kept. */
  muteFor(ms: number): void {
    if (this.closed || !(ms > 0)) return;
    invariant(Number.isFinite(ms), 'a throttle time is finite');
    const until = Date.now() + ms;
    if (this.pausedForThrottle && this.throttleUntil >= until) return;
    this.throttleUntil = until;
    clearTimeout(this.throttleTimer);
    if (!this.pausedForThrottle) {
      this.pausedForThrottle = true;
      this.socket.pause();
    }
    this.throttleTimer = setTimeout(() => {
      this.throttleTimer = undefined;
      this.pausedForThrottle = false;
      this.serveDeferred();
      this.maybeResume();
    }, Math.min(ms, 2 ** 31 - 1));
  }

  /** Stops reading and ends the connection once what was already received has been answered. */
  closeAfterResponses(): void {
    if (this.closed) return;
    this.closing = true;
    this.keepReadingUntilClosed();
    this.endIfDrained();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  describe(): string {
    const who = this.clientId === null ? '' : ` client.id=${JSON.stringify(this.clientId)}`;
    const sw = this.clientSoftwareName === null ? '' : ` software=${this.clientSoftwareName}/${this.clientSoftwareVersion ?? '?'}`;
    return `#${this.id} ${this.remoteAddress}:${this.remotePort}${who}${sw}`;
  }

  /** Closes abruptly (protocol violation). Pending responses are dropped. */
  abort(reason: CloseReason, why: string, level: 'warn' | 'error' = 'warn'): void {
    if (this.closed) return;
    this.closeReason ??= reason;
    if (reason === 'protocol' || level === 'error') this.log[level](`closing connection ${this.describe()}: ${why}`);
    else if (this.log.enabled('debug')) this.log.debug(`closing connection ${this.describe()}: ${why}`);
    if (this.socket.abort) this.socket.abort(reason, why);
    else this.socket.destroy();
  }

  /** Graceful close for broker shutdown: stop reading, send what is pending, then end. */
  shutdown(): void {
    if (this.closed) return;
    this.closeReason ??= 'shutdown';
    this.closing = true;
    this.keepReadingUntilClosed();
    this.endIfDrained();
  }

  /**
   * A closing connection serves no new request (onFrame drops them) but goes on reading: a socket that
   * reads into a buffer of its own stops reading its handle when paused, and would then never see the peer's
   * end (a TLS close_notify, a FIN) that lets it close before the grace runs out.
   */
  private keepReadingUntilClosed(): void {
    this.socket.resume();
  }

  /**
   * Bytes from the transport. 'data' events come here; a transport that reads into one reused buffer
   * (TcpListener's `onread` sockets) calls it directly with `transient` set: nothing may point into the
   * chunk after the call returns.
   */
  receive(chunk: Buffer, transient = false): void {
    if (this.closed) return;
    // Responses completed while this chunk is processed go out in one write: the first one corks (flush).
    try {
      this.decoder.push(chunk, transient);
    } catch (e) {
      if (e instanceof FrameError) this.abort('protocol', e.message);
      else this.abort('error', `unexpected: ${(e as Error).stack ?? String(e)}`, 'error');
    }
  }

  private onFrame(frame: Uint8Array, lent: Lent | undefined): void {
    // After abort() the rest of the chunk still gets framed, and a closing connection serves nothing new: drop it.
    if (this.closed || this.socket.destroyed || this.closing) {
      if (lent !== undefined) this.decoder.recycle(lent);
      return;
    }
    if (frame.length > this.limits.maxRequestBytes) throw invariantViolation(`decoded frame of ${frame.length} bytes exceeds socket.request.max.bytes ${this.limits.maxRequestBytes}`);
    if (this.pausedForThrottle || this.deferred.length > 0) {
      // A frame not lent from the arena is a view of the read buffer: keep a copy.
      this.deferred.push({ frame: lent === undefined ? frame.slice() : frame, lent });
      return;
    }
    this.serveFrame(frame, lent);
  }

  /** Serves the requests read while muted, in order, until one mutes the connection again. */
  private serveDeferred(): void {
    if (this.deferred.length === 0) return;
    this.cork();
    while (this.deferred.length > 0 && !this.pausedForThrottle && !this.closed && !this.socket.destroyed) {
      const d = this.deferred.shift()!;
      try {
        this.serveFrame(d.frame, d.lent);
      } catch (e) {
        this.onDispatchError(e);
        return;
      }
    }
    if (this.closing) this.endIfDrained();
  }

  private serveFrame(frame: Uint8Array, lent: Lent | undefined): void {
    this.requestCount++;
    const slot: Slot = { done: false, result: null, lent };
    this.slots.push(slot);
    if (this.pending >= this.limits.maxQueuedRequests && !this.pausedForQueue) {
      this.pausedForQueue = true;
      this.socket.pause();
    }
    let r: DispatchResult | Promise<DispatchResult>;
    try {
      r = this.dispatcher.dispatch(frame, this);
    } catch (e) {
      this.onDispatchError(e);
      return;
    }
    if (r instanceof Promise) {
      r.then(
        (v) => this.complete(slot, v),
        (e: unknown) => this.onDispatchError(e),
      );
    } else {
      this.complete(slot, r);
    }
  }

  /** ProtocolError = the client's fault (warn); anything else is a broker bug (error, with stack). */
  private onDispatchError(e: unknown): void {
    const err = e as Error | undefined;
    if (err?.name === 'ProtocolError') this.abort('protocol', err.message);
    else this.abort('error', `request failed: ${err?.stack ?? String(e)}`, 'error');
  }

  /** A dispatch settled; a failed invariant here (also after an await) closes the connection as a broker error. */
  private complete(slot: Slot, result: DispatchResult): void {
    try {
      invariant(!slot.done, 'a request slot completes once');
      slot.done = true;
      slot.result = result;
      if (this.closed || this.socket.destroyed) return;
      if (this.slots[this.head] === slot) this.flush();
    } catch (e) {
      this.onDispatchError(e);
    }
  }

  private flush(): void {
    const slots = this.slots;
    let wrote = false;
    while (this.head < slots.length && slots[this.head]!.done) {
      const s = slots[this.head]!;
      slots[this.head++] = undefined as unknown as Slot;
      if (s.lent !== undefined) this.decoder.recycle(s.lent);
      const r = s.result;
      if (r === null) continue;
      checkResponseFrame(r);
      if (!wrote) {
        this.cork();
        wrote = true;
      }
      let ok = true;
      if (this.socket.writeFrame) ok = this.socket.writeFrame(r);
      else if (r instanceof Uint8Array) ok = this.socket.write(r);
      else {
        const last = r.length - 1;
        for (let i = 0; i <= last; i++) ok = this.socket.write(r[i]!, i === last ? r.onWritten : undefined);
      }
      if (!ok && !this.pausedForWrite) {
        this.pausedForWrite = true;
        this.socket.pause();
      }
    }
    invariant(this.head <= slots.length, 'the FIFO head never passes its tail');
    // Compact the FIFO now and then.
    if (this.head === slots.length) {
      slots.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > slots.length) {
      slots.splice(0, this.head);
      this.head = 0;
    }
    if (this.pausedForQueue && this.pending < this.limits.maxQueuedRequests) {
      this.pausedForQueue = false;
      this.maybeResume();
    }
    if (this.closing) this.endIfDrained();
  }

  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    if (this.uncorkAfterIo) setImmediate(this.uncork);
    else process.nextTick(this.uncork);
  }

  private readonly uncork = (): void => {
    this.corked = false;
    if (!this.socket.destroyed) this.socket.uncork();
  };

  private maybeResume(): void {
    if (!this.pausedForQueue && !this.pausedForWrite && !this.pausedForThrottle && !this.closing && !this.closed) this.socket.resume();
  }

  private endIfDrained(): void {
    if (this.pending === 0 && this.deferred.length === 0 && !this.closed && !this.socket.writableEnded) this.socket.end();
  }

  /** Node timers take 1 ms … 2^31-1 ms (0 would disable the timeout). */
  private idleMs(): number {
    return Math.min(Math.max(1, this.limits.idleTimeoutMs), 2 ** 31 - 1);
  }

  private onIdle(): void {
    if (this.pending > 0) {
      // Busy (a long-poll is outstanding, or the client is slow to read): not idle.
      this.socket.setTimeout(this.idleMs());
      return;
    }
    this.abort('idle', `idle for more than ${this.limits.idleTimeoutMs} ms (connections.max.idle.ms)`);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.throttleTimer);
    const reason = this.closeReason ?? 'client';
    // Arena regions go back to their pool. A request still being served no longer reads its frame: handlers
    // decode what they keep before their first await.
    this.decoder.dispose();
    for (let i = this.head; i < this.slots.length; i++) {
      const lent = this.slots[i]!.lent;
      if (lent !== undefined) this.decoder.recycle(lent);
    }
    for (const d of this.deferred.splice(0)) if (d.lent !== undefined) this.decoder.recycle(d.lent);
    this.slots.length = 0;
    this.head = 0;
    if (this.log.enabled('debug')) this.log.debug(`connection ${this.describe()} closed (${reason}) after ${this.requestCount} requests`);
    this.onClosed(this, reason);
  }
}

/** A response frame's 4-byte size prefix counts exactly the bytes after it (over all chunks). */
function checkResponseFrame(r: ResponseFrame): void {
  const first = r instanceof Uint8Array ? r : r[0];
  let total = 0;
  if (r instanceof Uint8Array) total = r.length;
  else for (let i = 0; i < r.length; i++) total += r[i]!.length;
  if (first === undefined || first.length < 4) throw invariantViolation('a response frame starts with its size prefix');
  const size = ((first[0]! << 24) | (first[1]! << 16) | (first[2]! << 8) | first[3]!) >>> 0;
  if (size !== total - 4) throw invariantViolation(`response size prefix ${size} matches its ${total - 4} bytes`);
}
