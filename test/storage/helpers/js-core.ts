// A plain-JS reference implementation of the storage core port, for tests only: it lets the storage
// tests run (and cross-check) independently of the WASM core. The product always uses the WASM core.
import { crc32c } from '@node-rs/crc32';
import type { AssignParams, AssignResult, BatchHeader, BatchInfo, ScanResult, StorageCore } from '../../../storage/core-port.js';
import { ErrorCode } from '../../../storage/errors.js';

const HEADER = 61;

export interface TestRecord {
  key?: Uint8Array | null;
  value: Uint8Array | null;
  timestamp: number;
}

function writeVarint(out: number[], v: number): void {
  let z = v >= 0 ? v * 2 : -v * 2 - 1; // zigzag (safe for small ints)
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
}

function readVarint(b: Uint8Array, pos: { p: number }): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    const byte = b[pos.p++]!;
    result += (byte & 0x7f) * mul;
    if ((byte & 0x80) === 0) break;
    mul *= 128;
  }
  return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
}

/** Encodes one uncompressed v2 batch (base offset 0 unless given), CRC-32C filled. */
export function encodeBatch(records: TestRecord[], opts: { baseOffset?: number; producerId?: number } = {}): Buffer {
  if (records.length === 0) throw new Error('encodeBatch: no records');
  const baseTs = records[0]!.timestamp;
  let maxTs = -1;
  const body: number[] = [];
  records.forEach((r, i) => {
    if (r.timestamp > maxTs) maxTs = r.timestamp;
    const rec: number[] = [0];
    writeVarint(rec, r.timestamp - baseTs);
    writeVarint(rec, i);
    for (const field of [r.key ?? null, r.value]) {
      if (field === null) writeVarint(rec, -1);
      else {
        writeVarint(rec, field.byteLength);
        for (const x of field) rec.push(x);
      }
    }
    writeVarint(rec, 0); // headers
    writeVarint(body, rec.length);
    for (const x of rec) body.push(x);
  });
  const buf = Buffer.alloc(HEADER + body.length);
  buf.writeBigInt64BE(BigInt(opts.baseOffset ?? 0), 0);
  buf.writeInt32BE(buf.byteLength - 12, 8);
  buf.writeInt32BE(-1, 12); // partitionLeaderEpoch: none, as producers send it
  buf.writeInt8(2, 16);
  buf.writeInt16BE(0, 21);
  buf.writeInt32BE(records.length - 1, 23);
  buf.writeBigInt64BE(BigInt(baseTs), 27);
  buf.writeBigInt64BE(BigInt(maxTs), 35);
  buf.writeBigInt64BE(BigInt(opts.producerId ?? -1), 43);
  buf.writeInt16BE(-1, 51);
  buf.writeInt32BE(-1, 53);
  buf.writeInt32BE(records.length, 57);
  Buffer.from(body).copy(buf, HEADER);
  buf.writeUInt32BE(crc32c(buf.subarray(21)) >>> 0, 17);
  return buf;
}

/** Decodes the records of whole batches (tests' oracle). */
export function decodeBatches(bytes: Uint8Array): { offset: number; timestamp: number; key: Buffer | null; value: Buffer | null }[] {
  const out: { offset: number; timestamp: number; key: Buffer | null; value: Buffer | null }[] = [];
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos + HEADER <= b.byteLength) {
    const size = b.readInt32BE(pos + 8) + 12;
    if (pos + size > b.byteLength) break;
    const base = Number(b.readBigInt64BE(pos));
    const attrs = b.readInt16BE(pos + 21);
    const baseTs = Number(b.readBigInt64BE(pos + 27));
    const maxTs = Number(b.readBigInt64BE(pos + 35));
    const count = b.readInt32BE(pos + 57);
    const p = { p: pos + HEADER };
    for (let i = 0; i < count; i++) {
      readVarint(b, p); // length
      p.p++; // attributes
      const tsDelta = readVarint(b, p);
      const offDelta = readVarint(b, p);
      const field = (): Buffer | null => {
        const n = readVarint(b, p);
        if (n < 0) return null;
        const v = b.subarray(p.p, p.p + n);
        p.p += n;
        return Buffer.from(v);
      };
      const key = field();
      const value = field();
      const hc = readVarint(b, p);
      for (let h = 0; h < hc; h++) {
        field();
        field();
      }
      out.push({ offset: base + offDelta, timestamp: attrs & 8 ? maxTs : baseTs + tsDelta, key, value });
    }
    pos += size;
  }
  return out;
}

export class JsCore implements StorageCore {
  private mem = Buffer.alloc(1 << 20);

  region(size: number): Uint8Array {
    if (size > this.mem.byteLength) this.mem = Buffer.alloc(Math.max(size, this.mem.byteLength * 2));
    return this.mem.subarray(0, size);
  }

  stage(src: Uint8Array): Uint8Array {
    const r = this.region(src.byteLength);
    r.set(src);
    return r;
  }

