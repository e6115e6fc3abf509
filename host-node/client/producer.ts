// The producer: records are partitioned (murmur2 for keys, sticky for null keys), collected per
// partition by the RecordAccumulator (batch.size / linger.ms), encoded as v2 record batches by the WASM
// core's encoder, and sent in one Produce request per leader. send() resolves with the record's offset
// once the broker acknowledged it (acks 1/-1; acks 0 resolves with offset -1 once written).
// Retriable errors (leader moved, timeouts, lost connections) refresh metadata and resend the batch.
import { core, encodeBatchRaw, encodeRecords } from '../../bindings/node.js';
import { BufferPool } from '../../protocol/wire/pool.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { RecordAccumulator, type Delivery, type PendingRecord, type ProducerBatch } from './accumulator.js';
import { Cluster, type ClusterOptions, type TopicInfo } from './cluster.js';
import type { Connection } from './connection.js';
import { codecById, compressionIdOf, CompressionType, type CompressionName } from './compression.js';
import { KafkaClientError, KafkaProtocolError, needsMetadataRefresh, sleep } from '../../client/errors.js';
import { DefaultPartitioner, type Partitioner } from './partitioner/index.js';

export type Acks = 0 | 1 | -1 | 'all';

export interface ProducerOptions {
  /** 0 = no response, 1 = leader wrote it, -1/'all' = all in-sync replicas (default -1, Kafka ≥ 3.0). */
  acks?: Acks;
  /** Bytes per partition batch before it is sent (default 16384). */
  batchSize?: number;
  /** Wait for more records this long after the first of a batch (default 5 ms). */
  lingerMs?: number;
  /** 'none' (default) | 'gzip' | 'snappy' | 'lz4' | 'zstd' (the last three need a registered codec). */
  compression?: CompressionName;
  /** Resends of a batch after retriable errors (default 5). */
  retries?: number;
  retryBackoffMs?: number;
  /** Broker-side wait for acks (Produce timeoutMs, default 30 s). */
  ackTimeoutMs?: number;
  /** Largest Produce request (default 1 MiB, Kafka's max.request.size). */
  maxRequestSize?: number;
  partitioner?: Partitioner;
  /** Ask the broker to create unknown topics (if its auto.create.topics.enable allows; default true, as Java's producer). */
  allowAutoTopicCreation?: boolean;
}

export interface ProducerRecord {
  topic: string;
  key?: Uint8Array | string | null;
  value: Uint8Array | string | null;
  headers?: Record<string, Uint8Array | string | null> | Array<{ key: string; value: Uint8Array | string | null }>;
  /** Explicit partition (skips the partitioner). */
  partition?: number;
  /** CreateTime in ms (default now). */
  timestamp?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1n with acks=0. */
  offset: bigint;
  /** LogAppendTime when the topic uses it, else -1n (the record's CreateTime applies). */
  logAppendTime: bigint;
}

const enc = new TextEncoder();
const bytesOf = (v: Uint8Array | string | null | undefined): Uint8Array | null => (v == null ? null : typeof v === 'string' ? enc.encode(v) : v);

export class Producer {
  readonly cluster: Cluster;
  private readonly owned: boolean;
  private readonly acks: 0 | 1 | -1;
  private readonly compression: number;
  private readonly retries: number;
  private readonly retryBackoffMs: number;
  private readonly ackTimeoutMs: number;
  private readonly maxRequestSize: number;
  private readonly partitioner: Partitioner;
  private readonly accumulator: RecordAccumulator;
  private readonly inflight = new Set<Promise<void>>();
  /** Closed batches waiting for the end of the current tick (see onReady). */
  private ready: ProducerBatch[] = [];
  private drainScheduled = false;
  /**
   * Settles once the requests of every drain so far are handed to their connections: a drain's requests wait
   * for it, so a partition's batches leave in the order they were closed even when a later drain is ready to
   * send first (its encoding or leader lookup finished sooner).
   */
  private handedOff: Promise<void> = Promise.resolve();
  /** Records handed to send() whose partition is not chosen yet (waiting for metadata). */
  private readonly waitingMeta = new Map<string, Promise<TopicInfo>>();
  private closed = false;
  private readonly allowAutoTopicCreation: boolean;

