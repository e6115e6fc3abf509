// A CleanerRunner for tests of the swap and of the cleaner manager, standing in for the real cleaning (a
// key-based compaction is not needed to test what happens around it): it groups the job's segments, keeps
// the whole batches `keep` accepts (by default those whose last offset is odd) plus the retained producer
// batches, and writes each group as `<base>.log.cleaned` / `.index.cleaned` / `.timeindex.cleaned` /
// `.groupend.cleaned`, all fsynced, through the storage core's scan and a real LogSegment (built in a
// scratch directory, so the indexes are exactly what storage writes); then, as cleanLog ends, the groupend
// and index files renamed `.swap` (prepareSwap) and the directory fsynced.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchInfo, StorageCore } from '../../../storage/core-port.js';
import type { CleanJob, CleanJobResult, CleanJobSegment, CleanedGroup, CleanerRunner } from '../../../storage/cleaner/clean-job.js';
import { cleanedFilePath, encodeGroupEnd, CLEANED_SUFFIX } from '../../../storage/cleaner/cleaned-files.js';
import { fsyncDir, readAt, writeFully, type StorageFs } from '../../../storage/fs.js';
import { prepareSwap } from '../../../storage/cleaner/segment-swap.js';
import { LogSegment, offsetFileName } from '../../../storage/segment.js';
import { realFs } from '../../../host-node/storage/node-fs.js';

export interface CopyingCleanerOptions {
  core: StorageCore;
  fs?: StorageFs;
  /** Whether a batch stays (default: its last offset is odd). */
  keep?: (b: BatchInfo) => boolean;
  /** Old segments per cleaned group at most (default 2). */
  maxSegmentsPerGroup?: number;
  /** Awaited before a job runs (a test holds a cleaning open meanwhile). */
  gate?: (job: CleanJob) => Promise<void>;
}

export const keepOddLastOffset = (b: BatchInfo): boolean => b.lastOffset % 2 === 1;

export class CopyingCleanerRunner implements CleanerRunner {
  readonly jobs: CleanJob[] = [];
  readonly results: CleanJobResult[] = [];
  closed = false;
  private readonly fs: StorageFs;

  constructor(private readonly o: CopyingCleanerOptions) {
    this.fs = o.fs ?? realFs;
  }

