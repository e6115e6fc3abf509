// startSync(log, options): keeps a local partition and a broker topic-partition in step over the
// broker's Kafka-over-WebSocket listener, inside the Worker (only the standard WebSocket API is used).
//   mode 'mirror': local → remote, exactly once (idempotent producer; mirror.ts)
//   mode 'tail':   remote → local, exactly once (fetch + committed offsets; tail.ts)
// The returned handle reports online/offline and lag, and stop() ends the loop and closes the socket.
// Design and failure cases: docs/browser-sync.md.
import { defaultCodec, type BatchCodec } from './core.js';
import { runMirror } from './mirror.js';
import { initialStatus, type SyncStatus } from './status.js';
import { runTail } from './tail.js';
import type { SyncableLog, SyncLoopOptions } from './types.js';
import { BrokerLink } from './broker-link.js';
import type { SaslCredentials, WebSocketConstructor } from './ws-connection.js';
import { SASL_CLIENT_MECHANISMS } from '../../client/sasl.js';

export type { SyncStatus } from './status.js';
export type { SyncableLog, LocalRecord, LocalRecordInput } from './types.js';
export { WsConnection, type SaslCredentials, type WebSocketConstructor, type WebSocketLike } from './ws-connection.js';
export { BrokerLink } from './broker-link.js';

export interface StartSyncOptions {
  /** The broker's WebSocket listener, e.g. ws://127.0.0.1:9093/, or wss://broker.example.com:9093/ (TLS). */
  url: string;
  /** Remote topic. */
  topic: string;
  /** Remote partition (default: the local log's partition). */
  partition?: number;
  mode: 'mirror' | 'tail';
  /** The WebSocket class (default: the global one; tests under Node pass the `ws` package's). */
  WebSocket?: WebSocketConstructor | typeof WebSocket;
  /** Aborting it stops the sync, like handle.stop(). */
  signal?: AbortSignal;
  /** Called on every status change (connect/disconnect, progress, errors). */
  onStatus?(s: SyncStatus): void;
  /** Record-batch codec (default: the WASM core from bindings/web.js). */
  codec?: BatchCodec;
  /** Request client id (default 'rivulet-browser'). */
  clientId?: string;
  /** tail: consumer group for committed offsets (default `rivulet-tab-<local log topic>`; null: no group, nothing committed). */
  groupId?: string | null;
  /** tail: where to start with no local state and no committed offset (default 'earliest'). */
  startFrom?: 'earliest' | 'latest';
  /** mirror: records / approximate bytes per batch at most (defaults 1000 / 512 KiB). */
  maxBatchRecords?: number;
  maxBatchBytes?: number;
  /** Create the remote topic when missing (default true). */
  createTopic?: boolean;
  /** Reconnect backoff: first wait and cap (defaults 100 ms and 5 s). */
  reconnectBackoffMs?: number;
  reconnectBackoffMaxMs?: number;
  /** Request timeout (default 30 s). */
  requestTimeoutMs?: number;
  /**
   * SASL credentials for a SASL_PLAINTEXT / SASL_SSL WebSocket listener: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' |
   * 'SCRAM-SHA-512', username, password }. Every (re)connection authenticates; a refusal is reported as the
   * status's lastError and retried with the reconnect backoff. PLAIN sends the password as it is: wss:// only.
   */
  sasl?: SaslCredentials;
  /** Extra keys (the Worker passes its SyncOptions through) are ignored. */
  [extra: string]: unknown;
}

