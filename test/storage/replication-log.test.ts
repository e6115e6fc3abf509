// The Log's replication primitives with real files and the real core: leader epochs stamped on append,
// appendAsFollower keeping the leader's bytes and offsets, truncation (durable across clean and abrupt
// restarts), and the replicated high watermark mode.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../storage/errors.js';
import type { Log } from '../../storage/log.js';
import { batch, cleanupTempDirs, openLog, readAllValues, tempDir } from './helpers/env.js';
import { encodeBatch } from './helpers/js-core.js';

afterEach(cleanupTempDirs);

/** Every stored batch of the log: base offset, leader epoch and bytes. */
function storedBatches(log: Log): { base: number; epoch: number; bytes: Buffer }[] {
  const out: { base: number; epoch: number; bytes: Buffer }[] = [];
  for (let next = log.logStartOffset, i = 0; next < log.logEndOffset; i++) {
    if (i > 100_000) throw new Error('no progress');
    const raw = Buffer.from(log.readBytes(next, 1 << 20, 'log_end')!);
    for (let pos = 0; pos < raw.length; ) {
      const size = raw.readInt32BE(pos + 8) + 12;
      const base = Number(raw.readBigInt64BE(pos));
      if (base >= next) out.push({ base, epoch: raw.readInt32BE(pos + 12), bytes: raw.subarray(pos, pos + size) });
      next = base + raw.readInt32BE(pos + 23) + 1;
      pos += size;
    }
  }
  return out;
}

/** A leader log with batches in epochs 0, 0, 3, 3, 4 across several segments. */
function leaderLog(dir = tempDir()): Log {
  const log = openLog({ dir, config: { 'segment.bytes': 300 } });
  const epochs = [0, 0, 3, 3, 4, 4, 4];
  epochs.forEach((e, i) => log.append(batch(`b${i}`, 1 + (i % 3)), { leaderEpoch: e }));
  return log;
}

describe('leader epochs on append', () => {
  it('stamps every batch with the given epoch and records each new epoch at its first offset', () => {
    const log = leaderLog();
    expect(log.segmentCount).toBeGreaterThan(2);
    expect(storedBatches(log).map((b) => b.epoch)).toEqual([0, 0, 3, 3, 4, 4, 4]);
    expect(log.epochEntries()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 3, startOffset: 3 }, { epoch: 4, startOffset: 7 }]);
    expect(log.latestEpoch).toBe(4);
    // Without an epoch the producer's value (-1) stays and the cache is untouched.
    log.append(batch('plain'));
    expect(storedBatches(log).at(-1)!.epoch).toBe(-1);
    expect(log.latestEpoch).toBe(4);
    log.close();
  });

  it('a leader taking over records its epoch at its log end', () => {
    const log = leaderLog();
    log.maybeAssignEpochStartOffset(6, log.logEndOffset);
    log.maybeAssignEpochStartOffset(5, log.logEndOffset); // older: ignored
    expect(log.epochEntries().at(-1)).toEqual({ epoch: 6, startOffset: 13 });
    expect(log.endOffsetForEpoch(4)).toEqual({ leaderEpoch: 4, endOffset: 13 });
    log.close();
  });
});

