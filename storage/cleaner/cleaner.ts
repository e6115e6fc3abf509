// One cleaning of one log (Kafka's Cleaner.clean), as a cleaner thread runs it: build the offset map over
// the dirty section, then rewrite every segment below where the map ends, in groups, as `.cleaned`
// segments beside the old ones. The old segments are only read (through descriptors of the cleaning's
// own); the log's segment list is left to the main thread, which swaps the cleaned segments in.
//
// Segment bytes go from the file straight into the cleaner core's linear memory, a chunk of
// readBufferBytes at a time (a chunk grows to hold one batch bigger than it), and the cleaned batches
// go from there straight to the `.cleaned` file. A finished group's four files are synced on the thread
// pool, all at once, while the next group is cleaned. Reads and writes together are throttled to
// log.cleaner.io.max.bytes.per.second. At the end, once every group is durable, the groupend and index
// files are renamed `.swap` (segment-swap.ts, prepareSwap) and the directory fsynced, so the main thread's
// swap is only the commit and what follows it. If anything fails, every `.cleaned` and `.swap` file the
// cleaning wrote is removed before the error is passed on.
import type { CleanedGroup, CleanJob, CleanJobResult, CleanJobSegment } from './clean-job.js';
import type { CleanerCore, CleanParams } from './cleaner-core.js';
import { CleanedSegmentWriter, removeCleanedSegment } from './cleaned-segment.js';
import { groupSegmentsBySize } from './segment-groups.js';
import { prepareSwap } from './segment-swap.js';
import { Throttler } from './throttler.js';
import { HEADER_PEEK_BYTES, MIN_BATCH_BYTES, type BatchInfo, type StorageCore } from '../core-port.js';
import { ErrorCode, invariant, StorageError } from '../errors.js';
import { fsyncDir, readAt, readInto, type StorageFs } from '../fs.js';
import { OffsetIndex } from '../offset-index.js';
import { joinPath } from '../path.js';
import { INDEX_SUFFIX, LOG_SUFFIX, offsetFileName } from '../segment.js';

export interface CleanerEnv {
  fs: StorageFs;
  /** The offset map and the filter-and-rewrite pass. */
  core: CleanerCore;
  /** Batch headers and the index classes' lookups. */
  storageCore: StorageCore;
  sleep(ms: number): Promise<void>;
  now(): number;
  /**
   * Where new throttle rates for the running cleaning come from (the cleaner thread's messages, when the
   * dynamic log.cleaner.io.max.bytes.per.second changes); returns the listener's removal.
   */
  onIoRate?(listener: (bytesPerSecond: number) => void): () => void;
}

/** Loop bound for chunked reads of one segment (each step consumes at least one batch or grows the chunk). */
const MAX_CHUNK_STEPS = 1 << 26;

interface Totals {
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsKept: number;
  tombstonesDropped: number;
  pendingDeleteHorizonMs: number;
}

