// "Durable up to offset X" waiters and the group commit that satisfies them: one fdatasync in flight per
// log at a time; appends arriving meanwhile are covered by the next one, so N concurrent acks=all
// producers cost ~2 fsyncs, not N. The log decides when to flush (flush.messages / flush.ms); this file
// keeps the waiters.
import { StorageError, ErrorCode, invariant } from './errors.js';

/** Bound on waiters per log: beyond it, waitDurable rejects (the caller should already limit in-flight requests). */
const MAX_DURABLE_WAITERS = 1_000_000;

interface Waiter {
  offset: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class DurableWaiters {
  /** Offsets arrive in append order, so a FIFO is sorted; `head` avoids shifting. */
  private queue: Waiter[] = [];
  private head = 0;

  get size(): number {
    return this.queue.length - this.head;
  }

  /** A promise that resolves when `durable` passes `offset` (i.e. durable > offset). */
  wait(offset: number, durable: number): Promise<void> {
    if (offset < durable) return Promise.resolve();
    if (this.size >= MAX_DURABLE_WAITERS) return Promise.reject(new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, 'too many durability waiters'));
    return new Promise<void>((resolve, reject) => {
      const last = this.queue[this.queue.length - 1];
      this.queue.push({ offset, resolve, reject });
      // Out-of-order registrations (rare): keep the FIFO sorted with a short insertion.
      if (last !== undefined && this.size > 1 && last.offset > offset) {
        let i = this.queue.length - 1;
        for (let steps = 0; i > this.head && this.queue[i - 1]!.offset > offset; i--, steps++) {
          invariant(steps < MAX_DURABLE_WAITERS, 'insertion bounded');
          this.queue[i] = this.queue[i - 1]!;
        }
        this.queue[i] = { offset, resolve, reject };
      }
    });
  }

  /** Resolves every waiter whose offset < durable. */
  advance(durable: number): void {
    while (this.head < this.queue.length && this.queue[this.head]!.offset < durable) this.queue[this.head++]!.resolve();
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Rejects the waiters for offsets >= `offset` (truncated records, which will never become durable). */
  failFrom(offset: number, e: Error): void {
    const failed: Waiter[] = [];
    while (this.queue.length > this.head && this.queue[this.queue.length - 1]!.offset >= offset) failed.push(this.queue.pop()!);
    for (const w of failed.reverse()) w.reject(e);
  }

  failAll(e: Error): void {
    const q = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    for (const w of q) w.reject(e);
  }
}

/** Wakes long-poll fetches when the high watermark moves. */
const MAX_DATA_WAITERS = 100_000;

interface DataWaiter {
  offset: number;
  resolve: (hasData: boolean) => void;
  timer: ReturnType<typeof setTimeout> | null;
}

export class DataWaiters {
  private waiters = new Set<DataWaiter>();
  private listeners = new Set<(highWatermark: number) => void>();

  /** Resolves true once the high watermark is above `offset`, false after `timeoutMs`. */
  wait(offset: number, highWatermark: number, timeoutMs: number): Promise<boolean> {
    if (offset < highWatermark) return Promise.resolve(true);
    if (timeoutMs <= 0) return Promise.resolve(false);
    if (this.waiters.size >= MAX_DATA_WAITERS) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const w: DataWaiter = { offset, resolve, timer: null };
      w.timer = setTimeout(() => {
        this.waiters.delete(w);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  /** Subscribe to high-watermark changes (a fetch purgatory); returns the unsubscribe function. */
  subscribe(listener: (highWatermark: number) => void): () => void {
    invariant(this.listeners.size < MAX_DATA_WAITERS, 'listener count bounded');
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  notify(highWatermark: number): void {
    if (this.waiters.size > 0) {
      for (const w of this.waiters) {
        if (w.offset < highWatermark) {
          if (w.timer) clearTimeout(w.timer);
          this.waiters.delete(w);
          w.resolve(true);
        }
      }
    }
    for (const l of this.listeners) l(highWatermark);
  }

  /** Wakes everyone (close/offline): waiters see "no data" and re-check the log. */
  wakeAll(): void {
    for (const w of this.waiters) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve(false);
    }
    this.waiters.clear();
  }
}
