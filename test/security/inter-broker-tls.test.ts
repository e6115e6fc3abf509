// Brokers replicating over TLS: three in-process brokers on a real etcd whose only listener is SSL with
// ssl.client.auth=required (security.inter.broker.protocol=SSL): followers connect to the leader's SSL
// endpoint with their own key store as client certificate, so an RF 3 topic fills its ISR, acks=all
// produces succeed, and a follower that restarts catches up. The Rivulet client connects with SSL and a
// client certificate too; a client without one is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../host-node/client/admin.js';
import { Cluster, type TopicInfo } from '../../host-node/client/cluster.js';
import { Producer } from '../../host-node/client/producer.js';
import type { ClientSecurityOptions } from '../../host-node/client/security.js';
import { BrokerConfig } from '../../host-node/config/broker-config.js';
import { InProcessCluster, until } from '../cluster/support/in-process-cluster.js';
import { CertDir } from './support/certs.js';

let certs: CertDir;
let c: InProcessCluster;
let security: ClientSecurityOptions;
const clusters: Cluster[] = [];

beforeAll(async () => {
  certs = new CertDir();
  await certs.ca('ca');
  await certs.leaf('ca', 'broker', '/O=rivulet/CN=broker');
  await certs.leaf('ca', 'client', '/O=rivulet/CN=client');
  c = await InProcessCluster.start({
    sets: {
      listeners: 'SSL://127.0.0.1:0',
      'security.inter.broker.protocol': 'SSL',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.path('broker.pem'),
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': certs.path('ca.crt'),
      'ssl.client.auth': 'required',
      'broker.session.timeout.ms': '2000',
      'broker.heartbeat.interval.ms': '500',
      'replica.fetch.wait.max.ms': '100',
      'replica.fetch.backoff.ms': '100',
      'controlled.shutdown.retry.backoff.ms': '1000',
      'auto.leader.rebalance.enable': 'false',
    },
  });
  security = { protocol: 'SSL', ssl: { ca: certs.read('ca.crt'), cert: certs.read('client.crt'), key: certs.read('client.key') } };
}, 60_000);

afterAll(async () => {
  await Promise.all(clusters.map((k) => k.close().catch(() => undefined)));
  await c?.close();
  certs?.remove();
});

function client(sec: ClientSecurityOptions = security): Cluster {
  const k = new Cluster({ bootstrapServers: c.bootstrap(), clientId: 'inter-broker-tls-test', retries: 20, retryBackoffMs: 200, security: sec });
  clusters.push(k);
  return k;
}

async function describeTopic(name: string): Promise<TopicInfo> {
  const [t] = await new Admin(client()).describeTopics([name]);
  return t!;
}

describe('inter-broker TLS (SSL listener, ssl.client.auth=required)', () => {
  it('replicates an RF 3 topic with acks=all, and a restarted follower catches up', async () => {
    await new Admin(client()).createTopics([{ name: 'tls-replicated', numPartitions: 1, replicationFactor: 3 }]);
    await until('an ISR of 3', async () => (await describeTopic('tls-replicated')).partitions[0]?.isr.length === 3, 30_000);

    const producer = new Producer(client(), { acks: -1 });
    const first = await producer.sendAll(Array.from({ length: 100 }, (_, i) => ({ topic: 'tls-replicated', partition: 0, value: `a-${i}` })));
    expect(first.at(-1)!.offset).toBe(99n);
    await until('every replica has the records', () => c.brokers().every((b) => b.context.topicRegistry.partitionLog('tls-replicated', 0)?.logEndOffset === 100), 20_000);

    const { leader } = (await describeTopic('tls-replicated')).partitions[0]!;
    const follower = c.ids.find((id) => id !== leader)!;
    await c.stopNode(follower);
    const second = await producer.sendAll(Array.from({ length: 100 }, (_, i) => ({ topic: 'tls-replicated', partition: 0, value: `b-${i}` })));
    expect(second.at(-1)!.offset).toBe(199n);
    await c.startNode(follower);
    await until(`broker ${follower} back in the ISR`, async () => (await describeTopic('tls-replicated')).partitions[0]!.isr.includes(follower), 30_000);
    await until('the restarted follower caught up', () => c.broker(follower).context.topicRegistry.partitionLog('tls-replicated', 0)?.logEndOffset === 200, 20_000);
    expect((await describeTopic('tls-replicated')).partitions[0]!.isr.slice().sort()).toEqual([1, 2, 3]);
    await producer.close();
  });

  it('refuses a client without a certificate', async () => {
    const k = new Cluster({ bootstrapServers: c.bootstrap(), clientId: 'no-cert', retries: 0, security: { protocol: 'SSL', ssl: { ca: certs.read('ca.crt') } } });
    clusters.push(k);
    await expect(k.connect()).rejects.toThrow();
  });
});

describe('inter-broker listener configs (Kafka\'s rules, in a cluster)', () => {
  const load = (sets: Record<string, string>) => () => BrokerConfig.load({ sets: { 'etcd.connect': '127.0.0.1:1', ...sets } });

  it('refuses both keys set, and a listener that is not advertised', () => {
    expect(load({ listeners: 'SSL://:9093', 'inter.broker.listener.name': 'SSL', 'security.inter.broker.protocol': 'SSL' })).toThrow(/Only one of inter.broker.listener.name and security.inter.broker.protocol should be set/);
    expect(load({ listeners: 'SSL://:9093' })).toThrow(/security.inter.broker.protocol must be a listener name defined in advertised.listeners.*SSL/);
    expect(load({ listeners: 'PLAINTEXT://:9092', 'inter.broker.listener.name': 'INTERNAL' })).toThrow(/inter.broker.listener.name must be a listener name defined in advertised.listeners/);
  });

  it('names the listener by inter.broker.listener.name or by security.inter.broker.protocol, PLAINTEXT by default', () => {
    expect(load({ listeners: 'PLAINTEXT://:9092,INTERNAL://:9094', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:SSL', 'inter.broker.listener.name': 'internal' })().interBrokerListenerName).toBe('INTERNAL');
    expect(load({ listeners: 'PLAINTEXT://:9092,SSL://:9093', 'security.inter.broker.protocol': 'SSL' })().interBrokerListenerName).toBe('SSL');
    expect(load({ listeners: 'PLAINTEXT://:9092,SSL://:9093' })().interBrokerListenerName).toBe('PLAINTEXT');
    // A single broker has no links to other brokers: any listeners will do.
    expect(() => BrokerConfig.load({ sets: { listeners: 'SSL://:9093' } })).not.toThrow();
  });
});
