// WasmCleanerCore against a plain TypeScript model of the cleaner's rules (storage/cleaner/cleaner-core.ts):
// random logs (keys from a small space, tombstones, keyless records, gzip-compressed batches, idempotent and
// transactional producers, control batches, CreateTime and LogAppendTime, batches that already carry a delete
// horizon, offset gaps) are cleaned, and the output is compared batch by batch with what the rules say. Every
// output batch must pass the core's CRC and structure validation (WasmStorageCore.scan), which must report
// the same batch infos as clean(); a second clean over the output must change nothing but expired tombstones.
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RivuletCore } from '../../bindings/core.js';
import { newCore } from '../../bindings/node.js';
import type { BatchCodecs } from '../../storage/cleaner/cleaner-core.js';
import { WasmCleanerCore } from '../../storage/cleaner/wasm-cleaner-core.js';
import type { StorageCore } from '../../storage/core-port.js';
import { WasmStorageCore } from '../../storage/wasm-storage-core.js';
import { JsCore } from './helpers/js-core.js';

const GZIP = 1;
const HORIZON = 0x40;

/** BatchCodecs over node:zlib (gzip only: the generated logs use no other codec). */
const zlibCodecs: BatchCodecs = {
  decompress(codec, data) {
    if (codec !== GZIP) throw new Error(`codec ${codec} not in this test`);
    return new Uint8Array(gunzipSync(data));
  },
  compress(codec, data) {
    if (codec !== GZIP) throw new Error(`codec ${codec} not in this test`);
    return new Uint8Array(gzipSync(data));
  },
};

// ---------------------------------------------------------------- generated logs

interface GenRecord {
  key: string | null;
  value: string | null;
  headers: Array<{ key: string; value: string | null }>;
  tsDelta: number;
  gap: number;
}

interface GenBatch {
  records: GenRecord[];
  extraLastDelta: number;
  gapBefore: number;
  compressed: boolean;
  producer: { id: number; epoch: number; seq: number } | null;
  logAppendTime: boolean;
  /** A delete horizon the batch already carries (nowMs + shift), or none. */
  horizonShift: number | null;
  control: boolean;
  leaderEpoch: number;
}

const recordArb: fc.Arbitrary<GenRecord> = fc.record({
  key: fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 8, arbitrary: fc.integer({ min: 0, max: 7 }).map((i) => (i === 7 ? '' : `k${i}`)) }),
  value: fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: fc.string({ maxLength: 12 }) }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 4 }), value: fc.option(fc.string({ maxLength: 4 }), { nil: null }) }), { maxLength: 2 }),
  tsDelta: fc.integer({ min: -50, max: 5000 }),
  gap: fc.integer({ min: 1, max: 3 }),
});

const batchArb: fc.Arbitrary<GenBatch> = fc.record({
  records: fc.array(recordArb, { minLength: 1, maxLength: 6 }),
  extraLastDelta: fc.integer({ min: 0, max: 2 }),
  gapBefore: fc.integer({ min: 0, max: 2 }),
  compressed: fc.integer({ min: 0, max: 3 }).map((x) => x === 0),
  producer: fc.option(fc.record({ id: fc.integer({ min: 0, max: 3 }), epoch: fc.integer({ min: 0, max: 2 }), seq: fc.integer({ min: 0, max: 100 }) }), { nil: null }),
  logAppendTime: fc.integer({ min: 0, max: 3 }).map((x) => x === 0),
  horizonShift: fc.option(fc.oneof(fc.constantFrom(0, 1, -1), fc.integer({ min: -30_000, max: 30_000 })), { nil: null, freq: 4 }),
  control: fc.integer({ min: 0, max: 11 }).map((x) => x === 0),
  leaderEpoch: fc.integer({ min: -1, max: 5 }),
});

