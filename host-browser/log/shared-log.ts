// Sharing a partition between tabs. OPFS access handles are exclusive, so one tab's Worker owns a
// partition (it holds the Web Lock `rivulet:<topic>-<partition>`); other tabs of the origin reach it over
// a BroadcastChannel of the same name:
//   - the owner answers requests (append, read, end offset, meta, flush) and, once another tab follows,
//     announces every append;
//   - a follower (RemoteLog) forwards its calls and wakes its waiters on the announcements.
// When the owner tab closes or dies, its lock is released and a follower's queued lock request is
// granted: that Worker opens the files itself and takes over (the worker swaps the RemoteLog for a
// LocalLog). Calls in flight at that moment fail with an error saying so (an append may or may not have
// been applied; the caller can read to find out).
import type { LocalRecord, LocalRecordInput } from '../sync/types.js';
import type { LoadStats, LocalLog } from './local-log.js';
import { AppendWaiters } from './append-waiters.js';

/** What the Worker needs from a partition, local (owner) or remote (follower). */
export interface PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly loadStats: LoadStats;
  endOffset(): number;
  startOffset(): number;
  read(fromOffset: number, maxRecords: number): Promise<LocalRecord[]>;
  append(records: LocalRecordInput[]): Promise<{ baseOffset: number; lastOffset: number }>;
  flush(): Promise<void>;
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  waitForAppend(offset: number, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

type Op = 'append' | 'read' | 'endOffset' | 'startOffset' | 'flush' | 'getMeta' | 'setMeta';
type ChannelMessage =
  | { kind: 'req'; client: string; id: number; op: Op; args: unknown[] }
  | { kind: 'res'; client: string; id: number; ok: true; result: unknown }
  | { kind: 'res'; client: string; id: number; ok: false; error: { name: string; message: string } }
  | { kind: 'appended'; endOffset: number }
  | { kind: 'owner'; endOffset: number; startOffset: number }
  /** A follower answering `owner` (it follows from now on, though it may have sent no request yet). */
  | { kind: 'follower' };

export function channelName(topic: string, partition: number): string {
  return `rivulet:${topic}-${partition}`;
}

/** Owner side: answers other tabs' requests on the partition's channel. Returns a stop function. */
export function serveLog(log: LocalLog): () => void {
  const ch = new BroadcastChannel(channelName(log.topic, log.partition));
  // Announcing every append costs a BroadcastChannel message (tens of µs, as much as the append itself),
  // so it starts only once another tab has shown up: with its first request, or its answer to `owner`.
  // The first announcement then carries the end at once, so nothing appended before is missed.
  let followed = false;
  const announce = (): void => ch.postMessage({ kind: 'appended', endOffset: log.endOffset() } satisfies ChannelMessage);
  ch.onmessage = (e: MessageEvent<ChannelMessage>) => {
    const m = e.data;
    if (!m || (m.kind !== 'req' && m.kind !== 'follower')) return;
    if (!followed) {
      followed = true;
      announce();
    }
    if (m.kind !== 'req') return;
    const run = async (): Promise<unknown> => {
      const a = m.args;
      switch (m.op) {
        case 'append':
          return log.append(a[0] as LocalRecordInput[]);
        case 'read':
          return log.read(a[0] as number, a[1] as number);
        case 'endOffset':
          return log.endOffset();
        case 'startOffset':
          return log.startOffset();
        case 'flush':
          return log.flush();
        case 'getMeta':
          return log.getMeta(a[0] as string);
        case 'setMeta':
          return log.setMeta(a[0] as string, a[1] as string);
        default:
          throw new Error(`unknown request ${String(m.op)}`);
      }
    };
    run().then(
      (result) => ch.postMessage({ kind: 'res', client: m.client, id: m.id, ok: true, result } satisfies ChannelMessage),
      (e: unknown) => ch.postMessage({ kind: 'res', client: m.client, id: m.id, ok: false, error: { name: (e as Error)?.name ?? 'Error', message: (e as Error)?.message ?? String(e) } } satisfies ChannelMessage),
    );
  };
  const stopListening = log.onAppend(() => followed && announce());
  ch.postMessage({ kind: 'owner', endOffset: log.endOffset(), startOffset: log.startOffset() } satisfies ChannelMessage);
  return () => {
    stopListening();
    ch.close();
  };
}

/** Follower side: the partition as owned by another tab. */
export class RemoteLog implements PartitionLog {
  readonly loadStats: LoadStats = { clean: true, truncatedBytes: 0, recoveredSegments: 0, removedSegments: 0 };
  private readonly ch: BroadcastChannel;
  private readonly client = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly waiters = new AppendWaiters();
  private end = 0;
  private start = 0;
  private closed = false;

  private constructor(
    readonly topic: string,
    readonly partition: number,
  ) {
    this.ch = new BroadcastChannel(channelName(topic, partition));
    this.ch.onmessage = (e: MessageEvent<ChannelMessage>) => this.onMessage(e.data);
  }

  /** Connects to the owning tab (waits up to `timeoutMs` for it to answer). */
  static async connect(topic: string, partition: number, timeoutMs = 10_000): Promise<RemoteLog> {
    const r = new RemoteLog(topic, partition);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        // The owner may still be opening its files: ask again until it answers.
        r.end = (await r.call('endOffset', [], 500)) as number;
        r.start = (await r.call('startOffset', [], 500)) as number;
        return r;
      } catch (e) {
        if (Date.now() > deadline) {
          r.ch.close();
          throw new Error(`${topic}-${partition} is open in another tab that does not answer: ${(e as Error).message}`);
        }
      }
    }
  }

  private onMessage(m: ChannelMessage): void {
    if (!m) return;
    if (m.kind === 'appended' || m.kind === 'owner') {
      this.setEnd(m.endOffset);
      if (m.kind === 'owner') {
        this.start = m.startOffset;
        this.ch.postMessage({ kind: 'follower' } satisfies ChannelMessage); // a new owner (takeover): ask for announcements
      }
      return;
    }
    if (m.kind !== 'res' || m.client !== this.client) return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
  }

  private setEnd(end: number): void {
    if (end <= this.end) return;
    this.end = end;
    this.waiters.wake(end);
  }

  private call(op: Op, args: unknown[], timeoutMs = 30_000): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error(`log ${this.topic}-${this.partition} is closed`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the tab owning ${this.topic}-${this.partition} did not answer ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.ch.postMessage({ kind: 'req', client: this.client, id, op, args } satisfies ChannelMessage);
    });
  }

  endOffset(): number {
    return this.end;
  }
  startOffset(): number {
    return this.start;
  }
  async read(fromOffset: number, maxRecords: number): Promise<LocalRecord[]> {
    const rs = (await this.call('read', [fromOffset, maxRecords])) as LocalRecord[];
    if (rs.length > 0) this.setEnd(rs[rs.length - 1]!.offset + 1);
    return rs;
  }
  async append(records: LocalRecordInput[]): Promise<{ baseOffset: number; lastOffset: number }> {
    const r = (await this.call('append', [records])) as { baseOffset: number; lastOffset: number };
    this.setEnd(r.lastOffset + 1);
    return r;
  }
  async flush(): Promise<void> {
    await this.call('flush', []);
  }
  async getMeta(key: string): Promise<string | undefined> {
    return (await this.call('getMeta', [key])) as string | undefined;
  }
  async setMeta(key: string, value: string): Promise<void> {
    await this.call('setMeta', [key, value]);
  }
  waitForAppend(offset: number, signal?: AbortSignal): Promise<void> {
    return this.waiters.wait(offset, this.end, this.closed ? new Error('log closed') : null, signal);
  }

  /** Stops following (the owner is gone or this tab closed the log); pending calls and waiters fail. */
  async close(reason = 'log closed'): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ch.close();
    for (const p of this.pending.values()) p.reject(new Error(reason));
    this.pending.clear();
    this.waiters.rejectAll(new Error(reason));
  }
}
