// The history checker catches each anomaly in a synthetic history that has exactly that one, reports
// nothing for a clean history, and a randomized clean history stays clean while one injected fault of a
// random kind is always caught (seed printed).
import { describe, expect, it } from 'vitest';
import { anomalyNames, checkHistory, describeAnomalies, type ConsumedRecord, type History, type ProduceAttempt } from './history.js';

/** A clean history: `n` acknowledged writes over 2 partitions, read completely by two consumers. */
function clean(n = 10): History {
  const produced: ProduceAttempt[] = [];
  const consumed: ConsumedRecord[] = [];
  const next = [0, 0];
  for (let i = 0; i < n; i++) {
    const partition = i % 2;
    const offset = next[partition]!++;
    produced.push({ key: `k${i}`, value: `v${i}`, partition, outcome: 'ok', offset });
  }
  for (const consumerId of ['c1', 'c2'])
    produced.forEach((a, i) => consumed.push({ partition: a.partition, offset: a.offset!, value: a.value, consumerId, pollIndex: Math.floor(i / 3) }));
  return { produced, consumed, completeReaders: ['c1', 'c2'] };
}

describe('checkHistory', () => {
  it('reports nothing for a clean history, with fail and unknown outcomes that were not read', () => {
    const h = clean();
    h.produced.push({ key: null, value: 'failed', partition: 0, outcome: 'fail', error: 'NOT_ENOUGH_REPLICAS' });
    h.produced.push({ key: null, value: 'unknown-unread', partition: 1, outcome: 'unknown' });
    const r = checkHistory(h);
    expect(anomalyNames(r), describeAnomalies(r)).toEqual([]);
    expect(r.attempts).toEqual({ ok: 10, fail: 1, unknown: 1 });
    expect(r.recordsRead).toBe(20);
    expect(r.lostChecked).toBe(true);
  });

  it('an unknown outcome that was written (read once, at its own offset) is no anomaly', () => {
    const h = clean(4);
    h.produced.push({ key: null, value: 'maybe', partition: 0, outcome: 'unknown' });
    for (const c of ['c1', 'c2']) h.consumed.push({ partition: 0, offset: 2, value: 'maybe', consumerId: c, pollIndex: 9 });
    expect(anomalyNames(checkHistory(h))).toEqual([]);
  });

  it('lost: an acknowledged write missing from one complete read', () => {
    const h = clean();
    h.consumed = h.consumed.filter((r) => !(r.consumerId === 'c2' && r.value === 'v7'));
    const r = checkHistory(h);
    expect(anomalyNames(r)).toEqual(['lost']);
    expect(r.lost).toEqual({ count: 1, examples: [{ value: 'v7', partition: 1, offset: 3, missingFrom: 'c2' }] });
  });

  it('lost is judged only against complete reads', () => {
    const h = clean();
    h.consumed.push({ partition: 0, offset: 0, value: 'v0', consumerId: 'partial', pollIndex: 0 });
    expect(anomalyNames(checkHistory(h))).toEqual([]);
    const none = checkHistory({ ...h, completeReaders: [] });
    expect(none.lostChecked).toBe(false);
    expect(none.lost.count).toBe(0);
  });

  it('duplicates: one value read at two offsets', () => {
    const h = clean(4);
    h.produced.push({ key: null, value: 'dup', partition: 0, outcome: 'unknown' });
    for (const c of ['c1', 'c2']) {
      h.consumed.push({ partition: 0, offset: 2, value: 'dup', consumerId: c, pollIndex: 10 });
      h.consumed.push({ partition: 0, offset: 3, value: 'dup', consumerId: c, pollIndex: 10 });
    }
    const r = checkHistory(h);
    expect(anomalyNames(r)).toEqual(['duplicates']);
    expect(r.duplicates.examples).toEqual([{ value: 'dup', at: [{ partition: 0, offset: 2 }, { partition: 0, offset: 3 }] }]);
  });

  it('inconsistent offsets: two consumers see different values at one offset', () => {
    const h = clean(4);
    h.produced.push({ key: null, value: 'x', partition: 1, outcome: 'unknown' }, { key: null, value: 'y', partition: 1, outcome: 'unknown' });
    h.consumed.push({ partition: 1, offset: 2, value: 'x', consumerId: 'c1', pollIndex: 10 });
    h.consumed.push({ partition: 1, offset: 2, value: 'y', consumerId: 'c2', pollIndex: 10 });
    const r = checkHistory(h);
    expect(anomalyNames(r)).toEqual(['inconsistentOffsets']);
    expect(r.inconsistentOffsets.examples).toEqual([{ partition: 1, offset: 2, values: ['x', 'y'] }]);
  });

  it('inconsistent offsets: an acknowledgement names an offset that holds another value', () => {
    const h = clean(4);
    h.produced.push({ key: null, value: 'acked-at-1', partition: 0, outcome: 'ok', offset: 1 }); // v2 is at 0:1
    for (const c of ['c1', 'c2']) h.consumed.push({ partition: 0, offset: 2, value: 'acked-at-1', consumerId: c, pollIndex: 10 });
    const r = checkHistory(h);
    expect(anomalyNames(r)).toEqual(['duplicates', 'inconsistentOffsets']); // and it sits at two offsets
    expect(r.inconsistentOffsets.examples[0]).toEqual({ partition: 0, offset: 1, values: ['acked-at-1', 'v2'] });
  });

  it('non-monotonic: one consumer reads a partition backwards (in poll order, not history order)', () => {
    const h = clean(6);
    // c1's records of partition 0 were offsets 0,1,2 in polls 0,0,1; make poll 1 come back with offset 0 again.
    h.consumed.push({ partition: 0, offset: 1, value: 'v2', consumerId: 'c1', pollIndex: 2 });
    const r = checkHistory(h);
    expect(anomalyNames(r)).toContain('nonMonotonic');
    expect(r.nonMonotonic.examples[0]).toEqual({ consumerId: 'c1', partition: 0, previous: 2, next: 1, pollIndex: 2 });
    // The same records recorded out of order but with their real poll numbers are monotonic.
    const shuffled = clean(6);
    shuffled.consumed.sort((a, b) => b.pollIndex - a.pollIndex); // polls recorded last-first, each poll's records in order
    expect(anomalyNames(checkHistory(shuffled))).toEqual([]);
  });

  it('non-monotonic: the same offset twice in a row', () => {
    const h = clean(4);
    const r0 = h.consumed.find((r) => r.consumerId === 'c2' && r.partition === 1 && r.offset === 1)!;
    h.consumed.push({ ...r0, pollIndex: 99 });
    expect(anomalyNames(checkHistory(h))).toEqual(['nonMonotonic']);
  });

  it('duplicates: a value read at another offset than its acknowledgement named', () => {
    const h = clean(4);
    h.produced.push({ key: null, value: 'moved', partition: 1, outcome: 'ok', offset: 7 });
    for (const c of ['c1', 'c2']) h.consumed.push({ partition: 1, offset: 2, value: 'moved', consumerId: c, pollIndex: 10 });
    const r = checkHistory(h);
    expect(anomalyNames(r)).toEqual(['duplicates']);
    expect(r.duplicates.examples).toEqual([{ value: 'moved', at: [{ partition: 1, offset: 2 }, { partition: 1, offset: 7 }] }]);
  });

  it('unexpected: a value no attempt wrote', () => {
    const h = clean(4);
    h.consumed.push({ partition: 0, offset: 2, value: 'ghost', consumerId: 'c1', pollIndex: 10 });
    const r = checkHistory(h);
    expect(anomalyNames(r)).toEqual(['unexpected']);
    expect(r.unexpected.examples).toEqual([{ value: 'ghost', partition: 0, offset: 2, consumerId: 'c1' }]);
  });

  it('failedButRead: a write reported failed that was read', () => {
    const h = clean(4);
    h.produced.push({ key: null, value: 'f', partition: 1, outcome: 'fail', error: 'MSG_TIMED_OUT' });
    for (const c of ['c1', 'c2']) h.consumed.push({ partition: 1, offset: 2, value: 'f', consumerId: c, pollIndex: 10 });
    const r = checkHistory(h);
    expect(anomalyNames(r)).toEqual(['failedButRead']);
    expect(r.failedButRead).toEqual({ count: 1, examples: [{ value: 'f', partition: 1, offset: 2, error: 'MSG_TIMED_OUT' }] });
  });

  it('keeps the count exact and the examples bounded', () => {
    const h = clean(40);
    h.consumed = h.consumed.filter((r) => r.consumerId === 'c1' || r.partition === 1); // c2 misses all 20 of partition 0
    const r = checkHistory(h, { examples: 3 });
    expect(r.lost.count).toBe(20);
    expect(r.lost.examples).toHaveLength(3);
    expect(JSON.parse(JSON.stringify(r.lost))).toEqual({ count: 20, examples: r.lost.examples });
  });

  it('random clean histories stay clean; one injected fault of a random kind is always caught', () => {
    const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
    console.log(`history.test seed=${seed} (SEED=${seed} replays)`);
    let s = seed;
    const rand = (n: number) => ((s = (s * 1103515245 + 12345) % 2147483648), s % n);
    const kinds = ['lost', 'duplicates', 'inconsistentOffsets', 'nonMonotonic', 'unexpected', 'failedButRead'] as const;
    for (let trial = 0; trial < 200; trial++) {
      const h = clean(4 + rand(60));
      expect(anomalyNames(checkHistory(h)), `seed ${seed} trial ${trial}`).toEqual([]);
      const kind = kinds[rand(kinds.length)]!;
      const c1 = h.consumed.filter((r) => r.consumerId === 'c1');
      const victim = c1[rand(c1.length)]!;
      if (kind === 'lost') h.consumed.splice(h.consumed.indexOf(victim), 1);
      if (kind === 'duplicates') h.consumed.push({ ...victim, offset: 1000 + rand(10), pollIndex: 1000 });
      if (kind === 'inconsistentOffsets') h.consumed.push({ ...victim, consumerId: 'c3', value: `${victim.value}-other`, pollIndex: 0 });
      if (kind === 'nonMonotonic') h.consumed.push({ ...victim, pollIndex: 1000 });
      if (kind === 'unexpected') h.consumed.push({ ...victim, offset: 5000, value: 'nobody-wrote-this', pollIndex: 1000 });
      if (kind === 'failedButRead') Object.assign(h.produced.find((a) => a.value === victim.value)!, { outcome: 'fail', offset: undefined });
      expect(anomalyNames(checkHistory(h)), `seed ${seed} trial ${trial} injected ${kind}`).toContain(kind);
    }
  });
});
