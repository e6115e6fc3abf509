// A GroupClock that moves only when told, so tests drive session and rebalance timeouts deterministically.
import type { GroupClock, TimerHandle } from '../../host-node/group/clock.js';

/** A clock that moves only when told (tests). Timers fire in deadline order during advance(). */
export class ManualClock implements GroupClock {
  private t: number;
  private timers = new Map<number, { at: number; seq: number; fn: () => void }>();
  private seq = 0;
  private nextId = 1;
  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const h = { id: this.nextId++ };
    this.timers.set(h.id, { at: this.t + Math.max(0, ms), seq: this.seq++, fn });
    return h;
  }
  clearTimeout(h: TimerHandle): void {
    this.timers.delete(h.id);
  }
  get pendingTimers(): number {
    return this.timers.size;
  }
  /** Moves time forward by `ms`, firing every timer that falls due on the way (including ones they set). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let best: [number, { at: number; seq: number; fn: () => void }] | null = null;
      for (const e of this.timers) if (e[1].at <= end && (best === null || e[1].at < best[1].at || (e[1].at === best[1].at && e[1].seq < best[1].seq))) best = e;
      if (best === null) break;
      this.timers.delete(best[0]);
      this.t = Math.max(this.t, best[1].at);
      best[1].fn();
    }
    this.t = end;
  }
}
