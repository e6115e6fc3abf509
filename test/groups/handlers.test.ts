// Every group API, every version, through the generated codecs over real sockets to a real broker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { startDataBroker, type DataBroker } from '../helpers/data-broker.js';
import { GROUP_OPERATIONS } from '../../host-node/server/authorized-operations.js';
import { assignment, subscription } from './helpers.js';

let b: DataBroker;
const clients: KafkaTestClient[] = [];
async function client(): Promise<KafkaTestClient> {
  const c = await KafkaTestClient.connect(b.port);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  b = await startDataBroker({ sets: { 'group.initial.rebalance.delay.ms': '0' } });
  b.createTopic('t', 4);
  b.createTopic('u', 2);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await b.dispose();
});

const SUB = subscription(['t']);

/** Joins a group alone at JoinGroup version `v` (handling MEMBER_ID_REQUIRED for v4+), then syncs. */
async function joinAlone(c: KafkaTestClient, groupId: string, v: number, instanceId: string | null = null) {
  const body = { groupId, sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', groupInstanceId: v >= 5 ? instanceId : null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: SUB }] };
  let r = await c.request(ApiKey.JoinGroup, v, body);
  if (v >= 4 && instanceId === null) {
    expect(r.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(r.memberId).toMatch(/^rivulet-test-/);
    r = await c.request(ApiKey.JoinGroup, v, { ...body, memberId: r.memberId });
  }
  expect(r.errorCode).toBe(0);
  expect(r.generationId).toBe(1);
  expect(r.leader).toBe(r.memberId);
  expect(r.protocolName).toBe('range');
  expect(r.protocolType).toBe(v >= 7 ? 'consumer' : null);
  expect(r.members).toHaveLength(1);
  expect(Buffer.from(r.members[0]!.metadata).equals(Buffer.from(SUB))).toBe(true);
  expect(r.members[0]!.groupInstanceId).toBe(v >= 5 ? instanceId : null);
  const sv = Math.min(v, 5);
  const a = assignment([{ topic: 't', partitions: [0, 1, 2, 3] }]);
  const s = await c.request(ApiKey.SyncGroup, sv, {
    groupId,
    generationId: 1,
    memberId: r.memberId,
    groupInstanceId: sv >= 3 ? instanceId : null,
    protocolType: sv >= 5 ? 'consumer' : null,
    protocolName: sv >= 5 ? 'range' : null,
    assignments: [{ memberId: r.memberId, assignment: a }],
  });
  expect(s.errorCode).toBe(0);
  expect(Buffer.from(s.assignment).equals(Buffer.from(a))).toBe(true);
  if (sv >= 5) expect([s.protocolType, s.protocolName]).toEqual(['consumer', 'range']);
  return { memberId: r.memberId, generationId: r.generationId };
}

describe('FindCoordinator', () => {
  it('answers this node for group and transaction keys, every version; INVALID_REQUEST for other key types', async () => {
    const c = await client();
    for (let v = 0; v <= 3; v++) {
      const r = await c.request(ApiKey.FindCoordinator, v, { key: 'grp', keyType: v >= 1 ? 1 : 0 });
      expect(r).toMatchObject({ errorCode: 0, nodeId: 1, host: '127.0.0.1', port: b.port });
    }
    for (let v = 4; v <= 6; v++) {
      const r = await c.request(ApiKey.FindCoordinator, v, { keyType: 0, coordinatorKeys: ['a', 'b'] });
      expect(r.coordinators.map((x) => [x.key, x.nodeId, x.host, x.port, x.errorCode])).toEqual([
        ['a', 1, '127.0.0.1', b.port, 0],
        ['b', 1, '127.0.0.1', b.port, 0],
      ]);
    }
    const bad = await c.request(ApiKey.FindCoordinator, 4, { keyType: 7, coordinatorKeys: ['x'] });
    expect(bad.coordinators[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    // Like Kafka, the first lookup created the internal offsets topic.
    const md = await c.request(ApiKey.Metadata, 12, { topics: [{ name: '__consumer_offsets', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false });
    expect(md.topics[0]).toMatchObject({ errorCode: 0, name: '__consumer_offsets', isInternal: true });
    expect(md.topics[0]!.partitions).toHaveLength(50);
  });
});

describe('the classic protocol at every version', () => {
  for (let v = 0; v <= 9; v++) {
    it(`JoinGroup v${v} / SyncGroup v${Math.min(v, 5)} / Heartbeat v${Math.min(v, 4)} / OffsetCommit+Fetch v${v} / LeaveGroup v${Math.min(v, 5)}`, async () => {
      const c = await client();
      const groupId = `g-v${v}`;
      const { memberId } = await joinAlone(c, groupId, v);
      const hv = Math.min(v, 4);
      expect((await c.request(ApiKey.Heartbeat, hv, { groupId, generationId: 1, memberId })).errorCode).toBe(0);
      expect((await c.request(ApiKey.Heartbeat, hv, { groupId, generationId: 2, memberId })).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
      expect((await c.request(ApiKey.Heartbeat, hv, { groupId, generationId: 1, memberId: 'nobody' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);

      // Commit as the member (v1+), or standalone into another group (v0 carries no generation).
      const commitGroup = v === 0 ? `${groupId}-standalone` : groupId;
      const cr = await c.request(ApiKey.OffsetCommit, v, {
        groupId: commitGroup,
        generationIdOrMemberEpoch: v >= 1 ? 1 : -1,
        memberId: v >= 1 ? memberId : '',
        retentionTimeMs: -1n,
        topics: [
          { name: 't', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: v >= 6 ? 3 : -1, commitTimestamp: -1n, committedMetadata: 'meta' }] },
          { name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1n }] },
          { name: 'u', partitions: [{ partitionIndex: 5, committedOffset: 1n }] },
        ],
      });
      expect(cr.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])])).toEqual([
        ['t', [[0, 0]]],
        ['nope', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
        ['u', [[5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
      ]);
      if (v >= 1) {
        const stale = await c.request(ApiKey.OffsetCommit, v, { groupId, generationIdOrMemberEpoch: 0, memberId, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n }] }] });
        expect(stale.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
      }

      // Fetch: committed partition 0, -1 for partition 1.
      const expectEpoch = v >= 5 && v >= 6 ? 3 : -1;
      if (v >= 8) {
        const fr = await c.request(ApiKey.OffsetFetch, v, {
          groups: [
            { groupId: commitGroup, memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [0, 1] }] },
            { groupId: commitGroup, memberId: null, memberEpoch: -1, topics: null },
            { groupId: 'never-seen', memberId: null, memberEpoch: -1, topics: null },
          ],
          requireStable: true,
        });
        expect(fr.groups.map((g) => g.errorCode)).toEqual([0, 0, 0]);
        expect(fr.groups[0]!.topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.committedLeaderEpoch, p.metadata, p.errorCode])).toEqual([
          [0, 42n, expectEpoch, 'meta', 0],
          [1, -1n, -1, '', 0],
        ]);
        expect(fr.groups[1]!.topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)])).toEqual([['t', [42n]]]);
        expect(fr.groups[2]!.topics).toEqual([]);
      } else {
        const fr = await c.request(ApiKey.OffsetFetch, v, { groupId: commitGroup, topics: [{ name: 't', partitionIndexes: [0, 1] }], requireStable: v >= 7 });
        expect(fr.errorCode).toBe(0);
        expect(fr.topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.committedLeaderEpoch, p.metadata, p.errorCode])).toEqual([
          [0, 42n, v >= 5 ? expectEpoch : -1, 'meta', 0],
          [1, -1n, -1, '', 0],
        ]);
        if (v >= 2) {
          const all = await c.request(ApiKey.OffsetFetch, v, { groupId: commitGroup, topics: null });
          expect(all.topics.map((t) => t.name)).toEqual(['t']);
        }
      }

      // Leave: the group becomes Empty (generation 2).
      const lv = Math.min(v, 5);
      if (lv >= 3) {
        const lr = await c.request(ApiKey.LeaveGroup, lv, { groupId, members: [{ memberId, groupInstanceId: null, reason: lv >= 5 ? 'test' : null }, { memberId: 'ghost', groupInstanceId: null }] });
        expect(lr.errorCode).toBe(0);
        expect(lr.members.map((m) => [m.memberId, m.errorCode])).toEqual([
          [memberId, 0],
          ['ghost', ErrorCode.UNKNOWN_MEMBER_ID],
        ]);
      } else {
        expect((await c.request(ApiKey.LeaveGroup, lv, { groupId, memberId })).errorCode).toBe(0);
        expect((await c.request(ApiKey.LeaveGroup, lv, { groupId, memberId })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      }
      const d = await c.request(ApiKey.DescribeGroups, 0, { groups: [groupId] });
      expect(d.groups[0]).toMatchObject({ errorCode: 0, groupState: 'Empty', protocolType: 'consumer', members: [] });
      expect((await c.request(ApiKey.Heartbeat, hv, { groupId, generationId: 1, memberId })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    });
  }
});

