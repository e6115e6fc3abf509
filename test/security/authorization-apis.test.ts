// Each API's authorization (host-node/server/authorization/) on a broker with the built-in ACL authorizer
// (authorizer.class.name), over real sockets through the generated codecs: what a principal may not do is
// answered with Kafka's error, in request order, and never reaches the handler (nothing written, created or
// deleted); what it may do is served as without an authorizer. The connection's principal is User:ANONYMOUS
// (plaintext) unless a test names another one for its next connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../host-node/broker.js';
import { BrokerConfig } from '../../host-node/config/index.js';
import { silentLogger } from '../../host-node/util/log.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/wire/uuid.js';
import { encodeBatch } from '../../bindings/node.js';
import { AclOperation as Op, AclPermissionType, PatternType, ResourceType as RT, type AclBinding } from '../../host-node/security/acl.js';
import { ANONYMOUS, userPrincipal, type KafkaPrincipal } from '../../host-node/security/principal.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { sleep } from '../helpers/raw-client.js';

const T_DENIED = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
const G_DENIED = ErrorCode.GROUP_AUTHORIZATION_FAILED;
const C_DENIED = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
const bit = (...ops: number[]) => ops.reduce((a, o) => a | (1 << o), 0);

let broker: RunningBroker;
let dataDir: string;
let nextPrincipal: KafkaPrincipal = ANONYMOUS;
const clients: KafkaTestClient[] = [];

function acl(resourceType: RT, name: string, operation: Op, o: { principal?: string; deny?: boolean; prefixed?: boolean } = {}): AclBinding {
  return {
    pattern: { resourceType, name, patternType: o.prefixed ? PatternType.PREFIXED : PatternType.LITERAL },
    entry: { principal: o.principal ?? 'User:ANONYMOUS', host: '*', operation, permissionType: o.deny ? AclPermissionType.DENY : AclPermissionType.ALLOW },
  };
}

async function allow(...bindings: AclBinding[]): Promise<void> {
  const results = await broker.context.authorizer!.createAcls(bindings);
  expect(results.every((r) => r.errorCode === 0)).toBe(true);
}

async function client(principal: KafkaPrincipal = ANONYMOUS): Promise<KafkaTestClient> {
  nextPrincipal = principal;
  const c = await KafkaTestClient.connect(broker.port);
  clients.push(c);
  // The first request is dispatched after the broker accepted the connection and set its principal.
  await c.request(ApiKey.ApiVersions, 0, {});
  return c;
}

function createTopic(name: string, partitions = 1): string {
  broker.context.topicRegistry.createTopic({ name, numPartitions: partitions, replicationFactor: 1 });
  return broker.context.topicRegistry.topicByName(name)!.topicId;
}

