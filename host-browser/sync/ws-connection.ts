// A Kafka connection over one WebSocket, for code that runs in a browser Worker (no Node APIs): the
// client connection core (client/connection.ts: correlation ids, in-flight window, ApiVersions
// negotiation, timeouts) over the broker's WebSocket listener (docs/network.md), which takes one request
// frame per binary message, size prefix included, and answers with one frame per message. Reconnecting
// with backoff is `BrokerLink` below: a connection object is single-use, like a socket.
//
// The WebSocket constructor is injected so the same code runs under Node tests with the `ws` package.
//
// Only the codecs of the APIs the sync code sends are imported (SYNC_APIS); the core frames by descriptor
// (protocol/api-frame.ts): frame.ts and generated/index.ts would pull in all 88 APIs' codecs (about 1 MB of
// the bundle). Values come from generated/api.ts (keys and facts, no codecs) and each API's own module.
import { ApiKey, type ApiDescriptor } from '../../protocol/generated/api.js';
import { ApiVersionsApi } from '../../protocol/generated/api-versions.js';
import { CreateTopicsApi } from '../../protocol/generated/create-topics.js';
import { FetchApi } from '../../protocol/generated/fetch.js';
import { InitProducerIdApi } from '../../protocol/generated/init-producer-id.js';
import { ListOffsetsApi } from '../../protocol/generated/list-offsets.js';
import { MetadataApi } from '../../protocol/generated/metadata.js';
import { OffsetCommitApi } from '../../protocol/generated/offset-commit.js';
import { OffsetFetchApi } from '../../protocol/generated/offset-fetch.js';
import { ProduceApi } from '../../protocol/generated/produce.js';
import { KafkaConnectionError } from '../../client/errors.js';
import { ClientConnection, type Transport, type TransportEvents } from '../../client/connection.js';
import type { VersionRange } from '../../client/version-limits.js';

/** What we need of a WebSocket: the standard browser API (which the `ws` package also implements). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (ev: any) => void): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

const OPEN = 1;
export const CLIENT_SOFTWARE_NAME = 'rivulet-browser';
export const CLIENT_SOFTWARE_VERSION = '0.1.0';

export type { VersionRange };

/** The APIs the sync code speaks, by key: only these codecs are in the bundle. */
const SYNC_APIS = {
  [ApiKey.ApiVersions]: ApiVersionsApi,
  [ApiKey.Metadata]: MetadataApi,
  [ApiKey.CreateTopics]: CreateTopicsApi,
  [ApiKey.InitProducerId]: InitProducerIdApi,
  [ApiKey.Produce]: ProduceApi,
  [ApiKey.Fetch]: FetchApi,
  [ApiKey.ListOffsets]: ListOffsetsApi,
  [ApiKey.OffsetFetch]: OffsetFetchApi,
  [ApiKey.OffsetCommit]: OffsetCommitApi,
} as const;
export type SyncApiKey = keyof typeof SYNC_APIS;

function syncApi(apiKey: number): ApiDescriptor | undefined {
  return Object.prototype.hasOwnProperty.call(SYNC_APIS, apiKey) ? (SYNC_APIS as Record<number, ApiDescriptor>)[apiKey] : undefined;
}

/**
 * Where the sync's request bodies cover less than CLIENT_VERSION_LIMITS: its Fetch names topics (13+ wants
 * topic ids), its OffsetFetch and OffsetCommit are written for the single-group layout (OffsetFetch 8+
 * batches groups; OffsetCommit 9 is the consumer-group protocol's).
 */
const SYNC_NARROWER: Partial<Record<SyncApiKey, VersionRange>> = {
  [ApiKey.Fetch]: [0, 12],
  [ApiKey.OffsetFetch]: [0, 7],
  [ApiKey.OffsetCommit]: [0, 8],
};

export interface WsConnectionOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  clientId?: string;
  /** Time for the WebSocket handshake (default 10 s). */
  connectTimeoutMs?: number;
  /** Default time to wait for a response (default 30 s; Kafka's request.timeout.ms). */
  requestTimeoutMs?: number;
  /** Requests awaiting a response at most; more wait in a queue (default 5). */
  maxInFlight?: number;
}

export class WsConnection extends ClientConnection<SyncApiKey> {
  readonly url: string;

  private constructor(o: WsConnectionOptions) {
    super({
      address: o.url,
      clientId: o.clientId ?? 'rivulet-browser',
      api: syncApi,
      requestTimeoutMs: o.requestTimeoutMs,
      maxInFlight: o.maxInFlight,
      versionLimits: SYNC_NARROWER,
    });
    this.url = o.url;
  }

