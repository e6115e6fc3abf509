// Internal topics take no client appends: a Produce to __consumer_offsets (kcat, Rivulet's producer, a raw
// request, `rivulet produce`) gets INVALID_TOPIC_EXCEPTION per partition and leaves the log as it was, while
// the group coordinator's own writes (through storage) go on.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { Producer } from '../../host-node/client/producer.js';
import { KafkaProtocolError } from '../../client/errors.js';
import { run as produceTool } from '../../host-node/cli/produce.js';
import type { ToolIO } from '../../host-node/cli/client-tool.js';
import { startDataBroker, run, type DataBroker } from './helpers.js';
import type { KafkaTestClient } from '../helpers/broker.js';

const OFFSETS = '__consumer_offsets';

let b: DataBroker;
let c: KafkaTestClient;
const bootstrap = () => `127.0.0.1:${b.port}`;

beforeAll(async () => {
  b = await startDataBroker();
  await b.topics.create('orders', 1);
  c = await b.client();
  await commit('g-internal', 1n); // the coordinator creates __consumer_offsets on the first commit
  expect(offsetsLogEnds().some((end) => end > 0), 'the first commit is in the log').toBe(true);
});
afterAll(async () => {
  await b?.close();
});

async function commit(groupId: string, offset: bigint): Promise<void> {
  const r = await c.request(ApiKey.OffsetCommit, 8, {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: offset }] }],
  });
  expect(r.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
}

async function committed(groupId: string): Promise<bigint> {
  const r = await c.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId, topics: [{ name: 'orders', partitionIndexes: [0] }] }] });
  return r.groups[0]!.topics[0]!.partitions[0]!.committedOffset;
}

/** The log end offset of every __consumer_offsets partition. */
function offsetsLogEnds(): number[] {
  const t = b.topics.topicByName(OFFSETS);
  expect(t, `${OFFSETS} exists`).toBeDefined();
  expect(t!.partitions).toBeGreaterThan(0);
  const ends: number[] = [];
  for (let p = 0; p < t!.partitions; p++) ends.push(b.topics.log(OFFSETS, p).logEndOffset);
  return ends;
}

describe('internal topics refuse client Produce', () => {
  it('kcat -P -t __consumer_offsets is refused and appends nothing', async () => {
    const before = offsetsLogEnds();
    const r = await run('kcat', ['-P', '-b', bootstrap(), '-t', OFFSETS, '-p', '0', '-X', 'message.send.max.retries=0'], { input: 'junk\n', timeoutMs: 60_000 });
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/Invalid topic|INVALID_TOPIC/i);
    expect(offsetsLogEnds()).toEqual(before);
  });

  it('a raw Produce (v3 and v9) answers INVALID_TOPIC_EXCEPTION with Kafka\'s message for every partition', async () => {
    const before = offsetsLogEnds();
    // The record bytes are never read: the topic is refused before its records are checked.
    const junk = new TextEncoder().encode('junk');
    for (const v of [3, 9]) {
      const r = await c.request(ApiKey.Produce, v, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 5000,
        topicData: [{ name: OFFSETS, partitionData: [0, 1].map((index) => ({ index, records: junk })) }],
      });
      const parts = r.responses[0]!.partitionResponses;
      expect(parts.map((p) => p.errorCode)).toEqual([ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.INVALID_TOPIC_EXCEPTION]);
      if (v >= 8) expect(parts[0]!.errorMessage).toBe(`Cannot append to internal topic ${OFFSETS}`);
    }
    expect(offsetsLogEnds()).toEqual(before);
  });

  it("Rivulet's producer gets INVALID_TOPIC_EXCEPTION and appends nothing", async () => {
    const before = offsetsLogEnds();
    const producer = new Producer({ bootstrapServers: bootstrap() }, { lingerMs: 0, retries: 0 });
    try {
      const e = await producer.send({ topic: OFFSETS, partition: 0, value: 'junk' }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(KafkaProtocolError);
      expect((e as KafkaProtocolError).type).toBe('INVALID_TOPIC_EXCEPTION');
      expect((e as KafkaProtocolError).brokerMessage).toBe(`Cannot append to internal topic ${OFFSETS}`);
    } finally {
      await producer.close();
    }
    expect(offsetsLogEnds()).toEqual(before);
  });

  it('`rivulet produce --topic __consumer_offsets` fails with the broker\'s message and appends nothing', async () => {
    const before = offsetsLogEnds();
    let err = '';
    const io: ToolIO = { stdin: Readable.from(['junk\n']), stdout: { write: () => undefined }, stderr: { write: (s: string) => (err += s) } };
    const code = await produceTool(['--bootstrap-server', bootstrap(), '--topic', OFFSETS, '--producer-property', 'retries=0'], io);
    expect(code).toBe(1);
    expect(err).toContain(`Cannot append to internal topic ${OFFSETS}`);
    expect(offsetsLogEnds()).toEqual(before);
  });

  it('groups still commit offsets afterwards (the coordinator appends to __consumer_offsets itself)', async () => {
    const before = offsetsLogEnds().reduce((a, n) => a + n, 0);
    await commit('g-internal', 7n);
    await commit('g-after', 3n);
    expect(await committed('g-internal')).toBe(7n);
    expect(await committed('g-after')).toBe(3n);
    expect(offsetsLogEnds().reduce((a, n) => a + n, 0)).toBeGreaterThan(before);
  });
});
