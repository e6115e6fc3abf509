// TLS beyond PEM files: PKCS12 key and trust stores on an SSL listener (JKS refused naming PKCS12/PEM, a
// wrong store password refused at start); the verified client certificate as the connection's principal
// through ssl.principal.mapping.rules; the key store reloaded through IncrementalAlterConfigs / AlterConfigs
// on the BROKER resource (KIP-226) while existing connections keep going; the rivulet CLI tools over SSL
// with --command-config (a PKCS12 trust store and a PEM key store, as Kafka client properties).
import { writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, ConfigResourceType } from '../../host-node/client/admin.js';
import { Connection } from '../../host-node/client/connection.js';
import type { ClientSecurityOptions } from '../../host-node/client/security.js';
import type { Connection as ServerConnection } from '../../host-node/network/connection.js';
import { KafkaProtocolError } from '../../client/errors.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { run as topicsTool } from '../../host-node/cli/topics.js';
import { run as produceTool } from '../../host-node/cli/produce.js';
import { run as consumeTool } from '../../host-node/cli/consume.js';
import { clientSecurityFromProperties } from '../../host-node/cli/command-config.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { tool } from '../helpers/cli-tool.js';
import { CertDir } from './support/certs.js';

let certs: CertDir;
const brokers: TestBroker[] = [];
const portOf = (b: TestBroker, name: string): number => b.listeners.find((l) => l.name === name)!.port;

beforeAll(async () => {
  certs = new CertDir();
  await certs.ca('ca');
  await certs.ca('ca2');
  await certs.leaf('ca', 'server', '/O=rivulet/CN=server');
  await certs.leaf('ca2', 'server-renewed', '/O=rivulet/CN=server');
  await certs.leaf('ca', 'server-other', '/O=rivulet/CN=impostor');
  await certs.leaf('ca', 'alice', '/O=acme/OU=eng/CN=Alice');
  await certs.leaf('ca', 'bob', '/O=acme/OU=ops/CN=bob');
  await certs.pkcs12KeyStore('ca', 'server', 'ks-pass');
  await certs.pkcs12TrustStore('trust', ['ca'], 'ts-pass');
  await certs.pkcs12TrustStore('trust-both', ['ca', 'ca2'], 'ts-pass');
}, 60_000);

afterAll(async () => {
  await Promise.all(brokers.map((b) => b.close()));
  certs?.remove();
});

async function broker(sets: Record<string, string>, onConnection?: (c: ServerConnection) => void): Promise<TestBroker> {
  const b = await startTestBroker({ sets: { listeners: 'SSL://127.0.0.1:0', ...sets }, onConnection });
  brokers.push(b);
  return b;
}

const pkcs12Stores = {
  'ssl.keystore.type': 'PKCS12',
  'ssl.keystore.location': '',
  'ssl.keystore.password': 'ks-pass',
  'ssl.truststore.type': 'PKCS12',
  'ssl.truststore.location': '',
  'ssl.truststore.password': 'ts-pass',
};
const p12 = (): Record<string, string> => ({ ...pkcs12Stores, 'ssl.keystore.location': certs.path('server.p12'), 'ssl.truststore.location': certs.path('trust.p12') });

const asClient = (leaf: string | null, ca = 'ca.crt'): ClientSecurityOptions => ({
  protocol: 'SSL',
  ssl: { ca: certs.read(ca), ...(leaf === null ? {} : { cert: certs.read(`${leaf}.crt`), key: certs.read(`${leaf}.key`) }) },
});

