// Randomised Fetch limits against a model: three partitions of random batches; random fetch offsets,
// max_bytes, partition_max_bytes and versions. Checks Kafka's rules: whole batches from the one holding the
// fetch offset, contiguous; the first partition with data gets at least one batch (KIP-74); otherwise each
// partition stays within min(partition_max_bytes, max_bytes left) and the total within max_bytes.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { decodeBatches, encodeBatch } from '../../bindings/node.js';
import { startDataBroker, type DataBroker } from './helpers.js';
import type { KafkaTestClient } from '../helpers/broker.js';

const TOPIC = 'limits';
let b: DataBroker;
let c: KafkaTestClient;
/** Per partition: [baseOffset, lastOffset, size] of every batch. */
const model: [number, number, number][][] = [[], [], []];

beforeAll(async () => {
  b = await startDataBroker();
  c = await b.client();
  await b.topics.create(TOPIC, 3);
  const rnd = fc.sample(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 3000 })), { numRuns: 120, seed: 42 });
  const next = [0, 0, 0];
  for (const [p, n, size] of rnd) {
    const records = Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(size) }));
    const bytes = encodeBatch({ records });
    const r = await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 1000, topicData: [{ name: TOPIC, partitionData: [{ index: p, records: bytes }] }] });
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    model[p]!.push([next[p]!, next[p]! + n - 1, bytes.length]);
    next[p]! += n;
  }
});
afterAll(async () => {
  await b?.close();
});

describe('Fetch limits (randomised)', () => {
  it('hold for random offsets, limits and versions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 1_000 }), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 0, max: 80_000 }),
        fc.array(fc.integer({ min: 0, max: 40_000 }), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 4, max: 17 }),
        async (offsets, maxBytes, partMax, version) => {
          const fetchOffsets = offsets.map((o, p) => {
            const end = model[p]!.length ? model[p]![model[p]!.length - 1]![1] + 1 : 0;
            return Math.min(o % (end + 1), end);
          });
          const topicId = b.topics.topicByName(TOPIC)!.topicId;
          const r = await c.request(ApiKey.Fetch, version, {
            replicaId: -1,
            maxBytes,
            sessionEpoch: -1,
            topics: [{ topic: TOPIC, topicId, partitions: [0, 1, 2].map((p) => ({ partition: p, fetchOffset: BigInt(fetchOffsets[p]!), partitionMaxBytes: partMax[p]! })) }],
          });
          let total = 0;
          let sawData = false;
          for (const part of r.responses[0]!.partitions) {
            const p = part.partitionIndex;
            expect(part.errorCode).toBe(0);
            const got = decodeBatches(part.records!).map((x) => [Number(x.baseOffset), Number(x.baseOffset) + x.lastOffsetDelta, x.size]);
            const size = got.reduce((s, x) => s + x[2]!, 0);
            const first = model[p]!.findIndex((x) => x[1] >= fetchOffsets[p]!);
            if (got.length > 0) {
              expect(got).toEqual(model[p]!.slice(first, first + got.length));
              if (sawData) expect(size).toBeLessThanOrEqual(Math.min(partMax[p]!, maxBytes - total));
              else if (got.length > 1) expect(size).toBeLessThanOrEqual(Math.max(Math.min(partMax[p]!, maxBytes), got[0]![2]!));
              sawData = true;
            } else if (first >= 0 && !sawData) {
              throw new Error(`partition ${p}: data at ${fetchOffsets[p]} but nothing returned before any other partition had data`);
            }
            // Greedy: the next batch would not have fit.
            if (first >= 0 && first + got.length < model[p]!.length && got.length > 0) {
              const nextSize = model[p]![first + got.length]![2];
              const limit = Math.min(partMax[p]!, maxBytes - total);
              expect(size + nextSize).toBeGreaterThan(Math.max(limit, got.length === 1 && size > limit ? size : limit));
            }
            total += size;
          }
        },
      ),
      { numRuns: 150, seed: 7 },
    );
  });
});
