// CRC-32C (record batches v2) and CRC-32 (legacy message sets) through the core.

import type { CoreMemory } from './memory.js';

export class Checksums {
  constructor(private readonly mem: CoreMemory) {}

  crc32c(bytes: Uint8Array): number {
    const p = this.mem.copyIn(bytes);
    return this.mem.exports.crc32c(p, bytes.length) >>> 0;
  }
  crc32(bytes: Uint8Array): number {
    const p = this.mem.copyIn(bytes);
    return this.mem.exports.crc32(p, bytes.length) >>> 0;
  }
  crc32cAt(ptr: number, len: number): number {
    return this.mem.exports.crc32c(ptr, len) >>> 0;
  }
  crc32At(ptr: number, len: number): number {
    return this.mem.exports.crc32(ptr, len) >>> 0;
  }
}
