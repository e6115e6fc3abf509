// Which part of a compacted log a cleaning may take, and which log goes first (Kafka's LogCleanerManager:
// cleanableOffsets, calculateCleanableBytes, the dirty ratio, max.compaction.lag.ms). Pure functions over
// plain numbers, so the selection is tested by tables.

/** What the selection needs of one segment. */
export interface SegmentStats {
  baseOffset: number;
  /** Bytes of the .log. */
  size: number;
  /** Largest record timestamp in it, -1 if none. */
  largestTimestamp: number;
  /** Max timestamp of its first batch (Kafka's first batch timestamp), -1 if unknown. */
  firstBatchTimestamp: number;
}

export interface CleanableInput {
  /** Every segment, oldest first; the last is the active one. */
  segments: readonly SegmentStats[];
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
  /** The log's entry in cleaner-offset-checkpoint, if any. */
  checkpoint: number | undefined;
  nowMs: number;
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
  minCleanableRatio: number;
}

export interface Cleanable {
  firstDirtyOffset: number;
  /** A segment boundary: the first offset a cleaning may not touch. */
  firstUncleanableOffset: number;
  /** Segments [0, cleanableEnd) are the ones a cleaning reads (all inactive). */
  cleanableEnd: number;
  /** Bytes of the segments before the one holding the first dirty offset. */
  cleanBytes: number;
  /** Bytes of the segments from the one holding the first dirty offset up to the first uncleanable one. */
  cleanableBytes: number;
  /** cleanableBytes / (cleanBytes + cleanableBytes), 0 for nothing. */
  dirtyRatio: number;
  /** The first dirty segment holds a record older than now − max.compaction.lag.ms. */
  maxLagDue: boolean;
  /** Worth cleaning now: something cleanable, and the ratio reached or the max lag passed. */
  ready: boolean;
}

/** Index of the last segment with base offset <= offset (0 if none). */
export function floorSegmentIndex(segments: readonly SegmentStats[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segments[mid]!.baseOffset <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The checkpointed first dirty offset, or the log start when there is none, when it is below the log start
 * (retention or DeleteRecords moved it) or past the log end (a truncation the checkpoint missed).
 */
export function firstDirtyOffsetOf(checkpoint: number | undefined, logStartOffset: number, logEndOffset: number): number {
  if (checkpoint === undefined || checkpoint < logStartOffset || checkpoint > logEndOffset) return logStartOffset;
  return checkpoint;
}

/**
 * min(active segment base, high watermark, base of the first segment at or after the first dirty one holding
 * a record newer than now − min.compaction.lag.ms), rounded down to a segment boundary.
 */
export function firstUncleanableOffsetOf(i: Pick<CleanableInput, 'segments' | 'highWatermark' | 'nowMs' | 'minCompactionLagMs'>, firstDirtyOffset: number): number {
  const segs = i.segments;
  if (segs.length === 0) return 0;
  let limit = Math.min(segs[segs.length - 1]!.baseOffset, i.highWatermark);
  if (i.minCompactionLagMs > 0) {
    const horizon = i.nowMs - i.minCompactionLagMs;
    for (let k = floorSegmentIndex(segs, firstDirtyOffset); k < segs.length - 1; k++) {
      const s = segs[k]!;
      if (s.baseOffset >= limit) break;
      if (s.largestTimestamp > horizon) {
        limit = s.baseOffset;
        break;
      }
    }
  }
  return Math.min(segs[floorSegmentIndex(segs, limit)]!.baseOffset, limit);
}

export function cleanableOf(i: CleanableInput): Cleanable {
  const segs = i.segments;
  const firstDirtyOffset = firstDirtyOffsetOf(i.checkpoint, i.logStartOffset, i.logEndOffset);
  const firstUncleanableOffset = firstUncleanableOffsetOf(i, firstDirtyOffset);
  const none: Cleanable = { firstDirtyOffset, firstUncleanableOffset, cleanableEnd: 0, cleanBytes: 0, cleanableBytes: 0, dirtyRatio: 0, maxLagDue: false, ready: false };
  if (segs.length < 2 || firstDirtyOffset > firstUncleanableOffset) return none;
  const endIdx = floorSegmentIndex(segs, firstUncleanableOffset);
  if (firstDirtyOffset === firstUncleanableOffset) {
    // Nothing dirty: only the clean section, which a cleaning rewrites for tombstones whose horizon passed.
    if (endIdx === 0 || segs[endIdx]!.baseOffset !== firstUncleanableOffset) return none;
    let clean = 0;
    for (let k = 0; k < endIdx; k++) clean += segs[k]!.size;
    return { ...none, cleanableEnd: endIdx, cleanBytes: clean };
  }
  const dirtyIdx = floorSegmentIndex(segs, firstDirtyOffset);
  if (dirtyIdx >= endIdx) return none;
  let cleanBytes = 0;
  for (let k = 0; k < dirtyIdx; k++) cleanBytes += segs[k]!.size;
  let cleanableBytes = 0;
  for (let k = dirtyIdx; k < endIdx; k++) cleanableBytes += segs[k]!.size;
  const total = cleanBytes + cleanableBytes;
  const dirtyRatio = total > 0 ? cleanableBytes / total : 0;
  const firstTs = segs[dirtyIdx]!.firstBatchTimestamp >= 0 ? segs[dirtyIdx]!.firstBatchTimestamp : segs[dirtyIdx]!.largestTimestamp;
  const maxLagDue = firstTs >= 0 && firstTs < i.nowMs - i.maxCompactionLagMs;
  const ready = cleanableBytes > 0 && (dirtyRatio >= i.minCleanableRatio || maxLagDue);
  return { firstDirtyOffset, firstUncleanableOffset, cleanableEnd: endIdx, cleanBytes, cleanableBytes, dirtyRatio, maxLagDue, ready };
}

/**
 * The log to clean next: among the ready ones not being cleaned, the filthiest (highest dirty ratio; ties
 * go to the one first in the list). Null if none is ready.
 */
export function pickFilthiest<T extends { key: string; cleanable: Cleanable }>(candidates: readonly T[], inProgress: ReadonlySet<string>): T | null {
  let best: T | null = null;
  for (const c of candidates) {
    if (!c.cleanable.ready || inProgress.has(c.key)) continue;
    if (best === null || c.cleanable.dirtyRatio > best.cleanable.dirtyRatio) best = c;
  }
  return best;
}
