// Keeping one WebSocket connection to the broker for the sync loops: reconnecting with backoff, following
// the browser's online/offline hints, replacing a connection before its SASL session ends, and the
// abortable waits the loops share.
import { KafkaConnectionError } from '../../client/errors.js';
import { WsConnection, type WsConnectionOptions } from './ws-connection.js';

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
  /** Connections replaced because their SASL session ends soon: closed once idle, without going offline. */
  private readonly retired = new Set<WsConnection>();

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
    if (this.conn?.isOpen && this.sessionEndsSoon(this.conn)) this.retire(this.conn);
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

  /**
   * Whether `c`'s SASL session (KIP-368) is in its last 15 %: the broker would close the connection at the
   * first request after the end, so new rounds go to a fresh, freshly authenticated connection instead
   * (Kafka's clients re-authenticate in place at 85-95 % of the lifetime; a sync loop simply reconnects).
   */
  private sessionEndsSoon(c: WsConnection): boolean {
    if (c.sessionExpiresAt === null) return false;
    const left = c.sessionExpiresAt - Date.now();
    return left <= c.sessionLifetimeMs * 0.15;
  }

  /** Takes `c` out of use; it closes once nothing was in flight on it for a moment, or when its session ends. */
  private retire(c: WsConnection): void {
    if (this.conn === c) this.conn = null;
    this.retired.add(c);
    let idleChecks = 0;
    const check = setInterval(() => {
      idleChecks = c.inFlightCount === 0 ? idleChecks + 1 : 0;
      // Idle for three checks: a round of the sync loop that still holds `c` has finished its requests.
      if (idleChecks >= 3 || !c.isOpen || Date.now() >= (c.sessionExpiresAt ?? 0) || this.stopped) {
        clearInterval(check);
        c.close();
      }
    }, 50);
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
          if (this.retired.delete(c)) return; // replaced already: not a change of state
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
    for (const c of this.retired) c.close();
  }
}
