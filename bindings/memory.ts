// The core's linear memory as the bindings see it: current views (re-created after growth), reserved
// regions, and the scratch areas the convenience wrappers copy Uint8Array arguments into.
//
// The arena never frees: everything is reserved once and reused.

import type { CoreExports } from './exports.js';

/** Bytes each scratch area holds before it first has to grow. */
const INITIAL_SCRATCH_BYTES = 64 * 1024;

/** A reserved range of linear memory. */
export class Region {
  constructor(private readonly core: CoreMemory, readonly ptr: number, readonly size: number) {}
  /** A view of the whole region (re-created if memory has grown since). */
  bytes(): Uint8Array {
    return this.core.u8.subarray(this.ptr, this.ptr + this.size);
  }
  /** A view of the first n bytes. */
  view(n: number = this.size, offset = 0): Uint8Array {
    return this.core.u8.subarray(this.ptr + offset, this.ptr + offset + n);
  }
  /** Copies src into the region at offset. */
  write(src: Uint8Array, offset = 0): void {
    if (offset < 0 || offset + src.length > this.size) throw new RangeError(`region of ${this.size} bytes cannot take ${src.length} at ${offset}`);
    this.core.u8.set(src, this.ptr + offset);
  }
}

/** A view of `len` bytes at `ptr`, or null when the core reports a null field (len < 0). */
export function nullableView(u8: Uint8Array, ptr: number, len: number): Uint8Array | null {
  return len < 0 ? null : u8.subarray(ptr, ptr + len);
}

/**
 * A growable scratch area for the convenience wrappers (a larger request reserves a new area). Reserved
 * when made, so that the first calls do not grow memory (growth detaches views the host holds).
 */
export class Scratch {
  ptr = 0;
  size = 0;
  constructor(private readonly core: CoreMemory) {
    this.ensure(INITIAL_SCRATCH_BYTES);
  }
  ensure(n: number): number {
    if (n > this.size) {
      const size = Math.max(n, this.size * 2, INITIAL_SCRATCH_BYTES);
      this.ptr = this.core.allocPtr(size, 64);
      this.size = size;
    }
    return this.ptr;
  }
}

/** One core instance's exports and linear memory. */
export class CoreMemory {
  readonly exports: CoreExports;
  private buf: ArrayBuffer | null = null;
  private _u8!: Uint8Array;
  private _dv!: DataView;
  /** @internal where copyIn puts bytes that are not in linear memory yet */
  readonly input: Scratch;
  /** @internal where the wrappers encode results before slicing them out */
  readonly output: Scratch;

  constructor(instance: WebAssembly.Instance) {
    this.exports = instance.exports as unknown as CoreExports;
    this.input = new Scratch(this);
    this.output = new Scratch(this);
  }

  /** Current byte view of linear memory. */
  get u8(): Uint8Array {
    if (this.exports.memory.buffer !== this.buf) this.refresh();
    return this._u8;
  }
  /** Current DataView of linear memory. */
  get dv(): DataView {
    if (this.exports.memory.buffer !== this.buf) this.refresh();
    return this._dv;
  }
  private refresh(): void {
    this.buf = this.exports.memory.buffer;
    this._u8 = new Uint8Array(this.buf);
    this._dv = new DataView(this.buf);
  }

  /** Reserves `size` bytes of linear memory (never freed; reserve at start-up and reuse). */
  alloc(size: number, align = 64): Region {
    return new Region(this, this.allocPtr(size, align), size);
  }
  /** @internal */
  allocPtr(size: number, align: number): number {
    const p = this.exports.arenaAlloc(size, align) >>> 0;
    if (p === 0) throw new RangeError(`rivulet core: cannot reserve ${size} bytes of linear memory`);
    return p;
  }

  /** Copies bytes into the input scratch area (unless they already are a view of linear memory). */
  copyIn(bytes: Uint8Array): number {
    if (bytes.buffer === this.exports.memory.buffer) return bytes.byteOffset;
    const p = this.input.ensure(bytes.length);
    this.u8.set(bytes, p);
    return p;
  }

  /** Absolute address where the last failing call detected the problem. */
  lastErrorPosition(): number {
    return this.exports.lastErrorPos() >>> 0;
  }
}
