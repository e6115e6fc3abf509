// The requests of the classic group protocol that change membership: JoinGroup (new, known and static
// members, KIP-394 member ids, KIP-345 static membership), SyncGroup, Heartbeat and LeaveGroup. Each checks
// the request against the group (fencing, generation, state) and answers with Kafka's error codes; the
// rebalance they trigger is the Rebalancer's.

import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors.js';
import { invariant, invariantViolation } from '../../common/invariant.js';
import type { Logger } from '../util/log.js';
import type { GroupClock } from './clock.js';
import type { CoordinatorConfig } from './coordinator-config.js';
import type { ClassicGroup } from './group.js';
import { errorCodeOf, type GroupMetadataManager } from './group-metadata-manager.js';
import { GroupMember, type JoinResult, type SyncResult } from './member.js';
import { coordinatorErrorFor } from './offsets-store.js';
import type { Rebalancer } from './rebalance.js';
import { errorJoin, errorSync, type JoinParams, type LeaveMember, type LeaveResult, type SyncParams } from './requests.js';
import type { MemberSessions } from './sessions.js';
import type { GroupTimers } from './timers.js';

type JoinCallback = (r: JoinResult) => void;

export interface MembershipOptions {
  config: CoordinatorConfig;
  clock: GroupClock;
  log: Logger | undefined;
  timers: GroupTimers;
  sessions: MemberSessions;
  rebalancer: Rebalancer;
  groups: GroupMetadataManager;
}

export class Membership {
  private readonly config: CoordinatorConfig;
  private readonly log: Logger | undefined;
  private readonly sessions: MemberSessions;
  private readonly rebalancer: Rebalancer;
  private readonly groups: GroupMetadataManager;

  constructor(private readonly o: MembershipOptions) {
    this.config = o.config;
    this.log = o.log;
    this.sessions = o.sessions;
    this.rebalancer = o.rebalancer;
    this.groups = o.groups;
  }

  // ---- JoinGroup ----------------------------------------------------------------------------------------

