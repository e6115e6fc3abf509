import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../storage/errors.js';
import { FaultyFs } from '../helpers/faulty-fs.js';
import { LogManager } from '../../storage/log-manager.js';
import { batch, cleanupTempDirs, openLog, readAllValues, tempDir, testCore } from './helpers/env.js';

afterEach(cleanupTempDirs);

function manager(dir: string, fs: FaultyFs, extra: Record<string, unknown> = {}, now?: () => number): LogManager {
  return new LogManager({ config: { 'log.dirs': [dir], 'log.storage.retry.backoff.ms': 0, 'log.segment.delete.delay.ms': 0, ...extra }, core: testCore(), fs, now });
}

describe('disk errors take one partition offline', () => {
  it('ENOSPC (torn write) on one log: KAFKA_STORAGE_ERROR there, others unaffected, writes resume once space is back', async () => {
    const dir = tempDir();
    const fs = new FaultyFs();
    let now = 1_000_000;
    const m = manager(dir, fs, { 'log.storage.retry.backoff.ms': 1000 }, () => now);
    const a = m.getOrCreateLog('a', 0);
    const b = m.getOrCreateLog('b', 0);
    a.append(batch('a0', 2));
    b.append(batch('b0', 2));
    const sizeBefore = statSync(join(dir, 'a-0', '00000000000000000000.log')).size;
    const rule = fs.inject({ op: 'write', code: 'ENOSPC', pathIncludes: '/a-0/', tornBytes: 17 });
    // The immediate cut of the torn bytes fails too (once), so the probe on resume has to do it.
    fs.inject({ op: 'ftruncate', code: 'EIO', pathIncludes: '/a-0/', times: 1 });
    expect(() => a.append(batch('a1', 2))).toThrow(expect.objectContaining({ code: ErrorCode.KAFKA_STORAGE_ERROR }));
    expect(a.isOffline).toBe(true);
    expect(a.offlineReason).toBe('nospace');
    expect(() => a.read(0, 100)).toThrow(expect.objectContaining({ code: ErrorCode.KAFKA_STORAGE_ERROR }));
    expect(statSync(join(dir, 'a-0', '00000000000000000000.log')).size).toBe(sizeBefore + 17); // torn bytes on disk
    // Still full: the probe after the backoff fails again, and the partition stays offline.
    now += 1000;
    expect(() => a.append(batch('a1', 2))).toThrow(expect.objectContaining({ code: ErrorCode.KAFKA_STORAGE_ERROR }));
    expect(a.isOffline).toBe(true);
    // The other partition keeps working.
    expect(b.append(batch('b1', 1)).firstOffset).toBe(2);
    expect(readAllValues(b).map((r) => r.value)).toEqual(['b0-0', 'b0-1', 'b1-0']);
    // Space comes back: the next append cuts the torn bytes and succeeds at the right offset.
    rule(); // space is back
    // Within log.storage.retry.backoff.ms the partition stays offline...
    expect(() => a.append(batch('a2', 1))).toThrow(expect.objectContaining({ code: ErrorCode.KAFKA_STORAGE_ERROR }));
    now += 1000;
    // ...then the next append (or read) cuts the torn bytes and goes on at the right offset.
    expect(a.append(batch('a2', 1)).firstOffset).toBe(2);
    expect(statSync(join(dir, 'a-0', '00000000000000000000.log')).size).toBe(sizeBefore + batch('a2', 1).byteLength);
    expect(a.isOffline).toBe(false);
    expect(readAllValues(a).map((r) => r.value)).toEqual(['a0-0', 'a0-1', 'a2-0']);
    await m.shutdown();
  });

  it('EIO keeps the log offline until it is reopened, which recovers it', async () => {
    const dir = tempDir();
    const fs = new FaultyFs();
    const m = manager(dir, fs);
    const a = m.getOrCreateLog('a', 0);
    a.append(batch('a0', 2));
    const rule = fs.inject({ op: 'write', code: 'EIO', pathIncludes: '/a-0/', tornBytes: 40 });
    fs.inject({ op: 'ftruncate', code: 'EIO', pathIncludes: '/a-0/', times: 1 }); // torn bytes stay until recovery
    expect(() => a.append(batch('a1', 2))).toThrow(expect.objectContaining({ code: ErrorCode.KAFKA_STORAGE_ERROR }));
    rule(); // space is back
    expect(a.offlineReason).toBe('io');
    expect(() => a.append(batch('a1', 2))).toThrow(expect.objectContaining({ code: ErrorCode.KAFKA_STORAGE_ERROR }));
    const again = m.reopenLog('a', 0);
    expect(again.loadStats.truncatedBytes).toBe(40);
    expect(again.append(batch('a2', 1)).firstOffset).toBe(2);
    expect(readAllValues(again).map((r) => r.value)).toEqual(['a0-0', 'a0-1', 'a2-0']);
    await m.shutdown();
  });

  it('an fsync failure rejects durability waiters and takes the log offline', async () => {
    const fs = new FaultyFs();
    const log = openLog({ dir: tempDir(), fs, config: { 'flush.messages': 1 } });
    fs.inject({ op: 'fdatasync', code: 'EIO' });
    const info = log.append(batch('x'));
    await expect(log.waitDurable(info.lastOffset)).rejects.toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR });
    expect(log.isOffline).toBe(true);
    expect(log.highWatermark).toBe(0);
    log.closeAbruptly();
  });

  it('a failed write that landed whole is cut at once, so it does not come back after a restart', () => {
    const dir = tempDir();
    const fs = new FaultyFs();
    let log = openLog({ dir, fs });
    log.append(batch('a', 1));
    const b = batch('lost', 1);
    fs.inject({ op: 'write', code: 'ENOSPC', tornBytes: b.byteLength, times: 1 }); // all bytes written, then the error
    expect(() => log.append(b)).toThrow(expect.objectContaining({ code: ErrorCode.KAFKA_STORAGE_ERROR }));
    log.closeAbruptly();
    log = openLog({ dir, fs, clean: false });
    expect(readAllValues(log).map((r) => r.value)).toEqual(['a-0']);
    log.close();
  });

  it('ENOSPC while rolling leaves the log consistent', () => {
    const fs = new FaultyFs();
    const log = openLog({ dir: tempDir(), fs, config: { 'segment.bytes': 600 } });
    for (let i = 0; i < 3; i++) log.append(batch(`v${i}`, 1, 1, 150));
    const rule = fs.inject({ op: 'open', code: 'ENOSPC', times: 1 });
    let failed = false;
    for (let i = 3; i < 6 && !failed; i++) {
      try {
        log.append(batch(`v${i}`, 1, 1, 150));
      } catch (e) {
        expect(e).toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR });
        failed = true;
      }
    }
    expect(failed).toBe(true);
    rule(); // space is back
    const end = log.logEndOffset;
    log.append(batch('after', 1, 1, 150));
    expect(log.logEndOffset).toBe(end + 1);
    const vals = readAllValues(log).map((r) => r.value.slice(0, 5));
    expect(vals.at(-1)).toBe('after');
    expect(vals.length).toBe(end + 1);
    log.close();
  });
});

