// Per-partition batching for the producer (Kafka's RecordAccumulator): records for a partition collect in
// an open batch until it reaches batch.size bytes or has waited linger.ms, then the batch is closed and
// handed to the sender. No I/O here, so the batching rules are testable on their own.

export interface PendingRecord {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Array<{ key: string; value: Uint8Array | null }>;
  timestamp: number;
}

export interface Delivery {
  /**
   * The record's batch was acknowledged: its offset is `baseOffset + index` (-1n with acks=0). Kept apart
   * so no BigInt is made per record unless someone asks for the offset.
   */
  resolve(baseOffset: bigint, index: number, logAppendTime: bigint): void;
  reject(err: Error): void;
}

export interface ProducerBatch {
  topic: string;
  partition: number;
  records: PendingRecord[];
  deliveries: Delivery[];
  /** Estimated encoded size (bytes), batch header included. */
  sizeBytes: number;
  createdAt: number;
  /** Send attempts so far. */
  attempts: number;
  /** Encoded v2 batch once built (kept for retries). */
  encoded?: Uint8Array;
}

/** The batch header of a v2 record batch. */
export const BATCH_OVERHEAD = 61;

/** Upper bound of one record's encoded size (DefaultRecord: length, attributes, deltas, key/value/header varints). */
export function estimateRecordSize(r: PendingRecord): number {
  let n = 21 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const h of r.headers) n += 10 + Buffer.byteLength(h.key) + (h.value?.length ?? 0);
  return n;
}

export interface AccumulatorOptions {
  /** Close a batch once its estimated size reaches this (default 16384, Kafka's batch.size). */
  batchSize?: number;
  /** Close a batch this long after its first record (default 5 ms, Kafka's linger.ms). 0 = at the end of the current tick. */
  lingerMs?: number;
  /** Receives closed batches. */
  onReady(batches: ProducerBatch[]): void;
  now?: () => number;
}

export class RecordAccumulator {
  readonly batchSize: number;
  readonly lingerMs: number;
  private readonly open = new Map<string, ProducerBatch>();
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private timerAt = Infinity;
  private readonly now: () => number;

  constructor(private readonly options: AccumulatorOptions) {
    this.batchSize = Math.max(1, options.batchSize ?? 16384);
    this.lingerMs = Math.max(0, options.lingerMs ?? 5);
    this.now = options.now ?? Date.now;
  }

  /** Records waiting in open batches. */
  get openRecordCount(): number {
    let n = 0;
    for (const b of this.open.values()) n += b.records.length;
    return n;
  }

  /**
   * Adds a record to its partition's open batch. Returns true when that started a new batch (the
   * sticky partitioner's cue) — the previous one, if any, was closed because the record did not fit.
   */
  append(topic: string, partition: number, record: PendingRecord, delivery: Delivery): boolean {
    const key = `${partition}:${topic}`;
    const size = estimateRecordSize(record);
    let b = this.open.get(key);
    let created = false;
    if (b && b.sizeBytes + size > this.batchSize && b.records.length > 0) {
      this.open.delete(key);
      this.options.onReady([b]);
      b = undefined;
    }
    if (!b) {
      b = { topic, partition, records: [], deliveries: [], sizeBytes: BATCH_OVERHEAD, createdAt: this.now(), attempts: 0 };
      this.open.set(key, b);
      created = true;
      this.schedule(b.createdAt + this.lingerMs);
    }
    b.records.push(record);
    b.deliveries.push(delivery);
    b.sizeBytes += size;
    if (b.sizeBytes >= this.batchSize) {
      this.open.delete(key);
      this.options.onReady([b]);
    }
    return created;
  }

  /** Closes every open batch now (flush). */
  closeAll(): void {
    const all = [...this.open.values()];
    this.open.clear();
    this.clearTimer();
    if (all.length > 0) this.options.onReady(all);
  }

  /** Closes the batches whose linger time has passed. */
  expire(): void {
    const now = this.now();
    const ready: ProducerBatch[] = [];
    let next = Infinity;
    for (const [k, b] of this.open) {
      if (b.createdAt + this.lingerMs <= now) {
        ready.push(b);
        this.open.delete(k);
      } else next = Math.min(next, b.createdAt + this.lingerMs);
    }
    this.clearTimer();
    if (next !== Infinity) this.schedule(next);
    if (ready.length > 0) this.options.onReady(ready);
  }

  private schedule(at: number): void {
    if (this.timer !== null && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    const delay = at - this.now();
    if (this.lingerMs === 0 || delay <= 0) this.timer = setImmediate(() => this.fire());
    else this.timer = setTimeout(() => this.fire(), delay);
  }

  private fire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    this.expire();
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
    }
    this.timer = null;
    this.timerAt = Infinity;
  }

  /** Drops open batches, rejecting their deliveries (close without flush). */
  abort(err: Error): void {
    this.clearTimer();
    for (const b of this.open.values()) for (const d of b.deliveries) d.reject(err);
    this.open.clear();
  }
}