export async function cleanLog(job: CleanJob, env: CleanerEnv): Promise<CleanJobResult> {
  checkJob(job);
  const startMs = env.now();
  const throttler = new Throttler(job.ioMaxBytesPerSecond, env);
  const files = new OldSegmentFiles(env.fs, job.dir);
  const totals: Totals = { bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsKept: 0, tombstonesDropped: 0, pendingDeleteHorizonMs: -1 };
  const finished: number[] = [];
  let current: CleanedSegmentWriter | null = null;
  const detachRate = env.onIoRate?.((r) => {
    if (r > 0) throttler.setRate(r);
  });
  // The last finished group's syncs, running while the next group is cleaned (one group at a time).
  let syncing: Promise<void> | null = null;
  try {
    const cleanedUpTo = await buildOffsetMap(job, env, files, throttler, totals);
    const mapKeys = env.core.mapSize;
    const params: CleanParams = { nowMs: job.nowMs, deleteRetentionMs: job.deleteRetentionMs, retainBatchLastOffsets: new Set(job.retainBatchLastOffsets) };
    const toClean = job.segments.filter((s) => s.baseOffset < cleanedUpTo);
    const groups: CleanedGroup[] = [];
    for (const group of groupSegmentsBySize(toClean, job.segmentBytes, job.maxIndexBytes)) {
      const first = group[0]!;
      current = CleanedSegmentWriter.create(job.dir, first.baseOffset, { fs: env.fs, core: env.storageCore, maxIndexBytes: job.maxIndexBytes, indexIntervalBytes: job.indexIntervalBytes });
      const writer: CleanedSegmentWriter = current;
      for (const seg of group) {
        await readChunks(job, env, files.fd(seg.baseOffset), 0, seg.size, throttler, totals, async (view) => {
          const out = env.core.clean(view, params);
          if (out.bytesRead === 0) return 0;
          writer.append(out.output, out.batches);
          totals.bytesWritten += out.output.byteLength;
          totals.recordsRead += out.stats.recordsRead;
          totals.recordsKept += out.stats.recordsKept;
          totals.tombstonesDropped += out.stats.tombstonesDropped;
          totals.pendingDeleteHorizonMs = Math.max(totals.pendingDeleteHorizonMs, pendingHorizonOf(out.output, out.batches, job.nowMs));
          await throttler.maybeThrottle(out.output.byteLength);
          return out.bytesRead;
        });
      }
      const endOffset = group[group.length - 1]!.nextBaseOffset;
      if (syncing !== null) await syncing;
      syncing = null;
      finished.push(first.baseOffset);
      current = null;
      const cleaned = { baseOffset: first.baseOffset, oldBaseOffsets: group.map((s) => s.baseOffset), endOffset, size: writer.size };
      // Groups stay in order: the next group's finish waits for this one.
      syncing = writer.finish(endOffset).then((state) => {
        groups.push({ ...cleaned, state });
      });
      // Awaited before the next finish or the end; a rejection meanwhile is not unhandled.
      syncing.catch(() => {});
    }
    if (syncing !== null) await syncing;
    syncing = null;
    if (groups.length > 0) {
      // The steps of the swap that need not wait for the main thread (segment-swap.ts), made durable with
      // the cleaned files' names by the fsync this cleaning ends with anyway.
      prepareSwap(env.fs, job.dir, finished);
      fsyncDir(env.fs, job.dir);
    }
    return {
      cleanedUpTo,
      groups,
      stats: { ...totals, mapKeys, elapsedMs: env.now() - startMs },
    };
  } catch (e) {
    if (current !== null) current.abort();
    // Its descriptors are closed once its syncs settle: the files are removed after that.
    if (syncing !== null) await syncing.catch(() => {});
    for (const base of finished) removeCleanedSegment(env.fs, job.dir, base);
    throw e;
  } finally {
    detachRate?.();
    files.closeAll();
  }
}

/** v2 header: attributes (int16) at 21, baseTimestamp (int64) at 27; bit 0x40 = the delete horizon is set. */
const ATTRIBUTES_AT = 21;
const BASE_TIMESTAMP_AT = 27;
const DELETE_HORIZON_BIT = 0x40;

/** The latest delete horizon later than `nowMs` among the written batches, -1 if none. */
function pendingHorizonOf(output: Uint8Array, batches: readonly BatchInfo[], nowMs: number): number {
  const dv = new DataView(output.buffer, output.byteOffset, output.byteLength);
  let latest = -1;
  for (const b of batches) {
    if ((dv.getInt16(b.position + ATTRIBUTES_AT) & DELETE_HORIZON_BIT) === 0) continue;
    const horizon = Number(dv.getBigInt64(b.position + BASE_TIMESTAMP_AT));
    if (horizon > nowMs && horizon > latest) latest = horizon;
  }
  return latest;
}

