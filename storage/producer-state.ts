// Per-partition idempotent-producer state, owned by the partition's Log and consulted by the
// Produce handler; producer ids come from InitProducerId (host-node/server/producer-ids.ts). Snapshots of this state
// (`<offset>.snapshot` files) are producer-snapshot.ts.
//
// For every producer id seen in a partition: its epoch, the time of its last write, and the metadata of its
// last 5 batches (first/last sequence, first/last offset, max timestamp), as Kafka's ProducerStateEntry keeps.
// A batch is checked before it is appended (Kafka's ProducerAppendInfo / UnifiedLog.analyzeAndValidateProducerState):
//   - same epoch and the same (firstSeq, lastSeq) as a retained batch → duplicate: answer success with the
//     original offsets, append nothing;
//   - epoch lower than the known one → INVALID_PRODUCER_EPOCH;
//   - a new (higher) epoch must start at sequence 0;
//   - same epoch: firstSeq must be lastSeq + 1 (wrapping at 2^31-1), else OUT_OF_ORDER_SEQUENCE_NUMBER — except
//     a batch whose sequences all lie behind the 5 retained batches, which was certainly written before:
//     DUPLICATE_SEQUENCE_NUMBER (Kafka 3.x answers OUT_OF_ORDER_SEQUENCE_NUMBER there; the Java client and
//     librdkafka both treat DUPLICATE_SEQUENCE_NUMBER as "delivered, offset unknown", which is what it is);
//   - a producer this partition has no state for accepts any sequence: its records may have been removed by
//     retention or DeleteRecords, or it expired (Kafka since KIP-360, 2.5; so UNKNOWN_PRODUCER_ID is never
//     answered to Produce, as Kafka no longer does).
// Every appended batch with producerId >= 0 is recorded by Log.appendStaged, so the state always matches the log.
// Producers with no write for producer.id.expiration.ms are dropped by removeExpired().

export const BATCHES_TO_RETAIN = 5;
const INT32_MAX = 0x7fffffff;
const SEQ_SPACE = 0x80000000;

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
  /** Broker wall clock (ms) of the producer's last write; producer.id.expiration.ms counts from here. */
  lastWriteMs: number;
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

export type SequenceError = 'INVALID_PRODUCER_EPOCH' | 'OUT_OF_ORDER_SEQUENCE_NUMBER' | 'DUPLICATE_SEQUENCE_NUMBER';

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; batch: BatchMetadata }
  | { kind: 'error'; error: SequenceError; message: string };

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

/** True when sequence `a` comes before `b` (sequences wrap at 2^31; "before" = less than half the space behind). */
function seqBefore(a: number, b: number): boolean {
  const d = (b - a + SEQ_SPACE) % SEQ_SPACE;
  return d > 0 && d < SEQ_SPACE / 2;
}

export function wrapSeq(firstSeq: number, delta: number): number {
  const s = firstSeq + delta;
  return s > INT32_MAX ? s - INT32_MAX - 1 : s;
}

export class ProducerStateManager {
  private readonly producers = new Map<bigint, ProducerEntry>();

