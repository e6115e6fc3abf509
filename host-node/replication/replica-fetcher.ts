// One connection to one leader broker, fetching for the partitions this broker follows there (Kafka's
// ReplicaFetcherThread; `num.replica.fetchers` of them per source broker). One Fetch in flight at a time:
// Fetch v15+ with ReplicaState {replicaId, broker epoch}, topic ids, CurrentLeaderEpoch and
// LastFetchedEpoch; the answer's batches are appended as they are (Log.appendAsFollower), the follower's
// HW follows the leader's, a DivergingEpoch truncates the log, OFFSET_OUT_OF_RANGE resets it from the
// leader's offsets, epoch and leadership errors back the partition off until new state arrives. A lost
// connection is opened again after `replica.fetch.backoff.ms`.
import { ApiKey } from '../../protocol/generated/api.js';
import type { FetchRequestFetchTopicInput, FetchResponse, FetchResponsePartitionData } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { invariant } from '../../common/invariant.js';
import type { Logger } from '../util/log.js';
import type { Partition } from './partition.js';
import { truncationPoint } from './truncation.js';
import type { BrokerEndpoint, ConnectToLeader, LeaderConnection, ReplicationConfig } from './types.js';
import { resetOutOfRange, truncateByLeaderEpochs } from './fetcher-recovery.js';

/** Partitions one fetcher serves at most (a bound on the request it builds). */
export const MAX_FETCHER_PARTITIONS = 100_000;
/** The first Fetch version with LastFetchedEpoch / DivergingEpoch; below it, OffsetForLeaderEpoch first. */
const DIVERGING_EPOCH_VERSION = 12;
/** The first Fetch version with ReplicaState (KIP-903). */
const REPLICA_STATE_VERSION = 15;

export interface ReplicaFetcherOptions {
  readonly source: BrokerEndpoint;
  readonly fetcherId: number;
  readonly localBrokerId: number;
  /** This broker's epoch (sent in ReplicaState). */
  readonly brokerEpoch: () => number;
  readonly config: ReplicationConfig;
  readonly logger: Logger;
  readonly connect: ConnectToLeader;
}

interface FetchEntry {
  readonly partition: Partition;
  /** Not fetched before this time (after an error). */
  delayedUntil: number;
  /** A leader without DivergingEpoch: truncate with OffsetForLeaderEpoch before fetching. */
  needsTruncation: boolean;
}

export class ReplicaFetcher {
  readonly source: BrokerEndpoint;
  private readonly o: ReplicaFetcherOptions;
  private readonly entries = new Map<Partition, FetchEntry>();
  private conn: LeaderConnection | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private wakeup: (() => void) | null = null;

  constructor(o: ReplicaFetcherOptions) {
    this.o = o;
    this.source = o.source;
  }

  get partitionCount(): number {
    return this.entries.size;
  }

  /** Whether `partition` is fetched here. */
  has(partition: Partition): boolean {
    return this.entries.has(partition);
  }

  /** Starts fetching `partition` from its log end (truncation, when needed, through LastFetchedEpoch). */
  addPartition(partition: Partition): void {
    invariant(this.entries.size < MAX_FETCHER_PARTITIONS || this.entries.has(partition), 'replica fetcher partitions within MAX_FETCHER_PARTITIONS');
    this.entries.set(partition, { partition, delayedUntil: 0, needsTruncation: true });
    this.start();
    this.wake();
  }

  removePartition(partition: Partition): void {
    this.entries.delete(partition);
  }

