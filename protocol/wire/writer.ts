// Writer: fills one preallocated buffer whose exact size was computed beforehand by the generated
// size functions (see sizes.ts). No growth, no concatenation; writing past the end is a bug and throws.
import { ProtocolEncodeError } from './errors.js';
import type { RawTaggedField } from './reader.js';
import { utf8Length, writeUtf8 } from './utf8.js';
import { uuidToBytes } from './uuid.js';

export class Writer {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos: number;

  /** A new zeroed buffer of `size` bytes, or `buf` written from `start`. */
  constructor(sizeOrBuf: number | Uint8Array, start = 0) {
    this.buf = typeof sizeOrBuf === 'number' ? new Uint8Array(sizeOrBuf) : sizeOrBuf;
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.pos = start;
  }

  private take(n: number): number {
    const p = this.pos;
    if (p + n > this.buf.length) throw new ProtocolEncodeError(`Writer overflow: ${n} bytes at ${p} of ${this.buf.length} (size function mismatch)`);
    this.pos = p + n;
    return p;
  }

  int8(v: number): void {
    this.view.setInt8(this.take(1), v);
  }
  bool(v: boolean): void {
    this.buf[this.take(1)] = v ? 1 : 0;
  }
  int16(v: number): void {
    this.view.setInt16(this.take(2), v);
  }
  uint16(v: number): void {
    this.view.setUint16(this.take(2), v);
  }
  int32(v: number): void {
    this.view.setInt32(this.take(4), v);
  }
  uint32(v: number): void {
    this.view.setUint32(this.take(4), v);
  }
  int64(v: bigint): void {
    this.view.setBigInt64(this.take(8), v);
  }
  float64(v: number): void {
    this.view.setFloat64(this.take(8), v);
  }

  /** Unsigned LEB128 of a 0 ≤ v < 2^32 integer. */
  uvarint(v: number): void {
    if (v < 0 || v > 0xffffffff) throw new ProtocolEncodeError(`uvarint out of range: ${v}`);
    const buf = this.buf;
    while (v >= 0x80) {
      buf[this.take(1)] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[this.take(1)] = v;
  }
  varint(v: number): void {
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }
  uvarlong(v: bigint): void {
    const buf = this.buf;
    while (v >= 0x80n) {
      buf[this.take(1)] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    buf[this.take(1)] = Number(v);
  }
  varlong(v: bigint): void {
    this.uvarlong(BigInt.asUintN(64, (v << 1n) ^ (v >> 63n)));
  }

  uuid(v: string): void {
    const p = this.take(16);
    if (!uuidToBytes(v, this.buf, p)) throw new ProtocolEncodeError(`not a base64url UUID: ${JSON.stringify(v)}`);
  }

  /** Copies `b` verbatim. */
  raw(b: Uint8Array): void {
    this.buf.set(b, this.take(b.length));
  }

  string(s: string): void {
    const len = utf8Length(s);
    if (len > 0x7fff) throw new ProtocolEncodeError(`string too long: ${len} bytes`);
    this.int16(len);
    writeUtf8(this.buf, this.take(len), s, len);
  }
  nullableString(s: string | null): void {
    if (s === null) this.int16(-1);
    else this.string(s);
  }
  compactString(s: string): void {
    const len = utf8Length(s);
    if (len > 0x7fff) throw new ProtocolEncodeError(`string too long: ${len} bytes`);
    this.uvarint(len + 1);
    writeUtf8(this.buf, this.take(len), s, len);
  }
  compactNullableString(s: string | null): void {
    if (s === null) this.uvarint(0);
    else this.compactString(s);
  }

  bytes(b: Uint8Array): void {
    this.int32(b.length);
    this.raw(b);
  }
  nullableBytes(b: Uint8Array | null): void {
    if (b === null) this.int32(-1);
    else this.bytes(b);
  }
  compactBytes(b: Uint8Array): void {
    this.uvarint(b.length + 1);
    this.raw(b);
  }
  compactNullableBytes(b: Uint8Array | null): void {
    if (b === null) this.uvarint(0);
    else this.compactBytes(b);
  }

  /** int32 count, -1 for null. */
  arrayLength(n: number): void {
    this.int32(n);
  }
  /** Unsigned-varint count + 1, 0 for null (pass -1). */
  compactArrayLength(n: number): void {
    this.uvarint(n + 1);
  }

  /**
   * Writes raw tagged fields from `fields[from..]` whose tag is below `beforeTag`, in order; returns
   * the index of the first one not written. Generated encoders interleave them with known tags.
   */
  rawTaggedFields(fields: readonly RawTaggedField[] | undefined, from: number, beforeTag: number): number {
    if (fields === undefined) return from;
    let i = from;
    for (; i < fields.length && fields[i]!.tag < beforeTag; i++) {
      const f = fields[i]!;
      this.uvarint(f.tag);
      this.uvarint(f.data.length);
      this.raw(f.data);
    }
    return i;
  }

  /** A tagged-field section holding only raw fields (structs with no known tagged fields). */
  taggedFields(fields: readonly RawTaggedField[] | undefined): void {
    if (fields === undefined) {
      this.buf[this.take(1)] = 0;
      return;
    }
    this.uvarint(fields.length);
    this.rawTaggedFields(fields, 0, Infinity);
  }
}
