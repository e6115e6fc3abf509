// The records of Kafka's internal `__consumer_offsets` topic, byte for byte as Kafka's group coordinator
// writes them (group-coordinator/src/main/resources/common/message/*.json in Apache Kafka):
//
//   key   = int16 version, then the key struct at that version
//     version 0/1 OffsetCommitKey:   group string, topic string, partition int32
//     version 2   GroupMetadataKey:  group string
//   value = int16 version, then the value struct at that version (a null value is a tombstone)
//     OffsetCommitValue v0-4 (flexible 4+): offset int64, leaderEpoch int32 (3+), metadata string,
//                                           commitTimestamp int64, expireTimestamp int64 (v1 only)
//     GroupMetadataValue v0-4 (flexible 4+): protocolType string, generation int32, protocol string?,
//                                            leader string?, currentStateTimestamp int64 (2+),
//                                            members [memberId, groupInstanceId? (3+), clientId, clientHost,
//                                            rebalanceTimeout int32 (1+), sessionTimeout int32,
//                                            subscription bytes, assignment bytes]
//
// We write offset commit key v1 / value v3 and group metadata key v2 / value v3 (what Kafka 2.3+ writes);
// we read every version 0-4 (v4 is the flexible encoding: compact strings/bytes/arrays + tagged fields).

import { Reader } from '../../protocol/wire/reader.js';

const OFFSET_COMMIT_KEY_VERSION = 1;
const GROUP_METADATA_KEY_VERSION = 2;
const OFFSET_COMMIT_VALUE_VERSION = 3;
const GROUP_METADATA_VALUE_VERSION = 3;

export interface OffsetCommitKey {
  kind: 'offset';
  group: string;
  topic: string;
  partition: number;
}
export interface GroupMetadataKey {
  kind: 'group';
  group: string;
}
export type ConsumerOffsetsKey = OffsetCommitKey | GroupMetadataKey;

export interface OffsetCommitValue {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
  /** Only in value v1; -1 otherwise. */
  expireTimestamp: bigint;
}

export interface GroupMemberRecord {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  subscription: Uint8Array;
  assignment: Uint8Array;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: bigint;
  members: GroupMemberRecord[];
}

// ---- encoding (a small growable builder; these records are tiny) ------------------------------------------

const enc = new TextEncoder();

class Builder {
  private buf = new Uint8Array(128);
  private view = new DataView(this.buf.buffer);
  pos = 0;
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  int16(v: number): void {
    this.ensure(2);
    this.view.setInt16(this.pos, v);
    this.pos += 2;
  }
  int32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }
  int64(v: bigint): void {
    this.ensure(8);
    this.view.setBigInt64(this.pos, v);
    this.pos += 8;
  }
  nullableString(s: string | null): void {
    if (s === null) return this.int16(-1);
    const b = enc.encode(s);
    if (b.length > 0x7fff) throw new RangeError(`string of ${b.length} bytes does not fit an int16 length`);
    this.int16(b.length);
    this.raw(b);
  }
  bytes(b: Uint8Array): void {
    this.int32(b.length);
    this.raw(b);
  }
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Uint8Array {
  const b = new Builder();
  b.int16(OFFSET_COMMIT_KEY_VERSION);
  b.nullableString(group);
  b.nullableString(topic);
  b.int32(partition);
  return b.done();
}

export function encodeGroupMetadataKey(group: string): Uint8Array {
  const b = new Builder();
  b.int16(GROUP_METADATA_KEY_VERSION);
  b.nullableString(group);
  return b.done();
}

export function encodeOffsetCommitValue(v: { offset: bigint; leaderEpoch: number; metadata: string; commitTimestamp: bigint }): Uint8Array {
  const b = new Builder();
  b.int16(OFFSET_COMMIT_VALUE_VERSION);
  b.int64(v.offset);
  b.int32(v.leaderEpoch);
  b.nullableString(v.metadata);
  b.int64(v.commitTimestamp);
  return b.done();
}

/** Value v1 carries an explicit expire timestamp (OffsetCommit v2-4 with a retention time), as Kafka writes it. */
export function encodeOffsetCommitValueV1(v: { offset: bigint; metadata: string; commitTimestamp: bigint; expireTimestamp: bigint }): Uint8Array {
  const b = new Builder();
  b.int16(1);
  b.int64(v.offset);
  b.nullableString(v.metadata);
  b.int64(v.commitTimestamp);
  b.int64(v.expireTimestamp);
  return b.done();
}