  constructor(cluster: Cluster | ClusterOptions, options: ProducerOptions = {}) {
    this.owned = !(cluster instanceof Cluster);
    this.cluster = cluster instanceof Cluster ? cluster : new Cluster(cluster);
    const acks = options.acks ?? -1;
    this.acks = acks === 'all' ? -1 : acks;
    if (![0, 1, -1].includes(this.acks)) throw new KafkaClientError(`invalid acks ${String(options.acks)} (0, 1, -1 or 'all')`);
    this.compression = compressionIdOf(options.compression ?? 'none');
    if (this.compression !== CompressionType.NONE) codecById(this.compression); // fail early if unavailable
    this.retries = options.retries ?? 5;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 30_000;
    this.maxRequestSize = options.maxRequestSize ?? 1024 * 1024;
    this.partitioner = options.partitioner ?? new DefaultPartitioner();
    this.allowAutoTopicCreation = options.allowAutoTopicCreation ?? true;
    this.accumulator = new RecordAccumulator({
      batchSize: options.batchSize,
      lingerMs: options.lingerMs,
      onReady: (batches) => this.onReady(batches),
    });
  }

  async connect(): Promise<void> {
    await this.cluster.connect();
  }

  /** Queues one record; resolves once it is acknowledged (see acks). */
  send(record: ProducerRecord): Promise<RecordMetadata> {
    return new Promise<RecordMetadata>((resolve, reject) => this.enqueue(record, new RecordDelivery(record.topic, (err, md) => (err ? reject(err) : resolve(md!)), true)));
  }

  /**
   * Like send(), without a promise per record: `callback(null, metadata)` once acknowledged, or
   * `callback(error)`. For bulk senders (`rivulet perf`); the record's buffers must stay unchanged until then.
   * A callback declared with one parameter gets no metadata (none is built: no object or BigInt per record).
   */
  sendWithCallback(record: ProducerRecord, callback: (err: Error | null, metadata?: RecordMetadata) => void): void {
    this.enqueue(record, new RecordDelivery(record.topic, callback, callback.length >= 2));
  }

  private enqueue(record: ProducerRecord, delivery: RecordDelivery): void {
    if (this.closed) {
      delivery.reject(new KafkaClientError('producer is closed'));
      return;
    }
    const pending: PendingRecord = {
      key: bytesOf(record.key),
      value: bytesOf(record.value),
      headers: normalizeHeaders(record.headers),
      timestamp: record.timestamp ?? Date.now(),
    };
    const topic = record.topic;
    const place = (numPartitions: number): void => {
      let partition: number;
      if (record.partition !== undefined) {
        if (record.partition < 0 || record.partition >= numPartitions) {
          delivery.reject(new KafkaProtocolError(3, `partition ${record.partition} of topic '${topic}' (it has ${numPartitions})`));
          return;
        }
        partition = record.partition;
      } else {
        partition = this.partitioner.partition({ topic, key: pending.key, numPartitions });
      }
      delivery.partition = partition;
      this.accumulator.append(topic, partition, pending, delivery);
    };
    const cached = this.cluster.cachedTopic(topic);
    let waiting = this.waitingMeta.get(topic);
    if (cached && !waiting) {
      place(cached.partitions.length);
      return;
    }
    // Records for a topic whose metadata is loading all wait on the same lookup (retried while the
    // topic is unknown, e.g. just created), and are placed in send() order when it completes.
    if (!waiting) {
      const lookup = this.cluster.withRetries('topic', () => this.cluster.topic(topic, { refresh: true, allowAutoTopicCreation: this.allowAutoTopicCreation }), 3);
      waiting = lookup;
      this.waitingMeta.set(topic, lookup);
      const clear = () => this.waitingMeta.get(topic) === lookup && this.waitingMeta.delete(topic);
      lookup.then(clear, clear);
    }
    waiting.then(
      (t) => place(t.partitions.length),
      (e: unknown) => delivery.reject(e),
    );
  }

  /** Sends several records; resolves when all are acknowledged. */
  sendAll(records: ProducerRecord[]): Promise<RecordMetadata[]> {
    return Promise.all(records.map((r) => this.send(r)));
  }

  /** Sends every buffered record now and waits until all outstanding requests completed. */
  async flush(): Promise<void> {
    while (this.waitingMeta.size > 0) await Promise.allSettled([...this.waitingMeta.values()]);
    this.accumulator.closeAll();
    this.drainReady();
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Flushes, then closes the connections (if this producer created the cluster). */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    if (this.owned) await this.cluster.close();
  }

