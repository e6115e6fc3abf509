// Messages between the page (host-browser/index.ts) and the Worker that owns the logs (worker.ts).
// Every request carries an id and gets exactly one response with that id; subscriptions also receive
// `records` events. Records to append travel packed in one transferred ArrayBuffer (packed-records.ts),
// which the answer transfers back for the page to reuse; other byte arrays by structured clone. A single
// append is that buffer alone, its request and answer in the buffer's header (an append frame,
// packed-records.ts); every other request is an object.
import type { LocalLogOptions, LoadStats } from './log/local-log.js';
import type { SyncStatus } from './sync/status.js';
import type { LocalRecord, SyncOptions } from './sync/types.js';

export type Request =
  | { op: 'crc32c'; bytes: Uint8Array }
  | { op: 'open'; topic: string; partition: number; options: LocalLogOptions }
  /**
   * Several appends in one message (calls the page made while others were in flight): one batch each, in
   * order; `appends[i]` packed by packed-records.ts, `lengths[i]` bytes. (One append goes as a frame.)
   */
  | { op: 'appendMany'; logId: number; appends: ArrayBuffer[]; lengths: number[] }
  | { op: 'read'; logId: number; fromOffset: number; maxRecords: number }
  | { op: 'endOffset'; logId: number }
  | { op: 'flush'; logId: number }
  | { op: 'subscribe'; logId: number; subId: number; fromOffset: number }
  | { op: 'unsubscribe'; subId: number }
  /** Starts a sync; answered with its first status, later ones come as `sync-status` events for `syncId`. */
  | { op: 'sync'; logId: number; syncId: number; options: SyncOptions }
  | { op: 'stopSync'; syncId: number }
  | { op: 'close'; logId: number };

export interface OpenResult {
  logId: number;
  endOffset: number;
  startOffset: number;
  loadStats: LoadStats;
}

/** One result per append of an `appendMany`. */
export type AppendOutcome = { ok: true; baseOffset: number; lastOffset: number } | { ok: false; error: { name: string; message: string } };

export type RequestMessage = Request & { id: number };

/** The packed buffers of an append frame that failed (`buffer`) or of an appendMany (`buffers`) come back with the answer. */
export type ResponseMessage = (
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; message: string } }
) & { buffer?: ArrayBuffer; buffers?: ArrayBuffer[] };

export type EventMessage =
  | { event: 'records'; subId: number; records: LocalRecord[] }
  | { event: 'subscription-error'; subId: number; error: { name: string; message: string } }
  /** A sync's status changed (state, lag, progress, errors); the last one of a sync has state stopped or failed. */
  | { event: 'sync-status'; syncId: number; status: SyncStatus };

/** An ArrayBuffer: an append frame, answered (packed-records.ts). */
export type WorkerMessage = ResponseMessage | EventMessage | ArrayBuffer;
