// A rolled segment is flushed in the background (Kafka's "flush-log" task): the roll itself never waits for
// an fdatasync of the old .log, the recovery point passes the old segment only when its flush is done, an
// acks=all waiter past it waits for that flush too, a failed background flush takes the partition offline,
// and close() syncs whatever is still pending.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type StorageFs } from '../../storage/index.js';
import { FaultyFs } from '../helpers/faulty-fs.js';
import { realFs } from '../../host-node/storage/node-fs.js';
import { ForwardingFs } from '../../storage/fs.js';
import { batch, cleanupTempDirs, openLog, readAllValues, tempDir } from './helpers/env.js';
import { ThreadWatchFs } from './helpers/thread-watch-fs.js';

afterAll(cleanupTempDirs);

const CFG = { 'segment.bytes': 4096, 'index.interval.bytes': 128, 'segment.index.bytes': 4096 };

/** Holds every async fdatasync of a .log until released; counts the synchronous ones of .log files. */
class GatedFs extends ForwardingFs {
  syncLogFlushes = 0;
  private held: (() => void)[] = [];
  gate = true;
  constructor(inner: StorageFs = realFs) {
    super(inner);
  }
  override fdatasyncSync(fd: number): void {
    if (this.paths.get(fd)?.endsWith('.log')) this.syncLogFlushes++;
    this.inner.fdatasyncSync(fd);
  }
  override fdatasync(fd: number): Promise<void> {
    if (!this.gate || !this.paths.get(fd)?.endsWith('.log')) return this.inner.fdatasync(fd);
    return new Promise<void>((resolve, reject) => this.held.push(() => this.inner.fdatasync(fd).then(resolve, reject)));
  }
  get waiting(): number {
    return this.held.length;
  }
  release(): void {
    const h = this.held;
    this.held = [];
    for (const f of h) f();
  }
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('background flush of rolled segments', () => {
  it('rolls without a synchronous fdatasync and moves the recovery point once the flush is done', async () => {
    const fs = new GatedFs();
    const log = openLog({ dir: tempDir(), config: CFG, fs });
    for (let i = 0; i < 80; i++) log.append(batch(`r${i}`, 2, 1_700_000_000_000 + i, 100));
    const bases = log.segmentBaseOffsets();
    expect(bases.length).toBeGreaterThan(3);
    expect(fs.syncLogFlushes).toBe(0);
    expect(log.recoveryPoint).toBe(0);
    await tick();
    expect(fs.waiting).toBe(1); // one at a time, oldest first
    fs.gate = false;
    fs.release();
    await log.whenRolledFlushed();
    expect(log.recoveryPoint).toBe(bases.at(-1));
    expect(log.highWatermark).toBe(log.logEndOffset); // default policy: the page cache is enough for the HW
    log.close();
  });

  it('an acks=all waiter past a rolled segment waits for its flush as well', async () => {
    const fs = new GatedFs();
    const log = openLog({ dir: tempDir(), config: { ...CFG, 'flush.messages': 1 }, fs });
    let info = log.append(batch('a', 2, 1_700_000_000_000, 100));
    // The first segment's flush (group commit) is held.
    for (let i = 0; i < 30; i++) info = log.append(batch(`b${i}`, 2, 1_700_000_000_000 + i, 100));
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(2);
    let durable = false;
    const w = log.waitDurable(info.lastOffset).then(() => (durable = true));
    for (let i = 0; i < 20 && fs.waiting === 0; i++) await tick();
    expect(durable).toBe(false);
    expect(log.highWatermark).toBeLessThanOrEqual(info.lastOffset);
    fs.gate = false;
    fs.release();
    await w;
    expect(durable).toBe(true);
    expect(log.recoveryPoint).toBe(log.logEndOffset);
    log.close();
  });

  it('a failed background flush takes the partition offline', async () => {
    const fs = new FaultyFs();
    const log = openLog({ dir: tempDir(), config: CFG, fs });
    fs.inject({ op: 'fdatasync', code: 'EIO', pathIncludes: '.log', times: 1 });
    for (let i = 0; i < 30; i++) log.append(batch(`r${i}`, 2, 1_700_000_000_000 + i, 100));
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(1);
    await log.whenRolledFlushed();
    expect(() => log.append(batch('after', 1))).toThrow(/KAFKA_STORAGE_ERROR|offline|storage/i);
    expect(log.recoveryPoint).toBe(0);
    log.closeAbruptly();
  });

  it('close() syncs rolled segments whose flush is still pending, and the log reopens clean', async () => {
    const fs = new GatedFs();
    const dir = tempDir();
    const log = openLog({ dir, config: CFG, fs });
    for (let i = 0; i < 80; i++) log.append(batch(`r${i}`, 2, 1_700_000_000_000 + i, 100));
    const rolled = log.segmentBaseOffsets().length - 1;
    await tick();
    const ref = readAllValues(log);
    log.close();
    expect(fs.syncLogFlushes).toBe(rolled + 1); // every rolled .log and the active one, synchronously
    fs.gate = false;
    fs.release(); // the background flush finishes after close, harmlessly
    await tick();
    const again = openLog({ dir, config: CFG, clean: true, recoveryPoint: log.recoveryPoint });
    expect(again.recoveryPoint).toBe(again.logEndOffset);
    expect(readAllValues(again)).toEqual(ref);
    again.close();
  });

  it('with the default policy, flushes the active segment in the background every few MiB (small fdatasyncs, moving recovery point)', async () => {
    const fs = new FaultyFs();
    const log = openLog({ dir: tempDir(), fs });
    expect(log.recoveryPoint).toBe(0);
    // ~4 KiB per batch: 1 MiB per 256 batches; stay under one step first.
    for (let i = 0; i < 256; i++) log.append(batch(`s${i}`, 4, 1_700_000_000_000 + i, 1000));
    await new Promise((r) => setTimeout(r, 20));
    expect(fs.counts.fdatasync).toBe(0);
    expect(log.recoveryPoint).toBe(0);
    expect(log.highWatermark).toBe(log.logEndOffset); // acks=1 never waits for these flushes
    for (let i = 0; i < 2560; i++) log.append(batch(`t${i}`, 4, 1_700_000_000_000 + i, 1000));
    await vi.waitFor(() => expect(log.recoveryPoint).toBeGreaterThan(0));
    const flushes = fs.counts.fdatasync;
    expect(flushes).toBeGreaterThanOrEqual(1);
    expect(flushes).toBeLessThanOrEqual(3); // ~11 MiB appended: steps of 8 MiB, one in flight at a time
    log.close();
  });
});

describe('a rolled segment’s index and directory fsyncs', () => {
  it('run on the thread pool, one per index file and roll, never on the main thread', async () => {
    const fs = new ThreadWatchFs();
    const dir = tempDir();
    const log = openLog({ dir, config: CFG, fs });
    await log.whenRolledFlushed();
    fs.reset();
    for (let i = 0; i < 80; i++) log.append(batch(`r${i}`, 2, 1_700_000_000_000 + i, 100));
    const rolled = log.segmentBaseOffsets().length - 1;
    expect(rolled).toBeGreaterThan(3);
    await log.whenRolledFlushed();
    expect(fs.fsyncedOnMainThread.filter((p) => p.endsWith('.index') || p.endsWith('.timeindex') || p === dir)).toEqual([]);
    expect(fs.fsyncedInBackground.filter((p) => p.endsWith('.index'))).toHaveLength(rolled);
    expect(fs.fsyncedInBackground.filter((p) => p.endsWith('.timeindex'))).toHaveLength(rolled);
    expect(fs.fsyncedInBackground.filter((p) => p === dir).length).toBeGreaterThanOrEqual(1);
    expect(log.recoveryPoint).toBe(log.segmentBaseOffsets().at(-1));
    log.close();
    const again = openLog({ dir, config: CFG });
    expect(readAllValues(again)).toHaveLength(80 * 2);
    again.close();
  });
});
