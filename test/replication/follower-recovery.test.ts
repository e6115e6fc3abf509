// A new follower behind the leader's log start resets its log from the leader's offsets
// (OFFSET_OUT_OF_RANGE → ListOffsets → truncateFullyAndStartAt), and acks=all also waits for the
// leader's own flush policy (its entry in the high watermark is its durable offset).
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startCluster, waitFor, type TestCluster } from './harness.js';
import { batch, logBytes, partitionOf, produce } from './client.js';

const T = 'recovery';
let cluster: TestCluster | null = null;

afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

function logOf(c: TestCluster, id: number) {
  return c.brokers.get(id)!.context.topicRegistry.partitionLog(T, 0)!;
}

describe('follower recovery and leader durability', () => {
  it('a replica added behind the leader\'s log start starts its log there and joins the ISR', async () => {
    const c = (cluster = await startCluster([1, 2], { config: { replicaFetchBackoffMs: 50 } }));
    c.publish({ topic: T, partition: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0 });
    const to1 = await c.connect(1);
    for (let i = 0; i < 10; i++) expect(partitionOf(await produce(to1, T, batch(1, i), -1)).errorCode).toBe(ErrorCode.NONE);
    expect(logOf(c, 1).deleteRecordsBefore(6)).toBe(6);
    c.publish({ topic: T, partition: 0, replicas: [1, 2], isr: [1], leader: 1, leaderEpoch: 0 });
    await waitFor('the new replica in the ISR', () => c.partition(1, T).isr.join() === '1,2');
    expect(logOf(c, 2).logStartOffset).toBe(6);
    expect(logOf(c, 2).logEndOffset).toBe(10);
    expect(logBytes(logOf(c, 2)).equals(logBytes(logOf(c, 1)))).toBe(true);
  });

  it('followers move their log start up to the leader\'s', async () => {
    const c = (cluster = await startCluster([1, 2, 3]));
    c.publish({ topic: T, partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 0 });
    const to1 = await c.connect(1);
    for (let i = 0; i < 5; i++) expect(partitionOf(await produce(to1, T, batch(1, i), -1)).errorCode).toBe(ErrorCode.NONE);
    expect(logOf(c, 1).deleteRecordsBefore(3)).toBe(3);
    expect(partitionOf(await produce(to1, T, batch(1, 5), -1)).errorCode).toBe(ErrorCode.NONE);
    await waitFor('follower log starts at 3', () => [2, 3].every((id) => logOf(c, id).logStartOffset === 3));
    for (const id of [2, 3]) expect(logBytes(logOf(c, id)).equals(logBytes(logOf(c, 1)))).toBe(true);
  });

  it('acks=all is not answered before the leader\'s flush policy made the batch durable, even with every follower holding it', async () => {
    const c = (cluster = await startCluster([1, 2], { sets: { 'log.flush.interval.messages': '1000000' } }));
    c.publish({ topic: T, partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0 });
    const to1 = await c.connect(1);
    const r = partitionOf(await produce(to1, T, batch(2), -1, 300));
    expect(r.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
    expect(logOf(c, 2).logEndOffset).toBe(2);
    expect(logOf(c, 1).highWatermark).toBe(0);
    logOf(c, 1).flush();
    await waitFor('HW after the flush', () => logOf(c, 1).highWatermark === 2);
  });
});
