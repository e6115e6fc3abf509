// A classic consumer group's state (Kafka's GroupMetadata): the state machine, its members, the selected
// protocol, static member ids, and its committed offsets. The coordinator drives it; this class only keeps
// its invariants (valid transitions, leader, protocol selection, member bookkeeping).

import { Reader } from '../../protocol/wire/reader.js';
import { decodeConsumerProtocolSubscription } from '../../protocol/generated/consumer-protocol-subscription.js';
import { invariant, invariantViolation } from '../../common/invariant.js';
import type { GroupMember, MemberProtocol } from './member.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** Which states a state may be entered from (Kafka's validPreviousStates). */
const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  Empty: ['PreparingRebalance'],
};

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Explicit expiry (OffsetCommit v2-4 retention time), or -1. */
  expireTimestamp: number;
  /** Offset of the __consumer_offsets record that holds it (-1 when loaded); a later write wins. */
  appendOffset: number;
}

class IllegalStateTransition extends Error {
  override readonly name = 'IllegalStateTransition';
}

export class ClassicGroup {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** When the group entered its current state (ms). */
  currentStateTimestamp: number;
  readonly members = new Map<string, GroupMember>();
  /** group.instance.id → member id. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet (KIP-394). */
  readonly pendingMembers = new Set<string>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  /** A member joined during the initial (delayed) rebalance. */
  newMemberAdded = false;
  /** topic → partition → committed offset. */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();
  /** Offset commits being written (the group is not expired or dropped meanwhile). */
  pendingCommits = 0;

  constructor(
    readonly groupId: string,
    now: number,
  ) {
    this.currentStateTimestamp = now;
  }

  is(s: GroupState): boolean {
    return this.state === s;
  }

  transitionTo(s: GroupState, now: number): void {
    if (!VALID_PREVIOUS[s].includes(this.state)) throw new IllegalStateTransition(`group ${this.groupId}: ${this.state} → ${s}`);
    this.state = s;
    this.currentStateTimestamp = now;
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): GroupMember | undefined {
    return this.members.get(memberId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  add(member: GroupMember): void {
    if (this.members.has(member.memberId)) throw invariantViolation(`group ${this.groupId}: member ${member.memberId} is added once`);
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.pendingMembers.delete(member.memberId);
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  remove(memberId: string): GroupMember | undefined {
    const m = this.members.get(memberId);
    if (!m) return undefined;
    this.members.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId) this.staticMembers.delete(m.groupInstanceId);
    if (this.leaderId === memberId) {
      // Prefer a member that is already waiting in the join phase.
      let next: string | null = null;
      for (const x of this.members.values()) if (x.awaitingJoin) { next = x.memberId; break; }
      this.leaderId = next ?? this.members.keys().next().value ?? null;
    }
    return m;
  }

  /** Gives a static member a new member id (KIP-345 rejoin with a known group.instance.id). */
  replaceStaticMember(instanceId: string, oldId: string, newId: string): GroupMember {
    const m = this.members.get(oldId);
    invariant(m !== undefined && this.staticMembers.get(instanceId) === oldId, `group ${this.groupId}: static member ${instanceId} is member ${oldId}`);
    this.members.delete(oldId);
    m.memberId = newId;
    this.members.set(newId, m);
    this.staticMembers.set(instanceId, newId);
    if (this.leaderId === oldId) this.leaderId = newId;
    if (this.pendingSyncMembers.delete(oldId)) this.pendingSyncMembers.add(newId);
    return m;
  }

  staticMemberId(instanceId: string | null): string | undefined {
    return instanceId === null ? undefined : this.staticMembers.get(instanceId);
  }

  /** A request names a group.instance.id whose registered member id is a different one. */
  isStaticMemberFenced(memberId: string, instanceId: string | null): boolean {
    if (instanceId === null) return false;
    const registered = this.staticMembers.get(instanceId);
    return registered !== undefined && registered !== memberId;
  }

  get numAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.awaitingJoin) n++;
    return n;
  }

  hasAllMembersJoined(): boolean {
    return this.numAwaitingJoin === this.members.size && this.pendingMembers.size === 0;
  }

  /** The largest rebalance timeout of the members (the join phase's deadline). */
  get rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  /** Protocols every member (except `exceptMemberId`) supports. */
  candidateProtocols(exceptMemberId?: string): Set<string> | null {
    let set: Set<string> | null = null;
    for (const m of this.members.values()) {
      if (m.memberId === exceptMemberId) continue;
      const names = new Set(m.protocols.map((p) => p.name));
      if (set === null) set = names;
      else for (const n of set) if (!names.has(n)) set.delete(n);
    }
    return set;
  }

  /** Whether a member with this protocol type and protocols may (re)join (INCONSISTENT_GROUP_PROTOCOL otherwise). */
  supportsProtocols(protocolType: string, protocols: readonly MemberProtocol[], memberId?: string): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    const others = memberId !== undefined && this.members.has(memberId) ? this.members.size - 1 : this.members.size;
    if (others === 0) return true;
    if (this.protocolType !== protocolType) return false;
    const cand = this.candidateProtocols(memberId)!;
    return protocols.some((p) => cand.has(p.name));
  }

  /** Kafka's selectProtocol: each member votes for its most preferred protocol all members support. */
  selectProtocol(): string {
    const cand = this.candidateProtocols();
    invariant(cand !== null && cand.size > 0, `group ${this.groupId}: some protocol all members support`);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(cand);
      if (v === undefined) throw invariantViolation(`group ${this.groupId}: member ${m.memberId} votes for a candidate protocol`);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = -1;
    for (const [name, n] of votes) if (n > bestVotes) ((best = name), (bestVotes = n));
    return best!;
  }

  /** Topics the members subscribe to (consumer protocol); null when they cannot be known. */
  subscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE || this.protocolName === null) return this.members.size === 0 ? new Set() : null;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      try {
        const r = new Reader(m.metadataFor(this.protocolName));
        const v = r.int16();
        const sub = decodeConsumerProtocolSubscription(r, Math.min(Math.max(v, 0), 3));
        for (const t of sub.topics) topics.add(t);
      } catch {
        return null;
      }
    }
    return topics;
  }

  isSubscribedToTopic(topic: string): boolean {
    const s = this.subscribedTopics();
    return s === null ? true : s.has(topic);
  }

  // ---- offsets ----

  offset(topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  setOffset(topic: string, partition: number, o: CommittedOffset): void {
    let t = this.offsets.get(topic);
    if (!t) this.offsets.set(topic, (t = new Map()));
    t.set(partition, o);
  }

  deleteOffset(topic: string, partition: number): boolean {
    const t = this.offsets.get(topic);
    if (!t || !t.delete(partition)) return false;
    if (t.size === 0) this.offsets.delete(topic);
    return true;
  }

  get hasOffsets(): boolean {
    return this.offsets.size > 0 || this.pendingCommits > 0;
  }

  numOffsets(): number {
    let n = 0;
    for (const t of this.offsets.values()) n += t.size;
    return n;
  }
}
