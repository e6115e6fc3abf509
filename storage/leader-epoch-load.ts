// Loading a partition's leader-epoch cache at open (Kafka's LogLoader does the same): the checkpoint file
// when it reads back, else the epochs rebuilt from the batch headers of the log; then trimmed to what the
// recovered log holds (recovery may have cut the tail, retention or DeleteRecords moved the start).
import { CorruptEpochCheckpointError, LeaderEpochFileCache, type EpochEntry } from './leader-epoch-cache.js';
import type { StorageFs } from './fs.js';
import type { LogSegment } from './segment.js';

export function loadLeaderEpochCache(fs: StorageFs, dir: string, segments: readonly LogSegment[], logStartOffset: number, logEndOffset: number): LeaderEpochFileCache {
  let cache: LeaderEpochFileCache;
  try {
    cache = new LeaderEpochFileCache(fs, dir, LeaderEpochFileCache.read(fs, dir));
  } catch (e) {
    if (!(e instanceof CorruptEpochCheckpointError)) throw e;
    cache = new LeaderEpochFileCache(fs, dir);
    cache.reset(epochsOfBatches(segments));
  }
  cache.truncateFromEnd(logEndOffset);
  cache.truncateFromStart(logStartOffset);
  return cache;
}

/** Each leader epoch's first batch, from a header walk of every segment (no CRC, no record decoding). */
export function epochsOfBatches(segments: readonly LogSegment[]): EpochEntry[] {
  const out: EpochEntry[] = [];
  for (const s of segments) {
    s.walkHeaders(0, s.size, (h) => {
      const latest = out.at(-1);
      if (h.leaderEpoch >= 0 && (latest === undefined || h.leaderEpoch > latest.epoch)) out.push({ epoch: h.leaderEpoch, startOffset: h.baseOffset });
      return true;
    });
  }
  return out;
}
