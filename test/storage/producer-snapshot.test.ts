// Producer state snapshots (storage/producer-snapshot.ts) and how a Log loads, writes and deletes them:
// the file format and its checks, a snapshot at every roll and at clean close, a clean restart that replays
// nothing, an unclean one that replays only the log after the last roll, corrupt snapshots falling back to an
// older one or to a full rebuild with the same state, snapshots deleted with their segments and past a truncated
// end, and producer.id.expiration.ms.
import { appendFileSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../bindings/node.js';
import { LogManager } from '../../storage/log-manager.js';
import type { Log } from '../../storage/log.js';
import {
  CorruptSnapshotError,
  SNAPSHOT_VERSION,
  decodeSnapshot,
  encodeSnapshot,
  snapshotFileName,
} from '../../storage/producer-snapshot.js';
import { rebuildProducerState, type ProducerEntry, type ProducerStateManager } from '../../storage/producer-state.js';
import { cleanupTempDirs, openLog, tempDir, testCore } from './helpers/env.js';
import { realFs } from '../../host-node/storage/node-fs.js';

afterEach(cleanupTempDirs);

const SMALL = { 'segment.bytes': 2048, 'index.interval.bytes': 256 };

function idem(producerId: bigint, epoch: number, seq: number, n: number, tag = 'v'): Uint8Array {
  return encodeBatch({
    producerId,
    producerEpoch: epoch,
    baseSequence: seq,
    records: Array.from({ length: n }, (_, i) => ({ value: `${tag}-${seq + i}-${'x'.repeat(60)}`, timestamp: 1_700_000_000_000 })),
  });
}

/** Appends `rounds` batches of 3 records for each of the producers, in sequence. */
function produce(log: Log, producers: bigint[], rounds: number, seqs: Map<bigint, number>): void {
  for (let r = 0; r < rounds; r++)
    for (const pid of producers) {
      const seq = seqs.get(pid) ?? 0;
      const b = idem(pid, 0, seq, 3);
      expect(log.producerState.check({ producerId: pid, epoch: 0, firstSeq: seq, lastSeq: seq + 2, recordCount: 3 })).toEqual({ kind: 'append' });
      log.append(b);
      seqs.set(pid, seq + 3);
    }
}

/** The state without the write times (a replay counts as a write at replay time). */
function dump(s: ProducerStateManager): unknown {
  return [...s.entries()]
    .map((e) => ({ producerId: String(e.producerId), epoch: e.epoch, batches: e.batches }))
    .sort((a, b) => a.producerId.localeCompare(b.producerId));
}

const snapshots = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.snapshot')).sort();

describe('snapshot file format', () => {
  const entries: ProducerEntry[] = [
    { producerId: 7n, epoch: 2, lastWriteMs: 1_700_000_123_456, batches: Array.from({ length: 5 }, (_, i) => ({ firstSeq: i * 10, lastSeq: i * 10 + 9, firstOffset: 1000 + i * 10, lastOffset: 1009 + i * 10, maxTimestamp: 1_600_000_000_000 + i })) },
    { producerId: 0x7fff_ffff_ffffn, epoch: 0, lastWriteMs: 5, batches: [{ firstSeq: 0x7fff_fffe, lastSeq: 1, firstOffset: 9, lastOffset: 12, maxTimestamp: -1 }] },
    { producerId: 3n, epoch: 1, lastWriteMs: 0, batches: [] },
  ];

  it('round-trips entries with their last 5 batches, versioned and CRC-checked', () => {
    const bytes = encodeSnapshot(4321, entries);
    expect(new DataView(bytes.buffer).getInt16(0)).toBe(SNAPSHOT_VERSION);
    expect(decodeSnapshot(bytes, 4321)).toEqual(entries);
    expect(snapshotFileName(4321)).toBe('00000000000000004321.snapshot');
  });

  it('rejects a flipped bit anywhere, a short file, trailing bytes, another version and a misnamed file', () => {
    const bytes = encodeSnapshot(4321, entries);
    for (let i = 0; i < bytes.length; i++) {
      const bad = Uint8Array.from(bytes);
      bad[i] = bad[i]! ^ 0x10;
      expect(() => decodeSnapshot(bad, 4321), `byte ${i}`).toThrow(CorruptSnapshotError);
    }
    for (const n of [0, 5, 17, bytes.length - 1]) expect(() => decodeSnapshot(bytes.subarray(0, n), 4321)).toThrow(CorruptSnapshotError);
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    expect(() => decodeSnapshot(longer, 4321)).toThrow(CorruptSnapshotError);
    const kafkaV1 = Uint8Array.from(bytes);
    new DataView(kafkaV1.buffer).setInt16(0, 1);
    expect(() => decodeSnapshot(kafkaV1, 4321)).toThrow(/unknown snapshot version 1/);
    expect(() => decodeSnapshot(bytes, 4322)).toThrow(/offset 4321/);
  });
});

describe('a Log writes, loads and deletes producer snapshots', () => {
  it('snapshots at every roll and at clean close; a clean restart loads the last one and reads no log bytes', () => {
    const dir = tempDir();
    const seqs = new Map<bigint, number>();
    let log = openLog({ dir, config: SMALL });
    produce(log, [1n, 2n, 3n], 20, seqs);
    const bases = log.segmentBaseOffsets();
    expect(bases.length).toBeGreaterThan(5);
    // One per roll, named after the new segment's base offset.
    expect(snapshots(dir)).toEqual(bases.slice(1).map(snapshotFileName));
    const before = dump(log.producerState);
    const end = log.logEndOffset;
    log.close();
    expect(snapshots(dir)).toContain(snapshotFileName(end));

    log = openLog({ dir, config: SMALL, clean: true });
    expect(log.loadStats.producerState).toEqual({ snapshotOffset: end, corruptSnapshots: 0, replay: { fromOffset: end, batches: 0, bytes: 0 } });
    expect(dump(log.producerState)).toEqual(before);
    // All 5 retained batches of every producer are still recognised as duplicates.
    for (const pid of [1n, 2n, 3n]) {
      const last = seqs.get(pid)!;
      for (let k = 1; k <= 5; k++) expect(log.producerState.check({ producerId: pid, epoch: 0, firstSeq: last - 3 * k, lastSeq: last - 3 * k + 2, recordCount: 3 }).kind).toBe('duplicate');
      expect(log.producerState.check({ producerId: pid, epoch: 0, firstSeq: last - 18, lastSeq: last - 16, recordCount: 3 })).toMatchObject({ error: 'DUPLICATE_SEQUENCE_NUMBER' });
      expect(log.producerState.check({ producerId: pid, epoch: 0, firstSeq: last + 1, lastSeq: last + 3, recordCount: 3 })).toMatchObject({ error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    }
    log.close();
  });

  it('after a crash, replays only the log after the last roll snapshot; the state equals a full rebuild', () => {
    const dir = tempDir();
    const seqs = new Map<bigint, number>();
    let log = openLog({ dir, config: SMALL });
    produce(log, [1n, 2n], 25, seqs);
    const lastBase = log.segmentBaseOffsets().at(-1)!;
    expect(lastBase).toBeGreaterThan(0);
    produce(log, [1n], 2, seqs);
    const before = dump(log.producerState);
    log.closeAbruptly();

    log = openLog({ dir, config: SMALL, clean: false });
    const st = log.loadStats.producerState;
    expect(st.snapshotOffset).toBe(lastBase);
    expect(st.replay.fromOffset).toBe(lastBase);
    expect(st.replay.batches).toBeGreaterThan(0);
    const activeSize = statSync(join(dir, String(lastBase).padStart(20, '0') + '.log')).size;
    expect(st.replay.bytes).toBeLessThanOrEqual(activeSize);
    expect(dump(log.producerState)).toEqual(before);
    expect(dump(rebuildProducerState(log))).toEqual(before);
    // The load left a snapshot at the log end, so the next start replays nothing.
    expect(snapshots(dir)).toContain(snapshotFileName(log.logEndOffset));
    log.closeAbruptly();
    log = openLog({ dir, config: SMALL, clean: false });
    expect(log.loadStats.producerState.replay.batches).toBe(0);
    expect(dump(log.producerState)).toEqual(before);
    log.close();
  });

  it('a corrupt snapshot is deleted and an older one (or the whole log) gives the same state', () => {
    const dir = tempDir();
    const seqs = new Map<bigint, number>();
    let log = openLog({ dir, config: SMALL });
    produce(log, [5n, 6n, 7n], 15, seqs);
    const before = dump(log.producerState);
    const end = log.logEndOffset;
    log.close();

    // Flip one byte of the newest snapshot: the previous one (the last roll's) is used and the rest replayed.
    const newest = join(dir, snapshotFileName(end));
    const bytes = readFileSync(newest);
    bytes[bytes.length - 3] ^= 0xff;
    writeFileSync(newest, bytes);
    log = openLog({ dir, config: SMALL, clean: true });
    const st = log.loadStats.producerState;
    expect(st.corruptSnapshots).toBe(1);
    expect(st.snapshotOffset).toBe(log.segmentBaseOffsets().at(-1));
    expect(st.replay.batches).toBeGreaterThan(0);
    expect(dump(log.producerState)).toEqual(before);
    log.close();

    // Every snapshot unreadable (truncated, garbage): a full rebuild from the log start, same state.
    for (const n of snapshots(dir)) {
      if (n.startsWith('0000000000000000000')) truncateSync(join(dir, n), 7);
      else appendFileSync(join(dir, n), 'junk');
    }
    log = openLog({ dir, config: SMALL, clean: true });
    expect(log.loadStats.producerState.snapshotOffset).toBe(-1);
    expect(log.loadStats.producerState.replay.fromOffset).toBe(0);
    expect(log.loadStats.producerState.corruptSnapshots).toBeGreaterThan(0);
    expect(dump(log.producerState)).toEqual(before);
    log.close();
  });

  it('retention and DeleteRecords delete the snapshots of deleted segments; a truncated log drops those past its end', () => {
    const dir = tempDir();
    const seqs = new Map<bigint, number>();
    let log = openLog({ dir, config: SMALL });
    produce(log, [1n], 40, seqs);
    const bases = log.segmentBaseOffsets();
    log.deleteRecordsBefore(bases[3]!);
    expect(log.segmentBaseOffsets()[0]).toBe(bases[3]);
    expect(snapshots(dir)[0]).toBe(snapshotFileName(bases[3]!));
    log.deleteOldSegments((_s, next) => next !== null && next.baseOffset <= bases[5]!);
    expect(snapshots(dir)[0]).toBe(snapshotFileName(bases[5]!));
    const before = dump(log.producerState);
    log.closeAbruptly();

    // A snapshot past the end (as if the log had been cut shorter by recovery) is deleted at load.
    const cutAt = bases.at(-1)!;
    const pastEnd = snapshotFileName(cutAt + 1000);
    writeFileSync(join(dir, pastEnd), readFileSync(join(dir, snapshotFileName(cutAt))));
    log = openLog({ dir, config: SMALL, clean: false, logStartOffset: bases[5]! });
    expect(snapshots(dir)).not.toContain(pastEnd);
    expect(log.loadStats.producerState.snapshotOffset).toBe(cutAt);
    expect(dump(log.producerState)).toEqual(before);
    log.close();
  });

  it('producer.id.expiration.ms: expired producers are dropped by the periodic check and not loaded from a snapshot', async () => {
    const dir = tempDir();
    let now = 1_000_000;
    const clock = () => now;
    const m = new LogManager({ config: { 'log.dirs': [dir], 'producer.id.expiration.ms': 60_000, 'log.segment.delete.delay.ms': 0 }, core: testCore(), fs: realFs, now: clock });
    const log = m.getOrCreateLog('t', 0);
    log.append(idem(10n, 0, 0, 2));
    now += 30_000;
    log.append(idem(11n, 0, 0, 2));
    now += 29_999;
    expect(m.removeExpiredProducers()).toBe(0);
    now += 1;
    expect(m.removeExpiredProducers()).toBe(1); // 10 wrote 60 s ago
    expect(log.producerState.entry(10n)).toBeUndefined();
    // Forgotten: its next batch is accepted whatever its sequence (as for a producer never seen).
    expect(log.producerState.check({ producerId: 10n, epoch: 0, firstSeq: 9, lastSeq: 9, recordCount: 1 })).toEqual({ kind: 'append' });
    expect(log.producerState.entry(11n)).toBeDefined();
    await m.shutdown();

    // 11 is in the clean-close snapshot; 60 s later it is not loaded.
    now += 60_000;
    const m2 = new LogManager({ config: { 'log.dirs': [dir], 'producer.id.expiration.ms': 60_000 }, core: testCore(), fs: realFs, now: clock });
    const again = m2.getLog('t', 0)!;
    expect(again.loadStats.producerState.replay.batches).toBe(0);
    expect(again.producerState.size).toBe(0);
    await m2.shutdown();
  });
});
