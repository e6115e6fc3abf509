// The coordinator's settings: the group.* / offsets.* broker config keys (config.ts) plus Rivulet's own bounds.

import type { BrokerConfig } from '../config/index.js';

export interface CoordinatorConfig {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxGroupSize: number;
  offsetsTopicPartitions: number;
  offsetsTopicSegmentBytes: number;
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  offsetMetadataMaxBytes: number;
  offsetCommitTimeoutMs: number;
  loadBufferSize: number;
  /** How long a new member may wait in a join phase before it is dropped (Kafka: 5 minutes). */
  newMemberJoinTimeoutMs: number;
  /** Rivulet bound: most member ids handed out with MEMBER_ID_REQUIRED and not yet used, per group. */
  maxPendingMembers: number;
}

export const DEFAULT_COORDINATOR_CONFIG: Readonly<CoordinatorConfig> = Object.freeze({
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1800000,
  maxGroupSize: 2147483647,
  offsetsTopicPartitions: 50,
  offsetsTopicSegmentBytes: 104857600,
  offsetsRetentionMs: 10080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600000,
  offsetMetadataMaxBytes: 4096,
  offsetCommitTimeoutMs: 5000,
  loadBufferSize: 5242880,
  newMemberJoinTimeoutMs: 300000,
  maxPendingMembers: 10000,
});

export function coordinatorConfigFrom(c: BrokerConfig): CoordinatorConfig {
  return {
    ...DEFAULT_COORDINATOR_CONFIG,
    initialRebalanceDelayMs: c.get('group.initial.rebalance.delay.ms'),
    minSessionTimeoutMs: c.get('group.min.session.timeout.ms'),
    maxSessionTimeoutMs: c.get('group.max.session.timeout.ms'),
    maxGroupSize: c.get('group.max.size'),
    offsetsTopicPartitions: c.get('offsets.topic.num.partitions'),
    offsetsTopicSegmentBytes: c.get('offsets.topic.segment.bytes'),
    offsetsRetentionMs: c.get('offsets.retention.minutes') * 60_000,
    offsetsRetentionCheckIntervalMs: c.get('offsets.retention.check.interval.ms'),
    offsetMetadataMaxBytes: c.get('offset.metadata.max.bytes'),
    offsetCommitTimeoutMs: c.get('offsets.commit.timeout.ms'),
    loadBufferSize: c.get('offsets.load.buffer.size'),
  };
}
