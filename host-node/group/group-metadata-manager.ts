// Kafka's GroupMetadataManager: the groups this coordinator knows, their committed offsets, and both kept in
// `__consumer_offsets` through OffsetsStore — loaded at start, written before a change is acknowledged,
// tombstoned when deleted or expired (offsets.retention.minutes). The protocol (joins, rebalances) is the
// coordinator's; this class only holds and persists what it decides.

import { ErrorCode } from '../../protocol/errors.js';
import type { RivuletCore } from '../../bindings/core.js';
import { invariant, InvariantViolation } from '../../common/invariant.js';
import { StorageError } from '../../storage/errors.js';
import type { Logger } from '../util/log.js';
import type { GroupClock, TimerHandle } from './clock.js';
import type { CoordinatorConfig } from './coordinator-config.js';
import { encodeGroupMetadataKey } from './consumer-offsets-schema.js';
import { groupFromMetadata, groupMetadataRecord, loadedOffset } from './group-metadata-record.js';
import { ClassicGroup, type CommittedOffset, type GroupState } from './group.js';
import { committedOffset, expiredOffsets, metadataFits, offsetCommitRecord, offsetTombstone } from './offsets.js';
import { coordinatorErrorFor, OffsetsStore, type OffsetsTopicLogs, type StoreRecord } from './offsets-store.js';
import type { CommitParams, CommitPartition, CommitResult, DeleteOffsetsResult, PartitionValidator } from './requests.js';

interface AcceptedCommit {
  topic: string;
  partition: number;
  o: CommittedOffset;
  out: { errorCode: number };
}

export interface GroupMetadataManagerOptions {
  core: RivuletCore;
  logs: OffsetsTopicLogs;
  config: CoordinatorConfig;
  clock: GroupClock;
  log: Logger | undefined;
  /** Called when a group is forgotten (deleted, expired or unused), to clear its timers. */
  onRemove: (g: ClassicGroup) => void;
}

export class GroupMetadataManager {
  readonly store: OffsetsStore;
  private readonly config: CoordinatorConfig;
  private readonly clock: GroupClock;
  private readonly log: Logger | undefined;
  private readonly onRemove: (g: ClassicGroup) => void;
  private readonly groups = new Map<string, ClassicGroup>();
  /** Writes in flight (shutdown waits for them). */
  private readonly inflight = new Set<Promise<unknown>>();
  private expiryTimer: TimerHandle | null = null;
  private expiring = false;

  constructor(o: GroupMetadataManagerOptions) {
    this.config = o.config;
    this.clock = o.clock;
    this.log = o.log;
    this.onRemove = o.onRemove;
    this.store = new OffsetsStore(o.core, o.logs, o.config.offsetsTopicPartitions, o.clock, {
      commitTimeoutMs: o.config.offsetCommitTimeoutMs,
      loadBufferSize: o.config.loadBufferSize,
      log: o.log,
    });
  }

  get(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }

  /** A new, empty group under this id. */
  create(groupId: string): ClassicGroup {
    const g = new ClassicGroup(groupId, this.clock.now());
    this.groups.set(groupId, g);
    return g;
  }

  all(): IterableIterator<ClassicGroup> {
    return this.groups.values();
  }

  get size(): number {
    return this.groups.size;
  }

  states(): Map<string, GroupState> {
    return new Map([...this.groups].map(([k, g]) => [k, g.state]));
  }

  // ---- loading ------------------------------------------------------------------------------------------

  /**
   * Rebuilds the groups and committed offsets of every partition of __consumer_offsets (or only of
   * `partitions`, read to their log end: a new leader's whole log) and returns the groups loaded.
   */
  load(partitions?: readonly number[]): { groups: ClassicGroup[]; offsets: number; records: number } {
    const loaded = this.store.load(partitions, partitions ? 'log_end' : 'high_watermark');
    const now = this.clock.now();
    const out = new Map<string, ClassicGroup>();
    const mine = (groupId: string) => partitions === undefined || partitions.includes(this.store.partitionFor(groupId));
    for (const [groupId, v] of loaded.groups) {
      if (!mine(groupId)) continue;
      const g = groupFromMetadata(groupId, v, now);
      this.replaceGroup(g);
      out.set(groupId, g);
    }
    let offsets = 0;
    for (const [groupId, topics] of loaded.offsets) {
      if (!mine(groupId)) continue;
      let g = out.get(groupId);
      if (g === undefined) {
        g = new ClassicGroup(groupId, now);
        this.replaceGroup(g);
        out.set(groupId, g);
      }
      for (const [topic, parts] of topics)
        for (const [p, o] of parts) {
          g.setOffset(topic, p, loadedOffset(o));
          offsets++;
        }
    }
    return { groups: [...out.values()], offsets, records: loaded.records };
  }

