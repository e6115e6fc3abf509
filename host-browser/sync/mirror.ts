// mirror: a local partition is delivered to a broker topic-partition EXACTLY ONCE, through the idempotent
// producer (docs/browser-sync.md has the argument; this comment is the short version).
//
// Durable state (one meta entry, MirrorState): the producer id and epoch, `next` (every local offset
// below it is acknowledged by the broker), `nextSeq` (the sequence number the record at `next` gets) and
// `inflight` — the exact range [from, to) with its record count and base sequence that is being sent.
//
//   1. choose the range [next, to) and write inflight = {from, to, count, seq: nextSeq}   (before sending)
//   2. Produce it as one batch: producer id, epoch, base sequence = inflight.seq
//   3. on success write next = to, nextSeq = seq + count, inflight = null
//
// If the tab dies between 2 and 3 (the broker may or may not have appended the batch), the restart finds
// `inflight` and sends exactly that range again, with the same producer id, epoch and base sequence: the
// broker either appends it (it never arrived) or recognises it as one of the producer's last 5 batches
// and answers NONE with the original offset without appending it again. Only one batch is ever in
// flight, so the retry is always the broker's most recent batch of this producer.
import { ApiKey } from '../../protocol/generated/api.js';
import { ErrorCode, errorByCode } from '../../protocol/errors.js';
import { KafkaProtocolError } from '../../client/errors.js';
import { ensureTopicPartition } from './requests.js';
import type { LocalRecord, SyncableLog } from './types.js';
import type { SyncLoopOptions } from './types.js';
import { sleep } from './broker-link.js';
import { backoff, isConnectionLoss, isRetriable, waitBackoff } from './retry.js';
import type { WsConnection } from './ws-connection.js';

const INT32_MAX = 0x7fffffff;

export interface InflightRange {
  /** First local offset of the batch. */
  from: number;
  /** One past the last local offset of the batch. */
  to: number;
  /** Records in [from, to). */
  count: number;
  /** Base sequence of the batch. */
  seq: number;
}

export interface MirrorState {
  v: 1;
  /** Decimal string (a bigint), null before InitProducerId. */
  producerId: string | null;
  epoch: number;
  /** Cluster the producer id belongs to. */
  clusterId: string | null;
  next: number;
  nextSeq: number;
  inflight: InflightRange | null;
}

export const mirrorMetaKey = (topic: string, partition: number): string => `sync:mirror:${topic}:${partition}`;

async function loadMirrorState(log: SyncableLog, key: string): Promise<MirrorState> {
  const raw = await log.getMeta(key);
  if (raw === undefined) return { v: 1, producerId: null, epoch: -1, clusterId: null, next: 0, nextSeq: 0, inflight: null };
  const s = JSON.parse(raw) as MirrorState;
  if (s.v !== 1 || typeof s.next !== 'number' || typeof s.nextSeq !== 'number') throw new Error(`sync: unreadable mirror state under '${key}': ${raw}`);
  return s;
}

function addSeq(seq: number, n: number): number {
  return (seq + n) % (INT32_MAX + 1);
}

export interface MirrorOptions extends SyncLoopOptions {
  /** Records per batch at most (default 1000). */
  maxBatchRecords?: number;
  /** Approximate bytes per batch at most (default 512 KiB; brokers refuse batches above max.message.bytes, default 1 MiB). */
  maxBatchBytes?: number;
  /** Produce timeout_ms (default 30 s). */
  ackTimeoutMs?: number;
  /** Create the topic if it does not exist (default true). */
  createTopic?: boolean;
  /** Backoff after a broker-side error (default 200 ms, doubling to 5 s). */
  retryBackoffMs?: number;
}

function approxSize(r: LocalRecord): number {
  let n = 24 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const h of r.headers ?? []) n += 8 + h.key.length * 3 + (h.value?.length ?? 0);
  return n;
}

