// Committed offsets (Kafka's OffsetAndMetadata): what one OffsetCommit partition becomes, the records that
// store or delete it in __consumer_offsets, what OffsetFetch answers, and which offsets have expired
// (offsets.retention.minutes, Kafka's cleanupGroupMetadata rules).

import { ErrorCode } from '../../protocol/errors.js';
import { encodeOffsetCommitKey, encodeOffsetCommitValue, encodeOffsetCommitValueV1 } from './consumer-offsets-schema.js';
import { CONSUMER_PROTOCOL_TYPE, type ClassicGroup, type CommittedOffset } from './group.js';
import type { StoreRecord } from './offsets-store.js';
import type { CommitPartition, FetchedPartition, FetchOffsetsResult } from './requests.js';

/** The committed offset an OffsetCommit partition asks for, at `now`. */
export function committedOffset(p: CommitPartition, retentionTimeMs: number, now: number): CommittedOffset {
  return {
    offset: p.offset,
    leaderEpoch: p.leaderEpoch,
    metadata: p.metadata ?? '',
    commitTimestamp: p.commitTimestamp >= 0 ? p.commitTimestamp : now,
    expireTimestamp: retentionTimeMs >= 0 ? now + retentionTimeMs : -1,
    appendOffset: -1,
  };
}

/** Whether the commit's metadata string fits offset.metadata.max.bytes. */
export function metadataFits(metadata: string, maxBytes: number): boolean {
  return Buffer.byteLength(metadata, 'utf8') <= maxBytes;
}

/** The record storing a committed offset: value v1 when it has an explicit expiry, else value v3. */
export function offsetCommitRecord(groupId: string, topic: string, partition: number, o: CommittedOffset): StoreRecord {
  const commitTimestamp = BigInt(o.commitTimestamp);
  return {
    key: encodeOffsetCommitKey(groupId, topic, partition),
    value:
      o.expireTimestamp >= 0
        ? encodeOffsetCommitValueV1({ offset: o.offset, metadata: o.metadata, commitTimestamp, expireTimestamp: BigInt(o.expireTimestamp) })
        : encodeOffsetCommitValue({ offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, commitTimestamp }),
  };
}

export function offsetTombstone(groupId: string, topic: string, partition: number): StoreRecord {
  return { key: encodeOffsetCommitKey(groupId, topic, partition), value: null };
}

/** OffsetFetch's answer for one partition: its committed offset, or -1 when there is none. */
export function fetchedPartition(partition: number, o: CommittedOffset | undefined): FetchedPartition {
  return o
    ? { partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE }
    : { partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
}

/** Every committed offset of a (live) group, partitions in order. */
export function allFetchedOffsets(g: ClassicGroup | undefined): FetchOffsetsResult['topics'] {
  const out: FetchOffsetsResult['topics'] = [];
  if (g && !g.is('Dead'))
    for (const [name, parts] of g.offsets) out.push({ name, partitions: [...parts.entries()].sort((a, b) => a[0] - b[0]).map(([p, o]) => fetchedPartition(p, o)) });
  return out;
}

/**
 * The group's expired offsets at `now` (Kafka's rules): an explicit expire timestamp wins; otherwise the
 * retention counts from the commit for standalone groups and for unsubscribed topics of a stable consumer
 * group, and from the moment an empty group became empty. Other groups' offsets do not expire.
 */
export function expiredOffsets(g: ClassicGroup, now: number, retentionMs: number): [topic: string, partition: number][] {
  let base: ((o: CommittedOffset) => number) | null = null;
  let subscribed: Set<string> | null = null;
  if (g.protocolType === null) base = (o) => o.commitTimestamp;
  else if (g.is('Empty')) base = () => g.currentStateTimestamp;
  else if (g.protocolType === CONSUMER_PROTOCOL_TYPE && g.is('Stable')) {
    subscribed = g.subscribedTopics();
    if (subscribed !== null) base = (o) => o.commitTimestamp;
  }
  const expired: [string, number][] = [];
  if (base === null || g.pendingCommits > 0) return expired;
  for (const [topic, parts] of g.offsets) {
    if (subscribed?.has(topic)) continue;
    for (const [p, o] of parts) {
      if (o.expireTimestamp >= 0 ? now >= o.expireTimestamp : now - base(o) >= retentionMs) expired.push([topic, p]);
    }
  }
  return expired;
}
