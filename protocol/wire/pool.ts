// BufferPool: reuses large output buffers. Encoding a 1 MiB response into freshly allocated memory
// is dominated by first-touch page faults (milliseconds per MiB on some VMs), not by the copy; a
// server that releases each response buffer after the socket has written it pays that only once.
// Small sizes are not pooled (V8's heap serves them well).

const MIN_POOLED = 64 * 1024;

export class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private retained = 0;

  /** @param maxRetainedBytes upper bound on idle memory kept for reuse. */
  constructor(private readonly maxRetainedBytes = 64 * 1024 * 1024) {}

  /** A buffer of exactly `size` bytes (contents unspecified). Hand it back with release() when done. */
  acquire(size: number): Uint8Array {
    if (size < MIN_POOLED) return new Uint8Array(size);
    const cls = sizeClass(size);
    const list = this.free.get(cls);
    const ab = list?.pop();
    if (ab) {
      this.retained -= cls;
      return new Uint8Array(ab, 0, size);
    }
    return new Uint8Array(new ArrayBuffer(cls), 0, size);
  }

  /** Returns a buffer obtained from acquire(); it must no longer be used by anyone. */
  release(buf: Uint8Array): void {
    const ab = buf.buffer;
    if (!(ab instanceof ArrayBuffer) || buf.byteOffset !== 0) return;
    const cls = ab.byteLength;
    if (cls < MIN_POOLED || cls !== sizeClass(cls) || this.retained + cls > this.maxRetainedBytes) return;
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    list.push(ab);
    this.retained += cls;
  }

  /** Bytes currently held idle. */
  get retainedBytes(): number {
    return this.retained;
  }
}

/** Next power of two ≥ n (pool capacity classes). */
function sizeClass(n: number): number {
  return n <= MIN_POOLED ? MIN_POOLED : 2 ** Math.ceil(Math.log2(n));
}
