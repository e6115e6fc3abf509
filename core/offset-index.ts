// Offset index, Kafka's on-disk layout: 8-byte entries, big-endian
//   relativeOffset i32 (offset - segment base offset) | position i32 (byte position in the segment)
// Entries are strictly increasing in offset. The entries live in a host region that the host persists
// and loads byte-for-byte; the state block below (host memory too) tracks the region and its fill.

import { be32, putBe32 } from './bytes';
import { E_INDEX_CORRUPT, E_INDEX_FULL, E_INDEX_ORDER, E_INVALID_ARGUMENT, E_OFFSET_OVERFLOW, E_OUT_OF_BOUNDS, OK, fail } from './errors';
import { writable } from './memory/arena';

export const OFFSET_ENTRY_SIZE: i32 = 8;

// State block layout (little-endian):
export const OX_REGION: usize = 0; // i32 address of the entry bytes
export const OX_CAPACITY: usize = 4; // i32 bytes available in the region
export const OX_SIZE: usize = 8; // i32 bytes in use (entries * 8)
export const OX_BASE_OFFSET: usize = 16; // i64 segment base offset
export const OX_LAST_OFFSET: usize = 24; // i64 offset of the last entry (base offset when empty)
export const OFFSET_INDEX_STATE_SIZE: i32 = 32;

// Lookup result (little-endian): offset i64 at 0, position i32 at 8.
export const LOOKUP_RESULT_SIZE: i32 = 16;

/**
 * Initialises state over region (capacity bytes), of which the first sizeBytes already hold entries
 * (an index loaded from disk). Checks that they are whole, increasing entries.
 */
export function offsetIndexInit(state: usize, region: usize, capacity: i32, baseOffset: i64, sizeBytes: i32): i32 {
  if (!writable(state, OFFSET_INDEX_STATE_SIZE)) return fail(E_OUT_OF_BOUNDS, state);
  if (!writable(region, capacity)) return fail(E_OUT_OF_BOUNDS, region);
  if (sizeBytes < 0 || sizeBytes > capacity || (sizeBytes & 7) != 0) return fail(E_INDEX_CORRUPT, region);
  const n = sizeBytes >> 3;
  let prev: i32 = -1;
  for (let i = 0; i < n; i++) {
    const rel = be32(region + (<usize>i << 3));
    if (rel < 0 || rel <= prev) return fail(E_INDEX_CORRUPT, region + (<usize>i << 3));
    prev = rel;
  }
  store<i32>(state + OX_REGION, <i32>region);
  store<i32>(state + OX_CAPACITY, capacity);
  store<i32>(state + OX_SIZE, sizeBytes);
  store<i64>(state + OX_BASE_OFFSET, baseOffset);
  store<i64>(state + OX_LAST_OFFSET, n > 0 ? baseOffset + <i64>prev : baseOffset);
  return OK;
}

/** Appends (offset, position). Offset must be larger than the last entry's. */
export function offsetIndexAppendAt(state: usize, offset: i64, position: i32): i32 {
  const region = <usize>load<u32>(state + OX_REGION);
  const size = load<i32>(state + OX_SIZE);
  if (size + OFFSET_ENTRY_SIZE > load<i32>(state + OX_CAPACITY)) return fail(E_INDEX_FULL, region + <usize>size);
  const rel = offset - load<i64>(state + OX_BASE_OFFSET);
  if (rel < 0 || rel > <i64>i32.MAX_VALUE) return fail(E_OFFSET_OVERFLOW, region + <usize>size);
  if (size > 0 && offset <= load<i64>(state + OX_LAST_OFFSET)) return fail(E_INDEX_ORDER, region + <usize>size);
  if (position < 0) return fail(E_INVALID_ARGUMENT, region + <usize>size);
  putBe32(region + <usize>size, <i32>rel);
  putBe32(region + <usize>size + 4, position);
  store<i32>(state + OX_SIZE, size + OFFSET_ENTRY_SIZE);
  store<i64>(state + OX_LAST_OFFSET, offset);
  return OK;
}

/** Checks a state block the host hands in: inside memory, region inside memory. */
export function offsetIndexStateOk(state: usize): bool {
  if (!writable(state, OFFSET_INDEX_STATE_SIZE)) return false;
  const cap = load<i32>(state + OX_CAPACITY);
  const size = load<i32>(state + OX_SIZE);
  return size >= 0 && size <= cap && (size & 7) == 0 && writable(<usize>load<u32>(state + OX_REGION), cap);
}

export function offsetIndexAppend(state: usize, offset: i64, position: i32): i32 {
  if (!offsetIndexStateOk(state)) return fail(E_OUT_OF_BOUNDS, state);
  return offsetIndexAppendAt(state, offset, position);
}

/**
 * Finds the entry with the largest offset <= target. Writes (offset, position) to out — (base offset, 0)
 * when there is none, as Kafka does — and returns the entry's slot or -1.
 */
export function offsetIndexLookup(state: usize, target: i64, out: usize): i32 {
  if (!offsetIndexStateOk(state)) return fail(E_OUT_OF_BOUNDS, state);
  if (!writable(out, LOOKUP_RESULT_SIZE)) return fail(E_OUT_OF_BOUNDS, out);
  const region = <usize>load<u32>(state + OX_REGION);
  const n = load<i32>(state + OX_SIZE) >> 3;
  const base = load<i64>(state + OX_BASE_OFFSET);
  const rel = target - base;
  let slot = -1;
  if (n > 0 && rel >= <i64>be32(region)) {
    if (rel > <i64>i32.MAX_VALUE) {
      slot = n - 1;
    } else {
      let lo = 0;
      let hi = n - 1;
      const r = <i32>rel;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (be32(region + (<usize>mid << 3)) <= r) lo = mid;
        else hi = mid - 1;
      }
      slot = lo;
    }
  }
  if (slot < 0) {
    store<i64>(out, base);
    store<i32>(out, 0, 8);
  } else {
    const e = region + (<usize>slot << 3);
    store<i64>(out, base + <i64>be32(e));
    store<i32>(out, be32(e + 4), 8);
  }
  return slot;
}

/** Removes every entry with offset >= `offset` (log truncation). Returns the remaining entry count. */
export function offsetIndexTruncateTo(state: usize, offset: i64): i32 {
  if (!offsetIndexStateOk(state)) return fail(E_OUT_OF_BOUNDS, state);
  const region = <usize>load<u32>(state + OX_REGION);
  const base = load<i64>(state + OX_BASE_OFFSET);
  let n = load<i32>(state + OX_SIZE) >> 3;
  while (n > 0 && base + <i64>be32(region + (<usize>(n - 1) << 3)) >= offset) n--;
  store<i32>(state + OX_SIZE, n << 3);
  store<i64>(state + OX_LAST_OFFSET, n > 0 ? base + <i64>be32(region + (<usize>(n - 1) << 3)) : base);
  return n;
}
