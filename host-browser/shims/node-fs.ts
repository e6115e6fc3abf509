// Browser stand-in for `node:fs` in the bundle (scripts/build-browser.mjs aliases it). host-node/storage/fs.ts
// builds its Node `realFs` from it at import time but the browser log never calls it: every file operation
// goes through the OPFS StorageFs (host-browser/log/opfs-fs.ts). Any call here is a bug, so it says so.
function unavailable(): never {
  throw new Error('node:fs is not available in the browser (host-browser uses OPFS)');
}
export const openSync = unavailable;
export const closeSync = unavailable;
export const writeSync = unavailable;
export const readSync = unavailable;
export const fstatSync = unavailable;
export const ftruncateSync = unavailable;
export const fsyncSync = unavailable;
export const fdatasyncSync = unavailable;
export const fdatasync = unavailable;
export const fsync = unavailable;
export const fstat = unavailable;
export const open = unavailable;
export const close = unavailable;
export const read = unavailable;
export const write = unavailable;
export const writev = unavailable;
export const stat = unavailable;
export const rmSync = unavailable;
export const renameSync = unavailable;
export const unlinkSync = unavailable;
export const mkdirSync = unavailable;
export const readdirSync = unavailable;
export const existsSync = unavailable;
export const statSync = unavailable;
export const readFileSync = unavailable;
export const promises = { rm: unavailable, open: unavailable, readFile: unavailable, writeFile: unavailable, unlink: unavailable, rename: unavailable };
