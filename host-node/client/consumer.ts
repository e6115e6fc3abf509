// The consumer (no groups yet): partitions are assigned explicitly, positions set by seek (earliest,
// latest, an offset, or a timestamp via ListOffsets), and a fetch loop asks each leader for its
// partitions (max.wait / min.bytes / max.bytes). Record batches are decoded by the WASM core; records are
// views into the core's memory, valid until the iteration moves on (copy key/value to keep them).
//
// Group membership will plug in through `PositionStore` (where a partition starts, where progress is
// committed) and `assign()` being driven by a coordinator instead of the caller.
import { crc32c, decodeBatches, decodeRecords, type RecordView } from '../../bindings/node.js';
import { ApiKey, type ResponseTypes } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { listOffsets, OffsetSpec } from './admin.js';
import { Cluster, type ClusterOptions } from './cluster.js';
import { codecById } from './compression.js';
import { KafkaClientError, KafkaProtocolError, needsMetadataRefresh, sleep } from '../../client/errors.js';

export type OffsetResetPolicy = 'earliest' | 'latest' | 'none';
export type StartPosition = bigint | number | 'earliest' | 'latest' | { timestamp: number | bigint };

export interface ConsumerOptions {
  /** Broker waits at most this long for minBytes (default 500 ms, Kafka's fetch.max.wait.ms). */
  maxWaitMs?: number;
  /** Default 1 (fetch.min.bytes). */
  minBytes?: number;
  /** Per response (default 50 MiB, fetch.max.bytes). */
  maxBytes?: number;
  /** Per partition (default 1 MiB, max.partition.fetch.bytes). */
  maxPartitionBytes?: number;
  /** 0 = read_uncommitted (default), 1 = read_committed. */
  isolationLevel?: 0 | 1;
  /** Where to go when a position is out of range or absent (default 'latest', auto.offset.reset). */
  autoOffsetReset?: OffsetResetPolicy;
  /** Seam for consumer groups: initial positions and commits. */
  positionStore?: PositionStore;
  /** Verify batch CRCs (default true, check.crcs). */
  checkCrcs?: boolean;
}

/** Where partitions start and where progress goes: the seam a consumer group plugs into. */
export interface PositionStore {
  /** A committed position, or undefined to use autoOffsetReset. */
  initialPosition(topic: string, partition: number): Promise<bigint | undefined>;
  /** Called with the next offsets to read after records were handed to the application. */
  commit?(positions: Array<{ topic: string; partition: number; offset: bigint }>): Promise<void>;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** One record as handed to the application: key/value/header values are views (see file comment). */
export interface ConsumerRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  timestampType: 'CreateTime' | 'LogAppendTime';
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Array<{ key: string; value: Uint8Array | null }>;
}

/** The records of one partition from one fetch, plus where the partition stands. */
export interface PartitionRecords {
  topic: string;
  partition: number;
  records: ConsumerRecord[];
  highWatermark: bigint;
  /** Next offset this consumer will fetch. */
  nextOffset: bigint;
}

/** One whole record batch as fetched, not decoded into records (see fetchBatchesOnce). */
export interface BatchSummary {
  baseOffset: bigint;
  lastOffset: bigint;
  /** Records in the batch (control batches included; check isControl). */
  recordCount: number;
  /** Milliseconds: the batch's first-record and max timestamps (numbers, no BigInt per record). */
  baseTimestamp: number;
  maxTimestamp: number;
  /** 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
  compression: number;
  isControl: boolean;
  /** The whole batch (header included), a view into the response: valid until the generator resumes. */
  bytes: Uint8Array;
}

/** One partition's batches from one fetch (fetchBatchesOnce). */
export interface PartitionBatches {
  topic: string;
  partition: number;
  batches: BatchSummary[];
  /** Data records at or after the fetch position (control batches and earlier offsets not counted). */
  recordCount: number;
  highWatermark: bigint;
  nextOffset: bigint;
}

interface Assigned {
  topic: string;
  partition: number;
  /** null = to be resolved (seek pending). */
  position: bigint | null;
  pendingSeek: StartPosition | null;
  maxBytes: number;
  highWatermark: bigint;
  /** Not fetched again before this time (after errors). */
  backoffUntil: number;
}

type FetchResponse = ResponseTypes[typeof ApiKey.Fetch];
type FetchPartition = FetchResponse['responses'][number]['partitions'][number];

export class Consumer {
  readonly cluster: Cluster;
  private readonly owned: boolean;
  private readonly o: Required<Omit<ConsumerOptions, 'positionStore'>> & { positionStore?: PositionStore };
  private readonly assigned = new Map<string, Assigned>();
  private closed = false;

