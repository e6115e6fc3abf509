// Per-partition idempotent-producer state (issue #7 part 2), consulted by the Produce handler; producer ids
// come from InitProducerId (server/producer-ids.ts).
//
// For every producer id seen in a partition: its epoch and the metadata of its last 5 batches (first/last
// sequence, first/last offset, max timestamp), as Kafka's ProducerStateEntry keeps. A batch is checked
// before it is appended:
//   - same epoch and the same (firstSeq, lastSeq) as a retained batch → duplicate: answer success with the
//     original offsets, append nothing;
//   - epoch lower than the known one → INVALID_PRODUCER_EPOCH;
//   - a new (higher) epoch must start at sequence 0 unless the producer is unknown here;
//   - same epoch: firstSeq must be lastSeq + 1 (wrapping at 2^31-1) → else OUT_OF_ORDER_SEQUENCE_NUMBER;
//   - a producer this partition has no state for accepts any sequence (its records may have been deleted by
//     retention or DeleteRecords — what Kafka does since KIP-360).
// After a successful append, record() stores the batch. Recovery rebuilds the state by feeding every
// batch with producerId >= 0, from the log start, to record() (readProducerBatchHeader() parses one).

export const BATCHES_TO_RETAIN = 5;
const INT32_MAX = 0x7fffffff;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

export interface ProducerEntry {
  producerId: bigint;
  epoch: number;
  /** Oldest first, at most BATCHES_TO_RETAIN. */
  batches: BatchMetadata[];
}

/** The producer fields of one v2 batch. */
export interface ProducerBatch {
  producerId: bigint;
  epoch: number;
  firstSeq: number;
  /** firstSeq + lastOffsetDelta, wrapped. */
  lastSeq: number;
  recordCount: number;
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; batch: BatchMetadata }
  | { kind: 'error'; error: 'INVALID_PRODUCER_EPOCH' | 'OUT_OF_ORDER_SEQUENCE_NUMBER'; message: string };

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

export function wrapSeq(firstSeq: number, delta: number): number {
  const s = firstSeq + delta;
  return s > INT32_MAX ? s - INT32_MAX - 1 : s;
}

export class ProducerStateManager {
  private readonly producers = new Map<bigint, ProducerEntry>();

  get size(): number {
    return this.producers.size;
  }

  entry(producerId: bigint): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  /** Checks a batch about to be appended (producerId >= 0). Changes nothing. */
  check(b: ProducerBatch): SequenceCheck {
    const e = this.producers.get(b.producerId);
    if (e === undefined) return { kind: 'append' };
    if (b.epoch < e.epoch)
      return { kind: 'error', error: 'INVALID_PRODUCER_EPOCH', message: `epoch ${b.epoch} is older than the current epoch ${e.epoch} of producer ${b.producerId}` };
    if (b.epoch === e.epoch) {
      const dup = e.batches.find((m) => m.firstSeq === b.firstSeq && m.lastSeq === b.lastSeq);
      if (dup !== undefined) return { kind: 'duplicate', batch: dup };
      const last = e.batches.length > 0 ? e.batches[e.batches.length - 1]!.lastSeq : -1;
      if (e.batches.length > 0 && !inSequence(last, b.firstSeq))
        return { kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: `sequence ${b.firstSeq} of producer ${b.producerId} (epoch ${b.epoch}) does not follow ${last}` };
      return { kind: 'append' };
    }
    // A new epoch starts over at 0.
    if (b.firstSeq !== 0)
      return { kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: `sequence ${b.firstSeq} for the new epoch ${b.epoch} of producer ${b.producerId} (expected 0)` };
    return { kind: 'append' };
  }

