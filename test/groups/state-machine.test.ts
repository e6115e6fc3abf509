// The classic group state machine, driven directly through GroupCoordinator with a manual clock (every
// timeout deterministic) and real storage for __consumer_offsets.
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { ManualClock } from './manual-clock.js';
import { assignment, harness, joinParams, settle, subscription, track, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Joins one new member (v4+ style: MEMBER_ID_REQUIRED, then join with the id) and returns its id. */
async function newMemberId(groupId: string, over = {}): Promise<string> {
  const r = await h!.c.join(joinParams(groupId, { requireKnownMemberId: true, ...over }));
  expect(r.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  expect(r.memberId).toMatch(/^client-[0-9a-f-]{36}$/);
  return r.memberId;
}

describe('ManualClock', () => {
  it('fires timers in deadline order, including ones set while firing', () => {
    const c = new ManualClock(0);
    const seen: string[] = [];
    c.setTimeout(() => seen.push('b'), 20);
    c.setTimeout(() => {
      seen.push('a');
      c.setTimeout(() => seen.push('c'), 15);
    }, 10);
    const x = c.setTimeout(() => seen.push('x'), 5);
    c.clearTimeout(x);
    c.advance(30);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(c.now()).toBe(30);
    expect(c.pendingTimers).toBe(0);
  });
});

describe('join / sync', () => {
  it('KIP-394: a new member needs a member id, then one member forms generation 1 and becomes Stable', async () => {
    h = await harness();
    const { c, clock } = h;
    const id = await newMemberId('g');
    const j = track(c.join(joinParams('g', { memberId: id, requireKnownMemberId: true })));
    expect(c.group('g')!.state).toBe('PreparingRebalance');
    clock.advance(0); // initial delay 0
    await settle();
    expect(j.done).toBe(true);
    expect(j.value).toMatchObject({ errorCode: 0, generationId: 1, protocolType: 'consumer', protocolName: 'range', leader: id, memberId: id });
    expect(j.value!.members.map((m) => m.memberId)).toEqual([id]);
    expect(c.group('g')!.state).toBe('CompletingRebalance');
    const a = assignment([{ topic: 't', partitions: [0, 1] }]);
    const s = await c.sync({ groupId: 'g', generationId: 1, memberId: id, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: id, assignment: a }] });
    expect(s.errorCode).toBe(0);
    expect(Buffer.from(s.assignment).equals(Buffer.from(a))).toBe(true);
    expect(c.group('g')!.state).toBe('Stable');
    expect(c.heartbeat('g', id, null, 1)).toBe(0);
  });

  it('v0-3 style joins get a member id at once; the initial delay collects members; followers wait for the leader', async () => {
    h = await harness({ initialRebalanceDelayMs: 3000 });
    const { c, clock } = h;
    const j1 = track(c.join(joinParams('g')));
    clock.advance(2000);
    const j2 = track(c.join(joinParams('g', { clientId: 'other' })));
    clock.advance(2000); // first delay ends at 3000, but a member was added: extended by another 3000
    await settle();
    expect(j1.done).toBe(false);
    clock.advance(2000);
    await settle();
    expect(j1.done && j2.done).toBe(true);
    const leader = j1.value!.leader;
    expect(leader).toBe(j1.value!.memberId);
    expect(j1.value!.members).toHaveLength(2);
    expect(j2.value!.members).toHaveLength(0);
    expect(j2.value!.generationId).toBe(1);
    // The follower syncs first and waits; the leader's assignment completes both.
    const follower = j2.value!.memberId;
    const fs = track(c.sync({ groupId: 'g', generationId: 1, memberId: follower, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }));
    await settle();
    expect(fs.done).toBe(false);
    const a1 = assignment([{ topic: 't', partitions: [0] }]);
    const a2 = assignment([{ topic: 't', partitions: [1] }]);
    const ls = await c.sync({ groupId: 'g', generationId: 1, memberId: leader, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: leader, assignment: a1 }, { memberId: follower, assignment: a2 }] });
    await settle();
    expect(ls.errorCode).toBe(0);
    expect(fs.done).toBe(true);
    expect(Buffer.from(fs.value!.assignment).equals(Buffer.from(a2))).toBe(true);
  });

  it('the initial delay is capped by the rebalance timeout', async () => {
    h = await harness({ initialRebalanceDelayMs: 3000 });
    const { c, clock } = h;
    const j1 = track(c.join(joinParams('g', { rebalanceTimeoutMs: 5000 })));
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      void c.join(joinParams('g'));
    }
    // Delays: 3000, then (a member came) min(3000, 5000 - 3000) = 2000: the phase ends at 5000, before the
    // join made at 5000.
    await settle();
    expect(j1.done).toBe(true);
    expect(j1.value!.members).toHaveLength(5);
  });

  it('rejects bad session timeouts, empty group ids, and inconsistent protocols', async () => {
    h = await harness();
    const { c, clock } = h;
    expect((await c.join(joinParams('g', { sessionTimeoutMs: 5999 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await c.join(joinParams('g', { sessionTimeoutMs: 1800001 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await c.join(joinParams(''))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await c.join(joinParams('g', { protocols: [] }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(c.group('g')).toBeUndefined(); // nothing left behind by refused joins
    const j = track(c.join(joinParams('g')));
    clock.advance(0);
    await settle();
    expect(j.value!.errorCode).toBe(0);
    expect((await c.join(joinParams('g', { protocolType: 'connect' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await c.join(joinParams('g', { protocols: [{ name: 'roundrobin', metadata: new Uint8Array() }] }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await c.join(joinParams('g', { memberId: 'nobody' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await c.join(joinParams('nogroup', { memberId: 'nobody' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('selects the protocol all members support that most prefer', async () => {
    h = await harness();
    const { c, clock } = h;
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: subscription(['t']) }));
    const js = [
      track(c.join(joinParams('g', { protocols: p('cooperative-sticky', 'range') }))),
      track(c.join(joinParams('g', { protocols: p('range', 'cooperative-sticky', 'roundrobin') }))),
      track(c.join(joinParams('g', { protocols: p('roundrobin', 'range') }))),
    ];
    clock.advance(0);
    await settle();
    // candidates: range only (roundrobin missing in the first, cooperative-sticky in the third)
    for (const j of js) expect(j.value!.protocolName).toBe('range');
  });

  it('group.max.size refuses extra members', async () => {
    h = await harness({ maxGroupSize: 2 });
    const { c, clock } = h;
    const a = track(c.join(joinParams('g')));
    const b = track(c.join(joinParams('g')));
    clock.advance(0);
    await settle();
    expect(a.value!.errorCode).toBe(0);
    expect(b.value!.errorCode).toBe(0);
    expect((await c.join(joinParams('g'))).errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
  });
});

/** Two members in a Stable group, generation 1. */
async function stableGroup(groupId = 'g', over = {}) {
  const { c, clock } = h!;
  const j1 = track(c.join(joinParams(groupId, over)));
  const j2 = track(c.join(joinParams(groupId, over)));
  clock.advance(0);
  await settle();
  const leader = j1.value!.memberId;
  const follower = j2.value!.memberId;
  const sync = (memberId: string, assignments: { memberId: string; assignment: Uint8Array }[] = []) =>
    c.sync({ groupId, generationId: 1, memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments });
  const fs = sync(follower);
  await sync(leader, [
    { memberId: leader, assignment: assignment([{ topic: 't', partitions: [0] }]) },
    { memberId: follower, assignment: assignment([{ topic: 't', partitions: [1] }]) },
  ]);
  await fs;
  expect(c.group(groupId)!.state).toBe('Stable');
  return { leader, follower };
}

describe('fencing and rebalances', () => {
  it('heartbeat/sync/commit errors: unknown member, illegal generation, rebalance in progress', async () => {
    h = await harness();
    const { c, clock } = h;
    const { leader, follower } = await stableGroup();
    expect(c.heartbeat('g', 'ghost', null, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.heartbeat('g', leader, null, 0)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(c.heartbeat('nogroup', leader, null, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.heartbeat('g', follower, null, 1)).toBe(0);
    expect((await c.sync({ groupId: 'g', generationId: 7, memberId: leader, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    );
    expect((await c.sync({ groupId: 'g', generationId: 1, memberId: leader, groupInstanceId: null, protocolType: 'consumer', protocolName: 'roundrobin', assignments: [] })).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    // The follower changes its subscription: rebalance; the others learn it from their heartbeat.
    const rejoin = track(c.join(joinParams('g', { memberId: follower, protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }] })));
    expect(c.group('g')!.state).toBe('PreparingRebalance');
    expect(c.heartbeat('g', leader, null, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const commit = (generationId: number, memberId: string) =>
      c.commitOffsets({ groupId: 'g', generationId, memberId, groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 't', partitions: [{ partition: 0, offset: 5n, leaderEpoch: -1, metadata: '', commitTimestamp: -1 }] }] });
    // A commit from the current generation is still allowed while preparing (eager consumers commit on revoke).
    expect((await commit(1, leader))[0]!.partitions[0]!.errorCode).toBe(0);
    const lj = track(c.join(joinParams('g', { memberId: leader })));
    await settle();
    expect(rejoin.done && lj.done).toBe(true);
    expect(lj.value!.generationId).toBe(2);
    expect(c.group('g')!.state).toBe('CompletingRebalance');
    expect((await commit(2, leader))[0]!.partitions[0]!.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(c.heartbeat('g', leader, null, 2)).toBe(0);
    expect(c.heartbeat('g', leader, null, 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await commit(1, leader))[0]!.partitions[0]!.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    clock.advance(0);
  });

  it('a member whose session expires is removed and the group rebalances without it', async () => {
    h = await harness();
    const { c, clock } = h;
    const { leader, follower } = await stableGroup();
    for (let i = 0; i < 2; i++) {
      clock.advance(4000);
      expect(c.heartbeat('g', leader, null, 1)).toBe(0);
    }
    clock.advance(4000);
    // The follower never heartbeated (session 10 s): gone at 10 s, rebalance started.
    expect(c.group('g')!.has(follower)).toBe(false);
    expect(c.group('g')!.state).toBe('PreparingRebalance');
    expect(c.heartbeat('g', follower, null, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const j = track(c.join(joinParams('g', { memberId: leader })));
    await settle();
    expect(j.value).toMatchObject({ errorCode: 0, generationId: 2, leader });
  });

  it('members that do not rejoin within the rebalance timeout are dropped', async () => {
    h = await harness();
    const { c, clock } = h;
    const { leader, follower } = await stableGroup();
    const j = track(c.join(joinParams('g', { memberId: leader, protocols: [{ name: 'range', metadata: subscription(['x']) }] })));
    clock.advance(5000);
    expect(c.heartbeat('g', follower, null, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    clock.advance(5000); // rebalance timeout 10 s
    await settle();
    expect(j.value).toMatchObject({ errorCode: 0, generationId: 2 });
    expect(j.value!.members.map((m) => m.memberId)).toEqual([leader]);
    expect(c.group('g')!.has(follower)).toBe(false);
  });

  it('members that never sync are removed after the rebalance timeout', async () => {
    h = await harness();
    const { c, clock } = h;
    const j1 = track(c.join(joinParams('g')));
    const j2 = track(c.join(joinParams('g')));
    clock.advance(0);
    await settle();
    const leader = j1.value!.memberId;
    const ls = track(c.sync({ groupId: 'g', generationId: 1, memberId: leader, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }));
    await settle();
    expect(ls.value!.errorCode).toBe(0);
    expect(c.group('g')!.state).toBe('Stable');
    clock.advance(5000);
    c.heartbeat('g', leader, null, 1);
    clock.advance(5001);
    expect(c.group('g')!.has(j2.value!.memberId)).toBe(false);
    expect(c.group('g')!.state).toBe('PreparingRebalance');
  });

  it('a leader leaving hands leadership on; LeaveGroup of the last member empties the group', async () => {
    h = await harness();
    const { c, clock } = h;
    const { leader, follower } = await stableGroup();
    const r = c.leave('g', [{ memberId: leader, groupInstanceId: null }]);
    expect(r).toEqual({ errorCode: 0, members: [{ memberId: leader, groupInstanceId: null, errorCode: 0 }] });
    expect(c.group('g')!.leaderId).toBe(follower);
    const j = track(c.join(joinParams('g', { memberId: follower })));
    await settle();
    expect(j.value).toMatchObject({ errorCode: 0, generationId: 2, leader: follower });
    expect(c.leave('g', [{ memberId: 'ghost', groupInstanceId: null }]).members[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.leave('nogroup', [{ memberId: 'x', groupInstanceId: null }])).toEqual({ errorCode: 0, members: [{ memberId: 'x', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID }] });
    c.leave('g', [{ memberId: follower, groupInstanceId: null }]);
    clock.advance(0);
    await settle();
    expect(c.group('g')!.state).toBe('Empty');
    expect(c.group('g')!.generationId).toBe(3);
  });

  it('a pending (MEMBER_ID_REQUIRED) member that never joins expires after its session timeout', async () => {
    h = await harness();
    const { c, clock } = h;
    const { leader } = await stableGroup();
    const pending = await newMemberId('g');
    // A rejoin of the leader waits for the pending member too.
    const j = track(c.join(joinParams('g', { memberId: leader, protocols: [{ name: 'range', metadata: subscription(['y']) }] })));
    clock.advance(9000);
    await settle();
    expect(j.done).toBe(false);
    expect(c.group('g')!.pendingMembers.has(pending)).toBe(true);
    clock.advance(1000); // the rebalance timeout (10 s) also ends the join phase here
    await settle();
    expect(j.value!.errorCode).toBe(0);
    expect(c.group('g')!.pendingMembers.has(pending)).toBe(false);
  });
});

describe('static membership (KIP-345)', () => {
  it('a known group.instance.id rejoining gets a new member id without a rebalance; the old id is fenced', async () => {
    h = await harness();
    const { c, clock } = h;
    const j1 = track(c.join(joinParams('g', { groupInstanceId: 'i-1' })));
    const j2 = track(c.join(joinParams('g', { groupInstanceId: 'i-2' })));
    clock.advance(0);
    await settle();
    const leader = j1.value!.memberId;
    const old2 = j2.value!.memberId;
    expect(old2).toMatch(/^i-2-/);
    const a2 = assignment([{ topic: 't', partitions: [1] }]);
    const s2 = c.sync({ groupId: 'g', generationId: 1, memberId: old2, groupInstanceId: 'i-2', protocolType: null, protocolName: null, assignments: [] });
    await c.sync({ groupId: 'g', generationId: 1, memberId: leader, groupInstanceId: 'i-1', protocolType: null, protocolName: null, assignments: [{ memberId: old2, assignment: a2 }] });
    await s2;
    // i-2 restarts (unknown member id, same instance id, same protocols): no rebalance.
    const r = await c.join(joinParams('g', { groupInstanceId: 'i-2', requireKnownMemberId: true }));
    expect(r.errorCode).toBe(0);
    expect(r.generationId).toBe(1);
    expect(r.memberId).not.toBe(old2);
    expect(r.members).toEqual([]);
    expect(c.group('g')!.state).toBe('Stable');
    const s = await c.sync({ groupId: 'g', generationId: 1, memberId: r.memberId, groupInstanceId: 'i-2', protocolType: null, protocolName: null, assignments: [] });
    expect(Buffer.from(s.assignment).equals(Buffer.from(a2))).toBe(true);
    // The old incarnation is fenced everywhere.
    expect(c.heartbeat('g', old2, 'i-2', 1)).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await c.join(joinParams('g', { memberId: old2, groupInstanceId: 'i-2' }))).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await c.sync({ groupId: 'g', generationId: 1, memberId: old2, groupInstanceId: 'i-2', protocolType: null, protocolName: null, assignments: [] })).errorCode).toBe(
      ErrorCode.FENCED_INSTANCE_ID,
    );
    const commit = await c.commitOffsets({ groupId: 'g', generationId: 1, memberId: old2, groupInstanceId: 'i-2', retentionTimeMs: -1, topics: [{ name: 't', partitions: [{ partition: 1, offset: 1n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] }] });
    expect(commit[0]!.partitions[0]!.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(c.leave('g', [{ memberId: old2, groupInstanceId: 'i-2' }]).members[0]!.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(c.heartbeat('g', r.memberId, 'i-2', 1)).toBe(0);
    // Admin-style removal by instance id only (v3+ batch with an empty member id).
    expect(c.leave('g', [{ memberId: '', groupInstanceId: 'i-2' }]).members[0]!.errorCode).toBe(0);
    expect(c.group('g')!.state).toBe('PreparingRebalance');
    expect(c.leave('g', [{ memberId: '', groupInstanceId: 'i-9' }]).members[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a static leader rejoining: with v9 it gets the members and skipAssignment, before v9 the old leader id; no rebalance', async () => {
    h = await harness();
    const { c, clock } = h;
    const j1 = track(c.join(joinParams('g', { groupInstanceId: 'L' })));
    clock.advance(0);
    await settle();
    await c.sync({ groupId: 'g', generationId: 1, memberId: j1.value!.memberId, groupInstanceId: 'L', protocolType: null, protocolName: null, assignments: [] });
    const v9 = await c.join(joinParams('g', { groupInstanceId: 'L', supportsSkipAssignment: true }));
    expect(v9).toMatchObject({ errorCode: 0, generationId: 1, skipAssignment: true });
    expect(v9.leader).toBe(v9.memberId);
    expect(v9.members).toHaveLength(1);
    const old = await c.join(joinParams('g', { groupInstanceId: 'L', supportsSkipAssignment: false }));
    expect(old).toMatchObject({ errorCode: 0, generationId: 1, skipAssignment: false, leader: v9.memberId, members: [] });
    expect(old.memberId).not.toBe(v9.memberId);
    expect(c.group('g')!.state).toBe('Stable');
    expect(c.group('g')!.leaderId).toBe(old.memberId);
    const s = await c.sync({ groupId: 'g', generationId: 1, memberId: old.memberId, groupInstanceId: 'L', protocolType: null, protocolName: null, assignments: [] });
    expect(s.errorCode).toBe(0);
    clock.advance(0);
  });

  it('an old incarnation waiting in a join phase is answered FENCED_INSTANCE_ID', async () => {
    h = await harness();
    const { c, clock } = h;
    const first = track(c.join(joinParams('g', { groupInstanceId: 'i' })));
    const other = track(c.join(joinParams('g')));
    clock.advance(0);
    await settle();
    const id = first.value!.memberId;
    // Rebalance: `other` rejoins; `i` has not yet, then its restarted incarnation joins.
    const r1 = track(c.join(joinParams('g', { memberId: other.value!.memberId, protocols: [{ name: 'range', metadata: subscription(['z']) }] })));
    const oldJoin = track(c.join(joinParams('g', { memberId: id, groupInstanceId: 'i' })));
    await settle();
    expect(r1.done).toBe(true); // everyone joined
    expect(oldJoin.value!.errorCode).toBe(0);
    const again = track(c.join(joinParams('g', { memberId: oldJoin.value!.memberId, groupInstanceId: 'i', protocols: [{ name: 'range', metadata: subscription(['q']) }] })));
    const newInc = track(c.join(joinParams('g', { groupInstanceId: 'i', protocols: [{ name: 'range', metadata: subscription(['q']) }] })));
    await settle();
    expect(again.value!.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    clock.advance(10000);
    await settle();
    expect(newInc.value!.errorCode).toBe(0);
  });
});

describe('offsets', () => {
  const commit = (groupId: string, generationId: number, memberId: string, offset: bigint, metadata: string | null = 'm') =>
    h!.c.commitOffsets({ groupId, generationId, memberId, groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 't', partitions: [{ partition: 0, offset, leaderEpoch: 3, metadata, commitTimestamp: -1 }] }] });

  it('standalone commits (generation -1) work on unknown and empty groups, not on active ones', async () => {
    h = await harness();
    const { c } = h;
    expect((await commit('solo', -1, '', 42n))[0]!.partitions[0]!.errorCode).toBe(0);
    expect(c.group('solo')!.state).toBe('Empty');
    expect(c.fetchOffsets('solo', [{ name: 't', partitions: [0, 1] }])).toEqual({
      errorCode: 0,
      topics: [{ name: 't', partitions: [{ partition: 0, offset: 42n, leaderEpoch: 3, metadata: 'm', errorCode: 0 }, { partition: 1, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: 0 }] }],
    });
    expect(c.fetchOffsets('nobody', null)).toEqual({ errorCode: 0, topics: [] });
    expect((await commit('nogroup', 3, 'm', 1n))[0]!.partitions[0]!.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    await stableGroup('active');
    expect((await commit('active', -1, '', 1n))[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.list().groups.map((g) => g.groupId).sort()).toEqual(['active', 'solo']);
  });

  it('metadata larger than offset.metadata.max.bytes is refused per partition', async () => {
    h = await harness({ offsetMetadataMaxBytes: 4 });
    expect((await commit('g', -1, '', 1n, 'abcde'))[0]!.partitions[0]!.errorCode).toBe(ErrorCode.OFFSET_METADATA_TOO_LARGE);
    expect((await commit('g', -1, '', 1n, 'abcd'))[0]!.partitions[0]!.errorCode).toBe(0);
  });

  it('offsets of an empty consumer group expire offsets.retention.minutes after it became empty; then the group goes', async () => {
    h = await harness({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 });
    const { c, clock } = h;
    const { leader, follower } = await stableGroup();
    expect((await commit('g', 1, leader, 7n))[0]!.partitions[0]!.errorCode).toBe(0);
    for (let i = 0; i < 20; i++) {
      clock.advance(5000); // active group: offsets of subscribed topics never expire
      expect(c.heartbeat('g', leader, null, 1)).toBe(0);
      expect(c.heartbeat('g', follower, null, 1)).toBe(0);
    }
    expect(c.fetchOffsets('g', null).topics).toHaveLength(1);
    c.leave('g', [{ memberId: leader, groupInstanceId: null }, { memberId: follower, groupInstanceId: null }]);
    clock.advance(0);
    await settle();
    expect(c.group('g')!.state).toBe('Empty');
    clock.advance(50_000);
    expect(c.fetchOffsets('g', null).topics).toHaveLength(1);
    clock.advance(20_000);
    await settle();
    expect(c.group('g')).toBeUndefined();
    expect(c.fetchOffsets('g', null).topics).toHaveLength(0);
    // Standalone offsets expire from their commit time.
    await commit('solo', -1, '', 1n);
    clock.advance(59_000);
    expect(c.group('solo')).toBeDefined();
    clock.advance(11_000);
    expect(c.group('solo')).toBeUndefined();
  });

  it('DeleteGroups and OffsetDelete', async () => {
    h = await harness();
    const { c } = h;
    await commit('solo', -1, '', 1n);
    await stableGroup('active');
    expect(await c.deleteGroups(['solo', 'active', 'missing', ''])).toEqual([
      { groupId: 'solo', errorCode: 0 },
      { groupId: 'active', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
      { groupId: '', errorCode: ErrorCode.INVALID_GROUP_ID },
    ]);
    expect(c.group('solo')).toBeUndefined();
    expect(c.fetchOffsets('solo', [{ name: 't', partitions: [0] }]).topics[0]!.partitions[0]!.offset).toBe(-1n);
    // OffsetDelete on an active consumer group: subscribed topic refused, others deleted.
    const { leader } = { leader: [...c.group('active')!.members.keys()][0]! };
    await c.commitOffsets({
      groupId: 'active',
      generationId: 1,
      memberId: leader,
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [
        { name: 't', partitions: [{ partition: 0, offset: 1n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] },
        { name: 'old', partitions: [{ partition: 0, offset: 9n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] },
      ],
    });
    const r = await c.deleteOffsets('active', [
      { name: 't', partitions: [0] },
      { name: 'old', partitions: [0] },
    ]);
    expect(r).toEqual({
      errorCode: 0,
      topics: [
        { name: 't', partitions: [{ partition: 0, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }] },
        { name: 'old', partitions: [{ partition: 0, errorCode: 0 }] },
      ],
    });
    expect(c.fetchOffsets('active', null).topics.map((t) => t.name)).toEqual(['t']);
    expect((await c.deleteOffsets('missing', [])).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });
});

describe('persistence and shutdown', () => {
  it('offsets and group metadata survive a restart; loaded members must heartbeat in time', async () => {
    h = await harness();
    const { leader, follower } = await stableGroup();
    await h.c.commitOffsets({ groupId: 'g', generationId: 1, memberId: leader, groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 't', partitions: [{ partition: 0, offset: 11n, leaderEpoch: 2, metadata: 'x', commitTimestamp: -1 }] }] });
    await h.c.commitOffsets({ groupId: 'g', generationId: 1, memberId: leader, groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 't', partitions: [{ partition: 0, offset: 12n, leaderEpoch: 2, metadata: 'y', commitTimestamp: -1 }] }] });
    await h.c.commitOffsets({ groupId: 'gone', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 't', partitions: [{ partition: 0, offset: 1n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] }] });
    await h.c.deleteGroups(['gone']);
    h = await h.restart();
    const { c, clock } = h;
    const g = c.group('g')!;
    expect(g.state).toBe('Stable');
    expect(g.generationId).toBe(1);
    expect(g.protocolName).toBe('range');
    expect(g.leaderId).toBe(leader);
    expect([...g.members.keys()].sort()).toEqual([leader, follower].sort());
    expect(c.fetchOffsets('g', null).topics[0]!.partitions[0]).toMatchObject({ offset: 12n, leaderEpoch: 2, metadata: 'y' });
    expect(c.group('gone')).toBeUndefined();
    // The follower's assignment came back too.
    const s = await c.sync({ groupId: 'g', generationId: 1, memberId: follower, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(Buffer.from(s.assignment).equals(Buffer.from(assignment([{ topic: 't', partitions: [1] }])))).toBe(true);
    expect(c.heartbeat('g', leader, null, 1)).toBe(0);
    clock.advance(10_001);
    expect(g.members.size).toBe(0);
  });

  it('shutdown answers waiting requests and clears every timer', async () => {
    h = await harness();
    const { c, clock } = h;
    await stableGroup();
    const pending = track(c.join(joinParams('g2')));
    expect(c.timerCount).toBeGreaterThan(0);
    await c.shutdown();
    await settle();
    expect(pending.value!.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(c.timerCount).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    expect(c.heartbeat('g', 'x', null, 1)).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});