  private check(b: Buffer, pos: number, avail: number): { size: number } | 'partial' | 'invalid' {
    if (avail < 12) return 'partial';
    const size = b.readInt32BE(pos + 8) + 12;
    if (size < HEADER) return 'invalid';
    if (avail < 17) return 'partial';
    if (b[pos + 16] !== 2) return 'invalid';
    if (size > avail) return 'partial';
    const crc = b.readUInt32BE(pos + 17);
    if ((crc32c(b.subarray(pos + 21, pos + size)) >>> 0) !== crc) return 'invalid';
    const count = b.readInt32BE(pos + 57);
    if (count !== b.readInt32BE(pos + 23) + 1 || count < 0) return 'invalid';
    return { size };
  }

  private info(b: Buffer, pos: number, size: number, relPos: number): BatchInfo {
    const base = Number(b.readBigInt64BE(pos));
    const last = base + b.readInt32BE(pos + 23);
    const lat = (b.readInt16BE(pos + 21) & 8) !== 0;
    return {
      position: relPos,
      size,
      baseOffset: base,
      lastOffset: last,
      maxTimestamp: Number(b.readBigInt64BE(pos + 35)),
      offsetOfMaxTimestamp: lat ? base : last,
      recordCount: b.readInt32BE(pos + 57),
      leaderEpoch: b.readInt32BE(pos + 12),
    };
  }

  assign(view: Uint8Array, p: AssignParams): AssignResult {
    const b = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    const sizes: number[] = [];
    for (let pos = 0; pos < b.byteLength; ) {
      const c = this.check(b, pos, b.byteLength - pos);
      if (c === 'partial' || c === 'invalid') return { ok: false, errorCode: ErrorCode.CORRUPT_MESSAGE, message: `batch at ${pos}: ${c}` };
      if (c.size > p.maxBatchBytes) return { ok: false, errorCode: ErrorCode.MESSAGE_TOO_LARGE, message: `batch of ${c.size} bytes` };
      const uncompressed = (b.readInt16BE(pos + 21) & 7) === 0;
      if (p.requireKey && uncompressed && decodeBatches(b.subarray(pos, pos + c.size)).some((r) => r.key === null)) {
        return { ok: false, errorCode: ErrorCode.INVALID_RECORD, message: `batch at ${pos}: a record without a key` };
      }
      sizes.push(c.size);
      pos += c.size;
    }
    if (sizes.length === 0) return { ok: false, errorCode: ErrorCode.CORRUPT_MESSAGE, message: 'empty' };
    const batches: BatchInfo[] = [];
    let next = p.nextOffset;
    let pos = 0;
    for (const size of sizes) {
      b.writeBigInt64BE(BigInt(next), pos);
      if (p.leaderEpoch !== undefined && p.leaderEpoch >= 0) b.writeInt32BE(p.leaderEpoch, pos + 12);
      if (p.logAppendTimeMs >= 0) {
        b.writeInt16BE(b.readInt16BE(pos + 21) | 8, pos + 21);
        b.writeBigInt64BE(BigInt(p.logAppendTimeMs), pos + 35);
        b.writeUInt32BE(crc32c(b.subarray(pos + 21, pos + size)) >>> 0, pos + 17);
      }
      const i = this.info(b, pos, size, pos);
      batches.push(i);
      next = i.lastOffset + 1;
      pos += size;
    }
    return { ok: true, batches };
  }

  scan(bytes: Uint8Array, maxBatches: number): ScanResult {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const batches: BatchInfo[] = [];
    let pos = 0;
    while (pos < b.byteLength && batches.length < maxBatches) {
      const c = this.check(b, pos, b.byteLength - pos);
      if (c === 'partial' || c === 'invalid') return { validBytes: pos, batches, stop: c };
      batches.push(this.info(b, pos, c.size, pos));
      pos += c.size;
    }
    return { validBytes: pos, batches, stop: 'end' };
  }

  readHeader(bytes: Uint8Array, pos: number): BatchHeader | null {
    if (bytes.byteLength - pos < 43) return null;
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const base = Number(b.readBigInt64BE(pos));
    return {
      baseOffset: base,
      size: b.readInt32BE(pos + 8) + 12,
      magic: b[pos + 16]!,
      lastOffset: base + b.readInt32BE(pos + 23),
      maxTimestamp: Number(b.readBigInt64BE(pos + 35)),
      leaderEpoch: b.readInt32BE(pos + 12),
    };
  }

  offsetIndexLookup(index: Uint8Array, entries: number, target: number): number {
    const b = Buffer.from(index.buffer, index.byteOffset, index.byteLength);
    let lo = 0;
    let hi = entries - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (b.readInt32BE(mid * 8) <= target) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  timeIndexLookup(index: Uint8Array, entries: number, t: number): number {
    const b = Buffer.from(index.buffer, index.byteOffset, index.byteLength);
    let lo = 0;
    let hi = entries - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (Number(b.readBigInt64BE(mid * 12)) <= t) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  findRecordByTimestamp(batch: Uint8Array, t: number): { offset: number; timestamp: number } | null {
    for (const r of decodeBatches(batch)) if (r.timestamp >= t) return { offset: r.offset, timestamp: r.timestamp };
    return null;
  }
}
