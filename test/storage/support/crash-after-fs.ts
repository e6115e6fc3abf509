// A StorageFs that "crashes" after a number of renames and fsyncs: from then on every call that would change
// the disk throws (reads and closes still work, so the log can be closed abruptly), leaving the files
// exactly as a kill -9 at that point would, page cache included. Counting with no limit measures how many
// steps an operation takes.
import { ForwardingFs, type StorageFs } from '../../../storage/fs.js';
import { realFs } from '../../../host-node/storage/node-fs.js';

export class CrashAfterFs extends ForwardingFs {
  /** Renames and fsyncs (sync, async, fdatasync) done so far. */
  steps = 0;
  /** Steps allowed before the crash (Infinity: never). */
  limit = Infinity;
  /** The step log: `rename <from>` / `fsync <path>`. */
  readonly log: string[] = [];

  constructor(inner: StorageFs = realFs) {
    super(inner);
  }

  get crashed(): boolean {
    return this.steps >= this.limit;
  }

  private step(what: string): void {
    if (this.crashed) throw crash(what);
    this.steps++;
    this.log.push(what);
  }
  private alive(what: string): void {
    if (this.crashed) throw crash(what);
  }

  override openSync(path: string, flags: string | number): number {
    if (flags !== 'r') this.alive(`open ${path}`);
    return super.openSync(path, flags);
  }
  override writeSync(fd: number, data: Uint8Array, offset?: number, length?: number, position?: number | null): number {
    this.alive(`write ${this.paths.get(fd)}`);
    return super.writeSync(fd, data, offset, length, position);
  }
  override ftruncateSync(fd: number, len: number): void {
    this.alive(`ftruncate ${this.paths.get(fd)}`);
    super.ftruncateSync(fd, len);
  }
  override fsyncSync(fd: number): void {
    this.step(`fsync ${this.paths.get(fd)}`);
    super.fsyncSync(fd);
  }
  override fdatasyncSync(fd: number): void {
    this.step(`fsync ${this.paths.get(fd)}`);
    super.fdatasyncSync(fd);
  }
  override fdatasync(fd: number): Promise<void> {
    try {
      this.step(`fsync ${this.paths.get(fd)}`);
    } catch (e) {
      return Promise.reject(e);
    }
    return super.fdatasync(fd);
  }
  override fsync(fd: number): Promise<void> {
    try {
      this.step(`fsync ${this.paths.get(fd)}`);
    } catch (e) {
      return Promise.reject(e);
    }
    return super.fsync(fd);
  }
  override renameSync(from: string, to: string): void {
    this.step(`rename ${from}`);
    super.renameSync(from, to);
  }
  override rename(from: string, to: string): Promise<void> {
    try {
      this.step(`rename ${from}`);
    } catch (e) {
      return Promise.reject(e);
    }
    return super.rename(from, to);
  }
  override unlinkSync(path: string): void {
    this.alive(`unlink ${path}`);
    super.unlinkSync(path);
  }
  override mkdirSync(path: string): void {
    this.alive(`mkdir ${path}`);
    super.mkdirSync(path);
  }
  override rm(path: string): Promise<void> {
    if (this.crashed) return Promise.reject(crash(`rm ${path}`));
    return super.rm(path);
  }
}

function crash(what: string): Error {
  const e = new Error(`EIO: crashed before ${what}`) as Error & { code: string };
  e.code = 'EIO';
  return e;
}