const logEnd = (topic: string, p = 0) => broker.context.topicRegistry.partitionLog(topic, p)!.logEndOffset;
const records = (n = 1) => encodeBatch({ records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}`, timestamp: 1_700_000_000_000 + i })) });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rivulet-authz-'));
  const config = BrokerConfig.load({
    sets: { 'node.id': '1', 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'offsets.topic.replication.factor': '1' },
    flags: { host: '127.0.0.1', port: 0, dataDir },
  });
  broker = await startBroker({
    config,
    log: silentLogger,
    onConnection: (c) => {
      c.security.principal = nextPrincipal;
    },
  });
  expect(broker.context.requestAuthorization).toBeDefined();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await broker?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Produce', () => {
  it('writes to topics with WRITE; the others get TOPIC_AUTHORIZATION_FAILED in request order and stay unwritten', async () => {
    createTopic('p-ok');
    createTopic('p-no', 2);
    await allow(acl(RT.TOPIC, 'p-ok', Op.WRITE));
    const c = await client();
    for (const v of [3, 9]) {
      const r = await c.request(ApiKey.Produce, v, {
        acks: 1,
        timeoutMs: 5000,
        topicData: [
          { name: 'p-no', partitionData: [{ index: 0, records: records() }, { index: 1, records: records() }] },
          { name: 'p-ok', partitionData: [{ index: 0, records: records(2) }] },
        ],
      });
      expect(r.responses.map((t) => t.name)).toEqual(['p-no', 'p-ok']);
      expect(r.responses[0]!.partitionResponses.map((p) => [p.index, p.errorCode, p.baseOffset])).toEqual([
        [0, T_DENIED, -1n],
        [1, T_DENIED, -1n],
      ]);
      expect(r.responses[1]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    }
    expect(logEnd('p-ok')).toBe(4);
    expect(logEnd('p-no', 0)).toBe(0);
    expect(logEnd('p-no', 1)).toBe(0);
  });

  it('a request with only denied topics never reaches the handler; acks=0 closes the connection as Kafka does', async () => {
    createTopic('p-none');
    const c = await client();
    const r = await c.request(ApiKey.Produce, 9, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'p-none', partitionData: [{ index: 0, records: records() }] }] });
    expect(r.responses[0]!.partitionResponses[0]).toMatchObject({ index: 0, errorCode: T_DENIED, baseOffset: -1n, logStartOffset: -1n });
    c.send(ApiKey.Produce, 9, { acks: 0, timeoutMs: 5000, topicData: [{ name: 'p-none', partitionData: [{ index: 0, records: records() }] }] });
    await expect(c.raw.next(3000)).rejects.toThrow();
    expect(logEnd('p-none')).toBe(0);
  });

  it('a transactional produce needs WRITE on its transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED for all)', async () => {
    createTopic('p-txn');
    await allow(acl(RT.TOPIC, 'p-txn', Op.WRITE));
    const c = await client();
    const txnRecords = encodeBatch({ producerId: 7n, producerEpoch: 0, baseSequence: 0, transactional: true, records: [{ key: 'k', value: 'v', timestamp: 1_700_000_000_000 }] });
    for (const transactionalId of ['tx-1', null]) {
      const r = await c.request(ApiKey.Produce, 9, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: 'p-txn', partitionData: [{ index: 0, records: txnRecords }] }] });
      expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    }
    expect(logEnd('p-txn')).toBe(0);
  });

  it('the principal is the connection’s: User:alice may write where ANONYMOUS may not', async () => {
    createTopic('p-alice');
    await allow(acl(RT.TOPIC, 'p-alice', Op.WRITE, { principal: 'User:alice' }));
    const produce = (c: KafkaTestClient) =>
      c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'p-alice', partitionData: [{ index: 0, records: records() }] }] });
    expect((await produce(await client())).responses[0]!.partitionResponses[0]!.errorCode).toBe(T_DENIED);
    expect((await produce(await client(userPrincipal('alice')))).responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(logEnd('p-alice')).toBe(1);
  });
});

describe('Fetch, ListOffsets, OffsetForLeaderEpoch, DeleteRecords', () => {
  it('Fetch reads topics with READ; denied ones get TOPIC_AUTHORIZATION_FAILED, by name and by topic id', async () => {
    createTopic('f-ok');
    const noId = createTopic('f-no');
    const okId = broker.context.topicRegistry.topicByName('f-ok')!.topicId;
    await allow(acl(RT.TOPIC, 'f-ok', Op.READ), acl(RT.TOPIC, 'f-ok', Op.WRITE));
    const c = await client();
    await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'f-ok', partitionData: [{ index: 0, records: records(3) }] }] });
    const part = { partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n };
    const r12 = await c.request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topic: 'f-no', partitions: [part] }, { topic: 'f-ok', partitions: [part] }] });
    expect(r12.responses.map((t) => [t.topic, t.partitions[0]!.errorCode])).toEqual([
      ['f-no', T_DENIED],
      ['f-ok', 0],
    ]);
    expect(r12.responses[0]!.partitions[0]).toMatchObject({ highWatermark: -1n, logStartOffset: -1n });
    expect(r12.responses[1]!.partitions[0]!.records!.length).toBeGreaterThan(0);
    const r16 = await c.request(ApiKey.Fetch, 16, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topicId: okId, partitions: [part] }, { topicId: noId, partitions: [part] }] });
    expect(r16.responses.map((t) => [t.topicId, t.partitions[0]!.errorCode])).toEqual([
      [okId, 0],
      [noId, T_DENIED],
    ]);
  });

  it('a follower fetch (replica id ≥ 0) needs CLUSTER_ACTION on the cluster', async () => {
    createTopic('f-follower');
    await allow(acl(RT.TOPIC, 'f-follower', Op.READ));
    const c = await client();
    const part = { partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 };
    const r = await c.request(ApiKey.Fetch, 12, { replicaId: 2, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topic: 'f-follower', partitions: [part] }] });
    expect(r.responses[0]!.partitions[0]!.errorCode).toBe(T_DENIED);
  });

  it('ListOffsets and OffsetForLeaderEpoch need DESCRIBE, DeleteRecords DELETE', async () => {
    createTopic('l-ok');
    createTopic('l-no');
    await allow(acl(RT.TOPIC, 'l-ok', Op.DESCRIBE));
    const c = await client();
    for (const v of [0, 1, 7]) {
      const r = await c.request(ApiKey.ListOffsets, v, {
        replicaId: -1,
        topics: ['l-no', 'l-ok'].map((name) => ({ name, partitions: [{ partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }] })),
      });
      expect(r.topics.map((t) => [t.name, t.partitions[0]!.errorCode])).toEqual([
        ['l-no', T_DENIED],
        ['l-ok', 0],
      ]);
    }
    const e = await c.request(ApiKey.OffsetForLeaderEpoch, 4, {
      replicaId: -1,
      topics: ['l-ok', 'l-no'].map((topic) => ({ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] })),
    });
    expect(e.topics.map((t) => [t.topic, t.partitions[0]!.errorCode])).toEqual([
      ['l-ok', 0],
      ['l-no', T_DENIED],
    ]);
    const d = await c.request(ApiKey.DeleteRecords, 2, { timeoutMs: 5000, topics: [{ name: 'l-ok', partitions: [{ partitionIndex: 0, offset: 0n }] }] });
    expect(d.topics[0]!.partitions[0]).toMatchObject({ errorCode: T_DENIED, lowWatermark: -1n });
  });
});

describe('Metadata', () => {
  it('listing all topics hides those without DESCRIBE; naming one answers TOPIC_AUTHORIZATION_FAILED', async () => {
    createTopic('m-visible');
    createTopic('m-hidden');
    await allow(acl(RT.TOPIC, 'm-visible', Op.DESCRIBE));
    const c = await client();
    for (const v of [0, 1, 9, 12]) {
      const all = await c.request(ApiKey.Metadata, v, v < 4 ? { topics: v === 0 ? [] : null } : { topics: null, allowAutoTopicCreation: false });
      const names = all.topics.map((t) => t.name);
      expect(names).toContain('m-visible');
      expect(names).not.toContain('m-hidden');
    }
    const named = await c.request(ApiKey.Metadata, 12, { topics: [{ name: 'm-hidden' }, { name: 'm-visible' }, { name: 'm-not-there' }], allowAutoTopicCreation: false });
    expect(named.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['m-hidden', T_DENIED],
      ['m-visible', 0],
      ['m-not-there', T_DENIED],
    ]);
    expect(named.topics[0]).toMatchObject({ topicId: ZERO_UUID, partitions: [] });
  });

  it('auto-creation needs CREATE on the cluster or the topic', async () => {
    await allow(acl(RT.TOPIC, 'm-auto-', Op.DESCRIBE, { prefixed: true }), acl(RT.TOPIC, 'm-auto-yes', Op.CREATE));
    const c = await client();
    const r = await c.request(ApiKey.Metadata, 9, { topics: [{ name: 'm-auto-no' }, { name: 'm-auto-yes' }], allowAutoTopicCreation: true });
    expect(r.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['m-auto-no', T_DENIED],
      ['m-auto-yes', 0],
    ]);
    expect(broker.context.topicRegistry.topicByName('m-auto-no')).toBeUndefined();
    expect(broker.context.topicRegistry.topicByName('m-auto-yes')).toBeDefined();
  });

  it('authorized operations come from the ACLs', async () => {
    createTopic('m-ops');
    await allow(acl(RT.TOPIC, 'm-ops', Op.READ), acl(RT.TOPIC, 'm-ops', Op.ALTER_CONFIGS));
    const c = await client();
    const r = await c.request(ApiKey.Metadata, 10, { topics: [{ name: 'm-ops' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });
    // READ implies DESCRIBE, ALTER_CONFIGS implies DESCRIBE_CONFIGS (Kafka's implied operations).
    expect(r.topics[0]!.topicAuthorizedOperations).toBe(bit(Op.READ, Op.DESCRIBE, Op.ALTER_CONFIGS, Op.DESCRIBE_CONFIGS));
    expect(r.clusterAuthorizedOperations).toBe(0);
    const dc = await c.request(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 });
    expect(dc.errorCode).toBe(0);
    expect(dc.clusterAuthorizedOperations).toBe(0);
    await allow(acl(RT.CLUSTER, 'kafka-cluster', Op.DESCRIBE, { principal: 'User:ops' }), acl(RT.CLUSTER, 'kafka-cluster', Op.IDEMPOTENT_WRITE, { principal: 'User:ops' }));
    const ops = await client(userPrincipal('ops'));
    const dc2 = await ops.request(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 });
    expect(dc2.clusterAuthorizedOperations).toBe(bit(Op.DESCRIBE, Op.IDEMPOTENT_WRITE));
  });
});

describe('groups', () => {
  it('JoinGroup, SyncGroup, Heartbeat and LeaveGroup need READ on the group', async () => {
    const c = await client();
    const join = await c.request(ApiKey.JoinGroup, 7, {
      groupId: 'g-denied',
      sessionTimeoutMs: 10000,
      rebalanceTimeoutMs: 10000,
      memberId: '',
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: new Uint8Array(0) }],
    });
    expect(join).toMatchObject({ errorCode: G_DENIED, generationId: -1, memberId: '', protocolName: null, members: [] });
    expect((await c.request(ApiKey.SyncGroup, 5, { groupId: 'g-denied', generationId: 1, memberId: 'm', protocolType: 'consumer', protocolName: 'range', assignments: [] })).errorCode).toBe(G_DENIED);
    expect((await c.request(ApiKey.Heartbeat, 4, { groupId: 'g-denied', generationId: 1, memberId: 'm' })).errorCode).toBe(G_DENIED);
    expect((await c.request(ApiKey.LeaveGroup, 5, { groupId: 'g-denied', members: [{ memberId: 'm' }] })).errorCode).toBe(G_DENIED);
    expect(broker.context.groupCoordinator!.describe('g-denied').groupState).toBe('Dead');
  });

  it('FindCoordinator needs DESCRIBE on the group or transactional id (v3 whole, v4+ per key)', async () => {
    await allow(acl(RT.GROUP, 'g-find', Op.DESCRIBE));
    const c = await client();
    expect(await c.request(ApiKey.FindCoordinator, 3, { key: 'g-nope', keyType: 0 })).toMatchObject({ errorCode: G_DENIED, nodeId: -1 });
    expect((await c.request(ApiKey.FindCoordinator, 3, { key: 'tx', keyType: 1 })).errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const r = await c.request(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['g-nope', 'g-find'] });
    expect(r.coordinators.map((k) => [k.key, k.errorCode])).toEqual([
      ['g-nope', G_DENIED],
      ['g-find', 0],
    ]);
  });

  it('OffsetCommit needs READ on the group (all partitions fail) and on each topic; OffsetFetch DESCRIBE', async () => {
    createTopic('oc-ok');
    createTopic('oc-no');
    await allow(acl(RT.GROUP, 'g-oc', Op.READ), acl(RT.TOPIC, 'oc-ok', Op.READ));
    const c = await client();
    const commit = (groupId: string) =>
      c.request(ApiKey.OffsetCommit, 8, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: ['oc-no', 'oc-ok'].map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: '' }] })),
      });
    const denied = await commit('g-other');
    expect(denied.topics.map((t) => t.partitions[0]!.errorCode)).toEqual([G_DENIED, G_DENIED]);
    const mixed = await commit('g-oc');
    expect(mixed.topics.map((t) => [t.name, t.partitions[0]!.errorCode])).toEqual([
      ['oc-no', T_DENIED],
      ['oc-ok', 0],
    ]);

    // READ on the group implies DESCRIBE; the topics it may not describe are errors when named, left out when all are asked for.
    const named = await c.request(ApiKey.OffsetFetch, 7, { groupId: 'g-oc', topics: ['oc-ok', 'oc-no'].map((name) => ({ name, partitionIndexes: [0] })) });
    expect(named.errorCode).toBe(0);
    expect(Object.fromEntries(named.topics.map((t) => [t.name, [t.partitions[0]!.errorCode, t.partitions[0]!.committedOffset]]))).toEqual({ 'oc-ok': [0, 5n], 'oc-no': [T_DENIED, -1n] });
    const all = await c.request(ApiKey.OffsetFetch, 7, { groupId: 'g-oc', topics: null });
    expect(all.topics.map((t) => t.name)).toEqual(['oc-ok']);
    expect((await c.request(ApiKey.OffsetFetch, 7, { groupId: 'g-other', topics: null })).errorCode).toBe(G_DENIED);
    const v1 = await c.request(ApiKey.OffsetFetch, 1, { groupId: 'g-other', topics: [{ name: 'oc-ok', partitionIndexes: [0] }] });
    expect(v1.topics[0]!.partitions[0]!.errorCode).toBe(G_DENIED);
    const v8 = await c.request(ApiKey.OffsetFetch, 8, {
      groups: [
        { groupId: 'g-other', topics: null },
        { groupId: 'g-oc', topics: [{ name: 'oc-no', partitionIndexes: [0] }, { name: 'oc-ok', partitionIndexes: [0] }] },
      ],
    });
    expect(v8.groups.map((g) => [g.groupId, g.errorCode])).toEqual([
      ['g-other', G_DENIED],
      ['g-oc', 0],
    ]);
    expect(Object.fromEntries(v8.groups[1]!.topics.map((t) => [t.name, t.partitions[0]!.errorCode]))).toEqual({ 'oc-ok': 0, 'oc-no': T_DENIED });
  });

  it('DescribeGroups needs DESCRIBE (operations from the ACLs), ListGroups lists what may be described, DeleteGroups DELETE, OffsetDelete DELETE', async () => {
    await allow(acl(RT.GROUP, 'g-desc', Op.DESCRIBE), acl(RT.GROUP, 'g-desc', Op.DELETE));
    const c = await client();
    // Commit an offset as a super group member-less commit to make both groups exist (as alice, who may).
    await allow(acl(RT.GROUP, 'g-', Op.READ, { prefixed: true, principal: 'User:alice' }), acl(RT.TOPIC, 'oc-ok', Op.READ, { principal: 'User:alice' }));
    const alice = await client(userPrincipal('alice'));
    for (const groupId of ['g-desc', 'g-secret'])
      expect(
        (await alice.request(ApiKey.OffsetCommit, 8, { groupId, generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'oc-ok', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: '' }] }] }))
          .topics[0]!.partitions[0]!.errorCode,
      ).toBe(0);
    const d = await c.request(ApiKey.DescribeGroups, 5, { groups: ['g-secret', 'g-desc'], includeAuthorizedOperations: true });
    expect(d.groups.map((g) => [g.groupId, g.errorCode])).toEqual([
      ['g-secret', G_DENIED],
      ['g-desc', 0],
    ]);
    expect(d.groups[1]!.authorizedOperations).toBe(bit(Op.DESCRIBE, Op.DELETE));
    expect(d.groups[0]!.authorizedOperations).toBe(-2147483648);
    const listed = (await c.request(ApiKey.ListGroups, 4, { statesFilter: [] })).groups.map((g) => g.groupId);
    expect(listed).toContain('g-desc');
    expect(listed).not.toContain('g-secret');
    expect((await c.request(ApiKey.OffsetDelete, 0, { groupId: 'g-secret', topics: [{ name: 'oc-ok', partitions: [{ partitionIndex: 0 }] }] })).errorCode).toBe(G_DENIED);
    const od = await c.request(ApiKey.OffsetDelete, 0, { groupId: 'g-desc', topics: [{ name: 'oc-no', partitions: [{ partitionIndex: 0 }] }] });
    expect(od.topics[0]!.partitions[0]!.errorCode).toBe(T_DENIED);
    const del = await c.request(ApiKey.DeleteGroups, 2, { groupsNames: ['g-secret', 'g-desc'] });
    expect(del.results.map((r) => [r.groupId, r.errorCode])).toEqual([
      ['g-secret', G_DENIED],
      ['g-desc', 0],
    ]);
    expect(broker.context.groupCoordinator!.describe('g-secret').groupState).not.toBe('Dead');
  });
});

describe('topic and config administration', () => {
  it('CreateTopics needs CREATE on the cluster or the topic; configs only with DESCRIBE_CONFIGS', async () => {
    await allow(acl(RT.TOPIC, 'ct-yes', Op.CREATE), acl(RT.TOPIC, 'ct-cfg', Op.CREATE), acl(RT.TOPIC, 'ct-cfg', Op.DESCRIBE_CONFIGS));
    const c = await client();
    const topic = (name: string) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] });
    const r = await c.request(ApiKey.CreateTopics, 7, { topics: [topic('ct-no'), topic('ct-yes'), topic('ct-cfg')], timeoutMs: 5000 });
    expect(r.topics.map((t) => [t.name, t.errorCode, t.topicConfigErrorCode])).toEqual([
      ['ct-no', T_DENIED, T_DENIED],
      ['ct-yes', 0, T_DENIED],
      ['ct-cfg', 0, 0],
    ]);
    expect(r.topics[1]!.configs).toEqual([]);
    expect(r.topics[2]!.configs!.length).toBeGreaterThan(0);
    expect(broker.context.topicRegistry.topicByName('ct-no')).toBeUndefined();
    expect(broker.context.topicRegistry.topicByName('ct-yes')).toBeDefined();
  });

  it('DeleteTopics needs DELETE (and DESCRIBE to be told the name when asked by id); CreatePartitions ALTER', async () => {
    createTopic('dt-no');
    const secretId = createTopic('dt-secret');
    createTopic('dt-yes');
    await allow(acl(RT.TOPIC, 'dt-yes', Op.DELETE), acl(RT.TOPIC, 'dt-no', Op.DESCRIBE));
    const c = await client();
    const r = await c.request(ApiKey.DeleteTopics, 6, { topics: [{ name: 'dt-no' }, { name: null, topicId: secretId }, { name: 'dt-yes' }], timeoutMs: 5000 });
    expect(r.responses.map((t) => [t.name, t.errorCode])).toEqual([
      ['dt-no', T_DENIED],
      [null, T_DENIED],
      ['dt-yes', 0],
    ]);
    expect(broker.context.topicRegistry.topicByName('dt-no')).toBeDefined();
    expect(broker.context.topicRegistry.topicByName('dt-secret')).toBeDefined();
    const v3 = await c.request(ApiKey.DeleteTopics, 3, { topicNames: ['dt-no'], timeoutMs: 5000 });
    expect(v3.responses[0]!.errorCode).toBe(T_DENIED);
    const cp = await c.request(ApiKey.CreatePartitions, 3, { topics: [{ name: 'dt-no', count: 3, assignments: null }], timeoutMs: 5000, validateOnly: false });
    expect(cp.results[0]!.errorCode).toBe(T_DENIED);
    expect(broker.context.topicRegistry.topicByName('dt-no')!.partitions.length).toBe(1);
  });

  it('DescribeConfigs needs DESCRIBE_CONFIGS, AlterConfigs and IncrementalAlterConfigs ALTER_CONFIGS (brokers: on the cluster)', async () => {
    createTopic('cfg-ok');
    createTopic('cfg-no');
    await allow(acl(RT.TOPIC, 'cfg-ok', Op.ALTER_CONFIGS));
    const c = await client();
    const d = await c.request(ApiKey.DescribeConfigs, 4, {
      resources: [
        { resourceType: 2, resourceName: 'cfg-no', configurationKeys: null },
        { resourceType: 4, resourceName: '1', configurationKeys: null },
        { resourceType: 2, resourceName: 'cfg-ok', configurationKeys: ['retention.ms'] },
      ],
    });
    expect(d.results.map((x) => [x.resourceName, x.errorCode])).toEqual([
      ['cfg-no', T_DENIED],
      ['1', C_DENIED],
      ['cfg-ok', 0],
    ]);
    expect(d.results[0]!.configs).toEqual([]);
    const alter = await c.request(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [
        { resourceType: 2, resourceName: 'cfg-no', configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }] },
        { resourceType: 2, resourceName: 'cfg-ok', configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }] },
        { resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '1000' }] },
      ],
    });
    expect(alter.responses.map((x) => [x.resourceName, x.errorCode])).toEqual([
      ['cfg-no', T_DENIED],
      ['cfg-ok', 0],
      ['', C_DENIED],
    ]);
    expect(broker.context.topicRegistry.topicConfig('cfg-no')?.['retention.ms']).not.toBe(1000);
    const legacy = await c.request(ApiKey.AlterConfigs, 2, { resources: [{ resourceType: 2, resourceName: 'cfg-no', configs: [{ name: 'retention.ms', value: '1' }] }] });
    expect(legacy.responses[0]!.errorCode).toBe(T_DENIED);
  });
});

describe('cluster APIs and producer ids', () => {
  it('DescribeLogDirs, ElectLeaders, partition reassignments need their cluster operation', async () => {
    const c = await client();
    expect((await c.request(ApiKey.DescribeLogDirs, 4, { topics: null })).errorCode).toBe(C_DENIED);
    const el = await c.request(ApiKey.ElectLeaders, 2, { electionType: 0, topicPartitions: [{ topic: 'x', partitions: [0] }], timeoutMs: 1000 });
    expect(el.errorCode).toBe(C_DENIED);
    expect(el.replicaElectionResults[0]!.partitionResult[0]!.errorCode).toBe(C_DENIED);
    const ar = await c.request(ApiKey.AlterPartitionReassignments, 0, { timeoutMs: 1000, topics: [{ name: 'x', partitions: [{ partitionIndex: 0, replicas: [1] }] }] });
    expect(ar.errorCode).toBe(C_DENIED);
    expect((await c.request(ApiKey.ListPartitionReassignments, 0, { timeoutMs: 1000, topics: null })).errorCode).toBe(C_DENIED);
  });

  it('CreateAcls and DeleteAcls need ALTER on the cluster, DescribeAcls DESCRIBE', async () => {
    const c = await client(userPrincipal('nobody'));
    const binding = { resourceType: RT.TOPIC, resourceName: 'x', resourcePatternType: PatternType.LITERAL, principal: 'User:nobody', host: '*', operation: Op.ALL, permissionType: AclPermissionType.ALLOW };
    const created = await c.request(ApiKey.CreateAcls, 3, { creations: [binding] });
    expect(created.results.map((r) => r.errorCode)).toEqual([C_DENIED]);
    expect(broker.context.authorizer!.describeAcls({ resourceType: RT.TOPIC, name: 'x', patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permissionType: AclPermissionType.ANY })).toEqual([]);
    const filter = { resourceTypeFilter: RT.ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: AclPermissionType.ANY };
    const described = await c.request(ApiKey.DescribeAcls, 3, filter);
    expect(described).toMatchObject({ errorCode: C_DENIED, resources: [] });
    const before = broker.context.authorizer!.describeAcls({ ...filter, resourceType: RT.ANY, name: null, patternType: PatternType.ANY, principal: null, host: null }).length;
    expect(before).toBeGreaterThan(0);
    const deleted = await c.request(ApiKey.DeleteAcls, 3, { filters: [filter] });
    expect(deleted.filterResults.map((r) => r.errorCode)).toEqual([C_DENIED]);
    expect(broker.context.authorizer!.describeAcls({ ...filter, resourceType: RT.ANY, name: null, patternType: PatternType.ANY, principal: null, host: null }).length).toBe(before);
  });

  it('InitProducerId: IDEMPOTENT_WRITE on the cluster or WRITE on any topic; a transactional id needs WRITE on it', async () => {
    const nobody = await client(userPrincipal('nobody'));
    expect(await nobody.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 1000 })).toMatchObject({ errorCode: C_DENIED, producerId: -1n });
    expect((await nobody.request(ApiKey.InitProducerId, 4, { transactionalId: 'tx', transactionTimeoutMs: 1000 })).errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    await allow(acl(RT.TOPIC, 'any-topic', Op.WRITE, { principal: 'User:writer' }));
    const writer = await client(userPrincipal('writer'));
    const r = await writer.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 1000 });
    expect(r.errorCode).toBe(0);
    expect(r.producerId).toBeGreaterThanOrEqual(0n);
  });

  it('ApiVersions is served to anyone', async () => {
    const c = await client(userPrincipal('nobody'));
    expect((await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })).errorCode).toBe(0);
    await sleep(0);
  });
});
