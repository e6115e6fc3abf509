// ElectLeaders, AlterPartitionReassignments and ListPartitionReassignments on a single broker, through
// Rivulet's admin client over a real socket: Kafka's answers when the cluster is one broker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, ElectionType } from '../../host-node/client/admin.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

let broker: TestBroker;
let admin: Admin;
beforeAll(async () => {
  broker = await startTestBroker();
  admin = new Admin({ bootstrapServers: `127.0.0.1:${broker.port}`, clientId: 'pa-test' });
  await admin.createTopics([{ name: 'pa', numPartitions: 2, replicationFactor: 1 }]);
});
afterAll(async () => {
  await admin.close();
  await broker.close();
});

describe('ElectLeaders', () => {
  it('answers ELECTION_NOT_NEEDED for both election types: the only replica already leads', async () => {
    for (const type of [ElectionType.PREFERRED, ElectionType.UNCLEAN]) {
      const r = await admin.electLeaders(type, [{ topic: 'pa', partition: 0 }, { topic: 'pa', partition: 1 }]);
      expect(r).toEqual([
        { topic: 'pa', partition: 0, errorCode: 84, errorMessage: null },
        { topic: 'pa', partition: 1, errorCode: 84, errorMessage: null },
      ]);
    }
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for a missing topic or partition', async () => {
    const r = await admin.electLeaders(ElectionType.PREFERRED, [{ topic: 'pa', partition: 7 }, { topic: 'nope', partition: 0 }]);
    expect(r.map((x) => [x.topic, x.partition, x.errorCode, x.errorMessage])).toEqual([
      ['pa', 7, 3, 'The partition does not exist.'],
      ['nope', 0, 3, 'The partition does not exist.'],
    ]);
  });

  it('with a null partition list answers only the partitions that needed an election: none here', async () => {
    expect(await admin.electLeaders(ElectionType.PREFERRED, null)).toEqual([]);
    expect(await admin.electLeaders(ElectionType.UNCLEAN, null)).toEqual([]);
  });
});

describe('AlterPartitionReassignments / ListPartitionReassignments', () => {
  it('completes a target of exactly this broker at once, with nothing left in progress', async () => {
    const id = broker.nodeId;
    expect(await admin.alterPartitionReassignments([{ topic: 'pa', partition: 0, replicas: [id] }])).toEqual([{ topic: 'pa', partition: 0, errorCode: 0, errorMessage: null }]);
    expect(await admin.listPartitionReassignments()).toEqual([]);
    expect(await admin.listPartitionReassignments([{ topic: 'pa', partition: 0 }])).toEqual([]);
  });

  it('refuses unknown brokers, repeated and empty lists with INVALID_REPLICA_ASSIGNMENT', async () => {
    const id = broker.nodeId;
    const r = await admin.alterPartitionReassignments([
      { topic: 'pa', partition: 0, replicas: [id, id + 1, id + 2] },
      { topic: 'pa', partition: 1, replicas: [id, id] },
    ]);
    expect(r[0]).toMatchObject({ errorCode: 39 });
    expect(r[0]!.errorMessage).toMatch(new RegExp(`^Unknown broker ids ${id + 1},${id + 2} in replica list`));
    expect(r[1]).toMatchObject({ errorCode: 39, errorMessage: `Duplicate replica ids in partition reassignment replica list: ${id},${id}` });
    const empty = await admin.alterPartitionReassignments([{ topic: 'pa', partition: 0, replicas: [] }]);
    expect(empty[0]).toMatchObject({ errorCode: 39, errorMessage: 'Empty replica list specified in partition reassignment.' });
  });

  it('answers NO_REASSIGNMENT_IN_PROGRESS to a cancel and UNKNOWN_TOPIC_OR_PARTITION to a missing partition', async () => {
    const r = await admin.alterPartitionReassignments([
      { topic: 'pa', partition: 1, replicas: null },
      { topic: 'pa', partition: 9, replicas: [broker.nodeId] },
    ]);
    expect(r.map((x) => [x.partition, x.errorCode])).toEqual([
      [1, 85],
      [9, 3],
    ]);
  });

  it('uses the broker context services when a cluster supplies them', async () => {
    const calls: string[] = [];
    const ctx = broker.context as { -readonly [K in 'elections' | 'reassignments']: (typeof broker.context)[K] };
    ctx.elections = { elect: async (type, parts) => (calls.push(`elect ${type} ${parts?.length}`), [{ topic: 'pa', partition: 0, errorCode: 0, errorMessage: null }]) };
    ctx.reassignments = {
      alter: async (reqs) => (calls.push(`alter ${reqs.length}`), reqs.map((q) => ({ topic: q.topic, partition: q.partition, errorCode: 0, errorMessage: null }))),
      list: async () => (calls.push('list'), [{ topic: 'pa', partition: 1, replicas: [1, 2, 3], adding: [3], removing: [1] }]),
    };
    try {
      expect(await admin.electLeaders(ElectionType.UNCLEAN, [{ topic: 'pa', partition: 0 }])).toEqual([{ topic: 'pa', partition: 0, errorCode: 0, errorMessage: null }]);
      expect(await admin.alterPartitionReassignments([{ topic: 'pa', partition: 1, replicas: [2, 3] }])).toEqual([{ topic: 'pa', partition: 1, errorCode: 0, errorMessage: null }]);
      expect(await admin.listPartitionReassignments()).toEqual([{ topic: 'pa', partition: 1, replicas: [1, 2, 3], addingReplicas: [3], removingReplicas: [1] }]);
      expect(calls).toEqual(['elect 1 1', 'alter 1', 'list']);
    } finally {
      ctx.elections = undefined;
      ctx.reassignments = undefined;
    }
  });
});