describe('two members over two connections', () => {
  it('the leader gets the member list, the follower waits for the assignment; a rebalance shows in heartbeats', async () => {
    const [c1, c2] = [await client(), await client()];
    const groupId = 'pair';
    const body = (memberId = '') => ({ groupId, sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId, protocolType: 'consumer', protocols: [{ name: 'range', metadata: SUB }] });
    const id1 = (await c1.request(ApiKey.JoinGroup, 9, body())).memberId;
    const id2 = (await c2.request(ApiKey.JoinGroup, 9, body())).memberId;
    const corr1 = c1.send(ApiKey.JoinGroup, 9, body(id1));
    const corr2 = c2.send(ApiKey.JoinGroup, 9, body(id2));
    const [j1, j2] = await Promise.all([c1.recv(ApiKey.JoinGroup, 9), c2.recv(ApiKey.JoinGroup, 9)]);
    expect([j1.correlationId, j2.correlationId]).toEqual([corr1, corr2]);
    const leader = j1.body.leader;
    expect([j1.body.generationId, j2.body.generationId]).toEqual([1, 1]);
    const [L, F] = leader === id1 ? [{ c: c1, id: id1, j: j1.body }, { c: c2, id: id2, j: j2.body }] : [{ c: c2, id: id2, j: j2.body }, { c: c1, id: id1, j: j1.body }];
    expect(L.j.members.map((m) => m.memberId).sort()).toEqual([id1, id2].sort());
    expect(F.j.members).toEqual([]);
    const aL = assignment([{ topic: 't', partitions: [0, 1] }]);
    const aF = assignment([{ topic: 't', partitions: [2, 3] }]);
    F.c.send(ApiKey.SyncGroup, 5, { groupId, generationId: 1, memberId: F.id, protocolType: 'consumer', protocolName: 'range', assignments: [] });
    const sL = await L.c.request(ApiKey.SyncGroup, 5, { groupId, generationId: 1, memberId: L.id, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: L.id, assignment: aL }, { memberId: F.id, assignment: aF }] });
    const sF = (await F.c.recv(ApiKey.SyncGroup, 5)).body;
    expect(Buffer.from(sL.assignment).equals(Buffer.from(aL))).toBe(true);
    expect(Buffer.from(sF.assignment).equals(Buffer.from(aF))).toBe(true);

    for (let v = 0; v <= 5; v++) {
      const d = await L.c.request(ApiKey.DescribeGroups, v, { groups: [groupId, 'unknown-group'], includeAuthorizedOperations: v >= 3 });
      const g = d.groups[0]!;
      expect(g).toMatchObject({ errorCode: 0, groupId, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
      expect(g.authorizedOperations).toBe(v >= 3 ? GROUP_OPERATIONS : -2147483648);
      const mF = g.members.find((m) => m.memberId === F.id)!;
      expect(mF).toMatchObject({ clientId: 'rivulet-test', clientHost: '/127.0.0.1', groupInstanceId: null });
      expect(Buffer.from(mF.memberAssignment).equals(Buffer.from(aF))).toBe(true);
      expect(Buffer.from(mF.memberMetadata).equals(Buffer.from(SUB))).toBe(true);
      expect(d.groups[1]).toMatchObject({ errorCode: 0, groupId: 'unknown-group', groupState: 'Dead', members: [] });
    }

    // A new subscription from the follower: the leader's heartbeat says REBALANCE_IN_PROGRESS.
    F.c.send(ApiKey.JoinGroup, 9, { ...body(F.id), protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }] });
    expect((await L.c.request(ApiKey.Heartbeat, 4, { groupId, generationId: 1, memberId: L.id })).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const d = await L.c.request(ApiKey.DescribeGroups, 5, { groups: [groupId] });
    expect(d.groups[0]).toMatchObject({ groupState: 'PreparingRebalance', protocolData: '' });
    expect(Buffer.from(d.groups[0]!.members[0]!.memberMetadata)).toHaveLength(0);
    const rj = await L.c.request(ApiKey.JoinGroup, 9, body(L.id));
    expect(rj.generationId).toBe(2);
    expect((await F.c.recv(ApiKey.JoinGroup, 9)).body.generationId).toBe(2);
    // Clean up: both leave (v3+ batch in one request).
    const lr = await L.c.request(ApiKey.LeaveGroup, 5, { groupId, members: [{ memberId: L.id, groupInstanceId: null }, { memberId: F.id, groupInstanceId: null }] });
    expect(lr.members.map((m) => m.errorCode)).toEqual([0, 0]);
  });

  it('static members (v5+): rejoin with the same instance id fences the old member id', async () => {
    const c = await client();
    const first = await joinAlone(c, 'static', 5, 'inst-1');
    const body = { groupId: 'static', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', groupInstanceId: 'inst-1', protocolType: 'consumer', protocols: [{ name: 'range', metadata: SUB }] };
    const again = await c.request(ApiKey.JoinGroup, 9, body);
    expect(again).toMatchObject({ errorCode: 0, generationId: 1, skipAssignment: true });
    expect(again.memberId).not.toBe(first.memberId);
    expect((await c.request(ApiKey.Heartbeat, 3, { groupId: 'static', generationId: 1, memberId: first.memberId, groupInstanceId: 'inst-1' })).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await c.request(ApiKey.Heartbeat, 3, { groupId: 'static', generationId: 1, memberId: again.memberId, groupInstanceId: 'inst-1' })).errorCode).toBe(0);
    const d = await c.request(ApiKey.DescribeGroups, 5, { groups: ['static'] });
    expect(d.groups[0]!.members.map((m) => [m.memberId, m.groupInstanceId])).toEqual([[again.memberId, 'inst-1']]);
    const lr = await c.request(ApiKey.LeaveGroup, 4, { groupId: 'static', members: [{ memberId: '', groupInstanceId: 'inst-1' }] });
    expect(lr.members[0]!.errorCode).toBe(0);
  });
});

