// Loading a partition directory (Kafka's LogLoader):
//  - a committed swap of cleaned segments (a `.log.swap`) is completed: the old segments it replaces are
//    deleted and the `.swap` files renamed; then leftovers (*.deleted, *.tmp, *.cleaned, uncommitted *.swap,
//    index files without a .log) are removed;
//  - clean start (clean-shutdown marker present): trust the files, sanity-check the indexes, walk the
//    batch headers after each segment's last index entry to find its end; a segment that fails the checks
//    is recovered as in an unclean start;
//  - unclean start: every segment from the one holding the recovery point on is validated batch by batch
//    by the core; the first invalid or torn batch and everything after it (later segments too) is cut,
//    and the indexes of those segments are rebuilt.
import { invariant } from './errors.js';
import {
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  LogSegment,
  TIME_INDEX_SUFFIX,
  parseOffsetFileName,
  type SegmentOptions,
} from './segment.js';
import { joinPath } from './path.js';
import { HEADER_PEEK_BYTES } from './core-port.js';
import { fsyncDir, readAt } from './fs.js';
import { CLEANED_SUFFIX, GROUP_END_SUFFIX, SWAP_SUFFIX, cleanedFilePath, readGroupEnd } from './cleaner/cleaned-files.js';

export interface LoadParams {
  dir: string;
  segmentOptions: SegmentOptions;
  clean: boolean;
  /** From recovery-point-offset-checkpoint (0 if absent). */
  recoveryPoint: number;
  /** From log-start-offset-checkpoint (0 if absent). */
  logStartOffset: number;
  maxBatchBytes: number;
  nowMs: number;
}

export interface LoadResult {
  segments: LogSegment[];
  recoveryPoint: number;
  logStartOffset: number;
  /** Bytes cut from torn/corrupt tails (0 on a clean start). */
  truncatedBytes: number;
  /** Segments whose batches were validated and indexes rebuilt. */
  recoveredSegments: number;
  /** Whole segments removed because they followed a corrupt one. */
  removedSegments: number;
}

const MAX_SEGMENTS = 10_000_000;

export function loadSegments(p: LoadParams): LoadResult {
  const bases = removeLeftovers(p);
  const opened = bases.map((b) => LogSegment.open(p.dir, b, p.segmentOptions, p.nowMs));
  const stats: LoadStats = { truncatedBytes: 0, recoveredSegments: 0, removedSegments: 0 };
  const needsRecovery = segmentsNeedingRecovery(p, opened);
  let segments = recoverSegments(p, opened.map((o) => o.segment), needsRecovery, stats);
  segments = dropIfBeforeLogStart(p, segments, stats);
  return activateSegments(p, segments, stats);
}

type OpenedSegment = ReturnType<typeof LogSegment.open>;

interface LoadStats {
  truncatedBytes: number;
  recoveredSegments: number;
  removedSegments: number;
}

/**
 * Deletes leftovers of interrupted operations and orphan indexes, and completes the swaps of cleaned
 * segments that were committed; returns the segments' base offsets, ascending.
 */
function removeLeftovers(p: LoadParams): number[] {
  const fs = p.segmentOptions.fs;
  completeSwaps(p);
  const names = fs.readdirSync(p.dir);
  invariant(names.length < MAX_SEGMENTS, 'segment count bounded');
  const logBases = new Set<number>();
  for (const n of names) {
    if (n.endsWith(DELETED_SUFFIX) || n.endsWith('.tmp') || n.endsWith(CLEANED_SUFFIX) || n.endsWith(SWAP_SUFFIX)) {
      fs.unlinkSync(joinPath(p.dir, n));
      continue;
    }
    const b = parseOffsetFileName(n, LOG_SUFFIX);
    if (b !== null) logBases.add(b);
  }
  for (const n of names) {
    const b = parseOffsetFileName(n, INDEX_SUFFIX) ?? parseOffsetFileName(n, TIME_INDEX_SUFFIX);
    if (b !== null && !logBases.has(b)) fs.unlinkSync(joinPath(p.dir, n)); // orphan index
  }
  return [...logBases].sort((a, b) => a - b);
}

