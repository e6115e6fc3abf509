import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLEAN_SHUTDOWN_FILE, LogManager, parsePartitionDirName } from '../../storage/log-manager.js';
import { ThreadWatchFs } from './helpers/thread-watch-fs.js';
import { batch, cleanupTempDirs, readAllValues, tempDir, testCore } from './helpers/env.js';
import { realFs } from '../../host-node/storage/node-fs.js';

afterEach(cleanupTempDirs);

function open(dirs: string[], extra: Record<string, unknown> = {}): LogManager {
  return new LogManager({ config: { 'log.dirs': dirs, 'log.segment.delete.delay.ms': 0, ...extra }, core: testCore(), fs: realFs });
}

describe('LogManager', () => {
  it('lays out <topic>-<partition> dirs, checkpoints and the clean-shutdown marker', async () => {
    const d = tempDir();
    const m = open([d]);
    expect(m.startup.uncleanDirs).toEqual([d]); // a fresh dir has no marker
    const a = m.getOrCreateLog('orders', 0);
    const b = m.getOrCreateLog('orders.v2-x', 3, { 'segment.bytes': 1024 });
    a.append(batch('a', 3));
    for (let i = 0; i < 20; i++) b.append(batch(`b${i}`, 1, Date.now(), 100));
    b.deleteRecordsBefore(5);
    expect(m.getOrCreateLog('orders', 0)).toBe(a);
    await m.shutdown();
    expect(readdirSync(d).sort()).toEqual([CLEAN_SHUTDOWN_FILE, 'log-start-offset-checkpoint', 'orders-0', 'orders.v2-x-3', 'recovery-point-offset-checkpoint'].sort());
    expect(readFileSync(join(d, 'recovery-point-offset-checkpoint'), 'utf8')).toBe('0\n2\norders 0 3\norders.v2-x 3 20\n');
    expect(readFileSync(join(d, 'log-start-offset-checkpoint'), 'utf8')).toBe('0\n2\norders 0 0\norders.v2-x 3 5\n');

    const m2 = open([d], {});
    expect(m2.startup.cleanDirs).toEqual([d]);
    expect(m2.startup.logs).toBe(2);
    expect(existsSync(join(d, CLEAN_SHUTDOWN_FILE))).toBe(false); // removed once loaded
    const b2 = m2.getLog('orders.v2-x', 3)!;
    expect(b2.logStartOffset).toBe(5);
    expect(b2.logEndOffset).toBe(20);
    expect(readAllValues(m2.getLog('orders', 0)!).map((r) => r.value)).toEqual(['a-0', 'a-1', 'a-2']);
    m2.crash();
    const m3 = open([d]);
    expect(m3.startup.uncleanDirs).toEqual([d]);
    expect(m3.getLog('orders.v2-x', 3)!.logStartOffset).toBe(5);
    await m3.shutdown();
  });

  it('spreads logs over log.dirs and finds them again', async () => {
    const d1 = tempDir();
    const d2 = tempDir();
    const m = open([d1, d2]);
    for (let p = 0; p < 4; p++) m.getOrCreateLog('t', p).append(batch(`p${p}`));
    await m.shutdown();
    expect(readdirSync(d1).filter((n) => n.startsWith('t-')).length).toBe(2);
    expect(readdirSync(d2).filter((n) => n.startsWith('t-')).length).toBe(2);
    const m2 = open([d1, d2]);
    for (let p = 0; p < 4; p++) expect(readAllValues(m2.getLog('t', p)!).map((r) => r.value)).toEqual([`p${p}-0`]);
    await m2.shutdown();
  });

  it('deletes a partition by renaming it <topic>-<p>.<uuid>-delete and removing it in the background', async () => {
    const d = tempDir();
    const m = open([d]);
    m.getOrCreateLog('gone', 0).append(batch('x'));
    m.getOrCreateLog('kept', 0).append(batch('y'));
    const p = m.deleteLog('gone', 0);
    expect(readdirSync(d).some((n) => /^gone-0\.[0-9a-f]{32}-delete$/.test(n))).toBe(true);
    expect(m.getLog('gone', 0)).toBeUndefined();
    await p;
    expect(readdirSync(d).some((n) => n.startsWith('gone-0'))).toBe(false);
    // A leftover -delete dir from a crash is removed at startup; unrelated entries are ignored.
    mkdirSync(join(d, 'old-1.0123456789abcdef0123456789abcdef-delete'));
    writeFileSync(join(d, 'meta.properties'), 'version=1\n');
    mkdirSync(join(d, 'not a partition'));
    await m.shutdown();
    const m2 = open([d]);
    expect(m2.startup.logs).toBe(1);
    await m2.shutdown();
    expect(existsSync(join(d, 'old-1.0123456789abcdef0123456789abcdef-delete'))).toBe(false);
    expect(readFileSync(join(d, 'meta.properties'), 'utf8')).toBe('version=1\n');
  });

  it('runs retention across logs and keeps deleted segment files until file.delete.delay.ms', async () => {
    const d = tempDir();
    const m = new LogManager({ config: { 'log.dirs': [d], 'log.segment.bytes': 1024, 'log.retention.bytes': 1024, 'log.segment.delete.delay.ms': 60_000 }, core: testCore(), fs: realFs });
    const log = m.getOrCreateLog('r', 0);
    for (let i = 0; i < 30; i++) log.append(batch(`v${i}`, 1, Date.now(), 100));
    const r = m.runRetention();
    expect(r.deletedSegments).toBeGreaterThan(0);
    expect(readdirSync(join(d, 'r-0')).some((f) => f.endsWith('.log.deleted'))).toBe(true);
    await m.shutdown(); // pending deletions are done at shutdown
    expect(readdirSync(join(d, 'r-0')).some((f) => f.endsWith('.deleted'))).toBe(false);
  });

  it('parses partition directory names like Kafka', () => {
    expect(parsePartitionDirName('my-topic-12')).toEqual({ topic: 'my-topic', partition: 12 });
    expect(parsePartitionDirName('__consumer_offsets-0')).toEqual({ topic: '__consumer_offsets', partition: 0 });
    expect(parsePartitionDirName('t-0.0123456789abcdef0123456789abcdef-delete')).toBeNull();
    expect(parsePartitionDirName('meta.properties')).toBeNull();
    expect(parsePartitionDirName('nopartition')).toBeNull();
  });
});

