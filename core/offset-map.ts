// The log cleaner's offset map: key → the last offset holding it, in linear memory. Keys are stored as
// their 128-bit MurmurHash3 (murmur3.ts); a collision is as unlikely as with Kafka's MD5 map. Open
// addressing with linear probing, bounded by the table's slot count; keys are accepted up to `limit`
// (slots × load factor, chosen by the host), so probes stay short and an absent key always meets an empty
// slot unless limit == slots.
//
// The host reserves `slots` slots (its share of log.cleaner.dedupe.buffer.size), but the table in use
// starts at INITIAL_TABLE_SLOTS of them and doubles, in place, whenever it would become more than half
// full, until it spans all of them: a map of few keys stays in a few cache lines and pages instead of
// spreading them over the whole reservation (each probe of a sparse 14 MB table was a cache and TLB
// miss). What the map accepts (limit) does not depend on the table's size.
//
// State (little-endian, OFFSET_MAP_STATE_SIZE bytes):
//   0 entries i32 (address of the slots) | 4 slots i32 (reserved) | 8 limit i32 | 12 size i32 (keys held)
//   16 lastOffset i64 (largest offset put, -1) | 24 table i32 (slots in use, <= slots)
// Slot (OFFSET_MAP_ENTRY_SIZE bytes): 0 hash hi u64 | 8 hash lo u64 | 16 offset i64 (-1: empty; below -1
// only while the table grows: an entry not yet moved, offset o stored as -2 - o).
//
// offsetMapPutBatches puts the keyed records of whole uncompressed v2 batches; it stops before a batch
// whose recordCount could take the map past its limit, and at a compressed batch, whose records section
// the host decompresses and hands to offsetMapPutRecords.

import { be16, be32, be64 } from './bytes';
import {
  E_BAD_COMPRESSION, E_BAD_LENGTH, E_BAD_MAGIC, E_INDEX_FULL, E_INVALID_ARGUMENT, E_OFFSET_DELTA, E_OUT_OF_BOUNDS,
  E_RECORD_COUNT, OK, fail,
} from './errors';
import { readable, writable } from './memory/arena';
import { hashHi, hashLo, murmur3x64 } from './murmur3';
import {
  ATTR_COMPRESSION_MASK, ATTR_CONTROL, BATCH_HEADER_SIZE, LOG_OVERHEAD, OFF_ATTRIBUTES, OFF_BASE_OFFSET,
  OFF_BATCH_LENGTH, OFF_LAST_OFFSET_DELTA, OFF_MAGIC, OFF_RECORD_COUNT, parseRecord, recErr, recErrPos, recKeyLen,
  recKeyPtr, recOffsetDelta,
} from './record-batch';

export const OM_ENTRIES: usize = 0;
export const OM_SLOTS: usize = 4;
export const OM_LIMIT: usize = 8;
export const OM_SIZE: usize = 12;
export const OM_LAST_OFFSET: usize = 16;
export const OM_TABLE: usize = 24;
export const OFFSET_MAP_STATE_SIZE: i32 = 32;
export const OFFSET_MAP_ENTRY_SIZE: i32 = 24;
/** Most slots a map may have (their bytes stay under 2 GiB). */
export const OFFSET_MAP_MAX_SLOTS: i32 = 0x5555555;
/** Slots of the table after a reset (192 KiB), or all of them when fewer are reserved. */
export const INITIAL_TABLE_SLOTS: i32 = 8192;