  /** Records an appended batch (and, on recovery, every batch with producerId >= 0 in log order). */
  record(b: ProducerBatch, firstOffset: number, lastOffset: number, maxTimestamp: number): void {
    let e = this.producers.get(b.producerId);
    if (e === undefined || b.epoch > e.epoch) {
      e = { producerId: b.producerId, epoch: b.epoch, batches: [] };
      this.producers.set(b.producerId, e);
    } else if (b.epoch < e.epoch) return;
    e.batches.push({ firstSeq: b.firstSeq, lastSeq: b.lastSeq, firstOffset, lastOffset, maxTimestamp });
    if (e.batches.length > BATCHES_TO_RETAIN) e.batches.shift();
  }

  clear(): void {
    this.producers.clear();
  }
}

/** v2 batch header layout (offsets from the batch start). */
const MAGIC = 16;
const LAST_OFFSET_DELTA = 23;
const MAX_TIMESTAMP = 35;
const PRODUCER_ID = 43;
const PRODUCER_EPOCH = 51;
const BASE_SEQUENCE = 53;
const RECORD_COUNT = 57;
export const V2_BATCH_HEADER_BYTES = 61;

/** The producer fields and offsets of the v2 batch at `pos`, or null when it has no producer id (or is not v2). */
export function readProducerBatchHeader(
  buf: Uint8Array,
  pos = 0,
): { batch: ProducerBatch; baseOffset: number; lastOffset: number; maxTimestamp: number; size: number } | null {
  if (buf.length - pos < V2_BATCH_HEADER_BYTES) return null;
  const v = new DataView(buf.buffer, buf.byteOffset + pos);
  if (v.getInt8(MAGIC) !== 2) return null;
  const producerId = v.getBigInt64(PRODUCER_ID);
  if (producerId < 0n) return null;
  const delta = v.getInt32(LAST_OFFSET_DELTA);
  const firstSeq = v.getInt32(BASE_SEQUENCE);
  const baseOffset = Number(v.getBigInt64(0));
  return {
    batch: { producerId, epoch: v.getInt16(PRODUCER_EPOCH), firstSeq, lastSeq: wrapSeq(firstSeq, delta), recordCount: v.getInt32(RECORD_COUNT) },
    baseOffset,
    lastOffset: baseOffset + delta,
    maxTimestamp: Number(v.getBigInt64(MAX_TIMESTAMP)),
    size: 12 + v.getInt32(8),
  };
}

/** What producerStateOf() needs from a partition log. */
export interface ProducerStateLog {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readBytes(offset: number, maxBytes: number, isolation: 'log_end'): Buffer | null;
}

const SCAN_BYTES = 1 << 20;

/** Rebuilds a partition's producer state from its batches with producerId >= 0, from the log start. */
export function rebuildProducerState(log: ProducerStateLog): ProducerStateManager {
  const s = new ProducerStateManager();
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const bytes = log.readBytes(offset, SCAN_BYTES, 'log_end');
    if (bytes === null) break;
    let pos = 0;
    let next = offset;
    while (bytes.length - pos >= 17) {
      const size = 12 + bytes.readInt32BE(pos + 8);
      if (size < 12 || pos + size > bytes.length) break;
      const base = Number(bytes.readBigInt64BE(pos));
      if (bytes[pos + MAGIC] === 2 && size >= V2_BATCH_HEADER_BYTES) {
        const h = readProducerBatchHeader(bytes, pos);
        if (h !== null) s.record(h.batch, h.baseOffset, h.lastOffset, h.maxTimestamp);
        next = Math.max(next, base + bytes.readInt32BE(pos + LAST_OFFSET_DELTA) + 1);
      } else {
        next = Math.max(next, base + 1); // a legacy entry's offset is its last offset
      }
      pos += size;
    }
    if (next <= offset) break; // nothing readable: stop rather than loop
    offset = next;
  }
  return s;
}

const states = new WeakMap<object, ProducerStateManager>();

/** The producer state of a partition log, rebuilt from the log the first time it is asked for after open. */
export function producerStateOf(log: ProducerStateLog): ProducerStateManager {
  let s = states.get(log);
  if (s === undefined) states.set(log, (s = rebuildProducerState(log)));
  return s;
}
