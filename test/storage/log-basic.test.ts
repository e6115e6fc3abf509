import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, StorageError } from '../../storage/errors.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, MAX_TIMESTAMP } from '../../storage/log.js';
import { batch, cleanupTempDirs, decodeBatches, openLog, readAllValues, records, tempDir } from './helpers/env.js';

afterEach(cleanupTempDirs);

describe('Log append/read', () => {
  it('appends batches, assigns offsets and reads them back as stored bytes', () => {
    const dir = tempDir();
    const log = openLog({ dir });
    const a = log.append(batch('a', 3));
    const b = log.append(batch('b', 2));
    expect(a).toMatchObject({ firstOffset: 0, lastOffset: 2, recordCount: 3, batchCount: 1, logAppendTime: -1 });
    expect(b).toMatchObject({ firstOffset: 3, lastOffset: 4 });
    expect(log.logEndOffset).toBe(5);
    expect(log.highWatermark).toBe(5); // default flush policy: page cache is enough
    const all = readAllValues(log);
    expect(all.map((r) => r.value)).toEqual(['a-0', 'a-1', 'a-2', 'b-0', 'b-1']);
    expect(all.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4]);
    // Kafka's file names and layout.
    expect(readdirSync(dir).sort()).toEqual(['00000000000000000000.index', '00000000000000000000.log', '00000000000000000000.timeindex']);
    log.close();
  });

  it('fetch starting mid-batch returns the whole batch, and at least one batch above maxBytes (KIP-74)', () => {
    const log = openLog({ dir: tempDir() });
    log.append(batch('a', 5, 1000, 200));
    log.append(batch('b', 5, 1000, 200));
    const r = log.read(2, 10);
    expect(r.records).not.toBeNull();
    const recs = decodeBatches(r.records!.read());
    expect(recs.map((x) => x.offset)).toEqual([0, 1, 2, 3, 4]);
    expect(r.records!.size).toBeGreaterThan(10);
    // maxBytes fits both: both come back as one range.
    const both = log.read(0, 1 << 20).records!;
    expect(decodeBatches(both.read()).length).toBe(10);
    // At the end: nothing; beyond: OFFSET_OUT_OF_RANGE.
    expect(log.read(10, 100).records).toBeNull();
    expect(() => log.read(11, 100)).toThrow(StorageError);
    try {
      log.read(11, 100);
    } catch (e) {
      expect((e as StorageError).code).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    }
    log.close();
  });

  it('rejects a corrupt batch with CORRUPT_MESSAGE and a too large one with MESSAGE_TOO_LARGE', () => {
    const log = openLog({ dir: tempDir(), config: { 'max.message.bytes': 500 } });
    const bad = batch('x', 2);
    bad[bad.length - 1] ^= 0xff;
    expect(() => log.append(bad)).toThrow(expect.objectContaining({ code: ErrorCode.CORRUPT_MESSAGE }));
    expect(() => log.append(batch('y', 10, 1, 100))).toThrow(expect.objectContaining({ code: ErrorCode.MESSAGE_TOO_LARGE }));
    expect(log.logEndOffset).toBe(0);
    log.append(batch('ok'));
    expect(log.logEndOffset).toBe(1);
    log.close();
  });

  it('LogAppendTime stamps the batches with the broker time', () => {
    const log = openLog({ dir: tempDir(), config: { 'message.timestamp.type': 'LogAppendTime' }, now: () => 42_000 });
    const info = log.append(batch('a', 2, 5));
    expect(info.logAppendTime).toBe(42_000);
    const recs = decodeBatches(log.readBytes(0, 1000)!);
    expect(recs.map((r) => r.timestamp)).toEqual([42_000, 42_000]);
    log.close();
  });

  it('ListOffsets: earliest, latest, max timestamp, by timestamp', () => {
    const log = openLog({ dir: tempDir(), config: { 'index.interval.bytes': 1 } });
    log.append(records([{ value: Buffer.from('a'), timestamp: 100 }, { value: Buffer.from('b'), timestamp: 200 }]));
    log.append(records([{ value: Buffer.from('c'), timestamp: 300 }, { value: Buffer.from('d'), timestamp: 250 }]));
    log.append(records([{ value: Buffer.from('e'), timestamp: 400 }]));
    expect(log.fetchOffsetForTimestamp(EARLIEST_TIMESTAMP)).toEqual({ offset: 0, timestamp: -1 });
    expect(log.fetchOffsetForTimestamp(LATEST_TIMESTAMP)).toEqual({ offset: 5, timestamp: -1 });
    expect(log.fetchOffsetForTimestamp(MAX_TIMESTAMP)?.timestamp).toBe(400);
    expect(log.fetchOffsetForTimestamp(150)).toEqual({ offset: 1, timestamp: 200 });
    expect(log.fetchOffsetForTimestamp(200)).toEqual({ offset: 1, timestamp: 200 });
    expect(log.fetchOffsetForTimestamp(260)).toEqual({ offset: 2, timestamp: 300 });
    expect(log.fetchOffsetForTimestamp(0)).toEqual({ offset: 0, timestamp: 100 });
    expect(log.fetchOffsetForTimestamp(401)).toBeNull();
    log.close();
  });

  it('long poll: waitForData resolves on append and times out otherwise', async () => {
    const log = openLog({ dir: tempDir() });
    expect(await log.waitForData(0, 10)).toBe(false);
    const p = log.waitForData(0, 5000);
    setTimeout(() => log.append(batch('a')), 5);
    expect(await p).toBe(true);
    log.close();
  });
});

