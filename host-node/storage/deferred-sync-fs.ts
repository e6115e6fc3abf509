// A StorageFs whose fsyncs can be collected and then run together, in parallel on the thread pool.
//
// Why: a clean shutdown closes every log, and each close fsyncs the log, its indexes, its directory and
// its producer snapshot. One at a time that is ~4 fsyncs × ~5 ms per partition here, so 10,000
// partitions took minutes; the same fsyncs issued together share journal commits and finish about 10×
// sooner (measured: 2.9 ms → 0.34 ms per fdatasync with 4 threads). While collecting, fsync calls only
// note the path (a file is fsynced through any descriptor, so the caller may close its own); sync()
// then opens, fsyncs and closes each path with `concurrency` in flight and reports the paths that
// failed, so the manager can refuse the clean-shutdown marker for their log dirs.
import type { StorageFs } from './fs.js';

export class DeferredSyncFs implements StorageFs {
  /** fd → path, for every descriptor opened through this fs (fsync only receives the fd). */
  private readonly paths = new Map<number, string>();
  private collected: Set<string> | null = null;

  constructor(readonly inner: StorageFs) {}

  /** From now on fsync/fdatasync calls are noted, not run, until sync(). */
  collect(): void {
    this.collected ??= new Set();
  }

  /** fsyncs noted so far. */
  get collectedCount(): number {
    return this.collected?.size ?? 0;
  }

  /** Runs the noted fsyncs (at most `concurrency` at once); resolves with the paths whose fsync failed. */
  async sync(concurrency = 64): Promise<{ path: string; error: unknown }[]> {
    const todo = [...(this.collected ?? [])];
    this.collected = null;
    const failed: { path: string; error: unknown }[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const path = todo[next++]!;
        let fd = -1;
        try {
          fd = this.inner.openSync(path, 'r');
          await (this.inner.fsync ? this.inner.fsync(fd) : this.inner.fdatasync(fd));
        } catch (error) {
          // A directory some file systems refuse to fsync (as fsyncDir allows) is not a failure.
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'ENOENT') failed.push({ path, error });
        } finally {
          if (fd >= 0) this.inner.closeSync(fd);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
    return failed;
  }

  private note(fd: number): boolean {
    if (this.collected === null) return false;
    const path = this.paths.get(fd);
    if (path === undefined) return false; // not opened through us: fsync it now
    this.collected.add(path);
    return true;
  }

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
    if (!this.note(fd)) this.inner.fsyncSync(fd);
  }
  fdatasyncSync(fd: number): void {
    if (!this.note(fd)) this.inner.fdatasyncSync(fd);
  }
  fdatasync(fd: number): Promise<void> {
    return this.inner.fdatasync(fd);
  }
  fsync(fd: number): Promise<void> {
    return this.inner.fsync ? this.inner.fsync(fd) : this.inner.fdatasync(fd);
  }
  renameSync(from: string, to: string): void {
    this.inner.renameSync(from, to);
    // A noted temp file renamed into place (writeFileAtomic, snapshots): fsync it under its new name.
    if (this.collected?.delete(from)) this.collected.add(to);
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
  readFileSync(path: string): Buffer {
    return this.inner.readFileSync(path);
  }
  rm(path: string): Promise<void> {
    return this.inner.rm(path);
  }
}