describe('admin APIs', () => {
  it('ListGroups (state and type filters), DeleteGroups, OffsetDelete', async () => {
    const c = await client();
    const { memberId } = await joinAlone(c, 'active-1', 9);
    await c.request(ApiKey.OffsetCommit, 8, { groupId: 'solo-1', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 5n }] }] });
    for (let v = 0; v <= 5; v++) {
      const r = await c.request(ApiKey.ListGroups, v, { statesFilter: [], typesFilter: [] });
      expect(r.errorCode).toBe(0);
      const active = r.groups.find((g) => g.groupId === 'active-1')!;
      expect(active).toMatchObject({ protocolType: 'consumer', groupState: v >= 4 ? 'Stable' : '', groupType: v >= 5 ? 'classic' : '' });
      expect(r.groups.find((g) => g.groupId === 'solo-1')).toMatchObject({ protocolType: '' });
    }
    const stable = await c.request(ApiKey.ListGroups, 4, { statesFilter: ['STABLE'] });
    expect(stable.groups.map((g) => g.groupId)).toContain('active-1');
    expect(stable.groups.map((g) => g.groupId)).not.toContain('solo-1');
    expect((await c.request(ApiKey.ListGroups, 5, { typesFilter: ['consumer'] })).groups).toEqual([]);
    expect((await c.request(ApiKey.ListGroups, 5, { typesFilter: ['Classic'], statesFilter: ['empty'] })).groups.map((g) => g.groupId)).toContain('solo-1');

    // OffsetDelete: subscribed topic refused while active; another topic's offsets go.
    await c.request(ApiKey.OffsetCommit, 8, {
      groupId: 'active-1',
      generationIdOrMemberEpoch: 1,
      memberId,
      topics: [
        { name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n }] },
        { name: 'u', partitions: [{ partitionIndex: 0, committedOffset: 2n }] },
      ],
    });
    const od = await c.request(ApiKey.OffsetDelete, 0, {
      groupId: 'active-1',
      topics: [
        { name: 't', partitions: [{ partitionIndex: 0 }] },
        { name: 'u', partitions: [{ partitionIndex: 0 }] },
      ],
    });
    expect(od.errorCode).toBe(0);
    expect(od.topics.map((t) => [t.name, t.partitions[0]!.errorCode])).toEqual([
      ['t', ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC],
      ['u', 0],
    ]);
    expect((await c.request(ApiKey.OffsetDelete, 0, { groupId: 'missing', topics: [] })).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);

    for (let v = 0; v <= 2; v++) {
      const groupId = `del-${v}`;
      await c.request(ApiKey.OffsetCommit, 2, { groupId, generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: 60000n, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n }] }] });
      const r = await c.request(ApiKey.DeleteGroups, v, { groupsNames: [groupId, 'active-1', 'missing'] });
      expect(r.results.map((x) => [x.groupId, x.errorCode])).toEqual([
        [groupId, 0],
        ['active-1', ErrorCode.NON_EMPTY_GROUP],
        ['missing', ErrorCode.GROUP_ID_NOT_FOUND],
      ]);
      const f = await c.request(ApiKey.OffsetFetch, 5, { groupId, topics: [{ name: 't', partitionIndexes: [0] }] });
      expect(f.topics[0]!.partitions[0]!.committedOffset).toBe(-1n);
    }
  });

  it('requests the coordinator refuses: empty group ids, bad session timeouts', async () => {
    const c = await client();
    const body = { groupId: '', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: SUB }] };
    expect((await c.request(ApiKey.JoinGroup, 9, body)).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await c.request(ApiKey.JoinGroup, 9, { ...body, groupId: 'x', sessionTimeoutMs: 10 })).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await c.request(ApiKey.SyncGroup, 5, { groupId: 'x', generationId: 1, memberId: 'm' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});
