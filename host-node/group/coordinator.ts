// The classic group coordinator (Kafka's GroupCoordinator): the entry point of every group API. It refuses
// requests while not running, fences offset commits against the group's generation, and delegates the rest:
// membership requests to Membership (membership.ts), the rebalance they trigger to Rebalancer
// (rebalance.ts), member sessions to MemberSessions (sessions.ts), and the groups, their committed offsets
// and their persistence in `__consumer_offsets` to GroupMetadataManager (group-metadata-manager.ts).
//
// Every pending response is a callback on a member (awaitingJoin / awaitingSync), completed exactly once;
// every timer (join phase, sync phase, member sessions, pending members, offset expiry) is tracked and
// cleared on shutdown. Time comes from an injectable GroupClock.

import { ErrorCode } from '../../protocol/errors.js';
import type { RivuletCore } from '../../bindings/core.js';
import { InvariantViolation } from '../../common/invariant.js';
import type { Logger } from '../util/log.js';
import { systemClock, type GroupClock } from './clock.js';
import { DEFAULT_COORDINATOR_CONFIG, type CoordinatorConfig } from './coordinator-config.js';
import { CONSUMER_PROTOCOL_TYPE, type ClassicGroup, type GroupState } from './group.js';
import { GroupMetadataManager } from './group-metadata-manager.js';
import { EMPTY_BYTES, type JoinResult, type SyncResult } from './member.js';
import { Membership } from './membership.js';
import { allFetchedOffsets, fetchedPartition } from './offsets.js';
import type { OffsetsStore, OffsetsTopicLogs } from './offsets-store.js';
import { OwnedPartitions } from './owned-partitions.js';
import { Rebalancer } from './rebalance.js';
import {
  errorJoin,
  errorSync,
  type CommitParams,
  type CommitResult,
  type DeletedGroup,
  type DeleteOffsetsResult,
  type DescribedGroup,
  type FetchOffsetsResult,
  type JoinParams,
  type LeaveMember,
  type LeaveResult,
  type ListedGroup,
  type PartitionValidator,
  type SyncParams,
} from './requests.js';
import { MemberSessions } from './sessions.js';
import { GroupTimers } from './timers.js';

export { coordinatorConfigFrom, DEFAULT_COORDINATOR_CONFIG, type CoordinatorConfig } from './coordinator-config.js';
export type * from './requests.js';

export interface GroupCoordinatorOptions {
  /** The broker's core instance (encodes and decodes the __consumer_offsets batches). */
  core: RivuletCore;
  logs: OffsetsTopicLogs;
  config?: Partial<CoordinatorConfig>;
  clock?: GroupClock;
  log?: Logger;
  /**
   * In a cluster: serve only the groups of the __consumer_offsets partitions this broker leads, loaded at
   * onBecomeLeader and dropped at onResign (Kafka's rule). Default (a single broker): every group, loaded at start.
   */
  followsLeadership?: boolean;
}

export class GroupCoordinator {
  readonly config: CoordinatorConfig;
  private readonly clock: GroupClock;
  private readonly log: Logger | undefined;
  private readonly timers: GroupTimers;
  private readonly groups: GroupMetadataManager;
  private readonly sessions: MemberSessions;
  private readonly rebalancer: Rebalancer;
  private readonly membership: Membership;
  private readonly owned: OwnedPartitions;
  private running = false;

  constructor(o: GroupCoordinatorOptions) {
    const config = (this.config = { ...DEFAULT_COORDINATOR_CONFIG, ...(o.config ?? {}) });
    const clock = (this.clock = o.clock ?? systemClock);
    const log = (this.log = o.log);
    const timers = (this.timers = new GroupTimers(clock));
    const isRunning = () => this.running;
    const groups = (this.groups = new GroupMetadataManager({ core: o.core, logs: o.logs, config, clock, log, onRemove: (g) => timers.clearGroup(g) }));
    const sessions = (this.sessions = new MemberSessions({
      config,
      clock,
      timers,
      log,
      isRunning,
      onExpired: (g, m, reason) => this.rebalancer.removeMemberAndUpdateGroup(g, m, reason),
      onPendingExpired: (g) => this.rebalancer.tryCompleteJoinPhase(g),
    }));
    const rebalancer = (this.rebalancer = new Rebalancer({ config, clock, log, timers, sessions, groups, isRunning }));
    this.membership = new Membership({ config, clock, log, timers, sessions, rebalancer, groups });
    this.owned = new OwnedPartitions(o.followsLeadership ?? false);
  }

  /** The __consumer_offsets store (FindCoordinator creates the topic through it). */
  get store(): OffsetsStore {
    return this.groups.store;
  }

  get isRunning(): boolean {
    return this.running;
  }

  partitionFor(groupId: string): number {
    return this.groups.store.partitionFor(groupId);
  }

