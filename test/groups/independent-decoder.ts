// An independent reader of __consumer_offsets segment files, written in the test from Kafka's documented
// formats only (record batch v2 from the protocol guide; OffsetCommitKey/Value, GroupMetadataKey/Value from
// group-coordinator/src/main/resources/common/message/*.json). It shares no code with host-node/.

export interface RawRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

class Cursor {
  pos = 0;
  constructor(readonly b: Buffer) {}
  i8() {
    return this.b.readInt8(this.pos++);
  }
  i16() {
    const v = this.b.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i32() {
    const v = this.b.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  i64() {
    const v = this.b.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  /** zig-zag varint (records) as bigint. */
  varlong(): bigint {
    let shift = 0n;
    let raw = 0n;
    for (;;) {
      const byte = this.b[this.pos++]!;
      raw |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7n;
    }
    return (raw >> 1n) ^ -(raw & 1n);
  }
  varint(): number {
    return Number(this.varlong());
  }
  take(n: number): Buffer {
    const s = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  // Non-flexible (versions 0-3) field types: int16-length strings, int32-length bytes and arrays.
  str(): string {
    const n = this.i16();
    if (n < 0) throw new Error('null string where a string is required');
    return this.take(n).toString('utf8');
  }
  nstr(): string | null {
    const n = this.i16();
    return n < 0 ? null : this.take(n).toString('utf8');
  }
  bytes(): Buffer {
    const n = this.i32();
    return Buffer.from(this.take(n));
  }
}

/** Every record of a .log segment file (uncompressed v2 batches). */
export function readSegment(file: Buffer): RawRecord[] {
  const out: RawRecord[] = [];
  let pos = 0;
  while (pos + 61 <= file.length) {
    const c = new Cursor(file);
    c.pos = pos;
    const baseOffset = c.i64();
    const batchLength = c.i32();
    const end = pos + 12 + batchLength;
    c.i32(); // partitionLeaderEpoch
    const magic = c.i8();
    if (magic !== 2) throw new Error(`magic ${magic}`);
    c.i32(); // crc
    const attributes = c.i16();
    if ((attributes & 7) !== 0) throw new Error('compressed batch');
    c.i32(); // lastOffsetDelta
    const baseTimestamp = c.i64();
    c.i64(); // maxTimestamp
    c.i64(); // producerId
    c.i16(); // producerEpoch
    c.i32(); // baseSequence
    const count = c.i32();
    for (let i = 0; i < count; i++) {
      c.varint(); // length
      c.i8(); // attributes
      const tsDelta = c.varlong();
      const offDelta = c.varlong();
      const kl = c.varint();
      const key = kl < 0 ? null : Buffer.from(c.take(kl));
      const vl = c.varint();
      const value = vl < 0 ? null : Buffer.from(c.take(vl));
      const headers = c.varint();
      for (let h = 0; h < headers; h++) {
        c.take(c.varint());
        const hv = c.varint();
        if (hv >= 0) c.take(hv);
      }
      out.push({ offset: baseOffset + offDelta, timestamp: baseTimestamp + tsDelta, key, value });
    }
    pos = end;
  }
  return out;
}

export type DecodedKey = { type: 'offset'; version: number; group: string; topic: string; partition: number } | { type: 'group'; version: number; group: string };

export function decodeKey(b: Buffer): DecodedKey {
  const c = new Cursor(b);
  const version = c.i16();
  if (version <= 1) return { type: 'offset', version, group: c.str(), topic: c.str(), partition: c.i32() };
  if (version === 2) return { type: 'group', version, group: c.str() };
  throw new Error(`key version ${version}`);
}

export function decodeOffsetValue(b: Buffer) {
  const c = new Cursor(b);
  const version = c.i16();
  const offset = c.i64();
  const leaderEpoch = version >= 3 ? c.i32() : -1;
  const metadata = c.str();
  const commitTimestamp = c.i64();
  const expireTimestamp = version === 1 ? c.i64() : -1n;
  if (c.pos !== b.length) throw new Error('trailing bytes in offset value');
  return { version, offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

export function decodeGroupValue(b: Buffer) {
  const c = new Cursor(b);
  const version = c.i16();
  const protocolType = c.str();
  const generation = c.i32();
  const protocol = c.nstr();
  const leader = c.nstr();
  const currentStateTimestamp = version >= 2 ? c.i64() : -1n;
  const n = c.i32();
  const members = [];
  for (let i = 0; i < n; i++) {
    const memberId = c.str();
    const groupInstanceId = version >= 3 ? c.nstr() : null;
    const clientId = c.str();
    const clientHost = c.str();
    const rebalanceTimeout = version >= 1 ? c.i32() : -1;
    const sessionTimeout = c.i32();
    const subscription = c.bytes();
    const assignment = c.bytes();
    members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeout, sessionTimeout, subscription, assignment });
  }
  if (c.pos !== b.length) throw new Error('trailing bytes in group value');
  return { version, protocolType, generation, protocol, leader, currentStateTimestamp, members };
}

/** Java's String.hashCode, written with BigInt wrap-around (independent of the broker's Math.imul version). */
export function javaHash(s: string): number {
  let h = 0n;
  for (let i = 0; i < s.length; i++) h = BigInt.asIntN(32, h * 31n + BigInt(s.charCodeAt(i)));
  return Number(h);
}
