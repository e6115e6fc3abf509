// acks=all Produce requests waiting for the high watermark to pass their batch (Kafka's DelayedProduce
// purgatory, per partition). Waiters arrive in offset order (a leader appends in order), so they are
// answered from the front.
import { ErrorCode } from '../../protocol/errors.js';

/** Waiters per partition at most: a bound far above what connections can queue (queued.max.requests each). */
const MAX_WAITERS = 100_000;

interface Waiter {
  /** The high watermark that covers the batch (its last offset + 1). */
  readonly requiredOffset: number;
  readonly resolve: (errorCode: number) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  done: boolean;
}

export class HighWatermarkWaiters {
  private waiters: Waiter[] = [];
  private head = 0;

  get size(): number {
    return this.waiters.length - this.head;
  }

  /** Resolves with NONE (or what `check` says) once the HW reaches `requiredOffset`, REQUEST_TIMED_OUT after `timeoutMs`. */
  wait(requiredOffset: number, timeoutMs: number): Promise<number> {
    if (this.size >= MAX_WAITERS) return Promise.resolve(ErrorCode.REQUEST_TIMED_OUT);
    return new Promise<number>((resolve) => {
      const w: Waiter = { requiredOffset, resolve, timer: undefined, done: false };
      w.timer = setTimeout(() => this.finish(w, ErrorCode.REQUEST_TIMED_OUT), timeoutMs);
      this.waiters.push(w);
    });
  }

  /** The high watermark moved to `hw`: waiters it covers get `code` (NONE, or NOT_ENOUGH_REPLICAS_AFTER_APPEND). */
  advance(hw: number, code: number): void {
    while (this.head < this.waiters.length) {
      const w = this.waiters[this.head]!;
      if (!w.done && w.requiredOffset > hw) break;
      this.finish(w, code);
      this.head++;
    }
    this.compact();
  }

  /** Every waiter answered with `code` (leadership lost, partition stopped). */
  failAll(code: number): void {
    for (let i = this.head; i < this.waiters.length; i++) this.finish(this.waiters[i]!, code);
    this.waiters = [];
    this.head = 0;
  }

  private finish(w: Waiter, code: number): void {
    if (w.done) return;
    w.done = true;
    clearTimeout(w.timer);
    w.resolve(code);
  }

  private compact(): void {
    if (this.head === this.waiters.length) {
      this.waiters = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters = this.waiters.slice(this.head);
      this.head = 0;
    }
  }
}
