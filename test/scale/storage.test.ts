// Storage behaviour that matters at scale: no fsync when a partition is created (its directory
// is made durable by its first flush), one checkpoint write for a DeleteRecords or a topic deletion over
// many partitions, a shutdown whose fsyncs run together and still refuses the clean-shutdown marker when
// one of them fails, and an unclean start whose recovery fsyncs run together before the checkpoints move.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLEAN_SHUTDOWN_FILE, LogManager } from '../../storage/log-manager.js';
import { FaultyFs } from '../helpers/faulty-fs.js';
import { batch, cleanupTempDirs, tempDir, testCore } from '../storage/helpers/env.js';

afterEach(cleanupTempDirs);

const N = 200;

function manager(dir: string, fs: FaultyFs, extra: Record<string, unknown> = {}): LogManager {
  return new LogManager({ config: { 'log.dirs': [dir], 'log.segment.delete.delay.ms': 0, ...extra }, core: testCore(), fs });
}

describe('storage at scale', () => {
  it('creating partitions costs no fsync; the first durable write fsyncs the new directories once', async () => {
    const dir = tempDir();
    const fs = new FaultyFs();
    const m = manager(dir, fs, { 'log.flush.interval.messages': 1 });
    const before = fs.syncs;
    for (let p = 0; p < N; p++) m.getOrCreateLog('t', p);
    expect(fs.syncs - before).toBe(0);
    const log = m.getLog('t', 7)!;
    const s0 = fs.syncs;
    await log.waitDurable(log.append(batch('a')).lastOffset);
    // fdatasync of the log, then its directory and the log dir (the new entries) once.
    expect(fs.syncs - s0).toBe(3);
    const s1 = fs.syncs;
    await log.waitDurable(log.append(batch('b')).lastOffset);
    expect(fs.syncs - s1).toBe(1);
    await m.shutdown();
  });

  it('moving the log start offset of many partitions in one request writes the checkpoint once', async () => {
    const dir = tempDir();
    const fs = new FaultyFs();
    const m = manager(dir, fs);
    const logs = Array.from({ length: N }, (_, p) => m.getOrCreateLog('t', p));
    for (const l of logs) l.append(batch('x', 3));
    const renames = fs.counts.rename;
    m.withCheckpointsDeferred(() => {
      for (const l of logs) l.deleteRecordsBefore(2);
    });
    expect(fs.counts.rename - renames).toBe(1); // log-start-offset-checkpoint.tmp → log-start-offset-checkpoint
    const lines = readFileSync(join(dir, 'log-start-offset-checkpoint'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(N + 2);
    expect(lines.slice(2).every((l) => l.endsWith(' 2'))).toBe(true);
    // Outside such a block a move is written right away, as before.
    logs[0]!.deleteRecordsBefore(3);
    expect(fs.counts.rename - renames).toBe(2);
    await m.shutdown();
  });

  it('deleting a topic of many partitions renames each directory but writes the checkpoints once', async () => {
    const dir = tempDir();
    const fs = new FaultyFs();
    const m = manager(dir, fs);
    for (let p = 0; p < N; p++) m.getOrCreateLog('gone', p).append(batch('x'));
    m.getOrCreateLog('kept', 0).append(batch('y'));
    const renames = fs.counts.rename;
    const done = m.deleteLogs(Array.from({ length: N }, (_, partition) => ({ topic: 'gone', partition })));
    expect(fs.counts.rename - renames).toBe(N + 2); // N directories + the two checkpoint files
    await done;
    expect(readFileSync(join(dir, 'recovery-point-offset-checkpoint'), 'utf8')).toBe('0\n1\nkept 0 0\n');
    await m.shutdown();
    expect(existsSync(join(dir, CLEAN_SHUTDOWN_FILE))).toBe(true);
  });

  it('a clean shutdown runs its fsyncs together; one failing fsync means no clean-shutdown marker', async () => {
    const dir = tempDir();
    const fs = new FaultyFs();
    const m = manager(dir, fs);
    for (let p = 0; p < N; p++) m.getOrCreateLog('t', p).append(batch(`v${p}`));
    fs.inject({ op: 'fsync', code: 'EIO', pathIncludes: '/t-17/' });
    await m.shutdown();
    expect(existsSync(join(dir, CLEAN_SHUTDOWN_FILE))).toBe(false);

    // Without a failure the marker is written, after every log and index was fsynced.
    fs.clear();
    const m2 = manager(dir, fs);
    expect(m2.startup.uncleanDirs).toEqual([dir]);
    for (let p = 0; p < N; p++) m2.getLog('t', p)!.append(batch(`w${p}`));
    const syncs = fs.syncs;
    await m2.shutdown();
    expect(fs.syncs - syncs).toBeGreaterThanOrEqual(2 * N); // at least each log and its time index
    expect(existsSync(join(dir, CLEAN_SHUTDOWN_FILE))).toBe(true);
    const m3 = manager(dir, fs);
    expect(m3.startup.cleanDirs).toEqual([dir]);
    expect(m3.getLog('t', 17)!.logEndOffset).toBe(2);
    await m3.shutdown();
  });

  it('an unclean start recovers every partition; the checkpoints move once its fsyncs are done', async () => {
    const dir = tempDir();
    const fs = new FaultyFs();
    const m = manager(dir, fs);
    for (let p = 0; p < N; p++) m.getOrCreateLog('t', p).append(batch(`v${p}`, 2));
    m.crash();
    const m2 = manager(dir, fs);
    expect(m2.startup.uncleanDirs).toEqual([dir]);
    expect(m2.startup.recoveredSegments).toBe(N);
    for (let p = 0; p < N; p++) expect(m2.getLog('t', p)!.logEndOffset).toBe(2);
    await m2.shutdown();
    const rps = readFileSync(join(dir, 'recovery-point-offset-checkpoint'), 'utf8').trim().split('\n').slice(2);
    expect(rps.length).toBe(N);
    expect(rps.every((l) => l.endsWith(' 2'))).toBe(true);
  });

  it('a failed recovery fsync keeps the old recovery points and refuses the clean-shutdown marker', async () => {
    const dir = tempDir();
    const fs = new FaultyFs();
    const m = manager(dir, fs);
    for (let p = 0; p < 20; p++) m.getOrCreateLog('t', p).append(batch(`v${p}`, 2));
    m.checkpointAll(); // recovery points 0: nothing flushed yet
    m.crash();
    fs.inject({ op: 'fsync', code: 'EIO', pathIncludes: '/t-3/' });
    const m2 = manager(dir, fs);
    expect(m2.startup.recoveredSegments).toBe(20);
    await m2.shutdown();
    expect(existsSync(join(dir, CLEAN_SHUTDOWN_FILE))).toBe(false);
    const rps = readFileSync(join(dir, 'recovery-point-offset-checkpoint'), 'utf8').trim().split('\n').slice(2);
    expect(rps.every((l) => l.endsWith(' 0'))).toBe(true);
    fs.clear();
    const m3 = manager(dir, fs);
    expect(m3.startup.uncleanDirs).toEqual([dir]);
    for (let p = 0; p < 20; p++) expect(m3.getLog('t', p)!.logEndOffset).toBe(2);
    await m3.shutdown();
    expect(existsSync(join(dir, CLEAN_SHUTDOWN_FILE))).toBe(true);
  });
});
