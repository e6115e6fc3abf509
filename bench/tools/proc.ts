// What /proc says about a process (Linux): the benches' per-record CPU figures come from here.
import { readFileSync } from 'node:fs';

/** CPU time (user + system, ms) a process has used so far, from /proc (null where there is no /proc). */
export function cpuMs(pid: number | undefined): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const after = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return ((Number(after[11]) + Number(after[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return null;
  }
}