  /** Stops fetching (the connection closes; a fetch in flight is abandoned) and waits for the loop to end. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    this.conn?.close();
    this.conn = null;
    this.wake();
    await this.running;
  }

  private start(): void {
    if (this.running !== null || this.stopped) return;
    this.running = this.run().catch((e: unknown) => this.o.logger.error(`replica fetcher for broker ${this.source.id}: ${(e as Error).stack ?? String(e)}`));
  }

  private wake(): void {
    this.wakeup?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeup = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeup = done;
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const ready = this.readyEntries();
      if (ready.length === 0) {
        await this.sleep(this.idleWaitMs());
        continue;
      }
      try {
        const conn = await this.connection();
        await this.truncateIfNeeded(conn, ready);
        await this.fetchOnce(conn, ready);
      } catch (e) {
        if (this.stopped) break;
        this.o.logger.warn(`replica fetcher ${this.o.fetcherId} for broker ${this.source.id} (${this.source.host}:${this.source.port}): ${(e as Error).message}`);
        this.conn?.close();
        this.conn = null;
        await this.sleep(this.o.config.replicaFetchBackoffMs);
      }
    }
  }

  private readyEntries(): FetchEntry[] {
    const now = Date.now();
    const ready: FetchEntry[] = [];
    for (const e of this.entries.values()) if (e.delayedUntil <= now && !e.partition.isStopped) ready.push(e);
    return ready;
  }

  /** Until the first backed-off partition may fetch again (or a while, when there is nothing to fetch). */
  private idleWaitMs(): number {
    let until = Infinity;
    for (const e of this.entries.values()) until = Math.min(until, e.delayedUntil);
    return until === Infinity ? this.o.config.replicaFetchBackoffMs : Math.max(1, until - Date.now());
  }

  private async connection(): Promise<LeaderConnection> {
    if (this.conn !== null && this.conn.isOpen) return this.conn;
    this.conn?.close();
    this.conn = null;
    const c = await this.o.connect({
      host: this.source.host,
      port: this.source.port,
      clientId: `broker-${this.o.localBrokerId}-fetcher-${this.o.fetcherId}`,
      requestTimeoutMs: this.o.config.requestTimeoutMs,
      maxInFlight: 1,
    });
    if (this.stopped) {
      c.close();
      throw new Error('fetcher stopped');
    }
    c.onClose(() => {
      if (this.conn === c) this.conn = null;
    });
    this.conn = c;
    return c;
  }

  /** One Fetch for `ready` and its answer applied partition by partition. */
  private async fetchOnce(conn: LeaderConnection, ready: FetchEntry[]): Promise<void> {
    const sent = new Map<string, { entry: FetchEntry; fetchOffset: number }>();
    const names = new Map<string, string>();
    const version = conn.version(ApiKey.Fetch);
    const request = this.buildRequest(ready, sent, names, version >= DIVERGING_EPOCH_VERSION);
    if (request.length === 0) return;
    const c = this.o.config;
    const response: FetchResponse = await conn.send(
      ApiKey.Fetch,
      {
        // ReplicaState from v15 on; the old field must then keep its default.
        replicaId: version >= REPLICA_STATE_VERSION ? -1 : this.o.localBrokerId,
        replicaState: version >= REPLICA_STATE_VERSION ? { replicaId: this.o.localBrokerId, replicaEpoch: BigInt(this.o.brokerEpoch()) } : undefined,
        maxWaitMs: c.replicaFetchWaitMaxMs,
        minBytes: c.replicaFetchMinBytes,
        maxBytes: c.replicaFetchResponseMaxBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: request,
      },
      { version, timeoutMs: c.replicaFetchWaitMaxMs + c.requestTimeoutMs },
    );
    if (response.errorCode !== ErrorCode.NONE) throw new Error(`Fetch failed with error ${response.errorCode}`);
    const outOfRange: FetchEntry[] = [];
    for (const t of response.responses)
      for (const p of t.partitions) {
        const s = sent.get(key(t.topic === '' ? (names.get(t.topicId) ?? '') : t.topic, p.partitionIndex));
        if (s === undefined || this.entries.get(s.entry.partition) !== s.entry) continue;
        if (this.applyPartition(s.entry, s.fetchOffset, p) === 'out_of_range') outOfRange.push(s.entry);
      }
    for (const e of outOfRange) await resetOutOfRange(conn, e.partition, this.o.localBrokerId, this.o.logger);
  }