describe('PKCS12 stores', () => {
  it('serve an SSL listener with mutual TLS; the client certificate is the principal, mapped by ssl.principal.mapping.rules', async () => {
    const seen: ServerConnection[] = [];
    const b = await broker({ ...p12(), 'ssl.client.auth': 'required', 'ssl.principal.mapping.rules': 'RULE:^CN=([^,]+),OU=eng,.*$/$1/L,DEFAULT' }, (c) => seen.push(c));
    const port = portOf(b, 'SSL');
    for (const leaf of ['alice', 'bob']) {
      const c = await Connection.connect({ host: '127.0.0.1', port, security: asClient(leaf) });
      const md = await c.send(ApiKey.Metadata, { topics: [] });
      expect(md.brokers.map((x) => x.port)).toEqual([port]);
      c.close();
    }
    expect(seen.map((c) => [c.security.principal.name, c.security.peerCertificateSubject])).toEqual([
      ['alice', 'CN=Alice,OU=eng,O=acme'],
      ['CN=bob,OU=ops,O=acme', 'CN=bob,OU=ops,O=acme'],
    ]);
    expect(seen.every((c) => c.security.principal.principalType === 'User')).toBe(true);
    await expect(Connection.connect({ host: '127.0.0.1', port, security: asClient(null) })).rejects.toThrow();
  });

  it('without a client certificate the principal is ANONYMOUS', async () => {
    const seen: ServerConnection[] = [];
    const b = await broker(p12(), (c) => seen.push(c));
    const c = await Connection.connect({ host: '127.0.0.1', port: portOf(b, 'SSL'), security: asClient(null) });
    await c.send(ApiKey.Metadata, { topics: [] });
    c.close();
    expect([seen[0]!.security.principal.name, seen[0]!.security.peerCertificateSubject]).toEqual(['ANONYMOUS', null]);
  });

  it('refuses JKS naming PKCS12 and PEM, and a wrong store password, at start-up', async () => {
    await expect(broker({ ...p12(), 'ssl.keystore.type': 'JKS' })).rejects.toThrow(/ssl.keystore.type JKS is not supported \(use PKCS12 or PEM/);
    await expect(broker({ ...p12(), 'ssl.truststore.type': 'JKS' })).rejects.toThrow(/ssl.truststore.type JKS is not supported \(use PKCS12 or PEM/);
    await expect(broker({ ...p12(), 'ssl.keystore.password': 'wrong' })).rejects.toThrow(/cannot use the key store/);
    await expect(broker({ ...p12(), 'ssl.truststore.password': 'wrong' })).rejects.toThrow(/wrong password/);
  });
});

/** The serial number of the certificate a new TLS connection to `port` is served. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca: [certs.read('ca.crt'), certs.read('ca2.crt')], checkServerIdentity: () => undefined }, () => {
      resolve(s.getPeerCertificate().serialNumber);
      s.destroy();
    });
    s.on('error', reject);
  });
}
const serialOf = (leaf: string): string => new X509Certificate(certs.read(`${leaf}.crt`)).serialNumber;

describe('key store reload (dynamic BROKER configs)', () => {
  it('replaces the certificate for new connections, keeps existing ones, and refuses a bad store keeping the old one', async () => {
    const keystore = certs.path('reloaded.pem');
    writeFileSync(keystore, certs.read('server.pem'));
    const b = await broker({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': keystore });
    const port = portOf(b, 'SSL');
    const security: ClientSecurityOptions = { protocol: 'SSL', ssl: { ca: certs.read('trust-both.bundle'), endpointIdentificationAlgorithm: '' } };
    const existing = await Connection.connect({ host: '127.0.0.1', port, security });
    const admin = new Admin({ bootstrapServers: `127.0.0.1:${port}`, security });
    const broker1 = { type: ConfigResourceType.BROKER, name: String(b.nodeId) };
    expect(await servedSerial(port)).toBe(serialOf('server'));

    // The same location again: the file is read again (it now holds the renewed certificate).
    writeFileSync(keystore, certs.read('server-renewed.pem'));
    await admin.incrementalAlterConfigs([{ ...broker1, ops: [{ name: 'listener.name.ssl.ssl.keystore.location', value: keystore }] }], { validateOnly: true });
    expect(await servedSerial(port)).toBe(serialOf('server'));
    await admin.incrementalAlterConfigs([{ ...broker1, ops: [{ name: 'listener.name.ssl.ssl.keystore.location', value: keystore }] }]);
    expect(await servedSerial(port)).toBe(serialOf('server-renewed'));
    expect((await existing.send(ApiKey.Metadata, { topics: [] })).brokers).toHaveLength(1);

    const refused = async (p: Promise<unknown>, type: string, message: RegExp): Promise<void> => {
      const e = await p.then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(KafkaProtocolError);
      expect((e as KafkaProtocolError).type).toBe(type);
      expect((e as KafkaProtocolError).brokerMessage ?? '').toMatch(message);
    };
    writeFileSync(certs.path('garbage.pem'), 'not a key store');
    await refused(admin.incrementalAlterConfigs([{ ...broker1, ops: [{ name: 'listener.name.ssl.ssl.keystore.location', value: certs.path('garbage.pem') }] }]), 'INVALID_CONFIG', /exactly one PEM private key/);
    await refused(admin.incrementalAlterConfigs([{ ...broker1, ops: [{ name: 'listener.name.ssl.ssl.keystore.location', value: certs.path('server-other.pem') }] }]), 'INVALID_CONFIG', /DistinguishedName does not match/);
    await refused(admin.incrementalAlterConfigs([{ ...broker1, ops: [{ name: 'log.retention.hours', value: '1' }] }]), 'INVALID_CONFIG', /Cannot update these configs dynamically: log.retention.hours/);
    await refused(admin.incrementalAlterConfigs([{ ...broker1, ops: [{ name: 'ssl.keystore.location', op: 2 /* APPEND */, value: keystore }] }]), 'INVALID_CONFIG', /Config value append is not allowed for config key: ssl.keystore.location/);
    await refused(admin.incrementalAlterConfigs([{ type: ConfigResourceType.BROKER, name: '', ops: [{ name: 'ssl.keystore.location', value: keystore }] }]), 'INVALID_REQUEST', /broker id must be specified/);
    expect(await servedSerial(port)).toBe(serialOf('server-renewed'));

    // A broker-wide value is below the listener's own (dynamic) one: accepted, nothing changes for SSL.
    await admin.incrementalAlterConfigs([{ ...broker1, ops: [{ name: 'ssl.keystore.location', value: certs.path('server-other.pem') }] }]);
    expect(await servedSerial(port)).toBe(serialOf('server-renewed'));
    // AlterConfigs (the whole dynamic set): back to a store in PKCS12, then to the static config.
    await admin.alterConfigs([{ ...broker1, configs: { 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': certs.path('server.p12'), 'ssl.keystore.password': 'ks-pass' } }]);
    expect(await servedSerial(port)).toBe(serialOf('server'));
    await admin.alterConfigs([{ ...broker1, configs: {} }]);
    expect(await servedSerial(port)).toBe(serialOf('server-renewed'));
    expect((await existing.send(ApiKey.Metadata, { topics: [] })).brokers).toHaveLength(1);
    existing.close();
    await admin.close();
  });
});

