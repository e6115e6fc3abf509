// The dirty compacted log of bench/compaction.ts: batches of 1 KiB keyed records whose keys are drawn
// uniformly from a tenth as many distinct keys as there are records, uncompressed or lz4, encoded by the
// WASM core. Used by the bench itself (segment files written straight into a directory) and by its broker
// process (bench/_compaction-broker.ts, appended to a compacted topic's log).
import type { RivuletCore } from '../bindings/core.js';
import { Codec, compress } from '../host-node/codecs/codecs.js';
import { mulberry32 } from '../test/helpers/seeded-random.js';

export const RECORD_BYTES = 1024;
/** Records per batch: 16 KiB batches, the producer's default batch.size. */
export const RECORDS_PER_BATCH = 16;
/** Distinct keys per record written. */
export const DISTINCT_KEY_RATIO = 0.1;
const KEY_WIDTH = 12;

/** Values: slices of a pool of lowercase text (compresses to about half with lz4, like JSON-ish payloads). */
function valuePool(rnd: () => number): Uint8Array {
  const words = Array.from({ length: 256 }, () => Array.from({ length: 3 + Math.floor(rnd() * 8) }, () => String.fromCharCode(97 + Math.floor(rnd() * 26))).join(''));
  let s = '';
  while (s.length < 256 * 1024) s += words[Math.floor(rnd() * words.length)]! + (rnd() < 0.1 ? ',' : ' ');
  return new TextEncoder().encode(s);
}

export interface DirtyLogSpec {
  /** Bytes of batches to write in all (rounded up to a whole batch), as records of RECORD_BYTES uncompressed. */
  bytes: number;
  /** 'none' or 'lz4' batches. */
  compression: 'none' | 'lz4';
  seed: number;
  /** Offset of the first record. */
  baseOffset?: number;
}

/**
 * Calls `write(batch, lastOffset)` with each encoded batch in offset order (the batch is a fresh copy; the
 * callee may keep it): the records of `bytes` of uncompressed batches, so an lz4 log holds the same records
 * and keys in fewer bytes. Returns the records written, the offset after the last one and the distinct keys.
 */
export function writeDirtyLog(core: RivuletCore, spec: DirtyLogSpec, write: (batch: Uint8Array, lastOffset: number) => void): { records: number; nextOffset: number; keys: number } {
  const rnd = mulberry32(spec.seed);
  const pool = valuePool(rnd);
  const keyBytes = KEY_WIDTH;
  const valueBytes = RECORD_BYTES - keyBytes - 16; // key, value and the record's framing ≈ 1 KiB
  const batches = Math.max(1, Math.round(spec.bytes / (RECORDS_PER_BATCH * (RECORD_BYTES + 3) + 61)));
  const keys = Math.max(1, Math.round(batches * RECORDS_PER_BATCH * DISTINCT_KEY_RATIO));
  const enc = new TextEncoder();
  let offset = spec.baseOffset ?? 0;
  let records = 0;
  const t0 = 1_700_000_000_000;
  for (let b = 0; b < batches; b++) {
    const recs = [];
    for (let i = 0; i < RECORDS_PER_BATCH; i++) {
      const key = enc.encode(`k${String(Math.floor(rnd() * keys)).padStart(KEY_WIDTH - 1, '0')}`);
      const at = Math.floor(rnd() * (pool.byteLength - valueBytes));
      recs.push({ key, value: pool.subarray(at, at + valueBytes), timestamp: t0 + records + i });
    }
    let batch: Uint8Array;
    if (spec.compression === 'none') {
      batch = core.encodeBatch({ records: recs, baseOffset: BigInt(offset) });
    } else {
      const section = core.encodeRecords(recs, BigInt(t0 + records));
      batch = core.encodeBatchRaw({
        records: compress(Codec.LZ4, section),
        recordCount: recs.length,
        compression: Codec.LZ4,
        baseOffset: BigInt(offset),
        baseTimestamp: BigInt(t0 + records),
        maxTimestamp: BigInt(t0 + records + recs.length - 1),
        lastOffsetDelta: recs.length - 1,
      });
    }
    records += recs.length;
    offset += recs.length;
    write(batch.slice(), offset - 1);
  }
  return { records, nextOffset: offset, keys };
}