describe('group commit', () => {
  it('many concurrent acks=all appends are made durable by few fdatasyncs', async () => {
    const fs = new FaultyFs();
    const log = openLog({ dir: tempDir(), fs, config: { 'flush.messages': 1 } });
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      const info = log.append(batch(`v${i}`));
      expect(log.highWatermark).toBeLessThanOrEqual(info.lastOffset); // not durable yet
      waits.push(log.waitDurable(info.lastOffset));
    }
    await Promise.all(waits);
    expect(log.highWatermark).toBe(200);
    expect(log.flushCount).toBeLessThanOrEqual(2);
    expect(fs.counts.fdatasync).toBe(log.flushCount);
    // Appends arriving while an fsync is in flight are covered by one more.
    const more: Promise<void>[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 20; i++) more.push(log.waitDurable(log.append(batch(`r${round}-${i}`)).lastOffset));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(more);
    expect(log.highWatermark).toBe(300);
    expect(log.flushCount).toBeLessThan(2 + 5 + 1);
    log.close();
  });

  it('flush.messages=N batches fsyncs; flush.ms flushes on a timer; the HW waits for durability', async () => {
    const fs = new FaultyFs();
    const log = openLog({ dir: tempDir(), fs, config: { 'flush.messages': 10, 'flush.ms': 30 } });
    const info = log.append(batch('a', 3));
    expect(log.highWatermark).toBe(0);
    const t0 = Date.now();
    await log.waitDurable(info.lastOffset); // flush.ms timer
    expect(Date.now() - t0).toBeGreaterThanOrEqual(20);
    expect(log.highWatermark).toBe(3);
    const i2 = log.append(batch('b', 10)); // reaches flush.messages at once
    const t1 = Date.now();
    await log.waitDurable(i2.lastOffset);
    expect(Date.now() - t1).toBeLessThan(25);
    expect(log.recoveryPoint).toBe(13);
    log.close();
  });

  it('long-poll fetches wake when the data becomes durable, not before', async () => {
    const log = openLog({ dir: tempDir(), config: { 'flush.messages': 1 } });
    const seen: number[] = [];
    const unsubscribe = log.onHighWatermark((hw) => seen.push(hw));
    const woke = log.waitForData(0, 5000);
    const info = log.append(batch('a', 2));
    expect(seen).toEqual([]); // appended, not yet durable
    expect(await woke).toBe(true);
    expect(log.highWatermark).toBe(info.lastOffset + 1);
    expect(seen).toEqual([2]);
    unsubscribe();
    log.close();
  });

  it('consumers do not see data above the high watermark', async () => {
    const log = openLog({ dir: tempDir(), config: { 'flush.messages': 1 } });
    const info = log.append(batch('a', 2));
    expect(log.read(0, 1000).records).toBeNull();
    expect(log.read(0, 1000, 'log_end').records).not.toBeNull();
    await log.waitDurable(info.lastOffset);
    expect(log.read(0, 1000).records).not.toBeNull();
    log.close();
  });
});

