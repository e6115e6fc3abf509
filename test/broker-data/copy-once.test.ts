// Produce requests larger than one socket read are reassembled in the storage core's linear memory and
// appended from there: the batch is copied once between socket and disk (socket chunk → arena region), never
// staged a second time. Frames above the region size, and other APIs, keep the Buffer path.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { ZERO_UUID } from '../../protocol/wire/uuid.js';
import { decodeBatches, encodeBatch, type RecordInput } from '../../bindings/node.js';
import { startDataBroker, type DataBroker } from './helpers.js';

const dec = new TextDecoder();

function batch(n: number, size: number, tag: string): Uint8Array {
  const records: RecordInput[] = [];
  for (let i = 0; i < n; i++) records.push({ key: `${tag}-${i}`, value: `${tag}-${i}-`.padEnd(size, String.fromCharCode(97 + (i % 26))) });
  return encodeBatch({ records });
}

describe('copy-once Produce path', () => {
  let b: DataBroker;
  beforeAll(async () => {
    b = await startDataBroker();
    await b.topics.create('co', 3);
  });
  afterAll(() => b?.close());

  async function produceAll(batches: Uint8Array[]) {
    const c = await b.client();
    const r = await c.request(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name: 'co', partitionData: batches.map((records, index) => ({ index, records })) }],
    });
    return r.responses[0]!.partitionResponses;
  }

  async function keysOf(partition: number, from: bigint): Promise<string[]> {
    const c = await b.client();
    const r = await c.request(ApiKey.Fetch, 12, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 64 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'co', topicId: ZERO_UUID, partitions: [{ partition, fetchOffset: from, partitionMaxBytes: 32 << 20, logStartOffset: -1n, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const p = r.responses[0]!.partitions[0]!;
    expect(p.errorCode).toBe(0);
    return decodeBatches(p.records!).flatMap((x) => x.records.map((rec) => dec.decode(rec.key!)));
  }

  it('appends a multi-partition request from the arena without staging it again', async () => {
    const arena = b.broker.frameArena!;
    expect(arena).toBeDefined();
    const core = b.broker.context.logManager.core;
    const staged = vi.spyOn(core, 'region');
    const taken = arena.takenCount;
    // 3 × ~250 KB: one frame that spans many socket reads, under the 1 MiB region size.
    const batches = [0, 1, 2].map((p) => batch(250, 1000, `a${p}`));
    const out = await produceAll(batches);
    expect(out.map((p) => p.errorCode)).toEqual([0, 0, 0]);
    expect(arena.takenCount).toBe(taken + 1);
    expect(staged).not.toHaveBeenCalled();
    staged.mockRestore();
    await vi.waitFor(() => expect(arena.lentCount).toBe(0));
    for (const p of [0, 1, 2]) {
      const keys = await keysOf(p, out[p]!.baseOffset);
      expect(keys).toHaveLength(250);
      expect(keys[0]).toBe(`a${p}-0`);
      expect(keys[249]).toBe(`a${p}-249`);
    }
  });

  it('keeps the Buffer path (and the staging copy) for frames above the region size', async () => {
    const arena = b.broker.frameArena!;
    const core = b.broker.context.logManager.core;
    const staged = vi.spyOn(core, 'region');
    const taken = arena.takenCount;
    const batches = [0, 1].map((p) => batch(700, 1000, `big${p}`)); // ~1.4 MB frame
    const out = await produceAll(batches);
    expect(out.map((p) => p.errorCode)).toEqual([0, 0]);
    expect(arena.takenCount).toBe(taken);
    expect(staged).toHaveBeenCalled();
    staged.mockRestore();
    expect((await keysOf(1, out[1]!.baseOffset)).slice(-1)).toEqual(['big1-699']);
  });

  it('rejects a corrupt batch that arrived in the arena and leaves the log as it was', async () => {
    const log = b.topics.log('co', 2);
    const end = log.logEndOffset;
    const bad = batch(200, 1000, 'bad');
    bad[bad.length - 5]! ^= 0xff; // payload byte: the CRC no longer matches
    const out = await produceAll([batch(10, 10, 'ok0'), batch(10, 10, 'ok1'), bad]);
    expect(out.map((p) => p.errorCode)).toEqual([0, 0, 2]); // CORRUPT_MESSAGE
    expect(log.logEndOffset).toBe(end);
    await vi.waitFor(() => expect(b.broker.frameArena!.lentCount).toBe(0));
  });
});
