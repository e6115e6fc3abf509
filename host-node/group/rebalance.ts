// A group's rebalance (Kafka's classic protocol): the join phase (PreparingRebalance) collects the members
// until all have rejoined or the rebalance timeout passes, then starts a generation; the sync phase
// (CompletingRebalance) waits for the leader's assignment, stores it and hands it out (Stable). A member
// leaving or a failed phase starts the next rebalance.

import { ErrorCode } from '../../protocol/errors.js';
import { invariant, invariantViolation } from '../../common/invariant.js';
import type { Logger } from '../util/log.js';
import type { GroupClock } from './clock.js';
import type { CoordinatorConfig } from './coordinator-config.js';
import type { ClassicGroup } from './group.js';
import { errorCodeOf, type GroupMetadataManager } from './group-metadata-manager.js';
import { EMPTY_BYTES, type GroupMember, type JoinResult, type SyncResult } from './member.js';
import { coordinatorErrorFor } from './offsets-store.js';
import { errorJoin, errorSync, type SyncParams } from './requests.js';
import type { MemberSessions } from './sessions.js';
import type { GroupTimers } from './timers.js';

export interface RebalancerOptions {
  config: CoordinatorConfig;
  clock: GroupClock;
  log: Logger | undefined;
  timers: GroupTimers;
  sessions: MemberSessions;
  groups: GroupMetadataManager;
  isRunning: () => boolean;
}

export class Rebalancer {
  constructor(private readonly o: RebalancerOptions) {}

  /** Starts a rebalance unless one is already under way (or the group is dead). */
  maybePrepareRebalance(g: ClassicGroup, reason: string): void {
    if (g.is('Stable') || g.is('CompletingRebalance') || g.is('Empty')) this.prepareRebalance(g, reason);
  }

  /** The join phase ends early once every known member has rejoined (not during the initial delay). */
  tryCompleteJoinPhase(g: ClassicGroup): void {
    if (!g.is('PreparingRebalance') || this.o.timers.joinIsInitial(g) !== false || !g.hasAllMembersJoined()) return;
    this.o.timers.clearJoin(g);
    this.onCompleteJoin(g);
  }