  private onReady(batches: ProducerBatch[]): void {
    for (const b of batches) {
      const n = this.cluster.cachedTopic(b.topic, { allowStale: true })?.partitions.length;
      if (n !== undefined) this.partitioner.onNewBatch?.(b.topic, b.partition, n);
    }
    // Batches closed in the same tick go out together (one Produce request per leader, split at
    // maxRequestSize) instead of one request per batch, like Kafka's sender draining every ready batch.
    for (const b of batches) this.ready.push(b);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      queueMicrotask(() => this.drainReady());
    }
  }

  private drainReady(): void {
    this.drainScheduled = false;
    if (this.ready.length === 0) return;
    const batches = this.ready;
    this.ready = [];
    this.track(this.sendBatches(batches));
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    p.finally(() => this.inflight.delete(p));
  }

  /**
   * Groups batches by leader and sends one Produce request per leader (split at maxRequestSize), after the
   * requests of every earlier call are handed to their connections. Resolves once all are answered.
   */
  private sendBatches(batches: ProducerBatch[]): Promise<void> {
    const prepared = this.byLeader(batches);
    const sent = this.handedOff.then(() => prepared).then((byLeader) => this.handOff(byLeader));
    this.handedOff = sent.then(
      () => undefined,
      () => undefined,
    );
    return sent.then((answers) => Promise.all(answers)).then(() => undefined);
  }

  /** Encodes the batches and finds each one's leader; batches that fail here are retried or failed. */
  private async byLeader(batches: ProducerBatch[]): Promise<Map<number, ProducerBatch[]>> {
    const byLeader = new Map<number, ProducerBatch[]>();
    for (const b of batches) {
      try {
        b.encoded ??= await this.encode(b);
        if (b.encoded.length > this.maxRequestSize) {
          this.fail(b, new KafkaProtocolError(10, `batch of ${b.encoded.length} bytes for ${b.topic}-${b.partition} exceeds max.request.size ${this.maxRequestSize}`));
          continue;
        }
        const leader = await this.cluster.leaderFor(b.topic, b.partition);
        const list = byLeader.get(leader) ?? [];
        list.push(b);
        byLeader.set(leader, list);
      } catch (e) {
        this.retryOrFail([b], e as Error);
      }
    }
    return byLeader;
  }

  /** Hands every leader's requests to its connection, in order; returns the promises of their answers. */
  private async handOff(byLeader: Map<number, ProducerBatch[]>): Promise<Promise<void>[]> {
    const answers: Promise<void>[] = [];
    for (const [leader, list] of byLeader) {
      let conn: Connection;
      try {
        conn = await this.cluster.connectionToNode(leader);
      } catch (e) {
        for (const b of list) b.attempts++;
        this.retryOrFail(list, e as Error);
        continue;
      }
      for (const r of produceRequests(list, this.maxRequestSize)) answers.push(this.produce(conn, r));
    }
    return answers;
  }

  /** Encodes a batch with the core (compressing the records section first when configured). */
  private async encode(b: ProducerBatch): Promise<Uint8Array> {
    const baseTimestamp = b.records[0]!.timestamp;
    const records = b.records.map((r, i) => ({ key: r.key, value: r.value, headers: r.headers, timestampDelta: r.timestamp - baseTimestamp, offsetDelta: i }));
    if (this.compression === CompressionType.NONE) {
      // Into a pooled buffer (back in the pool once the batch is acknowledged or failed for good) instead of
      // a fresh copy per batch: large fresh buffers cost first-touch page faults on every batch.
      const { ptr, size } = core.encodeBatchInPlace({ records, baseTimestamp });
      const out = batchBuffers.acquire(size);
      out.set(core.u8.subarray(ptr, ptr + size));
      return out;
    }
    const codec = codecById(this.compression);
    const raw = encodeRecords(records, baseTimestamp);
    const compressed = await codec.compress(raw);
    let maxTs = baseTimestamp;
    for (const r of b.records) if (r.timestamp > maxTs) maxTs = r.timestamp;
    return encodeBatchRaw({ records: compressed, recordCount: b.records.length, compression: this.compression, baseTimestamp, maxTimestamp: maxTs, lastOffsetDelta: b.records.length - 1 });
  }

  /** Sends one Produce request (handed to `conn` before the first await) and settles its batches. */
  private async produce(conn: Connection, batches: ProducerBatch[]): Promise<void> {
    for (const b of batches) b.attempts++;
    // Grouped by topic, and found again by topic + partition when the response comes (linear in partitions:
    // a request may carry thousands).
    const byTopic = new Map<string, ProducerBatch[]>();
    const byPartition = new Map<string, Map<number, ProducerBatch>>();
    for (const b of batches) {
      const list = byTopic.get(b.topic);
      if (list === undefined) byTopic.set(b.topic, [b]);
      else list.push(b);
      let parts = byPartition.get(b.topic);
      if (parts === undefined) byPartition.set(b.topic, (parts = new Map()));
      parts.set(b.partition, b);
    }
    const body = {
      transactionalId: null,
      acks: this.acks,
      timeoutMs: this.ackTimeoutMs,
      topicData: [...byTopic].map(([name, bs]) => ({ name, partitionData: bs.map((b) => ({ index: b.partition, records: b.encoded! })) })),
    };
    try {
      if (this.acks === 0) {
        await conn.send(ApiKey.Produce, body, { expectResponse: false });
        for (const b of batches) this.releaseEncoded(b);
        for (const b of batches) for (let i = 0; i < b.deliveries.length; i++) b.deliveries[i]!.resolve(-1n, i, -1n);
        return;
      }
      const res = await conn.send(ApiKey.Produce, body, { timeoutMs: this.ackTimeoutMs + 5_000 });
      const seen = new Set<ProducerBatch>();
      for (const t of res.responses) {
        for (const p of t.partitionResponses) {
          const b = byPartition.get(t.name)?.get(p.index);
          if (!b) continue;
          seen.add(b);
          if (p.errorCode !== 0) {
            const detail = p.errorMessage ?? (p.recordErrors.length > 0 ? p.recordErrors.map((r) => `record ${r.batchIndex}: ${r.batchIndexErrorMessage}`).join('; ') : null);
            this.retryOrFail([b], new KafkaProtocolError(p.errorCode, `produce to ${b.topic}-${b.partition}`, detail));
            continue;
          }
          this.releaseEncoded(b);
          for (let i = 0; i < b.deliveries.length; i++) b.deliveries[i]!.resolve(p.baseOffset, i, p.logAppendTimeMs);
        }
      }
      const missing = batches.filter((b) => !seen.has(b));
      if (missing.length > 0) this.retryOrFail(missing, new KafkaClientError('Produce response did not mention the partition', true));
    } catch (e) {
      this.retryOrFail(batches, e as Error);
    }
  }

  private retryOrFail(batches: ProducerBatch[], err: Error): void {
    const retriable = err instanceof KafkaClientError && err.retriable;
    const retry = batches.filter((b) => retriable && b.attempts <= this.retries && !this.closed);
    const retrySet = new Set(retry);
    for (const b of batches) if (!retrySet.has(b)) this.fail(b, err);
    if (retry.length === 0) return;
    const refresh = !(err instanceof KafkaProtocolError) || needsMetadataRefresh(err.code);
    this.track(
      (async () => {
        await sleep(this.retryBackoffMs * Math.min(2 ** (retry[0]!.attempts - 1), 10));
        if (refresh) await this.cluster.refreshMetadata().catch(() => undefined);
        await this.sendBatches(retry);
      })(),
    );
  }

  private fail(b: ProducerBatch, err: Error): void {
    this.releaseEncoded(b);
    for (const d of b.deliveries) d.reject(err);
  }

  /** The batch is done (acknowledged, written with acks=0, or failed for good): its buffer can be reused. */
  private releaseEncoded(b: ProducerBatch): void {
    if (b.encoded === undefined) return;
    batchBuffers.release(b.encoded);
    b.encoded = undefined;
  }
}

