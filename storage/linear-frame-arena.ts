// Regions of the storage core's linear memory lent to the network layer for reassembling Produce frames.
//
// A Produce request larger than one socket read is reassembled somewhere before it can be decoded. Reassembled
// here, its record batches already lie in the core's memory when the handler appends them: the core validates
// and assigns offsets in place and the segment write goes out from there. So a batch is copied once between the
// socket and the disk (socket chunk → region), instead of twice (chunk → reassembly buffer → staging region).
//
// Regions are a fixed size, reserved on first need up to a limit and then reused; when all are lent the
// network layer falls back to a Buffer of its own (and storage copies as before). Linear memory can grow while
// a region is lent (another allocation of the core), which detaches every view of it: holders take a fresh
// view from `bytes()` instead of keeping one, and the Produce handler locates records by address before
// appending (LinearSpans) for the same reason.
import { invariant } from './errors.js';
import type { LinearMemory } from './core-port.js';

export interface LinearFrameArenaOptions {
  /** Size of every region; frames above it are not taken. */
  regionBytes: number;
  /** Most regions ever reserved (memory stays reserved: the core's arena never frees). */
  maxRegions: number;
  /** Which frames belong here, by API key. */
  accepts: (apiKey: number) => boolean;
}

export class LinearFrameRegion {
  private lent = true;
  constructor(
    private readonly arena: LinearFrameArena,
    readonly ptr: number,
    private readonly size: number,
  ) {}

  bytes(): Uint8Array {
    invariant(this.lent, 'linear frame region used after release');
    return this.arena.memory.bytes().subarray(this.ptr, this.ptr + this.size);
  }

  release(): void {
    if (!this.lent) return;
    this.lent = false;
    this.arena.giveBack(this.ptr);
  }
}

export class LinearFrameArena {
  private readonly free: number[] = [];
  private reserved = 0;
  /** Regions lent right now, and ever (tests, metrics). */
  lentCount = 0;
  takenCount = 0;

  constructor(
    readonly memory: LinearMemory,
    private readonly o: LinearFrameArenaOptions,
  ) {
    invariant(o.regionBytes > 0 && o.maxRegions >= 0, 'linear frame arena sizes');
  }

  accepts(apiKey: number): boolean {
    return this.o.accepts(apiKey);
  }

  take(size: number): LinearFrameRegion | null {
    if (size > this.o.regionBytes) return null;
    let ptr = this.free.pop();
    if (ptr === undefined) {
      if (this.reserved >= this.o.maxRegions) return null;
      ptr = this.memory.alloc(this.o.regionBytes, 64);
      this.reserved++;
    }
    this.lentCount++;
    this.takenCount++;
    return new LinearFrameRegion(this, ptr, this.o.regionBytes);
  }

  /** @internal (LinearFrameRegion.release) */
  giveBack(ptr: number): void {
    this.lentCount--;
    invariant(this.lentCount >= 0 && this.free.length < this.reserved, 'linear frame region given back twice');
    this.free.push(ptr);
  }
}

/**
 * Positions of views that lie in linear memory, taken before calls that may grow it, so each view can be
 * rebuilt afterwards (growth detaches views but moves no bytes).
 */
export class LinearSpans {
  private readonly at: number[] = [];
  private readonly lengths: number[] = [];

  constructor(private readonly memory: LinearMemory | undefined) {}

  /** Remembers where `view` lies (nothing for views elsewhere); returns its index for `view()`. */
  add(view: Uint8Array | null): number {
    const inLinear = view !== null && this.memory !== undefined && view.buffer === this.memory.bytes().buffer;
    this.at.push(inLinear ? view.byteOffset : -1);
    this.lengths.push(view?.byteLength ?? 0);
    return this.at.length - 1;
  }

  /** `view` as added, rebuilt from its position if linear memory grew since. */
  view<T extends Uint8Array | null>(i: number, view: T): T {
    const at = this.at[i]!;
    if (at < 0 || view === null || view.byteLength === this.lengths[i]) return view;
    return this.memory!.bytes().subarray(at, at + this.lengths[i]!) as T;
  }
}
