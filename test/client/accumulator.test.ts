// Producer batching rules (RecordAccumulator): batch.size closes batches, linger.ms closes them on time,
// partitions batch separately, flush closes everything.
import { describe, expect, it, vi } from 'vitest';
import { BATCH_OVERHEAD, RecordAccumulator, estimateRecordSize, type PendingRecord, type ProducerBatch } from '../../host-node/client/accumulator.js';
import { encodeBatch } from '../../bindings/node.js';

const rec = (value: string, key: string | null = null): PendingRecord => ({
  key: key === null ? null : new TextEncoder().encode(key),
  value: new TextEncoder().encode(value),
  headers: [],
  timestamp: 1_700_000_000_000,
});
const noop = { resolve() {}, reject() {} };

describe('RecordAccumulator', () => {
  it('closes a batch when the next record would pass batch.size', () => {
    const ready: ProducerBatch[] = [];
    const size = estimateRecordSize(rec('x'.repeat(100)));
    const acc = new RecordAccumulator({ batchSize: BATCH_OVERHEAD + size * 3 + 10, lingerMs: 1000, onReady: (b) => ready.push(...b) });
    for (let i = 0; i < 7; i++) acc.append('t', 0, rec('x'.repeat(100)), noop);
    expect(ready.map((b) => b.records.length)).toEqual([3, 3]);
    expect(acc.openRecordCount).toBe(1);
    acc.closeAll();
    expect(ready.map((b) => b.records.length)).toEqual([3, 3, 1]);
  });

  it('a record bigger than batch.size gets a batch of its own', () => {
    const ready: ProducerBatch[] = [];
    const acc = new RecordAccumulator({ batchSize: 100, lingerMs: 1000, onReady: (b) => ready.push(...b) });
    acc.append('t', 0, rec('small'), noop);
    acc.append('t', 0, rec('y'.repeat(500)), noop);
    expect(ready.map((b) => b.records.length)).toEqual([1, 1]);
  });

  it('batches per partition and closes on linger.ms', () => {
    vi.useFakeTimers();
    try {
      const ready: ProducerBatch[] = [];
      const acc = new RecordAccumulator({ batchSize: 1 << 20, lingerMs: 20, onReady: (b) => ready.push(...b), now: () => Date.now() });
      expect(acc.append('t', 0, rec('a'), noop)).toBe(true);
      expect(acc.append('t', 0, rec('b'), noop)).toBe(false);
      vi.advanceTimersByTime(10);
      acc.append('t', 1, rec('c'), noop);
      acc.append('u', 0, rec('d'), noop);
      expect(ready).toHaveLength(0);
      vi.advanceTimersByTime(11);
      expect(ready.map((b) => `${b.topic}-${b.partition}:${b.records.length}`)).toEqual(['t-0:2']);
      vi.advanceTimersByTime(10);
      expect(ready.map((b) => `${b.topic}-${b.partition}:${b.records.length}`).sort()).toEqual(['t-0:2', 't-1:1', 'u-0:1']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('linger.ms 0 closes at the end of the tick, so synchronous sends still share a batch', async () => {
    const ready: ProducerBatch[] = [];
    const acc = new RecordAccumulator({ lingerMs: 0, onReady: (b) => ready.push(...b) });
    for (let i = 0; i < 5; i++) acc.append('t', 0, rec(`v${i}`), noop);
    expect(ready).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(ready.map((b) => b.records.length)).toEqual([5]);
  });

  it('size estimates bound the encoded size from the core', () => {
    const records = Array.from({ length: 50 }, (_, i) => rec('v'.repeat(i * 7), i % 3 ? `k${i}` : null));
    const est = BATCH_OVERHEAD + records.reduce((n, r) => n + estimateRecordSize(r), 0);
    const actual = encodeBatch({ records: records.map((r, i) => ({ key: r.key, value: r.value, offsetDelta: i, timestampDelta: 0 })), baseTimestamp: 0 }).length;
    expect(est).toBeGreaterThanOrEqual(actual);
    expect(est).toBeLessThan(actual * 2);
  });

  it('abort rejects the open batches', async () => {
    const acc = new RecordAccumulator({ lingerMs: 1000, onReady: () => {} });
    const p = new Promise((resolve, reject) => acc.append('t', 0, rec('a'), { resolve, reject }));
    acc.abort(new Error('closed'));
    await expect(p).rejects.toThrow('closed');
  });
});
