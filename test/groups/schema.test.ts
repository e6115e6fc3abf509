// __consumer_offsets record formats: our encoder checked against the independent decoder (Kafka's documented
// schemas), our decoder against hand-built bytes of every version, and the group → partition mapping.
import { describe, expect, it } from 'vitest';
import {
  decodeConsumerOffsetsKey,
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  encodeOffsetCommitValueV1,
  javaStringHashCode,
  offsetsPartitionFor,
  ConsumerOffsetsFormatError,
} from '../../host-node/group/consumer-offsets-schema.js';
import { decodeGroupValue, decodeKey, decodeOffsetValue, javaHash } from './independent-decoder.js';

const buf = (u: Uint8Array) => Buffer.from(u);

describe('offset commit records', () => {
  it('key v1 and value v3 match the documented layout byte for byte', () => {
    const key = encodeOffsetCommitKey('grp', 'topic', 7);
    expect(buf(key).toString('hex')).toBe('0001' + '0003' + buf(Buffer.from('grp')).toString('hex') + '0005' + Buffer.from('topic').toString('hex') + '00000007');
    expect(decodeKey(buf(key))).toEqual({ type: 'offset', version: 1, group: 'grp', topic: 'topic', partition: 7 });
    const value = encodeOffsetCommitValue({ offset: 123456789012n, leaderEpoch: 5, metadata: 'meta', commitTimestamp: 1700000000000n });
    expect(decodeOffsetValue(buf(value))).toEqual({ version: 3, offset: 123456789012n, leaderEpoch: 5, metadata: 'meta', commitTimestamp: 1700000000000n, expireTimestamp: -1n });
    const v1 = encodeOffsetCommitValueV1({ offset: 1n, metadata: '', commitTimestamp: 10n, expireTimestamp: 20n });
    expect(decodeOffsetValue(buf(v1))).toEqual({ version: 1, offset: 1n, leaderEpoch: -1, metadata: '', commitTimestamp: 10n, expireTimestamp: 20n });
  });

  it('reads every value version 0-4 (v4 flexible)', () => {
    const v0 = Buffer.concat([Buffer.from('0000', 'hex'), i64(9n), str('m'), i64(100n)]);
    expect(decodeOffsetCommitValue(v0)).toMatchObject({ offset: 9n, leaderEpoch: -1, metadata: 'm', commitTimestamp: 100n, expireTimestamp: -1n });
    const v1 = Buffer.concat([Buffer.from('0001', 'hex'), i64(9n), str(''), i64(100n), i64(200n)]);
    expect(decodeOffsetCommitValue(v1)).toMatchObject({ offset: 9n, expireTimestamp: 200n });
    const v2 = Buffer.concat([Buffer.from('0002', 'hex'), i64(9n), str('x'), i64(100n)]);
    expect(decodeOffsetCommitValue(v2)).toMatchObject({ offset: 9n, metadata: 'x', leaderEpoch: -1 });
    // v4: compact string (length+1 as uvarint) and an empty tagged-field section.
    const v4 = Buffer.concat([Buffer.from('0004', 'hex'), i64(9n), i32(3), Buffer.from([3]), Buffer.from('ab'), i64(100n), Buffer.from([0])]);
    expect(decodeOffsetCommitValue(v4)).toMatchObject({ offset: 9n, leaderEpoch: 3, metadata: 'ab', commitTimestamp: 100n });
    expect(() => decodeOffsetCommitValue(Buffer.from('0009', 'hex'))).toThrow(ConsumerOffsetsFormatError);
    expect(() => decodeOffsetCommitValue(Buffer.from('0003000000', 'hex'))).toThrow(ConsumerOffsetsFormatError);
  });
});