const scenarioArb = fc.record({
  batches: fc.array(batchArb, { minLength: 1, maxLength: 12 }),
  nowMs: fc.integer({ min: 1_600_000_000_000, max: 1_700_000_000_000 }),
  retentionMs: fc.integer({ min: 0, max: 60_000 }),
  /** How much later the second clean runs: -1 exactly at the horizons the first clean set, -2 just before them. */
  laterMs: fc.oneof(fc.constantFrom(-1, -2), fc.integer({ min: 0, max: 120_000 })),
  retainPicks: fc.array(fc.nat(), { maxLength: 3 }),
  mapLimit: fc.integer({ min: 1, max: 30 }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

/** Encodes the generated batches as a log (offsets from 0, with gaps); returns the bytes and each batch's last offset. */
function encodeLog(core: RivuletCore, s: Scenario): { bytes: Uint8Array; lastOffsets: number[] } {
  const parts: Uint8Array[] = [];
  const lastOffsets: number[] = [];
  let next = 0;
  s.batches.forEach((g, i) => {
    const baseOffset = next + g.gapBefore;
    const baseTimestamp = g.horizonShift !== null ? s.nowMs + g.horizonShift : s.nowMs - 200_000 + i * 1000;
    const records = g.control
      ? [{ key: new Uint8Array([0, 0, 0, i & 1]), value: new Uint8Array([0, 0, 0, 0, 0, 7]), timestampDelta: 0, offsetDelta: 0 }]
      : (() => {
          let od = -1;
          return g.records.map((r) => {
            od += od < 0 ? 1 : r.gap;
            // A batch with a horizon holds records from before it.
            const tsDelta = g.horizonShift !== null ? -Math.abs(r.tsDelta) - 1 : r.tsDelta;
            return { key: r.key, value: r.value, headers: r.headers, timestampDelta: tsDelta, offsetDelta: od };
          });
        })();
    const lastOffsetDelta = records[records.length - 1]!.offsetDelta + (g.control ? 0 : g.extraLastDelta);
    const producer = g.control ? { id: 9, epoch: 0, seq: -1 } : g.producer;
    const header = {
      baseOffset,
      baseTimestamp,
      lastOffsetDelta,
      partitionLeaderEpoch: g.leaderEpoch,
      attributes: g.horizonShift !== null && !g.control ? HORIZON : 0,
      timestampType: g.logAppendTime ? ('LogAppendTime' as const) : ('CreateTime' as const),
      transactional: g.control,
      control: g.control,
      producerId: producer?.id ?? -1,
      producerEpoch: producer?.epoch ?? -1,
      baseSequence: producer?.seq ?? -1,
    };
    const maxDelta = Math.max(...records.map((r) => r.timestampDelta));
    const maxTimestamp = g.logAppendTime ? s.nowMs - 5000 : baseTimestamp + maxDelta;
    let bytes: Uint8Array;
    if (g.compressed && !g.control) {
      const section = core.encodeRecords(records, baseTimestamp);
      bytes = core.encodeBatchRaw({ ...header, records: new Uint8Array(gzipSync(section)), recordCount: records.length, compression: GZIP, maxTimestamp });
    } else {
      bytes = core.encodeBatch({ ...header, records, maxTimestamp });
    }
    parts.push(bytes);
    lastOffsets.push(baseOffset + lastOffsetDelta);
    next = baseOffset + lastOffsetDelta + 1;
  });
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, lastOffsets };
}

// ---------------------------------------------------------------- decoding and the model

interface DRecord {
  offset: number;
  key: string | null;
  value: string | null;
  headers: string;
  /** baseTimestamp + timestampDelta (what the cleaner preserves, whatever the timestamp type). */
  ts: bigint;
}

interface DBatch {
  bytes: Uint8Array;
  baseOffset: number;
  lastOffset: number;
  attributes: number;
  codec: number;
  control: boolean;
  logAppendTime: boolean;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producer: string;
  leaderEpoch: number;
  count: number;
  records: DRecord[];
}

const text = new TextDecoder();
const str = (b: Uint8Array | null): string | null => (b === null ? null : text.decode(b));

/** Every batch of a log (CRC checked), with its records (decompressed when need be), copied out of linear memory. */
function decodeLog(core: RivuletCore, bytes: Uint8Array): DBatch[] {
  return core.decodeBatches(bytes.slice()).map((b) => {
    const info = { ...b, recordsBytes: b.recordsBytes.slice() };
    const views = b.compression === 0 || b.recordCount === 0 ? b.records : core.decodeRecords(new Uint8Array(gunzipSync(info.recordsBytes)), b.recordCount, b);
    const records = views.map((r) => ({
      offset: Number(r.offset),
      key: str(r.key),
      value: str(r.value),
      headers: JSON.stringify(r.headers.map((h) => [h.key, str(h.value)])),
      ts: b.baseTimestamp + r.timestampDelta,
    }));
    return {
      bytes: bytes.slice(b.position, b.position + b.size),
      baseOffset: Number(b.baseOffset),
      lastOffset: Number(b.baseOffset) + b.lastOffsetDelta,
      attributes: b.attributes,
      codec: b.compression,
      control: b.isControl,
      logAppendTime: b.timestampType === 'LogAppendTime',
      baseTimestamp: b.baseTimestamp,
      maxTimestamp: b.maxTimestamp,
      producer: `${b.producerId}/${b.producerEpoch}/${b.baseSequence}`,
      leaderEpoch: b.partitionLeaderEpoch,
      count: b.recordCount,
      records,
    };
  });
}

/** The offset map the rules describe: each key's last offset (control batches and keyless records aside). */
function modelMap(batches: DBatch[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const b of batches) if (!b.control) for (const r of b.records) if (r.key !== null) m.set(r.key, Math.max(m.get(r.key) ?? -1, r.offset));
  return m;
}

type Expected =
  | { kind: 'copy'; src: DBatch }
  | { kind: 'empty'; src: DBatch }
  | { kind: 'rebuilt'; src: DBatch; attributes: number; baseTimestamp: bigint; maxTimestamp: bigint; records: DRecord[] };

interface ModelStats {
  batchesRead: number;
  recordsRead: number;
  recordsKept: number;
  tombstonesDropped: number;
  keylessDropped: number;
}

function modelClean(batches: DBatch[], map: Map<string, number>, nowMs: bigint, newHorizon: bigint, retain: Set<number>): { expected: Expected[]; stats: ModelStats } {
  const expected: Expected[] = [];
  const stats: ModelStats = { batchesRead: 0, recordsRead: 0, recordsKept: 0, tombstonesDropped: 0, keylessDropped: 0 };
  for (const b of batches) {
    stats.batchesRead++;
    stats.recordsRead += b.count;
    if (b.control) {
      stats.recordsKept += b.count;
      expected.push({ kind: 'copy', src: b });
      continue;
    }
    const hasHorizon = (b.attributes & HORIZON) !== 0;
    const passed = hasHorizon && nowMs >= b.baseTimestamp;
    const kept = b.records.filter((r) => {
      if (r.key === null) {
        stats.keylessDropped++;
        return false;
      }
      if ((map.get(r.key) ?? -1) > r.offset) return false;
      if (r.value === null && passed) {
        stats.tombstonesDropped++;
        return false;
      }
      return true;
    });
    stats.recordsKept += kept.length;
    const setHorizon = !hasHorizon && kept.some((r) => r.value === null);
    if (kept.length === 0) {
      if (retain.has(b.lastOffset)) expected.push({ kind: 'empty', src: b });
    } else if (kept.length === b.count && !setHorizon) {
      expected.push({ kind: 'copy', src: b });
    } else {
      const maxTimestamp = b.logAppendTime ? b.maxTimestamp : kept.reduce((m, r) => (r.ts > m ? r.ts : m), kept[0]!.ts);
      expected.push({
        kind: 'rebuilt',
        src: b,
        attributes: b.attributes | (setHorizon ? HORIZON : 0),
        baseTimestamp: setHorizon ? newHorizon : b.baseTimestamp,
        maxTimestamp,
        records: kept,
      });
    }
  }
  return { expected, stats };
}

function compare(actual: DBatch[], expected: Expected[]): void {
  expect(actual.map((b) => b.baseOffset)).toEqual(expected.map((e) => e.src.baseOffset));
  actual.forEach((o, i) => {
    const e = expected[i]!;
    const what = `batch ${i} (base offset ${o.baseOffset}, ${e.kind})`;
    expect(o.lastOffset, what).toBe(e.src.lastOffset);
    expect(o.producer, what).toBe(e.src.producer);
    expect(o.leaderEpoch, what).toBe(e.src.leaderEpoch);
    expect(o.codec, what).toBe(e.kind === 'empty' ? 0 : e.src.codec);
    if (e.kind === 'copy') {
      expect(Buffer.from(o.bytes).equals(Buffer.from(e.src.bytes)), `${what}: copied byte for byte`).toBe(true);
    } else if (e.kind === 'empty') {
      expect(o.count, what).toBe(0);
      expect(o.bytes.length, what).toBe(61);
      // An empty batch has no records section to decompress: its codec bits are cleared.
      expect([o.attributes, o.baseTimestamp, o.maxTimestamp], what).toEqual([e.src.attributes & ~7, e.src.baseTimestamp, e.src.maxTimestamp]);
    } else {
      expect([o.attributes, o.baseTimestamp, o.maxTimestamp, o.count], what).toEqual([e.attributes, e.baseTimestamp, e.maxTimestamp, e.records.length]);
      expect(o.records, what).toEqual(e.records);
    }
  });
}

// ---------------------------------------------------------------- the properties

describe('WasmCleanerCore', () => {
  const core = newCore();
  const cleaner = new WasmCleanerCore(core, zlibCodecs);
  // Encoding, decoding and the storage scan run on another instance, away from the cleaner's regions.
  const aux = newCore();
  const storage = new WasmStorageCore(aux);

  /** Puts the whole log into a fresh map of `slots` slots; returns what mapPut said. */
  function buildMap(bytes: Uint8Array, slots: number, loadFactor: number) {
    cleaner.mapReset(slots, loadFactor);
    const view = cleaner.region(bytes.length);
    view.set(bytes);
    return cleaner.mapPut(view);
  }

  function cleanOnce(bytes: Uint8Array, nowMs: number, retentionMs: number, retain: Set<number>) {
    const view = cleaner.region(bytes.length);
    view.set(bytes);
    const out = cleaner.clean(view, { nowMs, deleteRetentionMs: retentionMs, retainBatchLastOffsets: retain });
    return { ...out, output: out.output.slice() };
  }

  it('clean() follows the rules, writes valid batches, and a second clean changes only expired tombstones', () => {
    // What the runs went through, so that a generator drifting away from a case fails the test.
    const seen = { copied: 0, empty: 0, rebuilt: 0, rebuiltCompressed: 0, horizonSet: 0, tombstonesExpired: 0, keyless: 0, mapFull: 0 };
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { bytes, lastOffsets } = encodeLog(aux, s);
        const input = decodeLog(aux, bytes);
        const retain = new Set(s.retainPicks.map((i) => lastOffsets[i % lastOffsets.length]!));

        // Map-put with a small limit stops before the first batch whose recordCount could overfill it.
        const small = buildMap(bytes, 64, s.mapLimit / 64);
        let keys = new Set<string>();
        let taken = 0;
        let full = false;
        let records = 0;
        for (const b of input) {
          if (!b.control) {
            if (keys.size + b.count > s.mapLimit) {
              full = true;
              break;
            }
            for (const r of b.records) if (r.key !== null) keys.add(r.key);
            records += b.records.filter((r) => r.key !== null).length;
          }
          taken++;
        }
        expect(small).toEqual({
          bytes: input.slice(0, taken).reduce((n, b) => n + b.bytes.length, 0),
          full,
          records,
          lastOffset: taken > 0 ? input[taken - 1]!.lastOffset : -1,
        });
        expect(cleaner.mapSize).toBe(keys.size);

        // The whole log in a map large enough.
        const whole = buildMap(bytes, 256, 0.75);
        expect(whole.full).toBe(false);
        expect(whole.bytes).toBe(bytes.length);
        expect(cleaner.mapLimit).toBe(192);
        const map = modelMap(input);
        expect(cleaner.mapSize).toBe(map.size);
        for (const [k, off] of map) expect(cleaner.mapGet(new TextEncoder().encode(k))).toBe(off);
        expect(cleaner.mapGet(new TextEncoder().encode('absent'))).toBe(-1);

        // First clean.
        const now = BigInt(s.nowMs);
        const out1 = cleanOnce(bytes, s.nowMs, s.retentionMs, retain);
        const model1 = modelClean(input, map, now, now + BigInt(s.retentionMs), retain);
        expect(out1.bytesRead).toBe(bytes.length);
        expect(out1.stats).toEqual({ ...model1.stats, batchesWritten: model1.expected.length });
        const actual1 = decodeLog(aux, out1.output);
        compare(actual1, model1.expected);
        for (const e of model1.expected) {
          if (e.kind === 'copy') seen.copied++;
          else if (e.kind === 'empty') seen.empty++;
          else {
            seen.rebuilt++;
            if (e.src.codec !== 0) seen.rebuiltCompressed++;
            if ((e.attributes & ~e.src.attributes & HORIZON) !== 0) seen.horizonSet++;
          }
        }
        seen.keyless += model1.stats.keylessDropped;
        if (full) seen.mapFull++;

        // The core's own validation accepts every batch and sees what clean() reported.
        const scanned = storage.scan(storage.stage(out1.output), 1 << 20);
        expect(scanned.stop).toBe('end');
        expect(scanned.validBytes).toBe(out1.output.length);
        expect(scanned.batches).toEqual(out1.batches);

        // Second clean over the output, later: the model again (map rebuilt from the output).
        const now2 = s.nowMs + (s.laterMs === -1 ? s.retentionMs : s.laterMs === -2 ? Math.max(0, s.retentionMs - 1) : s.laterMs);
        buildMap(out1.output, 256, 0.75);
        const map2 = modelMap(actual1);
        expect(cleaner.mapSize).toBe(map2.size);
        const out2 = cleanOnce(out1.output, now2, s.retentionMs, retain);
        const model2 = modelClean(actual1, map2, BigInt(now2), BigInt(now2 + s.retentionMs), retain);
        compare(decodeLog(aux, out2.output), model2.expected);
        expect(model2.stats.keylessDropped).toBe(0);
        seen.tombstonesExpired += model1.stats.tombstonesDropped + model2.stats.tombstonesDropped;
        if (model2.stats.tombstonesDropped === 0) {
          // Nothing expired: the cleaned log is a fixed point (horizons are set once, empty batches stay).
          expect(Buffer.from(out2.output).equals(Buffer.from(out1.output))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
    for (const [what, n] of Object.entries(seen)) expect(n, `runs with ${what}`).toBeGreaterThan(10);
  });

  it('a compressed batch without codecs is a clear error', () => {
    const plain = new WasmCleanerCore(core, null);
    const section = aux.encodeRecords([{ key: 'a', value: 'v' }], 0);
    const batch = aux.encodeBatchRaw({ baseOffset: 42, records: new Uint8Array(gzipSync(section)), recordCount: 1, compression: GZIP, maxTimestamp: 0, lastOffsetDelta: 0 });
    plain.mapReset(16, 0.5);
    const view = plain.region(batch.length);
    view.set(batch);
    expect(() => plain.mapPut(view)).toThrow(/offset 42 is compressed \(codec 1\).*no codecs/);
    expect(() => plain.clean(view, { nowMs: 0, deleteRetentionMs: 0, retainBatchLastOffsets: new Set() })).toThrow(/no codecs/);
  });

  it('leaves a trailing partial batch, and grows its output when rewritten deltas need more room than the input', () => {
    // Many tombstones with tiny deltas: each delta grows from 1 to 6 bytes under a new horizon far ahead,
    // more than the output region reserved from the input's size.
    const records = Array.from({ length: 2000 }, (_, i) => ({ key: `t${i}`, value: null, timestampDelta: 0 }));
    const batch = aux.encodeBatch({ baseOffset: 0, baseTimestamp: 1000, records });
    const next = aux.encodeBatch({ baseOffset: 2000, baseTimestamp: 1000, records: [{ key: 'x', value: 'y' }] });
    const bytes = new Uint8Array(batch.length + 30);
    bytes.set(batch);
    bytes.set(next.subarray(0, 30), batch.length);
    const fresh = new WasmCleanerCore(newCore(), zlibCodecs);
    fresh.mapReset(4096, 0.9);
    const view = fresh.region(bytes.length);
    view.set(bytes);
    expect(fresh.mapPut(view)).toEqual({ bytes: batch.length, lastOffset: 1999, full: false, records: 2000 });
    const horizon = 1_700_000_000_000;
    const out = fresh.clean(view, { nowMs: horizon - 86_400_000, deleteRetentionMs: 86_400_000, retainBatchLastOffsets: new Set() });
    expect(out.bytesRead).toBe(batch.length);
    expect(out.output.length).toBe(batch.length + 2000 * 5);
    const [b] = aux.decodeBatches(out.output.slice());
    expect(b!.baseTimestamp).toBe(BigInt(horizon));
    expect(b!.attributes & HORIZON).toBe(HORIZON);
    expect(b!.records.map((r) => r.timestamp)).toEqual(records.map(() => 1000n));
    expect(out.batches).toEqual([{ position: 0, size: out.output.length, baseOffset: 0, lastOffset: 1999, maxTimestamp: 1000, offsetOfMaxTimestamp: 1999, recordCount: 2000, leaderEpoch: -1 }]);
  });
});

describe('requireKey (appends to a compacted topic)', () => {
  const aux = newCore();
  const keyless = aux.encodeBatch({ records: [{ key: 'a', value: '1' }, { key: null, value: '2' }] });
  const keyed = aux.encodeBatch({ records: [{ key: 'a', value: '1' }, { key: '', value: null }] });
  const cores: Array<[string, StorageCore]> = [['WasmStorageCore', new WasmStorageCore(newCore())], ['JsCore (reference)', new JsCore()]];
  it.each(cores)('%s rejects a keyless record with INVALID_RECORD only when asked', (_, core) => {
    const params = { nextOffset: 10, logAppendTimeMs: -1, maxBatchBytes: 1 << 20 };
    const rejected = core.assign(core.stage(keyless), { ...params, requireKey: true });
    expect(rejected.ok).toBe(false);
    expect(!rejected.ok && rejected.errorCode).toBe(87);
    expect(core.assign(core.stage(keyless), params).ok).toBe(true);
    expect(core.assign(core.stage(keyed), { ...params, requireKey: true }).ok).toBe(true);
  });
});
