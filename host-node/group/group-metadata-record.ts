// A group and its committed offsets as `__consumer_offsets` holds them: the GroupMetadataValue record a
// group is stored as, and the group and offsets rebuilt from the loaded records (with invariant checks:
// what the log holds was written by a coordinator, so a record that breaks them is a bug, not input).

import { invariant, invariantViolation } from '../../common/invariant.js';
import { encodeGroupMetadataKey, encodeGroupMetadataValue, type GroupMetadataValue, type OffsetCommitValue } from './consumer-offsets-schema.js';
import { ClassicGroup, type CommittedOffset } from './group.js';
import { EMPTY_BYTES, GroupMember } from './member.js';
import type { StoreRecord } from './offsets-store.js';

/** The group a GroupMetadataValue describes: Stable with its members, or Empty. */
export function groupFromMetadata(groupId: string, v: GroupMetadataValue, now: number): ClassicGroup {
  invariant(v.generation >= 0, `group ${groupId}: loaded generation ${v.generation} is not negative`);
  invariant(v.members.length === 0 || v.protocol !== null, `group ${groupId}: loaded members have a protocol`);
  const g = new ClassicGroup(groupId, v.currentStateTimestamp >= 0n ? Number(v.currentStateTimestamp) : now);
  g.protocolType = v.protocolType === '' ? null : v.protocolType;
  g.generationId = v.generation;
  g.protocolName = v.protocol;
  g.leaderId = v.leader;
  for (const m of v.members) {
    if (m.memberId === '' || g.has(m.memberId)) throw invariantViolation(`group ${groupId}: loaded member id '${m.memberId}' is unique and not empty`);
    const member = new GroupMember(m.memberId, m.groupInstanceId, m.clientId, m.clientHost, m.rebalanceTimeout, m.sessionTimeout, v.protocolType, [
      { name: v.protocol ?? '', metadata: m.subscription },
    ]);
    member.assignment = m.assignment;
    member.lastSeen = now;
    g.members.set(m.memberId, member);
    if (m.groupInstanceId !== null) g.staticMembers.set(m.groupInstanceId, m.memberId);
  }
  if (g.leaderId !== null && !g.members.has(g.leaderId)) g.leaderId = g.members.keys().next().value ?? null;
  g.state = g.members.size > 0 ? 'Stable' : 'Empty';
  return g;
}

export function loadedOffset(o: OffsetCommitValue): CommittedOffset {
  return {
    offset: o.offset,
    leaderEpoch: o.leaderEpoch,
    metadata: o.metadata,
    commitTimestamp: Number(o.commitTimestamp),
    expireTimestamp: Number(o.expireTimestamp),
    appendOffset: -1,
  };
}

/** The __consumer_offsets record of the group's metadata (Kafka's GroupMetadataValue). */
export function groupMetadataRecord(g: ClassicGroup, assignments?: Map<string, Uint8Array>): StoreRecord {
  return { key: encodeGroupMetadataKey(g.groupId), value: encodeGroupMetadataValue(groupMetadataValue(g, assignments)) };
}

function groupMetadataValue(g: ClassicGroup, assignments?: Map<string, Uint8Array>): GroupMetadataValue {
  const p = g.protocolName ?? '';
  return {
    protocolType: g.protocolType ?? '',
    generation: g.generationId,
    protocol: g.protocolName,
    leader: g.leaderId,
    currentStateTimestamp: BigInt(g.currentStateTimestamp),
    members: [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeout: m.rebalanceTimeoutMs,
      sessionTimeout: m.sessionTimeoutMs,
      subscription: m.metadataFor(p),
      assignment: assignments ? (assignments.get(m.memberId) ?? EMPTY_BYTES) : m.assignment,
    })),
  };
}
