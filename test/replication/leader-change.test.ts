// Leader changes between in-process brokers: a new leader at epoch+1, the old leader turned follower
// truncating the tail it wrote alone (never acknowledged to acks=all) through DivergingEpoch; non-leaders
// answer NOT_LEADER_OR_FOLLOWER naming the leader (KIP-951); leader epochs fence stale clients.
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/api.js';
import { ErrorCode } from '../../protocol/errors.js';
import { startCluster, waitFor, type TestCluster } from './harness.js';
import { batch, consumerFetch, logBytes, partitionOf, produce } from './client.js';
import { encodeBatch } from '../../bindings/node.js';

const T = 'failover';
let cluster: TestCluster | null = null;

afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

function logOf(c: TestCluster, id: number) {
  return c.brokers.get(id)!.context.topicRegistry.partitionLog(T, 0)!;
}

describe('leader changes', () => {
  it('the old leader becomes a follower and truncates its divergent, never-acknowledged tail', async () => {
    const c = (cluster = await startCluster([1, 2, 3], { config: { replicaFetchBackoffMs: 50 } }));
    c.publish({ topic: T, partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 0 });
    const to1 = await c.connect(1);
    expect(partitionOf(await produce(to1, T, batch(5, 0, 'a'), -1)).errorCode).toBe(ErrorCode.NONE);
    await waitFor('followers at 5', () => [2, 3].every((id) => logOf(c, id).logEndOffset === 5));
    // Broker 1 loses its followers and takes writes alone: acks=1 succeeds, acks=all cannot.
    await c.stop(2);
    await c.stop(3);
    expect(partitionOf(await produce(to1, T, batch(3, 5, 'lost'), 1)).errorCode).toBe(ErrorCode.NONE);
    expect(partitionOf(await produce(to1, T, batch(2, 8, 'lost'), -1, 200)).errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
    expect(logOf(c, 1).logEndOffset).toBe(10);
    expect(logOf(c, 1).highWatermark).toBe(5);

    // Broker 2 comes back and is elected at epoch 1; broker 1 learns it at the same time.
    await c.restart(2);
    await c.restart(3);
    c.publish({ topic: T, partition: 0, replicas: [1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 1 });
    expect(c.partition(1, T).isLeader).toBe(false);
    expect(c.partition(2, T).isLeader).toBe(true);
    // The deposed leader acknowledges nothing more: it names the new leader and its endpoint.
    const refused = await produce(to1, T, batch(1, 0, 'late'), -1);
    expect(partitionOf(refused).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(partitionOf(refused).currentLeader).toEqual(expect.objectContaining({ leaderId: 2, leaderEpoch: 1 }));
    expect(refused.nodeEndpoints).toEqual([expect.objectContaining({ nodeId: 2, host: '127.0.0.1', port: c.brokers.get(2)!.port })]);

    const to2 = await c.connect(2);
    expect(partitionOf(await produce(to2, T, batch(4, 5, 'b'), -1)).errorCode).toBe(ErrorCode.NONE);
    // Broker 1 truncated 5..9 (epoch 0, written alone) and took the new leader's records instead.
    await waitFor('old leader caught up', () => logOf(c, 1).logEndOffset === 9 && c.partition(2, T).isr.includes(1));
    expect(logBytes(logOf(c, 1)).equals(logBytes(logOf(c, 2)))).toBe(true);
    expect(logBytes(logOf(c, 1)).includes(Buffer.from('lost'))).toBe(false);
    expect(logOf(c, 1).epochEntries()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 1, startOffset: 5 },
    ]);
  });

  it('with Fetch below v12 (no DivergingEpoch) the deposed leader truncates through OffsetForLeaderEpoch first', async () => {
    const c = (cluster = await startCluster([1, 2], { config: { replicaFetchBackoffMs: 50 }, fetchVersions: [4, 11] }));
    c.publish({ topic: T, partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0 });
    const to1 = await c.connect(1);
    expect(partitionOf(await produce(to1, T, batch(4, 0, 'a'), -1)).errorCode).toBe(ErrorCode.NONE);
    await c.stop(2);
    expect(partitionOf(await produce(to1, T, batch(3, 4, 'lost'), 1)).errorCode).toBe(ErrorCode.NONE);
    await c.restart(2);
    c.publish({ topic: T, partition: 0, replicas: [1, 2], isr: [2], leader: 2, leaderEpoch: 1 });
    expect(partitionOf(await produce(await c.connect(2), T, batch(2, 4, 'b'), -1)).errorCode).toBe(ErrorCode.NONE);
    await waitFor('old leader caught up', () => logOf(c, 1).logEndOffset === 6 && c.partition(2, T).isr.includes(1));
    expect(logBytes(logOf(c, 1)).equals(logBytes(logOf(c, 2)))).toBe(true);
    expect(logBytes(logOf(c, 1)).includes(Buffer.from('lost'))).toBe(false);
  });

  it('Produce, Fetch and ListOffsets to a follower answer NOT_LEADER_OR_FOLLOWER with the leader', async () => {
    const c = (cluster = await startCluster([1, 2]));
    c.publish({ topic: T, partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 3 });
    const to2 = await c.connect(2);
    const p = await produce(to2, T, batch(1), 1);
    expect(partitionOf(p).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(partitionOf(p).currentLeader).toEqual(expect.objectContaining({ leaderId: 1, leaderEpoch: 3 }));
    expect(p.nodeEndpoints).toEqual([expect.objectContaining({ nodeId: 1, port: c.brokers.get(1)!.port })]);
    const f = await consumerFetch(to2, c.topicId, 0);
    expect(f.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(f.responses[0]!.partitions[0]!.currentLeader).toEqual(expect.objectContaining({ leaderId: 1, leaderEpoch: 3 }));
    expect(f.nodeEndpoints).toEqual([expect.objectContaining({ nodeId: 1, port: c.brokers.get(1)!.port })]);
    const l = await to2.send(ApiKey.ListOffsets, { replicaId: -1, isolationLevel: 0, topics: [{ name: T, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] });
    expect(l.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    // A topic the metadata never named: unknown.
    expect(partitionOf(await produce(to2, 'nope', batch(1), 1)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('a client leader epoch older than the leader\'s is FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH; LATEST is the high watermark', async () => {
    const c = (cluster = await startCluster([1, 2]));
    c.publish({ topic: T, partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 4 });
    const to1 = await c.connect(1);
    expect(partitionOf(await produce(to1, T, batch(6), -1)).errorCode).toBe(ErrorCode.NONE);
    const code = async (epoch: number) => (await consumerFetch(to1, c.topicId, 0, epoch)).responses[0]!.partitions[0]!.errorCode;
    expect(await code(3)).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(await code(5)).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect(await code(4)).toBe(ErrorCode.NONE);
    expect(await code(-1)).toBe(ErrorCode.NONE);
    const latest = async (epoch: number) =>
      (await to1.send(ApiKey.ListOffsets, { replicaId: -1, isolationLevel: 0, topics: [{ name: T, partitions: [{ partitionIndex: 0, currentLeaderEpoch: epoch, timestamp: -1n }] }] })).topics[0]!.partitions[0]!;
    expect((await latest(3)).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(await latest(4)).toEqual(expect.objectContaining({ errorCode: ErrorCode.NONE, offset: 6n }));
  });
});

describe('replicated producer state and replica removal', () => {
  it('an idempotent batch acknowledged by the old leader is recognised as a duplicate by the new one', async () => {
    const c = (cluster = await startCluster([1, 2]));
    c.publish({ topic: T, partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0 });
    const idem = encodeBatch({ records: [{ key: 'k', value: 'once', timestamp: 1_700_000_000_000 }], producerId: 7n, producerEpoch: 0, baseSequence: 0 });
    const first = partitionOf(await produce(await c.connect(1), T, idem, -1));
    expect(first.errorCode).toBe(ErrorCode.NONE);
    c.publish({ topic: T, partition: 0, replicas: [1, 2], isr: [1, 2], leader: 2, leaderEpoch: 1 });
    // The producer did not see the answer and retries the same batch on the new leader.
    const retry = partitionOf(await produce(await c.connect(2), T, idem, -1));
    expect(retry.errorCode).toBe(ErrorCode.NONE);
    expect(retry.baseOffset).toBe(first.baseOffset);
    expect(logOf(c, 2).logEndOffset).toBe(1);
  });

  it('a broker dropped from the replicas stops its replica and deletes its log (Kafka\'s StopReplica with deletion)', async () => {
    const c = (cluster = await startCluster([1, 2]));
    c.publish({ topic: T, partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0 });
    expect(partitionOf(await produce(await c.connect(1), T, batch(2), -1)).errorCode).toBe(ErrorCode.NONE);
    const rm2 = c.brokers.get(2)!.context.replicaManager!;
    const replica = c.partition(2, T);
    c.publish({ topic: T, partition: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: 1 });
    expect(rm2.getPartition(T, 0)).toBeUndefined();
    expect(replica.isStopped).toBe(true);
    await waitFor('log removed', () => c.brokers.get(2)!.context.logManager.logFor(T, 0) === undefined);
    // Telling it again is harmless.
    rm2.removePartitions([{ topic: T, partition: 0 }], { deleteLogs: true });
    // The leader still knows the partition: broker 2 now names it.
    expect(partitionOf(await produce(await c.connect(2), T, batch(1), 1)).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });
});

describe('topic deletion', () => {
  it('forgets the leaders of a deleted topic: UNKNOWN_TOPIC_OR_PARTITION afterwards', async () => {
    const c = (cluster = await startCluster([1, 2]));
    c.publish({ topic: T, partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0 });
    const to2 = await c.connect(2);
    expect(partitionOf(await produce(to2, T, batch(1), 1)).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    for (const b of c.brokers.values()) b.context.replicaManager!.removePartitions([{ topic: T, partition: 0 }], { deleteLogs: true, topicDeleted: true });
    expect(partitionOf(await produce(to2, T, batch(1), 1)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(partitionOf(await produce(await c.connect(1), T, batch(1), 1)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});
