// Member sessions (session.timeout.ms): every heartbeat, join, sync and commit restarts a member's timer;
// when it fires the member leaves, unless Kafka's shouldKeepAlive holds. Members handed out with
// MEMBER_ID_REQUIRED get a timer of their own until they join.

import type { GroupClock } from './clock.js';
import type { CoordinatorConfig } from './coordinator-config.js';
import type { ClassicGroup } from './group.js';
import type { GroupMember } from './member.js';
import type { GroupTimers } from './timers.js';
import type { Logger } from '../util/log.js';

export interface MemberSessionsOptions {
  config: CoordinatorConfig;
  clock: GroupClock;
  timers: GroupTimers;
  log: Logger | undefined;
  isRunning: () => boolean;
  /** A member's session ended: it leaves the group. */
  onExpired: (g: ClassicGroup, m: GroupMember, reason: string) => void;
  /** A pending member did not join in time (the join phase may now be complete). */
  onPendingExpired: (g: ClassicGroup) => void;
}

export class MemberSessions {
  constructor(private readonly o: MemberSessionsOptions) {}

  /** A sign of life from a member: its session restarts. */
  touch(g: ClassicGroup, m: GroupMember): void {
    m.lastSeen = this.o.clock.now();
    this.schedule(g, m);
  }

  /** (Re)starts the member's session timer. */
  schedule(g: ClassicGroup, m: GroupMember): void {
    const id = m.memberId;
    this.o.timers.setMember(g, id, m.sessionTimeoutMs, () => this.onSessionExpired(g, id));
  }

  /** A member id handed out with MEMBER_ID_REQUIRED must join within the session timeout. */
  schedulePending(g: ClassicGroup, memberId: string, sessionTimeoutMs: number): void {
    this.o.timers.setMember(g, memberId, sessionTimeoutMs, () => this.expirePendingMember(g, memberId));
  }

  private onSessionExpired(g: ClassicGroup, memberId: string): void {
    const m = g.get(memberId);
    if (!m || !this.o.isRunning()) return;
    const keepFor = this.keepAliveFor(m);
    if (keepFor !== null) {
      this.o.timers.setMember(g, memberId, keepFor, () => this.onSessionExpired(g, memberId));
      return;
    }
    this.o.onExpired(g, m, `member ${memberId} session timed out (${m.sessionTimeoutMs} ms)`);
  }

  /**
   * Kafka's shouldKeepAlive: a member waiting in a join phase stays (a new one at most
   * newMemberJoinTimeoutMs); one waiting for its assignment stays (the sync timeout handles it).
   * Returns how long to wait before checking again, or null when the member goes.
   */
  private keepAliveFor(m: GroupMember): number | null {
    const now = this.o.clock.now();
    const joinTimeout = this.o.config.newMemberJoinTimeoutMs;
    if (m.awaitingJoin) {
      if (!m.isNew) return m.sessionTimeoutMs;
      if (now - m.joinedAt >= joinTimeout) return null;
      return Math.min(m.sessionTimeoutMs, Math.max(1, m.joinedAt + joinTimeout - now));
    }
    return m.awaitingSync !== null ? m.sessionTimeoutMs : null;
  }

  private expirePendingMember(g: ClassicGroup, memberId: string): void {
    if (!g.pendingMembers.delete(memberId)) return;
    this.o.log?.debug(`group ${g.groupId}: pending member ${memberId} did not join in time`);
    this.o.onPendingExpired(g);
  }
}
