// The broker's dispatch over a real socket: ApiVersions, Metadata, version negotiation, no-response requests,
// pipelining with real codecs, and refusals that close only the offending connection.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, apis, apiByKey } from '../../protocol/generated/index.js';
import { decodeResponseFrame } from '../../protocol/frame.js';
import { NO_RESPONSE, type ApiHandler } from '../../host-node/server/registry.js';
import { BrokerConfig } from '../../host-node/config/index.js';
import { startBroker } from '../../host-node/broker.js';
import { createLogger, silentLogger } from '../../host-node/util/log.js';
import { KafkaTestClient, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient, frame, sleep } from '../helpers/raw-client.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({
    // Unknown topics stay unknown here (auto-creation is tested in test/admin).
    sets: { 'auto.create.topics.enable': false },
    // A stand-in Produce handler to exercise no-response and out-of-order completion through real codecs:
    // waits timeoutMs, and sends nothing when acks=0.
    // Produce has a real handler now; the stand-in replaces it in the registry's entry.
    configureHandlers: (r) => {
      const standIn: ApiHandler<typeof ApiKey.Produce> = {
        api: apis[ApiKey.Produce],
        async handle(req) {
          if (req.acks === 0) return NO_RESPONSE;
          await sleep(req.timeoutMs);
          return { responses: [], throttleTimeMs: 0 };
        },
      };
      (r.get(ApiKey.Produce) as { handler: ApiHandler }).handler = standIn as unknown as ApiHandler;
    },
  });
});
afterAll(async () => {
  await broker.close();
});

/** ApiVersions request bytes for any version (header v2 when >= 3), built by hand for versions we don't know. */
function rawApiVersions(version: number, correlationId: number, clientId = 'raw'): Buffer {
  const id = Buffer.from(clientId);
  const parts = [Buffer.alloc(8), Buffer.alloc(2), id];
  parts[0]!.writeInt16BE(18, 0);
  parts[0]!.writeInt16BE(version, 2);
  parts[0]!.writeInt32BE(correlationId, 4);
  parts[1]!.writeInt16BE(id.length);
  if (version >= 3) parts.push(Buffer.from([0]), Buffer.from([4, 0x6e, 0x65, 0x77, 2, 0x31, 0]));
  return frame(Buffer.concat(parts));
}

describe('ApiVersions', () => {
  it('v0-v4 answer error 0 with ranges starting at 0 for exactly the registered APIs', async () => {
    const c = await KafkaTestClient.connect(broker.port);
    for (let v = 0; v <= 4; v++) {
      const res = await c.request(ApiKey.ApiVersions, v, { clientSoftwareName: 'vitest', clientSoftwareVersion: '1.0' });
      expect(res.errorCode).toBe(0);
      const keys = res.apiKeys.map((k) => k.apiKey).sort((a, b) => a - b);
      expect(keys).toEqual(broker.context.handlers.supported().map((a) => a.apiKey).sort((a, b) => a - b));
      expect(keys).toEqual(expect.arrayContaining([0, 1, 2, 3, 18, 21, 60])); // Produce is this test's stand-in
      for (const k of res.apiKeys) {
        expect(k.minVersion).toBe(0);
        expect(k.maxVersion).toBe(apiByKey(k.apiKey)!.validVersions[1]);
      }
    }
    c.close();
  });

  it('records client software name/version from v3+', async () => {
    const c = await KafkaTestClient.connect(broker.port);
    await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'my-client', clientSoftwareVersion: '9.8.7' });
    const conn = [...broker.listeners[0]!.connections].find((x) => x.clientSoftwareName === 'my-client');
    expect(conn?.clientSoftwareVersion).toBe('9.8.7');
    expect(conn?.clientId).toBe('rivulet-test');
    const bad = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: '-bad name', clientSoftwareVersion: '1' });
    expect(bad.errorCode).toBe(42);
    c.close();
  });

  it('v127 gets a v0 response with UNSUPPORTED_VERSION and the ranges, and the connection stays usable', async () => {
    const raw = await RawClient.connect(broker.port);
    raw.write(rawApiVersions(127, 77));
    const f = await raw.next();
    // Response header v0 (just the correlation id), body v0.
    const { correlationId, body } = decodeResponseFrame(ApiKey.ApiVersions, 0, f);
    expect(correlationId).toBe(77);
    expect(body.errorCode).toBe(35);
    expect(body.apiKeys.find((k) => k.apiKey === 18)).toEqual(expect.objectContaining({ minVersion: 0, maxVersion: 4 }));
    expect(body.apiKeys.find((k) => k.apiKey === 3)).toEqual(expect.objectContaining({ minVersion: 0, maxVersion: 12 }));
    // The client retries with v3 on the same connection.
    const c = new KafkaTestClient(raw);
    const res = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'retry', clientSoftwareVersion: '1' });
    expect(res.errorCode).toBe(0);
    c.close();
  });

  it('uses response header v0 for the flexible versions too', async () => {
    const raw = await RawClient.connect(broker.port);
    raw.write(rawApiVersions(3, 5));
    const f = await raw.next();
    expect(f.readInt32BE(0)).toBe(5);
    expect(f.readInt16BE(4)).toBe(0); // error code right after the correlation id: no header tagged fields
    raw.close();
  });
});

