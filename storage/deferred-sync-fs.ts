// A StorageFs whose fsyncs can be collected and then run together, in parallel on the thread pool.
//
// Why: a clean shutdown closes every log, and each close fsyncs the log, its indexes, its directory and
// its producer snapshot. One at a time that is ~4 fsyncs × ~5 ms per partition here, so 10,000
// partitions took minutes; the same fsyncs issued together share journal commits and finish about 10×
// sooner (measured: 2.9 ms → 0.34 ms per fdatasync with 4 threads). While collecting, fsync calls only
// note the path (a file is fsynced through any descriptor, so the caller may close its own); sync()
// then opens, fsyncs and closes each path with `concurrency` in flight and reports the paths that
// failed, so the manager can refuse the clean-shutdown marker for their log dirs.
import { errnoCode } from './errors.js';
import { ForwardingFs } from './fs.js';

export class DeferredSyncFs extends ForwardingFs {
  private collected: Set<string> | null = null;

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
          const code = errnoCode(error);
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

  override fsyncSync(fd: number): void {
    if (!this.note(fd)) this.inner.fsyncSync(fd);
  }
  override fdatasyncSync(fd: number): void {
    if (!this.note(fd)) this.inner.fdatasyncSync(fd);
  }
  override renameSync(from: string, to: string): void {
    this.inner.renameSync(from, to);
    // A noted temp file renamed into place (writeFileAtomic, snapshots): fsync it under its new name.
    if (this.collected?.delete(from)) this.collected.add(to);
  }
  override async rename(from: string, to: string): Promise<void> {
    await this.inner.rename(from, to);
    if (this.collected?.delete(from)) this.collected.add(to);
  }
}
