// The classic group coordinator (Kafka's GroupCoordinator + GroupMetadataManager, in one node): JoinGroup /
// SyncGroup / Heartbeat / LeaveGroup drive each group's state machine (group.ts); OffsetCommit / OffsetFetch /
// OffsetDelete / DeleteGroups keep committed offsets; everything that must survive a restart is written to
// `__consumer_offsets` through OffsetsStore before it is acknowledged.
//
// Every pending response is a callback on a member (awaitingJoin / awaitingSync), completed exactly once;
// every timer (join phase, sync phase, member sessions, pending members, offset expiry) is tracked and
// cleared on shutdown. Time comes from an injectable GroupClock.

import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors.js';
import type { BrokerConfig } from '../config/index.js';
import { StorageError } from '../../storage/errors.js';
import type { Logger } from '../util/log.js';
import type { RivuletCore } from '../../bindings/core.js';
import { systemClock, type GroupClock, type TimerHandle } from './clock.js';
import {
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  encodeOffsetCommitValueV1,
  type GroupMetadataValue,
} from './consumer-offsets-schema.js';
import { ClassicGroup, CONSUMER_PROTOCOL_TYPE, type CommittedOffset, type GroupState } from './group.js';
import { EMPTY_BYTES, GroupMember, type JoinResult, type MemberProtocol, type SyncResult } from './member.js';
import { coordinatorErrorFor, OffsetsStore, type OffsetsTopicLogs, type StoreRecord } from './offsets-store.js';

export interface CoordinatorConfig {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxGroupSize: number;
  offsetsTopicPartitions: number;
  offsetsTopicSegmentBytes: number;
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  offsetMetadataMaxBytes: number;
  offsetCommitTimeoutMs: number;
  loadBufferSize: number;
  /** How long a new member may wait in a join phase before it is dropped (Kafka: 5 minutes). */
  newMemberJoinTimeoutMs: number;
  /** Rivulet bound: most member ids handed out with MEMBER_ID_REQUIRED and not yet used, per group. */
  maxPendingMembers: number;
}

export const DEFAULT_COORDINATOR_CONFIG: Readonly<CoordinatorConfig> = Object.freeze({
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1800000,
  maxGroupSize: 2147483647,
  offsetsTopicPartitions: 50,
  offsetsTopicSegmentBytes: 104857600,
  offsetsRetentionMs: 10080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600000,
  offsetMetadataMaxBytes: 4096,
  offsetCommitTimeoutMs: 5000,
  loadBufferSize: 5242880,
  newMemberJoinTimeoutMs: 300000,
  maxPendingMembers: 10000,
});

export function coordinatorConfigFrom(c: BrokerConfig): CoordinatorConfig {
  return {
    ...DEFAULT_COORDINATOR_CONFIG,
    initialRebalanceDelayMs: c.get('group.initial.rebalance.delay.ms'),
    minSessionTimeoutMs: c.get('group.min.session.timeout.ms'),
    maxSessionTimeoutMs: c.get('group.max.session.timeout.ms'),
    maxGroupSize: c.get('group.max.size'),
    offsetsTopicPartitions: c.get('offsets.topic.num.partitions'),
    offsetsTopicSegmentBytes: c.get('offsets.topic.segment.bytes'),
    offsetsRetentionMs: c.get('offsets.retention.minutes') * 60_000,
    offsetsRetentionCheckIntervalMs: c.get('offsets.retention.check.interval.ms'),
    offsetMetadataMaxBytes: c.get('offset.metadata.max.bytes'),
    offsetCommitTimeoutMs: c.get('offsets.commit.timeout.ms'),
    loadBufferSize: c.get('offsets.load.buffer.size'),
  };
}

// ---- requests / results (protocol-neutral; the handlers map versions) ----------------------------------------

export interface JoinParams {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  /** JoinGroup v4+: a new member first gets MEMBER_ID_REQUIRED and a member id (KIP-394). */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: the static leader may rejoin without a rebalance (skipAssignment). */
  supportsSkipAssignment: boolean;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
  reason?: string | null;
}

export interface SyncParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Uint8Array }[];
}

export interface LeaveMember {
  memberId: string;
  groupInstanceId: string | null;
  reason?: string | null;
}

export interface LeaveResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface CommitPartition {
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  /** OffsetCommit v1 only; -1 = now. */
  commitTimestamp: number;
}

export interface CommitParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-4; -1 = broker default. */
  retentionTimeMs: number;
  topics: { name: string; partitions: CommitPartition[] }[];
}

export type CommitResult = { name: string; partitions: { partition: number; errorCode: number }[] }[];

