// Segment scans after an index lookup: walk batch headers (no CRC) from an index position to the batch
// holding an offset or the first batch reaching a timestamp.

import { CoreError } from './errors.js';
import { big, type Int64 } from './int64.js';
import type { CoreMemory } from './memory.js';

export class SegmentScanner {
  constructor(private readonly mem: CoreMemory) {}

  scanForOffset(bytes: Uint8Array, target: Int64): number {
    const p = this.mem.copyIn(bytes);
    const r = this.mem.exports.scanForOffset(p, bytes.length, big(target));
    if (r < 0) throw new CoreError(r, 'segment scan', this.mem.lastErrorPosition() - p);
    return r;
  }
  scanForTimestamp(bytes: Uint8Array, target: Int64): number {
    const p = this.mem.copyIn(bytes);
    const r = this.mem.exports.scanForTimestamp(p, bytes.length, big(target));
    if (r < 0) throw new CoreError(r, 'segment scan', this.mem.lastErrorPosition() - p);
    return r;
  }
}
