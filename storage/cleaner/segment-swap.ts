// The file steps of swapping cleaned segments into a log (Kafka's replaceSegments), kept apart from the
// log's in-memory bookkeeping (Log.replaceSegments). The commit point of a group is the durable rename of
// `<base>.log.cleaned` to `<base>.log.swap`: before it, the next start deletes every `.cleaned` and `.swap`
// file and finds the old segments untouched; after it, the next start deletes the old segments in
// [base, groupEnd) and renames the `.swap` files to their final names (recovery.ts, completeSwaps). So no
// old segment may lose its name before that rename is durable, and the groupend file must be durable
// (under one of its two names) before it.
//
// The steps before the commit run on the cleaner thread at the end of its cleaning (prepareSwap: the
// groupend and index files renamed `.swap`, then the directory fsync the cleaning ends with), the commit and
// the steps after it on the thread that serves the log (commitSwap, finishSwap): a groupend or index
// `.swap` without its `.log.swap` is as uncommitted as a `.cleaned` file, removed at the next start and when
// the result is refused (discardCleanedFiles).
import { errnoCode } from '../errors.js';
import { fsyncDir, type StorageFs } from '../fs.js';
import { DELETED_SUFFIX } from '../segment.js';
import { CLEANED_SUFFIX, GROUP_END_SUFFIX, SWAP_SUFFIX, cleanedFilePath } from './cleaned-files.js';

/** The four files of the cleaned segment at `baseOffset` as a cleaning hands them over (after prepareSwap). */
export function preparedSegmentPaths(dir: string, baseOffset: number): { log: string; index: string; timeIndex: string; groupEnd: string } {
  return {
    log: cleanedFilePath(dir, baseOffset, '.log', CLEANED_SUFFIX),
    index: cleanedFilePath(dir, baseOffset, '.index', SWAP_SUFFIX),
    timeIndex: cleanedFilePath(dir, baseOffset, '.timeindex', SWAP_SUFFIX),
    groupEnd: cleanedFilePath(dir, baseOffset, GROUP_END_SUFFIX, SWAP_SUFFIX),
  };
}

/**
 * `.cleaned` → `.swap` for the groupend and index files of the groups based at `bases`, on the cleaner
 * thread once every cleaned segment is written and synced; the caller fsyncs the directory after it (the
 * groupend durable under one of its names before any commit). A missing index file is let be (rebuilt when
 * the segment is opened); a missing groupend throws.
 */
export function prepareSwap(fs: StorageFs, dir: string, bases: readonly number[]): void {
  for (const b of bases) {
    fs.renameSync(cleanedFilePath(dir, b, GROUP_END_SUFFIX, CLEANED_SUFFIX), cleanedFilePath(dir, b, GROUP_END_SUFFIX, SWAP_SUFFIX));
    for (const kind of ['.timeindex', '.index'] as const) renameIfPresent(fs, cleanedFilePath(dir, b, kind, CLEANED_SUFFIX), cleanedFilePath(dir, b, kind, SWAP_SUFFIX));
  }
}

/**
 * The commit of the groups based at `bases`, prepared (prepareSwap) and made durable by the cleaning: each
 * group's `.log.cleaned` → `.log.swap`, then the directory fsynced, on the calling thread (see
 * Log.replaceSegments for why). A group whose groupend is not `.swap` (not prepared) throws before anything
 * is committed, as does a missing .log.
 */
export function commitSwap(fs: StorageFs, dir: string, bases: readonly number[]): void {
  for (const b of bases) {
    const groupEnd = cleanedFilePath(dir, b, GROUP_END_SUFFIX, SWAP_SUFFIX);
    if (!fs.existsSync(groupEnd)) throw new Error(`cleaned segment ${b} of ${dir} was not prepared for its swap: no ${groupEnd}`);
  }
  for (const b of bases) fs.renameSync(cleanedFilePath(dir, b, '.log', CLEANED_SUFFIX), cleanedFilePath(dir, b, '.log', SWAP_SUFFIX));
  fsyncDir(fs, dir);
}

/**
 * `.swap` → final names for one group whose old segments were renamed `.deleted`: the indexes, then the
 * .log (a crash in between: recovery completes it from the .log.swap), then the groupend file, which
 * recovery no longer needs, is renamed `.deleted`. Returns that path: the caller unlinks it off this thread
 * (an unlink here waits on the file system's journal far longer than a rename; the next start removes it
 * as any `.deleted` file, and a later swap of the same base only ever renames over it).
 */
export function finishSwap(fs: StorageFs, dir: string, base: number): string {
  for (const kind of ['.timeindex', '.index'] as const) renameIfPresent(fs, cleanedFilePath(dir, base, kind, SWAP_SUFFIX), cleanedFilePath(dir, base, kind, ''));
  fs.renameSync(cleanedFilePath(dir, base, '.log', SWAP_SUFFIX), cleanedFilePath(dir, base, '.log', ''));
  const groupEnd = cleanedFilePath(dir, base, GROUP_END_SUFFIX, '') + DELETED_SUFFIX;
  fs.renameSync(cleanedFilePath(dir, base, GROUP_END_SUFFIX, SWAP_SUFFIX), groupEnd);
  return groupEnd;
}

function renameIfPresent(fs: StorageFs, from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
}
