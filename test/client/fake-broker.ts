// A tiny in-test Kafka broker: a TCP server speaking our codecs, dispatching to the FakeCluster's
// handlers, plus its own ApiVersions (the registered ranges) and Metadata (the fake's topics).
import { createServer, type Socket } from 'node:net';
import { decodeRequestFrame, encodeResponseFrame } from '../../protocol/frame.js';
import { ApiKey, apis, apiByKey, type ResponseInputTypes } from '../../protocol/generated/index.js';
import { NO_RESPONSE, type ApiHandler } from '../../host-node/server/registry.js';
import type { RequestContext } from '../../host-node/server/context.js';
import type { TopicMetadata } from '../../host-node/topics/metadata.js';
import { FakeCluster } from './fake-handlers.js';

export interface FakeBroker {
  readonly port: number;
  readonly fake: FakeCluster;
  close(): Promise<void>;
}

export async function startFakeBroker(fake = new FakeCluster()): Promise<FakeBroker> {
  const handlers = new Map<number, { h: ApiHandler; min: number; max: number }>();
  const registry = {
    register<K extends ApiKey>(h: ApiHandler<K>) {
      const api = apiByKey(h.api.apiKey)!;
      handlers.set(h.api.apiKey, { h: h as unknown as ApiHandler, min: h.minVersion ?? api.validVersions[0], max: h.maxVersion ?? api.validVersions[1] });
      return registry;
    },
  };
  let port = 0;
  const topicEntry = (t: TopicMetadata) => ({
    errorCode: 0,
    name: t.name,
    topicId: t.topicId,
    isInternal: t.isInternal,
    partitions: t.partitions.map((p) => ({ errorCode: 0, partitionIndex: p.partition, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, replicaNodes: [...p.replicas], isrNodes: [...p.isr], offlineReplicas: [] })),
  });
  registry.register({ api: apis[ApiKey.ApiVersions], handle: () => ({ errorCode: 0, apiKeys: [...handlers].map(([apiKey, r]) => ({ apiKey, minVersion: r.min, maxVersion: r.max })) }) });
  registry.register({
    api: apis[ApiKey.Metadata],
    minVersion: 1,
    handle: (req) => ({
      brokers: [{ nodeId: fake.nodeId, host: '127.0.0.1', port, rack: null }],
      clusterId: 'fake-cluster',
      controllerId: fake.nodeId,
      topics:
        req.topics === null
          ? [...fake.listTopics()].map(topicEntry)
          : req.topics.map((q) => {
              const name = q.name ?? '';
              let t = fake.topicByName(name);
              if (!t && req.allowAutoTopicCreation && fake.autoCreateTopic) {
                const r = fake.autoCreateTopic(name);
                if (typeof r !== 'number') t = r;
              }
              return t ? topicEntry(t) : { errorCode: 3, name, partitions: [] };
            }),
    }),
  });
  fake.register(registry);

  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    let chain = Promise.resolve();
    s.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = Buffer.from(buf.subarray(4, 4 + buf.readInt32BE(0)));
        buf = buf.subarray(4 + frame.length);
        // Answers go out in request order, as a Kafka broker does per connection.
        chain = chain.then(async () => {
          const req = decodeRequestFrame(frame);
          const entry = handlers.get(req.apiKey);
          if (!entry || req.apiVersion < entry.min || req.apiVersion > entry.max) {
            s.destroy();
            return;
          }
          const ctx = { apiKey: req.apiKey, apiVersion: req.apiVersion, correlationId: req.header.correlationId, clientId: req.header.clientId } as unknown as RequestContext;
          const body = await entry.h.handle(req.body as never, ctx);
          if (body === NO_RESPONSE) return;
          if (!s.destroyed) s.write(encodeResponseFrame(req.apiKey, req.apiVersion, req.header.correlationId, body as ResponseInputTypes[ApiKey]));
        }).catch(() => void s.destroy());
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  return {
    port,
    fake,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
