// What the broker metrics read when /metrics is scraped, as plain data. The broker wires it to its partition
// logs and group coordinator (host-node/server/metrics-source.ts), so the metrics depend on neither.

/** A partition log's size and offsets. */
export interface PartitionLogStats {
  readonly topic: string;
  readonly partition: number;
  /** Bytes on disk, all segments. */
  readonly size: number;
  readonly logEndOffset: number;
  readonly logStartOffset: number;
}

/** A consumer group's committed offset for one partition. */
export interface GroupOffsetStats {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The partition's high watermark, when this broker hosts it. */
  readonly highWatermark: number | undefined;
}

export interface GroupStats {
  readonly group: string;
  readonly members: number;
}

/**
 * What Kafka's ReplicaManager and KafkaController gauges report, for this broker. A single broker reports
 * what Kafka reports for a one-broker cluster: it leads every partition it has, none is under-replicated
 * or offline, and it is the active controller.
 */
export interface ReplicationStats {
  /** Partitions this broker leads whose ISR is smaller than their replica set. */
  readonly underReplicatedPartitions: number;
  /** Partitions this broker leads whose ISR is smaller than their min.insync.replicas. */
  readonly underMinIsrPartitions: number;
  /** Partitions this broker leads. */
  readonly leaderCount: number;
  /** Partitions this broker holds a replica of. */
  readonly partitionCount: number;
  /** ISR shrinks / expands this broker made as leader since it started (accepted by the metadata store). */
  readonly isrShrinks: number;
  readonly isrExpands: number;
  /** 1 on the active controller, 0 elsewhere. */
  readonly activeController: number;
  /** Partitions without a live leader, as the active controller sees them; 0 on every other broker. */
  readonly offlinePartitions: number;
}

export interface MetricsSource {
  /** Every partition log of the broker. */
  partitionLogs(): Iterable<PartitionLogStats>;
  /** Every consumer group (none when the broker has no group coordinator). */
  groups(): Iterable<GroupStats>;
  /** Committed offsets of every group. */
  groupOffsets(): Iterable<GroupOffsetStats>;
  /** Leadership, ISR and controller figures (computed at each call). */
  replication(): ReplicationStats;
}