describe('LogManager schedulers', () => {
  it('retention and checkpoint timers run on their intervals', async () => {
    const d = tempDir();
    const m = new LogManager({
      config: {
        'log.dirs': [d],
        'log.segment.bytes': 1024,
        'log.retention.bytes': 1024,
        'log.retention.check.interval.ms': 20,
        'log.flush.offset.checkpoint.interval.ms': 20,
        'log.segment.delete.delay.ms': 0,
      },
      core: testCore(),
      fs: realFs,
      scheduler: true,
    });
    const log = m.getOrCreateLog('s', 0);
    for (let i = 0; i < 30; i++) log.append(batch(`v${i}`, 1, Date.now(), 100));
    const segs = log.segmentCount;
    await new Promise((r) => setTimeout(r, 120));
    expect(log.segmentCount).toBeLessThan(segs);
    expect(readFileSync(join(d, 'recovery-point-offset-checkpoint'), 'utf8')).toBe(`0\n1\ns 0 ${log.recoveryPoint}\n`);
    await m.shutdown();
  });

  it('topic config overrides apply per log and can be updated', async () => {
    const d = tempDir();
    const m = open([d], { 'log.segment.bytes': 1 << 20 });
    const a = m.getOrCreateLog('small', 0, { 'segment.bytes': 1024 });
    const b = m.getOrCreateLog('big', 0);
    for (let i = 0; i < 20; i++) {
      a.append(batch(`a${i}`, 1, Date.now(), 100));
      b.append(batch(`b${i}`, 1, Date.now(), 100));
    }
    expect(a.segmentCount).toBeGreaterThan(1);
    expect(b.segmentCount).toBe(1);
    m.updateTopicConfig('big', { 'segment.bytes': 1024 });
    for (let i = 0; i < 20; i++) b.append(batch(`c${i}`, 1, Date.now(), 100));
    expect(b.segmentCount).toBeGreaterThan(1);
    expect(() => m.getOrCreateLog('bad', 0, { 'cleanup.policy': ['shred'] })).toThrow(/cleanup\.policy/);
    await m.shutdown();
  });
});

describe('partition.metadata', () => {
  it("keeps the topic id in Kafka's format and lists partitions by topic", async () => {
    const d = tempDir();
    const m = open([d]);
    m.getOrCreateLog('t', 1);
    m.getOrCreateLog('t', 0);
    m.getOrCreateLog('u', 0);
    m.setTopicId('t', 0, 'AAAAAAAAAAAAAAAAAAAAAA');
    expect(readFileSync(join(d, 't-0', 'partition.metadata'), 'utf8')).toBe('version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA\n');
    await m.shutdown();
    const m2 = open([d]);
    expect(m2.topicId('t', 0)).toBe('AAAAAAAAAAAAAAAAAAAAAA');
    expect(m2.topicId('t', 1)).toBeNull();
    expect([...m2.partitionsByTopic().entries()].sort()).toEqual([
      ['t', [0, 1]],
      ['u', [0]],
    ]);
    expect(() => m2.setTopicId('u', 0, 'not-an-id')).toThrow(/Invalid topic id/);
    await m2.shutdown();
  });
});

describe('LogManager work kept off the main thread while serving', () => {
  it('a retention pass writes the checkpoints and unlinks deleted segments on the thread pool', async () => {
    const d = tempDir();
    const fs = new ThreadWatchFs();
    const m = new LogManager({ config: { 'log.dirs': [d], 'log.segment.bytes': 1024, 'log.retention.bytes': 1024, 'log.segment.delete.delay.ms': 0 }, core: testCore(), fs });
    const log = m.getOrCreateLog('r', 0);
    for (let i = 0; i < 30; i++) log.append(batch(`v${i}`, 1, Date.now(), 100));
    fs.reset();
    const r = m.runRetention();
    expect(r.deletedSegments).toBeGreaterThan(0);
    expect(fs.fsyncedOnMainThread.filter((p) => p.includes('checkpoint'))).toEqual([]);
    expect(fs.unlinkedOnMainThread.filter((p) => /\.(log|index|timeindex)(\.deleted)?$/.test(p))).toEqual([]); // producer snapshots are a few bytes
    await m.whenBackgroundWorkDone();
    expect(readdirSync(join(d, 'r-0')).some((f) => f.endsWith('.deleted'))).toBe(false);
    const starts = readFileSync(join(d, 'log-start-offset-checkpoint'), 'utf8').trim().split('\n');
    expect(starts.slice(2)).toEqual([`r 0 ${log.logStartOffset}`]);
    expect(log.logStartOffset).toBeGreaterThan(0);
    await m.shutdown();
    const again = open([d]);
    expect(again.getOrCreateLog('r', 0).logStartOffset).toBe(log.logStartOffset);
    await again.shutdown();
  });
});