describe('start-up with a broken partition', () => {
  it('a partition whose files cannot be read is offline; the others load; reopenLog brings it back', async () => {
    const dir = tempDir();
    const m1 = manager(dir, new FaultyFs());
    m1.getOrCreateLog('good', 0).append(batch('g', 2));
    const bad = m1.getOrCreateLog('bad', 0);
    bad.append(batch('b', 3));
    bad.deleteRecordsBefore(1);
    m1.crash();
    const fs = new FaultyFs();
    const rule = fs.inject({ op: 'read', code: 'EIO', pathIncludes: '/bad-0/' });
    const m2 = manager(dir, fs);
    expect(m2.startup.failedLogs.map((f) => f.topic)).toEqual(['bad']);
    expect(() => m2.logFor('bad', 0)).toThrow(expect.objectContaining({ code: ErrorCode.KAFKA_STORAGE_ERROR }));
    expect(() => m2.getOrCreateLog('bad', 0)).toThrow(expect.objectContaining({ code: ErrorCode.KAFKA_STORAGE_ERROR }));
    expect(readAllValues(m2.logFor('good', 0)!).map((r) => r.value)).toEqual(['g-0', 'g-1']);
    rule();
    const back = m2.reopenLog('bad', 0);
    expect(back.logStartOffset).toBe(1);
    expect(readAllValues(back).map((r) => r.value)).toEqual(['b-1', 'b-2']);
    await m2.shutdown();
  });
});