describe('segments and indexes', () => {
  it('rolls by size, preallocates the active index and trims rolled ones, looks up across segments', () => {
    const dir = tempDir();
    const log = openLog({ dir, config: { 'segment.bytes': 4096, 'index.interval.bytes': 256, 'segment.index.bytes': 8 * 1024 } });
    for (let i = 0; i < 100; i++) log.append(batch(`v${i}`, 2, 1000 + i, 50));
    expect(log.segmentCount).toBeGreaterThan(3);
    const bases = log.segmentBaseOffsets();
    for (let i = 0; i < bases.length - 1; i++) {
      const stem = join(dir, String(bases[i]).padStart(20, '0'));
      const idx = statSync(stem + '.index').size;
      expect(idx % 8).toBe(0);
      expect(idx).toBeLessThan(8 * 1024);
      expect(idx).toBeGreaterThan(0);
      expect(statSync(stem + '.timeindex').size % 12).toBe(0);
      expect(statSync(stem + '.log').size).toBeLessThanOrEqual(4096);
    }
    const activeStem = join(dir, String(bases.at(-1)).padStart(20, '0'));
    expect(statSync(activeStem + '.index').size).toBe(8 * 1024);
    expect(statSync(activeStem + '.timeindex').size).toBe(Math.floor((8 * 1024) / 12) * 12);
    const all = readAllValues(log);
    expect(all.length).toBe(200);
    expect(all.map((r) => r.offset)).toEqual([...Array(200).keys()]);
    for (const target of [0, 1, 37, 99, 150, 199]) {
      const recs = decodeBatches(log.readBytes(target, 1)!);
      expect(recs[0]!.offset).toBeLessThanOrEqual(target);
      expect(recs.at(-1)!.offset).toBeGreaterThanOrEqual(target);
    }
    log.close();
    // close trims the active segment's indexes too
    expect(statSync(activeStem + '.index').size).toBeLessThan(8 * 1024);
  });

  it('rolls by time (segment.ms)', () => {
    let now = 1_000_000;
    const log = openLog({ dir: tempDir(), config: { 'segment.ms': 1000 }, now: () => now });
    log.append(batch('a', 1, now));
    now += 500;
    log.append(batch('b', 1, now));
    expect(log.segmentCount).toBe(1);
    now += 1000;
    log.append(batch('c', 1, now));
    expect(log.segmentCount).toBe(2);
    expect(log.segmentBaseOffsets()).toEqual([0, 2]);
    log.close();
  });

  it('creates no files beyond the segment triple (and producer snapshots) and leaves no temp files', () => {
    const dir = tempDir();
    const log = openLog({ dir, config: { 'segment.bytes': 1024 } });
    for (let i = 0; i < 20; i++) log.append(batch(`v${i}`, 1, 1, 200));
    log.close();
    for (const f of readdirSync(dir)) expect(f).toMatch(/^\d{20}\.(log|index|timeindex|snapshot)$/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});
