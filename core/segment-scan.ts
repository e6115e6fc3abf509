// Header-only walks over segment bytes (no CRC, no records): the step after an index lookup.
// Offset index → position of a batch at or before the target; scanForOffset walks forward to the
// batch that holds the target. Time index → offset; scanForTimestamp finds the first batch whose
// maxTimestamp reaches the target.

import { be32, be64 } from './bytes';
import { E_BAD_LENGTH, E_OUT_OF_BOUNDS, E_TRUNCATED, fail } from './errors';
import { readable } from './memory/arena';
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, OFF_BASE_OFFSET, OFF_BATCH_LENGTH, OFF_LAST_OFFSET_DELTA, OFF_MAGIC, OFF_MAX_TIMESTAMP } from './record-batch';

/** Size of the batch at p (legacy entries too: same offset/size prefix) or an error. */
function entrySize(p: usize, avail: i32): i32 {
  if (avail < LOG_OVERHEAD) return fail(E_TRUNCATED, p);
  const len = be32(p + OFF_BATCH_LENGTH);
  if (len < 14) return fail(E_BAD_LENGTH, p + OFF_BATCH_LENGTH);
  if (len > avail - LOG_OVERHEAD) return fail(E_TRUNCATED, p + OFF_BATCH_LENGTH);
  return len + LOG_OVERHEAD;
}

/** Last offset of the entry at p: batch lastOffset for magic 2, the message offset for magic 0/1. */
function lastOffsetOf(p: usize, size: i32): i64 {
  const base = be64(p + OFF_BASE_OFFSET);
  if (load<i8>(p + OFF_MAGIC) >= 2 && size >= BATCH_HEADER_SIZE) return base + <i64>be32(p + OFF_LAST_OFFSET_DELTA);
  return base;
}

/**
 * From [p, p+len), the position (relative to p) of the first batch whose last offset is >= target;
 * len when none (target past the end); an error for malformed headers (a partial last batch ends the
 * walk: its position is returned if it is the one, else len).
 */
export function scanForOffset(p: usize, len: i32, target: i64): i32 {
  if (!readable(p, len)) return fail(E_OUT_OF_BOUNDS, p);
  let pos: i32 = 0;
  while (pos < len) {
    const q = p + <usize>pos;
    const size = entrySize(q, len - pos);
    if (size == E_TRUNCATED) {
      // A partial batch at the end (active segment being written): judge it by its header if readable.
      if (len - pos >= BATCH_HEADER_SIZE && lastOffsetOf(q, BATCH_HEADER_SIZE) >= target) return pos;
      return len;
    }
    if (size < 0) return size;
    if (lastOffsetOf(q, size) >= target) return pos;
    pos += size;
  }
  return len;
}

/** Position of the first v2 batch whose maxTimestamp is >= target; len when none; or an error. */
export function scanForTimestamp(p: usize, len: i32, target: i64): i32 {
  if (!readable(p, len)) return fail(E_OUT_OF_BOUNDS, p);
  let pos: i32 = 0;
  while (pos < len) {
    const q = p + <usize>pos;
    const size = entrySize(q, len - pos);
    if (size == E_TRUNCATED) return len;
    if (size < 0) return size;
    if (size >= BATCH_HEADER_SIZE && load<i8>(q + OFF_MAGIC) >= 2 && be64(q + OFF_MAX_TIMESTAMP) >= target) return pos;
    pos += size;
  }
  return len;
}