// Map-put result (little-endian, MAP_PUT_RESULT_SIZE bytes).
export const MP_BYTES: usize = 0; // i32 bytes of whole batches taken from the start of the input
export const MP_STOP: usize = 4; // i32 why it stopped (MAP_STOP_*)
export const MP_RECORDS: usize = 8; // i32 keyed records put
export const MP_BATCHES: usize = 12; // i32 batches taken
export const MP_LAST_OFFSET: usize = 16; // i64 last offset of the last batch taken, -1 if none
export const MAP_PUT_RESULT_SIZE: i32 = 24;
/** Every whole batch was taken (a trailing partial batch, if any, is left). */
export const MAP_STOP_END: i32 = 0;
/** The next batch's records could take the map past its limit. */
export const MAP_STOP_FULL: i32 = 1;
/** The batch at MP_BYTES is compressed: the host puts its decompressed records with offsetMapPutRecords. */
export const MAP_STOP_COMPRESSED: i32 = 2;

/** The state at s and its slots lie in writable memory and are consistent. */
export function offsetMapStateOk(s: usize): bool {
  if (!writable(s, OFFSET_MAP_STATE_SIZE)) return false;
  const slots = load<i32>(s + OM_SLOTS);
  const limit = load<i32>(s + OM_LIMIT);
  const size = load<i32>(s + OM_SIZE);
  const table = load<i32>(s + OM_TABLE);
  if (slots <= 0 || slots > OFFSET_MAP_MAX_SLOTS || limit < 0 || limit > slots || size < 0 || size > limit) return false;
  if (table <= 0 || table > slots || (table < slots && size > table >> 1)) return false;
  return writable(<usize>load<u32>(s + OM_ENTRIES), slots * OFFSET_MAP_ENTRY_SIZE);
}

/** Initialises a map over `slots` slots at `entries` (slots × 24 bytes), accepting up to `limit` keys. */
export function offsetMapInit(s: usize, entries: usize, slots: i32, limit: i32): i32 {
  if (!writable(s, OFFSET_MAP_STATE_SIZE)) return fail(E_OUT_OF_BOUNDS, s);
  if (slots <= 0 || slots > OFFSET_MAP_MAX_SLOTS || limit < 0 || limit > slots) return fail(E_INVALID_ARGUMENT, s);
  if (!writable(entries, slots * OFFSET_MAP_ENTRY_SIZE)) return fail(E_OUT_OF_BOUNDS, entries);
  store<i32>(s + OM_ENTRIES, <i32>entries);
  store<i32>(s + OM_SLOTS, slots);
  store<i32>(s + OM_LIMIT, limit);
  store<i32>(s + OM_SIZE, 0);
  store<i32>(s + OM_TABLE, slots);
  return offsetMapReset(s);
}

/** Empties the map: the table back to its initial size, every slot of it empty (offset -1). */
export function offsetMapReset(s: usize): i32 {
  if (!writable(s, OFFSET_MAP_STATE_SIZE)) return fail(E_OUT_OF_BOUNDS, s);
  const slots = load<i32>(s + OM_SLOTS);
  const table = slots < INITIAL_TABLE_SLOTS ? slots : INITIAL_TABLE_SLOTS;
  store<i32>(s + OM_TABLE, table);
  store<i32>(s + OM_SIZE, 0);
  if (!offsetMapStateOk(s)) return fail(E_OUT_OF_BOUNDS, s);
  memory.fill(<usize>load<u32>(s + OM_ENTRIES), 0xff, <usize>(table * OFFSET_MAP_ENTRY_SIZE));
  store<i64>(s + OM_LAST_OFFSET, -1);
  return OK;
}

/** The home slot of a hash in a table of `slots` slots (monotone in hi). */
// @ts-ignore: decorator
@inline
function home(hi: u64, slots: u32): u32 {
  return <u32>(((hi >>> 32) * <u64>slots) >>> 32);
}

/** The slot holding (hi, lo), or the empty slot where it would go; 0 when every slot is taken by others. */
// @ts-ignore: decorator
@inline
function findSlot(s: usize, hi: u64, lo: u64): usize {
  const entries = <usize>load<u32>(s + OM_ENTRIES);
  const slots = <u32>load<i32>(s + OM_TABLE);
  let i = home(hi, slots);
  for (let n: u32 = 0; n < slots; n++) {
    const e = entries + <usize>i * <usize>OFFSET_MAP_ENTRY_SIZE;
    if (load<i64>(e, 16) < 0) return e;
    if (load<u64>(e) == hi && load<u64>(e, 8) == lo) return e;
    i++;
    if (i == slots) i = 0;
  }
  return 0;
}

