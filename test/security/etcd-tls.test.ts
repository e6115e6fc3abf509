// TLS to etcd (etcd.ssl.*, Kafka's zookeeper.ssl.* for etcd): an etcd that serves https and requires
// client certificates (--client-cert-auth) signed by the test CA. Two in-process brokers with the right
// certificate — one from PEM stores, one from PKCS12 stores — form the cluster and serve a topic with
// replication factor 2 (produced with acks=all and consumed through the project's client); the security
// store connects with the same client options. A broker that talks plaintext, presents a certificate of
// another CA or none, or does not trust etcd's CA, fails to start within seconds with an error naming
// etcd.connect and TLS. etcd.ssl.endpoint.identification.enable checks etcd's host name unless turned off.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../host-node/broker.js';
import { Admin } from '../../host-node/client/admin.js';
import { Cluster } from '../../host-node/client/cluster.js';
import { Consumer } from '../../host-node/client/consumer.js';
import { Producer } from '../../host-node/client/producer.js';
import { BrokerConfig } from '../../host-node/config/index.js';
import { EtcdMetadataStore } from '../../host-node/cluster/metadata-store.js';
import { EtcdSecurityStore } from '../../host-node/cluster/etcd-security-store.js';
import { AclOperation, AclPermissionType, PatternType, ResourceType } from '../../host-node/security/acl.js';
import { keyStoreFileAsPem } from '../../host-node/network/ssl-factory.js';
import { silentLogger } from '../../host-node/util/log.js';
import { startEtcd, type EtcdHandle } from '../helpers/etcd.js';
import { CertDir } from './support/certs.js';

const FAST: Record<string, string> = {
  'broker.session.timeout.ms': '3000',
  'broker.heartbeat.interval.ms': '500',
  'replica.fetch.wait.max.ms': '100',
  'replica.fetch.backoff.ms': '100',
  'controlled.shutdown.enable': 'false',
  'auto.leader.rebalance.enable': 'false',
  'default.replication.factor': '2',
};
const P12_PASSWORD = 'etcd-store-pw';

const certs = new CertDir();
let etcd: EtcdHandle;
const brokers: RunningBroker[] = [];
const dirs: string[] = [];
const clients: Cluster[] = [];

/** etcd.ssl.* with PEM stores of `leaf` (signed by the test CA unless another leaf is named). */
function pemTls(leaf = 'broker'): Record<string, string> {
  return {
    'etcd.ssl.client.enable': 'true',
    'etcd.ssl.keystore.location': certs.path(`${leaf}.pem`),
    'etcd.ssl.truststore.location': certs.path('ca.crt'),
  };
}

function brokerStart(id: number, sets: Record<string, string>, connect = etcd.connect): Promise<RunningBroker> {
  const dir = mkdtempSync(join(tmpdir(), `rivulet-etcd-tls-${id}-`));
  dirs.push(dir);
  return startBroker({ host: '127.0.0.1', port: 0, dataDir: dir, sets: { ...FAST, ...sets, 'etcd.connect': connect, 'node.id': String(id) }, log: silentLogger });
}

/** Starting broker `id` with `sets` fails, within `withinMs`; returns the error's message. */
async function failsToStart(id: number, sets: Record<string, string>, withinMs = 20_000, connect?: string): Promise<string> {
  const t0 = Date.now();
  const r = await brokerStart(id, sets, connect).then(
    async (b) => {
      await b.close();
      return null;
    },
    (e: unknown) => (e as Error).message,
  );
  expect(r, 'the broker started').not.toBeNull();
  expect(Date.now() - t0).toBeLessThan(withinMs);
  return r!;
}

beforeAll(async () => {
  await certs.ca('ca');
  await certs.leaf('ca', 'etcd-server', '/CN=etcd');
  await certs.leaf('ca', 'broker', '/CN=rivulet-broker');
  await certs.pkcs12KeyStore('ca', 'broker', P12_PASSWORD);
  await certs.pkcs12TrustStore('trust', ['ca'], P12_PASSWORD);
  await certs.ca('other-ca');
  await certs.leaf('other-ca', 'stranger', '/CN=stranger');
  etcd = await startEtcd({
    tls: { certFile: certs.path('etcd-server.crt'), keyFile: certs.path('etcd-server.key'), caFile: certs.path('ca.crt'), clientCertFile: certs.path('broker.crt'), clientKeyFile: certs.path('broker.key') },
  });
}, 60_000);

afterAll(async () => {
  for (const k of clients) await k.close().catch(() => {});
  for (const b of brokers.reverse()) await b.close().catch(() => {});
  await etcd?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  certs.remove();
}, 60_000);