describe('Metadata', () => {
  it('every version 0-12 names this broker (advertised host/port), the cluster id and the controller', async () => {
    const c = await KafkaTestClient.connect(broker.port);
    const clusterId = /cluster\.id=(.*)/.exec(readFileSync(join(broker.dataDir, 'meta.properties'), 'utf8'))![1];
    expect(clusterId).toBe(broker.clusterId);
    for (let v = 0; v <= 12; v++) {
      const res = await c.request(ApiKey.Metadata, v, { topics: v === 0 ? [] : null });
      expect(res.brokers).toEqual([expect.objectContaining({ nodeId: 1, host: '127.0.0.1', port: broker.port })]);
      if (v >= 1) expect(res.brokers[0]!.rack).toBeNull();
      if (v >= 1) expect(res.controllerId).toBe(1);
      if (v >= 2) expect(res.clusterId).toBe(clusterId);
      expect(res.topics).toEqual([]);
    }
    c.close();
  });

  it('unknown topics get UNKNOWN_TOPIC_OR_PARTITION (by id: UNKNOWN_TOPIC_ID)', async () => {
    const c = await KafkaTestClient.connect(broker.port);
    for (const v of [0, 1, 4, 9, 12]) {
      const res = await c.request(ApiKey.Metadata, v, { topics: [{ name: 'nope' }, { name: 'other' }], allowAutoTopicCreation: true });
      expect(res.topics.map((t) => [t.name, t.errorCode])).toEqual([
        ['nope', 3],
        ['other', 3],
      ]);
    }
    const res = await c.request(ApiKey.Metadata, 12, { topics: [{ name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }] });
    expect(res.topics[0]).toEqual(expect.objectContaining({ name: null, errorCode: 100 }));
    const none = await c.request(ApiKey.Metadata, 1, { topics: [] });
    expect(none.topics).toEqual([]);
    c.close();
  });

  it('returns authorized operations only when asked', async () => {
    const c = await KafkaTestClient.connect(broker.port);
    const asked = await c.request(ApiKey.Metadata, 8, { topics: null, includeClusterAuthorizedOperations: true });
    expect(asked.clusterAuthorizedOperations).toBeGreaterThan(0);
    const not = await c.request(ApiKey.Metadata, 8, { topics: null });
    expect(not.clusterAuthorizedOperations).toBe(-2147483648);
    c.close();
  });
});

describe('DescribeCluster', () => {
  it('v0-1 name the broker, cluster and controller; refuse controller endpoints like Kafka', async () => {
    const c = await KafkaTestClient.connect(broker.port);
    for (const v of [0, 1]) {
      const res = await c.request(ApiKey.DescribeCluster, v, { includeClusterAuthorizedOperations: v === 1 });
      expect(res.errorCode).toBe(0);
      expect(res.clusterId).toBe(broker.clusterId);
      expect(res.controllerId).toBe(1);
      expect(res.brokers).toEqual([expect.objectContaining({ brokerId: 1, host: '127.0.0.1', port: broker.port, rack: null })]);
      expect(res.clusterAuthorizedOperations).toBe(v === 1 ? 8096 : -2147483648);
    }
    expect((await c.request(ApiKey.DescribeCluster, 1, { endpointType: 2 })).errorCode).toBe(114);
    expect((await c.request(ApiKey.DescribeCluster, 1, { endpointType: 9 })).errorCode).toBe(115);
    c.close();
  });
});

describe('dispatch', () => {
  it('pipelined requests are answered in order though handlers finish out of order; acks=0 gets nothing', async () => {
    const c = await KafkaTestClient.connect(broker.port);
    const sent: [number, number, number][] = []; // correlation id, api key, version
    const p = (timeoutMs: number, acks = 1) => sent.push([c.send(ApiKey.Produce, 9, { acks, timeoutMs, topicData: [] }), 0, 9]);
    p(120);
    sent.push([c.send(ApiKey.Metadata, 12, { topics: null }), 3, 12]);
    p(0, 0);
    p(10);
    sent.push([c.send(ApiKey.ApiVersions, 3, {}), 18, 3]);
    p(60);
    p(0, 0);
    const expected = sent.filter(([, k], i) => !(k === 0 && [2, 6].includes(i)));
    for (const [corr, key, v] of expected) {
      const r = await c.recv(key as 0, v);
      expect(r.correlationId).toBe(corr);
    }
    await sleep(50);
    expect(c.raw.received).toBe(0);
    c.close();
  });

  it('garbage, unknown api keys and unsupported versions close only their own connection', async () => {
    const good = await KafkaTestClient.connect(broker.port);
    const cases: Buffer[] = [
      frame(Buffer.from([1, 2, 3])), // shorter than a header
      frame(Buffer.from([0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0, 0])), // unknown api key
      frame(Buffer.from([0, 3, 0, 99, 0, 0, 0, 1, 0, 0])), // Metadata v99
      frame(Buffer.from([0, 24, 0, 0, 0, 0, 0, 1, 0, 0])), // AddPartitionsToTxn: no handler (no transactions yet)
      frame(Buffer.from([0, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 5])), // Metadata v1 with truncated topic array
      Buffer.from([0xff, 0xff, 0xff, 0xff]), // negative size
      Buffer.from([0x7f, 0xff, 0xff, 0xff]), // size above socket.request.max.bytes
    ];
    for (const bytes of cases) {
      const bad = await RawClient.connect(broker.port);
      good.send(ApiKey.Produce, 9, { acks: 1, timeoutMs: 50, topicData: [] }); // in flight meanwhile
      bad.write(bytes);
      expect(await bad.waitClosed(2000)).toBe(true);
      await good.recv(ApiKey.Produce, 9);
      const res = await good.request(ApiKey.Metadata, 12, { topics: null });
      expect(res.brokers[0]!.nodeId).toBe(1);
    }
    good.close();
  });
});

