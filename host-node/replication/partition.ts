// One replicated partition on this broker (Kafka's Partition): its leadership (leader, leader epoch, ISR,
// partition epoch) and, while it leads, what each follower has fetched — from which the high watermark
// follows (the smallest log end offset over the ISR, the leader's own entry being what its flush policy
// made durable) and the ISR shrinks and expands through the IsrStore. As a follower it appends the
// leader's batches as they are and keeps HW = min(leader's HW, own log end).
//
// The ISR has two views while a change is in flight, as in Kafka: `isr` (the committed one: what
// min.insync.replicas is checked against) and `maximalIsr` (committed ∪ proposed: what the high watermark
// waits for, so a shrink cannot advance it and an expansion already counts the new member).
import { ErrorCode } from '../../protocol/errors.js';
import type { AppendInfo } from '../../storage/index.js';
import { invariant } from '../../common/invariant.js';
import type { Logger } from '../util/log.js';
import { ReplicaError } from './errors.js';
import { HighWatermarkWaiters } from './high-watermark-waiters.js';
import { RemoteReplica } from './replica-state.js';
import type { AlterPartitionResult, IsrStore, PartitionState, ReplicaLog, ReplicationConfig } from './types.js';
import { IsrChange } from './isr-change.js';

export interface PartitionOptions {
  readonly topic: string;
  readonly partition: number;
  readonly topicId: string;
  readonly localBrokerId: number;
  readonly log: ReplicaLog;
  readonly config: ReplicationConfig;
  readonly isrStore: IsrStore;
  /** The topic's effective min.insync.replicas, read at each acks=all append. */
  readonly minInsyncReplicas: () => number;
  readonly now: () => number;
  readonly logger: Logger;
  /** Told of every ISR change this leader committed (Kafka's IsrShrinksPerSec / IsrExpandsPerSec). */
  readonly onIsrChange?: (kind: 'shrink' | 'expand') => void;
}

export class Partition {
  readonly topic: string;
  readonly partition: number;
  readonly topicId: string;
  readonly log: ReplicaLog;
  private readonly o: PartitionOptions;
  private _leaderId = -1;
  private _leaderEpoch = -1;
  private _partitionEpoch = -1;
  private _replicas: readonly number[] = [];
  private _isr: readonly number[] = [];
  private _maximalIsr: readonly number[] = [];
  /** The ISR of the change in flight, if any. */
  private pendingIsr: readonly number[] | null = null;
  /** The log end offset when this broker became leader: a follower is in sync only from there (KIP-101). */
  private leaderEpochStartOffset = -1;
  private readonly remotes = new Map<number, RemoteReplica>();
  private readonly hwWaiters = new HighWatermarkWaiters();
  private readonly appendListeners = new Set<() => void>();
  private readonly isrChange: IsrChange;
  /** While leading: the subscription that re-checks the HW when the flush policy's durable offset moves. */
  private unsubscribeDurable: (() => void) | null = null;
  private stopped = false;

  constructor(o: PartitionOptions) {
    this.o = o;
    this.topic = o.topic;
    this.partition = o.partition;
    this.topicId = o.topicId;
    this.log = o.log;
    this.isrChange = new IsrChange(o.isrStore, o.topic, o.partition);
  }

  get localBrokerId(): number {
    return this.o.localBrokerId;
  }
  get leaderId(): number {
    return this._leaderId;
  }
  get leaderEpoch(): number {
    return this._leaderEpoch;
  }
  get partitionEpoch(): number {
    return this._partitionEpoch;
  }
  get replicas(): readonly number[] {
    return this._replicas;
  }
  /** The committed ISR. */
  get isr(): readonly number[] {
    return this._isr;
  }
  /** The committed ISR plus members a change in flight adds. */
  get maximalIsr(): readonly number[] {
    return this._maximalIsr;
  }
  get isLeader(): boolean {
    return !this.stopped && this._leaderId === this.o.localBrokerId;
  }
  get isStopped(): boolean {
    return this.stopped;
  }
  /** A remote replica's state as this leader sees it (tests, metrics). */
  remoteReplica(brokerId: number): Readonly<RemoteReplica> | undefined {
    return this.remotes.get(brokerId);
  }

  // ---- state changes from the metadata ---------------------------------------------------------------