export interface SyncHandle {
  /** A snapshot of the current status. */
  readonly status: SyncStatus;
  /** Resolves when the loop ended: after stop(), or with the local error that ended it (status 'failed'). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** Syncs running per log: two loops sharing one cursor in the meta store would both send its range. */
const running = new WeakMap<SyncableLog, Set<string>>();

export function startSync(log: SyncableLog, options: StartSyncOptions): SyncHandle {
  const { mode, partition, WebSocketClass } = checkOptions(log, options);
  const release = claimSlot(log, mode, options.topic, partition);
  const abort = followSignal(options.signal);
  const signal = abort.signal;
  const status = initialStatus(mode, options.topic, partition);
  const { refresh, report } = statusReporter(mode, log, status, options);
  const link = openLink(options, WebSocketClass, signal, status, report);
  link.keepConnected();

  const done = runLoop(mode, options, { log, link, topic: options.topic, partition, signal, status, report }).finally(release).then(
    () => {
      status.state = 'stopped';
      status.online = false;
      link.close();
      report();
    },
    (e: unknown) => {
      status.state = signal.aborted ? 'stopped' : 'failed';
      status.online = false;
      status.lastError = e instanceof Error ? e.message : String(e);
      abort.abort();
      link.close();
      report();
      if (status.state === 'failed') throw e;
    },
  );
  // `done` is for callers who want the failure; an unobserved one must not crash the Worker.
  done.catch(() => {});

  return {
    get status() {
      refresh();
      return { ...status, warnings: [...status.warnings] };
    },
    done,
    async stop() {
      abort.abort();
      await done.catch(() => {});
    },
  };
}

/** Checks the options (TypeErrors name the bad one); the mode, the remote partition and the WebSocket class to use. */
function checkOptions(log: SyncableLog, options: StartSyncOptions): { mode: 'mirror' | 'tail'; partition: number; WebSocketClass: WebSocketConstructor } {
  const mode = options.mode;
  if (mode !== 'mirror' && mode !== 'tail') throw new TypeError(`sync mode must be 'mirror' or 'tail', not ${String(mode)}`);
  if (typeof options.url !== 'string' || !/^wss?:\/\//i.test(options.url)) throw new TypeError(`sync url must be a ws:// or wss:// URL, not ${String(options.url)}`);
  if (typeof options.topic !== 'string' || options.topic === '') throw new TypeError('sync topic must be a non-empty string');
  const partition = options.partition ?? log.partition;
  if (!Number.isInteger(partition) || partition < 0) throw new TypeError(`sync partition must be an integer ≥ 0, not ${String(partition)}`);
  const WebSocketClass = (options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket) as WebSocketConstructor | undefined;
  if (!WebSocketClass) throw new TypeError('no WebSocket implementation: pass options.WebSocket');
  checkSasl(options.sasl);
  return { mode, partition, WebSocketClass };
}

function checkSasl(sasl: unknown): void {
  if (sasl === undefined) return;
  const o = sasl as Partial<SaslCredentials> | null;
  if (typeof o !== 'object' || o === null) throw new TypeError('sync sasl must be { mechanism, username, password }');
  if (!SASL_CLIENT_MECHANISMS.includes(o.mechanism as never)) throw new TypeError(`sync sasl.mechanism must be one of ${SASL_CLIENT_MECHANISMS.join(', ')}, not ${String(o.mechanism)}`);
  if (typeof o.username !== 'string' || typeof o.password !== 'string') throw new TypeError('sync sasl.username and sasl.password must be strings');
}

/** Registers the sync of `log` with topic-partition in `mode` as running (one at a time); returns its release. */
function claimSlot(log: SyncableLog, mode: 'mirror' | 'tail', topic: string, partition: number): () => void {
  const slot = `${mode}:${topic}:${partition}`;
  const active = running.get(log) ?? new Set<string>();
  if (active.has(slot)) throw new Error(`a ${mode} sync of ${log.topic}-${log.partition} with ${topic}-${partition} is already running`);
  active.add(slot);
  running.set(log, active);
  return () => active.delete(slot);
}

/** The sync's own abort controller, aborted also when the caller's signal aborts. */
function followSignal(outer: AbortSignal | undefined): AbortController {
  const abort = new AbortController();
  if (outer) {
    if (outer.aborted) abort.abort();
    else outer.addEventListener('abort', () => abort.abort(), { once: true });
  }
  return abort;
}

/** `report` sends a snapshot of `status` to onStatus; `refresh` first counts the mirror lag now. */
function statusReporter(mode: 'mirror' | 'tail', log: SyncableLog, status: SyncStatus, options: StartSyncOptions): { refresh: () => void; report: () => void } {
  // Mirror lag moves with every local append, also while the loop waits for a connection.
  const refresh = () => {
    if (mode === 'mirror') status.lag = Math.max(0, log.endOffset() - status.position);
  };
  const report = () => {
    refresh();
    try {
      options.onStatus?.({ ...status, warnings: [...status.warnings] });
    } catch {
      // a listener's bug must not end the sync
    }
  };
  return { refresh, report };
}

/** Runs the mode's loop (with the given codec, else the WASM core's) until it ends. */
async function runLoop(mode: 'mirror' | 'tail', options: StartSyncOptions, loop: Omit<SyncLoopOptions, 'codec'>): Promise<void> {
  const codec = options.codec ?? (await defaultCodec());
  const common = { ...loop, codec, createTopic: options.createTopic };
  if (mode === 'mirror') await runMirror({ ...common, maxBatchRecords: options.maxBatchRecords, maxBatchBytes: options.maxBatchBytes });
  else await runTail({ ...common, groupId: options.groupId, startFrom: options.startFrom });
}

/** The broker link, its online/offline changes shown in `status` and reported. */
function openLink(options: StartSyncOptions, WebSocketClass: WebSocketConstructor, signal: AbortSignal, status: SyncStatus, report: () => void): BrokerLink {
  return new BrokerLink(
    {
      url: options.url,
      WebSocket: WebSocketClass,
      clientId: options.clientId,
      requestTimeoutMs: options.requestTimeoutMs,
      sasl: options.sasl,
      backoffMs: options.reconnectBackoffMs,
      maxBackoffMs: options.reconnectBackoffMaxMs,
      onState: (online, err) => {
        if (signal.aborted) return;
        status.online = online;
        status.state = online ? 'online' : 'offline';
        if (err) status.lastError = err.message;
        report();
      },
    },
    signal,
  );
}