  private buildRequest(
    ready: FetchEntry[],
    sent: Map<string, { entry: FetchEntry; fetchOffset: number }>,
    names: Map<string, string>,
    withLastFetchedEpoch: boolean,
  ): FetchRequestFetchTopicInput[] {
    const byTopic = new Map<string, FetchRequestFetchTopicInput & { partitions: NonNullable<FetchRequestFetchTopicInput['partitions']> }>();
    for (const e of ready) {
      if (e.needsTruncation) continue;
      const p = e.partition;
      const log = p.log;
      let t = byTopic.get(p.topicId);
      if (t === undefined) {
        byTopic.set(p.topicId, (t = { topic: p.topic, topicId: p.topicId, partitions: [] }));
        names.set(p.topicId, p.topic);
      }
      const fetchOffset = log.logEndOffset;
      t.partitions.push({
        partition: p.partition,
        currentLeaderEpoch: p.leaderEpoch,
        fetchOffset: BigInt(fetchOffset),
        lastFetchedEpoch: withLastFetchedEpoch ? log.latestEpoch : -1,
        logStartOffset: BigInt(log.logStartOffset),
        partitionMaxBytes: this.o.config.replicaFetchMaxBytes,
      });
      sent.set(key(p.topic, p.partition), { entry: e, fetchOffset });
    }
    return [...byTopic.values()];
  }

  /** Applies one partition's answer; returns 'out_of_range' when the log must be reset from the leader's offsets. */
  private applyPartition(e: FetchEntry, fetchOffset: number, data: FetchResponsePartitionData): 'ok' | 'out_of_range' {
    const p = e.partition;
    if (p.isStopped || p.isLeader) return 'ok';
    try {
      if (data.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) return 'out_of_range';
      if (data.errorCode !== ErrorCode.NONE) {
        this.backOff(e, `error ${data.errorCode}`);
        return 'ok';
      }
      const d = data.divergingEpoch;
      if (d !== undefined && (d.epoch >= 0 || d.endOffset >= 0n)) {
        const at = truncationPoint(p.log, { leaderEpoch: d.epoch, endOffset: Number(d.endOffset) });
        p.truncateTo(at.offset, `diverging epoch ${d.epoch} ends at ${d.endOffset} on leader ${this.source.id}`);
        return 'ok';
      }
      if (p.log.logEndOffset !== fetchOffset) return 'ok'; // truncated meanwhile: the next fetch starts from the new end
      const records = data.records;
      if (records !== null && records.length > 0) p.appendRecordsAsFollower(records);
      p.updateFollowerHighWatermark(Number(data.highWatermark));
      p.updateFollowerLogStartOffset(Number(data.logStartOffset));
    } catch (err) {
      this.backOff(e, (err as Error).message);
    }
    return 'ok';
  }

  private backOff(e: FetchEntry, why: string): void {
    if (this.o.logger.enabled('debug')) this.o.logger.debug(`${e.partition.name}: fetch from broker ${this.source.id} backs off: ${why}`);
    e.delayedUntil = Date.now() + this.o.config.replicaFetchBackoffMs;
  }

  /**
   * A partition new to this fetcher is truncated by the first Fetch's DivergingEpoch; a leader too old for
   * it (Fetch < 12) is asked OffsetForLeaderEpoch for the follower's latest epoch first (Kafka before KIP-595).
   */
  private async truncateIfNeeded(conn: LeaderConnection, ready: FetchEntry[]): Promise<void> {
    const diverging = conn.version(ApiKey.Fetch) >= DIVERGING_EPOCH_VERSION;
    for (const e of ready) {
      if (!e.needsTruncation) continue;
      e.needsTruncation = diverging ? false : !(await truncateByLeaderEpochs(conn, e.partition, this.o.localBrokerId));
    }
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
