// Kafka's groupSegmentsBySize: adjacent segments that are cleaned into one, so a log of many small
// segments (small once cleaned) does not stay a log of many small files. A group grows while its
// segments' bytes fit segment.bytes, each of its index files' entries fit segment.index.bytes, and its
// offsets stay within an int32 of its first segment's base offset (the indexes hold relative offsets).
import type { CleanJobSegment } from './clean-job.js';
import { invariant } from '../errors.js';
import { OFFSET_INDEX_ENTRY } from '../offset-index.js';
import { TIME_INDEX_ENTRY } from '../time-index.js';

export function groupSegmentsBySize(segments: readonly CleanJobSegment[], maxSegmentBytes: number, maxIndexBytes: number): CleanJobSegment[][] {
  invariant(maxSegmentBytes > 0 && maxIndexBytes > 0, 'group limits are positive');
  const groups: CleanJobSegment[][] = [];
  let i = 0;
  for (let steps = 0; i < segments.length; steps++) {
    invariant(steps <= segments.length, 'grouping is bounded');
    const first = segments[i]!;
    const group = [first];
    let logBytes = first.size;
    let offsetIndexBytes = first.offsetIndexEntries * OFFSET_INDEX_ENTRY;
    let timeIndexBytes = first.timeIndexEntries * TIME_INDEX_ENTRY;
    for (i++; i < segments.length; i++) {
      const s = segments[i]!;
      invariant(s.baseOffset >= group[group.length - 1]!.nextBaseOffset, 'job segments are in offset order');
      if (logBytes + s.size > maxSegmentBytes) break;
      if (offsetIndexBytes + s.offsetIndexEntries * OFFSET_INDEX_ENTRY > maxIndexBytes) break;
      if (timeIndexBytes + s.timeIndexEntries * TIME_INDEX_ENTRY > maxIndexBytes) break;
      // An empty segment adds no offsets (Kafka skips the check for it, so no empty log is left behind
      // every 2^31 offsets).
      if (s.size > 0 && s.nextBaseOffset - 1 - first.baseOffset > 0x7fffffff) break;
      group.push(s);
      logBytes += s.size;
      offsetIndexBytes += s.offsetIndexEntries * OFFSET_INDEX_ENTRY;
      timeIndexBytes += s.timeIndexEntries * TIME_INDEX_ENTRY;
    }
    groups.push(group);
  }
  return groups;
}
