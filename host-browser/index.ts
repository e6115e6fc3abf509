// Rivulet in a browser tab: partitions kept in the Origin Private File System by a dedicated Worker that
// runs the WebAssembly core (see docs/browser.md).
//
//   import { Rivulet } from './rivulet.js';
//   const log = await Rivulet.open('orders');
//   await log.append([{ key: 'o-1', value: JSON.stringify({ total: 12 }) }]);   // → { baseOffset, lastOffset }
//   for (const r of await log.read(0)) console.log(r.offset, Rivulet.text(r.value));
//   const stop = log.subscribe((records) => render(records));
//
// The page only talks to the Worker (postMessage); every log of the page lives in that one Worker.
import type { LocalLogOptions, LoadStats } from './log/local-log.js';
import { BufferPool, packRecords, readFrameAnswer, writeFrameRequest, type RecordInput } from './packed-records.js';
import type { AppendOutcome, EventMessage, OpenResult, Request, RequestMessage, WorkerMessage } from './protocol.js';
import type { SyncOptions, SyncStatus } from './sync/types.js';

export type { LocalRecord, LocalRecordInput, SyncableLog, SyncOptions, SyncStatus } from './sync/types.js';
export type { LocalLogOptions, LoadStats } from './log/local-log.js';
export type { RecordInput } from './packed-records.js';

type Bytes = string | Uint8Array;

/** A stored record. `key`, `value` and header values are bytes: `Rivulet.text()` decodes UTF-8. */
export interface StoredRecord {
  offset: number;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: { key: string; value: Uint8Array | null }[];
}

export interface OpenOptions extends LocalLogOptions {
  /** Partition number (default 0). */
  partition?: number;
  /** URL of worker.js (default: next to this module). */
  workerUrl?: string | URL;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const toBytes = (v: Bytes | null | undefined): Uint8Array | null => (v == null ? null : typeof v === 'string' ? enc.encode(v) : v);

/** The page's connection to its Worker: request/response by id, plus subscription events. */
class WorkerClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly subscribers = new Map<number, { onRecords: (r: StoredRecord[]) => void; onError: (e: Error) => void }>();
  nextSubId = 1;
  readonly syncs = new Map<number, (s: SyncStatus) => void>();
  nextSyncId = 1;
  /** Append buffers back from the Worker, packed again by later appends. */
  readonly buffers = new BufferPool();

  constructor(private readonly worker: Worker) {
    worker.addEventListener('message', (e: MessageEvent<WorkerMessage>) => this.onMessage(e.data));
    worker.addEventListener('error', (e) => this.failAll(new Error(`rivulet worker failed: ${e.message || 'could not load'}`)));
  }

  call<T>(req: Request, transfer: Transferable[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => this.send(req, transfer, resolve as (v: unknown) => void, reject));
  }

  /** Sends `req` (given its id here: it is built for this one call); the answer goes to resolve/reject. */
  send(req: Request, transfer: Transferable[], resolve: (v: unknown) => void, reject: (e: Error) => void): void {
    (req as RequestMessage).id = this.expect(resolve, reject);
    this.worker.postMessage(req, transfer);
  }

  /** Sends one append as a frame (packed-records.ts): the packed buffer alone, transferred. */
  sendFrame(buffer: ArrayBuffer, logId: number, length: number, resolve: (v: unknown) => void, reject: (e: Error) => void): void {
    writeFrameRequest(buffer, this.expect(resolve, reject), logId, length);
    this.worker.postMessage(buffer, [buffer]);
  }

  /** A new request id (it fits the u32 of a frame) and who gets its answer. */
  private expect(resolve: (v: unknown) => void, reject: (e: Error) => void): number {
    const id = this.nextId;
    this.nextId = id >= 0xfffffffe ? 1 : id + 1;
    this.pending.set(id, { resolve, reject });
    return id;
  }

  private onMessage(m: WorkerMessage): void {
    if (m instanceof ArrayBuffer) return this.onFrame(m);
    if ('event' in m) return this.onEvent(m);
    if (m.buffer !== undefined) this.buffers.give(m.buffer);
    else if (m.buffers !== undefined) for (const b of m.buffers) this.buffers.give(b);
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
  }

  /** An append frame back from the Worker: appended, the offsets in its header; the buffer is reused. */
  private onFrame(buffer: ArrayBuffer): void {
    const a = readFrameAnswer(buffer);
    this.buffers.give(buffer);
    const p = a && this.pending.get(a.id);
    if (!p) return;
    this.pending.delete(a.id);
    p.resolve({ baseOffset: a.baseOffset, lastOffset: a.lastOffset });
  }

