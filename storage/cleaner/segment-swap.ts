// The file steps of swapping cleaned segments into a log (Kafka's replaceSegments), kept apart from the
// log's in-memory bookkeeping (Log.replaceSegments). The commit point of a group is the durable rename of
// `<base>.log.cleaned` to `<base>.log.swap`: before it, the next start deletes every `.cleaned` and `.swap`
// file and finds the old segments untouched; after it, the next start deletes the old segments in
// [base, groupEnd) and renames the `.swap` files to their final names (recovery.ts, completeSwaps). So no
// old segment may lose its name before that rename is durable, and the groupend file must be durable
// (under one of its two names) before it.
import { errnoCode } from '../errors.js';
import { fsyncDir, type StorageFs } from '../fs.js';
import { CLEANED_SUFFIX, GROUP_END_SUFFIX, SWAP_SUFFIX, cleanedFilePath } from './cleaned-files.js';

/**
 * `.cleaned` → `.swap` for the groups based at `bases`: groupend and index files first, the directory
 * fsynced, then each group's .log (the commit), and the directory fsynced again. Both fsyncs run on the
 * calling thread: see Log.replaceSegments for why. A missing index file is let be (rebuilt when the segment
 * is opened); a missing .log or groupend throws before anything is committed.
 */
export function commitSwap(fs: StorageFs, dir: string, bases: readonly number[]): void {
  for (const b of bases) {
    fs.renameSync(cleanedFilePath(dir, b, GROUP_END_SUFFIX, CLEANED_SUFFIX), cleanedFilePath(dir, b, GROUP_END_SUFFIX, SWAP_SUFFIX));
    for (const kind of ['.timeindex', '.index'] as const) renameIfPresent(fs, cleanedFilePath(dir, b, kind, CLEANED_SUFFIX), cleanedFilePath(dir, b, kind, SWAP_SUFFIX));
  }
  fsyncDir(fs, dir);
  for (const b of bases) fs.renameSync(cleanedFilePath(dir, b, '.log', CLEANED_SUFFIX), cleanedFilePath(dir, b, '.log', SWAP_SUFFIX));
  fsyncDir(fs, dir);
}

/**
 * `.swap` → final names for one group whose old segments were renamed `.deleted`: the indexes, then the
 * .log, then the groupend file is removed (a crash in between: recovery completes it from the .log.swap).
 */
export function finishSwap(fs: StorageFs, dir: string, base: number): void {
  for (const kind of ['.timeindex', '.index'] as const) renameIfPresent(fs, cleanedFilePath(dir, base, kind, SWAP_SUFFIX), cleanedFilePath(dir, base, kind, ''));
  fs.renameSync(cleanedFilePath(dir, base, '.log', SWAP_SUFFIX), cleanedFilePath(dir, base, '.log', ''));
  fs.unlinkSync(cleanedFilePath(dir, base, GROUP_END_SUFFIX, SWAP_SUFFIX));
}

function renameIfPresent(fs: StorageFs, from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
}