  /** `now` is the broker's wall clock (injectable for expiry tests). */
  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.producers.size;
  }

  entry(producerId: bigint): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  /** Every producer entry (snapshots, tests). */
  entries(): IterableIterator<ProducerEntry> {
    return this.producers.values();
  }

  /** Checks a batch about to be appended (producerId >= 0). Changes nothing. */
  check(b: ProducerBatch): SequenceCheck {
    const e = this.producers.get(b.producerId);
    if (e === undefined) return { kind: 'append' };
    if (b.epoch < e.epoch)
      return { kind: 'error', error: 'INVALID_PRODUCER_EPOCH', message: `epoch ${b.epoch} of producer ${b.producerId} is older than its current epoch ${e.epoch}` };
    if (b.epoch > e.epoch) {
      // A new epoch starts over at 0.
      if (b.firstSeq !== 0)
        return { kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: `sequence ${b.firstSeq} for the new epoch ${b.epoch} of producer ${b.producerId} (expected 0)` };
      return { kind: 'append' };
    }
    const dup = e.batches.find((m) => m.firstSeq === b.firstSeq && m.lastSeq === b.lastSeq);
    if (dup !== undefined) return { kind: 'duplicate', batch: dup };
    if (e.batches.length === 0) return { kind: 'append' };
    const oldest = e.batches[0]!;
    const last = e.batches[e.batches.length - 1]!.lastSeq;
    if (inSequence(last, b.firstSeq)) return { kind: 'append' };
    if (seqBefore(b.firstSeq, oldest.firstSeq) && !seqBefore(last, b.lastSeq))
      return {
        kind: 'error',
        error: 'DUPLICATE_SEQUENCE_NUMBER',
        message: `sequences ${b.firstSeq}-${b.lastSeq} of producer ${b.producerId} were written before the ${e.batches.length} batches still remembered (from sequence ${oldest.firstSeq})`,
      };
    return { kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: `sequence ${b.firstSeq} of producer ${b.producerId} (epoch ${b.epoch}) does not follow ${last}` };
  }

  /** Records an appended batch (and, on recovery, every batch with producerId >= 0 in log order). */
  record(b: ProducerBatch, firstOffset: number, lastOffset: number, maxTimestamp: number, writeMs = this.now()): void {
    let e = this.producers.get(b.producerId);
    if (e === undefined || b.epoch > e.epoch) {
      e = { producerId: b.producerId, epoch: b.epoch, lastWriteMs: writeMs, batches: [] };
      this.producers.set(b.producerId, e);
    } else if (b.epoch < e.epoch) return;
    e.batches.push({ firstSeq: b.firstSeq, lastSeq: b.lastSeq, firstOffset, lastOffset, maxTimestamp });
    if (e.batches.length > BATCHES_TO_RETAIN) e.batches.shift();
    e.lastWriteMs = writeMs;
  }

  /** Puts an entry loaded from a snapshot. */
  load(e: ProducerEntry): void {
    this.producers.set(e.producerId, { ...e, batches: e.batches.slice(-BATCHES_TO_RETAIN) });
  }

  /**
   * Drops producers with no write for `expirationMs` (producer.id.expiration.ms; Kafka's isProducerExpired:
   * now - last write >= expiration). Their next batch is then accepted with any sequence. Returns how many went.
   */
  removeExpired(expirationMs: number, nowMs = this.now()): number {
    let n = 0;
    for (const [id, e] of this.producers)
      if (nowMs - e.lastWriteMs >= expirationMs) {
        this.producers.delete(id);
        n++;
      }
    return n;
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
const V2_BATCH_HEADER_BYTES = 61;

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

/** What replayProducerState() needs from a partition log. */
export interface ProducerStateLog {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readBytes(offset: number, maxBytes: number, isolation: 'log_end'): Uint8Array | null;
}

export interface ReplayStats {
  /** Where the replay started (the snapshot's offset, or the log start offset without one). */
  fromOffset: number;
  /** Batches read from the log (with or without a producer id). */
  batches: number;
  /** Bytes read from the log. */
  bytes: number;
}

const SCAN_BYTES = 1 << 20;

/**
 * Feeds every batch with producerId >= 0 from `fromOffset` to the log end into `state` (recovery after a
 * snapshot, or from the log start without one). Batches replayed count as written at `writeMs` — the log holds
 * no broker clock, and counting from the replay never expires a producer early.
 */
export function replayProducerState(state: ProducerStateManager, log: ProducerStateLog, fromOffset: number, writeMs: number): ReplayStats {
  const stats: ReplayStats = { fromOffset, batches: 0, bytes: 0 };
  let offset = Math.max(fromOffset, log.logStartOffset);
  while (offset < log.logEndOffset) {
    const bytes = log.readBytes(offset, SCAN_BYTES, 'log_end');
    if (bytes === null) break;
    stats.bytes += bytes.length;
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0;
    let next = offset;
    while (bytes.length - pos >= 17) {
      const size = 12 + v.getInt32(pos + 8);
      if (size < 12 || pos + size > bytes.length) break;
      const base = Number(v.getBigInt64(pos));
      if (bytes[pos + MAGIC] === 2 && size >= V2_BATCH_HEADER_BYTES) {
        const last = base + v.getInt32(pos + LAST_OFFSET_DELTA);
        // The first batch may start before `offset` (the read returns the batch holding it): already counted.
        if (last >= offset) {
          stats.batches++;
          const h = readProducerBatchHeader(bytes, pos);
          if (h !== null) state.record(h.batch, h.baseOffset, h.lastOffset, h.maxTimestamp, writeMs);
        }
        next = Math.max(next, last + 1);
      } else {
        next = Math.max(next, base + 1); // a legacy entry's offset is its last offset
      }
      pos += size;
    }
    if (next <= offset) break; // nothing readable: stop rather than loop
    offset = next;
  }
  return stats;
}

/** The whole state rebuilt from the log start (tests; recovery uses a snapshot first, producer-snapshot.ts). */
export function rebuildProducerState(log: ProducerStateLog, now: () => number = Date.now): ProducerStateManager {
  const s = new ProducerStateManager(now);
  replayProducerState(s, log, log.logStartOffset, now());
  return s;
}
