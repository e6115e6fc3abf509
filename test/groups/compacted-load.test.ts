// The group coordinator loads a compacted __consumer_offsets into the same groups and offsets as the log it
// was compacted from. A coordinator writes a history (superseded commits, generations, OffsetDelete,
// DeleteGroups, expired offsets and an expired group, a group revived after its tombstones) into small
// segments; the test then rewrites the inactive segments by hand the way Kafka's cleaner does — each key's
// last record kept, every other record dropped, offsets unchanged, a batch left with no record dropped (or
// kept as an empty batch), a segment left with no batch kept as an empty file — in three forms: tombstones
// kept (inside delete.retention.ms), tombstones gone too (after it), and with the emptied batches kept. Each
// rewritten log, opened by a new LogManager (its indexes rebuilt by recovery), loads into the same state.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newCore } from '../../bindings/node.js';
import type { RivuletCore } from '../../bindings/core.js';
import type { Batch } from '../../bindings/batch-reader.js';
import { CONSUMER_OFFSETS_TOPIC, GroupCoordinator, type CoordinatorConfig } from '../../host-node/group/index.js';
import { realFs } from '../../host-node/storage/node-fs.js';
import { LogManager } from '../../storage/index.js';
import { WasmStorageCore } from '../../storage/wasm-storage-core.js';
import { joinParams, offsetsLogsFromManager, settle } from './helpers.js';
import { ManualClock } from './manual-clock.js';

const SEGMENT_BYTES = 1024;
const RETENTION_MS = 3_600_000;
const config: Partial<CoordinatorConfig> = { initialRebalanceDelayMs: 0, offsetsTopicPartitions: 1, offsetsRetentionMs: RETENTION_MS, offsetsRetentionCheckIntervalMs: 1_000_000_000 };
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Opened {
  c: GroupCoordinator;
  lm: LogManager;
  clock: ManualClock;
  core: RivuletCore;
  close(): Promise<void>;
}

function open(dir: string, clock = new ManualClock()): Opened {
  const core = newCore();
  const lm = new LogManager({ config: { 'log.dirs': [dir] }, core: new WasmStorageCore(core), fs: realFs, scheduler: false });
  const c = new GroupCoordinator({ core, logs: offsetsLogsFromManager(lm, SEGMENT_BYTES), config, clock });
  c.start();
  return {
    c,
    lm,
    clock,
    core,
    async close() {
      await c.shutdown();
      await lm.shutdown();
    },
  };
}

function commit(c: GroupCoordinator, groupId: string, topic: string, partition: number, offset: bigint, member?: { memberId: string; generationId: number }) {
  return c.commitOffsets({
    groupId,
    generationId: member?.generationId ?? -1,
    memberId: member?.memberId ?? '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: topic, partitions: [{ partition, offset, leaderEpoch: 1, metadata: `${groupId}@${offset}`, commitTimestamp: -1 }] }],
  });
}

/** A member of `groupId` alone in a new generation (join + sync as leader). */
async function joinAlone(c: GroupCoordinator, clock: ManualClock, groupId: string): Promise<{ memberId: string; generationId: number }> {
  const joining = c.join(joinParams(groupId));
  clock.advance(0); // the initial rebalance delay (0) and the join phase end on the clock
  await settle();
  const j = await joining;
  expect(j.errorCode).toBe(0);
  const s = await c.sync({ groupId, generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: j.memberId, assignment: new Uint8Array([0, 1, 2]) }] });
  expect(s.errorCode).toBe(0);
  return { memberId: j.memberId, generationId: j.generationId };
}

/** Everything a client can see of the coordinator's groups and offsets. */
function snapshot(c: GroupCoordinator): unknown {
  const listed = c.list().groups.map((g) => g.groupId).sort();
  const out: Record<string, unknown> = {};
  for (const id of listed) {
    const d = c.describe(id);
    const g = c.group(id)!;
    out[id] = {
      describe: { ...d, members: d.members.map((m) => ({ ...m, memberMetadata: Buffer.from(m.memberMetadata).toString('hex'), memberAssignment: Buffer.from(m.memberAssignment).toString('hex') })) },
      generation: g.generationId,
      offsets: c.fetchOffsets(id, null),
    };
  }
  return JSON.parse(JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
}

function keyOf(k: Uint8Array | null): string {
  if (k === null) throw new Error('a __consumer_offsets record without a key');
  return Buffer.from(k).toString('hex');
}

interface Rewrite {
  /** Drop tombstones that are the last record of their key (after delete.retention.ms). */
  dropTombstones: boolean;
  /** Keep a batch whose records were all removed as a batch of zero records. */
  keepEmptyBatches: boolean;
}

interface RewriteStats {
  recordsBefore: number;
  recordsAfter: number;
  batchesDropped: number;
  emptySegments: number;
}

/** Rewrites the partition directory `from` into `to` as the cleaner would (the last segment, the active one, as it is). */
function compactByHand(core: RivuletCore, from: string, to: string, how: Rewrite): RewriteStats {
  mkdirSync(to, { recursive: true });
  const segments = readdirSync(from).filter((f) => f.endsWith('.log')).sort();
  const read = segments.map((f) => ({ f, bytes: new Uint8Array(readFileSync(join(from, f))) }));
  const decoded = read.map(({ f, bytes }) => ({ f, bytes, batches: core.decodeBatches(bytes).map(copyBatch) }));
  const last = new Map<string, bigint>();
  for (const s of decoded) for (const b of s.batches) for (const r of b.records) last.set(keyOf(r.key), r.offset);
  const stats: RewriteStats = { recordsBefore: 0, recordsAfter: 0, batchesDropped: 0, emptySegments: 0 };
  decoded.forEach((s, i) => {
    for (const b of s.batches) stats.recordsBefore += b.records.length;
    if (i === decoded.length - 1) {
      for (const b of s.batches) stats.recordsAfter += b.records.length;
      writeFileSync(join(to, s.f), s.bytes);
      return;
    }
    const out: Uint8Array[] = [];
    for (const b of s.batches) {
      expect(b.isControl).toBe(false);
      const kept = b.records.filter((r) => last.get(keyOf(r.key)) === r.offset && !(how.dropTombstones && r.value === null));
      stats.recordsAfter += kept.length;
      if (kept.length === b.records.length) {
        out.push(s.bytes.slice(b.position, b.position + b.size));
        continue;
      }
      if (kept.length === 0 && !how.keepEmptyBatches) {
        stats.batchesDropped++;
        continue;
      }
      out.push(
        core.encodeBatch({
          baseOffset: b.baseOffset,
          baseTimestamp: b.baseTimestamp,
          maxTimestamp: kept.length > 0 ? kept.reduce((m, r) => (r.timestamp > m ? r.timestamp : m), -1n) : b.maxTimestamp,
          lastOffsetDelta: b.lastOffsetDelta,
          partitionLeaderEpoch: b.partitionLeaderEpoch,
          producerId: b.producerId,
          producerEpoch: b.producerEpoch,
          baseSequence: b.baseSequence,
          records: kept.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp, offsetDelta: r.offsetDelta })),
        }),
      );
    }
    if (out.length === 0) stats.emptySegments++;
    writeFileSync(join(to, s.f), Buffer.concat(out));
  });
  return stats;
}