function checkJob(job: CleanJob): void {
  invariant(job.segments.length > 0, 'a cleaning has segments');
  let prev: CleanJobSegment | null = null;
  for (const s of job.segments) {
    invariant(Number.isSafeInteger(s.baseOffset) && s.baseOffset >= 0 && s.nextBaseOffset > s.baseOffset, `segment ${s.baseOffset} ends after it starts`);
    invariant(s.size >= 0 && s.size <= 0x7fffffff, `segment ${s.baseOffset} size fits int32`);
    invariant(prev === null || s.baseOffset >= prev.nextBaseOffset, 'job segments are in offset order');
    prev = s;
  }
  const first = job.segments[0]!;
  invariant(job.firstDirtyOffset >= first.baseOffset && job.firstDirtyOffset <= job.firstUncleanableOffset, 'dirty section starts in the log and before it ends');
  invariant(job.firstUncleanableOffset <= prev!.nextBaseOffset, 'the dirty section ends within the job segments');
  invariant(job.segments.some((s) => s.baseOffset === job.firstUncleanableOffset || s.nextBaseOffset === job.firstUncleanableOffset), 'the dirty section ends at a segment boundary');
  invariant(job.readBufferBytes >= MIN_BATCH_BYTES, 'read buffer holds a batch header');
  invariant(job.mapSlots > 0 && job.mapLoadFactor > 0 && job.mapLoadFactor <= 1, 'offset map sizing');
}

/**
 * Puts the dirty section's keys into the map, segment by segment. Returns where the map's reach ends (the
 * new first dirty offset): the end of the dirty section, or one past the last batch put when the map filled.
 */
async function buildOffsetMap(job: CleanJob, env: CleanerEnv, files: OldSegmentFiles, throttler: Throttler, totals: Totals): Promise<number> {
  env.core.mapReset(job.mapSlots, job.mapLoadFactor);
  let lastPut = -1;
  let full = false;
  for (const seg of job.segments) {
    if (full) break;
    if (seg.nextBaseOffset <= job.firstDirtyOffset || seg.size === 0) continue;
    if (seg.baseOffset >= job.firstUncleanableOffset) break;
    const fd = files.fd(seg.baseOffset);
    const from = seg.baseOffset < job.firstDirtyOffset ? firstBatchAtOrAfter(job, env, fd, seg, job.firstDirtyOffset) : 0;
    await readChunks(job, env, fd, from, seg.size, throttler, totals, (view) => {
      const r = env.core.mapPut(view);
      if (r.lastOffset >= 0) lastPut = r.lastOffset;
      if (r.full) {
        full = true;
        return null;
      }
      return r.bytes;
    });
  }
  if (!full) return job.firstUncleanableOffset;
  if (lastPut < 0) throw new Error(`log cleaner: an offset map of ${job.mapSlots} slots cannot hold the first dirty batch of ${job.topic}-${job.partition} at offset ${job.firstDirtyOffset}`);
  invariant(lastPut + 1 > job.firstDirtyOffset && lastPut < job.firstUncleanableOffset, 'the offset map ends in the dirty section');
  return lastPut + 1;
}

/**
 * Position of the first batch of `seg` holding an offset >= target: from the segment's offset index
 * (entries are keyed by a batch's last offset at its start), then a walk of batch headers. A missing or
 * unreadable index, or one that points at no batch, means walking from the segment start.
 */
function firstBatchAtOrAfter(job: CleanJob, env: CleanerEnv, fd: number, seg: CleanJobSegment, target: number): number {
  let from = 0;
  try {
    const path = joinPath(job.dir, offsetFileName(seg.baseOffset) + INDEX_SUFFIX);
    const index = OffsetIndex.load(env.fs, path, seg.baseOffset, job.maxIndexBytes, env.storageCore);
    from = index.lookup(target).position;
  } catch {
    from = 0;
  }
  const walked = from > 0 && from < seg.size ? walkToOffset(env, fd, seg, from, target) : null;
  if (walked !== null) return walked;
  const fromStart = walkToOffset(env, fd, seg, 0, target);
  if (fromStart === null) throw corrupt(job, seg, 'batch headers do not walk');
  return fromStart;
}

