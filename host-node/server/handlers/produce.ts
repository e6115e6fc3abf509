// Produce (api key 0), v0–11.
//
// Per partition: find the log → check the record bytes the way Kafka does before an append (records.ts: magic
// per version, one batch for v3+, compressed batches decompressed and walked, magic 0/1 message sets converted
// to v2 by the broker's core) → Log.append (storage: one pass in the WASM core — validate every batch and CRC, assign
// offsets, LogAppendTime per message.timestamp.type, max.message.bytes — then one write from linear memory).
// The append is all or nothing per partition: a rejected batch leaves the log untouched.
//
// acks: 0 → no response (Kafka closes the connection instead when a partition failed, so the producer notices);
// 1 → answer after the append; -1 → also wait until the log made the appended offsets durable under its flush
// policy (Log.waitDurable; group commit across requests is storage's), bounded by the request's timeout
// (REQUEST_TIMED_OUT). Anything else → INVALID_REQUIRED_ACKS for every partition.
//
// Transactions are not supported: a request with a transactional id gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED
// for every partition (what Kafka answers when the principal may not use the id).
//
// Idempotent batches (v3+, producerId >= 0) are checked against the partition's producer state first
// (Log.producerState, storage/producer-state.ts; loaded from a snapshot plus the log after it): an exact repeat
// of one of the producer's last 5 batches is answered as success with the original base offset and not
// appended again; an older epoch gets INVALID_PRODUCER_EPOCH, a sequence gap/overlap
// OUT_OF_ORDER_SEQUENCE_NUMBER, a batch wholly behind the 5 remembered ones DUPLICATE_SEQUENCE_NUMBER.
// The log records every appended batch in the producer state itself.
//
// Response fields by version: baseOffset (all), logAppendTimeMs (v2+: the LogAppendTime given, else -1),
// logStartOffset (v5+), recordErrors + errorMessage (v8+), currentLeader (v10+, only with NOT_LEADER).
import type { ProduceResponsePartitionProduceResponseInput, ProduceResponseTopicProduceResponseInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { Log } from '../../../storage/index.js';
import { NO_RESPONSE, type ApiHandler } from '../registry.js';
import { ProtocolError } from '../errors.js';
import { findLog } from '../data/partitions.js';
import { partitionErrorOf } from '../data/errors.js';
import { readProducerBatchHeader } from '../../../storage/producer-state.js';
import { ProduceApi } from '../../../protocol/generated/produce.js';

/** How long an acks=all Produce may wait at most, whatever its timeout says. */
const MAX_ACKS_ALL_WAIT_MS = 5 * 60_000;

function errorResponse(index: number, code: number, message: string | null = null): ProduceResponsePartitionProduceResponseInput {
  return { index, errorCode: code, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, errorMessage: message };
}

export const produceHandler: ApiHandler<typeof ApiKey.Produce, 'topicRegistry' | 'logManager' | 'recordFormats' | 'metrics' | 'log'> = {
  api: ProduceApi,
  async handle(request, ctx) {
    const { acks } = request;
    const broker = ctx.broker;
    const responses: ProduceResponseTopicProduceResponseInput[] = [];
    let failed: string | null = null;

    if (acks !== 0 && acks !== 1 && acks !== -1) {
      for (const t of request.topicData)
        responses.push({ name: t.name, partitionResponses: t.partitionData.map((p) => errorResponse(p.index, ErrorCode.INVALID_REQUIRED_ACKS)) });
      return { responses };
    }
    if (request.transactionalId !== null) {
      for (const t of request.topicData)
        responses.push({
          name: t.name,
          partitionResponses: t.partitionData.map((p) => errorResponse(p.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'transactions are not supported')),
        });
      if (acks === 0) throw new ProtocolError('acks=0 transactional Produce refused (transactions are not supported)');
      return { responses };
    }

    // Record bytes reassembled in the core's linear memory (Produce frames that spanned socket reads) are
    // appended from where they lie. An append (or a check) can grow that memory, which detaches later
    // partitions' views, so storage takes their positions first and rebuilds the views when needed.
    const spans = broker.logManager.requestRecordSpans();
    for (const t of request.topicData) for (const p of t.partitionData) spans.add(p.records);
    let spanIndex = 0;

    // Appends are synchronous; the durable waits of acks=-1 are collected and awaited together.
    const waits: { log: Log; lastOffset: number; out: ProduceResponsePartitionProduceResponseInput }[] = [];
    for (const t of request.topicData) {
      const partitionResponses: ProduceResponsePartitionProduceResponseInput[] = [];
      for (const p of t.partitionData) {
        const records = spans.view(spanIndex++, p.records);
        let log: Log | undefined;
        try {
          log = findLog(broker, t.name, p.index);
          if (log === undefined) {
            partitionResponses.push(errorResponse(p.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
            failed ??= `${t.name}-${p.index}: UNKNOWN_TOPIC_OR_PARTITION`;
            continue;
          }
          const bytes = broker.recordFormats.prepareProduce(records, ctx.apiVersion);
          const idem = ctx.apiVersion >= 3 ? readProducerBatchHeader(bytes) : null;
          if (idem !== null) {
            const c = log.producerState.check(idem.batch);
            if (c.kind === 'error') {
              partitionResponses.push(errorResponse(p.index, ErrorCode[c.error], c.message));
              failed ??= `${t.name}-${p.index}: ${c.error}`;
              continue;
            }
            if (c.kind === 'duplicate') {
              if (broker.log.enabled('debug'))
                broker.log.debug(`${ctx.connection.describe()}: Produce ${t.name}-${p.index}: duplicate batch of producer ${idem.batch.producerId} seq ${idem.batch.firstSeq}-${idem.batch.lastSeq} at offset ${c.batch.firstOffset}`);
              const out = { index: p.index, errorCode: ErrorCode.NONE, baseOffset: BigInt(c.batch.firstOffset), logAppendTimeMs: -1n, logStartOffset: BigInt(log.logStartOffset) };
              partitionResponses.push(out);
              if (acks === -1) waits.push({ log, lastOffset: c.batch.lastOffset, out });
              continue;
            }
          }
          const info = log.append(bytes);
          const m = broker.metrics;
          if (m !== undefined) {
            const s = m.topic(t.name);
            s.messagesIn += info.recordCount;
            s.bytesIn += records?.length ?? 0;
          }
          const out: ProduceResponsePartitionProduceResponseInput = {
            index: p.index,
            errorCode: ErrorCode.NONE,
            baseOffset: BigInt(info.firstOffset),
            logAppendTimeMs: BigInt(info.logAppendTime),
            logStartOffset: BigInt(info.logStartOffset),
          };
          partitionResponses.push(out);
          if (acks === -1) waits.push({ log, lastOffset: info.lastOffset, out });
        } catch (e) {
          const err = partitionErrorOf(e, broker.log, `Produce ${t.name}-${p.index}`);
          if (broker.log.enabled('debug')) broker.log.debug(`${ctx.connection.describe()}: Produce ${t.name}-${p.index} failed: ${err.code} ${err.message}`);
          partitionResponses.push(errorResponse(p.index, err.code, err.message));
          failed ??= `${t.name}-${p.index}: error ${err.code} ${err.message}`;
        }
      }
      responses.push({ name: t.name, partitionResponses });
    }

    if (acks === 0) {
      if (failed !== null) throw new ProtocolError(`acks=0 Produce failed (${failed}); closing the connection as Kafka does`);
      return NO_RESPONSE;
    }

    if (waits.length > 0) {
      const timeoutMs = Math.min(Math.max(request.timeoutMs, 0), MAX_ACKS_ALL_WAIT_MS);
      const m = broker.metrics;
      if (m) m.producePurgatory++;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      await Promise.all(
        waits.map(async (w) => {
          try {
            const r = await Promise.race([w.log.waitDurable(w.lastOffset), timedOut]);
            if (r === 'timeout') Object.assign(w.out, { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'not durable within the request timeout' });
          } catch (e) {
            const err = partitionErrorOf(e, broker.log, `Produce ${w.log.topic}-${w.log.partition} (acks=all)`);
            Object.assign(w.out, { errorCode: err.code, errorMessage: err.message });
          }
        }),
      );
      clearTimeout(timer);
      if (m) m.producePurgatory--;
    }
    return { responses };
  },
};
