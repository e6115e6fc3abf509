// Kafka's varints (zig-zag int32/int64 and unsigned int32) through the core; mostly for tests and
// protocol code.

import { CoreError } from './errors.js';
import { big, type Int64 } from './int64.js';
import type { CoreMemory } from './memory.js';

/** Longest encoding of any varint kind (10 bytes), rounded up. */
const MAX_VARINT_BYTES = 16;

export class Varints {
  constructor(private readonly mem: CoreMemory) {}

  readVarint(bytes: Uint8Array, offset = 0): { value: number; next: number } {
    const p = this.mem.copyIn(bytes);
    const value = this.mem.exports.varintDecode(p + offset, p + bytes.length);
    return { value, next: this.endOf('varint', p, offset) };
  }
  readVarlong(bytes: Uint8Array, offset = 0): { value: bigint; next: number } {
    const p = this.mem.copyIn(bytes);
    const value = this.mem.exports.varlongDecode(p + offset, p + bytes.length);
    return { value, next: this.endOf('varlong', p, offset) };
  }
  readUnsignedVarint(bytes: Uint8Array, offset = 0): { value: number; next: number } {
    const p = this.mem.copyIn(bytes);
    const value = this.mem.exports.uvarintDecode(p + offset, p + bytes.length) >>> 0;
    return { value, next: this.endOf('unsigned varint', p, offset) };
  }
  /** Offset (relative to the input at p) just past the varint decoded last; throws when decoding failed. */
  private endOf(what: string, p: number, offset: number): number {
    const q = this.mem.exports.varintPos() >>> 0;
    if (q === 0) throw new CoreError(this.mem.exports.varintError(), what, offset);
    return q - p;
  }

  writeVarint(v: number): Uint8Array {
    const p = this.mem.output.ensure(MAX_VARINT_BYTES);
    const q = this.mem.exports.varintEncode(p, v | 0) >>> 0;
    return this.mem.u8.slice(p, q);
  }
  writeVarlong(v: Int64): Uint8Array {
    const p = this.mem.output.ensure(MAX_VARINT_BYTES);
    const q = this.mem.exports.varlongEncode(p, big(v)) >>> 0;
    return this.mem.u8.slice(p, q);
  }
  writeUnsignedVarint(v: number): Uint8Array {
    const p = this.mem.output.ensure(MAX_VARINT_BYTES);
    const q = this.mem.exports.uvarintEncode(p, v >>> 0) >>> 0;
    return this.mem.u8.slice(p, q);
  }
}
