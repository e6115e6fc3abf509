// Records travel from the page to the Worker packed into one ArrayBuffer that is transferred, not cloned:
// structured clone allocates and copies an ArrayBuffer per key and value (and copies the whole buffer a
// subarray views), which cost about as much as the append in the Worker. The Worker reads the records
// back as views into that buffer, without copying, and hands the buffer back with its answer: the page
// packs the next append into it (BufferPool). A fresh ArrayBuffer per append cost Chromium 20–30 µs,
// more than packing a 1 KiB record.
//
// Packing checks the page's input and writes it in one pass over the records (strings encoded straight
// into the buffer with encodeInto), so an append allocates no per-record objects or buffers.
//
// Layout (little endian), from byte FRAME_HEADER on: u32 count, then per record f64 timestamp (NaN: none),
// key, value, i32 header count (-1: none), per header a key (UTF-8) and a value; each byte field is i32
// length (-1: null) + bytes. The buffer may be longer than the packed bytes: their length travels with it.
//
// A single append travels as the bare buffer (an append frame), its request in the first FRAME_HEADER
// bytes, and comes back the same way with the answer there: a transferred ArrayBuffer alone is cheaper to
// post and to receive than an object holding it (5–10 µs of a ~80 µs round trip).
//   request: u32 id, u32 logId, u32 packed length      answer: u32 id, u32 unused, f64 baseOffset, f64 lastOffset
// Only a successful append comes back as a frame; a failed one is answered with an ordinary error message.
import type { LocalRecordInput } from './sync/types.js';

type Bytes = string | Uint8Array;

/** A record to append as the page API takes it: strings are stored as UTF-8. */
export interface RecordInput {
  key?: Bytes | null;
  value: Bytes | null;
  headers?: Record<string, Bytes | null> | { key: string; value: Bytes | null }[];
  /** CreateTime in ms (default: now). */
  timestamp?: number | Date;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Bytes before the packed records: an append frame's request or answer. */
export const FRAME_HEADER = 24;

/** Page: makes `buffer` (packed records of `length` bytes) the frame of append request `id` to log `logId`. */
export function writeFrameRequest(buffer: ArrayBuffer, id: number, logId: number, length: number): void {
  const dv = new DataView(buffer);
  dv.setUint32(0, id, true);
  dv.setUint32(4, logId, true);
  dv.setUint32(8, length, true);
}

/** Worker: the request of an append frame. */
export function readFrameRequest(buffer: ArrayBuffer): { id: number; logId: number; length: number } | null {
  if (buffer.byteLength < FRAME_HEADER) return null;
  const dv = new DataView(buffer);
  return { id: dv.getUint32(0, true), logId: dv.getUint32(4, true), length: dv.getUint32(8, true) };
}

/** Worker: writes the answer to append `id` into its frame. */
export function writeFrameAnswer(buffer: ArrayBuffer, id: number, r: { baseOffset: number; lastOffset: number }): void {
  const dv = new DataView(buffer);
  dv.setUint32(0, id, true);
  dv.setFloat64(8, r.baseOffset, true);
  dv.setFloat64(16, r.lastOffset, true);
}

/** Page: the answer in a frame that came back (appended). */
export function readFrameAnswer(buffer: ArrayBuffer): { id: number; baseOffset: number; lastOffset: number } | null {
  if (buffer.byteLength < FRAME_HEADER) return null;
  const dv = new DataView(buffer);
  return { id: dv.getUint32(0, true), baseOffset: dv.getFloat64(8, true), lastOffset: dv.getFloat64(16, true) };
}

/** Buffers that went to the Worker and came back, reused for later appends. */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  private bytes = 0;

  /** Pooled buffers are at most this big, and all of them together at most 4 MiB. */
  static readonly MAX_BUFFER = 1 << 20;
  private static readonly MAX_BYTES = 4 << 20;