describe('SASL_SSL with a client certificate', () => {
  it('the SASL principal wins (as in Kafka); the certificate subject is kept; --command-config with SASL_SSL and PLAIN', async () => {
    const seen: ServerConnection[] = [];
    const b = await startTestBroker({
      sets: {
        listeners: 'SASL_SSL://127.0.0.1:0',
        'sasl.enabled.mechanisms': 'PLAIN',
        'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";',
        ...p12(),
        'ssl.client.auth': 'required',
      },
      onConnection: (c) => seen.push(c),
    });
    brokers.push(b);
    const port = portOf(b, 'SASL_SSL');
    const c = await Connection.connect({ host: '127.0.0.1', port, security: { ...asClient('bob'), protocol: 'SASL_SSL', sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } } });
    await c.send(ApiKey.Metadata, { topics: [] });
    c.close();
    expect([seen[0]!.security.principal.name, seen[0]!.security.peerCertificateSubject, seen[0]!.security.saslMechanism]).toEqual(['alice', 'CN=bob,OU=ops,O=acme', 'PLAIN']);

    const config = certs.path('sasl.properties');
    const props = (password: string): string =>
      [
        'security.protocol=SASL_SSL',
        'sasl.mechanism=PLAIN',
        `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="${password}";`,
        `ssl.truststore.location=${certs.path('ca.crt')}`,
        'ssl.truststore.type=PEM',
        `ssl.keystore.location=${certs.path('alice.pem')}`,
        'ssl.keystore.type=PEM',
      ].join('\n') + '\n';
    writeFileSync(config, props('alice-secret'));
    const listed = await tool(topicsTool, ['--bootstrap-server', `127.0.0.1:${port}`, '--command-config', config, '--create', '--topic', 'sasl-cc']);
    expect(listed.code, listed.err).toBe(0);
    writeFileSync(config, props('wrong'));
    const refused = await tool(topicsTool, ['--bootstrap-server', `127.0.0.1:${port}`, '--command-config', config, '--list', '--command-timeout', '5000']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/Authentication failed|SASL/);
  });
});