  /**
   * Starts serving and the offset expiry timer. A single broker loads every group and offset from
   * __consumer_offsets now; a coordinator following leadership loads partitions as it becomes their leader.
   */
  start(): { groups: number; offsets: number } {
    if (this.running) throw new Error('group coordinator already started');
    this.running = true;
    this.groups.startExpiry();
    if (this.owned.followsLeadership) return { groups: 0, offsets: 0 };
    const loaded = this.loadGroups();
    this.log?.info(`loaded ${loaded.groups} groups and ${loaded.offsets} offsets from __consumer_offsets (${loaded.records} records)`);
    return { groups: loaded.groups, offsets: loaded.offsets };
  }

  private loadGroups(partition?: number): { groups: number; offsets: number; records: number } {
    const loaded = this.groups.load(partition === undefined ? undefined : [partition]);
    // Loaded members must heartbeat within their session timeout, or they leave (and the group rebalances).
    for (const g of loaded.groups) for (const m of g.members.values()) this.sessions.schedule(g, m);
    return { groups: loaded.groups.length, offsets: loaded.offsets, records: loaded.records };
  }

  // ---- leadership of __consumer_offsets partitions (in a cluster) ---------------------------------------

  /**
   * This broker became the leader of __consumer_offsets-`partition`: its groups load in the next turn of the
   * event loop (requests meanwhile get COORDINATOR_LOAD_IN_PROGRESS), from the log start to the log end.
   */
  onBecomeLeader(partition: number): void {
    if (!this.running) return;
    if (this.owned.errorFor(partition) !== ErrorCode.NOT_COORDINATOR) this.onResign(partition);
    const token = this.owned.acquire(partition);
    setImmediate(() => {
      if (!this.running || !this.owned.isCurrent(partition, token)) return;
      try {
        const loaded = this.loadGroups(partition);
        this.log?.info(`__consumer_offsets-${partition}: loaded ${loaded.groups} groups and ${loaded.offsets} offsets (${loaded.records} records)`);
      } catch (e) {
        if (e instanceof InvariantViolation) throw e;
        this.log?.error(`__consumer_offsets-${partition}: loading its groups failed: ${(e as Error).message}`);
      }
      this.owned.loaded(partition);
    });
  }

  /** This broker stopped leading __consumer_offsets-`partition`: its groups are forgotten, pending joins/syncs get NOT_COORDINATOR. */
  onResign(partition: number): void {
    if (!this.running || !this.owned.release(partition)) return;
    const n = this.groups.unloadPartition(partition, (g) => this.unloadGroup(g));
    this.log?.info(`__consumer_offsets-${partition}: no longer its leader; unloaded ${n} groups`);
  }

  private unloadGroup(g: ClassicGroup): void {
    for (const m of g.members.values()) {
      m.completeJoin(errorJoin(ErrorCode.NOT_COORDINATOR, m.memberId));
      m.completeSync(errorSync(ErrorCode.NOT_COORDINATOR));
    }
    this.timers.clearGroup(g);
  }

  /** Whether this coordinator serves `groupId` now: NONE, or the error every group API answers with. */
  groupError(groupId: string): number {
    if (!this.running) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    return this.owned.errorFor(this.partitionFor(groupId));
  }

  /** Stops serving: pending joins/syncs get NOT_COORDINATOR, every timer is cleared, in-flight writes awaited. */
  async shutdown(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.groups.stopExpiry();
    for (const g of this.groups.all()) {
      for (const m of g.members.values()) {
        m.completeJoin(errorJoin(ErrorCode.NOT_COORDINATOR, m.memberId));
        m.completeSync(errorSync(ErrorCode.NOT_COORDINATOR));
      }
      this.timers.clearGroup(g);
    }
    await this.groups.waitForWrites();
  }

  /** Timers the coordinator holds (tests: all cleared after shutdown). */
  get timerCount(): number {
    return (this.groups.hasExpiryTimer ? 1 : 0) + this.timers.count;
  }

  group(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }

  /** For tests / tools: states of all groups. */
  states(): Map<string, GroupState> {
    return this.groups.states();
  }

  // ---- membership ---------------------------------------------------------------------------------------

  join(r: JoinParams): Promise<JoinResult> {
    const err = this.groupError(r.groupId);
    if (err !== ErrorCode.NONE) return Promise.resolve(errorJoin(err, r.memberId));
    return this.membership.join(r);
  }