  /** A loaded group takes the place of one held before (a single broker loads once; a new leader's partition holds none). */
  private replaceGroup(g: ClassicGroup): void {
    const old = this.groups.get(g.groupId);
    if (old !== undefined) this.onRemove(old);
    this.groups.set(g.groupId, g);
  }

  /** Forgets every group of `partition` (leadership moved away); `onUnload` sees each first. Returns how many. */
  unloadPartition(partition: number, onUnload: (g: ClassicGroup) => void): number {
    let n = 0;
    for (const g of [...this.groups.values()]) {
      if (this.store.partitionFor(g.groupId) !== partition) continue;
      onUnload(g);
      this.onRemove(g);
      this.groups.delete(g.groupId);
      n++;
    }
    return n;
  }

  // ---- writing ------------------------------------------------------------------------------------------

  /** Stores the group's metadata (with the leader's new assignments, if given) and waits until durable. */
  storeGroup(g: ClassicGroup, assignments?: Map<string, Uint8Array>): Promise<number> {
    return this.track(this.store.write(g.groupId, [groupMetadataRecord(g, assignments)]));
  }

  /** Stores the group's metadata without anyone waiting for it (failures are logged). */
  storeGroupInBackground(g: ClassicGroup): void {
    this.writeInBackground(g, [groupMetadataRecord(g)]);
  }

