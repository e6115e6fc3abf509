// Timers the storage engine needs beyond the standard setTimeout/setInterval, found at run time so the
// engine runs on every host: Node's unref (a timer that must not keep the process alive) and setImmediate
// (run after the pending I/O callbacks of this turn).

type Timer = ReturnType<typeof setTimeout>;

/** Lets the process exit while `t` is pending, where the host has the notion (Node, Deno, Bun). */
export function unrefTimer(t: Timer): void {
  (t as unknown as { unref?: () => void }).unref?.();
}

const hostSetImmediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;

/** Runs `f` once the current turn (and under Node, its pending I/O callbacks) is done. */
export function afterThisTurn(f: () => void): void {
  if (hostSetImmediate) hostSetImmediate(f);
  else setTimeout(f, 0);
}
