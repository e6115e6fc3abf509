// Legacy message sets (magic 0 and 1) through the core: validation, iteration, and conversion to and
// from v2 batches for old producers (Produce v0-2) and old consumers (Fetch v0-3).

import { CoreError, ErrorCode } from './errors.js';
import { ATTR_COMPRESSION_MASK, ATTR_TIMESTAMP_TYPE, BatchHeader, LegacyCursor as LC, LegacyInfo as LI } from './layout.js';
import { type CoreMemory, nullableView } from './memory.js';

export interface LegacyMessage {
  offset: bigint;
  magic: number;
  attributes: number;
  compression: number;
  /** -1 for magic 0. */
  timestamp: bigint;
  timestampType: 'CreateTime' | 'LogAppendTime';
  key: Uint8Array | null;
  value: Uint8Array | null;
  crc: number;
}

export interface LegacyInfo {
  count: number;
  /** Magic of the messages, -1 when mixed or empty. */
  magic: number;
  /** Codec of the first compressed wrapper message, 0 if none. */
  codec: number;
  compressedCount: number;
  firstOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  bytes: number;
}

export class LegacyMessageSets {
  /** The LegacyInfo block the core fills. */
  private readonly info: number;
  private readonly cursor: number;

  constructor(private readonly mem: CoreMemory) {
    this.info = mem.allocPtr(LI.SIZE, 64);
    this.cursor = mem.allocPtr(LC.BYTES, 64);
  }

  private readLegacyInfo(): LegacyInfo {
    const dv = this.mem.dv;
    const i = this.info;
    return {
      count: dv.getInt32(i + LI.COUNT, true),
      magic: dv.getInt32(i + LI.MAGIC, true),
      codec: dv.getInt32(i + LI.CODEC, true),
      compressedCount: dv.getInt32(i + LI.COMPRESSED, true),
      firstOffset: dv.getBigInt64(i + LI.FIRST_OFFSET, true),
      lastOffset: dv.getBigInt64(i + LI.LAST_OFFSET, true),
      maxTimestamp: dv.getBigInt64(i + LI.MAX_TIMESTAMP, true),
      bytes: dv.getInt32(i + LI.BYTES, true),
    };
  }

  validateLegacy(bytes: Uint8Array, opts: { allowPartial?: boolean } = {}): LegacyInfo {
    const p = this.mem.copyIn(bytes);
    const r = this.mem.exports.legacyValidate(p, bytes.length, opts.allowPartial ? 1 : 0, this.info);
    if (r < 0) throw new CoreError(r, 'legacy message set', this.mem.lastErrorPosition() - p);
    return this.readLegacyInfo();
  }

  legacyMessages(bytes: Uint8Array): LegacyMessage[] {
    const p = this.mem.copyIn(bytes);
    const c = this.cursor;
    let r = this.mem.exports.legacyBegin(p, bytes.length, c);
    if (r < 0) throw new CoreError(r, 'legacy message set');
    const out: LegacyMessage[] = [];
    while ((r = this.mem.exports.legacyNext(c)) === 1) out.push(this.currentMessage());
    if (r < 0) throw new CoreError(r, 'legacy message', this.mem.lastErrorPosition() - p);
    return out;
  }

  /** The message at the cursor; key and value are views of linear memory. */
  private currentMessage(): LegacyMessage {
    const c = this.cursor;
    const dv = this.mem.dv;
    const u8 = this.mem.u8;
    const attributes = dv.getInt32(c + LC.ATTRIBUTES, true);
    return {
      offset: dv.getBigInt64(c + LC.OFFSET, true),
      magic: dv.getInt32(c + LC.MAGIC, true),
      attributes,
      compression: attributes & ATTR_COMPRESSION_MASK,
      timestamp: dv.getBigInt64(c + LC.TIMESTAMP, true),
      timestampType: attributes & ATTR_TIMESTAMP_TYPE ? 'LogAppendTime' : 'CreateTime',
      key: nullableView(u8, dv.getUint32(c + LC.KEY_PTR, true), dv.getInt32(c + LC.KEY_LEN, true)),
      value: nullableView(u8, dv.getUint32(c + LC.VALUE_PTR, true), dv.getInt32(c + LC.VALUE_LEN, true)),
      crc: dv.getUint32(c + LC.CRC, true),
    };
  }

  legacyToV2(bytes: Uint8Array): Uint8Array {
    const p = this.mem.copyIn(bytes);
    const cap = BatchHeader.SIZE + bytes.length * 2 + 64;
    const out = this.mem.output.ensure(cap);
    let r = this.mem.exports.legacyToV2(p, bytes.length, out, cap, this.info);
    if (r === ErrorCode.OUTPUT_TOO_SMALL) {
      const need = this.mem.dv.getInt32(this.info + LI.REQUIRED, true);
      const out2 = this.mem.output.ensure(need);
      const p2 = this.mem.copyIn(bytes);
      r = this.mem.exports.legacyToV2(p2, bytes.length, out2, need, this.info);
      if (r < 0) throw new CoreError(r, 'legacy → v2');
      return this.mem.u8.slice(out2, out2 + r);
    }
    if (r < 0) throw new CoreError(r, 'legacy → v2', this.mem.lastErrorPosition() - p);
    return this.mem.u8.slice(out, out + r);
  }

  v2ToLegacy(bytes: Uint8Array, toMagic: 0 | 1, opts: { verifyCrc?: boolean } = {}): Uint8Array {
    const p = this.mem.copyIn(bytes);
    const verify = opts.verifyCrc ?? true ? 1 : 0;
    let cap = bytes.length + 64;
    let out = this.mem.output.ensure(cap);
    let r = this.mem.exports.v2ToLegacy(p, bytes.length, toMagic, verify, out, cap, this.info);
    if (r === ErrorCode.OUTPUT_TOO_SMALL) {
      cap = this.mem.dv.getInt32(this.info + LI.REQUIRED, true);
      out = this.mem.output.ensure(cap);
      const p2 = this.mem.copyIn(bytes);
      r = this.mem.exports.v2ToLegacy(p2, bytes.length, toMagic, verify, out, cap, this.info);
    }
    if (r < 0) throw new CoreError(r, 'v2 → legacy');
    return this.mem.u8.slice(out, out + r);
  }
}
