// LeaderEpochFileCache: Kafka's assign / endOffsetFor / truncation semantics, the checkpoint file's format,
// and what a Log does with a missing, corrupt or stale checkpoint at open.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { realFs } from '../../host-node/storage/node-fs.js';
import { LEADER_EPOCH_CHECKPOINT, LeaderEpochFileCache } from '../../storage/leader-epoch-cache.js';
import { batch, cleanupTempDirs, openLog, tempDir } from './helpers/env.js';

afterEach(cleanupTempDirs);

function cacheWith(entries: [number, number][]): { cache: LeaderEpochFileCache; dir: string } {
  const dir = tempDir();
  const cache = new LeaderEpochFileCache(realFs, dir);
  for (const [e, o] of entries) cache.assign(e, o);
  return { cache, dir };
}

describe('LeaderEpochFileCache', () => {
  it('assign keeps epochs and start offsets strictly increasing, replacing an epoch that wrote nothing', () => {
    const { cache } = cacheWith([[0, 0], [2, 10]]);
    expect(cache.assign(1, 20)).toBe(false); // older epoch
    expect(cache.assign(2, 30)).toBe(false); // same epoch
    expect(cache.assign(3, 5)).toBe(false); // newer epoch starting before the latest
    expect(cache.assign(3, 10)).toBe(true); // same start: epoch 2 wrote nothing
    expect(cache.assign(5, 40)).toBe(true);
    expect(cache.epochEntries()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 3, startOffset: 10 }, { epoch: 5, startOffset: 40 }]);
    expect(cache.latestEpoch).toBe(5);
  });

  it('endOffsetFor answers as Kafka does', () => {
    const { cache } = cacheWith([[1, 0], [2, 10], [4, 25]]);
    const leo = 40;
    const table: [number, number, number][] = [
      // requested, leaderEpoch, endOffset
      [-1, -1, -1], // undefined epoch
      [4, 4, 40], // latest epoch: the log end
      [5, -1, -1], // above every known epoch
      [2, 2, 25], // known: start of the next higher epoch
      [1, 1, 10],
      [3, 2, 25], // unknown, between: the epoch below, ending where the next higher starts
      [0, 0, 0], // below the first known: (requested, first start)
    ];
    for (const [req, epoch, end] of table) expect(cache.endOffsetFor(req, leo), `epoch ${req}`).toEqual({ leaderEpoch: epoch, endOffset: end });
    const empty = new LeaderEpochFileCache(realFs, tempDir());
    expect(empty.endOffsetFor(0, 7)).toEqual({ leaderEpoch: -1, endOffset: -1 });
  });

  it('truncateFromEnd drops epochs starting at or after the offset; truncateFromStart moves the spanning one up', () => {
    const { cache } = cacheWith([[1, 0], [2, 10], [4, 25]]);
    cache.truncateFromEnd(25);
    expect(cache.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 10 }]);
    cache.truncateFromEnd(100); // nothing past it
    expect(cache.epochEntries().length).toBe(2);
    cache.assign(4, 25);
    cache.truncateFromStart(12);
    expect(cache.epochEntries()).toEqual([{ epoch: 2, startOffset: 12 }, { epoch: 4, startOffset: 25 }]);
    cache.truncateFromStart(25);
    expect(cache.epochEntries()).toEqual([{ epoch: 4, startOffset: 25 }]);
    cache.truncateFromStart(3); // before everything: unchanged
    expect(cache.epochEntries()).toEqual([{ epoch: 4, startOffset: 25 }]);
  });

  it("persists every change in Kafka's text format and reads it back", () => {
    const { cache, dir } = cacheWith([[0, 0], [3, 17]]);
    const path = join(dir, LEADER_EPOCH_CHECKPOINT);
    expect(readFileSync(path, 'utf8')).toBe('0\n2\n0 0\n3 17\n');
    expect(LeaderEpochFileCache.read(realFs, dir)).toEqual(cache.epochEntries());
    cache.truncateFromEnd(17);
    expect(readFileSync(path, 'utf8')).toBe('0\n1\n0 0\n');
    cache.clear();
    expect(readFileSync(path, 'utf8')).toBe('0\n0\n');
    expect(existsSync(path + '.tmp')).toBe(false);
  });
});

describe('Log and its leader-epoch checkpoint', () => {
  it('a single-broker log never writes the checkpoint', () => {
    const dir = tempDir();
    const log = openLog({ dir });
    log.append(batch('a', 3));
    log.close();
    expect(existsSync(join(dir, LEADER_EPOCH_CHECKPOINT))).toBe(false);
    expect(openLog({ dir }).latestEpoch).toBe(-1);
  });

  it('a corrupt checkpoint is rebuilt from the batches, and a stale one is cut to the recovered log', () => {
    const dir = tempDir();
    const log = openLog({ dir });
    log.append(batch('a', 2), { leaderEpoch: 0 });
    log.append(batch('b', 3), { leaderEpoch: 2 });
    log.append(batch('c', 1), { leaderEpoch: 2 });
    log.append(batch('d', 2), { leaderEpoch: 5 });
    const expected = [{ epoch: 0, startOffset: 0 }, { epoch: 2, startOffset: 2 }, { epoch: 5, startOffset: 6 }];
    expect(log.epochEntries()).toEqual(expected);
    log.close();
    const path = join(dir, LEADER_EPOCH_CHECKPOINT);
    for (const garbage of ['0\n3\n0 0\n', 'x\n', '0\n2\n2 5\n1 9\n', '']) {
      writeFileSync(path, garbage);
      const reopened = openLog({ dir });
      expect(reopened.epochEntries(), JSON.stringify(garbage)).toEqual(expected);
      expect(readFileSync(path, 'utf8')).toBe('0\n3\n0 0\n2 2\n5 6\n');
      reopened.close();
    }
    // A checkpoint ahead of the log (an epoch written, then its records lost in a crash) is cut to the log end.
    writeFileSync(path, '0\n4\n0 0\n2 2\n5 6\n7 8\n');
    const again = openLog({ dir });
    expect(again.epochEntries()).toEqual(expected);
    expect(again.endOffsetForEpoch(5)).toEqual({ leaderEpoch: 5, endOffset: 8 });
    expect(again.endOffsetForEpoch(2)).toEqual({ leaderEpoch: 2, endOffset: 6 });
    again.close();
  });

  it('a crash after an unflushed append recovers the epochs the log still holds', () => {
    const dir = tempDir();
    const log = openLog({ dir, config: { 'flush.messages': 1 } });
    log.append(batch('a', 2), { leaderEpoch: 1 });
    log.flush();
    log.append(batch('b', 2), { leaderEpoch: 3 });
    log.closeAbruptly();
    // Tear the second batch: recovery cuts it, so epoch 3 (whose checkpoint entry was written) must go.
    const seg = join(dir, '00000000000000000000.log');
    const bytes = readFileSync(seg);
    writeFileSync(seg, bytes.subarray(0, bytes.length - 5));
    const reopened = openLog({ dir, clean: false });
    expect(reopened.logEndOffset).toBe(2);
    expect(reopened.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }]);
    expect(reopened.latestEpoch).toBe(1);
    reopened.close();
  });
});