  constructor(cluster: Cluster | ClusterOptions, options: ConsumerOptions = {}) {
    this.owned = !(cluster instanceof Cluster);
    this.cluster = cluster instanceof Cluster ? cluster : new Cluster(cluster);
    this.o = {
      maxWaitMs: options.maxWaitMs ?? 500,
      minBytes: options.minBytes ?? 1,
      maxBytes: options.maxBytes ?? 50 * 1024 * 1024,
      maxPartitionBytes: options.maxPartitionBytes ?? 1024 * 1024,
      isolationLevel: options.isolationLevel ?? 0,
      autoOffsetReset: options.autoOffsetReset ?? 'latest',
      checkCrcs: options.checkCrcs ?? true,
      positionStore: options.positionStore,
    };
  }

  async connect(): Promise<void> {
    await this.cluster.connect();
  }

  /** Replaces the assignment. Each partition starts at `start` (default: store, else autoOffsetReset). */
  assign(partitions: Array<TopicPartition & { start?: StartPosition }>): void {
    this.assigned.clear();
    for (const p of partitions) {
      this.assigned.set(key(p.topic, p.partition), {
        topic: p.topic,
        partition: p.partition,
        position: null,
        pendingSeek: p.start ?? null,
        maxBytes: this.o.maxPartitionBytes,
        highWatermark: -1n,
        backoffUntil: 0,
      });
    }
    this.cluster.addTopics(partitions.map((p) => p.topic));
  }

  /** Assigns every partition of the topics (from metadata). */
  async assignTopics(topics: string[], start?: StartPosition): Promise<TopicPartition[]> {
    const list: Array<TopicPartition & { start?: StartPosition }> = [];
    for (const t of topics) {
      const info = await this.cluster.topic(t);
      for (const p of info.partitions) list.push({ topic: t, partition: p.partition, start });
    }
    this.assign(list);
    return list.map(({ topic, partition }) => ({ topic, partition }));
  }

