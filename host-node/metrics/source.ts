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

export interface MetricsSource {
  /** Every partition log of the broker. */
  partitionLogs(): Iterable<PartitionLogStats>;
  /** Every consumer group (none when the broker has no group coordinator). */
  groups(): Iterable<GroupStats>;
  /** Committed offsets of every group. */
  groupOffsets(): Iterable<GroupOffsetStats>;
}
