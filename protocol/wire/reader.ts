// Reader: a bounds-checked cursor over one Uint8Array. Every read checks against `end` and throws
// ProtocolDecodeError instead of reading past the frame. Byte strings (bytes, records, unknown tagged
// fields) come back as subarray views of the input, never copies.
import { ProtocolDecodeError } from './errors.js';
import { readUtf8 } from './utf8.js';
import { uuidFromBytes } from './uuid.js';

/** A tagged field the decoder did not recognise: its tag and a view of its raw bytes. */
export interface RawTaggedField {
  tag: number;
  data: Uint8Array;
}

export class Reader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  /** Next byte to read. */
  pos: number;
  /** One past the last readable byte. */
  readonly end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    if (start < 0 || end > buf.length || start > end) throw new RangeError('Reader: bad bounds');
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string, at = this.pos): never {
    throw new ProtocolDecodeError(message, at);
  }

  /** Reserves `n` bytes and returns their start offset. */
  private take(n: number): number {
    const p = this.pos;
    if (n > this.end - p) this.fail(`need ${n} bytes, ${this.end - p} left`);
    this.pos = p + n;
    return p;
  }

  int8(): number {
    return this.view.getInt8(this.take(1));
  }
  bool(): boolean {
    return this.view.getUint8(this.take(1)) !== 0;
  }
  int16(): number {
    return this.view.getInt16(this.take(2));
  }
  uint16(): number {
    return this.view.getUint16(this.take(2));
  }
  int32(): number {
    return this.view.getInt32(this.take(4));
  }
  uint32(): number {
    return this.view.getUint32(this.take(4));
  }
  int64(): bigint {
    return this.view.getBigInt64(this.take(8));
  }
  float64(): number {
    return this.view.getFloat64(this.take(8));
  }

  /** Unsigned LEB128 up to 32 bits (at most 5 bytes). */
  uvarint(): number {
    const buf = this.buf;
    let p = this.pos;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (p >= this.end) this.fail('truncated varint');
      const b = buf[p++]!;
      if (shift === 28 && b > 0x0f) this.fail('varint overflows 32 bits', p - 1);
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        this.pos = p;
        return result;
      }
    }
    return this.fail('varint longer than 5 bytes');
  }

  /** Zig-zag signed varint (int32). */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Unsigned LEB128 up to 64 bits (at most 10 bytes). */
  uvarlong(): bigint {
    const buf = this.buf;
    let p = this.pos;
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (p >= this.end) this.fail('truncated varlong');
      const b = buf[p++]!;
      if (shift === 63n && b > 0x01) this.fail('varlong overflows 64 bits', p - 1);
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = p;
        return result;
      }
    }
    return this.fail('varlong longer than 10 bytes');
  }

  /** Zig-zag signed varlong (int64). */
  varlong(): bigint {
    const u = this.uvarlong();
    return (u >> 1n) ^ -(u & 1n);
  }

  uuid(): string {
    return uuidFromBytes(this.buf, this.take(16));
  }

  /** A view of the next `n` bytes (no copy). */
  raw(n: number): Uint8Array {
    const p = this.take(n);
    return this.buf.subarray(p, p + n);
  }

  private text(len: number): string {
    const p = this.take(len);
    try {
      return readUtf8(this.buf, p, len);
    } catch {
      return this.fail('invalid UTF-8 in string', p);
    }
  }

  /** int16-length string; null when the length is -1. */
  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) {
      if (len === -1) return null;
      this.fail(`negative string length ${len}`, this.pos - 2);
    }
    return this.text(len);
  }
  string(): string {
    const s = this.nullableString();
    return s === null ? this.fail('null in non-nullable string', this.pos - 2) : s;
  }

  /** Unsigned-varint (length + 1) string; null when 0. */
  compactNullableString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    if (n - 1 > 0x7fff) this.fail(`string length ${n - 1} exceeds 32767`);
    return this.text(n - 1);
  }
  compactString(): string {
    const s = this.compactNullableString();
    return s === null ? this.fail('null in non-nullable compact string') : s;
  }

  /** int32-length byte string as a view; null when the length is -1. */
  nullableBytes(): Uint8Array | null {
    const len = this.int32();
    if (len < 0) {
      if (len === -1) return null;
      this.fail(`negative bytes length ${len}`, this.pos - 4);
    }
    return this.raw(len);
  }
  bytes(): Uint8Array {
    const b = this.nullableBytes();
    return b === null ? this.fail('null in non-nullable bytes', this.pos - 4) : b;
  }

  /** Unsigned-varint (length + 1) byte string as a view; null when 0. */
  compactNullableBytes(): Uint8Array | null {
    const n = this.uvarint();
    return n === 0 ? null : this.raw(n - 1);
  }
  compactBytes(): Uint8Array {
    const b = this.compactNullableBytes();
    return b === null ? this.fail('null in non-nullable compact bytes') : b;
  }

  /**
   * int32 element count; -1 means null. Counts larger than the bytes left are rejected (every element
   * takes at least one byte), so garbage cannot trigger a huge allocation.
   */
  arrayLength(): number {
    const n = this.int32();
    if (n < -1) this.fail(`negative array length ${n}`, this.pos - 4);
    if (n > this.end - this.pos) this.fail(`array length ${n} exceeds remaining bytes`, this.pos - 4);
    return n;
  }
  /** Unsigned-varint (count + 1); returns -1 for null. */
  compactArrayLength(): number {
    const start = this.pos;
    const n = this.uvarint() - 1;
    if (n > this.end - this.pos) this.fail(`array length ${n} exceeds remaining bytes`, start);
    return n;
  }

  /** A nullable struct's presence marker (int8: negative = null). */
  present(): boolean {
    return this.int8() >= 0;
  }

  /**
   * Reads a whole tagged-field section and keeps every field raw. Generated decoders handle known
   * tags themselves; this is for structs that have none (headers, most structs).
   */
  unknownTaggedFields(): RawTaggedField[] | undefined {
    const count = this.uvarint();
    let out: RawTaggedField[] | undefined;
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      const size = this.uvarint();
      (out ??= []).push({ tag, data: this.raw(size) });
    }
    return out;
  }
}