  assignment(): TopicPartition[] {
    return [...this.assigned.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /** Moves a partition's position (resolved lazily, before the next fetch). */
  seek(topic: string, partition: number, to: StartPosition): void {
    const a = this.assigned.get(key(topic, partition));
    if (!a) throw new KafkaClientError(`${topic}-${partition} is not assigned to this consumer`);
    a.pendingSeek = to;
    a.position = null;
  }

  /** Current position (next offset to fetch), resolving pending seeks. */
  async position(topic: string, partition: number): Promise<bigint> {
    await this.resolvePositions();
    const a = this.assigned.get(key(topic, partition));
    if (!a || a.position === null) throw new KafkaClientError(`${topic}-${partition} is not assigned to this consumer`);
    return a.position;
  }

  /** Turns pending seeks and unset positions into offsets (ListOffsets / position store). */
  private async resolvePositions(): Promise<void> {
    const byTopic = new Map<string, Array<{ a: Assigned; timestamp: bigint }>>();
    for (const a of this.assigned.values()) {
      if (a.position !== null) continue;
      let to = a.pendingSeek;
      if (to === null && this.o.positionStore) {
        const stored = await this.o.positionStore.initialPosition(a.topic, a.partition);
        if (stored !== undefined) to = stored;
      }
      if (to === null) {
        if (this.o.autoOffsetReset === 'none') throw new KafkaClientError(`no position for ${a.topic}-${a.partition} and auto.offset.reset is none`);
        to = this.o.autoOffsetReset;
      }
      if (typeof to === 'bigint' || typeof to === 'number') {
        a.position = BigInt(to);
        a.pendingSeek = null;
        continue;
      }
      const timestamp = to === 'earliest' ? OffsetSpec.EARLIEST : to === 'latest' ? OffsetSpec.LATEST : BigInt(to.timestamp);
      byTopic.set(a.topic, [...(byTopic.get(a.topic) ?? []), { a, timestamp }]);
    }
    for (const [topic, list] of byTopic) {
      const res = await listOffsets(this.cluster, topic, list.map((x) => ({ partition: x.a.partition, timestamp: x.timestamp })), this.o.isolationLevel);
      for (const x of list) {
        const r = res.find((o) => o.partition === x.a.partition);
        if (!r) continue;
        let offset = r.offset;
        // A timestamp after the last record: no offset, so continue from the end.
        if (offset < 0n) offset = (await listOffsets(this.cluster, topic, [{ partition: x.a.partition, timestamp: OffsetSpec.LATEST }]))[0]!.offset;
        x.a.position = offset;
        x.a.pendingSeek = null;
      }
    }
  }

  /**
   * One fetch round: asks every leader for its assigned partitions and yields each partition's records
   * (and then empty partitions are skipped). Records of a yielded PartitionRecords are valid until the
   * generator resumes.
   */
  fetchOnce(): AsyncGenerator<PartitionRecords> {
    return this.fetchRound((a, p) => this.handlePartition(a, p));
  }

  /**
   * Like fetchOnce(), one partition at a time, but batch by batch: whole batches are checked (CRC when
   * checkCrcs) and summarised from their headers without decoding records — for tools that count and
   * forward (rivulet perf consume). Batch views are valid until the generator resumes.
   */
  fetchBatchesOnce(): AsyncGenerator<PartitionBatches> {
    return this.fetchRound((a, p) => Promise.resolve(this.handlePartitionBatches(a, p)));
  }

  private async *fetchRound<T>(handle: (a: Assigned, p: FetchPartition) => Promise<T | 'refresh' | null>): AsyncGenerator<T> {
    await this.resolvePositions();
    const now = Date.now();
    const byLeader = new Map<number, Assigned[]>();
    let waiting = 0;
    for (const a of this.assigned.values()) {
      if (a.position === null) continue;
      if (a.backoffUntil > now) {
        waiting = Math.max(waiting, a.backoffUntil - now);
        continue;
      }
      let leader: number;
      try {
        leader = await this.cluster.leaderFor(a.topic, a.partition);
      } catch (e) {
        if (e instanceof KafkaClientError && e.retriable) {
          a.backoffUntil = Date.now() + this.cluster.retryBackoffMs;
          continue;
        }
        throw e;
      }
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), a]);
    }
    if (byLeader.size === 0) {
      await sleep(Math.max(waiting, this.cluster.retryBackoffMs));
      return;
    }
    const responses = await Promise.all(
      [...byLeader].map(async ([leader, parts]) => {
        try {
          return { parts, res: await this.fetchFrom(leader, parts) };
        } catch (e) {
          if (e instanceof KafkaClientError && e.retriable) {
            for (const a of parts) a.backoffUntil = Date.now() + this.cluster.retryBackoffMs;
            await this.cluster.refreshMetadata().catch(() => undefined);
            return { parts, res: null };
          }
          throw e;
        }
      }),
    );
    let refresh = false;
    for (const { parts, res } of responses) {
      if (!res) continue;
      if (res.errorCode !== 0) throw new KafkaProtocolError(res.errorCode, 'fetch');
      for (const t of res.responses) {
        for (const p of t.partitions) {
          const topic = t.topic !== '' ? t.topic : (parts.find((a) => this.cluster.cachedTopic(a.topic, { allowStale: true })?.topicId === t.topicId)?.topic ?? '');
          const a = this.assigned.get(key(topic, p.partitionIndex));
          if (!a || a.position === null) continue;
          const out = await handle(a, p);
          if (out === 'refresh') refresh = true;
          else if (out) yield out;
        }
      }
    }
    if (refresh) await this.cluster.refreshMetadata().catch(() => undefined);
  }

  private async fetchFrom(leader: number, parts: Assigned[]): Promise<FetchResponse> {
    const conn = await this.cluster.connectionToNode(leader);
    const v = conn.version(ApiKey.Fetch);
    const byTopic = new Map<string, Assigned[]>();
    for (const a of parts) byTopic.set(a.topic, [...(byTopic.get(a.topic) ?? []), a]);
    const topics = [...byTopic].map(([topic, as]) => ({
      ...(v >= 13 ? { topicId: this.cluster.cachedTopic(topic, { allowStale: true })?.topicId } : { topic }),
      partitions: as.map((a) => ({ partition: a.partition, currentLeaderEpoch: -1, fetchOffset: a.position!, logStartOffset: -1n, partitionMaxBytes: a.maxBytes })),
    }));
    return conn.send(
      ApiKey.Fetch,
      {
        replicaId: -1,
        maxWaitMs: this.o.maxWaitMs,
        minBytes: this.o.minBytes,
        maxBytes: this.o.maxBytes,
        isolationLevel: this.o.isolationLevel,
        sessionId: 0,
        sessionEpoch: -1,
        topics,
        forgottenTopicsData: [],
        rackId: '',
      },
      { version: v, timeoutMs: this.o.maxWaitMs + 30_000 },
    );
  }

  /** Partition-level errors of a fetch: null = go on with the records, else what the round should do. */
  private partitionError(a: Assigned, p: FetchPartition): 'refresh' | 'skip' | null {
    if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      if (this.o.autoOffsetReset === 'none') throw new KafkaProtocolError(p.errorCode, `fetch ${a.topic}-${a.partition} at offset ${a.position}`);
      a.position = null;
      a.pendingSeek = this.o.autoOffsetReset;
      return 'skip';
    }
    if (p.errorCode !== 0) {
      if (needsMetadataRefresh(p.errorCode) || new KafkaProtocolError(p.errorCode).retriable) {
        a.backoffUntil = Date.now() + this.cluster.retryBackoffMs;
        return 'refresh';
      }
      throw new KafkaProtocolError(p.errorCode, `fetch ${a.topic}-${a.partition}`);
    }
    return null;
  }

  private handlePartitionBatches(a: Assigned, p: FetchPartition): PartitionBatches | 'refresh' | null {
    const err = this.partitionError(a, p);
    if (err !== null) return err === 'refresh' ? 'refresh' : null;
    a.highWatermark = p.highWatermark;
    const bytes = p.records;
    if (!bytes || bytes.length === 0) return null;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const from = a.position!;
    const batches: BatchSummary[] = [];
    let recordCount = 0;
    let next = from;
    let pos = 0;
    // v2 batch header: baseOffset 0, batchLength 8, magic 16, crc 17, attributes 21, lastOffsetDelta 23,
    // baseTimestamp 27, maxTimestamp 35, producerId 43, epoch 51, baseSequence 53, recordCount 57 (61 bytes).
    while (pos + 61 <= bytes.length) {
      const total = 12 + dv.getInt32(pos + 8);
      if (total < 61) throw new KafkaClientError(`${a.topic}-${a.partition}: bad batch length ${total - 12} at offset ${next}`);
      if (pos + total > bytes.length) break; // a partial batch at the end (cut at max bytes)
      const magic = dv.getInt8(pos + 16);
      if (magic !== 2) throw new KafkaClientError(`${a.topic}-${a.partition}: batch magic ${magic} (only v2 batches are read)`);
      if (this.o.checkCrcs && crc32c(bytes.subarray(pos + 21, pos + total)) !== dv.getUint32(pos + 17))
        throw new KafkaClientError(`${a.topic}-${a.partition}: CRC mismatch in the batch at offset ${dv.getBigInt64(pos)}`);
      const attributes = dv.getInt16(pos + 21);
      const baseOffset = dv.getBigInt64(pos);
      const lastOffsetDelta = dv.getInt32(pos + 23);
      const lastOffset = baseOffset + BigInt(lastOffsetDelta);
      const count = dv.getInt32(pos + 57);
      if (lastOffset >= from) {
        const isControl = (attributes & 0x20) !== 0;
        batches.push({
          baseOffset,
          lastOffset,
          recordCount: count,
          baseTimestamp: Number(dv.getBigInt64(pos + 27)),
          maxTimestamp: Number(dv.getBigInt64(pos + 35)),
          compression: attributes & 7,
          isControl,
          bytes: bytes.subarray(pos, pos + total),
        });
        // Records before the position (the batch holding it): dense offsets assumed when counting.
        if (!isControl) recordCount += baseOffset >= from ? count : Math.max(0, count - Number(from - baseOffset));
        if (lastOffset + 1n > next) next = lastOffset + 1n;
      }
      pos += total;
    }
    if (pos === 0) {
      if (a.maxBytes >= this.o.maxBytes) throw new KafkaClientError(`a record batch of ${a.topic}-${a.partition} at offset ${a.position} is larger than fetch.max.bytes ${this.o.maxBytes}`);
      a.maxBytes = Math.min(a.maxBytes * 2, this.o.maxBytes);
      return null;
    }
    a.maxBytes = this.o.maxPartitionBytes;
    a.position = next;
    return { topic: a.topic, partition: a.partition, batches, recordCount, highWatermark: p.highWatermark, nextOffset: next };
  }

  private async handlePartition(a: Assigned, p: FetchPartition): Promise<PartitionRecords | 'refresh' | null> {
    if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      if (this.o.autoOffsetReset === 'none') throw new KafkaProtocolError(p.errorCode, `fetch ${a.topic}-${a.partition} at offset ${a.position}`);
      a.position = null;
      a.pendingSeek = this.o.autoOffsetReset;
      return null;
    }
    if (p.errorCode !== 0) {
      if (needsMetadataRefresh(p.errorCode) || new KafkaProtocolError(p.errorCode).retriable) {
        a.backoffUntil = Date.now() + this.cluster.retryBackoffMs;
        return 'refresh';
      }
      throw new KafkaProtocolError(p.errorCode, `fetch ${a.topic}-${a.partition}`);
    }
    a.highWatermark = p.highWatermark;
    const bytes = p.records;
    if (!bytes || bytes.length === 0) return null;
    // A partial batch at the end of the response is normal (the broker cut at max bytes): dropped.
    const batches = decodeBatches(bytes, { allowPartial: true, skipCrc: !this.o.checkCrcs });
    if (batches.length === 0) {
      // Not even one whole batch fits in partitionMaxBytes (a pre-KIP-74 broker): ask for more next time.
      if (a.maxBytes >= this.o.maxBytes) throw new KafkaClientError(`a record batch of ${a.topic}-${a.partition} at offset ${a.position} is larger than fetch.max.bytes ${this.o.maxBytes}`);
      a.maxBytes = Math.min(a.maxBytes * 2, this.o.maxBytes);
      return null;
    }
    a.maxBytes = this.o.maxPartitionBytes;
    const from = a.position!;
    const records: ConsumerRecord[] = [];
    let next = from;
    // Decompressing reuses the core's input area the batch views point into, so a response with
    // compressed batches is handled on copies; uncompressed responses stay zero-copy.
    const compressed = batches.some((b) => b.compression !== 0);
    const work = batches.map((b) => ({ b, raw: compressed && b.compression !== 0 ? b.recordsBytes.slice() : null, views: compressed && b.compression === 0 ? b.records.map(copyView) : b.records }));
    for (const { b, raw, views } of work) {
      const last = b.baseOffset + BigInt(b.lastOffsetDelta);
      if (last < from) continue;
      if (!b.isControl) {
        const list = raw ? (decodeRecords(await codecById(b.compression).decompress(raw), b.recordCount, b)).map(copyView) : views;
        for (const r of list) {
          if (r.offset < from) continue;
          records.push({ topic: a.topic, partition: a.partition, offset: r.offset, timestamp: r.timestamp, timestampType: b.timestampType, key: r.key, value: r.value, headers: r.headers });
        }
      }
      if (last + 1n > next) next = last + 1n;
    }
    a.position = next;
    return { topic: a.topic, partition: a.partition, records, highWatermark: p.highWatermark, nextOffset: next };
  }

  /**
   * Fetches until stopped, yielding one record at a time (views: copy what you keep). Ends when
   * `signal` aborts or the consumer is closed.
   */
  async *records(opts: { signal?: AbortSignal } = {}): AsyncGenerator<ConsumerRecord> {
    // If the caller stops in the middle of a partition's records, the position goes back to the first
    // record it did not get, so the next records()/poll() continues exactly there.
    let current: PartitionRecords | null = null;
    let next = 0;
    try {
      while (!this.closed && !opts.signal?.aborted) {
        for await (const part of this.fetchOnce()) {
          current = part;
          for (next = 0; next < part.records.length; ) {
            const r = part.records[next++]!;
            yield r;
            if (this.closed || opts.signal?.aborted) return;
          }
          current = null;
        }
      }
    } finally {
      if (current && next < current.records.length) this.rewind(current.topic, current.partition, current.nextOffset, current.records[next]!.offset);
    }
  }

  /** Moves a partition back to `offset` if it is still where this consumer left it (`expected`). */
  private rewind(topic: string, partition: number, expected: bigint, offset: bigint): void {
    const a = this.assigned.get(key(topic, partition));
    if (a && a.position === expected) a.position = offset;
  }

  /** Fetch rounds as PartitionRecords (views valid until the generator resumes). */
  async *batches(opts: { signal?: AbortSignal } = {}): AsyncGenerator<PartitionRecords> {
    while (!this.closed && !opts.signal?.aborted) {
      for await (const part of this.fetchOnce()) {
        yield part;
        if (this.closed || opts.signal?.aborted) return;
      }
    }
  }

  /** Fetches once and returns copies of the records (convenient for tests and tools). */
  async poll(): Promise<ConsumerRecord[]> {
    const out: ConsumerRecord[] = [];
    for await (const part of this.fetchOnce()) for (const r of part.records) out.push(copyRecord(r));
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.owned) await this.cluster.close();
  }
}

/** A record whose bytes no longer alias the core's memory. */
export function copyRecord(r: ConsumerRecord): ConsumerRecord {
  return { ...r, key: r.key?.slice() ?? null, value: r.value?.slice() ?? null, headers: r.headers.map((h) => ({ key: h.key, value: h.value?.slice() ?? null })) };
}

function copyView(r: RecordView): RecordView {
  return { ...r, key: r.key?.slice() ?? null, value: r.value?.slice() ?? null, headers: r.headers.map((h) => ({ key: h.key, value: h.value?.slice() ?? null })) };
}

function key(topic: string, partition: number): string {
  return `${partition}:${topic}`;
}
