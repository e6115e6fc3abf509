import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { applyRetention } from '../../storage/retention.js';
import { ErrorCode } from '../../storage/errors.js';
import { batch, cleanupTempDirs, openLog, readAllValues, tempDir } from './helpers/env.js';

afterEach(cleanupTempDirs);

describe('retention', () => {
  it('by time: deletes segments whose newest record is older than retention.ms, never the active one', () => {
    let now = 10_000_000;
    const dir = tempDir();
    const log = openLog({ dir, now: () => now, config: { 'segment.bytes': 1024, 'retention.ms': 60_000 } });
    for (let i = 0; i < 30; i++) log.append(batch(`old${i}`, 1, now - 120_000, 100));
    const oldSegments = log.segmentCount;
    for (let i = 0; i < 3; i++) log.append(batch(`new${i}`, 1, now, 100));
    expect(log.segmentCount).toBeGreaterThan(oldSegments);
    const r = applyRetention(log, now);
    expect(r.deletedSegments).toBeGreaterThan(0);
    expect(log.logStartOffset).toBe(log.segmentBaseOffsets()[0]);
    const values = readAllValues(log).map((x) => x.value);
    expect(values.filter((v) => v.startsWith('new'))).toHaveLength(3);
    expect(readdirSync(dir).some((f) => f.endsWith('.deleted'))).toBe(false); // file.delete.delay.ms=0 here
    // Everything old: still never the active segment.
    now += 10 * 60_000;
    applyRetention(log, now);
    expect(log.segmentCount).toBe(1);
    log.close();
  });

  it('by size: keeps the log at or under retention.bytes plus the active segment', () => {
    const log = openLog({ dir: tempDir(), config: { 'segment.bytes': 1024, 'retention.bytes': 3000 } });
    for (let i = 0; i < 60; i++) log.append(batch(`v${i}`, 1, Date.now(), 100));
    const before = log.size;
    applyRetention(log, Date.now());
    expect(log.size).toBeLessThan(before);
    expect(log.size - log.segmentList.at(-1)!.size).toBeLessThanOrEqual(3000);
    expect(log.size).toBeGreaterThan(3000 - 1024);
    const vals = readAllValues(log);
    expect(vals.at(-1)!.value.startsWith('v59-0')).toBe(true);
    expect(vals[0]!.offset).toBe(log.logStartOffset);
    log.close();
  });

  it('DeleteRecords moves the log start offset, deletes whole segments below it, and reads below fail', () => {
    const dir = tempDir();
    const log = openLog({ dir, config: { 'segment.bytes': 1024 } });
    for (let i = 0; i < 40; i++) log.append(batch(`v${i}`, 1, 1, 100));
    const bases = log.segmentBaseOffsets();
    const target = bases[2]! + 1;
    expect(log.deleteRecordsBefore(target)).toBe(target);
    expect(log.logStartOffset).toBe(target);
    expect(log.segmentBaseOffsets()[0]).toBe(bases[2]);
    expect(() => log.read(target - 1, 100)).toThrow(expect.objectContaining({ code: ErrorCode.OFFSET_OUT_OF_RANGE }));
    expect(readAllValues(log)[0]!.offset).toBe(target);
    expect(() => log.deleteRecordsBefore(1000)).toThrow(expect.objectContaining({ code: ErrorCode.OFFSET_OUT_OF_RANGE }));
    expect(log.deleteRecordsBefore(-1)).toBe(40); // to the high watermark: only the active segment stays
    expect(log.segmentCount).toBe(1);
    log.close();
    // The log start offset survives a restart when given back (the manager persists it in its checkpoint).
    const again = openLog({ dir, config: { 'segment.bytes': 1024 }, logStartOffset: 40 });
    expect(again.logStartOffset).toBe(40);
    again.close();
  });
});
