// Kafka's Throttler for the log cleaner's I/O (log.cleaner.io.max.bytes.per.second): bytes are counted
// over a measuring window, and when the window closes (its time is up, or it has carried a full window's
// worth of bytes) the caller sleeps long enough for the window's rate to come back down to the limit.
// Closing a window early on bytes matters for short cleanings: a log cleaned in less than one window
// would otherwise never be slowed at all.
import { invariant } from '../errors.js';

export interface ThrottlerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Kafka's measuring window for the cleaner's throttler. */
export const THROTTLE_WINDOW_MS = 300;

export class Throttler {
  private windowStartMs: number;
  private observedInWindow = 0;
  /** Milliseconds slept so far (for the cleaner's stats and tests). */
  throttledMs = 0;
  private windowBudget = Infinity;
  private rate = Infinity;

  constructor(
    /** The limit; Infinity (Kafka's default of Double.MaxValue) never throttles. */
    bytesPerSecond: number,
    private readonly clock: ThrottlerClock,
    readonly windowMs = THROTTLE_WINDOW_MS,
  ) {
    invariant(windowMs > 0, 'throttle window is positive');
    this.windowStartMs = clock.now();
    this.setRate(bytesPerSecond);
  }

  /** The limit now. */
  get bytesPerSecond(): number {
    return this.rate;
  }

  /**
   * A new limit (a dynamic log.cleaner.io.max.bytes.per.second reaching a running cleaning, as Kafka's
   * shared Throttler takes it): from the current window on.
   */
  setRate(bytesPerSecond: number): void {
    invariant(bytesPerSecond > 0, 'throttle rate is positive');
    this.rate = bytesPerSecond;
    this.windowBudget = Number.isFinite(bytesPerSecond) ? (bytesPerSecond * this.windowMs) / 1000 : Infinity;
  }

  /** Counts `bytes` of I/O just done; sleeps when the window's rate is above the limit. */
  async maybeThrottle(bytes: number): Promise<void> {
    invariant(bytes >= 0, 'throttled bytes are non-negative');
    if (this.windowBudget === Infinity) return;
    this.observedInWindow += bytes;
    const elapsed = this.clock.now() - this.windowStartMs;
    if (elapsed < this.windowMs && this.observedInWindow < this.windowBudget) return;
    // The time the window's bytes should have taken at the limit, less what it did take.
    const owedMs = Math.round((this.observedInWindow * 1000) / this.rate - elapsed);
    if (owedMs > 0) {
      this.throttledMs += owedMs;
      await this.clock.sleep(owedMs);
    }
    this.windowStartMs = this.clock.now();
    this.observedInWindow = 0;
  }
}