describe('--command-config', () => {
  it('topics, produce and consume reach a mutual-TLS listener with a PKCS12 trust store and a PEM key store', async () => {
    const b = await broker({ ...p12(), 'ssl.client.auth': 'required' });
    const bootstrap = `127.0.0.1:${portOf(b, 'SSL')}`;
    const config = certs.path('client.properties');
    writeFileSync(
      config,
      [
        'security.protocol=SSL',
        `ssl.truststore.location=${certs.path('trust.p12')}`,
        'ssl.truststore.type=PKCS12',
        'ssl.truststore.password=ts-pass',
        `ssl.keystore.location=${certs.path('alice.pem')}`,
        'ssl.keystore.type=PEM',
        'ssl.endpoint.identification.algorithm=https',
      ].join('\n') + '\n',
    );
    const created = await tool(topicsTool, ['--bootstrap-server', bootstrap, '--command-config', config, '--create', '--topic', 'cc', '--partitions', '1']);
    expect(created.err).toBe('');
    expect(created.code).toBe(0);
    const produced = await tool(produceTool, ['--bootstrap-server', bootstrap, '--command-config', config, '--topic', 'cc'], 'one\ntwo\n');
    expect(produced.code, produced.err).toBe(0);
    const consumed = await tool(consumeTool, ['--bootstrap-server', bootstrap, '--command-config', config, '--topic', 'cc', '--from-beginning', '--max-messages', '2', '--timeout-ms', '10000']);
    expect(consumed.out).toBe('one\ntwo\n');

    const noCert = certs.path('no-cert.properties');
    writeFileSync(noCert, `security.protocol=SSL\nssl.truststore.location=${certs.path('ca.crt')}\n`);
    const refused = await tool(topicsTool, ['--bootstrap-server', bootstrap, '--command-config', noCert, '--list', '--command-timeout', '3000']);
    expect(refused.code).toBe(1);
    const missing = await tool(topicsTool, ['--bootstrap-server', bootstrap, '--command-config', certs.path('absent.properties'), '--list']);
    expect(missing.err).toMatch(/Cannot read the command config/);
  });

  it('turns Kafka client properties into client security options', () => {
    const props = (o: Record<string, string>) => new Map(Object.entries(o));
    expect(
      clientSecurityFromProperties(
        props({
          'security.protocol': 'SASL_SSL',
          'sasl.mechanism': 'SCRAM-SHA-256',
          'sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="p\\"w;d";',
          'ssl.truststore.location': certs.path('ca.crt'),
          'ssl.truststore.type': 'PEM',
          'ssl.endpoint.identification.algorithm': '',
        }),
      ),
    ).toMatchObject({ protocol: 'SASL_SSL', sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'p"w;d' }, ssl: { ca: certs.read('ca.crt'), endpointIdentificationAlgorithm: '' } });
    expect(clientSecurityFromProperties(props({ 'security.protocol': 'sasl_plaintext', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required username=bob password=secret;' }))).toEqual({
      protocol: 'SASL_PLAINTEXT',
      sasl: { mechanism: 'PLAIN', username: 'bob', password: 'secret' },
    });
    expect(clientSecurityFromProperties(props({}))).toEqual({ protocol: 'PLAINTEXT' });
    expect(() => clientSecurityFromProperties(props({ 'security.protocol': 'SASL_SSL', 'sasl.jaas.config': 'x required;' }))).toThrow(/GSSAPI \(the default\) is not supported/);
    expect(() => clientSecurityFromProperties(props({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN' }))).toThrow(/needs sasl.jaas.config/);
    expect(() => clientSecurityFromProperties(props({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': 'a required username="x";' }))).toThrow(/username and password/);
    expect(() => clientSecurityFromProperties(props({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': 'a required username="x" password="y"; b required;' }))).toThrow(/contains 2 login modules/);
    expect(() => clientSecurityFromProperties(props({ 'security.protocol': 'TLS' }))).toThrow(/security.protocol/);
    writeFileSync(certs.path('fake.jks'), Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]));
    expect(() => clientSecurityFromProperties(props({ 'security.protocol': 'SSL', 'ssl.truststore.location': certs.path('fake.jks') }))).toThrow(/JKS is not supported: convert the store to PKCS12/);
  });
});
