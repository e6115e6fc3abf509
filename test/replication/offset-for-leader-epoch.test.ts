// OffsetForLeaderEpoch (api 23) on a single broker and in a cluster, with Rivulet's codec and with a
// real client's (kafka-python's protocol classes, Debian's /usr/bin/python3).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/api.js';
import { ErrorCode } from '../../protocol/errors.js';
import { Connection } from '../../host-node/client/connection.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { PYTHON, run } from '../broker-data/helpers.js';
import { startCluster, waitFor, type TestCluster } from './harness.js';
import { batch, partitionOf, produce } from './client.js';

let cluster: TestCluster | null = null;
let single: TestBroker | null = null;
const conns: Connection[] = [];

afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  await cluster?.close();
  await single?.close();
  cluster = null;
  single = null;
});

async function ofle(c: Connection, topic: string, leaderEpoch: number, o: { current?: number; replicaId?: number; version?: number } = {}) {
  const r = await c.send(
    ApiKey.OffsetForLeaderEpoch,
    { replicaId: o.replicaId ?? -1, topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: o.current ?? -1, leaderEpoch }] }] },
    o.version === undefined ? {} : { version: o.version },
  );
  const p = r.topics[0]!.partitions[0]!;
  return { errorCode: p.errorCode, leaderEpoch: p.leaderEpoch, endOffset: Number(p.endOffset) };
}

async function singleBrokerWithTopic(topic: string): Promise<Connection> {
  single = await startTestBroker();
  single.context.topicRegistry.createTopic({ name: topic, numPartitions: 1, replicationFactor: 1 });
  const c = await Connection.connect({ host: '127.0.0.1', port: single.port });
  conns.push(c);
  return c;
}

describe('OffsetForLeaderEpoch', () => {
  it('a single broker leads at epoch 0: epoch 0 ends at the log end, later epochs are unknown', async () => {
    const c = await singleBrokerWithTopic('solo');
    expect(partitionOf(await produce(c, 'solo', batch(4), -1)).errorCode).toBe(ErrorCode.NONE);
    expect(await ofle(c, 'solo', 0, { current: 0 })).toEqual({ errorCode: ErrorCode.NONE, leaderEpoch: 0, endOffset: 4 });
    expect(await ofle(c, 'solo', 3)).toEqual({ errorCode: ErrorCode.NONE, leaderEpoch: -1, endOffset: -1 });
    expect((await ofle(c, 'solo', 0, { current: 1 })).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect((await ofle(c, 'missing', 0)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    // v0 has no leader epoch in its answer: the end offset alone.
    expect(await ofle(c, 'solo', 0, { version: 0 })).toEqual({ errorCode: ErrorCode.NONE, leaderEpoch: -1, endOffset: 4 });
  });

  it('in a cluster: the end of each epoch from the leader\'s epoch cache; followers answer brokers only; stale epochs are fenced', async () => {
    const T = 'epochs';
    const c = (cluster = await startCluster([1, 2]));
    c.publish({ topic: T, partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0 });
    const to1 = await c.connect(1);
    expect(partitionOf(await produce(to1, T, batch(3), -1)).errorCode).toBe(ErrorCode.NONE);
    c.publish({ topic: T, partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 2 });
    expect(partitionOf(await produce(to1, T, batch(5, 3), -1)).errorCode).toBe(ErrorCode.NONE);
    expect(await ofle(to1, T, 0, { current: 2 })).toEqual({ errorCode: ErrorCode.NONE, leaderEpoch: 0, endOffset: 3 });
    expect(await ofle(to1, T, 1)).toEqual({ errorCode: ErrorCode.NONE, leaderEpoch: 0, endOffset: 3 });
    expect(await ofle(to1, T, 2)).toEqual({ errorCode: ErrorCode.NONE, leaderEpoch: 2, endOffset: 8 });
    expect((await ofle(to1, T, 2, { current: 1 })).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect((await ofle(to1, T, 2, { current: 3 })).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);

    const to2 = await c.connect(2);
    await waitFor('follower at 8', () => c.brokers.get(2)!.context.topicRegistry.partitionLog(T, 0)!.logEndOffset === 8);
    expect((await ofle(to2, T, 0)).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(await ofle(to2, T, 0, { replicaId: 1, current: 2 })).toEqual({ errorCode: ErrorCode.NONE, leaderEpoch: 0, endOffset: 3 });
  });

  it.skipIf(!existsSync(PYTHON))('kafka-python\'s codec: OffsetForLeaderEpoch v2 and Fetch v10 with leader epochs against a single broker', async () => {
    await singleBrokerWithTopic('py-epochs');
    const script = fileURLToPath(new URL('./kafka_python_epochs.py', import.meta.url));
    const r = await run(PYTHON, [script, String(single!.port), 'py-epochs'], { timeoutMs: 60_000 });
    expect(r.stderr).not.toMatch(/Traceback/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.toString().trim().split('\n').pop()!);
    expect(out.ofle0).toEqual({ error: ErrorCode.NONE, leaderEpoch: 0, endOffset: 7 });
    expect(out.ofle1).toEqual({ error: ErrorCode.NONE, leaderEpoch: -1, endOffset: -1 });
    expect(out.ofleFuture.error).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect(out.fetch0).toEqual(expect.objectContaining({ error: ErrorCode.NONE, highWatermark: 7 }));
    expect(out.fetch0.bytes).toBeGreaterThan(0);
    // Single-broker Fetch ignores CurrentLeaderEpoch, as before (no epochs to fence).
    expect(out.fetchFuture.error).toBe(ErrorCode.NONE);
  });
});
