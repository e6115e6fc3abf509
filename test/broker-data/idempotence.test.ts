// Idempotent producers: InitProducerId, duplicate batches answered with their original offsets and not
// appended twice, sequence/epoch errors, producer state rebuilt from the log after a restart, and librdkafka
// (confluent-kafka-python) with enable.idempotence=true.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { decodeBatches, encodeBatch } from '../../bindings/node.js';
import { KafkaTestClient, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { PYTHON, run } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rivulet-idem-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function open(dataDir: string): Promise<{ b: TestBroker; c: KafkaTestClient }> {
  const b = await startTestBroker({ dataDir });
  return { b, c: await KafkaTestClient.connect(b.port) };
}

async function createTopic(c: KafkaTestClient, name: string, partitions = 1): Promise<void> {
  const r = await c.request(ApiKey.CreateTopics, 7, { timeoutMs: 10_000, topics: [{ name, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: [] }] });
  expect(r.topics[0]!.errorCode).toBe(0);
}

function idemBatch(producerId: bigint, producerEpoch: number, baseSequence: number, values: string[]): Uint8Array {
  return encodeBatch({ producerId, producerEpoch, baseSequence, records: values.map((v) => ({ value: v, timestamp: 1_700_000_000_000 })) });
}

async function produce(c: KafkaTestClient, topic: string, records: Uint8Array, acks = -1) {
  const r = await c.request(ApiKey.Produce, 9, { acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return r.responses[0]!.partitionResponses[0]!;
}

async function initProducerId(c: KafkaTestClient, transactionalId: string | null = null) {
  return c.request(ApiKey.InitProducerId, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
}

function values(b: TestBroker, topic: string): string[] {
  const log = b.context.topicRegistry.partitionLog(topic, 0)!;
  const out: string[] = [];
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    const bytes = log.readBytes(offset, 64 << 20, 'log_end');
    if (bytes === null) break;
    for (const x of decodeBatches(bytes))
      for (const r of x.records) {
        out.push(Buffer.from(r.value!).toString());
        offset = Number(r.offset) + 1;
      }
  }
  return out;
}

describe('InitProducerId', () => {
  it('hands out distinct producer ids with epoch 0, never reused after a restart; refuses transactional ids', async () => {
    const d = join(dir, 'ids');
    let { b, c } = await open(d);
    const a = await initProducerId(c);
    const a2 = await initProducerId(c);
    expect(a).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    expect(a.producerId).toBeGreaterThanOrEqual(0n);
    expect(a2.producerId).not.toBe(a.producerId);
    const t = await initProducerId(c, 'txn-1');
    expect(t.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    // v0 too.
    const v0 = await c.request(ApiKey.InitProducerId, 0, { transactionalId: null, transactionTimeoutMs: 1000 });
    expect(v0.errorCode).toBe(0);
    c.close();
    await b.close();
    ({ b, c } = await open(d));
    const after = await initProducerId(c);
    expect(after.producerId).toBeGreaterThan(v0.producerId);
    c.close();
    await b.close();
  });
});

describe('duplicate and out-of-order batches', () => {
  it('answers a repeated batch with its original offset without appending it, and rebuilds the state after a restart', async () => {
    const d = join(dir, 'dups');
    let { b, c } = await open(d);
    await createTopic(c, 'idem');
    const { producerId: pid } = await initProducerId(c);
    const b0 = idemBatch(pid, 0, 0, ['a', 'b', 'c']);
    const b1 = idemBatch(pid, 0, 3, ['d', 'e']);
    expect(await produce(c, 'idem', b0)).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await produce(c, 'idem', b0)).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await produce(c, 'idem', b1)).toMatchObject({ errorCode: 0, baseOffset: 3n });
    expect(await produce(c, 'idem', b1, 1)).toMatchObject({ errorCode: 0, baseOffset: 3n });
    expect(await produce(c, 'idem', b0)).toMatchObject({ errorCode: 0, baseOffset: 0n });
    // A gap and an overlap that is not an exact repeat.
    expect((await produce(c, 'idem', idemBatch(pid, 0, 9, ['x']))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect((await produce(c, 'idem', idemBatch(pid, 0, 4, ['y', 'z']))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // A non-idempotent batch in between is fine.
    expect(await produce(c, 'idem', encodeBatch({ records: [{ value: 'plain' }] }))).toMatchObject({ errorCode: 0, baseOffset: 5n });
    expect(values(b, 'idem')).toEqual(['a', 'b', 'c', 'd', 'e', 'plain']);
    c.close();
    await b.close();

    // After a restart the state comes back from the log.
    ({ b, c } = await open(d));
    expect(await produce(c, 'idem', b1)).toMatchObject({ errorCode: 0, baseOffset: 3n });
    expect((await produce(c, 'idem', idemBatch(pid, 0, 9, ['x']))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await produce(c, 'idem', idemBatch(pid, 0, 5, ['f']))).toMatchObject({ errorCode: 0, baseOffset: 6n });
    // A new epoch starts at 0 and fences the old one.
    expect((await produce(c, 'idem', idemBatch(pid, 1, 6, ['g']))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await produce(c, 'idem', idemBatch(pid, 1, 0, ['g']))).toMatchObject({ errorCode: 0, baseOffset: 7n });
    expect((await produce(c, 'idem', idemBatch(pid, 0, 6, ['h']))).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(values(b, 'idem')).toEqual(['a', 'b', 'c', 'd', 'e', 'plain', 'f', 'g']);
    c.close();
    await b.close();
  });
});

describe('librdkafka (confluent-kafka-python) with enable.idempotence=true', () => {
  it('produces every record exactly once, with a producer id on every batch', async () => {
    const d = join(dir, 'rdkafka');
    const { b, c } = await open(d);
    await createTopic(c, 'rdk-idem', 1);
    const n = 5000;
    const script = join(dir, 'idem.py');
    writeFileSync(
      script,
      `import json, sys
from confluent_kafka import Producer
port, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
p = Producer({'bootstrap.servers': f'127.0.0.1:{port}', 'enable.idempotence': True, 'linger.ms': 5, 'batch.num.messages': 100})
errs = []
for i in range(n):
    p.produce(topic, value=f'v{i}'.encode(), partition=0, on_delivery=lambda err, msg: errs.append(str(err)) if err else None)
    if i % 500 == 0:
        p.poll(0)
left = p.flush(60)
print(json.dumps({'left': left, 'errors': errs[:3], 'nerrors': len(errs)}))
`,
    );
    const r = await run(PYTHON, [script, String(b.port), 'rdk-idem', String(n)], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.toString().trim().split('\n').pop()!);
    expect(out).toEqual({ left: 0, errors: [], nerrors: 0 });
    const log = b.context.topicRegistry.partitionLog('rdk-idem', 0)!;
    const batches = decodeBatches(log.readBytes(0, 64 << 20, 'log_end')!);
    for (const x of batches) expect(x.producerId).toBeGreaterThanOrEqual(0n);
    const got = batches.flatMap((x) => x.records.map((rec) => Buffer.from(rec.value!).toString()));
    expect(got).toEqual(Array.from({ length: n }, (_, i) => `v${i}`));
    c.close();
    await b.close();
  }, 150_000);
});
