// Java-compatible murmur2 (org.apache.kafka.common.utils.Utils.murmur2, seed 0x9747b28c) over the key
// bytes; returns a signed 32-bit int exactly like Java's. The default partitioner uses
// toPositive(murmur2(key)) % numPartitions, so keyed records land where Java/kafkajs put them.

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** murmur2 of `data`, as the signed 32-bit value Java returns. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = (data[i4]! & 0xff) | ((data[i4 + 1]! & 0xff) << 8) | ((data[i4 + 2]! & 0xff) << 16) | ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const tail = length & ~3;
  const rem = length & 3;
  if (rem === 3) h ^= (data[tail + 2]! & 0xff) << 16;
  if (rem >= 2) h ^= (data[tail + 1]! & 0xff) << 8;
  if (rem >= 1) {
    h ^= data[tail]! & 0xff;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Java's Utils.toPositive: clears the sign bit (not Math.abs). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Java's default partitioner picks for a non-null key. */
export function murmur2Partition(key: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(key)) % numPartitions;
}
