// In-place edits of a v2 batch header: base offset (outside the CRC), LogAppendTime and maxTimestamp
// (the core rewrites the fields and fixes the CRC without reading the records again).

import { CoreError, ErrorCode } from './errors.js';
import { big, type Int64 } from './int64.js';
import { BatchHeader } from './layout.js';
import type { CoreMemory } from './memory.js';

export class BatchHeaderEditor {
  constructor(private readonly mem: CoreMemory) {}

  setBaseOffset(batch: Uint8Array, offset: Int64): void {
    new DataView(batch.buffer, batch.byteOffset, batch.byteLength).setBigInt64(BatchHeader.BASE_OFFSET, big(offset));
  }
  setLogAppendTime(batch: Uint8Array, time: Int64): void {
    this.editHeader(batch, (p, n) => this.mem.exports.batchSetLogAppendTime(p, n, big(time)));
  }
  setMaxTimestamp(batch: Uint8Array, time: Int64): void {
    this.editHeader(batch, (p, n) => this.mem.exports.batchSetMaxTimestamp(p, n, big(time)));
  }

  /** Runs `f` on the batch's header in linear memory (a copy of the header when the batch is elsewhere). */
  private editHeader(batch: Uint8Array, f: (p: number, n: number) => number): void {
    const size = new DataView(batch.buffer, batch.byteOffset, batch.byteLength).getInt32(BatchHeader.BATCH_LENGTH) + 12;
    if (!(size >= BatchHeader.SIZE && size <= batch.length)) throw new CoreError(ErrorCode.BAD_LENGTH, 'record batch');
    const inMemory = batch.buffer === this.mem.exports.memory.buffer;
    const p = inMemory ? batch.byteOffset : this.mem.input.ensure(size);
    if (!inMemory) {
      // Only the header is needed: the CRC fix-up does not read the records.
      this.mem.u8.set(batch.subarray(0, BatchHeader.SIZE), p);
    }
    const r = f(p, size);
    if (r < 0) throw new CoreError(r, 'record batch');
    if (!inMemory) batch.set(this.mem.u8.subarray(p, p + BatchHeader.SIZE));
  }
}