  private onEvent(m: EventMessage): void {
    if (m.event === 'sync-status') return this.syncs.get(m.syncId)?.(m.status);
    const s = this.subscribers.get(m.subId);
    if (!s) return;
    if (m.event === 'records') s.onRecords(m.records as StoredRecord[]);
    else s.onError(Object.assign(new Error(m.error.message), { name: m.error.name }));
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

const clients = new Map<string, WorkerClient>();

function clientFor(workerUrl?: string | URL): WorkerClient {
  const url = new URL(workerUrl ?? './worker.js', import.meta.url).href;
  let c = clients.get(url);
  if (!c) {
    c = new WorkerClient(new Worker(url, { type: 'module', name: 'rivulet' }));
    clients.set(url, c);
  }
  return c;
}

/**
 * A running sync, as the page sees it. `status` is the latest status the Worker sent: `state` (connecting,
 * online, offline, stopped, failed), `online`, `lag` (mirror: local records not yet acknowledged by the
 * broker; tail: remote records not yet here), `records`, `lastError`, `warnings` (docs/browser-sync.md).
 */
export class SyncHandle {
  private current: SyncStatus | null = null;
  private readonly listeners = new Set<(s: SyncStatus) => void>();

  /** @internal */
  constructor(
    private readonly client: WorkerClient,
    private readonly syncId: number,
  ) {}

  /** The latest status (updated on every change: state at once, progress at most every 100 ms). */
  get status(): SyncStatus {
    return this.current!;
  }

  /** Calls `fn` with the current status now and on every change after; returns an unsubscribe function. */
  onStatus(fn: (s: SyncStatus) => void): () => void {
    this.listeners.add(fn);
    if (this.current) fn(this.current);
    return () => void this.listeners.delete(fn);
  }

  /** Stops the sync (closes its WebSocket); resolves once it has stopped. The status ends as 'stopped'. */
  async stop(): Promise<void> {
    if (!this.client.syncs.has(this.syncId)) return;
    await this.client.call({ op: 'stopSync', syncId: this.syncId });
  }

  /** @internal */
  _update(s: SyncStatus): void {
    this.current = s;
    if (s.state === 'stopped' || s.state === 'failed') this.client.syncs.delete(this.syncId);
    for (const fn of [...this.listeners]) {
      try {
        fn(s);
      } catch (e) {
        console.error('rivulet sync status listener', e);
      }
    }
  }
}

/** One open topic-partition of the tab. */
export class RivuletLog {
  private closed = false;
  private readonly unsubscribers = new Set<() => void>();

  /** @internal */
  constructor(
    private readonly client: WorkerClient,
    private readonly logId: number,
    readonly topic: string,
    readonly partition: number,
    /** What opening found: a clean close, or the bytes recovery cut from a torn/corrupt tail. */
    readonly loadStats: LoadStats,
  ) {}

  /**
   * Appends records as one batch (offsets assigned by the core); resolves once they are in the file.
   * Appends made while others are in flight (not awaited one by one) travel to the Worker together in
   * one message, each still its own batch, in call order.
   */
  append(records: RecordInput | RecordInput[]): Promise<{ baseOffset: number; lastOffset: number }> {
    if (this.closed) return Promise.reject(new Error(`log ${this.topic}-${this.partition} is closed`));
    let packed: { buffer: ArrayBuffer; length: number };
    try {
      packed = packRecords(Array.isArray(records) ? records : [records], this.client.buffers);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      if (this.queued === null) {
        this.queued = [];
        queueMicrotask(() => this.sendQueued());
      }
      this.queued.push({ records: packed.buffer, length: packed.length, resolve, reject });
    });
  }

  private queued: { records: ArrayBuffer; length: number; resolve: (r: { baseOffset: number; lastOffset: number }) => void; reject: (e: Error) => void }[] | null = null;

  private sendQueued(): void {
    const q = this.queued ?? [];
    this.queued = null;
    if (q.length === 1) {
      // The Worker's answer settles the caller's promise directly (no promise in between).
      const one = q[0]!;
      this.client.sendFrame(one.records, this.logId, one.length, one.resolve as (v: unknown) => void, one.reject);
      return;
    }
    const buffers = q.map((a) => a.records);
    this.client.send(
      { op: 'appendMany', logId: this.logId, appends: buffers, lengths: q.map((a) => a.length) },
      buffers,
      (outcomes) =>
        (outcomes as AppendOutcome[]).forEach((o, i) => {
          if (o.ok) q[i]!.resolve({ baseOffset: o.baseOffset, lastOffset: o.lastOffset });
          else q[i]!.reject(Object.assign(new Error(o.error.message), { name: o.error.name }));
        }),
      (e: Error) => q.forEach((a) => a.reject(e)),
    );
  }

  /** Records from `fromOffset` on (at most `maxRecords`, default 1000). */
  read(fromOffset = 0, opts: { maxRecords?: number } = {}): Promise<StoredRecord[]> {
    return this.call({ op: 'read', logId: this.logId, fromOffset, maxRecords: opts.maxRecords ?? 1000 });
  }

  /** The next offset to be assigned. */
  endOffset(): Promise<number> {
    return this.call({ op: 'endOffset', logId: this.logId });
  }

  /** Flushes appended bytes to storage now (otherwise done within flushMs). */
  flush(): Promise<void> {
    return this.call({ op: 'flush', logId: this.logId });
  }

  /**
   * Calls `fn` with records as they are appended (from `fromOffset`, default: the current end). Records
   * appended by the sync side (a tailed remote topic) arrive here too. Returns an unsubscribe function.
   */
  subscribe(fn: (records: StoredRecord[]) => void, opts: { fromOffset?: number; onError?: (e: Error) => void } = {}): () => void {
    this.checkOpen();
    const subId = this.client.nextSubId++;
    this.client.subscribers.set(subId, { onRecords: fn, onError: opts.onError ?? ((e) => console.error('rivulet subscription', e)) });
    const start = opts.fromOffset !== undefined ? Promise.resolve(opts.fromOffset) : this.endOffset();
    const ready = start.then((fromOffset) => this.call({ op: 'subscribe', logId: this.logId, subId, fromOffset }));
    ready.catch((e: Error) => this.client.subscribers.get(subId)?.onError(e));
    const stop = (): void => {
      if (!this.unsubscribers.delete(stop)) return;
      this.client.subscribers.delete(subId);
      void ready.then(() => this.client.call({ op: 'unsubscribe', subId })).catch(() => undefined);
    };
    this.unsubscribers.add(stop);
    return stop;
  }

  /**
   * Starts syncing this partition with a broker over its WebSocket listener: `mirror` sends local records
   * to `topic` (idempotent producer), `tail` appends the remote topic's records here. Resolves once the
   * sync runs, with a handle to read and follow its status (online/offline, lag, errors) and to stop it.
   */
  async sync(options: SyncOptions): Promise<SyncHandle> {
    this.checkOpen();
    const syncId = this.client.nextSyncId++;
    const handle = new SyncHandle(this.client, syncId);
    this.client.syncs.set(syncId, (s) => handle._update(s));
    try {
      handle._update(await this.client.call<SyncStatus>({ op: 'sync', logId: this.logId, syncId, options }));
    } catch (e) {
      this.client.syncs.delete(syncId);
      throw e;
    }
    return handle;
  }

  /** Stops subscriptions and closes the log (flushes, marks a clean close). */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const stop of [...this.unsubscribers]) stop();
    if (this.queued !== null) this.sendQueued(); // appends made before close() go first
    this.closed = true;
    await this.client.call({ op: 'close', logId: this.logId });
  }

  private call<T>(req: Request): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`log ${this.topic}-${this.partition} is closed`));
    return this.client.call<T>(req);
  }
  private checkOpen(): void {
    if (this.closed) throw new Error(`log ${this.topic}-${this.partition} is closed`);
  }
}

export const Rivulet = {
  /** Opens (creating when missing) the local log of `topic` (partition 0 unless given). */
  async open(topic: string, options: OpenOptions = {}): Promise<RivuletLog> {
    const { partition = 0, workerUrl, ...logOptions } = options;
    const client = clientFor(workerUrl);
    const r = await client.call<OpenResult>({ op: 'open', topic, partition, options: logOptions });
    return new RivuletLog(client, r.logId, topic, partition, r.loadStats);
  },
  /** CRC-32C computed by the core in the Worker (a quick check that the core loaded). */
  crc32c(data: Bytes, options: { workerUrl?: string | URL } = {}): Promise<number> {
    return clientFor(options.workerUrl).call<number>({ op: 'crc32c', bytes: toBytes(data)! });
  },
  /** UTF-8 text of a record's bytes (null stays null). */
  text(bytes: Uint8Array | null): string | null {
    return bytes === null ? null : dec.decode(bytes);
  },
};

export default Rivulet;
