// __consumer_offsets in a cluster (real etcd) is created compacted, as Kafka creates it, and one created
// without compaction is switched to it through the cluster metadata when a broker starts. A deleted topic's
// offsets are dropped by the coordinator of each group, even when it held no replica of the topic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMER_OFFSETS_TOPIC } from '../../host-node/group/index.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { InProcessCluster } from './support/in-process-cluster.js';

let cluster: InProcessCluster;
beforeAll(async () => {
  cluster = await InProcessCluster.start({
    ids: [1, 2],
    sets: { 'offsets.topic.num.partitions': '2', 'offsets.topic.replication.factor': '2', 'offsets.topic.segment.bytes': '2097152' },
  });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

async function waitFor<T>(what: string, get: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('__consumer_offsets in a cluster', () => {
  it('is created with cleanup.policy=compact, and switched to it at start-up when it lacks it', async () => {
    const c = await KafkaTestClient.connect(cluster.broker(1).port);
    try {
      await waitFor('a coordinator', async () => {
        const r = await c.request(ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: ['g'] });
        return r.coordinators[0]!.errorCode === 0 ? true : undefined;
      });
    } finally {
      c.close();
    }
    for (const id of [1, 2]) {
      const t = await waitFor(`the topic on broker ${id}`, () => cluster.broker(id).context.topicAdmin.topic(CONSUMER_OFFSETS_TOPIC));
      expect(t.configs).toEqual({ 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': '2097152' });
      const log = await waitFor(`the log on broker ${id}`, () => cluster.broker(id).context.topicRegistry.partitionLog(CONSUMER_OFFSETS_TOPIC, 0));
      expect(log.config['cleanup.policy']).toEqual(['compact']);
    }

    // As an earlier Rivulet created it: kept forever, not compacted.
    await cluster.broker(1).context.topicAdmin.setTopicConfigs(CONSUMER_OFFSETS_TOPIC, { 'retention.ms': '-1', 'segment.bytes': '2097152' });
    await waitFor('the old configs on broker 2', () => (cluster.broker(2).context.topicAdmin.topic(CONSUMER_OFFSETS_TOPIC)?.configs['cleanup.policy'] === undefined ? true : undefined));
    await cluster.stopNode(2);
    await cluster.startNode(2);
    for (const id of [1, 2]) {
      await waitFor(`compaction on broker ${id}`, () => (cluster.broker(id).context.topicAdmin.topic(CONSUMER_OFFSETS_TOPIC)?.configs['cleanup.policy'] === 'compact' ? true : undefined));
      expect(cluster.broker(id).context.topicAdmin.topic(CONSUMER_OFFSETS_TOPIC)!.configs).toEqual({ 'retention.ms': '-1', 'segment.bytes': '2097152', 'cleanup.policy': 'compact' });
      const log = await waitFor(`the log on broker ${id}`, () => cluster.broker(id).context.topicRegistry.partitionLog(CONSUMER_OFFSETS_TOPIC, 1));
      await waitFor(`the log config on broker ${id}`, () => (log.config['cleanup.policy'].includes('compact') ? true : undefined));
    }
  });

  it('a deleted topic loses its committed offsets on a coordinator that held no replica of it', async () => {
    const group = 'deleted-topic-group';
    const ask = await KafkaTestClient.connect(cluster.broker(1).port);
    const coordinator = await waitFor('a coordinator', async () => {
      const r = await ask.request(ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: [group] });
      return r.coordinators[0]!.errorCode === 0 ? r.coordinators[0]!.nodeId : undefined;
    });
    ask.close();
    const other = coordinator === 1 ? 2 : 1;
    const c = await KafkaTestClient.connect(cluster.broker(coordinator).port);
    try {
      const created = await c.request(ApiKey.CreateTopics, 7, {
        topics: [{ name: 'elsewhere', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [other] }], configs: [] }],
        timeoutMs: 10_000,
        validateOnly: false,
      });
      expect(created.topics[0]!.errorCode).toBe(0);
      await waitFor('the topic in the coordinator\'s metadata', () => cluster.broker(coordinator).context.metadata.topicByName('elsewhere'));
      const commit = await c.request(ApiKey.OffsetCommit, 8, { groupId: group, generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'elsewhere', partitions: [{ partitionIndex: 0, committedOffset: 42n }] }] });
      expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(0);
      expect(cluster.broker(coordinator).context.topicRegistry.topic('elsewhere')).toBeUndefined();
      const fetchOffsets = async () => (await c.request(ApiKey.OffsetFetch, 7, { groupId: group, topics: null, requireStable: false })).topics.map((t) => t.name);
      expect(await fetchOffsets()).toEqual(['elsewhere']);
      const deleted = await c.request(ApiKey.DeleteTopics, 4, { topicNames: ['elsewhere'], timeoutMs: 10_000 });
      expect(deleted.responses[0]!.errorCode).toBe(0);
      await waitFor('the offsets gone', async () => ((await fetchOffsets()).length === 0 ? true : undefined));
      expect(cluster.broker(coordinator).context.groupCoordinator!.group(group)).toBeUndefined();
    } finally {
      c.close();
    }
  });
});
