// The storage port over the WASM core's bindings (bindings/core.ts), in the linear memory of the core
// instance it is given (a broker has one, shared with its group coordinator and data path). Everything the
// adapter needs in linear memory is reserved up front, except the staging region and the resident index
// copies (bindings/indexes.ts), which grow geometrically (the core's arena never frees: old regions are
// abandoned, so total reserved stays under 2x the largest request). Platform-neutral: the browser's Worker
// uses it as the broker does.
import { CoreError, kafkaErrorFor } from '../bindings/errors.js';
import { OFFSET_INDEX, ResidentIndex, TIME_INDEX } from '../bindings/indexes.js';
import { BatchInfo as BI, OFFSET_INDEX_ENTRY, TIME_INDEX_ENTRY } from '../bindings/layout.js';
import type { RivuletCore } from '../bindings/core.js';
import type { AssignParams, AssignResult, BatchHeader, BatchInfo, LinearMemory, ScanResult, StorageCore } from './core-port.js';
import { ErrorCode, invariant } from './errors.js';

const MAX_BATCHES_PER_APPEND = 4096;
const TRUNCATED = -1;
/** partitionLeaderEpoch's byte offset in a v2 batch header (big-endian int32). */
const LEADER_EPOCH_AT = 12;

function readBe32(b: Uint8Array, at: number): number {
  return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
}

export class WasmStorageCore implements StorageCore {
  private stagePtr = 0;
  private stageCap = 0;
  private readonly headerPtr: number;
  private readonly infoPtr: number;
  private readonly offsetIndex: ResidentIndex;
  private readonly timeIndex: ResidentIndex;

  constructor(readonly core: RivuletCore, initialStageBytes = 1 << 20) {
    this.headerPtr = core.allocPtr(128, 64);
    this.infoPtr = core.allocPtr(BI.BYTES, 64);
    this.offsetIndex = new ResidentIndex(core, OFFSET_INDEX);
    this.timeIndex = new ResidentIndex(core, TIME_INDEX);
    // Reserve the append result area now, so no later call grows memory between stage() and the segment
    // write (growth would detach the staged view).
    core.appendAt(this.headerPtr, 0, { nextOffset: 0, maxBatches: MAX_BATCHES_PER_APPEND });
    this.region(initialStageBytes);
  }

  region(size: number): Uint8Array {
    if (size > this.stageCap) {
      const cap = Math.max(size, this.stageCap * 2);
      this.stagePtr = this.core.allocPtr(cap, 64);
      this.stageCap = cap;
    }
    return this.core.u8.subarray(this.stagePtr, this.stagePtr + size);
  }

  readonly linear: LinearMemory = {
    alloc: (size, align) => this.core.allocPtr(size, align),
    bytes: () => this.core.u8,
  };

  stage(src: Uint8Array): Uint8Array {
    if (src.buffer === this.core.exports.memory.buffer) return src;
    const view = this.region(src.byteLength);
    view.set(src);
    return view;
  }

  private ptrOf(view: Uint8Array): number {
    invariant(view.buffer === this.core.exports.memory.buffer, 'view is in the core linear memory (use stage/region)');
    return view.byteOffset;
  }

  assign(view: Uint8Array, p: AssignParams): AssignResult {
    const s = this.core.appendAt(this.ptrOf(view), view.byteLength, {
      nextOffset: p.nextOffset,
      logAppendTime: p.logAppendTimeMs >= 0 ? p.logAppendTimeMs : undefined,
      leaderEpoch: p.leaderEpoch !== undefined && p.leaderEpoch >= 0 ? p.leaderEpoch : undefined,
      rejectControl: true,
      requireKey: p.requireKey === true,
      maxBatches: MAX_BATCHES_PER_APPEND,
    });
    if (s.error !== 0) {
      const code = kafkaErrorFor(s.error);
      return { ok: false, errorCode: code === -1 ? ErrorCode.CORRUPT_MESSAGE : code, message: `record batch ${s.errorBatch} at byte ${s.errorPosition}: ${new CoreError(s.error, 'append').message}` };
    }
    const batches: BatchInfo[] = new Array(s.batches.length);
    const u8 = view;
    for (let i = 0; i < s.batches.length; i++) {
      const b = s.batches[i]!;
      if (b.size > p.maxBatchBytes) return { ok: false, errorCode: ErrorCode.MESSAGE_TOO_LARGE, message: `record batch of ${b.size} bytes exceeds max.message.bytes ${p.maxBatchBytes}` };
      const lastOffset = Number(b.lastOffset);
      batches[i] = {
        position: b.position,
        size: b.size,
        baseOffset: Number(b.baseOffset),
        lastOffset,
        maxTimestamp: Number(b.maxTimestamp),
        offsetOfMaxTimestamp: lastOffset,
        recordCount: b.recordCount,
        leaderEpoch: readBe32(u8, b.position + LEADER_EPOCH_AT),
      };
    }
    return { ok: true, batches };
  }