  /** A buffer of at least `min` bytes: a pooled one, else a new one (sized to be reusable). */
  take(min: number): ArrayBuffer {
    for (let i = this.free.length - 1; i >= 0; i--) {
      const b = this.free[i]!;
      if (b.byteLength >= min) {
        this.free[i] = this.free[this.free.length - 1]!;
        this.free.pop();
        this.bytes -= b.byteLength;
        return b;
      }
    }
    if (min > BufferPool.MAX_BUFFER) return new ArrayBuffer(min);
    let size = 4096;
    while (size < min) size *= 2;
    return new ArrayBuffer(size);
  }

  /** A buffer back from the Worker. */
  give(b: ArrayBuffer): void {
    if (b.byteLength > BufferPool.MAX_BUFFER || b.byteLength === 0 || this.bytes + b.byteLength > BufferPool.MAX_BYTES) return;
    this.free.push(b);
    this.bytes += b.byteLength;
  }
}

function isBytes(v: unknown): v is Bytes {
  return typeof v === 'string' || v instanceof Uint8Array;
}

/** Bytes of `s` in UTF-8 (as TextEncoder writes it: a lone surrogate becomes U+FFFD, 3 bytes). */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x800) {
      n += 2;
      // A surrogate pair is 4 bytes for its 2 code units.
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    } else if (c >= 0x80) n += 1;
  }
  return n;
}

/** Strings up to this many code units are bounded at 3 bytes each rather than measured. */
const MEASURE_FROM = 4096;

/** Most bytes a field takes packed: short strings at 3 bytes per UTF-16 code unit, long ones measured. */
function fieldBound(v: Bytes | null | undefined): number {
  if (v == null) return 4;
  if (typeof v !== 'string') return 4 + v.byteLength;
  return 4 + (v.length <= MEASURE_FROM ? v.length * 3 : utf8Length(v));
}

/**
 * Checks the records (the page API's errors: `record <i>: …`) and packs them into a buffer from `pool`.
 * Returns the buffer and how many of its bytes hold the records.
 */
export function packRecords(records: readonly RecordInput[], pool: BufferPool): { buffer: ArrayBuffer; length: number } {
  let bound = FRAME_HEADER + 4;
  for (let i = 0; i < records.length; i++) bound += recordBound(records[i]!, i);

  const buffer = pool.take(bound);
  const dv = new DataView(buffer);
  const u8 = new Uint8Array(buffer);
  let at = FRAME_HEADER;
  dv.setUint32(at, records.length, true);
  at += 4;
  for (const r of records) at = writeRecord(dv, u8, at, r);
  return { buffer, length: at - FRAME_HEADER };
}

/** Checks record `i` and returns the most bytes it takes packed. */
function recordBound(r: RecordInput, i: number): number {
  if (r === null || typeof r !== 'object') throw new TypeError(`record ${i} must be an object`);
  if (r.value !== null && !isBytes(r.value)) throw new TypeError(`record ${i}: value must be a string, a Uint8Array or null`);
  if (r.key != null && !isBytes(r.key)) throw new TypeError(`record ${i}: key must be a string, a Uint8Array or null`);
  let bound = 8 + fieldBound(r.key) + fieldBound(r.value) + 4;
  if (r.headers !== undefined) bound += headersBound(r.headers, i);
  const ts = r.timestamp instanceof Date ? r.timestamp.getTime() : r.timestamp;
  // Checked here: the packed form carries a float64 and cannot tell a bad value apart.
  if (ts !== undefined && !Number.isSafeInteger(ts)) throw new TypeError(`record ${i}: timestamp must be an integer (ms)`);
  return bound;
}

/** Checks the headers of record `i` and returns the most bytes their keys and values take packed. */
function headersBound(h: NonNullable<RecordInput['headers']>, i: number): number {
  if (h === null || typeof h !== 'object') throw new TypeError(`record ${i}: headers must be an object or an array of { key, value }`);
  let bound = 0;
  if (Array.isArray(h)) {
    for (const x of h) {
      if (x === null || typeof x !== 'object' || (x.value != null && !isBytes(x.value))) throw new TypeError(`record ${i}: a header value must be a string, a Uint8Array or null`);
      bound += fieldBound(String(x.key)) + fieldBound(x.value);
    }
  } else {
    for (const k of Object.keys(h)) {
      const v = h[k];
      if (v != null && !isBytes(v)) throw new TypeError(`record ${i}: a header value must be a string, a Uint8Array or null`);
      bound += fieldBound(k) + fieldBound(v);
    }
  }
  return bound;
}