  /** Opens the WebSocket and negotiates versions with ApiVersions. */
  static async connect(o: WsConnectionOptions): Promise<WsConnection> {
    const c = new WsConnection(o);
    await c.start((events) => openWebSocket(o, o.connectTimeoutMs ?? 10_000, events), { name: CLIENT_SOFTWARE_NAME, version: CLIENT_SOFTWARE_VERSION });
    return c;
  }
}

/** Opens a WebSocket to `o.url`; resolves once open, rejects when the handshake fails or times out. */
function openWebSocket(o: WsConnectionOptions, timeoutMs: number, events: TransportEvents): Promise<WsTransport> {
  return new Promise((resolve, reject) => {
    let ws: WebSocketLike;
    try {
      ws = new o.WebSocket(o.url);
    } catch (e) {
      reject(new KafkaConnectionError(`cannot open WebSocket: ${(e as Error).message}`, o.url, { cause: e }));
      return;
    }
    ws.binaryType = 'arraybuffer';
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      try {
        ws.close();
      } catch {
        // closing a socket that never opened may throw in some implementations
      }
      reject(new KafkaConnectionError(`WebSocket handshake timed out after ${timeoutMs} ms`, o.url));
    }, timeoutMs);
    ws.addEventListener('open', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(new WsTransport(ws));
    });
    ws.addEventListener('message', (ev: { data: unknown }) => deliver(ev.data, events));
    // Browsers give no reason on 'error'; 'close' always follows it.
    ws.addEventListener('error', () => {});
    ws.addEventListener('close', (ev: { code?: number; reason?: string }) => {
      const why = `WebSocket closed (${ev.code ?? '?'}${ev.reason ? `: ${ev.reason}` : ''})`;
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(new KafkaConnectionError(`cannot connect: ${why}`, o.url));
        return;
      }
      events.closed(new KafkaConnectionError(why, o.url));
    });
  });
}

/** Hands on the frame in one WebSocket message (size prefix checked and cut), or reports why it is none. */
function deliver(data: unknown, events: TransportEvents): void {
  let msg: Uint8Array;
  if (data instanceof ArrayBuffer) msg = new Uint8Array(data);
  else if (ArrayBuffer.isView(data)) msg = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else return events.protocolError('text message from broker (expected one binary frame per message)');
  if (msg.length < 8) return events.protocolError(`response message of ${msg.length} bytes`);
  const size = new DataView(msg.buffer, msg.byteOffset, 4).getInt32(0);
  if (size !== msg.length - 4) return events.protocolError(`response size prefix ${size} disagrees with message length ${msg.length}`);
  events.frame(msg.subarray(4));
}

/** An open WebSocket as a Transport: one request frame per binary message. */
class WsTransport implements Transport {
  constructor(private readonly ws: WebSocketLike) {}

  get writable(): boolean {
    return this.ws.readyState === OPEN;
  }

  write(frame: Uint8Array, written?: (err?: Error) => void): void {
    this.ws.send(frame);
    written?.();
  }

  close(protocolError?: string): void {
    try {
      if (protocolError === undefined) this.ws.close(1000);
      else this.ws.close(1002, protocolError.slice(0, 120));
    } catch {
      // already closed
    }
  }
}

export interface BrokerLinkOptions extends WsConnectionOptions {
  /** First wait after a failed connect (default 100 ms); doubles up to maxBackoffMs, with jitter. */
  backoffMs?: number;
  /** Longest wait between connection attempts (default 5 s; Kafka's reconnect.backoff.max.ms is 1 s). */
  maxBackoffMs?: number;
  /** Told about every change between connected and not. */
  onState?(online: boolean, error?: Error): void;
  /** Drop the connection on the browser's `offline` event and retry at once on `online` (default true where those exist). */
  watchNetwork?: boolean;
}

/** Aborted waits reject with this. */
export class SyncStoppedError extends Error {
  constructor() {
    super('sync stopped');
    this.name = 'SyncStoppedError';
  }
}

/** Resolves after `ms`, or rejects with SyncStoppedError when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new SyncStoppedError());
    const onAbort = () => {
      clearTimeout(t);
      reject(new SyncStoppedError());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Keeps one connection to the broker: `get()` returns the open one or (re)connects, waiting with
 * exponential backoff (with jitter, so many tabs coming back online do not reconnect in lockstep)
 * between failed attempts. `drop()` closes a connection a caller found broken.
 */
export class BrokerLink {
  private conn: WsConnection | null = null;
  private connecting: Promise<WsConnection> | null = null;
  private failures = 0;
  private online = false;
  private stopped = false;
  private keep = false;
  /** Ends the current backoff wait early (the browser says the network is back). */
  private wakeUp: (() => void) | null = null;