  scan(bytes: Uint8Array, maxBatches: number): ScanResult {
    const base = this.ptrOf(bytes);
    const batches: BatchInfo[] = [];
    let pos = 0;
    const dv = () => this.core.dv;
    while (pos < bytes.byteLength && batches.length < maxBatches) {
      const r = this.core.exports.batchValidate(base + pos, bytes.byteLength - pos, 0, this.infoPtr);
      if (r < 0) return { validBytes: pos, batches, stop: r === TRUNCATED ? 'partial' : 'invalid' };
      const d = dv();
      const i = this.infoPtr;
      const baseOffset = Number(d.getBigInt64(i + BI.BASE_OFFSET, true));
      const lastOffset = baseOffset + d.getInt32(i + BI.LAST_OFFSET_DELTA, true);
      batches.push({
        position: pos,
        size: r,
        baseOffset,
        lastOffset,
        maxTimestamp: Number(d.getBigInt64(i + BI.MAX_TIMESTAMP, true)),
        offsetOfMaxTimestamp: lastOffset,
        recordCount: d.getInt32(i + BI.RECORD_COUNT, true),
        leaderEpoch: d.getInt32(i + BI.LEADER_EPOCH, true),
      });
      pos += r;
    }
    return { validBytes: pos, batches, stop: 'end' };
  }

  readHeader(bytes: Uint8Array, pos: number): BatchHeader | null {
    const avail = bytes.byteLength - pos;
    if (avail < 61) return null;
    let p: number;
    if (bytes.buffer === this.core.exports.memory.buffer) p = bytes.byteOffset + pos;
    else {
      this.core.u8.set(bytes.subarray(pos, pos + 61), this.headerPtr);
      p = this.headerPtr;
    }
    const r = this.core.exports.batchPeek(p, 61, this.infoPtr);
    if (r < 0) return { baseOffset: -1, size: 0, lastOffset: -1, maxTimestamp: -1, magic: -1, leaderEpoch: -1 };
    const d = this.core.dv;
    const i = this.infoPtr;
    const baseOffset = Number(d.getBigInt64(i + BI.BASE_OFFSET, true));
    return {
      baseOffset,
      size: r,
      lastOffset: baseOffset + d.getInt32(i + BI.LAST_OFFSET_DELTA, true),
      maxTimestamp: Number(d.getBigInt64(i + BI.MAX_TIMESTAMP, true)),
      magic: d.getInt32(i + BI.MAGIC, true),
      leaderEpoch: d.getInt32(i + BI.LEADER_EPOCH, true),
    };
  }

  offsetIndexLookup(index: Uint8Array, entries: number, target: number, owner?: object, generation = 0): number {
    return this.offsetIndex.lookup(index, entries * OFFSET_INDEX_ENTRY, owner ?? index, generation, BigInt(target));
  }

  timeIndexLookup(index: Uint8Array, entries: number, t: number, owner?: object, generation = 0): number {
    return this.timeIndex.lookup(index, entries * TIME_INDEX_ENTRY, owner ?? index, generation, BigInt(t));
  }

  findRecordByTimestamp(batch: Uint8Array, t: number): { offset: number; timestamp: number } | null {
    let records;
    try {
      const p = this.core.copyIn(batch);
      records = this.core.recordsAt(p, batch.byteLength);
    } catch {
      return null; // compressed or unreadable: the caller falls back to the batch's base offset
    }
    const target = BigInt(t);
    for (const r of records) if (r.timestamp >= target) return { offset: Number(r.offset), timestamp: Number(r.timestamp) };
    return null;
  }
}