/** Writes one checked record at `at`; returns the offset after it. */
function writeRecord(dv: DataView, u8: Uint8Array, at: number, r: RecordInput): number {
  const ts = r.timestamp instanceof Date ? r.timestamp.getTime() : r.timestamp;
  dv.setFloat64(at, ts ?? NaN, true);
  at = writeField(dv, u8, at + 8, r.key);
  at = writeField(dv, u8, at, r.value);
  const h = r.headers;
  if (h === undefined) {
    dv.setInt32(at, -1, true);
    return at + 4;
  }
  if (Array.isArray(h)) {
    dv.setInt32(at, h.length, true);
    at += 4;
    for (const x of h) {
      at = writeField(dv, u8, at, String(x.key));
      at = writeField(dv, u8, at, x.value);
    }
    return at;
  }
  const keys = Object.keys(h);
  dv.setInt32(at, keys.length, true);
  at += 4;
  for (const k of keys) {
    at = writeField(dv, u8, at, k);
    at = writeField(dv, u8, at, h[k]);
  }
  return at;
}

/** Writes a byte field (i32 length, -1 for null, then the bytes; strings as UTF-8) at `at`; returns the offset after it. */
function writeField(dv: DataView, u8: Uint8Array, at: number, v: Bytes | null | undefined): number {
  if (v == null) {
    dv.setInt32(at, -1, true);
    return at + 4;
  }
  let n: number;
  if (typeof v === 'string') n = enc.encodeInto(v, u8.subarray(at + 4)).written;
  else {
    u8.set(v, at + 4);
    n = v.byteLength;
  }
  dv.setInt32(at, n, true);
  return at + 4 + n;
}

/** The records packed in `length` bytes of a buffer (after its frame header), as views into it; malformed is a TypeError. */
export function unpackRecords(buf: unknown, length: unknown): LocalRecordInput[] {
  if (!(buf instanceof ArrayBuffer)) throw new TypeError('append: records must come as a packed ArrayBuffer');
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || FRAME_HEADER + length > buf.byteLength) throw new TypeError('append: bad packed length');
  const dv = new DataView(buf);
  const u8 = new Uint8Array(buf);
  const end = FRAME_HEADER + length;
  let at = FRAME_HEADER;
  const need = (n: number): void => {
    if (n < 0 || at + n > end) throw new TypeError(`append: malformed packed records at byte ${at}`);
  };
  const i32 = (): number => {
    need(4);
    const v = dv.getInt32(at, true);
    at += 4;
    return v;
  };
  const bytes = (): Uint8Array | null => {
    const n = i32();
    if (n === -1) return null;
    need(n);
    const b = u8.subarray(at, at + n);
    at += n;
    return b;
  };
  need(4);
  const count = dv.getUint32(at, true);
  at += 4;
  const out: LocalRecordInput[] = [];
  for (let i = 0; i < count; i++) {
    need(8);
    const ts = dv.getFloat64(at, true);
    at += 8;
    const key = bytes();
    const value = bytes();
    const n = i32();
    let headers: { key: string; value: Uint8Array | null }[] | undefined;
    if (n !== -1) {
      if (n < 0) throw new TypeError('append: malformed packed records (header count)');
      headers = [];
      for (let j = 0; j < n; j++) {
        const k = bytes();
        if (k === null) throw new TypeError('append: malformed packed records (null header key)');
        headers.push({ key: dec.decode(k), value: bytes() });
      }
    }
    out.push(Number.isNaN(ts) ? { key, value, headers } : { key, value, headers, timestamp: ts });
  }
  if (at !== end) throw new TypeError('append: malformed packed records (trailing bytes)');
  return out;
}
