// Splits a byte stream into Kafka request frames: a 4-byte big-endian size, then that many bytes.
//
// - The size is checked against the limit as soon as its 4 bytes are in, before any buffer is allocated.
// - A frame that lies whole inside one incoming chunk is handed on as a view of that chunk (no copy); several
//   frames in one chunk become several views. Chunks of a reused read buffer (`push(chunk, true)`) are the
//   exception: their frames are copied out (see push).
// - A frame that spans chunks is reassembled into a per-connection buffer (frames above POOL_MAX_BYTES are
//   instead collected as chunk views and joined once complete, so memory follows the bytes that arrived). That buffer is lent with the frame
//   and comes back through `recycle()` once the request is served, so a connection that keeps sending large
//   requests reuses one buffer instead of allocating per request. Buffers above POOL_MAX_BYTES are not kept.
// - With a FrameArena, a spanning frame the arena accepts (by API key: the broker gives Produce frames to the
//   storage core's linear memory) is reassembled in an arena region instead. Its record batches are then
//   validated and written to disk from where they landed: one copy between socket and disk.
//
// Invariants (a failure is a decoder bug, not a client's): every frame handed on is exactly its announced
// size, and a reassembly buffer or region always holds the whole frame being reassembled in it.
import { invariant, invariantViolation } from '../../common/invariant.js';

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** The largest reassembly buffer a connection keeps for reuse between requests. */
export const POOL_MAX_BYTES = 1 << 20;
const MIN_REASSEMBLY_BYTES = 4096;

/** A region of memory lent for one frame. */
export interface ArenaRegion {
  /**
   * The region's bytes as of now. The memory behind it may grow between calls (which detaches earlier
   * views), so take a fresh view each time instead of keeping one.
   */
  bytes(): Uint8Array;
  /** Gives the region back; neither it nor views of it are used afterwards. */
  release(): void;
}

/** Memory the decoder may reassemble some frames in, instead of a Buffer of its own. */
export interface FrameArena {
  /** Whether frames of this API (first two bytes of the frame) belong in the arena. */
  accepts(apiKey: number): boolean;
  /** A region of at least `size` bytes, or null when none is free (the decoder then uses a Buffer). */
  take(size: number): ArenaRegion | null;
}

/** What a frame may be lent with: a reassembly Buffer of the decoder's, or an arena region. */
export type Lent = Buffer | ArenaRegion;

/**
 * Called per frame. `lent` is set when the frame is a view into a reassembly buffer or arena region that must
 * be given back with `recycle(lent)` after the request is done (and not touched afterwards).
 */
export type FrameSink = (frame: Uint8Array, lent: Lent | undefined) => void;