/**
 * Doubles the table (a checked state whose table is below its reserved slots) in place: every held entry is
 * marked not yet moved, then each is placed from its home in the larger table; one that lands on an entry not
 * yet moved takes its slot and carries that entry on. Probes only ever pass over entries already placed,
 * which stay where they are, and a slot is only emptied when its unmoved entry is taken out, so every probe
 * sequence of the new table is unbroken.
 */
function grow(s: usize): void {
  const entries = <usize>load<u32>(s + OM_ENTRIES);
  const old = <u32>load<i32>(s + OM_TABLE);
  const reserved = <u32>load<i32>(s + OM_SLOTS);
  const next: u32 = old > reserved >> 1 ? reserved : old << 1;
  for (let i: u32 = 0; i < old; i++) {
    const e = entries + <usize>i * <usize>OFFSET_MAP_ENTRY_SIZE;
    const o = load<i64>(e, 16);
    if (o >= 0) store<i64>(e, -2 - o, 16);
  }
  memory.fill(entries + <usize>old * <usize>OFFSET_MAP_ENTRY_SIZE, 0xff, <usize>(next - old) * <usize>OFFSET_MAP_ENTRY_SIZE);
  store<i32>(s + OM_TABLE, <i32>next);
  for (let i: u32 = 0; i < old; i++) {
    const e = entries + <usize>i * <usize>OFFSET_MAP_ENTRY_SIZE;
    const marked = load<i64>(e, 16);
    if (marked >= -1) continue;
    let hi = load<u64>(e);
    let lo = load<u64>(e, 8);
    let offset = -2 - marked;
    store<i64>(e, -1, 16);
    // Each step places one entry for good, or passes one placed entry: at most size × next steps.
    let j = home(hi, next);
    while (true) {
      const f = entries + <usize>j * <usize>OFFSET_MAP_ENTRY_SIZE;
      const there = load<i64>(f, 16);
      if (there >= 0) {
        j++;
        if (j == next) j = 0;
        continue;
      }
      const carryHi = load<u64>(f);
      const carryLo = load<u64>(f, 8);
      store<u64>(f, hi);
      store<u64>(f, lo, 8);
      store<i64>(f, offset, 16);
      if (there == -1) break;
      hi = carryHi;
      lo = carryLo;
      offset = -2 - there;
      j = home(hi, next);
    }
  }
}

/** Puts (hi, lo) → offset (a checked state); OK or E_INDEX_FULL when it is a new key and the map is at its limit. */
export function mapPutHash(s: usize, hi: u64, lo: u64, offset: i64): i32 {
  let e = findSlot(s, hi, lo);
  if (e == 0) return fail(E_INDEX_FULL, s);
  if (load<i64>(e, 16) < 0) {
    const size = load<i32>(s + OM_SIZE);
    if (size >= load<i32>(s + OM_LIMIT)) return fail(E_INDEX_FULL, s);
    const table = load<i32>(s + OM_TABLE);
    if (table < load<i32>(s + OM_SLOTS) && size + 1 > table >> 1) {
      grow(s);
      e = findSlot(s, hi, lo);
    }
    store<u64>(e, hi);
    store<u64>(e, lo, 8);
    store<i32>(s + OM_SIZE, size + 1);
  }
  store<i64>(e, offset, 16);
  if (offset > load<i64>(s + OM_LAST_OFFSET)) store<i64>(s + OM_LAST_OFFSET, offset);
  return OK;
}

/** The offset mapped to (hi, lo) in a checked state, or -1. */
export function mapGetHash(s: usize, hi: u64, lo: u64): i64 {
  const e = findSlot(s, hi, lo);
  return e == 0 ? -1 : load<i64>(e, 16);
}