/** Error codes after which the same batch is simply sent again (after a backoff). */
const RETRY_SAME = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NETWORK_EXCEPTION, ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.THROTTLING_QUOTA_EXCEEDED, ErrorCode.UNKNOWN_SERVER_ERROR,
]);

export async function runMirror(o: MirrorOptions): Promise<void> {
  const key = mirrorMetaKey(o.topic, o.partition);
  const mirror = new Mirror(o, key, await loadMirrorState(o.log, key));
  await mirror.run();
}

/** A range being delivered and its records, read once and kept for the retries. */
interface PreparedBatch {
  range: InflightRange;
  records: LocalRecord[];
}

/** One mirror loop: its durable state, the batch being delivered and the retry bookkeeping. */
class Mirror {
  private maxRecords: number;
  private readonly maxBytes: number;
  private readonly ackTimeoutMs: number;
  private prepared: PreparedBatch | null = null;
  /** The connection the topic-partition (and the cluster id) was last checked on. */
  private checkedOn: WsConnection | null = null;
  private failures = 0;

  constructor(
    private readonly o: MirrorOptions,
    private readonly key: string,
    private state: MirrorState,
  ) {
    this.maxRecords = Math.max(1, o.maxBatchRecords ?? 1000);
    this.maxBytes = o.maxBatchBytes ?? 512 * 1024;
    this.ackTimeoutMs = o.ackTimeoutMs ?? 30_000;
  }

  async run(): Promise<void> {
    const { log, link, signal, status } = this.o;
    status.position = this.state.next;
    status.lag = Math.max(0, log.endOffset() - this.state.next);
    this.o.report();
    while (!signal.aborted) {
      if (this.state.inflight === null && log.endOffset() <= this.state.next) {
        if (!(await this.waitForRecords())) return;
        continue;
      }
      const conn = await link.connection();
      if (conn === null) return;
      try {
        await this.deliverNext(conn);
      } catch (e) {
        if (!(await this.recover(conn, e))) return;
      }
    }
  }

  /** Waits until the local log holds records past `next`; false when the sync stopped meanwhile. */
  private async waitForRecords(): Promise<boolean> {
    const { log, signal, status } = this.o;
    status.lag = 0;
    this.o.report();
    try {
      await log.waitForAppend(this.state.next, signal);
    } catch (e) {
      if (signal.aborted) return false;
      throw e;
    }
    status.lag = Math.max(0, log.endOffset() - this.state.next);
    this.o.report();
    return true;
  }

  /** One round: check the connection, send the in-flight batch (choosing it first if none) and settle its answer. */
  private async deliverNext(conn: WsConnection): Promise<void> {
    await this.checkConnection(conn);
    if (this.state.producerId === null) await this.newProducer(conn, null);
    const batch = await this.prepareBatch();
    if (batch === null) {
      await sleep(50, this.o.signal); // the end moved but nothing is readable yet
      return;
    }
    const p = await this.produce(conn, batch);
    const code = p ? p.errorCode : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (code === ErrorCode.NONE || code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
      // NONE is also the answer to a repeat of one of the producer's last 5 batches (original offset
      // returned); DUPLICATE_SEQUENCE_NUMBER says the sequences were written before those 5 — delivered
      // either way (the Java client and librdkafka treat it the same).
      await this.delivered(batch.range);
      return;
    }
    await this.refused(conn, code, p?.errorMessage ?? null, batch);
    this.o.report();
  }

  /** On a new connection: the topic-partition exists, and a changed cluster gets a new producer id. */
  private async checkConnection(conn: WsConnection): Promise<void> {
    if (this.checkedOn === conn) return;
    const info = await ensureTopicPartition(conn, this.o.topic, this.o.partition, this.o.createTopic ?? true);
    const state = this.state;
    if (state.producerId !== null && state.clusterId !== null && info.clusterId !== null && info.clusterId !== state.clusterId) {
      // Producer ids belong to one cluster; another cluster's broker would not know (or reuse) ours.
      await this.newProducer(conn, `cluster changed from ${state.clusterId} to ${info.clusterId}`);
    }
    if (info.clusterId !== this.state.clusterId) await this.save({ ...this.state, clusterId: info.clusterId });
    this.checkedOn = conn;
  }

