// Promises waiting for a log to grow past an offset (SyncableLog.waitForAppend): the local log (which
// appends) and a follower tab's view of another tab's log (which hears of appends) wake them alike.

interface Waiter {
  offset: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class AppendWaiters {
  private waiters: Waiter[] = [];

  /**
   * Resolves once `wake(end)` is called with end > offset; rejects when the signal aborts or on
   * `rejectAll`. `end` and `closedError` describe the log now (resolved/rejected at once when they say so).
   */
  wait(offset: number, end: number, closedError: Error | null, signal?: AbortSignal): Promise<void> {
    if (end > offset) return Promise.resolve();
    if (closedError !== null) return Promise.reject(closedError);
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        offset,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(w);
    });
  }

  /** The log's end offset moved to `end`: wake everyone waiting for an offset below it. */
  wake(end: number): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => end > w.offset);
    this.waiters = this.waiters.filter((w) => end <= w.offset);
    for (const w of ready) w.resolve();
  }

  rejectAll(err: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}
