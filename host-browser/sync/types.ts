// The contract between a worker-side local log (host-browser/log/) and the sync side
// (host-browser/sync/): the sync code only ever sees a log through this interface, so the two
// halves can be built and tested independently.
import type { SyncStatus } from './status.js';
import type { BatchCodec } from './core.js';
import type { BrokerLink } from './broker-link.js';

export type { SyncStatus } from './status.js';

export interface LocalRecordInput { key?: Uint8Array | null; value: Uint8Array | null; headers?: { key: string; value: Uint8Array | null }[]; timestamp?: number }
export interface LocalRecord extends LocalRecordInput { offset: number; timestamp: number }
export interface SyncableLog {
  readonly topic: string; readonly partition: number;
  /** Next offset to be assigned. */
  endOffset(): number;
  read(fromOffset: number, maxRecords: number): Promise<LocalRecord[]>;
  append(records: LocalRecordInput[]): Promise<{ baseOffset: number; lastOffset: number }>;
  /** Small durable key/value store next to the log (sync cursors, producer id/epoch). */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /** Resolves when records past `offset` exist (or the signal aborts): once endOffset() > offset, i.e. the record at `offset` is there. */
  waitForAppend(offset: number, signal?: AbortSignal): Promise<void>;
}

/** What the Worker passes to `startSync` from `host-browser/sync/index.js`. */
export interface SyncOptions {
  /** WebSocket URL of the broker's Kafka listener, e.g. ws://127.0.0.1:9093/ or wss://broker.example.com:9093/. */
  url: string;
  /** Remote topic to mirror to or tail from (partition = the local log's partition). */
  topic: string;
  /** mirror: local log → remote topic (idempotent producer); tail: remote topic → local log. */
  mode: 'mirror' | 'tail';
  /** SASL credentials for a SASL_PLAINTEXT / SASL_SSL WebSocket listener (PLAIN over wss:// only). */
  sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string };
  /** Extra, sync-specific settings passed through untouched. */
  [extra: string]: unknown;
}

/** Handle returned by `startSync`; `stop()` ends the sync loop and closes its sockets. */
export interface SyncHandle {
  /** A snapshot of the current status (mirror lag counted now). */
  readonly status: SyncStatus;
  stop(): Promise<void>;
}

/** The signature the Worker expects `host-browser/sync/index.js` to export (`onStatus`: every status change). */
export type StartSync = (log: SyncableLog, options: SyncOptions & { onStatus?(s: SyncStatus): void }) => SyncHandle | Promise<SyncHandle>;

/** What the mirror and the tail loops both run with: one local log and one remote topic-partition. */
export interface SyncLoopOptions {
  log: SyncableLog;
  link: BrokerLink;
  codec: BatchCodec;
  topic: string;
  partition: number;
  signal: AbortSignal;
  status: SyncStatus;
  /** Called after `status` changed. */
  report(): void;
}
