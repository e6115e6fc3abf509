// The storage engine's file port (StorageFs) over one partition directory of the Origin Private File
// System, so the broker's log (storage/log.ts, with its segments, indexes and recovery) runs unchanged in
// a Worker.
//
// FileSystemSyncAccessHandle gives synchronous read/write/truncate/flush on an open file, which is all the
// segment code needs on its hot path; opening a file and removing one are asynchronous in OPFS. So the
// files are opened ahead of time (`prepare`) and `openSync` only hands out an already open handle;
// `unlinkSync` empties the file at once and removes it in `finishRemovals`. Handles stay open until
// `closeAll` (a sync access handle is an exclusive lock on the file; re-opening would be asynchronous).
// The directory itself opens as a descriptor whose fsync does nothing: OPFS makes a created file's entry
// durable by itself. Write, truncate and flush failures carry errno codes (ENOSPC for an exceeded quota,
// EIO otherwise), so the log applies its failure rule to them.
import type { StorageFs } from '../../storage/fs.js';

interface OpenFile {
  name: string;
  handle: FileSystemSyncAccessHandle;
  /** False for a file created by `prepare` that the segment code has not opened yet. */
  exists: boolean;
}

/** An error with an errno-like code, as the storage engine expects from its file layer. */
function fsError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** An OPFS failure as an errno-coded error: a full quota is ENOSPC (the log may resume once space is freed), anything else EIO. */
function ioError(e: unknown, what: string): Error {
  const name = (e as { name?: string } | null)?.name;
  const message = `${what}: ${(e as Error | null)?.message ?? String(e)}`;
  return Object.assign(fsError(name === 'QuotaExceededError' ? 'ENOSPC' : 'EIO', message), { cause: e });
}

/** The descriptor `openSync` hands out for the directory itself. */
const DIR_FD = 0;

/**
 * createSyncAccessHandle, retried for a short while when the file is still locked: a tab that was just
 * closed or killed releases its handles a moment after its Web Lock.
 */
