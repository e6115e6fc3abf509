// Linear-memory regions. The core never allocates per call: the host reserves regions once (at start
// up, or when it needs a bigger one) with arenaAlloc and reuses them. Memory only ever grows, so a
// host that caches typed-array views must re-create them when memory.buffer changes (the bindings do).
// Everything below the arena start (CRC tables, static data) is private: entry points refuse to write
// there and refuse any pointer/length that leaves linear memory.

const PAGE: u64 = 65536;

let arenaStart: usize = (__heap_base + 63) & ~<usize>63;
let arenaTop: usize = arenaStart;

/** First byte the host may use. */
export function arenaBase(): usize {
  return arenaStart;
}

/** Current bump pointer (use with arenaReset to free everything reserved after it). */
export function arenaMark(): usize {
  return arenaTop;
}

/** Releases every region reserved after `mark` (a value from arenaMark). */
export function arenaReset(mark: usize): void {
  if (mark >= arenaStart && mark <= arenaTop) arenaTop = mark;
}

/** Reserves `size` bytes aligned to `align` (a power of two, at least 8); returns 0 when memory cannot grow. */
export function arenaAlloc(size: i32, align: i32): usize {
  if (size < 0) return 0;
  let a = <usize>(align < 8 ? 8 : align);
  if ((a & (a - 1)) != 0) return 0;
  const p = (arenaTop + a - 1) & ~(a - 1);
  const end = <u64>p + <u64>size;
  const have = <u64>memory.size() * PAGE;
  if (end > have) {
    const pages = <i32>((end - have + PAGE - 1) / PAGE);
    if (memory.grow(pages) < 0) return 0;
  }
  arenaTop = <usize>end;
  return p;
}

/** Bytes of linear memory now. */
export function memoryBytes(): u32 {
  return <u32>memory.size() << 16;
}

/** [p, p+n) is readable: inside linear memory. n must be >= 0. */
// @ts-ignore: decorator
@inline
export function readable(p: usize, n: i32): bool {
  return n >= 0 && <u64>p + <u64>n <= <u64>memory.size() * PAGE;
}

/** [p, p+n) is writable by request of the host: inside linear memory and above the private area. */
// @ts-ignore: decorator
@inline
export function writable(p: usize, n: i32): bool {
  return n >= 0 && p >= arenaStart && <u64>p + <u64>n <= <u64>memory.size() * PAGE;
}
