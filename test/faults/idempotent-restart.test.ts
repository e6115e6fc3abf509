// Idempotent producers over the wire, across broker restarts: every sequence/epoch answer as
// Kafka gives it (INVALID_PRODUCER_EPOCH, OUT_OF_ORDER_SEQUENCE_NUMBER, DUPLICATE_SEQUENCE_NUMBER for a batch
// behind the 5 remembered ones, any sequence from a producer the partition does not know — never
// UNKNOWN_PRODUCER_ID), the same answers after a clean restart that loads the producer snapshot without reading
// the log, and after a corrupt snapshot (rebuilt from the log); producer.id.expiration.ms over the wire.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../bindings/node.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient, startTestBroker, type TestBroker } from '../helpers/broker.js';

const dir = mkdtempSync(join(tmpdir(), 'rivulet-idem-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function open(dataDir: string, sets: Record<string, string> = {}): Promise<{ b: TestBroker; c: KafkaTestClient }> {
  const b = await startTestBroker({ dataDir, sets });
  return { b, c: await KafkaTestClient.connect(b.port) };
}

function idem(producerId: bigint, epoch: number, seq: number, n: number): Uint8Array {
  return encodeBatch({ producerId, producerEpoch: epoch, baseSequence: seq, records: Array.from({ length: n }, (_, i) => ({ value: `s${seq + i}` })) });
}

async function produce(c: KafkaTestClient, topic: string, records: Uint8Array) {
  const r = await c.request(ApiKey.Produce, 9, { acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return r.responses[0]!.partitionResponses[0]!;
}

async function createTopic(c: KafkaTestClient, name: string, configs: { name: string; value: string }[] = []): Promise<void> {
  const r = await c.request(ApiKey.CreateTopics, 7, { timeoutMs: 10_000, topics: [{ name, numPartitions: 1, replicationFactor: -1, assignments: [], configs }] });
  expect(r.topics[0]!.errorCode).toBe(0);
}

async function initProducerId(c: KafkaTestClient): Promise<bigint> {
  const r = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  expect(r.errorCode).toBe(0);
  return r.producerId;
}

/** The answers that depend on the producer state: checked before and after restarts. */
async function checkAnswers(c: KafkaTestClient, topic: string, pid: bigint, next: number, offsets: number[]): Promise<void> {
  // The last 5 batches (2 records each) are duplicates answered with their original offsets, nothing appended.
  for (let k = 1; k <= 5; k++) expect(await produce(c, topic, idem(pid, 1, next - 2 * k, 2))).toMatchObject({ errorCode: 0, baseOffset: BigInt(offsets[offsets.length - k]!) });
  // Older: written before, offsets forgotten.
  expect((await produce(c, topic, idem(pid, 1, next - 12, 2))).errorCode).toBe(ErrorCode.DUPLICATE_SEQUENCE_NUMBER);
  expect((await produce(c, topic, idem(pid, 1, 0, 2))).errorCode).toBe(ErrorCode.DUPLICATE_SEQUENCE_NUMBER);
  // A gap, an overlap that is not a repeat, a new epoch not at 0, an old epoch.
  expect((await produce(c, topic, idem(pid, 1, next + 1, 1))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  expect((await produce(c, topic, idem(pid, 1, next - 1, 2))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  expect((await produce(c, topic, idem(pid, 2, 5, 1))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  expect((await produce(c, topic, idem(pid, 0, next, 1))).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
}

describe('sequence and epoch answers survive restarts through the producer snapshot', () => {
  it('clean restart: snapshot loaded, no log read; corrupt snapshot: rebuilt from the log, same answers', async () => {
    const d = join(dir, 'answers');
    let { b, c } = await open(d, { 'log.segment.bytes': '1024' });
    await createTopic(c, 'ans');
    const pid = await initProducerId(c);
    // A producer this partition never saw: any sequence is accepted (KIP-360), never UNKNOWN_PRODUCER_ID.
    expect(await produce(c, 'ans', idem(pid, 1, 1000, 2))).toMatchObject({ errorCode: 0, baseOffset: 0n });
    // From here on it must continue in sequence.
    const offsets: number[] = [0];
    let next = 1002;
    for (let i = 0; i < 40; i++) {
      const r = await produce(c, 'ans', idem(pid, 1, next, 2));
      expect(r.errorCode).toBe(0);
      offsets.push(Number(r.baseOffset));
      next += 2;
    }
    const log = () => b.context.topicRegistry.partitionLog('ans', 0)!;
    expect(log().segmentCount).toBeGreaterThan(2);
    const end = log().logEndOffset;
    await checkAnswers(c, 'ans', pid, next, offsets);
    expect(log().logEndOffset).toBe(end); // nothing was appended by any of those
    c.close();
    await b.close();

    // Clean restart: the close-time snapshot at the log end is loaded, nothing of the log is read.
    ({ b, c } = await open(d, { 'log.segment.bytes': '1024' }));
    expect(log().loadStats.producerState).toEqual({ snapshotOffset: end, corruptSnapshots: 0, replay: { fromOffset: end, batches: 0, bytes: 0 } });
    await checkAnswers(c, 'ans', pid, next, offsets);
    c.close();
    await b.close();

    // Corrupt the newest snapshot and every other one: rebuilt from the whole log, the same answers.
    const pdir = join(d, 'ans-0');
    for (const n of readdirSync(pdir).filter((x) => x.endsWith('.snapshot'))) {
      const bytes = readFileSync(join(pdir, n));
      bytes[bytes.length >> 1] ^= 0x55;
      writeFileSync(join(pdir, n), bytes);
    }
    ({ b, c } = await open(d, { 'log.segment.bytes': '1024' }));
    const st = log().loadStats.producerState;
    expect(st.snapshotOffset).toBe(-1);
    expect(st.corruptSnapshots).toBeGreaterThan(1);
    expect(st.replay.fromOffset).toBe(0);
    await checkAnswers(c, 'ans', pid, next, offsets);
    // The producer carries on where it was.
    expect(await produce(c, 'ans', idem(pid, 1, next, 1))).toMatchObject({ errorCode: 0, baseOffset: BigInt(end) });
    c.close();
    await b.close();
  });

  it('producer.id.expiration.ms: a producer silent for that long is forgotten and may start anywhere', async () => {
    const { b, c } = await open(join(dir, 'expiry'), { 'producer.id.expiration.ms': '1000', 'producer.id.expiration.check.interval.ms': '100' });
    await createTopic(c, 'exp');
    const pid = await initProducerId(c);
    expect((await produce(c, 'exp', idem(pid, 0, 0, 3))).errorCode).toBe(0);
    expect((await produce(c, 'exp', idem(pid, 0, 10, 1))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // Once the periodic check has dropped it (at least 1 s from now), the same gap is accepted.
    const deadline = Date.now() + 15_000;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    let code = -1;
    while (Date.now() < deadline) {
      if (b.context.topicRegistry.partitionLog('exp', 0)!.producerState.entry(pid) === undefined) {
        code = (await produce(c, 'exp', idem(pid, 0, 10, 1))).errorCode;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(code).toBe(0);
    c.close();
    await b.close();
  });
});
