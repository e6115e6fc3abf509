// The client against the real in-process broker as it stands (ApiVersions, Metadata, DescribeCluster):
// version negotiation and cluster metadata (broker 1, controller id).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Cluster, KafkaProtocolError, KafkaUnsupportedVersionError } from '../../host-node/client/index.js';
import { apiByKey, ApiKey } from '../../protocol/generated/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker.close();
});

describe('client ↔ real broker', () => {
  it('negotiates versions: the highest both sides support', async () => {
    const cluster = new Cluster({ bootstrapServers: `127.0.0.1:${broker.port}` });
    try {
      const conn = await cluster.anyConnection();
      const advertised = conn.brokerVersions;
      expect(advertised.get(ApiKey.ApiVersions)).toBeDefined();
      expect(advertised.get(ApiKey.Metadata)).toBeDefined();
      for (const [apiKey, [, max]] of advertised) {
        const ours = conn.clientRange(apiKey as ApiKey);
        if (ours) expect(conn.version(apiKey as ApiKey)).toBe(Math.min(max, ours[1]));
      }
      expect(conn.version(ApiKey.Metadata)).toBe(Math.min(advertised.get(ApiKey.Metadata)![1], apiByKey(ApiKey.Metadata)!.validVersions[1]));
      // APIs the broker does not advertise fail before anything is sent, with a clear message.
      if (!advertised.has(ApiKey.DescribeAcls)) expect(() => conn.version(ApiKey.DescribeAcls)).toThrow(KafkaUnsupportedVersionError);
    } finally {
      await cluster.close();
    }
  });

  it('reads Metadata: broker 1 at the bound address, controller 1, the cluster id', async () => {
    const cluster = new Cluster({ bootstrapServers: [`127.0.0.1:${broker.port}`] });
    try {
      const md = await cluster.connect();
      expect(md.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: broker.port, rack: null }]);
      expect(md.controllerId).toBe(1);
      expect(md.clusterId).toBe(broker.clusterId);
      expect(cluster.controllerId).toBe(1);
      const admin = new Admin(cluster);
      expect(await admin.describeCluster()).toEqual({ clusterId: broker.clusterId, controllerId: 1, brokers: md.brokers });
      // The controller connection is the broker's own (shared with the bootstrap one: same host:port).
      expect((await cluster.controllerConnection()).port).toBe(broker.port);
    } finally {
      await cluster.close();
    }
  });

  it('lists topics and reports unknown ones by Kafka error name', async () => {
    const admin = new Admin({ bootstrapServers: `127.0.0.1:${broker.port}` });
    try {
      expect(Array.isArray(await admin.listTopics())).toBe(true);
      const err = await admin.describeTopics(['no-such-topic']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KafkaProtocolError);
      expect((err as KafkaProtocolError).type).toBe('UNKNOWN_TOPIC_OR_PARTITION');
      expect((err as KafkaProtocolError).code).toBe(3);
    } finally {
      await admin.close();
    }
  });
});