export async function openSyncHandle(fh: FileSystemFileHandle, waitMs = 5000): Promise<FileSystemSyncAccessHandle> {
  const deadline = Date.now() + waitMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 250)) {
    try {
      return await fh.createSyncAccessHandle();
    } catch (e) {
      if ((e as { name?: string }).name !== 'NoModificationAllowedError' || Date.now() + delay > deadline) throw e;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

export class OpfsFs implements StorageFs {
  private readonly files = new Map<string, OpenFile>();
  private readonly fds = new Map<number, OpenFile>();
  private readonly fdOf = new Map<string, number>();
  private nextFd = 3;
  private readonly removals = new Set<string>();

  private constructor(
    readonly dirHandle: FileSystemDirectoryHandle,
    /** The directory's name, used as the path prefix: paths look like `orders-0/00000000000000000000.log`. */
    readonly dir: string,
  ) {}

  /** Opens every file of the directory whose name passes `want`. */
  static async open(dirHandle: FileSystemDirectoryHandle, dir: string, want: (name: string) => boolean): Promise<OpfsFs> {
    const fs = new OpfsFs(dirHandle, dir);
    const names: string[] = [];
    for await (const name of (dirHandle as unknown as { keys(): AsyncIterable<string> }).keys()) if (want(name)) names.push(name);
    for (const name of names) await fs.openFile(name, true);
    return fs;
  }

  /** Opens (creating when missing) the named files so that `openSync` can hand them out later. */
  async prepare(names: string[]): Promise<void> {
    for (const name of names) if (!this.files.has(this.path(name))) await this.openFile(name, false);
  }

  private async openFile(name: string, exists: boolean): Promise<void> {
    const fh = await this.dirHandle.getFileHandle(name, { create: true });
    const handle = await openSyncHandle(fh);
    this.files.set(this.path(name), { name, handle, exists });
  }

  path(name: string): string {
    return `${this.dir}/${name}`;
  }

  private file(path: string): OpenFile {
    const f = this.files.get(path);
    if (!f || this.removals.has(path)) throw fsError('ENOENT', `${path} (not opened ahead in OPFS)`);
    return f;
  }
  private byFd(fd: number): OpenFile {
    const f = this.fds.get(fd);
    if (!f) throw fsError('EBADF', `fd ${fd}`);
    return f;
  }

  openSync(path: string, flags: string | number): number {
    if (path === this.dir) return DIR_FD;
    const f = this.file(path);
    const flagStr = String(flags);
    if (flagStr.includes('x') && f.exists) throw fsError('EEXIST', path);
    if (!f.exists && !flagStr.includes('w')) throw fsError('ENOENT', path);
    if (flagStr.startsWith('w')) f.handle.truncate(0);
    f.exists = true;
    let fd = this.fdOf.get(path);
    if (fd === undefined) {
      fd = this.nextFd++;
      this.fdOf.set(path, fd);
      this.fds.set(fd, f);
    }
    return fd;
  }

  /** Keeps the handle open (re-opening is asynchronous); `closeAll` really closes. */
  closeSync(fd: number): void {
    if (fd !== DIR_FD) this.byFd(fd);
  }

  writeSync(fd: number, data: Uint8Array, offset = 0, length = data.byteLength - offset, position: number | null = null): number {
    const f = this.byFd(fd);
    try {
      const at = position ?? f.handle.getSize();
      return f.handle.write(data.subarray(offset, offset + length), { at });
    } catch (e) {
      throw ioError(e, `write ${f.name}`);
    }
  }

  readSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
    return this.byFd(fd).handle.read(buf.subarray(offset, offset + length), { at: position });
  }

  fstatSize(fd: number): number {
    return this.byFd(fd).handle.getSize();
  }
  ftruncateSync(fd: number, len: number): void {
    const f = this.byFd(fd);
    try {
      f.handle.truncate(len);
    } catch (e) {
      throw ioError(e, `truncate ${f.name}`);
    }
  }
  /** Flushes the file's handle (nothing for the directory). */
  fsyncSync(fd: number): void {
    if (fd === DIR_FD) return;
    const f = this.byFd(fd);
    try {
      f.handle.flush();
    } catch (e) {
      throw ioError(e, `flush ${f.name}`);
    }
  }
  fdatasyncSync(fd: number): void {
    this.fsyncSync(fd);
  }
  /** A sync access handle only flushes synchronously: the flush runs now, the promise reports it. */
  async fdatasync(fd: number): Promise<void> {
    this.fsyncSync(fd);
  }
  async fsync(fd: number): Promise<void> {
    this.fsyncSync(fd);
  }

  renameSync(from: string, to: string): void {
    throw fsError('ENOTSUP', `rename ${from} → ${to} (not used by the browser log)`);
  }
  async rename(from: string, to: string): Promise<void> {
    this.renameSync(from, to);
  }

  /** Empties the file now (so a crash before the removal leaves an empty file, which recovery ignores). */
  unlinkSync(path: string): void {
    const f = this.file(path);
    f.handle.truncate(0);
    f.handle.flush();
    this.removals.add(path);
  }

  /** Closes and removes the files `unlinkSync` emptied. */
  async finishRemovals(): Promise<void> {
    for (const path of [...this.removals]) {
      const f = this.files.get(path);
      if (f) {
        f.handle.close();
        this.files.delete(path);
        const fd = this.fdOf.get(path);
        if (fd !== undefined) this.fds.delete(fd);
        this.fdOf.delete(path);
        await this.dirHandle.removeEntry(f.name).catch(() => undefined);
      }
      this.removals.delete(path);
    }
  }

  mkdirSync(): void {
    /* the partition directory exists before the OpfsFs does */
  }

  readdirSync(path: string): string[] {
    if (path !== this.dir) throw fsError('ENOENT', path);
    const out: string[] = [];
    for (const [p, f] of this.files) if (f.exists && !this.removals.has(p)) out.push(f.name);
    return out;
  }

  existsSync(path: string): boolean {
    if (path === this.dir) return true;
    const f = this.files.get(path);
    return f !== undefined && f.exists && !this.removals.has(path);
  }

  isDirectory(path: string): boolean {
    return path === this.dir;
  }

  readFileSync(path: string): Uint8Array {
    const f = this.file(path);
    const out = new Uint8Array(f.handle.getSize());
    let done = 0;
    while (done < out.byteLength) {
      const n = f.handle.read(out.subarray(done), { at: done });
      if (n <= 0) break;
      done += n;
    }
    return done === out.byteLength ? out : out.subarray(0, done);
  }

  async rm(path: string): Promise<void> {
    throw fsError('ENOTSUP', `rm ${path} (not used by the browser log)`);
  }

  /** Flushes and closes every handle (the files stay). */
  closeAll(): void {
    for (const f of this.files.values()) {
      try {
        f.handle.flush();
      } catch {
        /* closing anyway */
      }
      try {
        f.handle.close();
      } catch {
        /* already closed */
      }
    }
    this.files.clear();
    this.fds.clear();
    this.fdOf.clear();
  }
}
