// The storage port's file layer under Node: node:fs, synchronous on the hot path, fsync/fdatasync/rename
// also as promises so the storage engine can run them on the thread pool.
import * as nodeFs from 'node:fs';
import type { StorageFs } from '../../storage/fs.js';

export const realFs: StorageFs = {
  openSync: (p, f) => nodeFs.openSync(p, f),
  closeSync: (fd) => nodeFs.closeSync(fd),
  writeSync: (fd, data, offset, length, position) => nodeFs.writeSync(fd, data, offset ?? 0, length ?? data.byteLength - (offset ?? 0), position ?? null),
  readSync: (fd, buf, offset, length, position) => nodeFs.readSync(fd, buf, offset, length, position),
  fstatSize: (fd) => nodeFs.fstatSync(fd).size,
  ftruncateSync: (fd, len) => nodeFs.ftruncateSync(fd, len),
  fsyncSync: (fd) => nodeFs.fsyncSync(fd),
  fdatasyncSync: (fd) => nodeFs.fdatasyncSync(fd),
  fdatasync: (fd) =>
    new Promise<void>((resolve, reject) => nodeFs.fdatasync(fd, (err) => (err ? reject(err) : resolve()))),
  fsync: (fd) => new Promise<void>((resolve, reject) => nodeFs.fsync(fd, (err) => (err ? reject(err) : resolve()))),
  renameSync: (a, b) => nodeFs.renameSync(a, b),
  rename: (a, b) => nodeFs.promises.rename(a, b),
  unlinkSync: (p) => nodeFs.unlinkSync(p),
  mkdirSync: (p) => void nodeFs.mkdirSync(p, { recursive: true }),
  readdirSync: (p) => nodeFs.readdirSync(p),
  existsSync: (p) => nodeFs.existsSync(p),
  isDirectory: (p) => {
    try {
      return nodeFs.statSync(p).isDirectory();
    } catch {
      return false;
    }
  },
  readFileSync: (p) => nodeFs.readFileSync(p),
  rm: (p) => nodeFs.promises.rm(p, { recursive: true, force: true }),
};
