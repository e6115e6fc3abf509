// A cleaner thread for the pool's tests: answers each job with a result made from the job (its
// firstUncleanableOffset as cleanedUpTo, this thread's id and workerData in the stats' place), and does
// what the job's topic asks: `fail` (the cleaning throws), `crash` (an uncaught error kills the thread),
// `exit` (process.exit(7) in the thread), `oom` (allocates until the heap is full), `hang` (never answers),
// `slow` (answers after 100 ms), `state` (each group with a handed-over segment state, its index entries
// bytes 0, 1, 2, … of 8 and 12 bytes per segment offset).
import { threadId, workerData } from 'node:worker_threads';
import { serveCleanJobs } from '../../../host-node/storage/cleaner-thread-port.js';
import type { CleanJob, CleanJobResult } from '../../../storage/cleaner/clean-job.js';

export interface EchoStats {
  threadId: number;
  workerData: unknown;
}

serveCleanJobs(async (job: CleanJob): Promise<CleanJobResult> => {
  switch (job.topic) {
    case 'fail':
      throw new Error(`cannot clean partition ${job.partition}`);
    case 'crash':
      setImmediate(() => {
        throw new Error('cleaner thread crashed');
      });
      return new Promise<never>(() => {});
    case 'exit':
      process.exit(7);
    case 'oom': {
      const hoard: number[][] = [];
      for (let i = 0; i < 1e9; i++) hoard.push(new Array<number>(1 << 16).fill(i));
      return new Promise<never>(() => {});
    }
    case 'hang':
      return new Promise<never>(() => {});
    case 'slow':
      await new Promise((r) => setTimeout(r, 100));
  }
  const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i & 0xff);
  const state = (s: CleanJob['segments'][number]) => ({
    nextOffset: s.nextBaseOffset,
    maxTimestamp: 5,
    offsetOfMaxTimestamp: s.baseOffset,
    firstBatchMaxTimestamp: 4,
    bytesSinceLastIndexEntry: 3,
    offsetIndex: bytes(8 * (s.nextBaseOffset - s.baseOffset)),
    timeIndex: bytes(12 * (s.nextBaseOffset - s.baseOffset)),
  });
  return {
    cleanedUpTo: job.firstUncleanableOffset,
    groups: job.segments.map((s) => ({ baseOffset: s.baseOffset, oldBaseOffsets: [s.baseOffset], endOffset: s.nextBaseOffset, size: s.size, ...(job.topic === 'state' ? { state: state(s) } : {}) })),
    stats: { bytesRead: 0, bytesWritten: 0, recordsRead: threadId, recordsKept: 0, mapKeys: 0, tombstonesDropped: 0, pendingDeleteHorizonMs: -1, elapsedMs: 0, echo: { threadId, workerData } as EchoStats } as CleanJobResult['stats'],
  };
});