  /** Becomes (or stays) leader at `state.leaderEpoch` (Kafka's makeLeader). */
  makeLeader(state: PartitionState): void {
    invariant(state.leader === this.o.localBrokerId, 'makeLeader with this broker as the leader');
    const newEpoch = !this.isLeader || state.leaderEpoch > this._leaderEpoch;
    this.applyAssignment(state);
    if (!newEpoch) return this.afterIsrChange();
    const now = this.o.now();
    this.enterReplicatedMode();
    this._leaderId = state.leader;
    this._leaderEpoch = state.leaderEpoch;
    this.leaderEpochStartOffset = this.log.logEndOffset;
    this.log.maybeAssignEpochStartOffset(state.leaderEpoch, this.leaderEpochStartOffset);
    this.unsubscribeDurable ??= this.log.onDurableOffset(() => this.maybeIncrementHighWatermark());
    this.remotes.clear();
    for (const id of state.replicas) {
      if (id === this.o.localBrokerId) continue;
      const r = new RemoteReplica(id);
      r.reset(state.isr.includes(id), now);
      this.remotes.set(id, r);
    }
    this.o.logger.info(
      `${this.name}: leader at epoch ${state.leaderEpoch} from offset ${this.leaderEpochStartOffset} (ISR ${fmt(state.isr)}, HW ${this.log.highWatermark})`,
    );
    this.afterIsrChange();
  }

  /** Becomes (or stays) a follower of `state.leader` (Kafka's makeFollower): pending acks=all fail. */
  makeFollower(state: PartitionState): void {
    invariant(state.leader !== this.o.localBrokerId, 'makeFollower with another leader');
    const wasLeader = this.isLeader;
    this.applyAssignment(state);
    this.enterReplicatedMode();
    this._leaderId = state.leader;
    this._leaderEpoch = state.leaderEpoch;
    this.stopLeading();
    this.notifyAppend();
    if (wasLeader) this.o.logger.info(`${this.name}: follower of ${state.leader} at epoch ${state.leaderEpoch}`);
  }

  /** Same leader epoch, newer partition epoch: only the assignment and ISR change. */
  updateAssignmentAndIsr(state: PartitionState): void {
    invariant(state.leaderEpoch === this._leaderEpoch, 'an assignment/ISR update keeps the leader epoch');
    this.applyAssignment(state);
    if (!this.isLeader) return;
    const now = this.o.now();
    for (const id of state.replicas) {
      if (id === this.o.localBrokerId || this.remotes.has(id)) continue;
      const r = new RemoteReplica(id);
      r.reset(false, now);
      this.remotes.set(id, r);
    }
    for (const id of [...this.remotes.keys()]) if (!state.replicas.includes(id)) this.remotes.delete(id);
    this.afterIsrChange();
  }

  /** No longer a replica here (or shutting down): waiters answered, fetches woken. */
  stop(): void {
    this.stopped = true;
    this.stopLeading();
    this.notifyAppend();
  }

  private stopLeading(): void {
    this.unsubscribeDurable?.();
    this.unsubscribeDurable = null;
    this.remotes.clear();
    this.hwWaiters.failAll(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }

  /**
   * The first role this Partition takes: the log's HW is set by replication from now on. It starts at the
   * log start: the high watermark is not checkpointed, and what a restarted replica holds beyond its log
   * start may not be committed; the first fetches bring it up to the ISR's.
   */
  private enterReplicatedMode(): void {
    if (this._leaderEpoch >= 0) return;
    this.log.setHighWatermarkMode('replicated', this.log.logStartOffset);
  }

  private applyAssignment(state: PartitionState): void {
    this._replicas = [...state.replicas];
    this._isr = [...state.isr];
    this._maximalIsr = this._isr;
    this._partitionEpoch = state.partitionEpoch;
    // The metadata may show this leader's own change before the store's answer comes: that answer still counts.
    if (this.pendingIsr === null || !sameMembers(this.pendingIsr, state.isr)) {
      this.isrChange.cancel();
      this.pendingIsr = null;
    }
  }

  // ---- leader: appends and acks=all ------------------------------------------------------------------

  /**
   * A Produce's records appended with this leader's epoch stamped. acks=-1 with an ISR smaller than
   * min.insync.replicas → NOT_ENOUGH_REPLICAS, nothing appended.
   */
  appendRecordsToLeader(records: Uint8Array, requiredAcks: number): AppendInfo {
    this.checkLeader();
    this.checkEnoughReplicas(requiredAcks);
    const info = this.log.append(records, { leaderEpoch: this._leaderEpoch });
    this.afterLeaderAppend();
    return info;
  }

  /**
   * acks=-1 with an ISR smaller than min.insync.replicas → NOT_ENOUGH_REPLICAS. Checked before anything
   * else about the batch, its producer sequence included, as Kafka does: a refused idempotent batch must
   * not turn the batches pipelined behind it into OUT_OF_ORDER_SEQUENCE_NUMBER, which is fatal to the producer.
   */
  checkEnoughReplicas(requiredAcks: number): void {
    if (requiredAcks !== -1) return;
    const minIsr = this.o.minInsyncReplicas();
    if (this._isr.length < minIsr)
      throw new ReplicaError(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `The size of the current ISR ${fmt(this._isr)} is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${this.name}`,
      );
  }

  /** Throws NOT_LEADER_OR_FOLLOWER unless this broker leads the partition. */
  checkLeader(): void {
    if (!this.isLeader)
      throw new ReplicaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `This broker (${this.o.localBrokerId}) is not the leader of ${this.name} (leader ${this._leaderId})`);
  }