/**
 * A `<b>.log.swap` means a cleaning's swap was committed (cleaner/segment-swap.ts): the old segments of its
 * group, every segment based in [b, groupEnd), are deleted (groupEnd from `<b>.groupend.swap`, or from the
 * `.cleaned` name it had before its rename was durable; with neither, the swap log's own end, as Kafka
 * does), the directory is fsynced, and the `.swap` files take their final names (an index without a swap
 * file is rebuilt when the segment is opened). What is left of uncommitted swaps (`.swap` files without a
 * `.log.swap`, `.cleaned` files) is deleted by the caller. Running this again after a crash in the middle
 * finds the same `.log.swap` files and does the same.
 */
function completeSwaps(p: LoadParams): void {
  const fs = p.segmentOptions.fs;
  const names = fs.readdirSync(p.dir);
  const swaps: { base: number; end: number }[] = [];
  for (const n of names) {
    const b = parseOffsetFileName(n, LOG_SUFFIX + SWAP_SUFFIX);
    if (b === null) continue;
    const end =
      readGroupEnd(fs, cleanedFilePath(p.dir, b, GROUP_END_SUFFIX, SWAP_SUFFIX)) ??
      readGroupEnd(fs, cleanedFilePath(p.dir, b, GROUP_END_SUFFIX, CLEANED_SUFFIX)) ??
      swapLogEnd(p, joinPath(p.dir, n), b);
    swaps.push({ base: b, end: Math.max(end, b + 1) });
  }
  if (swaps.length === 0) return;
  for (const n of names) {
    const b = parseOffsetFileName(n, LOG_SUFFIX) ?? parseOffsetFileName(n, INDEX_SUFFIX) ?? parseOffsetFileName(n, TIME_INDEX_SUFFIX);
    if (b !== null && swaps.some((s) => b >= s.base && b < s.end)) fs.unlinkSync(joinPath(p.dir, n));
  }
  // The old segments must be gone for good before a new one takes the name of the first of them.
  fsyncDir(fs, p.dir);
  for (const { base } of swaps) {
    for (const kind of [TIME_INDEX_SUFFIX, INDEX_SUFFIX] as const) {
      const from = cleanedFilePath(p.dir, base, kind, SWAP_SUFFIX);
      if (fs.existsSync(from)) fs.renameSync(from, cleanedFilePath(p.dir, base, kind, ''));
    }
    fs.renameSync(cleanedFilePath(p.dir, base, LOG_SUFFIX, SWAP_SUFFIX), cleanedFilePath(p.dir, base, LOG_SUFFIX, ''));
  }
  fsyncDir(fs, p.dir);
}

/** Offset after the last whole batch of a swap log (its group's end when no groupend file survived). */
function swapLogEnd(p: LoadParams, path: string, base: number): number {
  const { fs, core } = p.segmentOptions;
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSize(fd);
    let pos = 0;
    let next = base;
    for (let steps = 0; pos + HEADER_PEEK_BYTES <= size; steps++) {
      invariant(steps < 1 << 26, 'swap log walk is bounded');
      const h = core.readHeader(readAt(fs, fd, pos, HEADER_PEEK_BYTES), 0);
      if (h === null || h.magic !== 2 || h.size < HEADER_PEEK_BYTES || pos + h.size > size || h.lastOffset < h.baseOffset) break;
      next = h.lastOffset + 1;
      pos += h.size;
    }
    return next;
  } finally {
    fs.closeSync(fd);
  }
}

function nextBaseOf(segments: readonly LogSegment[], i: number): number | null {
  return i + 1 < segments.length ? segments[i + 1]!.baseOffset : null;
}

/** Which segments need full validation: on an unclean start, the one holding the recovery point and every
 *  later one; on any start, a segment whose indexes or tail fail the sanity checks. */
function segmentsNeedingRecovery(p: LoadParams, opened: readonly OpenedSegment[]): boolean[] {
  const segments = opened.map((o) => o.segment);
  const needsRecovery = new Array<boolean>(segments.length).fill(false);
  if (!p.clean) {
    const first = segmentHoldingRecoveryPoint(segments, p.recoveryPoint);
    for (let i = Math.max(0, first); i < segments.length; i++) needsRecovery[i] = true;
  }
  for (let i = 0; i < segments.length; i++) {
    if (needsRecovery[i]) continue;
    const s = segments[i]!;
    const nextBase = nextBaseOf(segments, i);
    const bad =
      opened[i]!.needsRebuild ||
      s.offsetIndex.sanityCheck(s.size, nextBase) !== null ||
      s.timeIndex.sanityCheck(nextBase) !== null ||
      !s.loadTail().ok ||
      (nextBase !== null && s.nextOffset > nextBase);
    if (bad) needsRecovery[i] = true;
  }
  return needsRecovery;
}

