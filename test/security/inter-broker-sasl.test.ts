// Brokers replicating over SASL_SSL: three in-process brokers on a real etcd whose only listener is SASL_SSL
// with PLAIN (security.inter.broker.protocol=SASL_SSL, sasl.mechanism.inter.broker.protocol=PLAIN). Followers
// log in to the leader with the username and password of the listener's JAAS config, as Kafka's brokers do,
// so an RF 3 topic fills its ISR and acks=all produces succeed; the Rivulet client authenticates with its own
// user, and a wrong password is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../host-node/client/admin.js';
import { Cluster, type TopicInfo } from '../../host-node/client/cluster.js';
import { Producer } from '../../host-node/client/producer.js';
import type { ClientSecurityOptions } from '../../host-node/client/security.js';
import { InProcessCluster, until } from '../cluster/support/in-process-cluster.js';
import { CertDir } from './support/certs.js';

let certs: CertDir;
let c: InProcessCluster;
const clusters: Cluster[] = [];
const alice = (password = 'alice-secret'): ClientSecurityOptions => ({
  protocol: 'SASL_SSL',
  ssl: { ca: certs.read('ca.crt') },
  sasl: { mechanism: 'PLAIN', username: 'alice', password },
});

beforeAll(async () => {
  certs = new CertDir();
  await certs.ca('ca');
  await certs.leaf('ca', 'broker', '/O=rivulet/CN=broker');
  c = await InProcessCluster.start({
    sets: {
      listeners: 'SASL_SSL://127.0.0.1:0',
      'security.inter.broker.protocol': 'SASL_SSL',
      'sasl.mechanism.inter.broker.protocol': 'PLAIN',
      'sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.sasl_ssl.plain.sasl.jaas.config':
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" user_broker="broker-secret" user_alice="alice-secret";',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.path('broker.pem'),
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': certs.path('ca.crt'),
      'broker.session.timeout.ms': '2000',
      'broker.heartbeat.interval.ms': '500',
      'replica.fetch.wait.max.ms': '100',
      'replica.fetch.backoff.ms': '100',
      'auto.leader.rebalance.enable': 'false',
    },
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(clusters.map((k) => k.close().catch(() => undefined)));
  await c?.close();
  certs?.remove();
});

function client(security = alice()): Cluster {
  const k = new Cluster({ bootstrapServers: c.bootstrap(), clientId: 'inter-broker-sasl-test', retries: 20, retryBackoffMs: 200, security });
  clusters.push(k);
  return k;
}

async function describeTopic(name: string): Promise<TopicInfo> {
  const [t] = await new Admin(client()).describeTopics([name]);
  return t!;
}

describe('inter-broker SASL_SSL (PLAIN)', () => {
  it('replicates an RF 3 topic with acks=all: followers log in with the listener\'s JAAS credentials', async () => {
    await new Admin(client()).createTopics([{ name: 'sasl-replicated', numPartitions: 1, replicationFactor: 3 }]);
    await until('an ISR of 3', async () => (await describeTopic('sasl-replicated')).partitions[0]?.isr.length === 3, 30_000);
    const producer = new Producer(client(), { acks: -1 });
    const sent = await producer.sendAll(Array.from({ length: 50 }, (_, i) => ({ topic: 'sasl-replicated', partition: 0, value: `v-${i}` })));
    expect(sent.at(-1)!.offset).toBe(49n);
    await until('every replica has the records', () => c.brokers().every((b) => b.context.topicRegistry.partitionLog('sasl-replicated', 0)?.logEndOffset === 50), 20_000);
    expect((await describeTopic('sasl-replicated')).partitions[0]!.isr.slice().sort()).toEqual([1, 2, 3]);
    await producer.close();
  });

  it('refuses a client with a wrong password', async () => {
    const k = new Cluster({ bootstrapServers: c.bootstrap(), clientId: 'wrong', retries: 0, security: alice('nope') });
    clusters.push(k);
    await expect(k.connect()).rejects.toThrow(/SASL_AUTHENTICATION_FAILED|Authentication failed/);
  });
});