  constructor(
    private readonly o: BrokerLinkOptions,
    private readonly signal: AbortSignal,
  ) {
    signal.addEventListener('abort', () => this.close(), { once: true });
    this.watchNetwork();
  }

  /**
   * A socket whose network went away is not closed by the browser (nor by Chromium's emulated offline):
   * it would only be noticed when a request times out (30 s), or never while the mirror has nothing to
   * send. So going offline (the `offline` event, or navigator.onLine turning false, checked every second
   * since a Worker does not always get the event) drops the connection at once — requests in flight are
   * resent on the next one, which is safe (docs/browser-sync.md) — and coming back ends the backoff wait.
   * Both are hints only: a broker on 127.0.0.1 stays reachable while the browser says offline, so
   * reconnecting goes on as usual, and navigator.onLine never blocks an attempt.
   */
  private watchNetwork(): void {
    const g = globalThis as {
      addEventListener?: (t: string, l: () => void) => void;
      removeEventListener?: (t: string, l: () => void) => void;
      navigator?: { onLine?: unknown };
    };
    if (this.o.watchNetwork === false || typeof g.addEventListener !== 'function' || typeof g.navigator?.onLine !== 'boolean') return;
    const nav = g.navigator;
    let wasOnline = nav.onLine !== false;
    const offline = (): void => {
      wasOnline = false;
      const c = this.conn;
      this.conn = null;
      this.failures = Math.max(this.failures, 1);
      c?.close(new KafkaConnectionError('the browser went offline', this.o.url));
    };
    const online = (): void => {
      wasOnline = true;
      this.wakeUp?.();
    };
    const poll = setInterval(() => {
      const now = nav.onLine !== false;
      if (now !== wasOnline) (now ? online : offline)();
    }, 1000);
    g.addEventListener('offline', offline);
    g.addEventListener('online', online);
    this.signal.addEventListener(
      'abort',
      () => {
        clearInterval(poll);
        g.removeEventListener?.('offline', offline);
        g.removeEventListener?.('online', online);
      },
      { once: true },
    );
  }

  /**
   * Keeps a connection open from now on, also while nobody sends (an idle mirror): online/offline in the
   * status then says whether the broker is reachable, and the first append after a quiet spell goes at once.
   */
  keepConnected(): void {
    this.keep = true;
    void this.get().catch(() => undefined);
  }

  get isOnline(): boolean {
    return this.online;
  }

  get(): Promise<WsConnection> {
    if (this.conn?.isOpen) return Promise.resolve(this.conn);
    this.connecting ??= this.connectLoop().finally(() => (this.connecting = null));
    return this.connecting;
  }

  /** get() for the sync loops: null once the sync is stopped (they end then), other errors thrown. */
  async connection(): Promise<WsConnection | null> {
    try {
      return await this.get();
    } catch (e) {
      if (e instanceof SyncStoppedError || this.signal.aborted) return null;
      throw e;
    }
  }

  /** Backoff before the next attempt after `failures` consecutive failures. */
  backoff(failures: number): number {
    const base = this.o.backoffMs ?? 100;
    const max = this.o.maxBackoffMs ?? 5_000;
    const exp = Math.min(max, base * 2 ** Math.min(failures - 1, 20));
    return Math.round(exp * (0.8 + 0.4 * Math.random()));
  }

  private async connectLoop(): Promise<WsConnection> {
    for (;;) {
      if (this.signal.aborted || this.stopped) throw new SyncStoppedError();
      if (this.failures > 0) {
        await Promise.race([sleep(this.backoff(this.failures), this.signal), new Promise<void>((r) => (this.wakeUp = r))]);
        this.wakeUp = null;
      }
      try {
        const c = await WsConnection.connect(this.o);
        if (this.signal.aborted) {
          c.close();
          throw new SyncStoppedError();
        }
        this.conn = c;
        this.failures = 0;
        c.onClose((e) => {
          if (this.conn === c) this.conn = null;
          this.setOnline(false, e);
          if (this.keep && !this.stopped && !this.signal.aborted) void this.get().catch(() => undefined);
        });
        this.setOnline(true);
        return c;
      } catch (e) {
        if (e instanceof SyncStoppedError) throw e;
        this.failures++;
        this.setOnline(false, e as Error);
      }
    }
  }

  /** Closes `c` (a request on it failed in a way that leaves its state unknown) so get() reconnects. */
  drop(c: WsConnection): void {
    if (this.conn === c) this.conn = null;
    c.close();
    this.failures = Math.max(this.failures, 1);
  }

  private setOnline(online: boolean, error?: Error): void {
    if (this.online === online && online) return;
    this.online = online;
    this.o.onState?.(online, error);
  }

  close(): void {
    this.stopped = true;
    this.conn?.close();
    this.conn = null;
  }
}
