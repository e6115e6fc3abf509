// A FaultyFs that records which paths are fsynced or unlinked on the main thread (fsyncSync, unlinkSync)
// and which are fsynced on the thread pool (fsync): for tests that keep journal work off the main thread.
import { FaultyFs } from '../../helpers/faulty-fs.js';

export class ThreadWatchFs extends FaultyFs {
  fsyncedOnMainThread: string[] = [];
  fsyncedInBackground: string[] = [];
  unlinkedOnMainThread: string[] = [];

  override fsyncSync(fd: number): void {
    this.fsyncedOnMainThread.push(this.paths.get(fd) ?? '?');
    super.fsyncSync(fd);
  }
  override fsync(fd: number): Promise<void> {
    this.fsyncedInBackground.push(this.paths.get(fd) ?? '?');
    return super.fsync(fd);
  }
  override unlinkSync(path: string): void {
    this.unlinkedOnMainThread.push(path);
    super.unlinkSync(path);
  }
  /** Forgets what was recorded so far (after a test's set-up). */
  reset(): void {
    this.fsyncedOnMainThread.length = this.fsyncedInBackground.length = this.unlinkedOnMainThread.length = 0;
  }
}
