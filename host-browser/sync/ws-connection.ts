// A Kafka connection over one WebSocket, for code that runs in a browser Worker (no Node APIs): the
// broker's WebSocket listener (docs/network.md) takes one request frame per binary message, size prefix
// included, and answers with one frame per message. This module does correlation ids, pipelining (several
// requests in flight, matched by correlation id), ApiVersions negotiation (highest version both sides
// speak, per API), per-request timeouts, and errors that name the API and the broker. Reconnecting with
// backoff is `BrokerLink` below: a connection object is single-use, like a socket.
//
// The WebSocket constructor is injected so the same code runs under Node tests with the `ws` package.
//
// Only the codecs of the APIs the sync code sends are imported (SYNC_APIS), through api-frame.ts: frame.ts
// and generated/index.ts would pull in all 88 APIs' codecs (about 1 MB of the bundle). Values come from
// generated/api.ts (keys and facts, no codecs) and each API's own module; index.ts is used for types only.
import { ApiKey, type ApiDescriptor } from '../../protocol/generated/api.js';
import type { RequestInputTypes, ResponseTypes } from '../../protocol/generated/index.js';
import { ApiVersionsApi } from '../../protocol/generated/api-versions.js';
import { CreateTopicsApi } from '../../protocol/generated/create-topics.js';
import { FetchApi } from '../../protocol/generated/fetch.js';
import { InitProducerIdApi } from '../../protocol/generated/init-producer-id.js';
import { ListOffsetsApi } from '../../protocol/generated/list-offsets.js';
import { MetadataApi } from '../../protocol/generated/metadata.js';
import { OffsetCommitApi } from '../../protocol/generated/offset-commit.js';
import { OffsetFetchApi } from '../../protocol/generated/offset-fetch.js';
import { ProduceApi } from '../../protocol/generated/produce.js';
import { decodeResponseFrameFor, encodeRequestFrameFor } from '../../protocol/api-frame.js';
import { KafkaConnectionError, KafkaTimeoutError, KafkaUnsupportedVersionError } from '../../client/errors.js';
import { highestCommonVersion, negotiateApiVersions, type VersionRange } from '../../client/api-versions.js';

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
 * Versions the sync code builds requests for, where narrower than the codec's range: Produce ≥ 3 and
 * Fetch ≥ 4 carry v2 record batches; Fetch ≤ 12 names topics (13+ wants topic ids); OffsetFetch ≤ 7
 * and OffsetCommit ≤ 8 keep the single-group layout (the bodies below are written for it).
 */
