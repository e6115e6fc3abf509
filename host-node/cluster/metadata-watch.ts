// A watch of the whole metadata prefix that never loses an event: it tracks the last revision it delivered
// and, after any stream error or etcd restart, watches again from the next one (events already delivered
// are dropped by revision). If etcd has compacted past that revision it reloads the snapshot and delivers
// it as a reset. etcd delivers every revision's events in one response, so a revision is never split.
import type { Namespace, Watcher } from 'etcd3';
import type { IKeyValue } from 'etcd3';
import { ROOT_PREFIX } from './keys.js';

export interface MetadataEntry {
  readonly key: string;
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
  /** The lease the key is tied to, '0' for none. */
  readonly lease: string;
}

export interface MetadataSnapshot {
  /** The store revision the entries were read at. */
  readonly revision: number;
  readonly entries: readonly MetadataEntry[];
}

export interface MetadataEvent {
  readonly type: 'put' | 'delete';
  readonly key: string;
  /** null for a delete. */
  readonly value: string | null;
  readonly createRevision: number;
  /** The revision of this change (for a delete: the revision of the deletion). */
  readonly modRevision: number;
}

export type WatchBatch =
  | { readonly kind: 'events'; readonly revision: number; readonly events: readonly MetadataEvent[] }
  | { readonly kind: 'reset'; readonly snapshot: MetadataSnapshot };

const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2000;

export function entryOf(kv: IKeyValue): MetadataEntry {
  return { key: kv.key.toString(), value: kv.value.toString(), createRevision: Number(kv.create_revision), modRevision: Number(kv.mod_revision), lease: String(kv.lease) };
}

export class MetadataWatch {
  private watcher: Watcher | null = null;
  private closed = false;
  private backoffMs = MIN_BACKOFF_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  /** The highest revision delivered (events at or below it are duplicates). */
  private delivered: number;

  constructor(
    private readonly ns: Namespace,
    fromRevision: number,
    private readonly onBatch: (batch: WatchBatch) => void,
    private readonly loadSnapshot: () => Promise<MetadataSnapshot>,
    private readonly onError: (e: Error) => void = () => {},
  ) {
    this.delivered = fromRevision - 1;
    this.start();
  }

  /** The revision up to which every event has been delivered. */
  get revision(): number {
    return this.delivered;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const w = this.watcher;
    this.watcher = null;
    if (w) await w.cancel().catch(() => {});
  }

  private start(): void {
    if (this.closed) return;
    const w = this.ns.watch().prefix(ROOT_PREFIX).startRevision(String(this.delivered + 1)).watcher();
    this.watcher = w;
    w.on('data', (res) => {
      if (this.watcher !== w) return;
      this.backoffMs = MIN_BACKOFF_MS;
      this.deliver(res.events.map((e) => ({ type: e.type === 'Delete' ? 'delete' : 'put', kv: e.kv })));
    });
    w.on('disconnected', () => this.restart(w, false));
    // A cancelled watch: etcd compacted past our revision, or refused it; reload to be safe.
    w.on('error', (e) => this.restart(w, true, new Error(`etcd cancelled the metadata watch from revision ${this.delivered + 1} (compacted, or refused): ${e.message}`)));
  }

  private deliver(raw: { type: 'put' | 'delete'; kv: IKeyValue }[]): void {
    const events: MetadataEvent[] = [];
    let revision = this.delivered;
    for (const { type, kv } of raw) {
      const rev = Number(kv.mod_revision);
      if (rev <= this.delivered) continue;
      revision = Math.max(revision, rev);
      events.push({ type, key: kv.key.toString(), value: type === 'put' ? kv.value.toString() : null, createRevision: Number(kv.create_revision), modRevision: rev });
    }
    if (events.length === 0) return;
    this.delivered = revision;
    this.onBatch({ kind: 'events', revision, events });
  }

  private restart(w: Watcher, reload: boolean, cause?: Error): void {
    if (this.watcher !== w || this.closed) return;
    this.watcher = null;
    try {
      void w.cancel().catch(() => {});
    } catch {
      // etcd already dropped this watch: nothing to cancel
    }
    if (cause) this.onError(cause);
    const delay = this.backoffMs;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (reload) void this.reload();
      else this.start();
    }, delay);
  }

  private async reload(): Promise<void> {
    if (this.closed) return;
    try {
      const snapshot = await this.loadSnapshot();
      if (this.closed) return;
      this.delivered = snapshot.revision;
      this.onBatch({ kind: 'reset', snapshot });
      this.start();
    } catch (e) {
      this.onError(e as Error);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        void this.reload();
      }, this.backoffMs);
      this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    }
  }
}
