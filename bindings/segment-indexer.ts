// Per-segment index bookkeeping for appendAt: where the next batch lands, bytes since the last index
// entry and the max timestamp so far (Kafka's LogSegment.append rules, applied by the core).

import { CoreError } from './errors.js';
import type { OffsetIndex, TimeIndex } from './indexes.js';
import { SegmentState as SG } from './layout.js';
import type { CoreMemory } from './memory.js';

/** Per-segment index bookkeeping (position, bytes since the last entry, max timestamp so far). */
export class SegmentIndexer {
  readonly state: number;
  constructor(private readonly core: CoreMemory, readonly offsetIndex: OffsetIndex, readonly timeIndex: TimeIndex, indexIntervalBytes: number, position: number) {
    this.state = core.allocPtr(SG.BYTES, 8);
    const r = core.exports.segmentInit(this.state, offsetIndex.state, timeIndex.state, indexIntervalBytes, position);
    if (r < 0) throw new CoreError(r, 'segment indexer');
  }
  /** Segment size so far (where the next append lands). */
  get position(): number {
    return this.core.dv.getInt32(this.state + SG.POSITION, true);
  }
  get bytesSinceLastEntry(): number {
    return this.core.dv.getInt32(this.state + SG.BYTES_SINCE_ENTRY, true);
  }
  get maxTimestamp(): bigint {
    return this.core.dv.getBigInt64(this.state + SG.MAX_TIMESTAMP, true);
  }
  get offsetOfMaxTimestamp(): bigint {
    return this.core.dv.getBigInt64(this.state + SG.OFFSET_OF_MAX_TIMESTAMP, true);
  }
  /** Index batches that are already in the segment (recovery): bytes are trusted, not CRC-checked. */
  indexExisting(bytes: Uint8Array): number {
    const p = this.core.copyIn(bytes);
    const r = this.core.exports.segmentIndexBatches(p, bytes.length, this.state);
    if (r < 0) throw new CoreError(r, 'segment index');
    return r;
  }
}
