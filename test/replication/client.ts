// Produce / Fetch helpers over the Node client's Connection for the replication tests.
import { ApiKey } from '../../protocol/generated/api.js';
import type { FetchResponse, ProduceResponse } from '../../protocol/generated/index.js';
import { encodeBatch, type RecordInput } from '../../bindings/node.js';
import type { Connection } from '../../host-node/client/connection.js';
import type { Log } from '../../storage/index.js';

export function batch(n: number, from = 0, tag = 'v'): Uint8Array {
  const records: RecordInput[] = [];
  for (let i = 0; i < n; i++) records.push({ key: `k${from + i}`, value: `${tag}${from + i}`, timestamp: 1_700_000_000_000 + from + i });
  return encodeBatch({ records });
}

export async function produce(c: Connection, topic: string, records: Uint8Array, acks: number, timeoutMs = 5000): Promise<ProduceResponse> {
  return c.send(ApiKey.Produce, { acks, timeoutMs, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
}

export function partitionOf(r: ProduceResponse) {
  return r.responses[0]!.partitionResponses[0]!;
}

export async function consumerFetch(c: Connection, topicId: string, fetchOffset: number, currentLeaderEpoch = -1, maxWaitMs = 0): Promise<FetchResponse> {
  return c.send(ApiKey.Fetch, {
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topicId, partitions: [{ partition: 0, currentLeaderEpoch, fetchOffset: BigInt(fetchOffset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
  });
}

/** Every byte of a log, from its start to its end (log_end isolation). */
export function logBytes(log: Log): Buffer {
  const parts: Uint8Array[] = [];
  let offset = log.logStartOffset;
  for (let i = 0; i < 10_000 && offset < log.logEndOffset; i++) {
    const r = log.read(offset, 1 << 20, 'log_end');
    if (r.records === null) break;
    const bytes = r.records.read();
    parts.push(bytes);
    offset = lastOffsetAfter(bytes);
  }
  return Buffer.concat(parts);
}

/** The offset after the last batch of `bytes` (base offset + last offset delta + 1). */
function lastOffsetAfter(bytes: Uint8Array): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let next = 0;
  while (pos + 61 <= bytes.length) {
    const base = Number(v.getBigInt64(pos));
    const length = v.getInt32(pos + 8);
    next = base + v.getInt32(pos + 23) + 1;
    pos += 12 + length;
  }
  return next;
}
