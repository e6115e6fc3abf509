// The records of a v2 batch's records section, read through the core's record cursor. Keys, values and
// header values are views of linear memory.

import { CoreError } from './errors.js';
import { RecordCursor as RC } from './layout.js';
import { type CoreMemory, nullableView } from './memory.js';

export interface Header {
  key: string;
  value: Uint8Array | null;
}

/** One record; key/value/headers are views into linear memory (copy with .slice() to keep them). */
export interface RecordView {
  offsetDelta: number;
  timestampDelta: bigint;
  attributes: number;
  /** baseOffset + offsetDelta. */
  offset: bigint;
  /** baseTimestamp + timestampDelta, or maxTimestamp for LogAppendTime batches. */
  timestamp: bigint;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Header[];
}

const dec = new TextDecoder();

/** A zig-zag varint at u8[p] that the core has already checked; returns the value and moves `at.p`. */
function checkedVarint(u8: Uint8Array, at: { p: number }): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = u8[at.p++]!;
    result |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  return (result >>> 1) ^ -(result & 1);
}

/**
 * Headers of a record the core has already validated (bounds and varints checked), decoded here in JS
 * so iteration never calls back into the core or grows memory (which would detach earlier views).
 */
function readHeaders(u8: Uint8Array, p: number, count: number): Header[] {
  const headers: Header[] = new Array(count);
  const at = { p };
  for (let h = 0; h < count; h++) {
    const kl = checkedVarint(u8, at);
    const key = dec.decode(u8.subarray(at.p, at.p + kl));
    at.p += kl;
    const vl = checkedVarint(u8, at);
    let value: Uint8Array | null = null;
    if (vl >= 0) {
      value = u8.subarray(at.p, at.p + vl);
      at.p += vl;
    }
    headers[h] = { key, value };
  }
  return headers;
}

/** The core's record cursor: batchRecordsBegin / recordsBegin start it, `read` walks it. */
export class RecordReader {
  readonly cursor: number;
  constructor(private readonly mem: CoreMemory) {
    this.cursor = mem.allocPtr(RC.BYTES, 64);
  }

  /** The records left at the cursor, with offsets and timestamps from the batch header. */
  read(baseOffset: bigint, baseTimestamp: bigint, logAppendTime: bigint | null): RecordView[] {
    const out: RecordView[] = [];
    for (;;) {
      const r = this.mem.exports.recordNext(this.cursor);
      if (r === 0) return out;
      if (r < 0) throw new CoreError(r, 'record', this.mem.lastErrorPosition());
      out.push(this.current(baseOffset, baseTimestamp, logAppendTime));
    }
  }

  private current(baseOffset: bigint, baseTimestamp: bigint, logAppendTime: bigint | null): RecordView {
    const c = this.cursor;
    const dv = this.mem.dv;
    const u8 = this.mem.u8;
    const offsetDelta = dv.getInt32(c + RC.OFFSET_DELTA, true);
    const timestampDelta = dv.getBigInt64(c + RC.TIMESTAMP_DELTA, true);
    const headerCount = dv.getInt32(c + RC.HEADER_COUNT, true);
    return {
      offsetDelta,
      timestampDelta,
      attributes: dv.getInt32(c + RC.ATTRIBUTES, true),
      offset: baseOffset + BigInt(offsetDelta),
      timestamp: logAppendTime ?? BigInt.asIntN(64, baseTimestamp + timestampDelta),
      key: nullableView(u8, dv.getUint32(c + RC.KEY_PTR, true), dv.getInt32(c + RC.KEY_LEN, true)),
      value: nullableView(u8, dv.getUint32(c + RC.VALUE_PTR, true), dv.getInt32(c + RC.VALUE_LEN, true)),
      headers: headerCount === 0 ? [] : readHeaders(u8, dv.getUint32(c + RC.HEADERS_PTR, true), headerCount),
    };
  }
}
