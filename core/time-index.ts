// Time index, Kafka's on-disk layout: 12-byte entries, big-endian
//   timestamp i64 | relativeOffset i32
// Timestamps and offsets never decrease; an entry is only added when its timestamp is larger than the
// last one (Kafka's maybeAppend).

import { be32, be64, putBe32, putBe64 } from './bytes';
import { E_INDEX_CORRUPT, E_INDEX_FULL, E_INDEX_ORDER, E_OFFSET_OVERFLOW, E_OUT_OF_BOUNDS, OK, fail } from './errors';
import { writable } from './memory/arena';

export const TIME_ENTRY_SIZE: i32 = 12;

// State block layout (little-endian):
export const TX_REGION: usize = 0; // i32
export const TX_CAPACITY: usize = 4; // i32 bytes
export const TX_SIZE: usize = 8; // i32 bytes in use (entries * 12)
export const TX_BASE_OFFSET: usize = 16; // i64
export const TX_LAST_TIMESTAMP: usize = 24; // i64 (-1 when empty)
export const TX_LAST_OFFSET: usize = 32; // i64 (base offset when empty)
export const TIME_INDEX_STATE_SIZE: i32 = 40;

/** No timestamp (Kafka's RecordBatch.NO_TIMESTAMP). */
export const NO_TIMESTAMP: i64 = -1;

export function timeIndexInit(state: usize, region: usize, capacity: i32, baseOffset: i64, sizeBytes: i32): i32 {
  if (!writable(state, TIME_INDEX_STATE_SIZE)) return fail(E_OUT_OF_BOUNDS, state);
  if (!writable(region, capacity)) return fail(E_OUT_OF_BOUNDS, region);
  if (sizeBytes < 0 || sizeBytes > capacity || sizeBytes % TIME_ENTRY_SIZE != 0) return fail(E_INDEX_CORRUPT, region);
  const n = sizeBytes / TIME_ENTRY_SIZE;
  let prevTs: i64 = i64.MIN_VALUE;
  let prevRel: i32 = -1;
  for (let i = 0; i < n; i++) {
    const e = region + <usize>(i * TIME_ENTRY_SIZE);
    const ts = be64(e);
    const rel = be32(e + 8);
    if (rel < 0 || rel < prevRel || ts <= prevTs) return fail(E_INDEX_CORRUPT, e);
    prevTs = ts;
    prevRel = rel;
  }
  store<i32>(state + TX_REGION, <i32>region);
  store<i32>(state + TX_CAPACITY, capacity);
  store<i32>(state + TX_SIZE, sizeBytes);
  store<i64>(state + TX_BASE_OFFSET, baseOffset);
  store<i64>(state + TX_LAST_TIMESTAMP, n > 0 ? prevTs : NO_TIMESTAMP);
  store<i64>(state + TX_LAST_OFFSET, n > 0 ? baseOffset + <i64>prevRel : baseOffset);
  return OK;
}

export function timeIndexStateOk(state: usize): bool {
  if (!writable(state, TIME_INDEX_STATE_SIZE)) return false;
  const cap = load<i32>(state + TX_CAPACITY);
  const size = load<i32>(state + TX_SIZE);
  return size >= 0 && size <= cap && size % TIME_ENTRY_SIZE == 0 && writable(<usize>load<u32>(state + TX_REGION), cap);
}

/** Free entries left. */
export function timeIndexFree(state: usize): i32 {
  return (load<i32>(state + TX_CAPACITY) - load<i32>(state + TX_SIZE)) / TIME_ENTRY_SIZE;
}

/**
 * Appends (timestamp, offset) when timestamp is larger than the last entry's; returns 1 when appended,
 * 0 when skipped, or an error (offset going backwards, full, relative offset overflow).
 */
export function timeIndexMaybeAppendAt(state: usize, timestamp: i64, offset: i64): i32 {
  const region = <usize>load<u32>(state + TX_REGION);
  const size = load<i32>(state + TX_SIZE);
  if (size > 0) {
    if (offset < load<i64>(state + TX_LAST_OFFSET)) return fail(E_INDEX_ORDER, region + <usize>size);
    if (timestamp <= load<i64>(state + TX_LAST_TIMESTAMP)) return 0;
  }
  if (size + TIME_ENTRY_SIZE > load<i32>(state + TX_CAPACITY)) return fail(E_INDEX_FULL, region + <usize>size);
  const rel = offset - load<i64>(state + TX_BASE_OFFSET);
  if (rel < 0 || rel > <i64>i32.MAX_VALUE) return fail(E_OFFSET_OVERFLOW, region + <usize>size);
  putBe64(region + <usize>size, timestamp);
  putBe32(region + <usize>size + 8, <i32>rel);
  store<i32>(state + TX_SIZE, size + TIME_ENTRY_SIZE);
  store<i64>(state + TX_LAST_TIMESTAMP, timestamp);
  store<i64>(state + TX_LAST_OFFSET, offset);
  return 1;
}

export function timeIndexMaybeAppend(state: usize, timestamp: i64, offset: i64): i32 {
  if (!timeIndexStateOk(state)) return fail(E_OUT_OF_BOUNDS, state);
  return timeIndexMaybeAppendAt(state, timestamp, offset);
}

/**
 * Finds the entry with the largest timestamp <= target. Writes (offset i64 at 0, timestamp i64 at 8)
 * to out — (base offset, -1) when there is none, as Kafka does — and returns the slot or -1.
 */
export function timeIndexLookup(state: usize, target: i64, out: usize): i32 {
  if (!timeIndexStateOk(state)) return fail(E_OUT_OF_BOUNDS, state);
  if (!writable(out, 16)) return fail(E_OUT_OF_BOUNDS, out);
  const region = <usize>load<u32>(state + TX_REGION);
  const n = load<i32>(state + TX_SIZE) / TIME_ENTRY_SIZE;
  const base = load<i64>(state + TX_BASE_OFFSET);
  let slot = -1;
  if (n > 0 && be64(region) <= target) {
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (be64(region + <usize>(mid * TIME_ENTRY_SIZE)) <= target) lo = mid;
      else hi = mid - 1;
    }
    slot = lo;
  }
  if (slot < 0) {
    store<i64>(out, base);
    store<i64>(out, NO_TIMESTAMP, 8);
  } else {
    const e = region + <usize>(slot * TIME_ENTRY_SIZE);
    store<i64>(out, base + <i64>be32(e + 8));
    store<i64>(out, be64(e), 8);
  }
  return slot;
}

/** Removes every entry whose offset is >= `offset`. Returns the remaining entry count. */
export function timeIndexTruncateTo(state: usize, offset: i64): i32 {
  if (!timeIndexStateOk(state)) return fail(E_OUT_OF_BOUNDS, state);
  const region = <usize>load<u32>(state + TX_REGION);
  const base = load<i64>(state + TX_BASE_OFFSET);
  let n = load<i32>(state + TX_SIZE) / TIME_ENTRY_SIZE;
  while (n > 0 && base + <i64>be32(region + <usize>((n - 1) * TIME_ENTRY_SIZE) + 8) >= offset) n--;
  store<i32>(state + TX_SIZE, n * TIME_ENTRY_SIZE);
  if (n > 0) {
    const e = region + <usize>((n - 1) * TIME_ENTRY_SIZE);
    store<i64>(state + TX_LAST_TIMESTAMP, be64(e));
    store<i64>(state + TX_LAST_OFFSET, base + <i64>be32(e + 8));
  } else {
    store<i64>(state + TX_LAST_TIMESTAMP, NO_TIMESTAMP);
    store<i64>(state + TX_LAST_OFFSET, base);
  }
  return n;
}
