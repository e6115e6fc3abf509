// The idempotent-producer state rules (storage/producer-state.ts).
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../bindings/node.js';
import { BATCHES_TO_RETAIN, ProducerStateManager, readProducerBatchHeader, wrapSeq, type ProducerBatch } from '../../storage/producer-state.js';

const pb = (producerId: bigint, epoch: number, firstSeq: number, n = 1): ProducerBatch => ({ producerId, epoch, firstSeq, lastSeq: wrapSeq(firstSeq, n - 1), recordCount: n });

describe('ProducerStateManager', () => {
  it('accepts in-sequence batches and answers exact repeats of the last 5 as duplicates with their offsets', () => {
    const s = new ProducerStateManager();
    let offset = 0;
    for (let i = 0; i < 8; i++) {
      const b = pb(7n, 0, i * 3, 3);
      expect(s.check(b)).toEqual({ kind: 'append' });
      s.record(b, offset, offset + 2, 1000 + i);
      offset += 3;
    }
    expect(s.entry(7n)!.batches).toHaveLength(BATCHES_TO_RETAIN);
    const dup = s.check(pb(7n, 0, 7 * 3, 3));
    expect(dup).toEqual({ kind: 'duplicate', batch: { firstSeq: 21, lastSeq: 23, firstOffset: 21, lastOffset: 23, maxTimestamp: 1007 } });
    expect(s.check(pb(7n, 0, 3 * 3, 3)).kind).toBe('duplicate'); // 4th from last
    // Wholly behind the retained window: written before, but its offsets are forgotten.
    expect(s.check(pb(7n, 0, 0, 3))).toMatchObject({ kind: 'error', error: 'DUPLICATE_SEQUENCE_NUMBER' });
    expect(s.check(pb(7n, 0, 3, 9))).toMatchObject({ kind: 'error', error: 'DUPLICATE_SEQUENCE_NUMBER' });
    // A gap, or an overlap that is not an exact repeat: out of order.
    expect(s.check(pb(7n, 0, 25, 1))).toMatchObject({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(s.check(pb(7n, 0, 22, 2))).toMatchObject({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(s.check(pb(7n, 0, 24, 5))).toEqual({ kind: 'append' });
  });

  it('fences older epochs, wants sequence 0 for a new epoch, and accepts any sequence from an unknown producer', () => {
    const s = new ProducerStateManager();
    expect(s.check(pb(1n, 3, 42))).toEqual({ kind: 'append' });
    s.record(pb(1n, 3, 42), 0, 0, 0);
    expect(s.check(pb(1n, 2, 43))).toMatchObject({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
    expect(s.check(pb(1n, 4, 5))).toMatchObject({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(s.check(pb(1n, 4, 0))).toEqual({ kind: 'append' });
    s.record(pb(1n, 4, 0), 1, 1, 0);
    expect(s.entry(1n)).toMatchObject({ epoch: 4, batches: [{ firstSeq: 0, lastSeq: 0 }] });
    // Other producers are independent.
    expect(s.check(pb(2n, 0, 0))).toEqual({ kind: 'append' });
  });

  it('wraps sequences at 2^31-1', () => {
    const s = new ProducerStateManager();
    const max = 0x7fffffff;
    s.record(pb(9n, 0, max - 1, 2), 0, 1, 0);
    expect(s.entry(9n)!.batches[0]!.lastSeq).toBe(max);
    expect(s.check(pb(9n, 0, 0, 1))).toEqual({ kind: 'append' });
    expect(wrapSeq(max, 2)).toBe(1);
    // "Behind the window" is measured across the wrap too.
    let offset = 2;
    for (let i = 0; i < 6; i++) s.record(pb(9n, 0, i * 2, 2), offset, (offset += 2) - 1, 0);
    expect(s.entry(9n)!.batches.map((b) => b.firstSeq)).toEqual([2, 4, 6, 8, 10]);
    expect(s.check(pb(9n, 0, 0, 2))).toMatchObject({ error: 'DUPLICATE_SEQUENCE_NUMBER' });
    expect(s.check(pb(9n, 0, max - 1, 2))).toMatchObject({ error: 'DUPLICATE_SEQUENCE_NUMBER' });
    expect(s.check(pb(9n, 0, 13, 1))).toMatchObject({ error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(s.check(pb(9n, 0, 12, 1))).toEqual({ kind: 'append' });
  });

  it('keeps the broker time of the last write and expires producers silent for producer.id.expiration.ms', () => {
    let now = 5_000;
    const s = new ProducerStateManager(() => now);
    s.record(pb(1n, 0, 0), 0, 0, 1); // the record timestamp (1) plays no part: the broker clock does
    now = 9_000;
    s.record(pb(2n, 0, 0), 1, 1, 1);
    expect(s.entry(1n)!.lastWriteMs).toBe(5_000);
    expect(s.removeExpired(4_001)).toBe(0);
    expect(s.removeExpired(4_000)).toBe(1);
    expect([...s.entries()].map((e) => e.producerId)).toEqual([2n]);
  });

  it('reads the producer fields of a v2 batch header (recovery scans batches with these)', () => {
    const bytes = Buffer.from(encodeBatch({ producerId: 123n, producerEpoch: 2, baseSequence: 10, records: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] }));
    bytes.writeBigInt64BE(500n, 0); // base offset as assigned by the log
    const h = readProducerBatchHeader(bytes)!;
    expect(h.batch).toEqual({ producerId: 123n, epoch: 2, firstSeq: 10, lastSeq: 12, recordCount: 3 });
    expect(h.baseOffset).toBe(500);
    expect(h.lastOffset).toBe(502);
    expect(h.size).toBe(bytes.length);
    expect(readProducerBatchHeader(Buffer.from(encodeBatch({ records: [{ value: 'x' }] })))).toBeNull();
  });
});