describe('brokers with the right client certificate', () => {
  it('form a cluster over TLS (PEM and PKCS12 stores); a topic with RF 2 is produced with acks=all and consumed', async () => {
    expect(etcd.endpoint).toMatch(/^https:\/\//);
    brokers.push(await brokerStart(1, pemTls()));
    brokers.push(
      await brokerStart(2, {
        'etcd.ssl.client.enable': 'true',
        'etcd.ssl.keystore.location': certs.path('broker.p12'),
        'etcd.ssl.keystore.password': P12_PASSWORD,
        'etcd.ssl.truststore.location': certs.path('trust.p12'),
        'etcd.ssl.truststore.type': 'PKCS12',
        'etcd.ssl.truststore.password': P12_PASSWORD,
      }),
    );
    const k = new Cluster({ bootstrapServers: brokers.map((b) => `127.0.0.1:${b.port}`).join(','), clientId: 'etcd-tls-test', retries: 20, retryBackoffMs: 200 });
    clients.push(k);
    const admin = new Admin(k);
    const [created] = await admin.createTopics([{ name: 'secured-meta', numPartitions: 2, replicationFactor: 2 }]);
    expect(created!.replicationFactor).toBe(2);
    let replicas: number[][] = [];
    for (let i = 0; i < 100; i++) {
      const [t] = await admin.describeTopics(['secured-meta']);
      replicas = t!.partitions.map((p) => [...p.isr].sort());
      if (replicas.length === 2 && replicas.every((r) => r.join() === '1,2')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(replicas).toEqual([
      [1, 2],
      [1, 2],
    ]);
    const producer = new Producer(k, { acks: 'all' });
    const N = 200;
    await Promise.all(Array.from({ length: N }, (_, i) => producer.send({ topic: 'secured-meta', key: `k${i}`, value: `v${i}` })));
    await producer.close();
    const consumer = new Consumer(k, { maxWaitMs: 100 });
    await consumer.assignTopics(['secured-meta'], 'earliest');
    const seen = new Set<string>();
    for (let round = 0; round < 200 && seen.size < N; round++) for (const r of await consumer.poll()) seen.add(new TextDecoder().decode(r.value!));
    await consumer.close();
    expect(seen.size).toBe(N);
  }, 60_000);
});

describe('the security store', () => {
  it('connects over TLS with the same client options: an ACL written through one store is seen by another', async () => {
    const tls = { ca: certs.read('ca.crt'), client: { key: certs.read('broker.key'), certChain: certs.read('broker.crt') }, endpointIdentification: true };
    const a = await EtcdSecurityStore.connect(`${etcd.connect}/sec`, { tls });
    const b = await EtcdSecurityStore.connect(`${etcd.connect}/sec`, { tls });
    try {
      await a.updateAcls(
        [{ pattern: { resourceType: ResourceType.TOPIC, name: 'orders', patternType: PatternType.LITERAL }, entry: { principal: 'User:alice', host: '*', operation: AclOperation.WRITE, permissionType: AclPermissionType.ALLOW } }],
        [],
      );
      for (let i = 0; i < 100 && b.current().acls.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(b.current().acls.map((x) => x.entry.principal)).toEqual(['User:alice']);
    } finally {
      await a.close();
      await b.close();
    }
    await expect(EtcdSecurityStore.connect(`${etcd.connect}/sec`, { requestTimeoutMs: 2000 })).rejects.toThrow();
  }, 30_000);
});

describe('brokers that cannot talk to this etcd fail to start with a clear error', () => {
  it('plaintext (etcd.ssl.client.enable not set)', async () => {
    const msg = await failsToStart(3, {});
    expect(msg).toContain(`Cannot reach etcd at http://${etcd.connect} (etcd.connect) plaintext`);
    expect(msg).toContain('etcd.ssl.client.enable=true');
  }, 30_000);

  it('a client certificate of another CA', async () => {
    const msg = await failsToStart(3, pemTls('stranger'));
    expect(msg).toContain(`Cannot reach etcd at https://${etcd.connect} (etcd.connect) over TLS`);
    expect(msg).toMatch(/etcd\.ssl\.keystore\.location/);
    expect(msg).toMatch(/bad certificate/);
  }, 30_000);

  it('no client certificate (etcd requires one)', async () => {
    const msg = await failsToStart(3, { 'etcd.ssl.client.enable': 'true', 'etcd.ssl.truststore.location': certs.path('ca.crt') });
    expect(msg).toContain('over TLS (etcd.ssl.client.enable=true, no client certificate: etcd.ssl.keystore.location not set');
    expect(msg).toMatch(/bad certificate/);
  }, 30_000);

  it("a trust store without etcd's CA", async () => {
    const msg = await failsToStart(3, { ...pemTls(), 'etcd.ssl.truststore.location': certs.path('other-ca.crt') });
    expect(msg).toContain(`Cannot reach etcd at https://${etcd.connect} (etcd.connect) over TLS`);
    expect(msg).toMatch(/unable to verify/);
  }, 30_000);
});

describe('configuration', () => {
  it('etcd.ssl.client.enable without a trust store is refused at load, naming the key', () => {
    expect(() => BrokerConfig.load({ sets: { 'etcd.connect': etcd.connect, 'etcd.ssl.client.enable': 'true' } })).toThrow(/etcd\.ssl\.truststore\.location/);
  });

  it('a wrong PKCS12 password or a missing key store file names the key', async () => {
    const wrongPw = await failsToStart(3, { ...pemTls(), 'etcd.ssl.keystore.location': certs.path('broker.p12'), 'etcd.ssl.keystore.password': 'nope' }, 5000);
    expect(wrongPw).toMatch(/etcd\.ssl\.keystore\.location .*broker\.p12.*wrong password/);
    const missing = await failsToStart(3, { ...pemTls(), 'etcd.ssl.keystore.location': certs.path('absent.pem') }, 5000);
    expect(missing).toMatch(/Cannot read etcd\.ssl\.keystore\.location/);
    const jks = await failsToStart(3, { ...pemTls(), 'etcd.ssl.keystore.type': 'JKS' }, 5000);
    expect(jks).toMatch(/etcd\.ssl\.keystore\.type JKS is not supported/);
  }, 30_000);
});

describe('key stores read for the etcd client', () => {
  it('a PEM key store with an encrypted key is decrypted with etcd.ssl.keystore.password; a wrong one names the key', async () => {
    await certs.openssl('pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', certs.path('broker.key'), '-passout', 'pass:pem-pw', '-out', certs.path('broker-enc.key'));
    writeFileSync(certs.path('broker-enc.pem'), certs.read('broker-enc.key') + certs.read('broker.crt'));
    const store = { location: certs.path('broker-enc.pem'), type: null, locationKey: 'etcd.ssl.keystore.location', typeKey: 'etcd.ssl.keystore.type' };
    const { key, certChain } = keyStoreFileAsPem({ ...store, password: 'pem-pw' });
    expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(certChain).toBe(certs.read('broker.crt').trim() + '\n');
    expect(() => keyStoreFileAsPem({ ...store, password: 'wrong' })).toThrow(/etcd\.ssl\.keystore\.location .*cannot read the private key/);
    // The broker with that store joins the cluster's etcd.
    const b = await brokerStart(4, { ...pemTls(), 'etcd.ssl.keystore.location': certs.path('broker-enc.pem'), 'etcd.ssl.keystore.password': 'pem-pw' });
    await b.close();
  }, 30_000);
});

describe('etcd.ssl.endpoint.identification.enable', () => {
  let named: EtcdHandle | undefined;
  afterAll(async () => {
    await named?.stop();
  });

  it("true (default) refuses an etcd whose certificate does not name 127.0.0.1; false verifies the chain only", async () => {
    // A server certificate for another name only (SAN DNS:etcd.example), signed by the test CA.
    writeFileSync(certs.path('other-name.ext'), 'subjectAltName=DNS:etcd.example\n');
    await certs.openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=etcd.example', '-keyout', certs.path('named.key'), '-out', certs.path('named.csr'));
    await certs.openssl('x509', '-req', '-in', certs.path('named.csr'), '-CA', certs.path('ca.crt'), '-CAkey', certs.path('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', certs.path('other-name.ext'), '-out', certs.path('named.crt'));
    const files = { certFile: certs.path('named.crt'), keyFile: certs.path('named.key'), caFile: certs.path('ca.crt'), clientCertFile: certs.path('broker.crt'), clientKeyFile: certs.path('broker.key') };
    named = await startEtcd({ tls: files });
    const tls = { ca: certs.read('ca.crt'), client: { key: certs.read('broker.key'), certChain: certs.read('broker.crt') } };
    const strict = await EtcdMetadataStore.connect(named.connect, { requestTimeoutMs: 2000, tls: { ...tls, endpointIdentification: true } }).then(
      async (s) => {
        await s.close();
        return 'connected';
      },
      (e: unknown) => (e as Error).message,
    );
    expect(strict).toContain('over TLS');
    expect(strict).toMatch(/altnames/);
    const lax = await EtcdMetadataStore.connect(named.connect, { requestTimeoutMs: 2000, tls: { ...tls, endpointIdentification: false } });
    expect(lax.root).toBe('');
    await lax.close();
  }, 40_000);
});