  /**
   * acks=all: resolves with NONE once the high watermark reaches `requiredOffset` (the batch's last offset
   * + 1) with the ISR at min.insync.replicas or more; NOT_ENOUGH_REPLICAS_AFTER_APPEND when it got there
   * with fewer; NOT_LEADER_OR_FOLLOWER when leadership is lost first; REQUEST_TIMED_OUT after `timeoutMs`.
   */
  waitForHighWatermark(requiredOffset: number, timeoutMs: number): Promise<number> {
    if (!this.isLeader) return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (this.log.highWatermark >= requiredOffset) return Promise.resolve(this.enoughReplicasCode());
    return this.hwWaiters.wait(requiredOffset, timeoutMs);
  }

  /** Calls `listener` after every append (leader or follower) and on leadership changes; returns unsubscribe. */
  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  private afterLeaderAppend(): void {
    this.notifyAppend();
    this.maybeIncrementHighWatermark();
  }

  private notifyAppend(): void {
    if (this.appendListeners.size === 0) return;
    // Listeners unsubscribe as they fire (a Set may lose entries while iterated); they never add one synchronously.
    for (const l of this.appendListeners) l();
  }

  private enoughReplicasCode(): number {
    return this._isr.length >= this.o.minInsyncReplicas() ? ErrorCode.NONE : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
  }

  /** HW = min over the maximal ISR of the log end offsets (the leader's: its durable offset); it only grows. */
  maybeIncrementHighWatermark(): boolean {
    if (!this.isLeader) return false;
    let hw = this.log.durableOffset;
    for (const id of this._maximalIsr) {
      if (id === this.o.localBrokerId) continue;
      const r = this.remotes.get(id);
      hw = Math.min(hw, r === undefined ? -1 : r.logEndOffset);
    }
    const moved = hw > this.log.highWatermark;
    if (moved) this.log.updateHighWatermark(hw);
    if (this.hwWaiters.size > 0) this.hwWaiters.advance(this.log.highWatermark, this.enoughReplicasCode());
    return moved;
  }

  // ---- leader: follower fetches and the ISR ----------------------------------------------------------

  /** Answer for a request's CurrentLeaderEpoch (-1: not given): NONE, FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH. */
  leaderEpochError(requestEpoch: number): number {
    if (requestEpoch < 0 || requestEpoch === this._leaderEpoch) return ErrorCode.NONE;
    return requestEpoch < this._leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
  }

  /** Whether `brokerId` is a follower of this leader's partition. */
  isFollower(brokerId: number): boolean {
    return this.isLeader && this.remotes.has(brokerId);
  }

  /**
   * A follower fetched at `fetchOffset` (its log end offset): its state moves, which may advance the HW
   * and expand the ISR (Kafka's updateFollowerFetchState).
   */
  updateFollowerFetchState(brokerId: number, brokerEpoch: number, fetchOffset: number): void {
    const r = this.remotes.get(brokerId);
    if (r === undefined || !this.isLeader) return;
    const now = this.o.now();
    r.updateFetchState(fetchOffset, this.log.logEndOffset, brokerEpoch, now);
    this.maybeExpandIsr(r);
    this.maybeIncrementHighWatermark();
  }

  /** A follower outside the ISR whose log reaches the HW and this epoch's start joins it. */
  private maybeExpandIsr(r: RemoteReplica): void {
    if (this.isrChange.inFlight || this._maximalIsr.includes(r.brokerId)) return;
    if (r.logEndOffset < this.log.highWatermark || r.logEndOffset < this.leaderEpochStartOffset) return;
    const isr = [...this._isr, r.brokerId];
    this._maximalIsr = isr;
    this.submitIsr(isr, 'expand');
  }