/** Host entry: maps the key [key, key+keyLen) to offset (>= 0). */
export function offsetMapPut(s: usize, key: usize, keyLen: i32, offset: i64): i32 {
  if (!offsetMapStateOk(s)) return fail(E_OUT_OF_BOUNDS, s);
  if (!readable(key, keyLen)) return fail(E_OUT_OF_BOUNDS, key);
  if (offset < 0) return fail(E_INVALID_ARGUMENT, s);
  murmur3x64(key, <usize>keyLen, 0);
  return mapPutHash(s, hashHi, hashLo, offset);
}

/** Host entry: the offset mapped to the key, -1 when absent, or an error code (< -1). */
export function offsetMapGet(s: usize, key: usize, keyLen: i32): i64 {
  if (!offsetMapStateOk(s)) return <i64>fail(E_OUT_OF_BOUNDS, s);
  if (!readable(key, keyLen)) return <i64>fail(E_OUT_OF_BOUNDS, key);
  murmur3x64(key, <usize>keyLen, 0);
  return mapGetHash(s, hashHi, hashLo);
}

/**
 * Size of the whole batch at b (avail bytes readable), 0 when it is partial (ends past avail), or an error
 * for a header no v2 batch has. Checks length, magic, codec, recordCount against lastOffsetDelta; not the CRC.
 */
export function wholeBatchAt(b: usize, avail: i32): i32 {
  if (avail < BATCH_HEADER_SIZE) return 0;
  const batchLength = be32(b + OFF_BATCH_LENGTH);
  if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) return fail(E_BAD_LENGTH, b + OFF_BATCH_LENGTH);
  if (batchLength > avail - LOG_OVERHEAD) return 0;
  if (load<i8>(b + OFF_MAGIC) != 2) return fail(E_BAD_MAGIC, b + OFF_MAGIC);
  if ((be16(b + OFF_ATTRIBUTES) & ATTR_COMPRESSION_MASK) > 4) return fail(E_BAD_COMPRESSION, b + OFF_ATTRIBUTES);
  const count = be32(b + OFF_RECORD_COUNT);
  const lastOffsetDelta = be32(b + OFF_LAST_OFFSET_DELTA);
  if (count < 0 || lastOffsetDelta < -1 || <i64>count > <i64>lastOffsetDelta + 1) return fail(E_RECORD_COUNT, b + OFF_RECORD_COUNT);
  return batchLength + LOG_OVERHEAD;
}

/**
 * Puts the keyed records of the records section [q, end) (`count` records of the batch whose header is at b)
 * into a checked map. Returns the records put or an error.
 */
function putSection(s: usize, b: usize, q: usize, end: usize, count: i32): i32 {
  const baseOffset = be64(b + OFF_BASE_OFFSET);
  const lastOffsetDelta = be32(b + OFF_LAST_OFFSET_DELTA);
  let put = 0;
  let prev = -1;
  for (let i = 0; i < count; i++) {
    if (q >= end) return fail(E_RECORD_COUNT, q);
    const next = parseRecord(q, end);
    if (next == 0) return fail(recErr, recErrPos);
    const od = recOffsetDelta;
    if (od <= prev || od > lastOffsetDelta) return fail(E_OFFSET_DELTA, q);
    prev = od;
    if (recKeyLen >= 0) {
      murmur3x64(recKeyPtr, <usize>recKeyLen, 0);
      const r = mapPutHash(s, hashHi, hashLo, baseOffset + <i64>od);
      if (r < 0) return r;
      put++;
    }
    q = next;
  }
  if (q != end) return fail(E_RECORD_COUNT, q);
  return put;
}

