// Records travel from the page to the Worker packed into one ArrayBuffer that is transferred, not cloned:
// structured clone allocates and copies an ArrayBuffer per key and value (and copies the whole buffer a
// subarray views), which cost about as much as the append in the Worker. The Worker reads the records
// back as views into that buffer, without copying.
//
// Layout (little endian): u32 count, then per record f64 timestamp (NaN: none), key, value, i32 header
// count (-1: none), per header a key (UTF-8) and a value; each byte field is i32 length (-1: null) + bytes.
import type { LocalRecordInput } from './sync/types.js';

const enc = new TextEncoder();

/** Packs records (already validated, bytes or null) into one buffer to transfer. */
export function packRecords(records: LocalRecordInput[]): ArrayBuffer {
  const headerKeys = records.map((r) => r.headers?.map((h) => enc.encode(h.key)));
  let size = 4;
  records.forEach((r, i) => {
    size += 8 + 4 + (r.key?.byteLength ?? 0) + 4 + (r.value?.byteLength ?? 0) + 4;
    r.headers?.forEach((h, j) => (size += 4 + headerKeys[i]![j]!.byteLength + 4 + (h.value?.byteLength ?? 0)));
  });
  const buf = new ArrayBuffer(size);
  const dv = new DataView(buf);
  const u8 = new Uint8Array(buf);
  let at = 0;
  const bytes = (b: Uint8Array | null | undefined): void => {
    if (b == null) {
      dv.setInt32(at, -1, true);
      at += 4;
      return;
    }
    dv.setInt32(at, b.byteLength, true);
    u8.set(b, at + 4);
    at += 4 + b.byteLength;
  };
  dv.setUint32(at, records.length, true);
  at += 4;
  records.forEach((r, i) => {
    dv.setFloat64(at, r.timestamp ?? NaN, true);
    at += 8;
    bytes(r.key);
    bytes(r.value);
    dv.setInt32(at, r.headers ? r.headers.length : -1, true);
    at += 4;
    r.headers?.forEach((h, j) => {
      bytes(headerKeys[i]![j]!);
      bytes(h.value);
    });
  });
  return buf;
}

const dec = new TextDecoder();

/** The records of a packed buffer, their bytes as views into it; a malformed buffer is a TypeError. */
export function unpackRecords(buf: unknown): LocalRecordInput[] {
  if (!(buf instanceof ArrayBuffer)) throw new TypeError('append: records must come as a packed ArrayBuffer');
  const dv = new DataView(buf);
  const u8 = new Uint8Array(buf);
  let at = 0;
  const need = (n: number): void => {
    if (n < 0 || at + n > buf.byteLength) throw new TypeError(`append: malformed packed records at byte ${at}`);
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
  const count = dv.getUint32(0, true);
  at = 4;
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
  if (at !== buf.byteLength) throw new TypeError('append: malformed packed records (trailing bytes)');
  return out;
}
