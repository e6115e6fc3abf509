// Kafka UUIDs travel as 16 raw bytes; in memory we keep Kafka's textual form: URL-safe base64 without
// padding (22 characters), what Kafka's tools print for topic ids.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** The all-zero UUID (Kafka's Uuid.ZERO_UUID), the default of every uuid field. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** 16 bytes at `pos` → 22-char base64url string. */
export function uuidFromBytes(buf: Uint8Array, pos: number): string {
  let s = '';
  let i = 0;
  for (; i < 15; i += 3) {
    const n = (buf[pos + i]! << 16) | (buf[pos + i + 1]! << 8) | buf[pos + i + 2]!;
    s += ALPHABET[(n >>> 18) & 63]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const last = buf[pos + 15]!;
  return s + ALPHABET[last >>> 2]! + ALPHABET[(last & 3) << 4]!;
}

/** Writes the 16 bytes of a 22-char base64url UUID at `pos`; returns false if `s` is not one. */
export function uuidToBytes(s: string, buf: Uint8Array, pos: number): boolean {
  if (s.length !== 22) return false;
  const v = (k: number): number => {
    const c = s.charCodeAt(k);
    return c < 128 ? LOOKUP[c]! : -1;
  };
  let o = pos;
  for (let i = 0; i < 20; i += 4) {
    const a = v(i), b = v(i + 1), c = v(i + 2), d = v(i + 3);
    if ((a | b | c | d) < 0) return false;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    buf[o++] = n >>> 16;
    buf[o++] = (n >>> 8) & 255;
    buf[o++] = n & 255;
  }
  const a = v(20), b = v(21);
  if ((a | b) < 0 || (b & 15) !== 0) return false;
  buf[o] = (a << 2) | (b >>> 4);
  return true;
}
