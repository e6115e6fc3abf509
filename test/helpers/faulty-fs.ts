// A StorageFs that injects failures (ENOSPC, EIO, torn writes) and counts calls: the fault-injection
// seam for tests (unit and fault tests). Wraps another StorageFs (normally realFs).
import { ForwardingFs, type StorageFs } from '../../storage/fs.js';
import { realFs } from '../../host-node/storage/node-fs.js';

export type FsOp = 'open' | 'write' | 'read' | 'ftruncate' | 'fsync' | 'fdatasync' | 'rename' | 'unlink' | 'mkdir';

export interface FaultRule {
  op: FsOp;
  /** errno code to throw (ENOSPC, EIO, ...). */
  code: string;
  /** Only for paths containing this string (the fd's path for fd ops). */
  pathIncludes?: string;
  /** How many times to fire (default: until removed). */
  times?: number;
  /** For writes: write this many bytes before failing (a torn write). */
  tornBytes?: number;
}

export class FaultyFs extends ForwardingFs {
  private rules: FaultRule[] = [];
  readonly counts: Record<FsOp, number> = { open: 0, write: 0, read: 0, ftruncate: 0, fsync: 0, fdatasync: 0, rename: 0, unlink: 0, mkdir: 0 };

  constructor(inner: StorageFs = realFs) {
    super(inner);
  }

  inject(rule: FaultRule): () => void {
    this.rules.push(rule);
    return () => this.remove(rule);
  }
  remove(rule: FaultRule): void {
    this.rules = this.rules.filter((r) => r !== rule);
  }
  clear(): void {
    this.rules = [];
  }
  /** fsync + fdatasync calls so far (sync and async). */
  get syncs(): number {
    return this.counts.fsync + this.counts.fdatasync;
  }

  private fault(op: FsOp, path: string | undefined): FaultRule | null {
    this.counts[op]++;
    for (const r of this.rules) {
      if (r.op !== op) continue;
      if (r.pathIncludes !== undefined && !(path ?? '').includes(r.pathIncludes)) continue;
      if (r.times !== undefined) {
        if (r.times <= 0) continue;
        r.times--;
      }
      return r;
    }
    return null;
  }
  private static error(code: string, op: string, path?: string): NodeJS.ErrnoException {
    const e = new Error(`${code}: injected fault, ${op} '${path ?? ''}'`) as NodeJS.ErrnoException;
    e.code = code;
    e.syscall = op;
    if (path) e.path = path;
    return e;
  }
  private maybeThrow(op: FsOp, path: string | undefined): void {
    const r = this.fault(op, path);
    if (r) throw FaultyFs.error(r.code, op, path);
  }

  override openSync(path: string, flags: string | number): number {
    this.maybeThrow('open', path);
    return super.openSync(path, flags);
  }
  override writeSync(fd: number, data: Uint8Array, offset?: number, length?: number, position?: number | null): number {
    const path = this.paths.get(fd);
    const r = this.fault('write', path);
    if (r) {
      if (r.tornBytes !== undefined && r.tornBytes > 0) {
        const n = Math.min(r.tornBytes, length ?? data.byteLength - (offset ?? 0));
        this.inner.writeSync(fd, data, offset, n, position);
      }
      throw FaultyFs.error(r.code, 'write', path);
    }
    return this.inner.writeSync(fd, data, offset, length, position);
  }
  override readSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
    this.maybeThrow('read', this.paths.get(fd));
    return this.inner.readSync(fd, buf, offset, length, position);
  }
  override ftruncateSync(fd: number, len: number): void {
    this.maybeThrow('ftruncate', this.paths.get(fd));
    this.inner.ftruncateSync(fd, len);
  }
  override fsyncSync(fd: number): void {
    this.maybeThrow('fsync', this.paths.get(fd));
    this.inner.fsyncSync(fd);
  }
  override fdatasyncSync(fd: number): void {
    this.maybeThrow('fdatasync', this.paths.get(fd));
    this.inner.fdatasyncSync(fd);
  }
  override fdatasync(fd: number): Promise<void> {
    const r = this.fault('fdatasync', this.paths.get(fd));
    if (r) return Promise.reject(FaultyFs.error(r.code, 'fdatasync', this.paths.get(fd)));
    return this.inner.fdatasync(fd);
  }
  override fsync(fd: number): Promise<void> {
    const r = this.fault('fsync', this.paths.get(fd));
    if (r) return Promise.reject(FaultyFs.error(r.code, 'fsync', this.paths.get(fd)));
    return this.inner.fsync ? this.inner.fsync(fd) : this.inner.fdatasync(fd);
  }
  override renameSync(from: string, to: string): void {
    this.maybeThrow('rename', from);
    this.inner.renameSync(from, to);
  }
  override rename(from: string, to: string): Promise<void> {
    const r = this.fault('rename', from);
    if (r) return Promise.reject(FaultyFs.error(r.code, 'rename', from));
    return this.inner.rename(from, to);
  }
  override unlinkSync(path: string): void {
    this.maybeThrow('unlink', path);
    this.inner.unlinkSync(path);
  }
  override mkdirSync(path: string): void {
    this.maybeThrow('mkdir', path);
    this.inner.mkdirSync(path);
  }
}
