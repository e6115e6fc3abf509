// The few Kafka requests sync needs besides Produce and Fetch, as small functions over one WsConnection:
// topic lookup (and creation), ListOffsets, and the standalone OffsetFetch/OffsetCommit of a simple
// consumer (group generation -1, empty member id: Kafka accepts commits from a consumer that never
// joins the group as long as the group has no active members).
import { ApiKey } from '../../protocol/generated/api.js';
import { ErrorCode } from '../../protocol/errors.js';
import { KafkaProtocolError } from '../../client/errors.js';
import type { WsConnection } from './ws-connection.js';

export interface TopicPartitionInfo {
  clusterId: string | null;
  partitions: number;
}

/**
 * Makes sure `topic` has `partition`: Metadata (asking the broker to auto-create the topic if its
 * auto.create.topics.enable allows), then CreateTopics with partition + 1 partitions when it is still
 * unknown and `create` is set. Throws a retriable KafkaProtocolError while the topic is not ready.
 */
export async function ensureTopicPartition(conn: WsConnection, topic: string, partition: number, create: boolean): Promise<TopicPartitionInfo> {
  const md = await conn.send(ApiKey.Metadata, { topics: [{ name: topic }], allowAutoTopicCreation: create });
  const t = md.topics.find((x) => x.name === topic);
  const code = t?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && create) {
    const res = await conn.send(ApiKey.CreateTopics, { topics: [{ name: topic, numPartitions: partition + 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 10_000 });
    const r = res.topics.find((x) => x.name === topic);
    if (r && r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) throw new KafkaProtocolError(r.errorCode, `creating topic '${topic}'`, r.errorMessage);
    throw new KafkaProtocolError(ErrorCode.LEADER_NOT_AVAILABLE, `topic '${topic}' was just created`);
  }
  if (code !== ErrorCode.NONE) throw new KafkaProtocolError(code, `topic '${topic}'`);
  const n = t!.partitions.length;
  if (partition >= n) throw new KafkaProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${topic}' has ${n} partition(s), no partition ${partition}`);
  return { clusterId: md.clusterId, partitions: n };
}

/** ListOffsets: -2 = earliest (log start), -1 = latest (high watermark). */
export async function listOffset(conn: WsConnection, topic: string, partition: number, timestamp: -1n | -2n): Promise<bigint> {
  const res = await conn.send(ApiKey.ListOffsets, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] }] });
  const p = res.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
  if (!p) throw new KafkaProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `ListOffsets ${topic}-${partition}`);
  if (p.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(p.errorCode, `ListOffsets ${topic}-${partition}`);
  return p.offset;
}

/** The group's committed offset for the partition, or -1n when it has none. */
export async function fetchCommitted(conn: WsConnection, groupId: string, topic: string, partition: number): Promise<bigint> {
  const res = await conn.send(ApiKey.OffsetFetch, { groupId, topics: [{ name: topic, partitionIndexes: [partition] }], requireStable: false });
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(res.errorCode, `OffsetFetch for group '${groupId}'`);
  const p = res.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
  if (!p) return -1n;
  if (p.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(p.errorCode, `OffsetFetch ${topic}-${partition} for group '${groupId}'`);
  return p.committedOffset;
}

/** Commits `offset` (the next offset to read) as a standalone consumer: generation -1, no member id. */
export async function commitOffset(conn: WsConnection, groupId: string, topic: string, partition: number, offset: bigint): Promise<void> {
  const res = await conn.send(ApiKey.OffsetCommit, {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: 'rivulet-browser tail' }] }],
  });
  const p = res.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
  const code = p?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  if (code !== ErrorCode.NONE) throw new KafkaProtocolError(code, `OffsetCommit ${topic}-${partition} for group '${groupId}'`);
}