export const SYNC_VERSION_LIMITS: Partial<Record<SyncApiKey, VersionRange>> = {
  [ApiKey.Produce]: [3, 11],
  [ApiKey.Fetch]: [4, 12],
  [ApiKey.ListOffsets]: [1, 9],
  [ApiKey.Metadata]: [1, 12],
  [ApiKey.OffsetFetch]: [1, 7],
  [ApiKey.OffsetCommit]: [2, 8],
  [ApiKey.CreateTopics]: [2, 7],
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

interface Pending {
  api: ApiDescriptor;
  version: number;
  resolve(body: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout> | null;
}

export class WsConnection {
  readonly url: string;
  readonly clientId: string;
  readonly brokerVersions = new Map<number, VersionRange>();
  private readonly requestTimeoutMs: number;
  private readonly maxInFlight: number;
  private ws: WebSocketLike | null = null;
  private correlationId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly abandoned = new Set<number>();
  private readonly queue: Array<{ run(): void; reject(e: Error): void }> = [];
  private closedError: Error | null = null;
  private readonly closeListeners: Array<(e: Error) => void> = [];

  private constructor(private readonly o: WsConnectionOptions) {
    this.url = o.url;
    this.clientId = o.clientId ?? 'rivulet-browser';
    this.requestTimeoutMs = o.requestTimeoutMs ?? 30_000;
    this.maxInFlight = Math.max(1, o.maxInFlight ?? 5);
  }

  /** Opens the WebSocket and negotiates versions with ApiVersions. */
  static async connect(o: WsConnectionOptions): Promise<WsConnection> {
    const c = new WsConnection(o);
    await c.open(o.connectTimeoutMs ?? 10_000);
    try {
      await c.negotiate();
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  get isOpen(): boolean {
    return this.ws !== null && this.closedError === null;
  }

  private open(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let ws: WebSocketLike;
      try {
        ws = new this.o.WebSocket(this.url);
      } catch (e) {
        reject(new KafkaConnectionError(`cannot open WebSocket: ${(e as Error).message}`, this.url, { cause: e }));
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
        reject(new KafkaConnectionError(`WebSocket handshake timed out after ${timeoutMs} ms`, this.url));
      }, timeoutMs);
      ws.addEventListener('open', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.ws = ws;
        resolve();
      });
      ws.addEventListener('message', (ev: { data: unknown }) => this.onMessage(ev.data));
      // Browsers give no reason on 'error'; 'close' always follows it.
      ws.addEventListener('error', () => {});
      ws.addEventListener('close', (ev: { code?: number; reason?: string }) => {
        const why = `WebSocket closed (${ev.code ?? '?'}${ev.reason ? `: ${ev.reason}` : ''})`;
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(new KafkaConnectionError(`cannot connect: ${why}`, this.url));
          return;
        }
        this.fail(new KafkaConnectionError(why, this.url));
      });
    });
  }

  private async negotiate(): Promise<void> {
    const body = { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION };
    const theirs = await negotiateApiVersions((version) => this.send(ApiKey.ApiVersions, body, { version }), ApiVersionsApi.validVersions, this.url);
    for (const [k, r] of theirs) this.brokerVersions.set(k, r);
  }

  /** Highest version of `apiKey` both sides speak; throws KafkaUnsupportedVersionError when none. */
  version(apiKey: SyncApiKey): number {
    const api = syncApi(apiKey);
    const lim = SYNC_VERSION_LIMITS[apiKey];
    const theirs = this.brokerVersions.get(apiKey);
    const v = api && theirs ? highestCommonVersion(api.validVersions, lim, theirs) : undefined;
    if (v !== undefined) return v;
    throw new KafkaUnsupportedVersionError(`broker ${this.url} ${theirs ? `supports ${api?.name ?? apiKey} v${theirs[0]}-${theirs[1]}, which this client does not speak` : `does not support ${api?.name ?? `api ${apiKey}`}`}`);
  }

  /** Sends one request; resolves with the decoded response body. */
  send<K extends SyncApiKey>(apiKey: K, body: RequestInputTypes[K], options: { version?: number; timeoutMs?: number } = {}): Promise<ResponseTypes[K]> {
    if (this.closedError) return Promise.reject(this.closedError);
    const api = syncApi(apiKey);
    if (!api) return Promise.reject(new KafkaUnsupportedVersionError(`api key ${String(apiKey)} is not one the sync client speaks`));
    let version: number;
    try {
      version = options.version ?? this.version(apiKey);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<ResponseTypes[K]>((resolve, reject) => {
      const run = () => this.dispatch(api, version, body, options.timeoutMs ?? this.requestTimeoutMs, resolve as (b: unknown) => void, reject);
      if (this.pending.size < this.maxInFlight && this.queue.length === 0) run();
      else this.queue.push({ run, reject });
    });
  }

  private dispatch(api: ApiDescriptor, version: number, body: unknown, timeoutMs: number, resolve: (b: unknown) => void, reject: (e: Error) => void): void {
    const ws = this.ws;
    if (!ws || this.closedError || ws.readyState !== OPEN) {
      reject(this.closedError ?? new KafkaConnectionError('not connected', this.url));
      return;
    }
    const correlationId = this.correlationId;
    this.correlationId = (this.correlationId + 1) & 0x7fffffff;
    let frame: Uint8Array;
    try {
      frame = encodeRequestFrameFor(api, version, correlationId, this.clientId, body);
    } catch (e) {
      reject(e as Error);
      this.pump();
      return;
    }
    const p: Pending = { api, version, resolve, reject, timer: null };
    if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      p.timer = setTimeout(() => {
        if (!this.pending.delete(correlationId)) return;
        this.abandoned.add(correlationId);
        reject(new KafkaTimeoutError(`${api.name} v${version} to ${this.url}: no response within ${timeoutMs} ms`));
        this.pump();
      }, timeoutMs);
    }
    this.pending.set(correlationId, p);
    ws.send(frame);
  }

  private pump(): void {
    while (this.pending.size < this.maxInFlight && this.queue.length > 0) this.queue.shift()!.run();
  }

  private onMessage(data: unknown): void {
    if (this.closedError) return;
    let msg: Uint8Array;
    if (data instanceof ArrayBuffer) msg = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) msg = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else return this.protocolFailure('text message from broker (expected one binary frame per message)');
    if (msg.length < 8) return this.protocolFailure(`response message of ${msg.length} bytes`);
    const dv = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
    const size = dv.getInt32(0);
    if (size !== msg.length - 4) return this.protocolFailure(`response size prefix ${size} disagrees with message length ${msg.length}`);
    const frame = msg.subarray(4);
    const correlationId = dv.getInt32(4);
    const p = this.pending.get(correlationId);
    if (!p) {
      if (this.abandoned.delete(correlationId)) return;
      return this.protocolFailure(`response with unknown correlation id ${correlationId}`);
    }
    this.pending.delete(correlationId);
    if (p.timer) clearTimeout(p.timer);
    try {
      // A broker that does not know our ApiVersions version answers in v0 (error 35 + its ranges).
      const version = p.api === ApiVersionsApi && frame.length >= 6 && dv.getInt16(8) === 35 ? 0 : p.version;
      p.resolve(decodeResponseFrameFor(p.api, version, frame).body);
    } catch (e) {
      p.reject(new KafkaConnectionError(`cannot decode ${p.api.name} v${p.version} response: ${(e as Error).message}`, this.url, { cause: e }));
    }
    this.pump();
  }

  private protocolFailure(why: string): void {
    this.fail(new KafkaConnectionError(why, this.url));
    try {
      this.ws?.close(1002, why.slice(0, 120));
    } catch {
      // already closing
    }
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    for (const q of this.queue.splice(0)) q.reject(err);
    for (const l of this.closeListeners.splice(0)) l(err);
  }

  /** Called once when the connection closes or fails. */
  onClose(listener: (err: Error) => void): void {
    if (this.closedError) listener(this.closedError);
    else this.closeListeners.push(listener);
  }

  close(reason?: Error): void {
    this.fail(reason ?? new KafkaConnectionError('connection closed by client', this.url));
    try {
      this.ws?.close(1000);
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
