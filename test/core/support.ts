// Runtime-neutral helpers for the core test cases (no Node APIs, no test framework): they run under
// vitest and, bundled, under Deno and Bun.

export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssertionError';
  }
}

const show = (v: unknown): string =>
  typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `bytes[${v.length}](${Array.from(v.subarray(0, 24)).join(',')}${v.length > 24 ? ',…' : ''})` : JSON.stringify(v);

export function ok(cond: unknown, message = 'assertion failed'): asserts cond {
  if (!cond) throw new AssertionError(message);
}

export function eq<T>(actual: T, expected: T, what = 'value'): void {
  if (actual instanceof Uint8Array || expected instanceof Uint8Array) {
    ok(bytesEqual(actual as unknown as Uint8Array | null, expected as unknown as Uint8Array | null), `${what}: expected ${show(expected)}, got ${show(actual)}`);
    return;
  }
  if (!Object.is(actual, expected)) throw new AssertionError(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

export function bytesEqual(a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean {
  if (a == null || b == null) return a == b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Runs f, expects it to throw an error with `code` (a CoreError). */
export function throwsCode(f: () => unknown, code: number, what = 'call'): void {
  try {
    f();
  } catch (e) {
    const c = (e as { code?: number }).code;
    if (c === code) return;
    throw new AssertionError(`${what}: expected error code ${code}, got ${String(c)} (${String(e)})`);
  }
  throw new AssertionError(`${what}: expected error code ${code}, but it did not throw`);
}

/** Small deterministic PRNG (xorshift32), so every runtime sees the same inputs. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 255;
    return b;
  }
}

function table(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}
const T32C = table(0x82f63b78);
const T32 = table(0xedb88320);

/** Plain JS byte-at-a-time CRC-32C (reference and "plain JS" benchmark baseline). */
export function jsCrc32c(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = T32C[(c ^ b[i]!) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
/** Plain JS CRC-32 (IEEE). */
export function jsCrc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = T32[(c ^ b[i]!) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Byte writer for hand-made (possibly malformed) structures. */
export class Writer {
  private buf: number[] = [];
  get length(): number {
    return this.buf.length;
  }
  u8(v: number): this {
    this.buf.push(v & 255);
    return this;
  }
  i16(v: number): this {
    return this.u8(v >> 8).u8(v);
  }
  i32(v: number): this {
    return this.u8(v >>> 24).u8(v >>> 16).u8(v >>> 8).u8(v);
  }
  i64(v: bigint | number): this {
    const b = BigInt.asUintN(64, BigInt(v));
    return this.i32(Number(b >> 32n)).i32(Number(b & 0xffffffffn));
  }
  raw(b: Uint8Array | number[]): this {
    for (const x of b) this.buf.push(x & 255);
    return this;
  }
  /** Zig-zag varint (int32). */
  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }
  uvarint(u: number): this {
    u >>>= 0;
    while (u >= 0x80) {
      this.u8((u & 0x7f) | 0x80);
      u >>>= 7;
    }
    return this.u8(u);
  }
  varlong(v: bigint | number): this {
    let u = BigInt.asUintN(64, (BigInt(v) << 1n) ^ (BigInt(v) >> 63n));
    while (u >= 0x80n) {
      this.u8(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    return this.u8(Number(u));
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.buf);
  }
}

export interface LegacyMsg {
  offset?: bigint | number;
  magic: 0 | 1;
  attributes?: number;
  timestamp?: bigint | number;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

/** Encodes one legacy message (magic 0/1) with its offset/size prefix and a correct CRC-32. */
export function legacyMessage(m: LegacyMsg, corruptCrc = false): Uint8Array {
  const body = new Writer().u8(m.magic).u8(m.attributes ?? 0);
  if (m.magic === 1) body.i64(m.timestamp ?? -1);
  if (m.key === null) body.i32(-1);
  else body.i32(m.key.length).raw(m.key);
  if (m.value === null) body.i32(-1);
  else body.i32(m.value.length).raw(m.value);
  const b = body.bytes();
  const crc = jsCrc32(b) ^ (corruptCrc ? 1 : 0);
  return new Writer().i64(m.offset ?? 0).i32(b.length + 4).i32(crc).raw(b).bytes();
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
