// MurmurHash3 x64_128 (Austin Appleby's public-domain algorithm, SMHasher): the 128-bit key hash of the
// cleaner's offset map. Blocks of 16 bytes are read as two little-endian u64 (WebAssembly's byte order).
// The result goes to hashHi (h1) and hashLo (h2), so a hash costs no allocation.

import { E_OUT_OF_BOUNDS, OK, fail } from './errors';
import { readable, writable } from './memory/arena';

const C1: u64 = 0x87c37b91114253d5;
const C2: u64 = 0x4cf5ad432745937f;

/** h1 of the last hash. */
export let hashHi: u64 = 0;
/** h2 of the last hash. */
export let hashLo: u64 = 0;

// @ts-ignore: decorator
@inline
function fmix64(k: u64): u64 {
  k ^= k >>> 33;
  k *= 0xff51afd7ed558ccd;
  k ^= k >>> 33;
  k *= 0xc4ceb9fe1a85ec53;
  k ^= k >>> 33;
  return k;
}

/** The n (< 8) bytes at p as a little-endian word, zero above them. */
// @ts-ignore: decorator
@inline
function loadTail(p: usize, n: usize): u64 {
  let v: u64 = 0;
  let shift: u64 = 0;
  if (n & 4) {
    v = <u64>load<u32>(p);
    shift = 32;
    p += 4;
  }
  if (n & 2) {
    v |= <u64>load<u16>(p) << shift;
    shift += 16;
    p += 2;
  }
  if (n & 1) v |= <u64>load<u8>(p) << shift;
  return v;
}

/** Hashes [p, p+len) (the caller checked it is readable) into hashHi / hashLo. */
export function murmur3x64(p: usize, len: usize, seed: u64): void {
  let h1 = seed;
  let h2 = seed;
  const blocksEnd = p + (len & ~(<usize>15));
  let q = p;
  while (q < blocksEnd) {
    let k1 = load<u64>(q);
    let k2 = load<u64>(q, 8);
    k1 *= C1;
    k1 = rotl<u64>(k1, 31);
    k1 *= C2;
    h1 ^= k1;
    h1 = rotl<u64>(h1, 27);
    h1 += h2;
    h1 = h1 * 5 + 0x52dce729;
    k2 *= C2;
    k2 = rotl<u64>(k2, 33);
    k2 *= C1;
    h2 ^= k2;
    h2 = rotl<u64>(h2, 31);
    h2 += h1;
    h2 = h2 * 5 + 0x38495ab5;
    q += 16;
  }
  const rest = len & 15;
  if (rest != 0) {
    // The tail's bytes as two little-endian words, in at most four loads each (never past the key).
    let k1: u64 = 0;
    let k2: u64 = 0;
    if (rest >= 8) {
      k1 = load<u64>(q);
      k2 = loadTail(q + 8, rest - 8);
    } else {
      k1 = loadTail(q, rest);
    }
    if (rest > 8) {
      k2 *= C2;
      k2 = rotl<u64>(k2, 33);
      k2 *= C1;
      h2 ^= k2;
    }
    k1 *= C1;
    k1 = rotl<u64>(k1, 31);
    k1 *= C2;
    h1 ^= k1;
  }
  h1 ^= <u64>len;
  h2 ^= <u64>len;
  h1 += h2;
  h2 += h1;
  h1 = fmix64(h1);
  h2 = fmix64(h2);
  h1 += h2;
  h2 += h1;
  hashHi = h1;
  hashLo = h2;
}

/** Host entry: MurmurHash3 x64_128 of [p, p+len) with `seed`; writes h1 then h2 (u64, little-endian) at out. */
export function keyHash128(p: usize, len: i32, seed: u32, out: usize): i32 {
  if (!readable(p, len)) return fail(E_OUT_OF_BOUNDS, p);
  if (!writable(out, 16)) return fail(E_OUT_OF_BOUNDS, out);
  murmur3x64(p, <usize>len, <u64>seed);
  store<u64>(out, hashHi);
  store<u64>(out, hashLo, 8);
  return OK;
}
