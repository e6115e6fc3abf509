// Time and timers for the coordinator, injectable so tests drive session/rebalance timeouts
// deterministically (test/groups/manual-clock.ts) while the broker uses the real ones (systemClock).

export type TimerHandle = { readonly id: number };

export interface GroupClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(h: TimerHandle): void;
}

let nextId = 1;

export const systemClock: GroupClock = (() => {
  const live = new Map<number, ReturnType<typeof setTimeout>>();
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const h = { id: nextId++ };
      // Node's timers cap at 2^31-1 ms; longer ones fire early otherwise.
      const t = setTimeout(() => {
        live.delete(h.id);
        fn();
      }, Math.min(Math.max(0, ms), 0x7fffffff));
      t.unref?.();
      live.set(h.id, t);
      return h;
    },
    clearTimeout(h) {
      const t = live.get(h.id);
      if (t !== undefined) {
        clearTimeout(t);
        live.delete(h.id);
      }
    },
  };
})();