describe('group metadata records', () => {
  it('key v2 and value v3 round-trip through the independent decoder', () => {
    expect(buf(encodeGroupMetadataKey('g')).toString('hex')).toBe('0002' + '0001' + '67');
    expect(decodeKey(buf(encodeGroupMetadataKey('g')))).toEqual({ type: 'group', version: 2, group: 'g' });
    const value = {
      protocolType: 'consumer',
      generation: 4,
      protocol: 'range',
      leader: 'm-1',
      currentStateTimestamp: 1700000000123n,
      members: [
        { memberId: 'm-1', groupInstanceId: null, clientId: 'c1', clientHost: '/127.0.0.1', rebalanceTimeout: 300000, sessionTimeout: 45000, subscription: new Uint8Array([0, 1, 2]), assignment: new Uint8Array([9]) },
        { memberId: 'm-2', groupInstanceId: 'inst', clientId: 'c2', clientHost: '/10.0.0.1', rebalanceTimeout: 1, sessionTimeout: 2, subscription: new Uint8Array(), assignment: new Uint8Array() },
      ],
    };
    const bytes = encodeGroupMetadataValue(value);
    const d = decodeGroupValue(buf(bytes));
    expect(d.version).toBe(3);
    expect(d).toMatchObject({ protocolType: 'consumer', generation: 4, protocol: 'range', leader: 'm-1', currentStateTimestamp: 1700000000123n });
    expect(d.members.map((m) => ({ ...m, subscription: [...m.subscription], assignment: [...m.assignment] }))).toEqual(
      value.members.map((m) => ({ ...m, subscription: [...m.subscription], assignment: [...m.assignment] })),
    );
    const back = decodeGroupMetadataValue(bytes);
    expect(back.members[1]!.groupInstanceId).toBe('inst');
    // Empty group: null protocol and leader.
    const empty = encodeGroupMetadataValue({ protocolType: 'consumer', generation: 5, protocol: null, leader: null, currentStateTimestamp: 1n, members: [] });
    expect(decodeGroupValue(buf(empty))).toMatchObject({ protocol: null, leader: null, members: [] });
  });

  it('reads value v0 (no rebalance timeout, timestamp or instance id) and v4 (flexible)', () => {
    const v0 = Buffer.concat([Buffer.from('0000', 'hex'), str('consumer'), i32(1), str('range'), str('m'), i32(1), str('m'), str('c'), str('/h'), i32(6000), i32(1), Buffer.from([7]), i32(0)]);
    const d0 = decodeGroupMetadataValue(v0);
    expect(d0).toMatchObject({ protocolType: 'consumer', generation: 1, protocol: 'range', leader: 'm', currentStateTimestamp: -1n });
    expect(d0.members[0]).toMatchObject({ memberId: 'm', groupInstanceId: null, clientId: 'c', clientHost: '/h', sessionTimeout: 6000, rebalanceTimeout: 6000 });
    const cs = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s) + 1]), Buffer.from(s)]);
    const v4 = Buffer.concat([
      Buffer.from('0004', 'hex'),
      cs('consumer'),
      i32(2),
      cs('sticky'),
      Buffer.from([0]), // null leader
      i64(5n),
      Buffer.from([2]), // 1 member
      cs('m'),
      Buffer.from([0]), // null instance id
      cs('c'),
      cs('/h'),
      i32(100),
      i32(200),
      Buffer.from([2, 1]), // bytes [1]
      Buffer.from([1]), // empty bytes
      Buffer.from([0]), // member tags
      Buffer.from([0]), // value tags
    ]);
    const d4 = decodeGroupMetadataValue(v4);
    expect(d4).toMatchObject({ protocolType: 'consumer', generation: 2, protocol: 'sticky', leader: null, currentStateTimestamp: 5n });
    expect(d4.members[0]).toMatchObject({ memberId: 'm', rebalanceTimeout: 100, sessionTimeout: 200 });
    expect([...d4.members[0]!.subscription]).toEqual([1]);
    expect(decodeConsumerOffsetsKey(Buffer.from('00000001670001740000000a', 'hex'))).toEqual({ kind: 'offset', group: 'g', topic: 't', partition: 10 });
  });
});

describe('partition for a group', () => {
  it("is Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions, as Kafka's", () => {
    expect(javaStringHashCode('foo')).toBe(101574);
    expect(offsetsPartitionFor('foo', 50)).toBe(24);
    // A string whose hashCode is Integer.MIN_VALUE: Utils.abs gives 0.
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    expect(offsetsPartitionFor('polygenelubricants', 50)).toBe(0);
    for (const g of ['', 'console-consumer-12345', 'my-group', 'Ünïcødé-グループ', 'a'.repeat(300), 'test-group-\u{1F600}']) {
      expect(javaStringHashCode(g)).toBe(javaHash(g));
      expect(offsetsPartitionFor(g, 50)).toBe(Math.abs(javaHash(g)) % 50);
    }
  });
});

function i64(v: bigint) {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(v);
  return b;
}
function i32(v: number) {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}
function str(s: string) {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]);
}