describe('appendAsFollower', () => {
  it("copies a leader's log byte for byte: offsets, epochs and the epoch cache", () => {
    const leader = leaderLog();
    const follower = openLog({ dir: tempDir(), config: { 'segment.bytes': 300 } });
    for (let i = 0; follower.logEndOffset < leader.logEndOffset; i++) {
      expect(i).toBeLessThan(100);
      const bytes = leader.readBytes(follower.logEndOffset, 250, 'log_end')!;
      const info = follower.appendAsFollower(bytes);
      expect(info.firstOffset).toBeLessThanOrEqual(info.lastOffset);
    }
    const a = storedBatches(leader);
    const b = storedBatches(follower);
    expect(b.map((x) => [x.base, x.epoch])).toEqual(a.map((x) => [x.base, x.epoch]));
    expect(Buffer.concat(b.map((x) => x.bytes)).equals(Buffer.concat(a.map((x) => x.bytes)))).toBe(true);
    expect(follower.epochEntries()).toEqual(leader.epochEntries());
    expect(follower.segmentCount).toBeGreaterThan(1); // rolls as usual
    leader.close();
    follower.close();
  });

  it('takes batches that start past its log end (a compacted leader log has gaps) and keeps their offsets', () => {
    const leader = leaderLog();
    const follower = openLog({ dir: tempDir() });
    const from = leader.logEndOffset - 1;
    const bytes = leader.readBytes(from, 1 << 20, 'log_end')!;
    const info = follower.appendAsFollower(bytes);
    expect(info.firstOffset).toBeGreaterThan(0);
    expect(follower.logEndOffset).toBe(leader.logEndOffset);
    expect(Buffer.from(follower.readBytes(0, 1 << 20, 'log_end')!)).toEqual(Buffer.from(bytes));
    leader.close();
    follower.close();
  });

  it('refuses bytes that start below its log end, a corrupt batch, and ignores max.message.bytes', () => {
    const leader = leaderLog();
    const follower = openLog({ dir: tempDir(), config: { 'max.message.bytes': 70 } });
    const code = (f: () => unknown): number | undefined => {
      try {
        f();
      } catch (e) {
        return (e as { code?: number }).code;
      }
      return undefined;
    };
    follower.appendAsFollower(leader.readBytes(0, 1, 'log_end')!); // the first batch only
    expect(follower.logEndOffset).toBeGreaterThan(0);
    expect(code(() => follower.appendAsFollower(leader.readBytes(0, 1 << 20, 'log_end')!))).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    follower.truncateFullyAndStartAt(0);
    const bad = Buffer.from(leader.readBytes(0, 1 << 20, 'log_end')!);
    bad[bad.length - 1]! ^= 0xff; // last batch's payload: CRC fails
    expect(code(() => follower.appendAsFollower(bad))).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(follower.logEndOffset).toBe(0); // nothing appended, not even the valid batches before it
    // Batches above max.message.bytes pass (replication).
    for (let i = 0; follower.logEndOffset < leader.logEndOffset && i < 100; i++) follower.appendAsFollower(leader.readBytes(follower.logEndOffset, 1 << 20, 'log_end')!);
    expect(follower.logEndOffset).toBe(leader.logEndOffset);
    leader.close();
    follower.close();
  });

  it('records idempotent producers from replicated batches', () => {
    const leader = openLog({ dir: tempDir() });
    leader.append(encodeBatch([{ value: Buffer.from('x'), timestamp: 1 }], { producerId: 42 }), { leaderEpoch: 1 });
    const follower = openLog({ dir: tempDir() });
    follower.appendAsFollower(leader.readBytes(0, 1 << 20, 'log_end')!);
    expect(follower.producerState.entry(42n)?.batches.map((b) => [b.firstOffset, b.lastOffset])).toEqual([[0, 0]]);
    leader.close();
    follower.close();
  });
});

describe('truncation', () => {
  for (const restart of ['clean', 'abrupt'] as const) {
    it(`truncateTo cuts at a batch boundary and survives a ${restart} restart`, () => {
      const dir = tempDir();
      const log = leaderLog(dir);
      const segmentsBefore = log.segmentCount;
      // 7 falls inside no batch (batches: 0, 1-2, 3-5, 6, 7-8, 9-11, 12): cut there; 10 falls inside 9-11.
      expect(log.truncateTo(10)).toBe(true);
      expect(log.logEndOffset).toBe(9);
      expect(log.highWatermark).toBe(9);
      expect(log.recoveryPoint).toBeLessThanOrEqual(9);
      expect(log.segmentCount).toBeLessThan(segmentsBefore);
      expect(log.epochEntries()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 3, startOffset: 3 }, { epoch: 4, startOffset: 7 }]);
      expect(log.truncateTo(7)).toBe(true);
      expect(log.logEndOffset).toBe(7);
      expect(log.epochEntries()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 3, startOffset: 3 }]);
      expect(log.truncateTo(50)).toBe(false);
      // Appends continue from the new end.
      log.append(batch('new', 2), { leaderEpoch: 9 });
      const values = readAllValues(log).map((r) => `${r.offset}:${r.value}`);
      expect(values.slice(-3)).toEqual(['6:b3-0', '7:new-0', '8:new-1']);
      if (restart === 'clean') log.close();
      else log.closeAbruptly();
      const reopened = openLog({ dir, config: { 'segment.bytes': 300 }, clean: restart === 'clean' });
      expect(readAllValues(reopened).map((r) => `${r.offset}:${r.value}`)).toEqual(values);
      expect(reopened.epochEntries()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 3, startOffset: 3 }, { epoch: 9, startOffset: 7 }]);
      expect(readdirSync(dir).filter((n) => n.endsWith('.deleted'))).toEqual([]);
      reopened.close();
    });
  }

  it('truncateTo at or past the log end cuts only an epoch that started there without records (as Kafka)', () => {
    const log = leaderLog();
    log.maybeAssignEpochStartOffset(7, log.logEndOffset); // leader for epoch 7, then deposed before appending
    expect(log.truncateTo(log.logEndOffset)).toBe(false);
    expect(log.latestEpoch).toBe(4);
    expect(log.logEndOffset).toBe(13);
    log.close();
  });

  it('truncateTo an abruptly closed log without the append after it shows the truncated log on reopen', () => {
    const dir = tempDir();
    const log = leaderLog(dir);
    log.truncateTo(3);
    log.closeAbruptly();
    const reopened = openLog({ dir, clean: false, recoveryPoint: 13 });
    expect(reopened.logEndOffset).toBe(3);
    expect(reopened.epochEntries()).toEqual([{ epoch: 0, startOffset: 0 }]);
    reopened.close();
  });

  it('truncation reloads the producer state as of the new end', () => {
    const log = openLog({ dir: tempDir() });
    log.append(encodeBatch([{ value: Buffer.from('a'), timestamp: 1 }], { producerId: 7 }));
    log.roll();
    log.append(encodeBatch([{ value: Buffer.from('b'), timestamp: 1 }], { producerId: 8 }));
    expect(log.producerState.size).toBe(2);
    log.truncateTo(1);
    expect(log.producerState.entry(7n)).toBeDefined();
    expect(log.producerState.entry(8n)).toBeUndefined();
    expect(log.producerSnapshotOffsets().every((o) => o <= 1)).toBe(true);
    log.close();
  });

  it('truncateFullyAndStartAt empties the log and starts it over at the offset', async () => {
    const dir = tempDir();
    const log = leaderLog(dir);
    const pending = log.waitDurable(100);
    log.truncateFullyAndStartAt(40);
    await expect(pending).rejects.toMatchObject({ code: ErrorCode.NOT_LEADER_OR_FOLLOWER });
    expect([log.logStartOffset, log.logEndOffset, log.highWatermark, log.recoveryPoint]).toEqual([40, 40, 40, 40]);
    expect(log.epochEntries()).toEqual([]);
    expect(log.producerState.size).toBe(0);
    expect(log.segmentBaseOffsets()).toEqual([40]);
    log.append(batch('z'), { leaderEpoch: 8 });
    log.closeAbruptly();
    const reopened = openLog({ dir, clean: false });
    expect([reopened.logStartOffset, reopened.logEndOffset]).toEqual([40, 41]);
    expect(readAllValues(reopened)).toEqual([{ offset: 40, value: 'z-0' }]);
    expect(reopened.epochEntries()).toEqual([{ epoch: 8, startOffset: 40 }]);
    expect(existsSync(join(dir, '00000000000000000000.log'))).toBe(false);
    reopened.close();
  });
});

