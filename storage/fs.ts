// The file layer's port: every file operation storage does goes through a StorageFs, which each host
// supplies (Node's fs in host-node/storage/node-fs.ts, OPFS sync access handles in host-browser/log/), and
// tests wrap to inject ENOSPC/EIO, torn writes and count fsyncs deterministically. Sync calls on the hot
// path (writeSync is ~7x FileHandle.write under Node); fdatasync also exists as a promise so group commit
// can run it off the main thread. Errors carry Node's errno codes (`code: 'ENOENT'`, …) whatever the host.

import { errnoCode, invariant } from './errors.js';
import { parentOf } from './path.js';

export interface StorageFs {
  openSync(path: string, flags: string | number): number;
  closeSync(fd: number): void;
  writeSync(fd: number, data: Uint8Array, offset?: number, length?: number, position?: number | null): number;
  readSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  fstatSize(fd: number): number;
  ftruncateSync(fd: number, len: number): void;
  fsyncSync(fd: number): void;
  fdatasyncSync(fd: number): void;
  /** fdatasync on the thread pool; the fd must stay open until it settles. */
  fdatasync(fd: number): Promise<void>;
  /** fsync on the thread pool (data and metadata); optional, fdatasync stands in where absent. */
  fsync?(fd: number): Promise<void>;
  renameSync(from: string, to: string): void;
  /** rename on the thread pool (a journal operation: it can wait behind a commit under writeback). */
  rename(from: string, to: string): Promise<void>;
  unlinkSync(path: string): void;
  mkdirSync(path: string): void;
  readdirSync(path: string): string[];
  existsSync(path: string): boolean;
  isDirectory(path: string): boolean;
  readFileSync(path: string): Uint8Array;
  rm(path: string): Promise<void>;
}

/**
 * A StorageFs that hands every call to `inner` and remembers which path each descriptor it opened belongs
 * to: the base of the wrappers (fault injection, deferred fsyncs), which override only what they change.
 */
export class ForwardingFs implements StorageFs {
  /** fd → path, for every descriptor opened through this fs (fd operations only receive the fd). */
  protected readonly paths = new Map<number, string>();

  constructor(readonly inner: StorageFs) {}

  openSync(path: string, flags: string | number): number {
    const fd = this.inner.openSync(path, flags);
    this.paths.set(fd, path);
    return fd;
  }
  closeSync(fd: number): void {
    this.paths.delete(fd);
    this.inner.closeSync(fd);
  }
  writeSync(fd: number, data: Uint8Array, offset?: number, length?: number, position?: number | null): number {
    return this.inner.writeSync(fd, data, offset, length, position);
  }
  readSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
    return this.inner.readSync(fd, buf, offset, length, position);
  }
  fstatSize(fd: number): number {
    return this.inner.fstatSize(fd);
  }
  ftruncateSync(fd: number, len: number): void {
    this.inner.ftruncateSync(fd, len);
  }
  fsyncSync(fd: number): void {
    this.inner.fsyncSync(fd);
  }
  fdatasyncSync(fd: number): void {
    this.inner.fdatasyncSync(fd);
  }
  fdatasync(fd: number): Promise<void> {
    return this.inner.fdatasync(fd);
  }
  fsync(fd: number): Promise<void> {
    return this.inner.fsync ? this.inner.fsync(fd) : this.inner.fdatasync(fd);
  }
  renameSync(from: string, to: string): void {
    this.inner.renameSync(from, to);
  }
  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }
  unlinkSync(path: string): void {
    this.inner.unlinkSync(path);
  }
  mkdirSync(path: string): void {
    this.inner.mkdirSync(path);
  }
  readdirSync(path: string): string[] {
    return this.inner.readdirSync(path);
  }
  existsSync(path: string): boolean {
    return this.inner.existsSync(path);
  }
  isDirectory(path: string): boolean {
    return this.inner.isDirectory(path);
  }
  readFileSync(path: string): Uint8Array {
    return this.inner.readFileSync(path);
  }
  rm(path: string): Promise<void> {
    return this.inner.rm(path);
  }
}

/** Writes all of `data` at `position` (loops on short writes; bounded). Returns bytes written. */
export function writeFully(fs: StorageFs, fd: number, data: Uint8Array, position: number): number {
  let done = 0;
  for (let i = 0; done < data.byteLength; i++) {
    if (i > 1024) throw new Error('writeFully: no progress');
    const n = fs.writeSync(fd, data, done, data.byteLength - done, position + done);
    done += n;
  }
  return done;
}

/** Reads up to `length` bytes at `position` into a new array (shorter at end of file). */
/** Reads into `into` from `position` until it is full or the file ends; returns the bytes read. */
export function readInto(fs: StorageFs, fd: number, into: Uint8Array, position: number): number {
  let done = 0;
  for (let i = 0; done < into.byteLength; i++) {
    invariant(i < 1 << 20, 'read makes progress');
    const n = fs.readSync(fd, into, done, into.byteLength - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

export function readAt(fs: StorageFs, fd: number, position: number, length: number): Uint8Array {
  const buf = new Uint8Array(length);
  let done = 0;
  for (let i = 0; done < length; i++) {
    if (i > 1024) throw new Error('readAt: no progress');
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** fsync a directory so a rename/create in it is durable. */
export function fsyncDir(fs: StorageFs, dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (e) {
    // Some file systems refuse fsync on directories (EISDIR/EINVAL); nothing more can be done there.
    const c = errnoCode(e);
    if (c !== 'EISDIR' && c !== 'EINVAL' && c !== 'EPERM') throw e;
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/**
 * fsync of a file or directory by path on the thread pool (an fd of its own, closed after). Directories on
 * file systems that refuse fsync are let be, as in fsyncDir.
 */
export async function fsyncInBackground(fs: StorageFs, path: string, isDir = false): Promise<void> {
  const fd = fs.openSync(path, 'r');
  try {
    await (fs.fsync ? fs.fsync(fd) : fs.fdatasync(fd));
  } catch (e) {
    const c = errnoCode(e);
    if (!isDir || (c !== 'EISDIR' && c !== 'EINVAL' && c !== 'EPERM')) throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes a small file atomically: temp file, fsync, rename over the target, fsync the directory. With
 * `sync` false the two fsyncs are left out: readers still never see a half-written file, but a crash may
 * lose the write (for files rebuilt at start-up anyway, e.g. partition.metadata).
 */
export function writeFileAtomic(fs: StorageFs, path: string, data: Uint8Array, sync = true): void {
  const tmp = path + '.tmp';
  const fd = fs.openSync(tmp, 'w');
  try {
    writeFully(fs, fd, data, 0);
    if (sync) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
  if (sync) fsyncDir(fs, parentOf(path));
}


/**
 * writeFileAtomic (synced) with both fsyncs on the thread pool, for files written while the broker serves
 * (periodic checkpoints): each fsync is a journal commit, 2-23 ms on the main thread here under writeback.
 * Callers keep writes of one path one at a time (they share the temp file).
 */
export async function writeFileAtomicInBackground(fs: StorageFs, path: string, data: Uint8Array): Promise<void> {
  const tmp = path + '.tmp';
  const fd = fs.openSync(tmp, 'w');
  try {
    writeFully(fs, fd, data, 0);
  } finally {
    fs.closeSync(fd);
  }
  await fsyncInBackground(fs, tmp);
  await fs.rename(tmp, path);
  await fsyncInBackground(fs, parentOf(path), true);
}
