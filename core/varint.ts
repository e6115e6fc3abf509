// Kafka varints (protobuf-style base-128, little-endian groups) with zig-zag for signed values.
// Readers take an end bound and never read at or past it. A decode reports where it stopped through
// `varPos` (0 = failed, the reason in `varErr`), which keeps the hot path free of allocations.
// Overflow rule (same as Kafka's ByteUtils): an int32 varint has at most 5 bytes, an int64 at most 10;
// a 6th / 11th byte is E_VARINT_OVERFLOW. Extra high bits in the last byte are ignored, as Kafka does.

import { E_TRUNCATED, E_VARINT_OVERFLOW } from './errors';
import { readable, writable } from './memory/arena';

/** Address after the last decoded varint, or 0 when it failed. */
export let varPos: usize = 0;
/** Error of the last failed decode. */
export let varErr: i32 = 0;

function uvarint32Slow(p: usize, end: usize): u32 {
  let result: u32 = 0;
  let shift: u32 = 0;
  while (true) {
    if (p >= end) {
      varErr = E_TRUNCATED;
      varPos = 0;
      return 0;
    }
    const b = <u32>load<u8>(p);
    p++;
    result |= (b & 0x7f) << shift;
    if (b < 0x80) {
      varPos = p;
      return result;
    }
    shift += 7;
    if (shift > 28) {
      varErr = E_VARINT_OVERFLOW;
      varPos = 0;
      return 0;
    }
  }
}

/** Unsigned varint (int32 range). */
// @ts-ignore: decorator
@inline export function readUVarint(p: usize, end: usize): u32 {
  if (p < end) {
    const b = <u32>load<u8>(p);
    if (b < 0x80) {
      varPos = p + 1;
      return b;
    }
  }
  return uvarint32Slow(p, end);
}

/** Zig-zag varint (int32). */
// @ts-ignore: decorator
@inline export function readVarint(p: usize, end: usize): i32 {
  const u = readUVarint(p, end);
  return <i32>(u >>> 1) ^ -<i32>(u & 1);
}

function uvarint64Slow(p: usize, end: usize): u64 {
  let result: u64 = 0;
  let shift: u64 = 0;
  while (true) {
    if (p >= end) {
      varErr = E_TRUNCATED;
      varPos = 0;
      return 0;
    }
    const b = <u64>load<u8>(p);
    p++;
    result |= (b & 0x7f) << shift;
    if (b < 0x80) {
      varPos = p;
      return result;
    }
    shift += 7;
    if (shift > 63) {
      varErr = E_VARINT_OVERFLOW;
      varPos = 0;
      return 0;
    }
  }
}

/** Unsigned varlong. */
// @ts-ignore: decorator
@inline export function readUVarlong(p: usize, end: usize): u64 {
  if (p < end) {
    const b = <u64>load<u8>(p);
    if (b < 0x80) {
      varPos = p + 1;
      return b;
    }
  }
  return uvarint64Slow(p, end);
}

/** Zig-zag varlong (int64). */
// @ts-ignore: decorator
@inline export function readVarlong(p: usize, end: usize): i64 {
  const u = readUVarlong(p, end);
  return <i64>(u >>> 1) ^ -<i64>(u & 1);
}

/** Bytes needed for an unsigned varint. */
export function sizeOfUVarint(v: u32): i32 {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}
/** Bytes needed for a zig-zag varint. */
export function sizeOfVarint(v: i32): i32 {
  return sizeOfUVarint(<u32>((v << 1) ^ (v >> 31)));
}
/** Bytes needed for a zig-zag varlong. */
export function sizeOfVarlong(v: i64): i32 {
  let u = <u64>((v << 1) ^ (v >> 63));
  let n = 1;
  while (u >= 0x80) {
    u >>>= 7;
    n++;
  }
  return n;
}

/** Writes an unsigned varint; returns the address after it. */
export function writeUVarint(p: usize, v: u32): usize {
  while (v >= 0x80) {
    store<u8>(p, <u8>(v | 0x80));
    v >>>= 7;
    p++;
  }
  store<u8>(p, <u8>v);
  return p + 1;
}
/** Writes a zig-zag varint. */
// @ts-ignore: decorator
@inline export function writeVarint(p: usize, v: i32): usize {
  return writeUVarint(p, <u32>((v << 1) ^ (v >> 31)));
}
/** Writes a zig-zag varlong. */
export function writeVarlong(p: usize, v: i64): usize {
  let u = <u64>((v << 1) ^ (v >> 63));
  while (u >= 0x80) {
    store<u8>(p, <u8>(u | 0x80));
    u >>>= 7;
    p++;
  }
  store<u8>(p, <u8>u);
  return p + 1;
}

// ---- Host-facing helpers (tests, protocol code): decode one value at p, bounded by end. ----
// They return the value and leave the next position / error readable via varintPos().

function hostBound(p: usize, end: usize): usize {
  if (end < p || !readable(p, <i32>(end - p))) return p;
  return end;
}

export function varintDecode(p: usize, end: usize): i32 {
  end = hostBound(p, end);
  return readVarint(p, end);
}
export function varlongDecode(p: usize, end: usize): i64 {
  end = hostBound(p, end);
  return readVarlong(p, end);
}
export function uvarintDecode(p: usize, end: usize): u32 {
  end = hostBound(p, end);
  return readUVarint(p, end);
}
/** Address after the last host-facing decode, 0 when it failed (see varintError). */
export function varintPos(): usize {
  return varPos;
}
export function varintError(): i32 {
  return varErr;
}
/** Encoders return the address after the value, or 0 when [p, p+10) is not writable. */
export function varintEncode(p: usize, v: i32): usize {
  return writable(p, 10) ? writeVarint(p, v) : 0;
}
export function varlongEncode(p: usize, v: i64): usize {
  return writable(p, 10) ? writeVarlong(p, v) : 0;
}
export function uvarintEncode(p: usize, v: u32): usize {
  return writable(p, 10) ? writeUVarint(p, v) : 0;
}