  /** The in-flight batch: the persisted range (its records read again if needed), or a new range from `next`; null when nothing is readable. */
  private async prepareBatch(): Promise<PreparedBatch | null> {
    if (this.state.inflight === null) {
      const records = await this.readNext();
      if (records.length === 0) return null;
      const range: InflightRange = { from: this.state.next, to: records[records.length - 1]!.offset + 1, count: records.length, seq: this.state.nextSeq };
      await this.save({ ...this.state, inflight: range }); // persisted BEFORE the batch leaves
      this.prepared = { range, records };
    }
    const range = this.state.inflight!;
    if (this.prepared === null || this.prepared.range !== range) this.prepared = { range, records: await this.readExact(range) };
    return this.prepared;
  }

  /** Sends the batch as one idempotent Produce (acks=all); the partition's answer, if the response has one. */
  private async produce(conn: WsConnection, { range, records }: PreparedBatch) {
    const { topic, partition } = this.o;
    const batch = this.o.codec.encodeBatch({
      baseTimestamp: records[0]!.timestamp,
      records: records.map((r, i) => ({ key: r.key ?? null, value: r.value, headers: r.headers ?? [], timestamp: r.timestamp, offsetDelta: i })),
      producerId: BigInt(this.state.producerId!),
      producerEpoch: this.state.epoch,
      baseSequence: range.seq,
    });
    const res = await conn.send(
      ApiKey.Produce,
      { transactionalId: null, acks: -1, timeoutMs: this.ackTimeoutMs, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] },
      { timeoutMs: this.ackTimeoutMs + 5_000 },
    );
    return res.responses.find((t) => t.name === topic)?.partitionResponses.find((x) => x.index === partition);
  }

  /** The broker holds the range: move `next` past it. */
  private async delivered(range: InflightRange): Promise<void> {
    await this.save({ ...this.state, next: range.to, nextSeq: addSeq(range.seq, range.count), inflight: null });
    this.prepared = null;
    this.failures = 0;
    this.o.status.records += range.count;
    this.o.status.lastError = undefined;
    this.o.report();
  }

  /** The broker refused the batch with `code`: a new producer id, a smaller batch, or the same batch after a backoff. */
  private async refused(conn: WsConnection, code: number, message: string | null, batch: PreparedBatch): Promise<void> {
    const err = new KafkaProtocolError(code, `produce to ${this.o.topic}-${this.o.partition}`, message);
    this.o.status.lastError = err.message;
    switch (code) {
      case ErrorCode.UNKNOWN_PRODUCER_ID:
        // The broker kept no state for our producer id (all its batches expired). The in-flight batch
        // cannot have been appended (that would have created state), so renumbering it is safe.
        await this.newProducer(conn, null);
        break;
      case ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER:
      case ErrorCode.INVALID_PRODUCER_EPOCH:
      case ErrorCode.PRODUCER_FENCED:
        // The broker's record of this producer disagrees with ours: broker data loss, a meta store
        // rolled back, or another writer using our producer id. Nothing guarantees the in-flight range
        // is absent on the broker; delivering it again under a new producer id is the choice that
        // loses nothing (and is flagged in status.warnings).
        await this.newProducer(conn, errorByCode(code)?.name ?? String(code));
        break;
      case ErrorCode.MESSAGE_TOO_LARGE:
      case ErrorCode.RECORD_LIST_TOO_LARGE:
        await this.tooLarge(batch, err);
        break;
      default:
        this.failures++;
        this.o.report();
        if (RETRY_SAME.has(code)) this.checkedOn = null;
        await sleep(backoff(this.o.retryBackoffMs ?? 200, this.failures), this.o.signal);
    }
  }

  /** Refused before any append, so the range can be re-cut: halve it (same base sequence), or skip a lone record. */
  private async tooLarge({ range, records }: PreparedBatch, err: KafkaProtocolError): Promise<void> {
    if (range.count > 1) {
      const half = Math.floor(range.count / 2);
      this.maxRecords = Math.max(1, half);
      const head: LocalRecord[] = records.slice(0, half);
      const smaller: InflightRange = { ...range, to: head[head.length - 1]!.offset + 1, count: half };
      await this.save({ ...this.state, inflight: smaller });
      this.prepared = { range: smaller, records: head };
    } else {
      // One record the broker will never take: skip it (it uses no sequence number).
      this.o.status.skipped++;
      this.o.status.warnings.push(`record at local offset ${range.from} skipped: ${err.message}`);
      await this.save({ ...this.state, next: range.to, inflight: null });
      this.prepared = null;
    }
  }

  /** After a failed round: false when the loop must end; a local failure is rethrown. */
  private async recover(conn: WsConnection, e: unknown): Promise<boolean> {
    const { link, signal, status } = this.o;
    if (!isRetriable(e, signal)) return false;
    status.lastError = e.message;
    this.failures++;
    if (isConnectionLoss(e)) {
      // The batch's fate is unknown; a new connection and the same batch (same sequence) settle it.
      link.drop(conn);
      this.checkedOn = null;
      this.o.report();
      return true;
    }
    this.o.report();
    return waitBackoff(this.o.retryBackoffMs ?? 200, this.failures, signal);
  }

  private async save(s: MirrorState): Promise<void> {
    const { log, status } = this.o;
    await log.setMeta(this.key, JSON.stringify(s));
    this.state = s;
    status.position = s.next;
    status.lag = Math.max(0, log.endOffset() - s.next);
    if (s.producerId !== null) {
      status.producerId = s.producerId;
      status.producerEpoch = s.epoch;
    }
  }

  /** Reads the records of [from, to) — exactly `count` of them, or the log changed under us. */
  private async readExact(r: InflightRange): Promise<LocalRecord[]> {
    const log = this.o.log;
    const out: LocalRecord[] = [];
    let at = r.from;
    while (at < r.to) {
      const got = await log.read(at, Math.min(r.count - out.length, r.to - at));
      const inRange = got.filter((x) => x.offset >= at && x.offset < r.to);
      if (inRange.length === 0) break;
      out.push(...inRange);
      at = inRange[inRange.length - 1]!.offset + 1;
    }
    if (out.length !== r.count) throw new Error(`sync: local log ${log.topic}-${log.partition} no longer holds the ${r.count} records of [${r.from}, ${r.to}) being delivered (found ${out.length})`);
    return out;
  }

  /** The next batch to send from `next`: whole records up to maxRecords / maxBytes. */
  private async readNext(): Promise<LocalRecord[]> {
    const next = this.state.next;
    const got = await this.o.log.read(next, this.maxRecords);
    const out: LocalRecord[] = [];
    let bytes = 0;
    for (const r of got) {
      if (r.offset < next) continue;
      const sz = approxSize(r);
      if (out.length > 0 && bytes + sz > this.maxBytes) break;
      out.push(r);
      bytes += sz;
    }
    return out;
  }

  /** Takes a new producer id (InitProducerId); `why`, when given, is reported as a warning. */
  private async newProducer(conn: WsConnection, why: string | null): Promise<void> {
    const res = await conn.send(ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: -1, producerId: -1n, producerEpoch: -1 });
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(res.errorCode, 'InitProducerId');
    const state = this.state;
    if (why !== null) this.o.status.warnings.push(`${why}: new producer id ${res.producerId} (replaced ${state.producerId}/${state.epoch})`);
    // A fresh producer id starts at sequence 0; an in-flight range keeps its records but is renumbered.
    const inflight = state.inflight ? { ...state.inflight, seq: 0 } : null;
    await this.save({ ...state, producerId: String(res.producerId), epoch: res.producerEpoch, nextSeq: 0, inflight });
  }
}
