// Validating and decoding v2 record batches through the core: one batch's header, the records of a
// batch or of a bare records section, and every batch of a Fetch/Produce `records` field.

import { type BatchInfo, logAppendTimeOf, readBatchInfo } from './batch-info.js';
import { CoreError, ErrorCode } from './errors.js';
import { BatchHeader, BatchInfo as BI, VF_SKIP_CRC, VF_STRICT } from './layout.js';
import type { CoreMemory } from './memory.js';
import { RecordReader, type RecordView } from './records.js';

export interface Batch extends BatchInfo {
  /** Position of the batch in the input. */
  position: number;
  /** The batch's records (empty for compressed batches: decompress `recordsBytes` first). */
  records: RecordView[];
  /** Raw bytes of the records section (view). */
  recordsBytes: Uint8Array;
}

export interface ValidateOptions {
  strict?: boolean;
  skipCrc?: boolean;
}

export class BatchReader {
  /** The BatchInfo block batchValidate fills. */
  readonly info: number;
  private readonly records: RecordReader;

  constructor(private readonly mem: CoreMemory) {
    this.info = mem.allocPtr(BI.BYTES, 64);
    this.records = new RecordReader(mem);
  }

  validateBatchAt(ptr: number, avail: number, opts: ValidateOptions = {}): number {
    const flags = (opts.strict ? VF_STRICT : 0) | (opts.skipCrc ? VF_SKIP_CRC : 0);
    return this.mem.exports.batchValidate(ptr, avail, flags, this.info);
  }

  validateBatch(bytes: Uint8Array, opts: ValidateOptions = {}): BatchInfo {
    const p = this.mem.copyIn(bytes);
    const r = this.validateBatchAt(p, bytes.length, opts);
    if (r < 0) throw new CoreError(r, 'record batch', this.mem.lastErrorPosition() - p);
    return readBatchInfo(this.mem.dv, this.info);
  }

  checkBatch(bytes: Uint8Array, opts: ValidateOptions = {}): number {
    const p = this.mem.copyIn(bytes);
    const r = this.validateBatchAt(p, bytes.length, opts);
    return r < 0 ? r : 0;
  }

  recordsAt(ptr: number, size: number): RecordView[] {
    const r = this.mem.exports.batchValidate(ptr, size, 0, this.info);
    if (r < 0) throw new CoreError(r, 'record batch', this.mem.lastErrorPosition() - ptr);
    const info = readBatchInfo(this.mem.dv, this.info);
    if (info.compression !== 0) throw new CoreError(ErrorCode.COMPRESSED, 'record batch is compressed');
    const b = this.mem.exports.batchRecordsBegin(ptr, r, this.records.cursor);
    if (b < 0) throw new CoreError(b, 'record batch');
    return this.records.read(info.baseOffset, info.baseTimestamp, logAppendTimeOf(info));
  }

  decodeRecords(records: Uint8Array, count: number, batch: Pick<BatchInfo, 'baseOffset' | 'baseTimestamp' | 'maxTimestamp' | 'timestampType'>): RecordView[] {
    const p = this.mem.copyIn(records);
    const b = this.mem.exports.recordsBegin(p, records.length, count, this.records.cursor);
    if (b < 0) throw new CoreError(b, 'records');
    return this.records.read(batch.baseOffset, batch.baseTimestamp, logAppendTimeOf(batch));
  }

  decodeBatches(bytes: Uint8Array, opts: { allowPartial?: boolean; skipCrc?: boolean } = {}): Batch[] {
    const p = this.mem.copyIn(bytes);
    const out: Batch[] = [];
    let pos = 0;
    while (pos < bytes.length) {
      const r = this.mem.exports.batchValidate(p + pos, bytes.length - pos, opts.skipCrc ? VF_SKIP_CRC : 0, this.info);
      if (r < 0) {
        if (opts.allowPartial && r === ErrorCode.TRUNCATED) break;
        throw new CoreError(r, 'record batch', this.mem.lastErrorPosition() - p);
      }
      out.push(this.decodeValidated(p + pos, r, pos));
      pos += r;
    }
    return out;
  }

  /** The batch batchValidate has just accepted at ptr (size bytes, at `position` in the input). */
  private decodeValidated(ptr: number, size: number, position: number): Batch {
    const info = readBatchInfo(this.mem.dv, this.info);
    const recordsBytes = this.mem.u8.subarray(ptr + BatchHeader.SIZE, ptr + size);
    let records: RecordView[] = [];
    if (info.compression === 0) {
      this.mem.exports.batchRecordsBegin(ptr, size, this.records.cursor);
      records = this.records.read(info.baseOffset, info.baseTimestamp, logAppendTimeOf(info));
    }
    return { ...info, position, records, recordsBytes };
  }
}