/** A batch whose record views outlive the next call on the core. */
function copyBatch(b: Batch): Batch {
  return { ...b, records: b.records.map((r) => ({ ...r, key: r.key && r.key.slice(), value: r.value && r.value.slice() })) };
}

describe('a compacted __consumer_offsets', () => {
  it('loads into the same groups and offsets as the log it was compacted from', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-compacted-offsets-'));
    dirs.push(dir);
    const o = open(dir);
    const { c, clock } = o;
    // Standalone committers, each offset committed many times over.
    for (let round = 0; round < 12; round++) {
      for (const g of ['a', 'b', 'c', 'd']) for (let p = 0; p < 3; p++) await commit(c, g, round % 2 ? 't1' : 't2', p, BigInt(round * 10 + p));
    }
    // A consumer group through several generations (one metadata record each), committing as a member.
    let m = await joinAlone(c, clock, 'consumers');
    for (let gen = 0; gen < 3; gen++) {
      for (let i = 0; i < 4; i++) await commit(c, 'consumers', 't1', i % 2, BigInt(100 * gen + i), m);
      c.leave('consumers', [{ memberId: m.memberId, groupInstanceId: null }]);
      m = await joinAlone(c, clock, 'consumers');
    }
    // OffsetDelete of one partition; DeleteGroups of a whole group.
    expect((await c.deleteOffsets('b', [{ name: 't1', partitions: [1] }])).errorCode).toBe(0);
    expect((await c.deleteGroups(['c']))[0]!.errorCode).toBe(0);
    // 'd' expires: its offsets and then the group itself are tombstoned.
    clock.advance(RETENTION_MS + 1);
    for (const g of ['a', 'b']) await commit(c, g, 't2', 0, 999n);
    await commit(c, 'consumers', 't1', 0, 1000n, m);
    const expired = c.expireOffsets();
    expect(expired.groups).toBeGreaterThanOrEqual(1);
    await settle(20);
    expect(c.group('d')).toBeUndefined();
    // A deleted group committing again after its tombstones.
    await commit(c, 'c', 't1', 2, 77n);
    // The active segment: a few more records.
    for (let i = 0; i < 3; i++) await commit(c, 'a', 't1', 0, BigInt(2000 + i));
    await settle(20);

    const before = snapshot(c);
    expect(Object.keys(before as object)).toEqual(['a', 'b', 'c', 'consumers']);
    await o.close();
    const partitionDir = join(dir, `${CONSUMER_OFFSETS_TOPIC}-0`);
    expect(readdirSync(partitionDir).filter((f) => f.endsWith('.log')).length).toBeGreaterThan(5);

    // The uncompacted log loads into the same state (the reference the compacted forms are held to).
    const again = open(dir);
    expect(snapshot(again.c)).toEqual(before);
    await again.close();

    const forms: [string, Rewrite][] = [
      ['tombstones kept', { dropTombstones: false, keepEmptyBatches: false }],
      ['tombstones gone', { dropTombstones: true, keepEmptyBatches: false }],
      ['emptied batches kept', { dropTombstones: true, keepEmptyBatches: true }],
    ];
    for (const [name, how] of forms) {
      const to = mkdtempSync(join(tmpdir(), 'rivulet-compacted-offsets-'));
      dirs.push(to);
      const stats = compactByHand(newCore(), partitionDir, join(to, `${CONSUMER_OFFSETS_TOPIC}-0`), how);
      // The rewrite removed most records and left gaps (dropped batches or empty ones).
      expect(stats.recordsAfter, name).toBeLessThan(stats.recordsBefore / 2);
      if (!how.keepEmptyBatches) expect(stats.batchesDropped, name).toBeGreaterThan(0);
      const compacted = open(to);
      const log = compacted.lm.logFor(CONSUMER_OFFSETS_TOPIC, 0)!;
      expect(log.logStartOffset, name).toBe(0);
      expect(snapshot(compacted.c), name).toEqual(before);
      await compacted.close();
    }
  });
});
