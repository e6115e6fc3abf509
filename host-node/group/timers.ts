// Every timer the coordinator holds for a group: its join phase, its sync phase, and one per member (the
// session of a member, or the join deadline of a pending member). Tracked so a dead group or a shutdown
// clears them all.

import type { GroupClock, TimerHandle } from './clock.js';
import type { ClassicGroup } from './group.js';

interface Handles {
  join: TimerHandle | null;
  /** The join phase is Kafka's InitialDelayedJoin (it does not end early when everyone has joined). */
  joinIsInitial: boolean;
  sync: TimerHandle | null;
  members: Map<string, TimerHandle>;
}

export class GroupTimers {
  private readonly byGroup = new Map<ClassicGroup, Handles>();

  constructor(private readonly clock: GroupClock) {}

  /** Starts the join phase's timer (replacing any); `initial` marks the delayed first join. */
  setJoin(g: ClassicGroup, ms: number, initial: boolean, fn: () => void): void {
    const t = this.of(g);
    t.joinIsInitial = initial;
    this.start(t, 'join', ms, fn);
  }

  clearJoin(g: ClassicGroup): void {
    this.stop(g, 'join');
  }

  /** Whether the group's join phase is the initial delayed one (undefined: no timers at all). */
  joinIsInitial(g: ClassicGroup): boolean | undefined {
    return this.byGroup.get(g)?.joinIsInitial;
  }

  /** Starts the sync phase's timer (replacing any). */
  setSync(g: ClassicGroup, ms: number, fn: () => void): void {
    this.start(this.of(g), 'sync', ms, fn);
  }

  clearSync(g: ClassicGroup): void {
    this.stop(g, 'sync');
  }

  setMember(g: ClassicGroup, memberId: string, ms: number, fn: () => void): void {
    const t = this.of(g);
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

  clearMember(g: ClassicGroup, memberId: string): void {
    const t = this.byGroup.get(g);
    const h = t?.members.get(memberId);
    if (h) {
      this.clock.clearTimeout(h);
      t!.members.delete(memberId);
    }
  }

  /** Clears every timer of the group and forgets it. */
  clearGroup(g: ClassicGroup): void {
    const t = this.byGroup.get(g);
    if (!t) return;
    if (t.join) this.clock.clearTimeout(t.join);
    if (t.sync) this.clock.clearTimeout(t.sync);
    for (const h of t.members.values()) this.clock.clearTimeout(h);
    this.byGroup.delete(g);
  }

  /** How many timers are pending. */
  get count(): number {
    let n = 0;
    for (const t of this.byGroup.values()) n += (t.join ? 1 : 0) + (t.sync ? 1 : 0) + t.members.size;
    return n;
  }

  private start(t: Handles, phase: 'join' | 'sync', ms: number, fn: () => void): void {
    const old = t[phase];
    if (old) this.clock.clearTimeout(old);
    t[phase] = this.clock.setTimeout(() => {
      t[phase] = null;
      fn();
    }, ms);
  }

  private stop(g: ClassicGroup, phase: 'join' | 'sync'): void {
    const t = this.byGroup.get(g);
    const h = t?.[phase];
    if (h) this.clock.clearTimeout(h);
    if (t) t[phase] = null;
  }

  private of(g: ClassicGroup): Handles {
    let t = this.byGroup.get(g);
    if (!t) this.byGroup.set(g, (t = { join: null, joinIsInitial: false, sync: null, members: new Map() }));
    return t;
  }
}