  async run(job: CleanJob): Promise<CleanJobResult> {
    if (this.closed) throw new Error('runner closed');
    this.jobs.push(job);
    if (this.o.gate) await this.o.gate(job);
    const started = Date.now();
    const stats = { bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsKept: 0, mapKeys: 0, tombstonesDropped: 0, pendingDeleteHorizonMs: -1, elapsedMs: 0 };
    const groups: CleanedGroup[] = [];
    for (const g of this.groupsOf(job)) groups.push(this.writeGroup(job, g, stats));
    if (groups.length > 0) {
      prepareSwap(this.fs, job.dir, groups.map((g) => g.baseOffset));
      fsyncDir(this.fs, job.dir);
    }
    stats.elapsedMs = Date.now() - started;
    const result = { cleanedUpTo: job.firstUncleanableOffset, groups, stats };
    this.results.push(result);
    return result;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private groupsOf(job: CleanJob): CleanJobSegment[][] {
    const max = this.o.maxSegmentsPerGroup ?? 2;
    const out: CleanJobSegment[][] = [];
    let cur: CleanJobSegment[] = [];
    for (const s of job.segments) {
      if (cur.length >= max) {
        out.push(cur);
        cur = [];
      }
      cur.push(s);
    }
    if (cur.length > 0) out.push(cur);
    return out;
  }

  private writeGroup(job: CleanJob, olds: CleanJobSegment[], stats: CleanJobResult['stats']): CleanedGroup {
    const { core } = this.o;
    const fs = this.fs;
    const keep = this.o.keep ?? keepOddLastOffset;
    const retain = new Set(job.retainBatchLastOffsets);
    const base = olds[0]!.baseOffset;
    const scratch = join(job.dir, `cleaner-scratch-${offsetFileName(base)}`);
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch);
    try {
      const seg = LogSegment.create(scratch, base, { fs, core, maxIndexBytes: job.maxIndexBytes, indexIntervalBytes: job.indexIntervalBytes }, job.nowMs);
      for (const old of olds) {
        const fd = fs.openSync(join(job.dir, offsetFileName(old.baseOffset) + '.log'), 'r');
        let bytes: Uint8Array;
        try {
          bytes = readAt(fs, fd, 0, old.size);
        } finally {
          fs.closeSync(fd);
        }
        stats.bytesRead += bytes.byteLength;
        const scan = core.scan(core.stage(bytes), 1 << 20);
        if (scan.stop !== 'end') throw new Error(`segment ${old.baseOffset} does not scan whole: ${scan.stop}`);
        const kept: Uint8Array[] = [];
        for (const b of scan.batches) {
          stats.recordsRead += b.recordCount;
          if (!keep(b) && !retain.has(b.lastOffset)) continue;
          stats.recordsKept += b.recordCount;
          kept.push(bytes.subarray(b.position, b.position + b.size));
        }
        if (kept.length === 0) continue;
        const view = core.stage(Buffer.concat(kept));
        const rescan = core.scan(view, 1 << 20);
        seg.append(view, rescan.batches);
      }
      seg.onBecomeInactive();
      seg.flushSync();
      stats.bytesWritten += seg.size;
      const size = seg.size;
      seg.close();
      const stem = join(scratch, offsetFileName(base));
      for (const kind of ['.log', '.index', '.timeindex'] as const) fs.renameSync(stem + kind, cleanedFilePath(job.dir, base, kind, CLEANED_SUFFIX));
      const endOffset = olds[olds.length - 1]!.nextBaseOffset;
      const gfd = fs.openSync(cleanedFilePath(job.dir, base, '.groupend', CLEANED_SUFFIX), 'w');
      try {
        writeFully(fs, gfd, encodeGroupEnd(endOffset), 0);
        fs.fsyncSync(gfd);
      } finally {
        fs.closeSync(gfd);
      }
      return { baseOffset: base, oldBaseOffsets: olds.map((s) => s.baseOffset), endOffset, size };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
}

/** A job over the log's first `segmentCount` segments (all inactive), as the manager would build it. */
export function jobForSegments(log: { dir: string; topic: string; partition: number; segmentList: readonly LogSegment[]; logStartOffset: number; config: { 'segment.bytes': number; 'segment.index.bytes': number; 'index.interval.bytes': number; 'delete.retention.ms': number; 'max.message.bytes': number } }, segmentCount: number, nowMs = Date.now()): CleanJob {
  const list = log.segmentList;
  if (segmentCount < 1 || segmentCount >= list.length) throw new Error(`jobForSegments: ${segmentCount} of ${list.length} segments`);
  const segments = list.slice(0, segmentCount).map((s, i) => ({ baseOffset: s.baseOffset, size: s.size, nextBaseOffset: list[i + 1]!.baseOffset, offsetIndexEntries: s.offsetIndex.entries, timeIndexEntries: s.timeIndex.entries }));
  const c = log.config;
  return {
    dir: log.dir,
    topic: log.topic,
    partition: log.partition,
    segments,
    firstDirtyOffset: log.logStartOffset,
    firstUncleanableOffset: segments[segments.length - 1]!.nextBaseOffset,
    nowMs,
    segmentBytes: c['segment.bytes'],
    maxIndexBytes: c['segment.index.bytes'],
    indexIntervalBytes: c['index.interval.bytes'],
    deleteRetentionMs: c['delete.retention.ms'],
    maxMessageBytes: c['max.message.bytes'],
    retainBatchLastOffsets: [],
    mapSlots: 1024,
    mapLoadFactor: 0.9,
    ioMaxBytesPerSecond: Number.MAX_VALUE,
    readBufferBytes: 1 << 20,
  };
}