  /** Resolves once every write started so far has settled. */
  async waitForWrites(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
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

  // ---- offsets ------------------------------------------------------------------------------------------

  /** Kafka's storeOffsets: validates each partition, writes the accepted ones, then makes them visible. */
  async storeOffsets(g: ClassicGroup, r: CommitParams, validate?: PartitionValidator): Promise<CommitResult> {
    const now = this.clock.now();
    const result: CommitResult = [];
    const records: StoreRecord[] = [];
    const accepted: AcceptedCommit[] = [];
    for (const t of r.topics) {
      const parts: CommitResult[number]['partitions'] = [];
      result.push({ name: t.name, partitions: parts });
      for (const p of t.partitions) {
        const out = { partition: p.partition, errorCode: this.commitErrorFor(t.name, p, validate) };
        parts.push(out);
        if (out.errorCode !== ErrorCode.NONE) continue;
        const o = committedOffset(p, r.retentionTimeMs, now);
        records.push(offsetCommitRecord(g.groupId, t.name, p.partition, o));
        accepted.push({ topic: t.name, partition: p.partition, o, out });
      }
    }
    if (records.length === 0) this.maybeDropUnusedGroup(g);
    else await this.writeOffsets(g, records, accepted);
    return result;
  }

  private commitErrorFor(topic: string, p: CommitPartition, validate?: PartitionValidator): number {
    const invalid = validate?.(topic, p.partition) ?? ErrorCode.NONE;
    if (invalid !== ErrorCode.NONE) return invalid;
    return metadataFits(p.metadata ?? '', this.config.offsetMetadataMaxBytes) ? ErrorCode.NONE : ErrorCode.OFFSET_METADATA_TOO_LARGE;
  }

  private async writeOffsets(g: ClassicGroup, records: StoreRecord[], accepted: AcceptedCommit[]): Promise<void> {
    g.pendingCommits++;
    try {
      const lastOffset = await this.track(this.store.write(g.groupId, records));
      if (!g.is('Dead')) applyCommit(g, lastOffset, accepted);
    } catch (e) {
      if (e instanceof InvariantViolation) throw e;
      const code = coordinatorErrorFor(errorCodeOf(e), true);
      this.log?.warn(`group ${g.groupId}: offset commit failed: ${(e as Error).message}`);
      for (const a of accepted) a.out.errorCode = code;
    } finally {
      g.pendingCommits--;
      this.maybeDropUnusedGroup(g);
    }
  }

  /** Removes the offsets of the given partitions (those `deletable` allows) and tombstones them. */
  async deleteOffsets(
    g: ClassicGroup,
    topics: { name: string; partitions: number[] }[],
    deletable: (topic: string, partition: number) => number,
  ): Promise<DeleteOffsetsResult> {
    const records: StoreRecord[] = [];
    const out = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const errorCode = deletable(t.name, p);
        if (errorCode === ErrorCode.NONE && g.deleteOffset(t.name, p)) records.push(offsetTombstone(g.groupId, t.name, p));
        return { partition: p, errorCode };
      }),
    }));
    if (records.length > 0) {
      try {
        await this.track(this.store.write(g.groupId, records));
      } catch (e) {
        return { errorCode: coordinatorErrorFor(errorCodeOf(e), false), topics: [] };
      }
    }
    return { errorCode: ErrorCode.NONE, topics: out };
  }

  // ---- removing groups ----------------------------------------------------------------------------------

  /** DeleteGroups for an empty group: forgets it and tombstones its offsets and metadata. */
  deleteGroup(g: ClassicGroup): Promise<number> {
    const records = this.removeGroup(g);
    return this.track(this.store.write(g.groupId, records)).then(
      () => ErrorCode.NONE,
      (e) => coordinatorErrorFor(errorCodeOf(e), false),
    );
  }

  /** A group created by a request that then failed (nothing joined, nothing committed) is forgotten. */
  maybeDropUnusedGroup(g: ClassicGroup): void {
    if (g.is('Empty') && g.size === 0 && g.generationId === 0 && !g.hasOffsets && g.pendingMembers.size === 0 && this.groups.get(g.groupId) === g) {
      this.onRemove(g);
      this.groups.delete(g.groupId);
    }
  }

  /** Dead + forgotten; returns the tombstones for its offsets and metadata. */
  private removeGroup(g: ClassicGroup): StoreRecord[] {
    const records: StoreRecord[] = [];
    for (const [topic, parts] of g.offsets) for (const p of parts.keys()) records.push(offsetTombstone(g.groupId, topic, p));
    records.push({ key: encodeGroupMetadataKey(g.groupId), value: null });
    g.offsets.clear();
    g.transitionTo('Dead', this.clock.now());
    g.pendingMembers.clear();
    this.onRemove(g);
    this.groups.delete(g.groupId);
    return records;
  }

  // ---- offset expiry (offsets.retention.minutes) --------------------------------------------------------

  startExpiry(): void {
    this.expiring = true;
    this.scheduleExpiry();
  }

  stopExpiry(): void {
    this.expiring = false;
    if (this.expiryTimer) this.clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
  }

  get hasExpiryTimer(): boolean {
    return this.expiryTimer !== null;
  }

  private scheduleExpiry(): void {
    this.expiryTimer = this.clock.setTimeout(() => {
      this.expiryTimer = null;
      if (!this.expiring) return;
      try {
        this.cleanupGroupMetadata();
      } finally {
        if (this.expiring) this.scheduleExpiry();
      }
    }, this.config.offsetsRetentionCheckIntervalMs);
  }

  /**
   * Kafka's cleanupGroupMetadata: the offsets `removable` picks (by default the expired ones) get
   * tombstones; empty groups without offsets die (their metadata tombstoned).
   */
  cleanupGroupMetadata(
    now = this.clock.now(),
    removable: (g: ClassicGroup) => Iterable<readonly [string, number]> = (g) => expiredOffsets(g, now, this.config.offsetsRetentionMs),
  ): { offsets: number; groups: number } {
    let nOffsets = 0;
    let nGroups = 0;
    for (const g of [...this.groups.values()]) {
      if (g.is('Dead')) continue;
      const records: StoreRecord[] = [];
      for (const [topic, p] of [...removable(g)]) {
        g.deleteOffset(topic, p);
        records.push(offsetTombstone(g.groupId, topic, p));
        nOffsets++;
      }
      if (g.is('Empty') && g.size === 0 && !g.hasOffsets && g.pendingMembers.size === 0) {
        records.push(...this.removeGroup(g));
        nGroups++;
      }
      if (records.length > 0) this.writeInBackground(g, records);
    }
    if (nOffsets + nGroups > 0) this.log?.info(`removed ${nOffsets} offsets and ${nGroups} groups`);
    return { offsets: nOffsets, groups: nGroups };
  }
}

/** Makes the written offsets visible; a later write to the same partition (higher append offset) wins. */
function applyCommit(g: ClassicGroup, lastOffset: number, accepted: AcceptedCommit[]): void {
  invariant(lastOffset >= 0, 'an offset commit is stored at a log offset');
  for (const a of accepted) {
    a.o.appendOffset = lastOffset;
    const cur = g.offset(a.topic, a.partition);
    if (cur === undefined || cur.appendOffset <= lastOffset) g.setOffset(a.topic, a.partition, a.o);
  }
}

/** The Kafka error code of a failed write. */
export function errorCodeOf(e: unknown): number {
  return e instanceof StorageError ? e.code : typeof (e as { code?: unknown })?.code === 'number' ? (e as { code: number }).code : ErrorCode.UNKNOWN_SERVER_ERROR;
}