  sync(r: SyncParams): Promise<SyncResult> {
    const err = this.groupError(r.groupId);
    if (err !== ErrorCode.NONE) return Promise.resolve(errorSync(err));
    return this.membership.sync(r);
  }

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    const err = this.groupError(groupId);
    if (err !== ErrorCode.NONE) return err;
    return this.membership.heartbeat(groupId, memberId, groupInstanceId, generationId);
  }

  leave(groupId: string, members: LeaveMember[]): LeaveResult {
    const err = this.groupError(groupId);
    if (err !== ErrorCode.NONE) return { errorCode: err, members: [] };
    return this.membership.leave(groupId, members);
  }

  // ---- offsets ------------------------------------------------------------------------------------------

  /** OffsetCommit: fenced against the group's generation (Kafka's handleCommitOffsets), then stored. */
  async commitOffsets(r: CommitParams, validate?: PartitionValidator): Promise<CommitResult> {
    const all = (code: number): CommitResult => r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: code })) }));
    const err = this.groupError(r.groupId);
    if (err !== ErrorCode.NONE) return all(err);
    let g = this.groups.get(r.groupId);
    if (!g) {
      if (r.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      // A consumer that only uses Kafka to store offsets (no group management).
      g = this.groups.create(r.groupId);
    }
    const fenced = this.commitFencing(g, r);
    if (fenced !== ErrorCode.NONE) return all(fenced);
    return this.groups.storeOffsets(g, r, validate);
  }

  /** Whether the committing member may commit now; a sign of life from it when it may. */
  private commitFencing(g: ClassicGroup, r: CommitParams): number {
    if (g.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (g.isStaticMemberFenced(r.memberId, r.groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (r.generationId < 0 && g.is('Empty')) return ErrorCode.NONE;
    if (g.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    const m = this.membership.memberOf(g, r.memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (r.generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.sessions.touch(g, m);
    return ErrorCode.NONE;
  }

  /** OffsetFetch for one group: `topics` null = every committed offset. Uncommitted partitions: -1. */
  fetchOffsets(groupId: string, topics: { name: string; partitions: number[] }[] | null, _requireStable = false): FetchOffsetsResult {
    const err = this.groupError(groupId);
    if (err !== ErrorCode.NONE) return { errorCode: err, topics: [] };
    const g = this.groups.get(groupId);
    const live = g && !g.is('Dead') ? g : undefined;
    if (topics === null) return { errorCode: ErrorCode.NONE, topics: allFetchedOffsets(live) };
    return { errorCode: ErrorCode.NONE, topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => fetchedPartition(p, live?.offset(t.name, p))) })) };
  }

  /** OffsetDelete: offsets of topics the (consumer) group no longer subscribes to, or of an empty group. */
  async deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[], validate?: PartitionValidator): Promise<DeleteOffsetsResult> {
    const err = this.groupError(groupId);
    if (err !== ErrorCode.NONE) return { errorCode: err, topics: [] };
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
    const g = this.groups.get(groupId);
    if (!g || g.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    const isConsumer = g.protocolType === CONSUMER_PROTOCOL_TYPE;
    if (!isConsumer && !g.is('Empty')) return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    // An active consumer group keeps the offsets of the topics it subscribes to (all, when unknown).
    const subscribed = isConsumer && !g.is('Empty') ? g.subscribedTopics() : new Set<string>();
    return this.groups.deleteOffsets(g, topics, (topic, partition) => {
      const invalid = validate?.(topic, partition) ?? ErrorCode.NONE;
      if (invalid !== ErrorCode.NONE) return invalid;
      return subscribed === null || subscribed.has(topic) ? ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : ErrorCode.NONE;
    });
  }

  /**
   * Kafka's onPartitionsDeleted for whole topics: every loaded group's offsets of `topics` are removed with
   * tombstones, and a group left empty with no offsets dies (its metadata tombstoned), so a compacted
   * __consumer_offsets keeps nothing of them.
   */
  onTopicsDeleted(topics: readonly string[]): { offsets: number; groups: number } {
    if (!this.isRunning || topics.length === 0) return { offsets: 0, groups: 0 };
    const deleted = new Set(topics);
    return this.groups.cleanupGroupMetadata(this.clock.now(), function* (g) {
      for (const [topic, parts] of g.offsets) if (deleted.has(topic)) for (const p of parts.keys()) yield [topic, p] as const;
    });
  }

  /** Removes expired offsets and dead empty groups now (the expiry timer runs this periodically). */
  expireOffsets(now = this.clock.now()): { offsets: number; groups: number } {
    return this.groups.cleanupGroupMetadata(now);
  }

  // ---- DescribeGroups / ListGroups / DeleteGroups -------------------------------------------------------

  describe(groupId: string): DescribedGroup {
    const base = { groupId, errorCode: ErrorCode.NONE };
    const err = this.groupError(groupId);
    if (err !== ErrorCode.NONE) return { ...base, errorCode: err, groupState: '', protocolType: '', protocolData: '', members: [] };
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
    if (this.owned.anyLoading) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] };
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const groups: ListedGroup[] = [];
    for (const g of this.groups.all()) {
      if (g.is('Dead')) continue;
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      if (types.size > 0 && !types.has('classic')) continue;
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
    }
    return { errorCode: ErrorCode.NONE, groups };
  }

  async deleteGroups(groupIds: readonly string[]): Promise<DeletedGroup[]> {
    return Promise.all(groupIds.map(async (groupId) => ({ groupId, errorCode: await this.deleteGroup(groupId) })));
  }

  private deleteGroup(groupId: string): number | Promise<number> {
    const err = this.groupError(groupId);
    if (err !== ErrorCode.NONE) return err;
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const g = this.groups.get(groupId);
    if (!g || g.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!g.is('Empty') || g.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    return this.groups.deleteGroup(g);
  }
}