  /** ISR members not caught up for replica.lag.time.max.ms leave it (checked on the manager's timer). */
  maybeShrinkIsr(): void {
    if (!this.isLeader || this.isrChange.inFlight) return;
    const now = this.o.now();
    const leo = this.log.logEndOffset;
    const lag = this.o.config.replicaLagTimeMaxMs;
    const out = this._isr.filter((id) => {
      if (id === this.o.localBrokerId) return false;
      const r = this.remotes.get(id);
      return r === undefined || !r.isCaughtUp(leo, now, lag);
    });
    if (out.length === 0) return;
    const isr = this._isr.filter((id) => !out.includes(id));
    this.o.logger.info(`${this.name}: shrinking ISR from ${fmt(this._isr)} to ${fmt(isr)} (out of sync: ${fmt(out)}, HW ${this.log.highWatermark}, LEO ${leo})`);
    this.submitIsr(isr, 'shrink');
  }

  private submitIsr(isr: readonly number[], kind: 'shrink' | 'expand'): void {
    if (kind === 'expand') this.o.logger.info(`${this.name}: expanding ISR from ${fmt(this._isr)} to ${fmt(isr)}`);
    const update = { leader: this.o.localBrokerId, leaderEpoch: this._leaderEpoch, isr };
    this.pendingIsr = isr;
    this.isrChange.submit(update, this._partitionEpoch, (result) => this.onIsrResult(isr, kind, result));
  }

  /** The IsrStore's answer for a change still current (a newer state from the metadata cancels it). */
  private onIsrResult(isr: readonly number[], kind: 'shrink' | 'expand', result: AlterPartitionResult | Error): void {
    this.pendingIsr = null;
    if (result instanceof Error) {
      this.o.logger.warn(`${this.name}: ISR ${kind} to ${fmt(isr)} failed: ${result.message}`);
      this._maximalIsr = this._isr;
    } else if (result.ok) {
      this._isr = isr;
      this._maximalIsr = isr;
      this._partitionEpoch = Math.max(this._partitionEpoch, result.partitionEpoch);
      this.o.onIsrChange?.(kind);
    } else {
      const c = result.current;
      this.o.logger.info(`${this.name}: ISR ${kind} to ${fmt(isr)} refused (partition epoch ${this._partitionEpoch} is stale)`);
      this._maximalIsr = this._isr;
      if (c !== undefined && c.leader === this.o.localBrokerId && c.leaderEpoch === this._leaderEpoch) this.updateAssignmentAndIsr(c);
    }
    this.afterIsrChange();
  }

  private afterIsrChange(): void {
    this.maybeIncrementHighWatermark();
  }

  // ---- follower ------------------------------------------------------------------------------------

  /** The leader's batches appended as they are (offsets kept); fetches waiting on this log wake. */
  appendRecordsAsFollower(records: Uint8Array): AppendInfo {
    const info = this.log.appendAsFollower(records);
    this.notifyAppend();
    return info;
  }

  /** Cuts the log back to `offset` (a divergent tail the leader does not have). */
  truncateTo(offset: number, why: string): void {
    // At the log end too: an epoch this replica started there without records (a leadership that wrote
    // nothing) is dropped, so it cannot make the next fetch diverge again.
    if (offset > this.log.logEndOffset) return;
    if (offset < this.log.logEndOffset) this.o.logger.info(`${this.name}: truncating from ${this.log.logEndOffset} to ${offset} (${why})`);
    this.log.truncateTo(offset);
  }

  /** Empties the log, to start again at `offset` (the leader's log start is past this log's end). */
  truncateFullyAndStartAt(offset: number, why: string): void {
    this.o.logger.info(`${this.name}: emptying the log to start at ${offset} (${why})`);
    this.log.truncateFullyAndStartAt(offset);
  }

  /** The leader's log start moved (DeleteRecords, retention): this replica's follows, up to its own HW. */
  updateFollowerLogStartOffset(leaderLogStartOffset: number): void {
    const start = Math.min(leaderLogStartOffset, this.log.highWatermark);
    if (start > this.log.logStartOffset) this.log.deleteRecordsBefore(start);
  }

  /** Follower HW = min(leader's HW, own log end); it only grows here (truncation may lower it). */
  updateFollowerHighWatermark(leaderHighWatermark: number): void {
    const hw = Math.min(leaderHighWatermark, this.log.logEndOffset);
    if (hw > this.log.highWatermark) this.log.updateHighWatermark(hw);
  }

  get name(): string {
    return `${this.topic}-${this.partition}`;
  }
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

function fmt(ids: readonly number[]): string {
  return `[${ids.join(',')}]`;
}
