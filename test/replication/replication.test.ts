// Kafka's replication between in-process brokers: the test pushes partition states (the metadata side)
// and keeps the ISR in memory with compare-and-swap semantics; data goes over real sockets between real
// brokers on 127.0.0.1, into real logs in temp dirs.
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startCluster, waitFor, type TestCluster } from './harness.js';
import { batch, consumerFetch, logBytes, partitionOf, produce } from './client.js';

const T = 'replicated';
let cluster: TestCluster | null = null;

afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

function logOf(c: TestCluster, id: number) {
  return c.brokers.get(id)!.context.topicRegistry.partitionLog(T, 0)!;
}

describe('replication between brokers', () => {
  it('a leader and two followers: acks=all answers once both followers have the batch; the logs are byte-identical', async () => {
    const c = (cluster = await startCluster([1, 2, 3]));
    c.publish({ topic: T, partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 0 });
    const conn = await c.connect(1);
    for (let i = 0; i < 5; i++) {
      const r = partitionOf(await produce(conn, T, batch(10, i * 10), -1));
      expect(r.errorCode).toBe(ErrorCode.NONE);
      expect(Number(r.baseOffset)).toBe(i * 10);
      // Answered: both followers hold the batch, and the leader's high watermark is past it.
      for (const id of [2, 3]) expect(logOf(c, id).logEndOffset).toBeGreaterThanOrEqual((i + 1) * 10);
      expect(logOf(c, 1).highWatermark).toBeGreaterThanOrEqual((i + 1) * 10);
    }
    await waitFor('follower high watermarks', () => [2, 3].every((id) => logOf(c, id).highWatermark === 50));
    const leaderBytes = logBytes(logOf(c, 1));
    expect(leaderBytes.length).toBeGreaterThan(0);
    for (const id of [2, 3]) expect(logBytes(logOf(c, id)).equals(leaderBytes)).toBe(true);
    // Every batch carries the leader's epoch, on every replica.
    for (const id of [1, 2, 3]) expect(logOf(c, id).epochEntries()).toEqual([{ epoch: 0, startOffset: 0 }]);
    // A consumer reads them from the leader.
    const f = await consumerFetch(conn, c.topicId, 0, 0);
    const p = f.responses[0]!.partitions[0]!;
    expect(p.errorCode).toBe(ErrorCode.NONE);
    expect(p.highWatermark).toBe(50n);
    expect(p.records!.length).toBe(leaderBytes.length);
  });

  it('acks=all waits for a stopped ISR member until the ISR drops it after replica.lag.time.max.ms; it rejoins when back', async () => {
    const c = (cluster = await startCluster([1, 2, 3], { config: { replicaLagTimeMaxMs: 600, replicaFetchBackoffMs: 50 } }));
    c.publish({ topic: T, partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 0 });
    const conn = await c.connect(1);
    expect(partitionOf(await produce(conn, T, batch(3), -1)).errorCode).toBe(ErrorCode.NONE);
    await c.stop(3);
    // Within the lag time the stopped follower is still in the ISR: the high watermark cannot pass the batch.
    const timedOut = partitionOf(await produce(conn, T, batch(3, 3), -1, 200));
    expect(timedOut.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
    await waitFor('ISR shrink', () => c.partition(1, T).isr.join() === '1,2');
    expect(c.store.get(T, 0)!.isr).toEqual([1, 2]);
    // Writes go on with the smaller ISR.
    expect(partitionOf(await produce(conn, T, batch(4, 6), -1)).errorCode).toBe(ErrorCode.NONE);
    expect(logOf(c, 1).highWatermark).toBe(10);
    await c.restart(3);
    await waitFor('ISR expand', () => c.partition(1, T).isr.join() === '1,2,3');
    expect(logOf(c, 3).logEndOffset).toBe(10);
    expect(logBytes(logOf(c, 3)).equals(logBytes(logOf(c, 1)))).toBe(true);
    expect(c.store.accepted.map((s) => s.isr.join())).toEqual(['1,2', '1,2,3']);
    expect(c.brokers.get(1)!.context.replicaManager!.isrShrinks).toBe(1);
    expect(c.brokers.get(1)!.context.replicaManager!.isrExpands).toBe(1);
  });

  it('min.insync.replicas=2 with the ISR down to the leader: NOT_ENOUGH_REPLICAS and nothing appended; acks=1 still appends', async () => {
    const c = (cluster = await startCluster([1, 2, 3], { config: { replicaLagTimeMaxMs: 400 }, sets: { 'min.insync.replicas': '2' } }));
    c.publish({ topic: T, partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 0 });
    const conn = await c.connect(1);
    expect(partitionOf(await produce(conn, T, batch(2), -1)).errorCode).toBe(ErrorCode.NONE);
    await c.stop(2);
    await c.stop(3);
    // Followers at the leader's end count as caught up (Kafka's rule): a write leaves them behind.
    expect(partitionOf(await produce(conn, T, batch(1, 2), 1)).errorCode).toBe(ErrorCode.NONE);
    await waitFor('ISR shrink to the leader', () => c.partition(1, T).isr.join() === '1');
    const leo = logOf(c, 1).logEndOffset;
    const r = partitionOf(await produce(conn, T, batch(2, 3), -1));
    expect(r.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(logOf(c, 1).logEndOffset).toBe(leo);
    expect(partitionOf(await produce(conn, T, batch(2, 3), 1)).errorCode).toBe(ErrorCode.NONE);
    expect(logOf(c, 1).logEndOffset).toBe(leo + 2);
  });
});