/** Index of the segment whose range holds the recovery point (the last one if it is past them all). */
function segmentHoldingRecoveryPoint(segments: readonly LogSegment[], recoveryPoint: number): number {
  for (let i = 0; i < segments.length; i++) {
    const nextBase = i + 1 < segments.length ? segments[i + 1]!.baseOffset : Infinity;
    if (recoveryPoint < nextBase) return i;
  }
  return segments.length - 1;
}

/** Validates the marked segments batch by batch; returns the segments that remain (a cut tail drops the
 *  segments after it). */
function recoverSegments(p: LoadParams, segments: LogSegment[], needsRecovery: readonly boolean[], stats: LoadStats): LogSegment[] {
  for (let i = 0; i < segments.length; i++) {
    if (!needsRecovery[i]) continue;
    const s = segments[i]!;
    const cut = s.recover(p.maxBatchBytes);
    s.flushSync(); // what recovery kept is durable, so the recovery point may move to the log end
    stats.recoveredSegments++;
    stats.truncatedBytes += cut;
    const nextBase = nextBaseOf(segments, i);
    const overlaps = nextBase !== null && s.nextOffset > nextBase;
    if ((cut > 0 || overlaps) && i + 1 < segments.length) {
      // Everything after a corrupt tail is unreachable: drop later segments (Kafka does the same).
      deleteSegments(p, segments.slice(i + 1), stats);
      return segments.slice(0, i + 1);
    }
  }
  return segments;
}

/** A recovered log that now ends before the log start offset (its tail was torn after DeleteRecords or
 *  retention moved the start): offsets below the start are never reused, so start afresh there (Kafka
 *  does the same). */
function dropIfBeforeLogStart(p: LoadParams, segments: LogSegment[], stats: LoadStats): LogSegment[] {
  const recoveredEnd = segments.length > 0 ? segments[segments.length - 1]!.nextOffset : 0;
  if (segments.length === 0 || p.logStartOffset <= recoveredEnd) return segments;
  deleteSegments(p, segments, stats);
  return [];
}

/** Closes the segments and deletes their files, counting them as removed. */
function deleteSegments(p: LoadParams, segments: readonly LogSegment[], stats: LoadStats): void {
  for (const s of segments) {
    stats.truncatedBytes += s.size;
    stats.removedSegments++;
    s.close();
    for (const f of [s.logPath, s.indexPath, s.timeIndexPath]) {
      try {
        p.segmentOptions.fs.unlinkSync(f);
      } catch {
        /* gone */
      }
    }
  }
}

/** Makes the last segment the active one (creating it for an empty log) and derives the offsets. */
function activateSegments(p: LoadParams, loaded: LogSegment[], stats: LoadStats): LoadResult {
  // Empty segments in the middle (a crash right after a roll) are harmless; an empty log gets one segment.
  const fresh = loaded.length === 0;
  const segments = fresh ? [LogSegment.create(p.dir, Math.max(0, p.logStartOffset), p.segmentOptions, p.nowMs)] : loaded;
  for (let i = 1; i < segments.length; i++) {
    invariant(segments[i - 1]!.nextOffset <= segments[i]!.baseOffset || segments[i - 1]!.isEmpty, `segments do not overlap (${segments[i - 1]!.baseOffset}..${segments[i - 1]!.nextOffset} vs ${segments[i]!.baseOffset})`);
  }
  const active = segments[segments.length - 1]!;
  for (const s of segments.slice(0, -1)) {
    s.onBecomeInactive();
    s.releaseIndexFds();
  }
  if (!fresh) active.onBecomeActive(); // a segment just created has its indexes preallocated already
  const logEndOffset = active.nextOffset;
  const logStartOffset = Math.min(Math.max(p.logStartOffset, segments[0]!.baseOffset), logEndOffset);
  // Clean: everything was flushed at shutdown. Unclean: every segment from the old recovery point on was
  // validated and flushed above, so the whole log is recovered.
  const recoveryPoint = logEndOffset;
  return { segments, recoveryPoint, logStartOffset, ...stats };
}