/** Walks batch headers from `from`: the position of the first batch whose last offset >= target (or the end), null if a header is bad. */
function walkToOffset(env: CleanerEnv, fd: number, seg: CleanJobSegment, from: number, target: number): number | null {
  let pos = from;
  for (let steps = 0; pos < seg.size; steps++) {
    invariant(steps < MAX_CHUNK_STEPS, 'header walk is bounded');
    const h = env.storageCore.readHeader(readAt(env.fs, fd, pos, HEADER_PEEK_BYTES), 0);
    if (h === null || h.magic !== 2 || h.size < MIN_BATCH_BYTES || pos + h.size > seg.size || h.lastOffset < h.baseOffset) return null;
    if (h.lastOffset >= target) return pos;
    pos += h.size;
  }
  return pos === seg.size ? pos : null;
}

/**
 * Reads [from, to) of a segment in chunks straight into the cleaner core's region and hands each chunk to
 * `consume`, which returns the bytes of whole batches it took (0: the chunk holds no whole batch) or null
 * to stop. A chunk grows when one batch is bigger than it, up to max.message.bytes × 2 + 1 MiB.
 */
async function readChunks(
  job: CleanJob,
  env: CleanerEnv,
  fd: number,
  from: number,
  to: number,
  throttler: Throttler,
  totals: Totals,
  consume: (view: Uint8Array) => number | null | Promise<number | null>,
): Promise<void> {
  const maxChunk = Math.max(job.readBufferBytes, job.maxMessageBytes * 2 + (1 << 20));
  let chunk = job.readBufferBytes;
  let pos = from;
  for (let steps = 0; pos < to; steps++) {
    invariant(steps < MAX_CHUNK_STEPS, 'segment read is bounded');
    const len = Math.min(chunk, to - pos);
    const region = env.core.region(len);
    const got = readInto(env.fs, fd, region, pos);
    totals.bytesRead += got;
    if (got < len) throw new StorageError(ErrorCode.CORRUPT_MESSAGE, `log cleaner: ${job.dir} segment ends at ${pos + got}, before ${to}`);
    // The chunk's first header, kept apart: consuming may move linear memory under the region's view.
    const head = region.slice(0, Math.min(len, HEADER_PEEK_BYTES));
    const taken = await consume(region);
    // Throttled once the chunk is consumed: no await lies between the read and the use of the region.
    await throttler.maybeThrottle(got);
    if (taken === null) return;
    invariant(taken >= 0 && taken <= len, 'consumed bytes lie within the chunk');
    if (taken > 0) {
      pos += taken;
      continue;
    }
    // No whole batch in the chunk: one batch is bigger than it (or the bytes are not a batch at all).
    const h = env.storageCore.readHeader(head, 0);
    if (h === null || h.magic !== 2 || h.size <= len || h.size > maxChunk || pos + h.size > to) {
      throw new StorageError(ErrorCode.CORRUPT_MESSAGE, `log cleaner: no valid batch at position ${pos} of a segment of ${job.topic}-${job.partition}`);
    }
    chunk = h.size;
  }
}

function corrupt(job: CleanJob, seg: CleanJobSegment, why: string): StorageError {
  return new StorageError(ErrorCode.CORRUPT_MESSAGE, `log cleaner: segment ${seg.baseOffset} of ${job.topic}-${job.partition}: ${why}`);
}

/** The old segments' .log files, opened read-only on first use and all closed at the end of the cleaning. */
class OldSegmentFiles {
  private readonly fds = new Map<number, number>();
  constructor(
    private readonly fs: StorageFs,
    private readonly dir: string,
  ) {}
  fd(baseOffset: number): number {
    let fd = this.fds.get(baseOffset);
    if (fd === undefined) {
      fd = this.fs.openSync(joinPath(this.dir, offsetFileName(baseOffset) + LOG_SUFFIX), 'r');
      this.fds.set(baseOffset, fd);
    }
    return fd;
  }
  closeAll(): void {
    for (const fd of this.fds.values()) {
      try {
        this.fs.closeSync(fd);
      } catch {
        /* closing a read-only descriptor loses nothing */
      }
    }
    this.fds.clear();
  }
}
