// The `.lock` file in each log directory: one broker owns a directory at a time, as in Kafka. It is taken
// before anything in the directory is read or written (meta.properties, recovery, checkpoints), so a second
// broker started on a directory in use stops before touching the live broker's files.
//
// Node has no flock()/fcntl() lock in its standard library, so the lock is a file that names its holder:
// its pid and a start token (the boot id and the process's start time from /proc/<pid>/stat). A lock whose
// holder is gone is stale and is taken over at once, so a broker killed with SIGKILL never blocks its
// restart; a pid reused by another process does not hold the lock either, as its start token differs.
// docs/storage.md ("The log directory lock") explains the choice.

import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = '.lock';

/** A second broker on a log directory in use: the directory and the process holding its lock. */
export class LogDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holderPid: number,
  ) {
    const holder = holderPid === process.pid ? `a broker in this process (pid ${holderPid})` : `another process (pid ${holderPid})`;
    super(`Failed to acquire lock on file ${LOCK_FILE} in ${dir}: the directory is in use by ${holder}`);
    this.name = 'LogDirLockedError';
  }
}

/** Who holds a lock, as written in the lock file. */
interface LockHolder {
  readonly pid: number;
  /** `<boot id>:<start time in clock ticks>`, or '' where /proc is not available. */
  readonly start: string;
}

/** The locks of a broker's log directories, released together. */
export interface LogDirLocks {
  readonly dirs: readonly string[];
  /** Removes every lock file this broker still holds; safe to call more than once. */
  release(): void;
}

/**
 * Locks every log directory (creating it when missing), in order. When one is held by a live process, the
 * locks taken so far are released and LogDirLockedError is thrown.
 */
export function lockLogDirs(dirs: readonly string[]): LogDirLocks {
  const held: LockFile[] = [];
  try {
    for (const dir of dirs) held.push(lockLogDir(dir));
  } catch (e) {
    for (const l of held) l.release();
    throw e;
  }
  return { dirs: [...dirs], release: () => held.forEach((l) => l.release()) };
}

interface LockFile {
  release(): void;
}

/** Attempts before giving up when other brokers keep creating and removing the lock at the same moment. */
const MAX_ATTEMPTS = 5;

function lockLogDir(dir: string): LockFile {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const mine = renderHolder({ pid: process.pid, start: startToken(process.pid) ?? '' });
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (tryCreate(path, mine)) return ownedLock(path, mine);
    const text = readIfPresent(path);
    if (text === null) continue; // released in the meantime
    const holder = parseHolder(text);
    if (holder && holderAlive(holder, dir)) throw new LogDirLockedError(dir, holder.pid);
    removeStale(path, text);
  }
  throw new Error(`Failed to acquire lock on file ${LOCK_FILE} in ${dir}: other processes keep taking it`);
}

function ownedLock(path: string, mine: string): LockFile {
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      // Only our own lock is removed: a lock file rewritten by someone else is theirs.
      if (readIfPresent(path) === mine) unlinkSync(path);
    },
  };
}

/**
 * Creates the lock file with its content in one step: written to a temporary file, then hard-linked to
 * `.lock` (link fails when `.lock` exists). A reader never sees a lock file without its holder.
 */
function tryCreate(path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content);
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Removes a stale lock file whose content was `staleText`. It is first renamed aside (only one of several
 * brokers doing this at once succeeds); if what was moved is not the stale lock but one another broker has
 * just created, it is put back.
 */
function removeStale(path: string, staleText: string): void {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // another broker removed it first
    throw e;
  }
  try {
    if (readIfPresent(aside) !== staleText) linkSync(aside, path);
  } catch (e) {
    // EEXIST: a third broker took the lock meanwhile; the next attempt finds its holder.
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(aside);
  }
}

function renderHolder(h: LockHolder): string {
  return `pid=${h.pid}\nstart=${h.start}\n`;
}

/** The holder named by a lock file, or null for a file that names none (e.g. the empty `.lock` Kafka leaves). */
function parseHolder(text: string): LockHolder | null {
  const pid = /^pid=(\d+)$/m.exec(text);
  const start = /^start=(.*)$/m.exec(text);
  if (!pid || !start) return null;
  const n = Number(pid[1]);
  return Number.isSafeInteger(n) && n > 0 ? { pid: n, start: start[1]! } : null;
}

/**
 * Whether the process that wrote the lock is still running (not gone, not a zombie, not a reused pid). Where
 * the runtime may not signal processes (Deno without --allow-run) this cannot be known: that is an error
 * naming the lock file, rather than a guess either way.
 */
function holderAlive(holder: LockHolder, dir: string): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    // EPERM: it exists but belongs to another user.
    if (code !== 'EPERM')
      throw new Error(
        `Failed to acquire lock on file ${LOCK_FILE} in ${dir}: it names pid ${holder.pid}, and whether that process runs cannot be checked here (${(e as Error).message}); remove the file if no broker uses the directory`,
      );
  }
  const stat = readStat(holder.pid);
  // Without /proc a running pid is all that can be known; with it, an unreadable stat is a process just gone.
  if (stat === null) return !procAvailable();
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return holder.start === '' || holder.start === `${bootId()}:${stat.startTicks}`;
}

/** This boot's id and a process's start time, or null where /proc is not available. */
function startToken(pid: number): string | null {
  const stat = readStat(pid);
  return stat ? `${bootId()}:${stat.startTicks}` : null;
}

let procAvailable_: boolean | undefined;
function procAvailable(): boolean {
  return (procAvailable_ ??= readStat(process.pid) !== null);
}

let bootId_: string | undefined;
function bootId(): string {
  return (bootId_ ??= readProc('/proc/sys/kernel/random/boot_id')?.trim() ?? '');
}

function readProc(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/**
 * Fields 3 (state) and 22 (start time) of /proc/<pid>/stat; null when it cannot be read (no such process, no
 * /proc, or a runtime that does not allow it, as Deno without --allow-all).
 */
function readStat(pid: number): { state: string; startTicks: string } | null {
  const text = readProc(`/proc/${pid}/stat`);
  if (text === null) return null;
  // The command name (field 2) is in parentheses and may hold spaces or ')': fields 3.. follow the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = rest[0];
  const startTicks = rest[22 - 3];
  return state && startTicks ? { state, startTicks } : null;
}

function readIfPresent(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}