export function encodeGroupMetadataValue(v: GroupMetadataValue): Uint8Array {
  const b = new Builder();
  b.int16(GROUP_METADATA_VALUE_VERSION);
  b.nullableString(v.protocolType);
  b.int32(v.generation);
  b.nullableString(v.protocol);
  b.nullableString(v.leader);
  b.int64(v.currentStateTimestamp);
  b.int32(v.members.length);
  for (const m of v.members) {
    b.nullableString(m.memberId);
    b.nullableString(m.groupInstanceId);
    b.nullableString(m.clientId);
    b.nullableString(m.clientHost);
    b.int32(m.rebalanceTimeout);
    b.int32(m.sessionTimeout);
    b.bytes(m.subscription);
    b.bytes(m.assignment);
  }
  return b.done();
}

// ---- decoding -------------------------------------------------------------------------------------------

/** Thrown for a key or value this module cannot read (unknown version, truncated bytes). */
export class ConsumerOffsetsFormatError extends Error {
  override readonly name = 'ConsumerOffsetsFormatError';
}

function str(r: Reader, flexible: boolean): string {
  return flexible ? r.compactString() : r.string();
}
function nstr(r: Reader, flexible: boolean): string | null {
  return flexible ? r.compactNullableString() : r.nullableString();
}
function bytes(r: Reader, flexible: boolean): Uint8Array {
  return (flexible ? r.compactBytes() : r.bytes()).slice();
}
function arrayLen(r: Reader, flexible: boolean): number {
  const n = flexible ? r.compactArrayLength() : r.arrayLength();
  if (n < 0) throw new ConsumerOffsetsFormatError('null array');
  return n;
}
function skipTags(r: Reader, flexible: boolean): void {
  if (flexible) r.unknownTaggedFields();
}

function wrap<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ConsumerOffsetsFormatError) throw e;
    throw new ConsumerOffsetsFormatError(`${what}: ${(e as Error).message}`);
  }
}

export function decodeConsumerOffsetsKey(key: Uint8Array): ConsumerOffsetsKey {
  return wrap('key', () => {
    const r = new Reader(key);
    const version = r.int16();
    if (version === 0 || version === 1) {
      const group = r.string();
      const topic = r.string();
      const partition = r.int32();
      return { kind: 'offset', group, topic, partition };
    }
    if (version === 2) return { kind: 'group', group: r.string() };
    throw new ConsumerOffsetsFormatError(`unknown key version ${version}`);
  });
}

export function decodeOffsetCommitValue(value: Uint8Array): OffsetCommitValue {
  return wrap('offset commit value', () => {
    const r = new Reader(value);
    const version = r.int16();
    if (version < 0 || version > 4) throw new ConsumerOffsetsFormatError(`unknown offset commit value version ${version}`);
    const flexible = version >= 4;
    const offset = r.int64();
    const leaderEpoch = version >= 3 ? r.int32() : -1;
    const metadata = str(r, flexible);
    const commitTimestamp = r.int64();
    const expireTimestamp = version === 1 ? r.int64() : -1n;
    skipTags(r, flexible);
    return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
  });
}

export function decodeGroupMetadataValue(value: Uint8Array): GroupMetadataValue {
  return wrap('group metadata value', () => {
    const r = new Reader(value);
    const version = r.int16();
    if (version < 0 || version > 4) throw new ConsumerOffsetsFormatError(`unknown group metadata value version ${version}`);
    const flexible = version >= 4;
    const protocolType = str(r, flexible);
    const generation = r.int32();
    const protocol = nstr(r, flexible);
    const leader = nstr(r, flexible);
    const currentStateTimestamp = version >= 2 ? r.int64() : -1n;
    const n = arrayLen(r, flexible);
    const members: GroupMemberRecord[] = [];
    for (let i = 0; i < n; i++) {
      const memberId = str(r, flexible);
      const groupInstanceId = version >= 3 ? nstr(r, flexible) : null;
      const clientId = str(r, flexible);
      const clientHost = str(r, flexible);
      const rebalanceTimeout = version >= 1 ? r.int32() : -1;
      const sessionTimeout = r.int32();
      const subscription = bytes(r, flexible);
      const assignment = bytes(r, flexible);
      skipTags(r, flexible);
      members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeout: rebalanceTimeout < 0 ? sessionTimeout : rebalanceTimeout, sessionTimeout, subscription, assignment });
    }
    skipTags(r, flexible);
    return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
  });
}

// ---- partitioning -----------------------------------------------------------------------------------------

/** Java's String.hashCode (over UTF-16 code units, int32 arithmetic). */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: Math.abs, except Integer.MIN_VALUE → 0. */
function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/** The __consumer_offsets partition that holds a group (Kafka's partitionFor). */
export function offsetsPartitionFor(groupId: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % numPartitions;
}

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';