export interface FetchedPartition {
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}
export interface FetchOffsetsResult {
  errorCode: number;
  topics: { name: string; partitions: FetchedPartition[] }[];
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; memberMetadata: Uint8Array; memberAssignment: Uint8Array }[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

export type PartitionValidator = (topic: string, partition: number) => number;

interface GroupTimers {
  join: TimerHandle | null;
  joinIsInitial: boolean;
  sync: TimerHandle | null;
  members: Map<string, TimerHandle>;
}

function errorJoin(code: number, memberId: string): JoinResult {
  return { errorCode: code, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [], skipAssignment: false };
}
function errorSync(code: number): SyncResult {
  return { errorCode: code, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

const utf8Len = (s: string) => Buffer.byteLength(s, 'utf8');

export class GroupCoordinator {
  readonly config: CoordinatorConfig;
  readonly store: OffsetsStore;
  private readonly clock: GroupClock;
  private readonly log: Logger | undefined;
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly timers = new Map<ClassicGroup, GroupTimers>();
  private expiryTimer: TimerHandle | null = null;
  private running = false;
  /** Writes in flight (shutdown waits for them). */
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(o: { core: RivuletCore; logs: OffsetsTopicLogs; config?: Partial<CoordinatorConfig>; clock?: GroupClock; log?: Logger }) {
    this.config = { ...DEFAULT_COORDINATOR_CONFIG, ...(o.config ?? {}) };
    this.clock = o.clock ?? systemClock;
    this.log = o.log;
    this.store = new OffsetsStore(o.core, o.logs, this.config.offsetsTopicPartitions, this.clock, {
      commitTimeoutMs: this.config.offsetCommitTimeoutMs,
      loadBufferSize: this.config.loadBufferSize,
      log: o.log,
    });
  }

  get isRunning(): boolean {
    return this.running;
  }

  partitionFor(groupId: string): number {
    return this.store.partitionFor(groupId);
  }

  /** Loads every group and offset from __consumer_offsets and starts the offset expiry timer. */
  start(): { groups: number; offsets: number } {
    if (this.running) throw new Error('group coordinator already started');
    const loaded = this.store.load();
    const now = this.clock.now();
    let offsets = 0;
    for (const [groupId, v] of loaded.groups) {
      const g = new ClassicGroup(groupId, v.currentStateTimestamp >= 0n ? Number(v.currentStateTimestamp) : now);
      g.protocolType = v.protocolType === '' ? null : v.protocolType;
      g.generationId = v.generation;
      g.protocolName = v.protocol;
      g.leaderId = v.leader;
      for (const m of v.members) {
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
      this.groups.set(groupId, g);
    }
    for (const [groupId, topics] of loaded.offsets) {
      let g = this.groups.get(groupId);
      if (!g) this.groups.set(groupId, (g = new ClassicGroup(groupId, now)));
      for (const [topic, parts] of topics)
        for (const [p, o] of parts) {
          g.setOffset(topic, p, {
            offset: o.offset,
            leaderEpoch: o.leaderEpoch,
            metadata: o.metadata,
            commitTimestamp: Number(o.commitTimestamp),
            expireTimestamp: Number(o.expireTimestamp),
            appendOffset: -1,
          });
          offsets++;
        }
    }
    this.running = true;
    // Loaded members must heartbeat within their session timeout, or they leave (and the group rebalances).
    for (const g of this.groups.values()) for (const m of g.members.values()) this.scheduleHeartbeat(g, m);
    this.scheduleExpiry();
    this.log?.info(`loaded ${this.groups.size} groups and ${offsets} offsets from __consumer_offsets (${loaded.records} records)`);
    return { groups: this.groups.size, offsets };
  }

  /** Stops serving: pending joins/syncs get NOT_COORDINATOR, every timer is cleared, in-flight writes awaited. */
  async shutdown(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.expiryTimer) this.clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    for (const g of this.groups.values()) {
      for (const m of g.members.values()) {
        this.completeJoin(m, errorJoin(ErrorCode.NOT_COORDINATOR, m.memberId));
        this.completeSync(m, errorSync(ErrorCode.NOT_COORDINATOR));
      }
      this.clearGroupTimers(g);
    }
    await Promise.allSettled([...this.inflight]);
  }

  /** Timers the coordinator holds (tests: all cleared after shutdown). */
  get timerCount(): number {
    let n = this.expiryTimer ? 1 : 0;
    for (const t of this.timers.values()) n += (t.join ? 1 : 0) + (t.sync ? 1 : 0) + t.members.size;
    return n;
  }

  group(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }

  // ---- JoinGroup ---------------------------------------------------------------------------------------------

  join(r: JoinParams): Promise<JoinResult> {
    if (!this.running) return Promise.resolve(errorJoin(ErrorCode.COORDINATOR_NOT_AVAILABLE, r.memberId));
    if (r.groupId === '') return Promise.resolve(errorJoin(ErrorCode.INVALID_GROUP_ID, r.memberId));
    if (r.sessionTimeoutMs < this.config.minSessionTimeoutMs || r.sessionTimeoutMs > this.config.maxSessionTimeoutMs)
      return Promise.resolve(errorJoin(ErrorCode.INVALID_SESSION_TIMEOUT, r.memberId));
    const unknown = r.memberId === '';
    let group = this.groups.get(r.groupId);
    let created = false;
    if (!group) {
      if (!unknown) return Promise.resolve(errorJoin(ErrorCode.UNKNOWN_MEMBER_ID, r.memberId));
      group = new ClassicGroup(r.groupId, this.clock.now());
      this.groups.set(r.groupId, group);
      created = true;
    }
    if (!this.acceptJoiningMember(group, r.memberId)) {
      this.log?.debug(`group ${group.groupId}: member ${r.memberId || '(new)'} refused, group.max.size ${this.config.maxGroupSize} reached`);
      return Promise.resolve(errorJoin(ErrorCode.GROUP_MAX_SIZE_REACHED, r.memberId));
    }
    const g = group;
    return new Promise<JoinResult>((resolve) => {
      if (unknown) this.doNewMemberJoin(g, r, resolve);
      else this.doCurrentMemberJoin(g, r, resolve);
    }).finally(() => {
      if (created) this.maybeDropUnusedGroup(g);
    });
  }

  private acceptJoiningMember(g: ClassicGroup, memberId: string): boolean {
    switch (g.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'CompletingRebalance':
      case 'Stable':
        return g.has(memberId) || g.size < this.config.maxGroupSize;
      case 'PreparingRebalance':
        return (g.has(memberId) && g.get(memberId)!.awaitingJoin !== null) || g.numAwaitingJoin < this.config.maxGroupSize;
    }
  }

  private doNewMemberJoin(g: ClassicGroup, r: JoinParams, cb: (r: JoinResult) => void): void {
    if (g.is('Dead')) return cb(errorJoin(ErrorCode.COORDINATOR_NOT_AVAILABLE, r.memberId));
    if (!g.supportsProtocols(r.protocolType, r.protocols)) return cb(errorJoin(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, r.memberId));
    const newId = `${r.groupInstanceId ?? r.clientId}-${randomUUID()}`;
    if (r.groupInstanceId !== null) {
      const oldId = g.staticMemberId(r.groupInstanceId);
      if (oldId !== undefined) return this.updateStaticMemberAndRebalance(g, r, oldId, newId, cb);
      return this.addMemberAndRebalance(g, r, newId, cb);
    }
    if (r.requireKnownMemberId) {
      if (g.pendingMembers.size >= this.config.maxPendingMembers) return cb(errorJoin(ErrorCode.GROUP_MAX_SIZE_REACHED, r.memberId));
      g.pendingMembers.add(newId);
      this.setMemberTimer(g, newId, r.sessionTimeoutMs, () => this.expirePendingMember(g, newId));
      return cb(errorJoin(ErrorCode.MEMBER_ID_REQUIRED, newId));
    }
    this.addMemberAndRebalance(g, r, newId, cb);
  }

  private doCurrentMemberJoin(g: ClassicGroup, r: JoinParams, cb: (r: JoinResult) => void): void {
    if (g.is('Dead')) return cb(errorJoin(ErrorCode.COORDINATOR_NOT_AVAILABLE, r.memberId));
    if (!g.supportsProtocols(r.protocolType, r.protocols, r.memberId)) return cb(errorJoin(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, r.memberId));
    if (g.pendingMembers.has(r.memberId)) {
      this.clearMemberTimer(g, r.memberId);
      return this.addMemberAndRebalance(g, r, r.memberId, cb);
    }
    if (g.isStaticMemberFenced(r.memberId, r.groupInstanceId)) return cb(errorJoin(ErrorCode.FENCED_INSTANCE_ID, r.memberId));
    const member = g.get(r.memberId);
    if (!member) return cb(errorJoin(ErrorCode.UNKNOWN_MEMBER_ID, r.memberId));
    switch (g.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(g, member, r, cb);
      case 'CompletingRebalance':
        if (member.matches(r.protocols)) {
          // The member did not see the join response (e.g. a retried request): send it again.
          this.touch(g, member);
          return cb(this.joinResponseFor(g, member, false));
        }
        return this.updateMemberAndRebalance(g, member, r, cb);
      case 'Stable':
        if (g.isLeader(member.memberId) || !member.matches(r.protocols)) return this.updateMemberAndRebalance(g, member, r, cb);
        // A follower rejoining with nothing changed: tell it the current generation.
        this.touch(g, member);
        return cb(this.joinResponseFor(g, member, false));
      case 'Empty':
      case 'Dead':
        return cb(errorJoin(ErrorCode.UNKNOWN_MEMBER_ID, r.memberId));
    }
  }

  private joinResponseFor(g: ClassicGroup, m: GroupMember, skipAssignment: boolean): JoinResult {
    const leader = g.isLeader(m.memberId);
    return {
      errorCode: ErrorCode.NONE,
      generationId: g.generationId,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      leader: g.leaderId ?? '',
      memberId: m.memberId,
      members: leader ? this.memberInfos(g) : [],
      skipAssignment,
    };
  }

  private memberInfos(g: ClassicGroup) {
    const p = g.protocolName ?? '';
    return [...g.members.values()].map((x) => ({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, metadata: x.metadataFor(p) }));
  }

  private addMemberAndRebalance(g: ClassicGroup, r: JoinParams, memberId: string, cb: (r: JoinResult) => void): void {
    const now = this.clock.now();
    const m = new GroupMember(memberId, r.groupInstanceId, r.clientId, r.clientHost, r.rebalanceTimeoutMs, r.sessionTimeoutMs, r.protocolType, r.protocols);
    m.isNew = true;
    m.joinedAt = now;
    m.lastSeen = now;
    if (g.is('PreparingRebalance') && g.generationId === 0) g.newMemberAdded = true;
    g.add(m);
    m.awaitingJoin = cb;
    this.scheduleHeartbeat(g, m);
    this.log?.debug(`group ${g.groupId}: new member ${memberId} joins (${g.size} members)`);
    this.maybePrepareRebalance(g, `adding new member ${memberId}`);
    this.tryCompleteJoinPhase(g);
  }

  private updateMemberAndRebalance(g: ClassicGroup, m: GroupMember, r: JoinParams, cb: (r: JoinResult) => void): void {
    m.protocols = r.protocols;
    m.protocolType = r.protocolType;
    m.rebalanceTimeoutMs = r.rebalanceTimeoutMs;
    m.sessionTimeoutMs = r.sessionTimeoutMs;
    m.clientId = r.clientId;
    m.clientHost = r.clientHost;
    // A second join from the same member while one waits: the older request gets an answer first (responses
    // are sent in order on a connection).
    this.completeJoin(m, errorJoin(ErrorCode.REBALANCE_IN_PROGRESS, m.memberId));
    m.awaitingJoin = cb;
    this.touch(g, m);
    this.maybePrepareRebalance(g, `member ${m.memberId} rejoins${r.reason ? ` (${r.reason})` : ''}`);
    this.tryCompleteJoinPhase(g);
  }

  private updateStaticMemberAndRebalance(g: ClassicGroup, r: JoinParams, oldId: string, newId: string, cb: (r: JoinResult) => void): void {
    const m = g.get(oldId)!;
    const leaderBefore = g.leaderId ?? '';
    const old = { protocols: m.protocols, rebalanceTimeoutMs: m.rebalanceTimeoutMs, sessionTimeoutMs: m.sessionTimeoutMs, clientId: m.clientId, clientHost: m.clientHost };
    // The old incarnation is fenced: whatever it waits for ends with FENCED_INSTANCE_ID.
    this.completeJoin(m, errorJoin(ErrorCode.FENCED_INSTANCE_ID, oldId));
    this.completeSync(m, errorSync(ErrorCode.FENCED_INSTANCE_ID));
    this.clearMemberTimer(g, oldId);
    g.replaceStaticMember(r.groupInstanceId!, oldId, newId);
    this.log?.debug(`group ${g.groupId}: static member ${r.groupInstanceId} rejoins, ${oldId} → ${newId}`);
    switch (g.state) {
      case 'Stable': {
        if (!m.matches(r.protocols)) return this.updateMemberAndRebalance(g, m, r, cb);
        m.rebalanceTimeoutMs = r.rebalanceTimeoutMs;
        m.sessionTimeoutMs = r.sessionTimeoutMs;
        m.clientId = r.clientId;
        m.clientHost = r.clientHost;
        this.touch(g, m);
        // Persist the new member id before answering, so a restart does not bring the fenced id back.
        const gen = g.generationId;
        this.track(
          this.store.write(g.groupId, [this.groupMetadataRecord(g)]).then(
            () => {
              // v9+ (KIP-814): a returning leader gets the members and skipAssignment. Older clients are told
              // the previous leader id (Kafka does the same), so a returning leader does not think it leads
              // and re-assign a Stable group; it syncs and gets its old assignment back.
              if (r.supportsSkipAssignment) cb(this.joinResponseFor(g, m, g.isLeader(newId)));
              else cb({ ...this.joinResponseFor(g, m, false), leader: leaderBefore, members: [] });
            },
            (e) => {
              // Undo the replacement (if nothing else happened meanwhile).
              if (g.generationId === gen && g.get(newId) === m) {
                g.replaceStaticMember(r.groupInstanceId!, newId, oldId);
                Object.assign(m, old);
                this.clearMemberTimer(g, newId);
                this.scheduleHeartbeat(g, m);
              }
              cb(errorJoin(coordinatorErrorFor(errorCodeOf(e), false), ''));
            },
          ),
        );
        return;
      }
      case 'CompletingRebalance':
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(g, m, r, cb);
      case 'Empty':
      case 'Dead':
        return cb(errorJoin(ErrorCode.UNKNOWN_MEMBER_ID, r.memberId));
    }
  }

  private maybePrepareRebalance(g: ClassicGroup, reason: string): void {
    if (g.is('Stable') || g.is('CompletingRebalance') || g.is('Empty')) this.prepareRebalance(g, reason);
  }

  private prepareRebalance(g: ClassicGroup, reason: string): void {
    if (g.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(g, ErrorCode.REBALANCE_IN_PROGRESS);
    const t = this.timersOf(g);
    if (t.sync) this.clock.clearTimeout(t.sync);
    t.sync = null;
    g.pendingSyncMembers.clear();
    if (t.join) this.clock.clearTimeout(t.join);
    const wasEmpty = g.is('Empty');
    g.transitionTo('PreparingRebalance', this.clock.now());
    this.log?.info(`group ${g.groupId}: preparing to rebalance in generation ${g.generationId} (${reason})`);
    if (wasEmpty) {
      // Kafka's InitialDelayedJoin: wait group.initial.rebalance.delay.ms for more members, extended while
      // new members keep arriving, up to the rebalance timeout.
      g.newMemberAdded = false;
      const delay = this.config.initialRebalanceDelayMs;
      this.scheduleInitialJoin(g, delay, Math.max(g.rebalanceTimeoutMs - delay, 0));
    } else {
      t.joinIsInitial = false;
      t.join = this.clock.setTimeout(() => {
        t.join = null;
        this.onCompleteJoin(g);
      }, g.rebalanceTimeoutMs);
    }
  }

  private scheduleInitialJoin(g: ClassicGroup, delay: number, remaining: number): void {
    const t = this.timersOf(g);
    t.joinIsInitial = true;
    t.join = this.clock.setTimeout(() => {
      t.join = null;
      if (g.newMemberAdded && remaining > 0) {
        g.newMemberAdded = false;
        const next = Math.min(this.config.initialRebalanceDelayMs, remaining);
        this.scheduleInitialJoin(g, next, Math.max(remaining - this.config.initialRebalanceDelayMs, 0));
      } else this.onCompleteJoin(g);
    }, delay);
  }

  /** The join phase ends early once every known member has rejoined (not during the initial delay). */
  private tryCompleteJoinPhase(g: ClassicGroup): void {
    const t = this.timers.get(g);
    if (!g.is('PreparingRebalance') || !t || t.joinIsInitial || !g.hasAllMembersJoined()) return;
    if (t.join) this.clock.clearTimeout(t.join);
    t.join = null;
    this.onCompleteJoin(g);
  }

  private onCompleteJoin(g: ClassicGroup): void {
    if (!g.is('PreparingRebalance') || !this.running) return;
    const t = this.timersOf(g);
    if (t.join) this.clock.clearTimeout(t.join);
    t.join = null;
    // Members that did not rejoin in time leave the group.
    for (const m of [...g.members.values()]) {
      if (m.awaitingJoin) continue;
      this.log?.info(`group ${g.groupId}: member ${m.memberId} did not rejoin within the rebalance timeout, removing it`);
      this.clearMemberTimer(g, m.memberId);
      this.completeSync(m, errorSync(ErrorCode.UNKNOWN_MEMBER_ID));
      g.remove(m.memberId);
    }
    const now = this.clock.now();
    g.generationId++;
    if (g.size === 0) {
      g.protocolName = null;
      g.transitionTo('Empty', now);
      this.log?.info(`group ${g.groupId}: generation ${g.generationId} has no members, group is empty`);
      // Remember the (empty) generation so a restart does not resurrect old members.
      this.writeInBackground(g, [this.groupMetadataRecord(g)]);
      return;
    }
    g.protocolName = g.selectProtocol();
    g.transitionTo('CompletingRebalance', now);
    this.log?.info(`group ${g.groupId}: generation ${g.generationId} (${g.protocolType}/${g.protocolName}) with ${g.size} members, leader ${g.leaderId}`);
    for (const m of g.members.values()) {
      const cb = m.awaitingJoin!;
      m.awaitingJoin = null;
      m.isNew = false;
      g.pendingSyncMembers.add(m.memberId);
      this.touch(g, m);
      cb(this.joinResponseFor(g, m, false));
    }
    // Members that never send SyncGroup are removed after the rebalance timeout (then the group rebalances).
    const gen = g.generationId;
    t.sync = this.clock.setTimeout(() => {
      t.sync = null;
      this.expirePendingSync(g, gen);
    }, g.rebalanceTimeoutMs);
  }

  private expirePendingSync(g: ClassicGroup, generation: number): void {
    if (generation !== g.generationId || !(g.is('CompletingRebalance') || g.is('Stable')) || g.pendingSyncMembers.size === 0) return;
    const ids = [...g.pendingSyncMembers];
    this.log?.info(`group ${g.groupId}: members ${ids.join(', ')} did not sync in generation ${generation}, removing them`);
    for (const id of ids) {
      const m = g.get(id);
      if (!m) continue;
      this.clearMemberTimer(g, id);
      this.completeSync(m, errorSync(ErrorCode.UNKNOWN_MEMBER_ID));
      g.remove(id);
    }
    g.pendingSyncMembers.clear();
    this.maybePrepareRebalance(g, 'members did not sync');
    this.tryCompleteJoinPhase(g);
  }

  // ---- SyncGroup ---------------------------------------------------------------------------------------------

  sync(r: SyncParams): Promise<SyncResult> {
    if (!this.running) return Promise.resolve(errorSync(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (r.groupId === '') return Promise.resolve(errorSync(ErrorCode.INVALID_GROUP_ID));
    const g = this.groups.get(r.groupId);
    if (!g) return Promise.resolve(errorSync(ErrorCode.UNKNOWN_MEMBER_ID));
    if (g.is('Dead')) return Promise.resolve(errorSync(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (g.isStaticMemberFenced(r.memberId, r.groupInstanceId)) return Promise.resolve(errorSync(ErrorCode.FENCED_INSTANCE_ID));
    const m = g.get(r.memberId);
    if (!m) return Promise.resolve(errorSync(ErrorCode.UNKNOWN_MEMBER_ID));
    if (r.generationId !== g.generationId) return Promise.resolve(errorSync(ErrorCode.ILLEGAL_GENERATION));
    if ((r.protocolType !== null && r.protocolType !== g.protocolType) || (r.protocolName !== null && r.protocolName !== g.protocolName))
      return Promise.resolve(errorSync(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    switch (g.state) {
      case 'Empty':
        return Promise.resolve(errorSync(ErrorCode.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return Promise.resolve(errorSync(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'Stable':
        g.pendingSyncMembers.delete(m.memberId);
        this.touch(g, m);
        return Promise.resolve({ errorCode: ErrorCode.NONE, protocolType: g.protocolType, protocolName: g.protocolName, assignment: m.assignment });
      case 'CompletingRebalance':
        return new Promise<SyncResult>((resolve) => {
          this.completeSync(m, errorSync(ErrorCode.REBALANCE_IN_PROGRESS));
          m.awaitingSync = resolve;
          g.pendingSyncMembers.delete(m.memberId);
          this.touch(g, m);
          if (!g.isLeader(m.memberId)) return;
          // The leader's assignment: copy it (request bytes are views), persist it, then hand it out.
          const assignments = new Map<string, Uint8Array>();
          for (const a of r.assignments) if (g.has(a.memberId)) assignments.set(a.memberId, a.assignment.slice());
          const gen = g.generationId;
          const value = this.groupMetadataValue(g, assignments);
          this.track(
            this.store.write(g.groupId, [{ key: encodeGroupMetadataKey(g.groupId), value: encodeGroupMetadataValue(value) }]).then(
              () => {
                if (!g.is('CompletingRebalance') || g.generationId !== gen) return;
                for (const x of g.members.values()) x.assignment = assignments.get(x.memberId) ?? EMPTY_BYTES;
                g.transitionTo('Stable', this.clock.now());
                this.log?.info(`group ${g.groupId}: generation ${gen} is stable`);
                for (const x of g.members.values()) {
                  if (!x.awaitingSync) continue;
                  this.touch(g, x);
                  this.completeSync(x, { errorCode: ErrorCode.NONE, protocolType: g.protocolType, protocolName: g.protocolName, assignment: x.assignment });
                }
              },
              (e) => {
                if (!g.is('CompletingRebalance') || g.generationId !== gen) return;
                this.log?.warn(`group ${g.groupId}: storing the assignment of generation ${gen} failed: ${(e as Error).message}`);
                this.resetAndPropagateAssignmentError(g, coordinatorErrorFor(errorCodeOf(e), false));
                this.maybePrepareRebalance(g, 'storing the assignment failed');
              },
            ),
          );
        });
      case 'Dead':
        return Promise.resolve(errorSync(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
  }

  private resetAndPropagateAssignmentError(g: ClassicGroup, code: number): void {
    for (const m of g.members.values()) {
      m.assignment = EMPTY_BYTES;
      this.completeSync(m, errorSync(code));
    }
  }

  // ---- Heartbeat / LeaveGroup ----------------------------------------------------------------------------

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (!this.running) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const g = this.groups.get(groupId);
    if (!g) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (g.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (g.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (g.isStaticMemberFenced(memberId, groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    const m = g.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(g, m);
    return g.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leave(groupId: string, members: LeaveMember[]): LeaveResult {
    const each = (code: number) => members.map((x) => ({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, errorCode: code }));
    if (!this.running) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const g = this.groups.get(groupId);
    if (!g) return { errorCode: ErrorCode.NONE, members: each(ErrorCode.UNKNOWN_MEMBER_ID) };
    if (g.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const out: LeaveResult['members'] = [];
    for (const x of members) {
      const res = (code: number) => out.push({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, errorCode: code });
      if (x.memberId === '' && x.groupInstanceId !== null) {
        const id = g.staticMemberId(x.groupInstanceId);
        if (id === undefined) res(ErrorCode.UNKNOWN_MEMBER_ID);
        else {
          this.removeMemberAndUpdateGroup(g, g.get(id)!, `static member ${x.groupInstanceId} removed${x.reason ? ` (${x.reason})` : ''}`);
          res(ErrorCode.NONE);
        }
        continue;
      }
      if (g.isStaticMemberFenced(x.memberId, x.groupInstanceId)) {
        res(ErrorCode.FENCED_INSTANCE_ID);
        continue;
      }
      if (g.pendingMembers.delete(x.memberId)) {
        this.clearMemberTimer(g, x.memberId);
        this.tryCompleteJoinPhase(g);
        res(ErrorCode.NONE);
        continue;
      }
      const m = g.get(x.memberId);
      if (!m) {
        res(ErrorCode.UNKNOWN_MEMBER_ID);
        continue;
      }
      this.removeMemberAndUpdateGroup(g, m, `member ${m.memberId} left${x.reason ? ` (${x.reason})` : ''}`);
      res(ErrorCode.NONE);
    }
    return { errorCode: ErrorCode.NONE, members: out };
  }

  private removeMemberAndUpdateGroup(g: ClassicGroup, m: GroupMember, reason: string): void {
    this.completeJoin(m, errorJoin(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId));
    this.completeSync(m, errorSync(ErrorCode.UNKNOWN_MEMBER_ID));
    this.clearMemberTimer(g, m.memberId);
    g.remove(m.memberId);
    this.log?.info(`group ${g.groupId}: ${reason}`);
    switch (g.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.maybePrepareRebalance(g, reason);
        this.tryCompleteJoinPhase(g);
        break;
      case 'PreparingRebalance':
        this.tryCompleteJoinPhase(g);
        break;
      default:
        break;
    }
  }

  // ---- member sessions --------------------------------------------------------------------------------

  private timersOf(g: ClassicGroup): GroupTimers {
    let t = this.timers.get(g);
    if (!t) this.timers.set(g, (t = { join: null, joinIsInitial: false, sync: null, members: new Map() }));
    return t;
  }

  private setMemberTimer(g: ClassicGroup, memberId: string, ms: number, fn: () => void): void {
    const t = this.timersOf(g);
    const old = t.members.get(memberId);
    if (old) this.clock.clearTimeout(old);
    t.members.set(
      memberId,
      this.clock.setTimeout(() => {
        t.members.delete(memberId);
        fn();
      }, ms),
    );
  }

  private clearMemberTimer(g: ClassicGroup, memberId: string): void {
    const t = this.timers.get(g);
    const h = t?.members.get(memberId);
    if (h) {
      this.clock.clearTimeout(h);
      t!.members.delete(memberId);
    }
  }

  private clearGroupTimers(g: ClassicGroup): void {
    const t = this.timers.get(g);
    if (!t) return;
    if (t.join) this.clock.clearTimeout(t.join);
    if (t.sync) this.clock.clearTimeout(t.sync);
    for (const h of t.members.values()) this.clock.clearTimeout(h);
    this.timers.delete(g);
  }

  /** A sign of life from a member: its session restarts. */
  private touch(g: ClassicGroup, m: GroupMember): void {
    m.lastSeen = this.clock.now();
    this.scheduleHeartbeat(g, m);
  }

  private scheduleHeartbeat(g: ClassicGroup, m: GroupMember): void {
    const id = m.memberId;
    this.setMemberTimer(g, id, m.sessionTimeoutMs, () => this.onSessionExpired(g, id));
  }

  private onSessionExpired(g: ClassicGroup, memberId: string): void {
    const m = g.get(memberId);
    if (!m || !this.running) return;
    const now = this.clock.now();
    // Kafka's shouldKeepAlive: a member waiting in a join phase stays (a new one at most newMemberJoinTimeout);
    // one waiting for its assignment stays (the sync timeout handles it).
    const keep = m.awaitingJoin ? !m.isNew || now - m.joinedAt < this.config.newMemberJoinTimeoutMs : m.awaitingSync !== null;
    if (keep) {
      this.setMemberTimer(g, memberId, m.awaitingJoin && m.isNew ? Math.min(m.sessionTimeoutMs, Math.max(1, m.joinedAt + this.config.newMemberJoinTimeoutMs - now)) : m.sessionTimeoutMs, () =>
        this.onSessionExpired(g, memberId),
      );
      return;
    }
    this.removeMemberAndUpdateGroup(g, m, `member ${memberId} session timed out (${m.sessionTimeoutMs} ms)`);
  }

  private expirePendingMember(g: ClassicGroup, memberId: string): void {
    if (!g.pendingMembers.delete(memberId)) return;
    this.log?.debug(`group ${g.groupId}: pending member ${memberId} did not join in time`);
    this.tryCompleteJoinPhase(g);
  }

  private completeJoin(m: GroupMember, r: JoinResult): void {
    const cb = m.awaitingJoin;
    if (!cb) return;
    m.awaitingJoin = null;
    cb(r);
  }

  private completeSync(m: GroupMember, r: SyncResult): void {
    const cb = m.awaitingSync;
    if (!cb) return;
    m.awaitingSync = null;
    cb(r);
  }

  // ---- persistence helpers ----------------------------------------------------------------------------

  private groupMetadataValue(g: ClassicGroup, assignments?: Map<string, Uint8Array>): GroupMetadataValue {
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

  private groupMetadataRecord(g: ClassicGroup): StoreRecord {
    return { key: encodeGroupMetadataKey(g.groupId), value: encodeGroupMetadataValue(this.groupMetadataValue(g)) };
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  private writeInBackground(g: ClassicGroup, records: StoreRecord[]): void {
    this.track(this.store.write(g.groupId, records)).catch((e) => this.log?.warn(`group ${g.groupId}: writing to __consumer_offsets failed: ${(e as Error).message}`));
  }

  /** A group created by a request that then failed (nothing joined, nothing committed) is forgotten. */
  private maybeDropUnusedGroup(g: ClassicGroup): void {
    if (g.is('Empty') && g.size === 0 && g.generationId === 0 && !g.hasOffsets && g.pendingMembers.size === 0 && this.groups.get(g.groupId) === g) {
      this.clearGroupTimers(g);
      this.groups.delete(g.groupId);
    }
  }

  // ---- offsets ------------------------------------------------------------------------------------------

  async commitOffsets(r: CommitParams, validate?: PartitionValidator): Promise<CommitResult> {
    const all = (code: number): CommitResult => r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: code })) }));
    if (!this.running) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    let g = this.groups.get(r.groupId);
    if (!g) {
      if (r.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      // A consumer that only uses Kafka to store offsets (no group management).
      g = new ClassicGroup(r.groupId, this.clock.now());
      this.groups.set(r.groupId, g);
    }
    if (g.is('Dead')) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (g.isStaticMemberFenced(r.memberId, r.groupInstanceId)) return all(ErrorCode.FENCED_INSTANCE_ID);
    if (!(r.generationId < 0 && g.is('Empty'))) {
      if (g.is('CompletingRebalance')) return all(ErrorCode.REBALANCE_IN_PROGRESS);
      const m = g.get(r.memberId);
      if (!m) return all(ErrorCode.UNKNOWN_MEMBER_ID);
      if (r.generationId !== g.generationId) return all(ErrorCode.ILLEGAL_GENERATION);
      this.touch(g, m);
    }
    return this.doCommit(g, r, validate);
  }

  private async doCommit(g: ClassicGroup, r: CommitParams, validate?: PartitionValidator): Promise<CommitResult> {
    const now = this.clock.now();
    const result: CommitResult = [];
    const records: StoreRecord[] = [];
    const accepted: { topic: string; o: CommittedOffset; partition: number; out: { errorCode: number } }[] = [];
    for (const t of r.topics) {
      const parts: CommitResult[number]['partitions'] = [];
      result.push({ name: t.name, partitions: parts });
      for (const p of t.partitions) {
        const out: { partition: number; errorCode: number } = { partition: p.partition, errorCode: ErrorCode.NONE };
        parts.push(out);
        const invalid = validate?.(t.name, p.partition) ?? ErrorCode.NONE;
        if (invalid !== ErrorCode.NONE) {
          out.errorCode = invalid;
          continue;
        }
        const metadata = p.metadata ?? '';
        if (utf8Len(metadata) > this.config.offsetMetadataMaxBytes) {
          out.errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
          continue;
        }
        const commitTimestamp = p.commitTimestamp >= 0 ? p.commitTimestamp : now;
        const expireTimestamp = r.retentionTimeMs >= 0 ? now + r.retentionTimeMs : -1;
        const o: CommittedOffset = { offset: p.offset, leaderEpoch: p.leaderEpoch, metadata, commitTimestamp, expireTimestamp, appendOffset: -1 };
        records.push({
          key: encodeOffsetCommitKey(g.groupId, t.name, p.partition),
          value:
            expireTimestamp >= 0
              ? encodeOffsetCommitValueV1({ offset: p.offset, metadata, commitTimestamp: BigInt(commitTimestamp), expireTimestamp: BigInt(expireTimestamp) })
              : encodeOffsetCommitValue({ offset: p.offset, leaderEpoch: p.leaderEpoch, metadata, commitTimestamp: BigInt(commitTimestamp) }),
        });
        accepted.push({ topic: t.name, partition: p.partition, o, out });
      }
    }
    if (records.length === 0) {
      this.maybeDropUnusedGroup(g);
      return result;
    }
    g.pendingCommits++;
    try {
      const lastOffset = await this.track(this.store.write(g.groupId, records));
      if (!g.is('Dead')) {
        for (const a of accepted) {
          a.o.appendOffset = lastOffset;
          const cur = g.offset(a.topic, a.partition);
          if (cur === undefined || cur.appendOffset <= lastOffset) g.setOffset(a.topic, a.partition, a.o);
        }
      }
    } catch (e) {
      const code = coordinatorErrorFor(errorCodeOf(e), true);
      this.log?.warn(`group ${g.groupId}: offset commit failed: ${(e as Error).message}`);
      for (const a of accepted) a.out.errorCode = code;
    } finally {
      g.pendingCommits--;
      this.maybeDropUnusedGroup(g);
    }
    return result;
  }

  /** OffsetFetch for one group: `topics` null = every committed offset. Uncommitted partitions: -1. */
  fetchOffsets(groupId: string, topics: { name: string; partitions: number[] }[] | null, _requireStable = false): FetchOffsetsResult {
    if (!this.running) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] };
    const g = this.groups.get(groupId);
    const entry = (p: number, o: CommittedOffset | undefined): FetchedPartition =>
      o
        ? { partition: p, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE }
        : { partition: p, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
    if (topics === null) {
      const out: FetchOffsetsResult['topics'] = [];
      if (g && !g.is('Dead'))
        for (const [name, parts] of g.offsets) out.push({ name, partitions: [...parts.entries()].sort((a, b) => a[0] - b[0]).map(([p, o]) => entry(p, o)) });
      return { errorCode: ErrorCode.NONE, topics: out };
    }
    const live = g && !g.is('Dead') ? g : undefined;
    return { errorCode: ErrorCode.NONE, topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => entry(p, live?.offset(t.name, p))) })) };
  }

  /** OffsetDelete: offsets of topics the (consumer) group no longer subscribes to, or of an empty group. */
  async deleteOffsets(
    groupId: string,
    topics: { name: string; partitions: number[] }[],
    validate?: PartitionValidator,
  ): Promise<{ errorCode: number; topics: { name: string; partitions: { partition: number; errorCode: number }[] }[] }> {
    if (!this.running) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] };
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
    const g = this.groups.get(groupId);
    if (!g || g.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    const isConsumer = g.protocolType === CONSUMER_PROTOCOL_TYPE;
    if (!isConsumer && !g.is('Empty')) return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    const records: StoreRecord[] = [];
    const out = topics.map((t) => {
      const subscribed = isConsumer && !g.is('Empty') && g.isSubscribedToTopic(t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((p) => {
          const invalid = validate?.(t.name, p) ?? ErrorCode.NONE;
          if (invalid !== ErrorCode.NONE) return { partition: p, errorCode: invalid };
          if (subscribed) return { partition: p, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
          if (g.deleteOffset(t.name, p)) records.push({ key: encodeOffsetCommitKey(groupId, t.name, p), value: null });
          return { partition: p, errorCode: ErrorCode.NONE };
        }),
      };
    });
    if (records.length > 0) {
      try {
        await this.track(this.store.write(groupId, records));
      } catch (e) {
        return { errorCode: coordinatorErrorFor(errorCodeOf(e), false), topics: [] };
      }
    }
    return { errorCode: ErrorCode.NONE, topics: out };
  }

  // ---- DescribeGroups / ListGroups / DeleteGroups --------------------------------------------------------------

  describe(groupId: string): DescribedGroup {
    const base = { groupId, errorCode: ErrorCode.NONE };
    if (!this.running) return { ...base, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groupState: '', protocolType: '', protocolData: '', members: [] };
    const g = this.groups.get(groupId);
    if (!g || g.is('Dead')) return { ...base, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    const stable = g.is('Stable');
    const p = g.protocolName ?? '';
    return {
      ...base,
      groupState: g.state,
      protocolType: g.protocolType ?? '',
      protocolData: stable ? p : '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadataFor(p) : EMPTY_BYTES,
        memberAssignment: stable ? m.assignment : EMPTY_BYTES,
      })),
    };
  }

  list(statesFilter: readonly string[] = [], typesFilter: readonly string[] = []): { errorCode: number; groups: ListedGroup[] } {
    if (!this.running) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const groups: ListedGroup[] = [];
    for (const g of this.groups.values()) {
      if (g.is('Dead')) continue;
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      if (types.size > 0 && !types.has('classic')) continue;
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
    }
    return { errorCode: ErrorCode.NONE, groups };
  }

  async deleteGroups(groupIds: readonly string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const results: Promise<{ groupId: string; errorCode: number }>[] = [];
    for (const groupId of groupIds) {
      const done = (errorCode: number) => results.push(Promise.resolve({ groupId, errorCode }));
      if (!this.running) done(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      else if (groupId === '') done(ErrorCode.INVALID_GROUP_ID);
      else {
        const g = this.groups.get(groupId);
        if (!g || g.is('Dead')) done(ErrorCode.GROUP_ID_NOT_FOUND);
        else if (!g.is('Empty') || g.size > 0) done(ErrorCode.NON_EMPTY_GROUP);
        else {
          const records = this.removeGroup(g);
          results.push(
            this.track(this.store.write(groupId, records)).then(
              () => ({ groupId, errorCode: ErrorCode.NONE }),
              (e) => ({ groupId, errorCode: coordinatorErrorFor(errorCodeOf(e), false) }),
            ),
          );
        }
      }
    }
    return Promise.all(results);
  }

  /** Dead + forgotten; returns the tombstones for its offsets and metadata. */
  private removeGroup(g: ClassicGroup): StoreRecord[] {
    const records: StoreRecord[] = [];
    for (const [topic, parts] of g.offsets) for (const p of parts.keys()) records.push({ key: encodeOffsetCommitKey(g.groupId, topic, p), value: null });
    records.push({ key: encodeGroupMetadataKey(g.groupId), value: null });
    g.offsets.clear();
    g.transitionTo('Dead', this.clock.now());
    for (const id of g.pendingMembers) this.clearMemberTimer(g, id);
    g.pendingMembers.clear();
    this.clearGroupTimers(g);
    this.groups.delete(g.groupId);
    return records;
  }

  // ---- offset expiry (offsets.retention.minutes) -----------------------------------------------------------

  private scheduleExpiry(): void {
    this.expiryTimer = this.clock.setTimeout(() => {
      this.expiryTimer = null;
      if (!this.running) return;
      try {
        this.expireOffsets();
      } finally {
        if (this.running) this.scheduleExpiry();
      }
    }, this.config.offsetsRetentionCheckIntervalMs);
  }

  /** Kafka's cleanupGroupMetadata: expired offsets get tombstones; empty groups without offsets die. */
  expireOffsets(now = this.clock.now()): { offsets: number; groups: number } {
    let nOffsets = 0;
    let nGroups = 0;
    for (const g of [...this.groups.values()]) {
      if (g.is('Dead')) continue;
      let base: ((o: CommittedOffset) => number) | null = null;
      let onlyUnsubscribed: Set<string> | null = null;
      if (g.protocolType === null) base = (o) => o.commitTimestamp;
      else if (g.is('Empty')) base = () => g.currentStateTimestamp;
      else if (g.protocolType === CONSUMER_PROTOCOL_TYPE && g.is('Stable')) {
        const subs = g.subscribedTopics();
        if (subs !== null) {
          base = (o) => o.commitTimestamp;
          onlyUnsubscribed = subs;
        }
      }
      const records: StoreRecord[] = [];
      if (base !== null && g.pendingCommits === 0) {
        for (const [topic, parts] of [...g.offsets]) {
          if (onlyUnsubscribed?.has(topic)) continue;
          for (const [p, o] of [...parts]) {
            const expired = o.expireTimestamp >= 0 ? now >= o.expireTimestamp : now - base(o) >= this.config.offsetsRetentionMs;
            if (!expired) continue;
            g.deleteOffset(topic, p);
            records.push({ key: encodeOffsetCommitKey(g.groupId, topic, p), value: null });
            nOffsets++;
          }
        }
      }
      if (g.is('Empty') && g.size === 0 && !g.hasOffsets && g.pendingMembers.size === 0) {
        records.push(...this.removeGroup(g));
        nGroups++;
      }
      if (records.length > 0) this.writeInBackground(g, records);
    }
    if (nOffsets + nGroups > 0) this.log?.info(`removed ${nOffsets} expired offsets and ${nGroups} groups`);
    return { offsets: nOffsets, groups: nGroups };
  }

  /** For tests / tools: states of all groups. */
  states(): Map<string, GroupState> {
    return new Map([...this.groups].map(([k, g]) => [k, g.state]));
  }
}

function errorCodeOf(e: unknown): number {
  return e instanceof StorageError ? e.code : typeof (e as { code?: unknown })?.code === 'number' ? (e as { code: number }).code : ErrorCode.UNKNOWN_SERVER_ERROR;
}
