// murmur2 must match Java's Utils.murmur2 bit for bit: keyed records have to land on the same partitions
// as with Java clients and kafkajs. Oracle: kafkajs's implementation (a port of Java's), on random keys.
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DefaultPartitioner, RoundRobinPartitioner, murmur2, murmur2Partition, toPositive } from '../../host-node/client/partitioner/index.js';

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer | string) => number;
const enc = new TextEncoder();

describe('murmur2', () => {
  it("matches Java's known vectors (Kafka UtilsTest)", () => {
    const cases: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [k, v] of cases) expect(murmur2(enc.encode(k))).toBe(v);
    expect(murmur2(new Uint8Array(0))).toBe(kafkajsMurmur2(Buffer.alloc(0)));
  });

  it('equals kafkajs murmur2 on random byte keys and strings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (key) => {
        expect(murmur2(key)).toBe(kafkajsMurmur2(Buffer.from(key)));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 50 }), (s) => {
        expect(murmur2(enc.encode(s))).toBe(kafkajsMurmur2(s));
      }),
      { numRuns: 1000 },
    );
  });

  it('partitions like Java: toPositive(murmur2) % n (not Math.abs)', () => {
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-2147483648)).toBe(0);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 1000 }), (key, n) => {
        const p = murmur2Partition(key, n);
        expect(p).toBe((kafkajsMurmur2(Buffer.from(key)) & 0x7fffffff) % n);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(n);
      }),
    );
  });
});

describe('partitioners', () => {
  it('default: keys by murmur2, null keys sticky until a batch closes', () => {
    let seq = 0;
    const rnd = [0.1, 0.9, 0.5, 0.3];
    const part = new DefaultPartitioner(() => rnd[seq++ % rnd.length]!);
    const key = enc.encode('user-42');
    expect(part.partition({ topic: 't', key, numPartitions: 6 })).toBe(murmur2Partition(key, 6));
    const first = part.partition({ topic: 't', key: null, numPartitions: 6 });
    for (let i = 0; i < 10; i++) expect(part.partition({ topic: 't', key: null, numPartitions: 6 })).toBe(first);
    part.onNewBatch('t', first, 6);
    const second = part.partition({ topic: 't', key: null, numPartitions: 6 });
    expect(second).not.toBe(first);
    // another topic's batch does not move this one
    part.onNewBatch('t', (second + 1) % 6, 6);
    expect(part.partition({ topic: 't', key: null, numPartitions: 6 })).toBe(second);
    // one partition: always 0
    const solo = new DefaultPartitioner();
    solo.onNewBatch('s', 0, 1);
    expect(solo.partition({ topic: 's', key: null, numPartitions: 1 })).toBe(0);
  });

  it('round robin cycles null keys', () => {
    const rr = new RoundRobinPartitioner();
    expect(Array.from({ length: 7 }, () => rr.partition({ topic: 't', key: null, numPartitions: 3 }))).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });
});
