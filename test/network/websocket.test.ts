// The Kafka protocol over WebSocket (ws.port): one request frame per binary message, one response per
// message, the same dispatcher/limits/ordering as TCP, and framing violations that close only that socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { ZERO_UUID } from '../../protocol/wire/uuid.js';
import { decodeBatches, encodeBatch } from '../../bindings/node.js';
import { KafkaTestClient, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { frame } from '../helpers/raw-client.js';
import { WsClient } from '../helpers/ws-client.js';
import { BrokerConfig } from '../../host-node/config/index.js';
import type { Connection } from '../../host-node/network/connection.js';
import { main } from '../../host-node/cli/main.js';

const MAX_REQUEST = 64 * 1024;
let broker: TestBroker;
let wsPort: number;
beforeAll(async () => {
  broker = await startTestBroker({ sets: { 'ws.port': 0, 'socket.request.max.bytes': MAX_REQUEST } });
  wsPort = broker.ws!.port;
});
afterAll(async () => {
  await broker?.close();
});

async function apiVersionsOk(c: WsClient | KafkaTestClient): Promise<void> {
  const r = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'ws', clientSoftwareVersion: '1' });
  expect(r.errorCode).toBe(0);
}

describe('Kafka over WebSocket', () => {
  it('is off by default and binds 127.0.0.1 when on', async () => {
    const other = await startTestBroker();
    try {
      expect(other.ws).toBeUndefined();
    } finally {
      await other.close();
    }
    expect(broker.ws!.host).toBe('127.0.0.1');
    expect(broker.ws!.port).toBeGreaterThan(0);
  });

  it('ws.port / ws.host config and the --ws-port flag', async () => {
    expect(BrokerConfig.load({}).get('ws.port')).toBe(-1);
    expect(BrokerConfig.load({}).get('ws.host')).toBe('127.0.0.1');
    expect(BrokerConfig.load({ sets: { 'ws.port': '9093' }, flags: { wsPort: 0 } }).get('ws.port')).toBe(0);
    expect(() => BrokerConfig.load({ sets: { 'ws.port': '70000' } })).toThrow(/ws.port/);
    expect(() => BrokerConfig.load({ flags: { wsPort: -2 } })).toThrow(/--ws-port/);
    const err = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await main(['broker', '--ws-port', 'abc'])).toBe(2);
    } finally {
      process.stderr.write = err;
    }
  });

  it('answers ApiVersions and Metadata', async () => {
    const c = await WsClient.connect(wsPort);
    const av = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'ws', clientSoftwareVersion: '1' });
    expect(av.errorCode).toBe(0);
    expect(av.apiKeys.map((k) => k.apiKey)).toEqual(expect.arrayContaining([0, 1, 3, 18]));
    const md = await c.request(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(md.brokers.map((b) => b.nodeId)).toEqual([broker.nodeId]);
    expect(md.clusterId).toBe(broker.clusterId);
    c.close();
  });

  it('creates a topic, produces and fetches records back', async () => {
    const c = await WsClient.connect(wsPort);
    const ct = await c.request(ApiKey.CreateTopics, 7, {
      timeoutMs: 10_000,
      topics: [{ name: 'ws-rt', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }],
    });
    expect(ct.topics[0]!.errorCode).toBe(0);
    const records = encodeBatch({ records: [0, 1, 2].map((i) => ({ key: `k${i}`, value: `v${i}`, timestamp: 1_700_000_000_000 + i })) });
    for (let round = 0; round < 2; round++) {
      const pr = await c.request(ApiKey.Produce, 9, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'ws-rt', partitionData: [{ index: 0, records }] }] });
      const p = pr.responses[0]!.partitionResponses[0]!;
      expect(p.errorCode).toBe(0);
      expect(p.baseOffset).toBe(BigInt(round * 3));
    }
    const fr = await c.request(ApiKey.Fetch, 12, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: 'ws-rt', topicId: ZERO_UUID, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, logStartOffset: -1n, currentLeaderEpoch: -1 }] }],
    });
    const part = fr.responses[0]!.partitions[0]!;
    expect(part.errorCode).toBe(0);
    expect(part.highWatermark).toBe(6n);
    const got = decodeBatches(part.records!).flatMap((b) => b.records.map((r) => [Number(r.offset), Buffer.from(r.value!).toString()]));
    expect(got).toEqual([0, 1, 2, 0, 1, 2].map((v, i) => [i, `v${v}`]));
    c.close();
  });

  it('answers pipelined requests in order, one message each', async () => {
    const c = await WsClient.connect(wsPort);
    const sent: Array<[number, 'av' | 'md']> = [];
    for (let i = 0; i < 50; i++) {
      if (i % 2 === 0) sent.push([c.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'ws', clientSoftwareVersion: '1' }), 'av']);
      else sent.push([c.send(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }), 'md']);
    }
    for (const [corr, kind] of sent) {
      const r = kind === 'av' ? await c.recv(ApiKey.ApiVersions, 3) : await c.recv(ApiKey.Metadata, 12);
      expect(r.correlationId).toBe(corr);
    }
    c.close();
  });

  describe('refusals close only the offending WebSocket', () => {
    const cases: Array<[string, (c: WsClient) => void, number]> = [
      ['a text message', (c) => c.sendRaw('hello'), 1003],
      ['a message shorter than a size prefix', (c) => c.sendRaw(Buffer.from([0, 0])), 1002],
      ['a size prefix larger than the message', (c) => c.sendRaw(Buffer.from([0, 0, 0, 10, 1, 2])), 1002],
      ['two frames in one message', (c) => c.sendRaw(Buffer.concat([frame(Buffer.alloc(8)), frame(Buffer.alloc(8))])), 1002],
      ['a negative size prefix', (c) => c.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xff])), 1002],
      ['a garbage request in a well-formed frame', (c) => c.sendRaw(frame(Buffer.from('not a kafka request header at all'))), 1002],
      ['a message above socket.request.max.bytes', (c) => c.sendRaw(frame(Buffer.alloc(MAX_REQUEST + 1))), 1009],
      ['a size prefix above socket.request.max.bytes', (c) => { const b = Buffer.alloc(64); b.writeInt32BE(MAX_REQUEST + 100); c.sendRaw(b); }, 1009],
    ];
    for (const [what, send, code] of cases) {
      it(`${what} → close ${code}`, async () => {
        const tcp = await KafkaTestClient.connect(broker.port);
        const good = await WsClient.connect(wsPort);
        const bad = await WsClient.connect(wsPort);
        await apiVersionsOk(bad);
        send(bad);
        expect(await bad.waitClosed()).toBe(true);
        expect(bad.closeCode).toBe(code);
        await apiVersionsOk(good);
        await apiVersionsOk(tcp);
        // And a fresh WebSocket still works.
        const again = await WsClient.connect(wsPort);
        await apiVersionsOk(again);
        for (const c of [good, again]) c.close();
        tcp.close();
      });
    }
  });

  it('stops reading while the client does not read its responses, and catches up when it does', async () => {
    const conns: Connection[] = [];
    const b = await startTestBroker({ sets: { 'ws.port': 0 }, onConnection: (c) => conns.push(c) });
    try {
      const c = await WsClient.connect(b.ws!.port);
      await c.request(ApiKey.CreateTopics, 7, { timeoutMs: 10_000, topics: [{ name: 'bp', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }] });
      const big = encodeBatch({ records: [{ value: Buffer.alloc(200_000, 7) }] });
      const pr = await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'bp', partitionData: [{ index: 0, records: big }] }] });
      expect(pr.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      const conn = conns.find((x) => x.listenerName === 'WEBSOCKET')!;
      c.ws.pause();
      const n = 200;
      const fetch = {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'bp', topicId: ZERO_UUID, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, logStartOffset: -1n, currentLeaderEpoch: -1 }] }],
      };
      const sent: number[] = [];
      for (let i = 0; i < n; i++) sent.push(c.send(ApiKey.Fetch, 12, fetch));
      let sawPaused = false;
      for (let i = 0; i < 500 && !sawPaused; i++) {
        sawPaused = conn.readPaused;
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(sawPaused).toBe(true);
      c.ws.resume();
      for (const corr of sent) {
        const r = await c.recv(ApiKey.Fetch, 12);
        expect(r.correlationId).toBe(corr);
        expect(r.body.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(200_000);
      }
      c.close();
    } finally {
      await b.close();
    }
  });

  it('closes idle WebSockets after connections.max.idle.ms', async () => {
    const b = await startTestBroker({ sets: { 'ws.port': 0, 'connections.max.idle.ms': 200 } });
    try {
      const c = await WsClient.connect(b.ws!.port);
      await apiVersionsOk(c);
      expect(await c.waitClosed(3000)).toBe(true);
      expect(c.closeCode).toBe(1001);
    } finally {
      await b.close();
    }
  });

  it('a broker shutdown closes WebSockets and the listener', async () => {
    const b = await startTestBroker({ sets: { 'ws.port': 0 } });
    const c = await WsClient.connect(b.ws!.port);
    await apiVersionsOk(c);
    await b.close();
    expect(await c.waitClosed(3000)).toBe(true);
  });
});