export class FrameDecoder {
  private readonly sizeBytes = Buffer.alloc(4);
  private sizeHave = 0;
  /** Frame being reassembled in a Buffer (or null). */
  private asm: Buffer | null = null;
  /** Frame being reassembled in an arena region (or null). */
  private region: ArenaRegion | null = null;
  private asmNeed = 0;
  private asmHave = 0;
  /** Chunks of a frame above POOL_MAX_BYTES being collected. */
  private big: Buffer[] | null = null;
  private spare: Buffer | null = null;
  /** Set once a FrameError was thrown: the stream is unusable after that. */
  private broken = false;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly sink: FrameSink,
    private readonly arena?: FrameArena,
  ) {}

  /** Bytes currently held for a partial frame (for tests/metrics). */
  get pendingBytes(): number {
    return this.sizeHave + this.asmHave;
  }

  /**
   * Feeds one chunk. Throws FrameError on a size outside 0..maxFrameBytes. A `transient` chunk is a view of
   * a read buffer that is reused as soon as push() returns (sockets read with `onread`): nothing handed on or
   * kept may point into it, so whole frames are copied out too (into an arena region when the arena takes
   * the frame, which is the copy the storage core would otherwise make).
   */
  push(chunk: Buffer, transient = false): void {
    if (this.broken) return;
    // Each step consumes bytes from `off` on and returns where the next one starts. The steps are
    // methods of this class taking and returning numbers only: nothing is allocated per chunk or frame.
    let off = 0;
    const len = chunk.length;
    while (off < len) {
      if (this.big !== null) off = this.continueLargeFrame(chunk, off, transient);
      else if (this.asm !== null || this.region !== null) off = this.continueReassembly(chunk, off);
      else off = this.startFrame(chunk, off, transient);
    }
  }

  /** Continues a large frame: keeps views of the chunks (copies of transient ones), joins them once complete. */
  private continueLargeFrame(chunk: Buffer, off: number, transient: boolean): number {
    const len = chunk.length;
    const n = Math.min(this.asmNeed - this.asmHave, len - off);
    const part = n === len && off === 0 ? chunk : chunk.subarray(off, off + n);
    this.big!.push(transient ? Buffer.from(part) : part);
    this.asmHave += n;
    if (this.asmHave === this.asmNeed) {
      const frame = Buffer.concat(this.big!, this.asmNeed);
      invariant(frame.length === this.asmNeed, 'a large frame is joined from exactly its announced bytes');
      this.big = null;
      this.asmHave = this.asmNeed = 0;
      this.sink(frame, undefined);
    }
    return off + n;
  }

  /**
   * Continues a frame that spans chunks, in a Buffer of ours or an arena region (a fresh view of it: the
   * memory behind a region may have grown since the last chunk).
   */
  private continueReassembly(chunk: Buffer, off: number): number {
    const into = this.region !== null ? this.region.bytes() : this.asm!;
    if (into.length < this.asmNeed) throw invariantViolation(`reassembly target of ${into.length} bytes holds the ${this.asmNeed}-byte frame`);
    const n = Math.min(this.asmNeed - this.asmHave, chunk.length - off);
    chunk.copy(into, this.asmHave, off, off + n);
    this.asmHave += n;
    if (this.asmHave === this.asmNeed) {
      const lent: Lent = this.region ?? this.asm!;
      const size = this.asmNeed;
      this.asm = this.region = null;
      this.asmHave = this.asmNeed = 0;
      this.sink(into.subarray(0, size), lent);
    }
    return off + n;
  }

  /**
   * Reads a frame's size prefix, then hands the frame on when it lies whole in this chunk or starts
   * reassembling it. A size prefix split across chunks is kept in `sizeBytes` until its 4 bytes are in.
   */
  private startFrame(chunk: Buffer, off: number, transient: boolean): number {
    const len = chunk.length;
    let size: number;
    if (this.sizeHave === 0 && len - off >= 4) {
      size = chunk.readInt32BE(off);
      off += 4;
    } else {
      while (this.sizeHave < 4 && off < len) this.sizeBytes[this.sizeHave++] = chunk[off++]!;
      if (this.sizeHave < 4) return off;
      size = this.sizeBytes.readInt32BE(0);
      this.sizeHave = 0;
    }
    this.checkSize(size);
    if (len - off >= size) {
      // Whole frame inside this chunk: hand on a view, no copy (a copy for transient chunks).
      const frame = chunk.subarray(off, off + size);
      if (!transient) this.sink(frame, undefined);
      else this.sinkCopy(frame);
      return off + size;
    }
    this.startReassembly(chunk, off, size);
    return off;
  }

  /** A size outside 0..maxFrameBytes breaks the stream. */
  private checkSize(size: number): void {
    if (size >= 0 && size <= this.maxFrameBytes) return;
    this.broken = true;
    throw new FrameError(size < 0 ? `invalid negative frame size ${size}` : `frame size ${size} exceeds socket.request.max.bytes ${this.maxFrameBytes}`);
  }

  /** Picks where a frame of `size` bytes starting at `off` is reassembled; its bytes are copied by the next step. */
  private startReassembly(chunk: Buffer, off: number, size: number): void {
    this.asmNeed = size;
    this.asmHave = 0;
    // The API key is known once two bytes of the frame are in (nearly always: they follow the size).
    if (chunk.length - off >= 2) {
      this.region = this.takeRegion(size, chunk.readInt16BE(off));
      if (this.region !== null) return;
    }
    if (size > POOL_MAX_BYTES) {
      // Memory grows only as bytes actually arrive: a peer announcing 100 MB and sending 4 bytes costs nothing.
      this.big = [];
    } else {
      this.asm = this.takeBuffer(size);
    }
  }

  /** Hands on a copy of a whole frame from a transient chunk: into an arena region, or a Buffer of its own. */
  private sinkCopy(frame: Buffer): void {
    const size = frame.length;
    const region = size >= 2 ? this.takeRegion(size, frame.readInt16BE(0)) : null;
    if (region !== null) {
      const bytes = region.bytes();
      if (bytes.length < size) throw invariantViolation(`arena region of ${bytes.length} bytes holds the ${size}-byte frame`);
      bytes.set(frame);
      this.sink(bytes.subarray(0, size), region);
      return;
    }
    // Small frames come from Node's shared Buffer pool (no allocation of their own).
    this.sink(Buffer.from(frame), undefined);
  }

  /** An arena region for a frame of `size` bytes of this API, when the arena takes it and has one free. */
  private takeRegion(size: number, apiKey: number): ArenaRegion | null {
    return this.arena !== undefined && size <= POOL_MAX_BYTES && this.arena.accepts(apiKey) ? this.arena.take(size) : null;
  }

  /** The connection is gone: gives back an arena region holding a partial frame. */
  dispose(): void {
    this.broken = true;
    this.region?.release();
    this.region = null;
  }

  /** Returns a reassembly buffer or arena region lent with a frame. */
  recycle(lent: Lent): void {
    invariant(lent !== this.asm, 'a reassembly buffer is given back only after its frame was handed on');
    if (!Buffer.isBuffer(lent)) {
      lent.release();
      return;
    }
    const buf = lent;
    if (buf.length > POOL_MAX_BYTES) return;
    if (this.spare === null || this.spare.length < buf.length) this.spare = buf;
  }

  private takeBuffer(size: number): Buffer {
    invariant(size <= POOL_MAX_BYTES, 'frames above POOL_MAX_BYTES are collected as chunks, not reassembled in a buffer');
    const spare = this.spare;
    if (spare !== null && spare.length >= size) {
      this.spare = null;
      return spare;
    }
    // Round up so a connection whose requests grow a little does not reallocate each time.
    let cap = MIN_REASSEMBLY_BYTES;
    while (cap < size) cap *= 2;
    return Buffer.allocUnsafe(Math.min(cap, POOL_MAX_BYTES));
  }
}
