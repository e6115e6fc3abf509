// Offsets and group metadata in __consumer_offsets: what is on disk (read with the test's own decoder from
// Kafka's documented formats), and what a restarted broker loads from it.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { startDataBroker, type DataBroker } from '../helpers/data-broker.js';
import { assignment, subscription } from './helpers.js';
import { decodeGroupValue, decodeKey, decodeOffsetValue, javaHash, readSegment } from './independent-decoder.js';

const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-groups-persist-'));
const sets = { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '7' };
const open: (DataBroker | KafkaTestClient)[] = [];
afterAll(async () => {
  for (const x of open) if (x instanceof KafkaTestClient) x.close();
  for (const x of open) if (!(x instanceof KafkaTestClient)) await x.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function recordsOf(partition: number) {
  const dir = join(dataDir, `__consumer_offsets-${partition}`);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .flatMap((f) => readSegment(readFileSync(join(dir, f))));
}

describe('__consumer_offsets', () => {
  it('holds Kafka-format records, and a restarted broker serves the same offsets and group', async () => {
    const b1 = await startDataBroker({ dataDir, sets });
    open.push(b1);
    b1.createTopic('t', 3);
    const c = await KafkaTestClient.connect(b1.port);
    open.push(c);
    const groupId = 'persisted-group';
    const sub = subscription(['t']);
    const join1 = await c.request(ApiKey.JoinGroup, 5, { groupId, sessionTimeoutMs: 30000, rebalanceTimeoutMs: 20000, memberId: '', groupInstanceId: 'static-1', protocolType: 'consumer', protocols: [{ name: 'range', metadata: sub }] });
    expect(join1.errorCode).toBe(0);
    const memberId = join1.memberId;
    const a = assignment([{ topic: 't', partitions: [0, 1, 2] }]);
    expect((await c.request(ApiKey.SyncGroup, 3, { groupId, generationId: 1, memberId, groupInstanceId: 'static-1', assignments: [{ memberId, assignment: a }] })).errorCode).toBe(0);
    const commit = (offset: bigint, partition = 0) =>
      c.request(ApiKey.OffsetCommit, 7, { groupId, generationIdOrMemberEpoch: 1, memberId, groupInstanceId: 'static-1', topics: [{ name: 't', partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: 0, committedMetadata: `at ${offset}` }] }] });
    expect((await commit(10n)).topics[0]!.partitions[0]!.errorCode).toBe(0);
    expect((await commit(20n)).topics[0]!.partitions[0]!.errorCode).toBe(0);
    expect((await commit(5n, 2)).topics[0]!.partitions[0]!.errorCode).toBe(0);
    // A standalone group that is then deleted: only tombstones remain for it.
    await c.request(ApiKey.OffsetCommit, 8, { groupId: 'doomed', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 3n }] }] });
    expect((await c.request(ApiKey.DeleteGroups, 2, { groupsNames: ['doomed'] })).results[0]!.errorCode).toBe(0);

    // On disk, in the partition Kafka would use: abs(hashCode) % 7.
    const p = Math.abs(javaHash(groupId)) % 7;
    const recs = recordsOf(p).map((r) => ({ key: decodeKey(r.key!), value: r.value }));
    const groupRecs = recs.filter((r) => r.key.type === 'group' && r.key.group === groupId);
    expect(groupRecs).toHaveLength(1);
    const gv = decodeGroupValue(groupRecs[0]!.value!);
    expect(gv).toMatchObject({ version: 3, protocolType: 'consumer', generation: 1, protocol: 'range', leader: memberId });
    expect(gv.currentStateTimestamp).toBeGreaterThan(0n);
    expect(gv.members).toHaveLength(1);
    expect(gv.members[0]).toMatchObject({ memberId, groupInstanceId: 'static-1', clientId: 'rivulet-test', clientHost: '/127.0.0.1', rebalanceTimeout: 20000, sessionTimeout: 30000 });
    expect(gv.members[0]!.subscription.equals(Buffer.from(sub))).toBe(true);
    expect(gv.members[0]!.assignment.equals(Buffer.from(a))).toBe(true);
    const offsetRecs = recs.filter((r) => r.key.type === 'offset' && r.key.group === groupId);
    expect(offsetRecs.map((r) => [r.key, decodeOffsetValue(r.value!)]).map(([k, v]) => [(k as { partition: number }).partition, (v as { offset: bigint }).offset, (v as { version: number }).version, (v as { metadata: string }).metadata])).toEqual([
      [0, 10n, 3, 'at 10'],
      [0, 20n, 3, 'at 20'],
      [2, 5n, 3, 'at 5'],
    ]);
    const pd = Math.abs(javaHash('doomed')) % 7;
    const doomed = recordsOf(pd).map((r) => ({ key: decodeKey(r.key!), value: r.value })).filter((r) => r.key.group === 'doomed');
    expect(doomed.map((r) => [r.key.type, r.value === null])).toEqual([
      ['offset', false],
      ['offset', true],
      ['group', true],
    ]);

    // Restart on the same data dir.
    c.close();
    await b1.close();
    const b2 = await startDataBroker({ dataDir, sets });
    open.push(b2);
    const c2 = await KafkaTestClient.connect(b2.port);
    open.push(c2);
    const f = await c2.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId, topics: null }, { groupId: 'doomed', topics: null }] });
    expect(f.groups[0]!.topics[0]!.partitions.map((x) => [x.partitionIndex, x.committedOffset, x.committedLeaderEpoch, x.metadata])).toEqual([
      [0, 20n, 0, 'at 20'],
      [2, 5n, 0, 'at 5'],
    ]);
    expect(f.groups[1]!.topics).toEqual([]);
    const d = await c2.request(ApiKey.DescribeGroups, 5, { groups: [groupId] });
    expect(d.groups[0]).toMatchObject({ groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(d.groups[0]!.members.map((m) => [m.memberId, m.groupInstanceId, Buffer.from(m.memberAssignment).equals(Buffer.from(a))])).toEqual([[memberId, 'static-1', true]]);
    // The member carries on where it was: heartbeat and commit in generation 1.
    expect((await c2.request(ApiKey.Heartbeat, 4, { groupId, generationId: 1, memberId, groupInstanceId: 'static-1' })).errorCode).toBe(0);
    const l = await c2.request(ApiKey.ListGroups, 4, {});
    expect(l.groups.map((g) => g.groupId)).toEqual([groupId]);
  });
});
