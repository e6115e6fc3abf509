// The files a cleaning leaves beside a log's segments and the names they pass through while the main thread
// swaps them in (Kafka's order): `<base>.<kind>.cleaned` as the cleaner thread wrote them, `.swap` once the
// swap has begun, the final names once it is done. `<base>.groupend.*` holds the end offset of the group of
// old segments the cleaned one replaces (decimal text and a newline): recovery needs it to know which old
// segments a committed swap replaces, since the cleaned log may end well before the group did.
import { errnoCode } from '../errors.js';
import type { StorageFs } from '../fs.js';
import { joinPath } from '../path.js';
import { offsetFileName } from '../segment.js';

export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';
export const GROUP_END_SUFFIX = '.groupend';

/** The four files of one cleaned segment, in the order the swap renames them (the .log, the commit, last). */
export const CLEANED_KINDS = [GROUP_END_SUFFIX, '.timeindex', '.index', '.log'] as const;
export type CleanedKind = (typeof CLEANED_KINDS)[number];

/** `<dir>/<base20><kind><stage>`, e.g. `00000000000000000100.log.cleaned`. */
export function cleanedFilePath(dir: string, baseOffset: number, kind: CleanedKind, stage: typeof CLEANED_SUFFIX | typeof SWAP_SUFFIX | ''): string {
  return joinPath(dir, offsetFileName(baseOffset) + kind + stage);
}

/** The text of a groupend file. */
export function encodeGroupEnd(endOffset: number): Uint8Array {
  return new TextEncoder().encode(`${endOffset}\n`);
}

/** A groupend file's end offset, or null if the file is absent or does not hold one. */
export function readGroupEnd(fs: StorageFs, path: string): number | null {
  let text: string;
  try {
    text = new TextDecoder().decode(fs.readFileSync(path));
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return null;
    throw e;
  }
  const t = text.trim();
  if (!/^\d{1,16}$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Removes whatever is left of a cleaning's output for the groups based at `bases` (`.cleaned` and `.swap`
 * files), best effort: a cleaning given up before its swap committed. Returns how many files went.
 */
export function discardCleanedFiles(fs: StorageFs, dir: string, bases: Iterable<number>): number {
  let n = 0;
  for (const b of bases) {
    for (const kind of CLEANED_KINDS) {
      for (const stage of [CLEANED_SUFFIX, SWAP_SUFFIX] as const) {
        try {
          fs.unlinkSync(cleanedFilePath(dir, b, kind, stage));
          n++;
        } catch {
          /* not there (or the directory went with a deleted partition) */
        }
      }
    }
  }
  return n;
}