describe('logging', () => {
  it('a refused request is logged with the client id, on stderr-style timestamped lines', async () => {
    const lines: string[] = [];
    const b = await startTestBroker({ log: createLogger('t', 'info', (l) => lines.push(l)) });
    const raw = await RawClient.connect(b.port);
    const id = Buffer.from('naughty-client');
    const h = Buffer.alloc(10);
    h.writeInt16BE(3, 0);
    h.writeInt16BE(99, 2);
    h.writeInt32BE(1, 4);
    h.writeInt16BE(id.length, 8);
    raw.write(frame(Buffer.concat([h, id])));
    expect(await raw.waitClosed(2000)).toBe(true);
    await sleep(20);
    expect(lines.some((l) => /^\d{4}-\d\d-\d\dT.*WARN .*client\.id="naughty-client".*unsupported Metadata version 99/.test(l))).toBe(true);
    await b.close();
  });
});

describe('startBroker', () => {
  it('keeps the cluster id across restarts and refuses a node.id mismatch, naming the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-test-'));
    try {
      const first = await startBroker({ host: '127.0.0.1', port: 0, dataDir: dir, log: silentLogger });
      const id = first.clusterId;
      await first.close();
      const again = await startBroker({ host: '127.0.0.1', port: 0, dataDir: dir, log: silentLogger });
      expect(again.clusterId).toBe(id);
      await again.close();
      await expect(startBroker({ host: '127.0.0.1', port: 0, dataDir: dir, log: silentLogger, sets: { 'node.id': 2 } })).rejects.toThrow(/node\.id/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applies config limits from the config (socket.request.max.bytes)', async () => {
    const b = await startTestBroker({ sets: { 'socket.request.max.bytes': '100' } });
    const raw = await RawClient.connect(b.port);
    raw.write(frame(Buffer.alloc(101)));
    expect(await raw.waitClosed(2000)).toBe(true);
    expect(BrokerConfig.load({ sets: { 'socket.request.max.bytes': 100 } }).get('socket.request.max.bytes')).toBe(100);
    await b.close();
  });
});

describe('Metadata topic hook (for the topic registry)', () => {
  it('lists topics from the TopicMetadataSource and auto-creates through it', async () => {
    const topic = {
      name: 'orders',
      topicId: 'AAAAAAAAAAAAAAAAAAAAAw',
      isInternal: false,
      partitions: [{ partition: 0, leaderId: 1, leaderEpoch: 0, replicas: [1], isr: [1], offlineReplicas: [] }],
    };
    const created: string[] = [];
    const b = await startTestBroker({
      metadata: {
        listTopics: () => [topic],
        topicByName: (n) => (n === topic.name ? topic : undefined),
        topicById: (id) => (id === topic.topicId ? topic : undefined),
        autoCreateTopic: async (name) => {
          created.push(name);
          return name === 'bad!' ? 17 : { ...topic, name };
        },
      },
    });
    const c = await KafkaTestClient.connect(b.port);
    const all = await c.request(ApiKey.Metadata, 12, { topics: null });
    expect(all.topics).toEqual([
      expect.objectContaining({ name: 'orders', errorCode: 0, topicId: topic.topicId, partitions: [expect.objectContaining({ partitionIndex: 0, leaderId: 1, isrNodes: [1] })] }),
    ]);
    const byId = await c.request(ApiKey.Metadata, 12, { topics: [{ name: null, topicId: topic.topicId }] });
    expect(byId.topics[0]!.name).toBe('orders');
    const auto = await c.request(ApiKey.Metadata, 12, { topics: [{ name: 'new-one' }, { name: 'bad!' }, { name: 'orders' }], allowAutoTopicCreation: true });
    expect(auto.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['new-one', 0],
      ['bad!', 17],
      ['orders', 0],
    ]);
    const noAuto = await c.request(ApiKey.Metadata, 12, { topics: [{ name: 'other' }], allowAutoTopicCreation: false });
    expect(noAuto.topics[0]!.errorCode).toBe(3);
    expect(created).toEqual(['new-one', 'bad!']);
    c.close();
    await b.close();
  });
});