describe('high watermark modes', () => {
  it("durable mode is today's: the high watermark follows what the flush policy made durable", () => {
    const log = openLog({ dir: tempDir(), config: { 'flush.messages': 1_000_000 } });
    log.append(batch('a', 3));
    expect(log.highWatermarkMode).toBe('durable');
    expect([log.durableOffset, log.highWatermark]).toEqual([0, 0]);
    log.flush();
    expect([log.durableOffset, log.highWatermark]).toEqual([3, 3]);
    log.close();
  });

  it('replicated mode: reads stop at the high watermark the partition sets, waiters fire on update', async () => {
    const log = openLog({ dir: tempDir(), config: { 'segment.bytes': 300, 'index.interval.bytes': 1 } });
    log.setHighWatermarkMode('replicated', 0);
    expect(log.highWatermark).toBe(0);
    for (let i = 0; i < 8; i++) log.append(batch(`r${i}`, 2), { leaderEpoch: 1 });
    expect(log.durableOffset).toBe(16);
    expect(log.highWatermark).toBe(0); // appends do not move it
    expect(log.read(0, 1 << 20).records).toBeNull();
    const seen: number[] = [];
    const off = log.onHighWatermark((hw) => seen.push(hw));
    const waiting = log.waitForData(5, 10_000);
    expect(log.updateHighWatermark(4)).toBe(4);
    expect(readAllValues(log, 0, 'high_watermark').map((r) => r.offset)).toEqual([0, 1, 2, 3]);
    expect(log.updateHighWatermark(10)).toBe(10);
    await expect(waiting).resolves.toBe(true);
    expect(readAllValues(log, 0, 'high_watermark').map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(log.updateHighWatermark(6)).toBe(10); // never back
    expect(log.updateHighWatermark(999)).toBe(16); // clamped to the log end
    expect(seen).toEqual([4, 10, 16]);
    off();
    // Truncation is the only way back.
    log.truncateTo(12);
    expect([log.logEndOffset, log.highWatermark]).toEqual([12, 12]);
    // Back to durable: the high watermark is the durable offset again.
    log.setHighWatermarkMode('durable');
    expect(log.highWatermark).toBe(log.durableOffset);
    log.close();
  });

  it('switching modes keeps waiting fetches', async () => {
    const log = openLog({ dir: tempDir() });
    log.append(batch('a', 2));
    log.setHighWatermarkMode('replicated', 0);
    const waiting = log.waitForData(0, 10_000);
    log.setHighWatermarkMode('durable');
    await expect(waiting).resolves.toBe(true);
    log.close();
  });
});
