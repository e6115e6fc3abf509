// Many concurrent client connections on one in-process broker: 300 connections each do
// ApiVersions + Metadata, stay open, and keep sending small Produce and Fetch requests; every request is
// answered without error and no connection is dropped. bench/scale.ts holds 1,000 and measures latency.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../bindings/node.js';
import { Admin, Connection } from '../../host-node/client/index.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const CONNECTIONS = 300;
const ROUNDS = 3;
const TOPIC = 'held';
const PARTITIONS = 8;
let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker();
  const admin = new Admin({ bootstrapServers: `127.0.0.1:${broker.port}` });
  await admin.createTopics([{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 }]);
  await admin.close();
});
afterAll(async () => broker?.close());

describe(`${CONNECTIONS} concurrent connections`, () => {
  it('are all held and served: ApiVersions + Metadata, then Produce and Fetch on each, no errors, none dropped', async () => {
    const conns: Connection[] = [];
    let closedEarly = 0;
    // Open in waves of 50, as a fleet of clients starting up would.
    for (let i = 0; i < CONNECTIONS; i += 50) {
      const wave = await Promise.all(
        Array.from({ length: 50 }, async (_, j) => {
          const c = await Connection.connect({ host: '127.0.0.1', port: broker.port, clientId: `held-${i + j}` });
          const md = await c.send(ApiKey.Metadata, { topics: [{ name: TOPIC, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
          expect(md.topics[0]!.partitions.length).toBe(PARTITIONS);
          c.onClose(() => closedEarly++);
          return c;
        }),
      );
      conns.push(...wave);
    }
    expect(broker.listeners[0]!.connections.size).toBe(CONNECTIONS);
    const topicId = broker.context.topicRegistry.topic(TOPIC)!.topicId;

    const batch = encodeBatch({ records: [{ key: null, value: 'x'.repeat(100) }] });
    let produced = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(
        conns.map(async (c, i) => {
          const partition = i % PARTITIONS;
          const p = await c.send(ApiKey.Produce, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: batch }] }] });
          expect(p.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
          const f = await c.send(ApiKey.Fetch, {
            replicaId: -1,
            maxWaitMs: 0,
            minBytes: 0,
            maxBytes: 1 << 20,
            isolationLevel: 0,
            sessionId: 0,
            sessionEpoch: -1,
            topics: [{ topic: TOPIC, topicId, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 4096 }] }],
            forgottenTopicsData: [],
            rackId: '',
          });
          expect(f.responses[0]!.partitions[0]!.errorCode).toBe(0);
          expect(f.responses[0]!.partitions[0]!.highWatermark).toBeGreaterThan(0n);
        }),
      );
      produced += CONNECTIONS;
    }
    let total = 0;
    for (let p = 0; p < PARTITIONS; p++) total += broker.context.topicRegistry.partitionLog(TOPIC, p)!.logEndOffset;
    expect(total).toBe(produced);
    expect(closedEarly).toBe(0);
    expect(conns.every((c) => c.isOpen)).toBe(true);
    expect(broker.listeners[0]!.connections.size).toBe(CONNECTIONS);
    for (const c of conns) c.close();
  }, 60_000);
});