  join(r: JoinParams): Promise<JoinResult> {
    if (r.groupId === '') return Promise.resolve(errorJoin(ErrorCode.INVALID_GROUP_ID, r.memberId));
    if (r.sessionTimeoutMs < this.config.minSessionTimeoutMs || r.sessionTimeoutMs > this.config.maxSessionTimeoutMs)
      return Promise.resolve(errorJoin(ErrorCode.INVALID_SESSION_TIMEOUT, r.memberId));
    const unknown = r.memberId === '';
    let g = this.groups.get(r.groupId);
    const created = !g;
    if (!g) {
      if (!unknown) return Promise.resolve(errorJoin(ErrorCode.UNKNOWN_MEMBER_ID, r.memberId));
      g = this.groups.create(r.groupId);
    }
    const group = g;
    if (!this.acceptJoiningMember(group, r.memberId)) {
      this.log?.debug(`group ${group.groupId}: member ${r.memberId || '(new)'} refused, group.max.size ${this.config.maxGroupSize} reached`);
      return Promise.resolve(errorJoin(ErrorCode.GROUP_MAX_SIZE_REACHED, r.memberId));
    }
    return new Promise<JoinResult>((resolve) => {
      if (unknown) this.joinNewMember(group, r, resolve);
      else this.joinCurrentMember(group, r, resolve);
    }).finally(() => {
      if (created) this.groups.maybeDropUnusedGroup(group);
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

  private joinNewMember(g: ClassicGroup, r: JoinParams, cb: JoinCallback): void {
    if (g.is('Dead')) return cb(errorJoin(ErrorCode.COORDINATOR_NOT_AVAILABLE, r.memberId));
    if (!g.supportsProtocols(r.protocolType, r.protocols)) return cb(errorJoin(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, r.memberId));
    const newId = `${r.groupInstanceId ?? r.clientId}-${randomUUID()}`;
    if (r.groupInstanceId !== null) {
      const oldId = g.staticMemberId(r.groupInstanceId);
      if (oldId !== undefined) return this.rejoinStaticMember(g, r, oldId, newId, cb);
      return this.addMemberAndRebalance(g, r, newId, cb);
    }
    if (r.requireKnownMemberId) {
      if (g.pendingMembers.size >= this.config.maxPendingMembers) return cb(errorJoin(ErrorCode.GROUP_MAX_SIZE_REACHED, r.memberId));
      g.pendingMembers.add(newId);
      this.sessions.schedulePending(g, newId, r.sessionTimeoutMs);
      return cb(errorJoin(ErrorCode.MEMBER_ID_REQUIRED, newId));
    }
    this.addMemberAndRebalance(g, r, newId, cb);
  }

  private joinCurrentMember(g: ClassicGroup, r: JoinParams, cb: JoinCallback): void {
    if (g.is('Dead')) return cb(errorJoin(ErrorCode.COORDINATOR_NOT_AVAILABLE, r.memberId));
    if (!g.supportsProtocols(r.protocolType, r.protocols, r.memberId)) return cb(errorJoin(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, r.memberId));
    if (g.pendingMembers.has(r.memberId)) {
      this.o.timers.clearMember(g, r.memberId);
      return this.addMemberAndRebalance(g, r, r.memberId, cb);
    }
    if (g.isStaticMemberFenced(r.memberId, r.groupInstanceId)) return cb(errorJoin(ErrorCode.FENCED_INSTANCE_ID, r.memberId));
    const member = this.memberOf(g, r.memberId);
    if (!member) return cb(errorJoin(ErrorCode.UNKNOWN_MEMBER_ID, r.memberId));
    switch (g.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(g, member, r, cb);
      case 'CompletingRebalance':
        if (!member.matches(r.protocols)) return this.updateMemberAndRebalance(g, member, r, cb);
        // The member did not see the join response (e.g. a retried request): send it again.
        this.sessions.touch(g, member);
        return cb(this.rebalancer.joinResponseFor(g, member, false));
      case 'Stable':
        if (g.isLeader(member.memberId) || !member.matches(r.protocols)) return this.updateMemberAndRebalance(g, member, r, cb);
        // A follower rejoining with nothing changed: tell it the current generation.
        this.sessions.touch(g, member);
        return cb(this.rebalancer.joinResponseFor(g, member, false));
      case 'Empty':
      case 'Dead':
        return cb(errorJoin(ErrorCode.UNKNOWN_MEMBER_ID, r.memberId));
    }
  }

  private addMemberAndRebalance(g: ClassicGroup, r: JoinParams, memberId: string, cb: JoinCallback): void {
    const now = this.o.clock.now();
    const m = new GroupMember(memberId, r.groupInstanceId, r.clientId, r.clientHost, r.rebalanceTimeoutMs, r.sessionTimeoutMs, r.protocolType, r.protocols);
    m.isNew = true;
    m.joinedAt = now;
    m.lastSeen = now;
    if (g.is('PreparingRebalance') && g.generationId === 0) g.newMemberAdded = true;
    g.add(m);
    m.awaitingJoin = cb;
    this.sessions.schedule(g, m);
    this.log?.debug(`group ${g.groupId}: new member ${memberId} joins (${g.size} members)`);
    this.rebalancer.maybePrepareRebalance(g, `adding new member ${memberId}`);
    this.rebalancer.tryCompleteJoinPhase(g);
  }

  private updateMemberAndRebalance(g: ClassicGroup, m: GroupMember, r: JoinParams, cb: JoinCallback): void {
    m.protocols = r.protocols;
    m.protocolType = r.protocolType;
    m.rebalanceTimeoutMs = r.rebalanceTimeoutMs;
    m.sessionTimeoutMs = r.sessionTimeoutMs;
    m.clientId = r.clientId;
    m.clientHost = r.clientHost;
    // A second join from the same member while one waits: the older request gets an answer first (responses
    // are sent in order on a connection).
    m.completeJoin(errorJoin(ErrorCode.REBALANCE_IN_PROGRESS, m.memberId));
    m.awaitingJoin = cb;
    this.sessions.touch(g, m);
    this.rebalancer.maybePrepareRebalance(g, `member ${m.memberId} rejoins${r.reason ? ` (${r.reason})` : ''}`);
    this.rebalancer.tryCompleteJoinPhase(g);
  }

  /** KIP-345: a known group.instance.id joins with an empty member id; its old incarnation is fenced. */
  private rejoinStaticMember(g: ClassicGroup, r: JoinParams, oldId: string, newId: string, cb: JoinCallback): void {
    const m = this.memberOf(g, oldId);
    invariant(m !== undefined, `group ${g.groupId}: static member ${r.groupInstanceId} maps to member ${oldId}`);
    m.completeJoin(errorJoin(ErrorCode.FENCED_INSTANCE_ID, oldId));
    m.completeSync(errorSync(ErrorCode.FENCED_INSTANCE_ID));
    this.o.timers.clearMember(g, oldId);
    const leaderBefore = g.leaderId ?? '';
    const previous = { protocols: m.protocols, rebalanceTimeoutMs: m.rebalanceTimeoutMs, sessionTimeoutMs: m.sessionTimeoutMs, clientId: m.clientId, clientHost: m.clientHost };
    g.replaceStaticMember(r.groupInstanceId!, oldId, newId);
    this.log?.debug(`group ${g.groupId}: static member ${r.groupInstanceId} rejoins, ${oldId} → ${newId}`);
    switch (g.state) {
      case 'Stable':
        if (!m.matches(r.protocols)) return this.updateMemberAndRebalance(g, m, r, cb);
        return this.rejoinStableStaticMember(g, m, r, { oldId, leaderBefore, previous }, cb);
      case 'CompletingRebalance':
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(g, m, r, cb);
      case 'Empty':
      case 'Dead':
        return cb(errorJoin(ErrorCode.UNKNOWN_MEMBER_ID, r.memberId));
    }
  }

  /** A static member returns to a Stable group unchanged: no rebalance, its new member id is stored first. */
  private rejoinStableStaticMember(
    g: ClassicGroup,
    m: GroupMember,
    r: JoinParams,
    before: { oldId: string; leaderBefore: string; previous: Pick<GroupMember, 'protocols' | 'rebalanceTimeoutMs' | 'sessionTimeoutMs' | 'clientId' | 'clientHost'> },
    cb: JoinCallback,
  ): void {
    const newId = m.memberId;
    m.rebalanceTimeoutMs = r.rebalanceTimeoutMs;
    m.sessionTimeoutMs = r.sessionTimeoutMs;
    m.clientId = r.clientId;
    m.clientHost = r.clientHost;
    this.sessions.touch(g, m);
    // Persist the new member id before answering, so a restart does not bring the fenced id back.
    const gen = g.generationId;
    this.groups.storeGroup(g).then(
      () => {
        // v9+ (KIP-814): a returning leader gets the members and skipAssignment. Older clients are told
        // the previous leader id (Kafka does the same), so a returning leader does not think it leads
        // and re-assign a Stable group; it syncs and gets its old assignment back.
        if (r.supportsSkipAssignment) cb(this.rebalancer.joinResponseFor(g, m, g.isLeader(newId)));
        else cb({ ...this.rebalancer.joinResponseFor(g, m, false), leader: before.leaderBefore, members: [] });
      },
      (e) => {
        // Undo the replacement (if nothing else happened meanwhile).
        if (g.generationId === gen && g.get(newId) === m) {
          g.replaceStaticMember(r.groupInstanceId!, newId, before.oldId);
          Object.assign(m, before.previous);
          this.o.timers.clearMember(g, newId);
          this.sessions.schedule(g, m);
        }
        cb(errorJoin(coordinatorErrorFor(errorCodeOf(e), false), ''));
      },
    );
  }

  // ---- SyncGroup / Heartbeat / LeaveGroup ---------------------------------------------------------------

  sync(r: SyncParams): Promise<SyncResult> {
    if (r.groupId === '') return Promise.resolve(errorSync(ErrorCode.INVALID_GROUP_ID));
    const g = this.groups.get(r.groupId);
    if (!g) return Promise.resolve(errorSync(ErrorCode.UNKNOWN_MEMBER_ID));
    if (g.is('Dead')) return Promise.resolve(errorSync(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (g.isStaticMemberFenced(r.memberId, r.groupInstanceId)) return Promise.resolve(errorSync(ErrorCode.FENCED_INSTANCE_ID));
    const m = this.memberOf(g, r.memberId);
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
        this.sessions.touch(g, m);
        return Promise.resolve({ errorCode: ErrorCode.NONE, protocolType: g.protocolType, protocolName: g.protocolName, assignment: m.assignment });
      case 'CompletingRebalance':
        return this.rebalancer.awaitAssignment(g, m, r);
      case 'Dead':
        return Promise.resolve(errorSync(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
  }

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const g = this.groups.get(groupId);
    if (!g) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (g.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (g.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (g.isStaticMemberFenced(memberId, groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    const m = this.memberOf(g, memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.sessions.touch(g, m);
    return g.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leave(groupId: string, members: LeaveMember[]): LeaveResult {
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const g = this.groups.get(groupId);
    if (!g) return { errorCode: ErrorCode.NONE, members: members.map((x) => ({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })) };
    if (g.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const out = members.map((x) => ({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, errorCode: this.leaveOne(g, x) }));
    return { errorCode: ErrorCode.NONE, members: out };
  }

  private leaveOne(g: ClassicGroup, x: LeaveMember): number {
    const why = x.reason ? ` (${x.reason})` : '';
    if (x.memberId === '' && x.groupInstanceId !== null) {
      const m = this.memberOf(g, g.staticMemberId(x.groupInstanceId));
      if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
      this.rebalancer.removeMemberAndUpdateGroup(g, m, `static member ${x.groupInstanceId} removed${why}`);
      return ErrorCode.NONE;
    }
    if (g.isStaticMemberFenced(x.memberId, x.groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (g.pendingMembers.delete(x.memberId)) {
      this.o.timers.clearMember(g, x.memberId);
      this.rebalancer.tryCompleteJoinPhase(g);
      return ErrorCode.NONE;
    }
    const m = this.memberOf(g, x.memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.rebalancer.removeMemberAndUpdateGroup(g, m, `member ${m.memberId} left${why}`);
    return ErrorCode.NONE;
  }

  /** The member under this id; the group's member map is keyed by each member's current id. */
  memberOf(g: ClassicGroup, memberId: string | undefined): GroupMember | undefined {
    if (memberId === undefined) return undefined;
    const m = g.get(memberId);
    if (m !== undefined && m.memberId !== memberId) throw invariantViolation(`group ${g.groupId}: member map key ${memberId} is its member's id`);
    return m;
  }
}