function mapPutDone(result: usize, bytes: i32, stop: i32, records: i32, batches: i32, lastOffset: i64): i32 {
  store<i32>(result + MP_BYTES, bytes);
  store<i32>(result + MP_STOP, stop);
  store<i32>(result + MP_RECORDS, records);
  store<i32>(result + MP_BATCHES, batches);
  store<i64>(result + MP_LAST_OFFSET, lastOffset);
  return OK;
}

/**
 * Puts every keyed record of the whole batches at the start of [p, p+len) into the map: key → baseOffset +
 * offsetDelta. Control batches are taken without being put. Stops before a batch whose recordCount could take
 * the map past its limit (MAP_STOP_FULL), at a compressed batch (MAP_STOP_COMPRESSED) and before a trailing
 * partial batch. Fills the result; returns OK or an error (the result then describes what was taken before it).
 */
export function offsetMapPutBatches(s: usize, p: usize, len: i32, result: usize): i32 {
  if (!writable(result, MAP_PUT_RESULT_SIZE)) return fail(E_OUT_OF_BOUNDS, result);
  mapPutDone(result, 0, MAP_STOP_END, 0, 0, -1);
  if (!offsetMapStateOk(s)) return fail(E_OUT_OF_BOUNDS, s);
  if (!readable(p, len)) return fail(E_OUT_OF_BOUNDS, p);
  let pos = 0;
  let records = 0;
  let batches = 0;
  let lastOffset: i64 = -1;
  let stop = MAP_STOP_END;
  while (pos < len) {
    const b = p + <usize>pos;
    const size = wholeBatchAt(b, len - pos);
    if (size < 0) {
      mapPutDone(result, pos, MAP_STOP_END, records, batches, lastOffset);
      return size;
    }
    if (size == 0) break;
    const attributes = be16(b + OFF_ATTRIBUTES);
    const count = be32(b + OFF_RECORD_COUNT);
    if ((attributes & ATTR_CONTROL) == 0) {
      if (<i64>load<i32>(s + OM_SIZE) + <i64>count > <i64>load<i32>(s + OM_LIMIT)) {
        stop = MAP_STOP_FULL;
        break;
      }
      if ((attributes & ATTR_COMPRESSION_MASK) == 0) {
        const r = putSection(s, b, b + <usize>BATCH_HEADER_SIZE, b + <usize>size, count);
        if (r < 0) {
          mapPutDone(result, pos, MAP_STOP_END, records, batches, lastOffset);
          return r;
        }
        records += r;
      } else if (count > 0) {
        stop = MAP_STOP_COMPRESSED;
        break;
      }
    }
    lastOffset = be64(b + OFF_BASE_OFFSET) + <i64>be32(b + OFF_LAST_OFFSET_DELTA);
    batches++;
    pos += size;
  }
  return mapPutDone(result, pos, stop, records, batches, lastOffset);
}

/**
 * Puts the keyed records of a decompressed records section [records, records+len) of the batch whose header
 * is at b (at least its 61 header bytes readable). Returns the records put, or an error (E_INDEX_FULL when
 * its recordCount could take the map past its limit).
 */
export function offsetMapPutRecords(s: usize, b: usize, records: usize, len: i32): i32 {
  if (!offsetMapStateOk(s)) return fail(E_OUT_OF_BOUNDS, s);
  if (!readable(b, BATCH_HEADER_SIZE)) return fail(E_OUT_OF_BOUNDS, b);
  if (!readable(records, len)) return fail(E_OUT_OF_BOUNDS, records);
  const count = be32(b + OFF_RECORD_COUNT);
  const lastOffsetDelta = be32(b + OFF_LAST_OFFSET_DELTA);
  if (count < 0 || lastOffsetDelta < -1 || <i64>count > <i64>lastOffsetDelta + 1) return fail(E_RECORD_COUNT, b + OFF_RECORD_COUNT);
  if (<i64>load<i32>(s + OM_SIZE) + <i64>count > <i64>load<i32>(s + OM_LIMIT)) return fail(E_INDEX_FULL, s);
  return putSection(s, b, records, records + <usize>len, count);
}