  /** A member leaves (LeaveGroup, session end): its requests are answered and the group rebalances. */
  removeMemberAndUpdateGroup(g: ClassicGroup, m: GroupMember, reason: string): void {
    m.completeJoin(errorJoin(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId));
    m.completeSync(errorSync(ErrorCode.UNKNOWN_MEMBER_ID));
    this.o.timers.clearMember(g, m.memberId);
    g.remove(m.memberId);
    this.o.log?.info(`group ${g.groupId}: ${reason}`);
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

  /** The JoinGroup answer of a member of the current generation (the leader also gets every member). */
  joinResponseFor(g: ClassicGroup, m: GroupMember, skipAssignment: boolean): JoinResult {
    const leader = g.isLeader(m.memberId);
    return {
      errorCode: ErrorCode.NONE,
      generationId: g.generationId,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      leader: g.leaderId ?? '',
      memberId: m.memberId,
      members: leader ? memberInfos(g) : [],
      skipAssignment,
    };
  }

  // ---- join phase ---------------------------------------------------------------------------------------

  private prepareRebalance(g: ClassicGroup, reason: string): void {
    if (g.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(g, ErrorCode.REBALANCE_IN_PROGRESS);
    this.o.timers.clearSync(g);
    g.pendingSyncMembers.clear();
    const wasEmpty = g.is('Empty');
    g.transitionTo('PreparingRebalance', this.o.clock.now());
    this.o.log?.info(`group ${g.groupId}: preparing to rebalance in generation ${g.generationId} (${reason})`);
    if (wasEmpty) {
      // Kafka's InitialDelayedJoin: wait group.initial.rebalance.delay.ms for more members, extended while
      // new members keep arriving, up to the rebalance timeout.
      g.newMemberAdded = false;
      const delay = this.o.config.initialRebalanceDelayMs;
      this.scheduleInitialJoin(g, delay, Math.max(g.rebalanceTimeoutMs - delay, 0));
    } else {
      this.o.timers.setJoin(g, g.rebalanceTimeoutMs, false, () => this.onCompleteJoin(g));
    }
  }

  private scheduleInitialJoin(g: ClassicGroup, delay: number, remaining: number): void {
    this.o.timers.setJoin(g, delay, true, () => {
      if (g.newMemberAdded && remaining > 0) {
        g.newMemberAdded = false;
        const step = this.o.config.initialRebalanceDelayMs;
        this.scheduleInitialJoin(g, Math.min(step, remaining), Math.max(remaining - step, 0));
      } else this.onCompleteJoin(g);
    });
  }

  private onCompleteJoin(g: ClassicGroup): void {
    if (!g.is('PreparingRebalance') || !this.o.isRunning()) return;
    this.o.timers.clearJoin(g);
    this.removeMembersNotRejoined(g);
    g.generationId++;
    if (g.size === 0) {
      g.protocolName = null;
      g.transitionTo('Empty', this.o.clock.now());
      this.o.log?.info(`group ${g.groupId}: generation ${g.generationId} has no members, group is empty`);
      // Remember the (empty) generation so a restart does not resurrect old members.
      this.o.groups.storeGroupInBackground(g);
      return;
    }
    g.protocolName = g.selectProtocol();
    g.transitionTo('CompletingRebalance', this.o.clock.now());
    invariant(g.leaderId !== null && g.has(g.leaderId), `group ${g.groupId}: a new generation has a leader among its members`);
    this.o.log?.info(`group ${g.groupId}: generation ${g.generationId} (${g.protocolType}/${g.protocolName}) with ${g.size} members, leader ${g.leaderId}`);
    for (const m of g.members.values()) {
      if (m.awaitingJoin === null) throw invariantViolation(`group ${g.groupId}: member ${m.memberId} of a new generation waits for its join response`);
      m.isNew = false;
      g.pendingSyncMembers.add(m.memberId);
      this.o.sessions.touch(g, m);
      m.completeJoin(this.joinResponseFor(g, m, false));
    }
    // Members that never send SyncGroup are removed after the rebalance timeout (then the group rebalances).
    const gen = g.generationId;
    this.o.timers.setSync(g, g.rebalanceTimeoutMs, () => this.expirePendingSync(g, gen));
  }

  /** Members that did not rejoin in time leave the group. */
  private removeMembersNotRejoined(g: ClassicGroup): void {
    for (const m of [...g.members.values()]) {
      if (m.awaitingJoin) continue;
      this.o.log?.info(`group ${g.groupId}: member ${m.memberId} did not rejoin within the rebalance timeout, removing it`);
      this.o.timers.clearMember(g, m.memberId);
      m.completeSync(errorSync(ErrorCode.UNKNOWN_MEMBER_ID));
      g.remove(m.memberId);
    }
  }

  // ---- sync phase ---------------------------------------------------------------------------------------

  /**
   * SyncGroup in CompletingRebalance: the member waits for its assignment. The leader's request carries
   * every assignment; it is stored in __consumer_offsets and, once durable, handed to all waiting members.
   */
  awaitAssignment(g: ClassicGroup, m: GroupMember, r: SyncParams): Promise<SyncResult> {
    return new Promise<SyncResult>((resolve) => {
      m.completeSync(errorSync(ErrorCode.REBALANCE_IN_PROGRESS));
      m.awaitingSync = resolve;
      g.pendingSyncMembers.delete(m.memberId);
      this.o.sessions.touch(g, m);
      if (!g.isLeader(m.memberId)) return;
      // Copies: the request's bytes are views of its buffer.
      const assignments = new Map<string, Uint8Array>();
      for (const a of r.assignments) if (g.has(a.memberId)) assignments.set(a.memberId, a.assignment.slice());
      this.storeAssignment(g, assignments);
    });
  }

  private storeAssignment(g: ClassicGroup, assignments: Map<string, Uint8Array>): void {
    const gen = g.generationId;
    const current = () => g.is('CompletingRebalance') && g.generationId === gen;
    this.o.groups.storeGroup(g, assignments).then(
      () => {
        if (current()) this.completeSyncPhase(g, assignments);
      },
      (e) => {
        if (!current()) return;
        this.o.log?.warn(`group ${g.groupId}: storing the assignment of generation ${gen} failed: ${(e as Error).message}`);
        this.resetAndPropagateAssignmentError(g, coordinatorErrorFor(errorCodeOf(e), false));
        this.maybePrepareRebalance(g, 'storing the assignment failed');
      },
    );
  }

  private completeSyncPhase(g: ClassicGroup, assignments: Map<string, Uint8Array>): void {
    for (const x of g.members.values()) x.assignment = assignments.get(x.memberId) ?? EMPTY_BYTES;
    g.transitionTo('Stable', this.o.clock.now());
    this.o.log?.info(`group ${g.groupId}: generation ${g.generationId} is stable`);
    for (const x of g.members.values()) {
      if (!x.awaitingSync) continue;
      this.o.sessions.touch(g, x);
      x.completeSync({ errorCode: ErrorCode.NONE, protocolType: g.protocolType, protocolName: g.protocolName, assignment: x.assignment });
    }
  }

  private expirePendingSync(g: ClassicGroup, generation: number): void {
    if (generation !== g.generationId || !(g.is('CompletingRebalance') || g.is('Stable')) || g.pendingSyncMembers.size === 0) return;
    const ids = [...g.pendingSyncMembers];
    this.o.log?.info(`group ${g.groupId}: members ${ids.join(', ')} did not sync in generation ${generation}, removing them`);
    for (const id of ids) {
      const m = g.get(id);
      if (!m) continue;
      this.o.timers.clearMember(g, id);
      m.completeSync(errorSync(ErrorCode.UNKNOWN_MEMBER_ID));
      g.remove(id);
    }
    g.pendingSyncMembers.clear();
    this.maybePrepareRebalance(g, 'members did not sync');
    this.tryCompleteJoinPhase(g);
  }

  private resetAndPropagateAssignmentError(g: ClassicGroup, code: number): void {
    for (const m of g.members.values()) {
      m.assignment = EMPTY_BYTES;
      m.completeSync(errorSync(code));
    }
  }
}

function memberInfos(g: ClassicGroup): JoinResult['members'] {
  const p = g.protocolName ?? '';
  return [...g.members.values()].map((x) => ({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, metadata: x.metadataFor(p) }));
}