/** Encoded batches, reused once their batch is done (see encode()). */
const batchBuffers = new BufferPool();

/** One record's acknowledgement: one object per record, metadata (and its BigInt offset) only when wanted. */
class RecordDelivery implements Delivery {
  partition = -1;
  constructor(
    private readonly topic: string,
    private readonly done: (err: Error | null, metadata?: RecordMetadata) => void,
    private readonly wantsMetadata: boolean,
  ) {}
  resolve(baseOffset: bigint, index: number, logAppendTime: bigint): void {
    if (!this.wantsMetadata) this.done(null);
    else this.done(null, { topic: this.topic, partition: this.partition, offset: baseOffset < 0n ? -1n : baseOffset + BigInt(index), logAppendTime });
  }
  reject(e: unknown): void {
    this.done(e instanceof Error ? e : new Error(String(e)));
  }
}

/** Shared by records without headers (never mutated). */
const NO_HEADERS: Array<{ key: string; value: Uint8Array | null }> = [];

function normalizeHeaders(h: ProducerRecord['headers']): Array<{ key: string; value: Uint8Array | null }> {
  if (!h) return NO_HEADERS;
  const list = Array.isArray(h) ? h : Object.entries(h).map(([key, value]) => ({ key, value }));
  return list.map((x) => ({ key: x.key, value: bytesOf(x.value) }));
}

/**
 * Splits one leader's batches into Produce requests of at most `maxRequestSize`. A request carries at most one
 * batch per partition (brokers reject more), so a partition's next batch goes to a later request, sent after
 * it on the same connection, keeping order.
 */
function produceRequests(list: readonly ProducerBatch[], maxRequestSize: number): ProducerBatch[][] {
  const requests: Array<{ batches: ProducerBatch[]; size: number }> = [];
  const lastFor = new Map<string, number>();
  for (const b of list) {
    const key = `${b.partition}:${b.topic}`;
    const len = b.encoded!.length + 64;
    let i = (lastFor.get(key) ?? -1) + 1;
    while (i < requests.length && requests[i]!.batches.length > 0 && requests[i]!.size + len > maxRequestSize) i++;
    if (i === requests.length) requests.push({ batches: [], size: 0 });
    requests[i]!.batches.push(b);
    requests[i]!.size += len;
    lastFor.set(key, i);
  }
  return requests.map((r) => r.batches);
}
