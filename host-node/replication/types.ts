// What the replication layer receives from the cluster metadata and what it needs from storage: the
// partition state pushed by the metadata side (etcd image or a test), the port ISR changes are written
// through, the replication configs (Kafka's `replica.*` keys) and the Log operations it drives.
import type { AppendInfo, FetchData, Isolation } from '../../storage/index.js';
import type { ProducerStateManager } from '../../storage/producer-state.js';
import type { ClientConnection } from '../../client/connection.js';
import type { ApiKey } from '../../protocol/generated/api.js';

/** One partition's replicas and leadership, as the cluster metadata holds it (Kafka's LeaderAndIsr + assignment). */
export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly topicId: string;
  /** The assignment, preferred leader first. */
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** -1 when no replica may lead (offline). */
  readonly leader: number;
  readonly leaderEpoch: number;
  /** Bumped by every write of the state (etcd: the state key's mod revision). */
  readonly partitionEpoch: number;
  readonly addingReplicas?: readonly number[];
  readonly removingReplicas?: readonly number[];
}

/** Where a broker is reached (its first listener), as the cluster's broker registrations say. */
export interface BrokerEndpoint {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

/** The leader's proposed leadership and ISR for one partition (Kafka's AlterPartition payload). */
export interface IsrUpdate {
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
}

export type AlterPartitionResult = { ok: true; partitionEpoch: number } | { ok: false; current?: PartitionState };

/**
 * Writes ISR changes. In production a conditional etcd transaction on the partition's state key, accepted
 * only when the key still has `expectedPartitionEpoch` (and the same leader and leader epoch).
 */
export interface IsrStore {
  alterPartition(topic: string, partition: number, update: IsrUpdate, expectedPartitionEpoch: number): Promise<AlterPartitionResult>;
}

/** The replication configs, with Kafka's names and defaults (REPLICATION_DEFAULTS). */
export interface ReplicationConfig {
  /** replica.lag.time.max.ms: a follower not caught up for this long leaves the ISR. */
  readonly replicaLagTimeMaxMs: number;
  /** replica.fetch.max.bytes: per partition in a replica fetch. */
  readonly replicaFetchMaxBytes: number;
  /** replica.fetch.wait.max.ms */
  readonly replicaFetchWaitMaxMs: number;
  /** replica.fetch.min.bytes */
  readonly replicaFetchMinBytes: number;
  /** replica.fetch.response.max.bytes */
  readonly replicaFetchResponseMaxBytes: number;
  /** replica.fetch.backoff.ms: after an error, before the partition (or connection) is tried again. */
  readonly replicaFetchBackoffMs: number;
  /** num.replica.fetchers: fetchers (connections) per source broker. */
  readonly numReplicaFetchers: number;
  /** request.timeout.ms of a replica fetch, on top of its wait. */
  readonly requestTimeoutMs: number;
}

export const REPLICATION_DEFAULTS: ReplicationConfig = {
  replicaLagTimeMaxMs: 30_000,
  replicaFetchMaxBytes: 1_048_576,
  replicaFetchWaitMaxMs: 500,
  replicaFetchMinBytes: 1,
  replicaFetchResponseMaxBytes: 10_485_760,
  replicaFetchBackoffMs: 1000,
  numReplicaFetchers: 1,
  requestTimeoutMs: 30_000,
};

/** A client connection to a leader broker (host-node/client's Connection over TCP). */
export type LeaderConnection = ClientConnection<ApiKey>;

/** Opens a connection to a leader (the broker passes the Node client's Connection.connect). */
export type ConnectToLeader = (o: { host: string; port: number; clientId: string; requestTimeoutMs: number; maxInFlight: number }) => Promise<LeaderConnection>;

/** Kafka's (leader epoch, end offset) answer; (-1, -1) when the epoch is unknown. */
export interface EpochEndOffset {
  leaderEpoch: number;
  endOffset: number;
}

export type HighWatermarkMode = 'durable' | 'replicated';

/**
 * The Log operations replication drives (storage/log.ts's Log has them all; partitions are tested
 * against it). The leader stamps its epoch on appends; a follower appends the leader's batches with
 * their offsets kept, truncates, and sets the high watermark itself ('replicated' mode).
 */
export interface ReplicaLog {
  readonly topic: string;
  readonly partition: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  /** What the flush policy made durable (≤ log end offset). */
  readonly durableOffset: number;
  /** The leader epoch cache's newest epoch, -1 when none. */
  readonly latestEpoch: number;
  readonly producerState: ProducerStateManager;
  append(records: Uint8Array, opts?: { leaderEpoch?: number }): AppendInfo;
  appendAsFollower(records: Uint8Array): AppendInfo;
  truncateTo(offset: number): void;
  truncateFullyAndStartAt(offset: number): void;
  /** Moves the log start up to `offset` (≤ the high watermark); returns the log start. */
  deleteRecordsBefore(offset: number): number;
  endOffsetForEpoch(epoch: number): EpochEndOffset;
  /** A new leader's epoch starts at its log end (ignored unless newer than the cache's latest). */
  maybeAssignEpochStartOffset(epoch: number, startOffset: number): void;
  /** Calls `listener` each time the flush policy's durable offset moves; returns unsubscribe. */
  onDurableOffset(listener: (durableOffset: number) => void): () => void;
  setHighWatermarkMode(mode: HighWatermarkMode, highWatermark?: number): void;
  updateHighWatermark(offset: number): void;
  waitDurable(offset: number): Promise<void>;
  onHighWatermark(listener: (highWatermark: number) => void): () => void;
  read(offset: number, maxBytes: number, isolation?: Isolation, minOneMessage?: boolean): FetchData;
}

/** Where partition logs come from: the topic registry (a log for a topic id learnt from the cluster). */
export interface ReplicaLogSource {
  ensureReplicaLog(spec: { topic: string; topicId: string; partition: number; replicationFactor: number }): ReplicaLog;
  /** The partition's log if this broker has it. */
  existingLog(topic: string, partition: number): ReplicaLog | undefined;
  /** Min ISR for acks=all (the topic's effective `min.insync.replicas`). */
  minInsyncReplicas(topic: string): number;
  deletePartitionLogs(partitions: readonly { topic: string; partition: number }[]): void;
}
