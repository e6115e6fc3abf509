// SSL listeners: a throwaway CA and certificates made with openssl; kcat and confluent-kafka-python produce and
// consume over TLS (the broker's key encrypted, read from one PEM file with ssl.key.password); Metadata
// advertises the SSL listener's port to clients that came in on it; a client that does not trust the CA, a
// client without a certificate under ssl.client.auth=required and a plaintext client on the SSL port are all
// turned away while the broker keeps serving. Also: the config maps listener names to protocols and refuses unmapped names.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConfig } from '../../host-node/config/broker-config.js';
import { ConfigError } from '../../host-node/config/types.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { CertDir } from './support/certs.js';
import { kcat } from './support/kcat.js';

const run = promisify(execFile);
const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const certs = new CertDir();
const pem = (name: string): string => certs.path(name);

let broker: TestBroker;
let mtls: TestBroker;
let sslPort: number;
let plainPort: number;
let mtlsPort: number;

const portOf = (b: TestBroker, name: string): number => b.listeners.find((l) => l.name === name)!.port;

beforeAll(async () => {
  await certs.caWithLeaves('ca', ['server', 'client']);
  await certs.caWithLeaves('other-ca', ['stranger']);
  // The broker's key store: one PEM file with the encrypted private key and the certificate chain.
  await certs.openssl('pkcs8', '-topk8', '-in', pem('server.key'), '-out', pem('server-enc.key'), '-passout', 'pass:s3cret');
  writeFileSync(pem('server.keystore.pem'), readFileSync(pem('server-enc.key'), 'utf8') + readFileSync(pem('server.crt'), 'utf8'));
  broker = await startTestBroker({
    sets: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': pem('server.keystore.pem'),
      'ssl.key.password': 's3cret',
    },
  });
  plainPort = portOf(broker, 'PLAINTEXT');
  sslPort = portOf(broker, 'SSL');
  // Mutual TLS on a listener named CLIENTS (mapped to SSL): inline key store, client auth set for that listener only.
  mtls = await startTestBroker({
    sets: {
      listeners: 'CLIENTS://127.0.0.1:0',
      'listener.security.protocol.map': 'CLIENTS:SSL',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.key': readFileSync(pem('server.key'), 'utf8'),
      'ssl.keystore.certificate.chain': readFileSync(pem('server.crt'), 'utf8'),
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': pem('ca.crt'),
      'listener.name.clients.ssl.client.auth': 'required',
    },
  });
  mtlsPort = portOf(mtls, 'CLIENTS');
}, 60_000);

afterAll(async () => {
  await broker?.close();
  await mtls?.close();
  certs.remove();
});

const sslArgs = (ca = 'ca.crt'): string[] => ['-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${pem(ca)}`];

interface KcatBroker {
  id: number;
  name: string;
}
async function metadataBrokers(port: number, extra: string[]): Promise<KcatBroker[]> {
  const r = await kcat(['-L', '-J', '-b', `127.0.0.1:${port}`, '-m', '10', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { brokers: KcatBroker[] }).brokers;
}

describe('SSL listener', () => {
  it('kcat produces and consumes over TLS, and Metadata advertises the listener the client came in on', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `tls-${i}`);
    const p = await kcat(['-P', '-b', `127.0.0.1:${sslPort}`, '-t', 'tls-kcat', '-p', '0', ...sslArgs()], lines.join('\n') + '\n');
    expect(p.code, p.stderr).toBe(0);
    const c = await kcat(['-C', '-b', `127.0.0.1:${sslPort}`, '-t', 'tls-kcat', '-p', '0', '-o', 'beginning', '-e', '-q', ...sslArgs()]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.trim().split('\n')).toEqual(lines);

    expect((await metadataBrokers(sslPort, sslArgs())).map((b) => b.name)).toEqual([`127.0.0.1:${sslPort}`]);
    expect((await metadataBrokers(plainPort, [])).map((b) => b.name)).toEqual([`127.0.0.1:${plainPort}`]);
  });

  it('confluent-kafka-python produces and consumes over TLS', async () => {
    const script = `
import sys
from confluent_kafka import Producer, Consumer, TopicPartition
conf = {'bootstrap.servers': sys.argv[1], 'security.protocol': 'SSL', 'ssl.ca.location': sys.argv[2]}
p = Producer(conf)
for i in range(20):
    p.produce('tls-py', key=b'k%d' % i, value=b'v%d' % i, partition=0)
assert p.flush(30) == 0
c = Consumer(dict(conf, **{'group.id': 'tls-py-group', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False}))
c.assign([TopicPartition('tls-py', 0, 0)])
got = []
while len(got) < 20:
    m = c.poll(10)
    assert m is not None, 'timed out'
    assert m.error() is None, m.error()
    got.append(m.value().decode())
c.close()
print(','.join(got))
`;
    const { stdout } = await run(PY, ['-c', script, `127.0.0.1:${sslPort}`, pem('ca.crt')], { timeout: 60_000 });
    expect(stdout.trim()).toBe(Array.from({ length: 20 }, (_, i) => `v${i}`).join(','));
  });

  it('a client that does not trust the CA fails the handshake; the broker keeps serving', async () => {
    const r = await kcat(['-L', '-b', `127.0.0.1:${sslPort}`, '-m', '3', ...sslArgs('other-ca.crt')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/SSL|certificate/i);
    expect(await metadataBrokers(sslPort, sslArgs())).toHaveLength(1);
  });

  it('a plaintext client on the SSL port gets a closed connection; the broker keeps serving', async () => {
    const closed = await new Promise<boolean>((resolve) => {
      const s = connect(sslPort, '127.0.0.1', () => {
        // An ApiVersions v0 request frame, as a plaintext client would send first.
        const body = Buffer.from([0, 18, 0, 0, 0, 0, 0, 1, 0, 4, 0x74, 0x65, 0x73, 0x74]);
        const frame = Buffer.alloc(4 + body.length);
        frame.writeInt32BE(body.length, 0);
        body.copy(frame, 4);
        s.write(frame);
      });
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      s.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 10_000).unref();
    });
    expect(closed).toBe(true);
    expect(await metadataBrokers(sslPort, sslArgs())).toHaveLength(1);
    expect(await metadataBrokers(plainPort, [])).toHaveLength(1);
  });
});

describe('mutual TLS (ssl.client.auth=required)', () => {
  it('refuses a client without a certificate and serves one with a certificate the trust store verifies', async () => {
    const without = await kcat(['-L', '-b', `127.0.0.1:${mtlsPort}`, '-m', '3', ...sslArgs()]);
    expect(without.code).not.toBe(0);

    const stranger = await kcat(['-L', '-b', `127.0.0.1:${mtlsPort}`, '-m', '3', ...sslArgs(), '-X', `ssl.certificate.location=${pem('stranger.crt')}`, '-X', `ssl.key.location=${pem('stranger.key')}`]);
    expect(stranger.code).not.toBe(0);

    const withCert = ['-X', `ssl.certificate.location=${pem('client.crt')}`, '-X', `ssl.key.location=${pem('client.key')}`];
    expect((await metadataBrokers(mtlsPort, [...sslArgs(), ...withCert])).map((b) => b.name)).toEqual([`127.0.0.1:${mtlsPort}`]);
    const p = await kcat(['-P', '-b', `127.0.0.1:${mtlsPort}`, '-t', 'mtls', '-p', '0', ...sslArgs(), ...withCert], 'a\nb\n');
    expect(p.code, p.stderr).toBe(0);
    const c = await kcat(['-C', '-b', `127.0.0.1:${mtlsPort}`, '-t', 'mtls', '-p', '0', '-o', 'beginning', '-e', '-q', ...sslArgs(), ...withCert]);
    expect(c.stdout.trim().split('\n')).toEqual(['a', 'b']);
  });
});

describe('ssl.client.auth=requested', () => {
  it('serves a client without a certificate and refuses one whose certificate does not verify', async () => {
    const b = await startTestBroker({
      sets: {
        listeners: 'SSL://127.0.0.1:0',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': pem('server.keystore.pem'),
        'ssl.key.password': 's3cret',
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.certificates': readFileSync(pem('ca.crt'), 'utf8'),
        'ssl.client.auth': 'requested',
      },
    });
    try {
      const port = portOf(b, 'SSL');
      expect(await metadataBrokers(port, sslArgs())).toHaveLength(1);
      expect(await metadataBrokers(port, [...sslArgs(), '-X', `ssl.certificate.location=${pem('client.crt')}`, '-X', `ssl.key.location=${pem('client.key')}`])).toHaveLength(1);
      const stranger = await kcat(['-L', '-b', `127.0.0.1:${port}`, '-m', '3', ...sslArgs(), '-X', `ssl.certificate.location=${pem('stranger.crt')}`, '-X', `ssl.key.location=${pem('stranger.key')}`]);
      expect(stranger.code).not.toBe(0);
    } finally {
      await b.close();
    }
  });

  it('closes within its grace while a client sits in the middle of a handshake', async () => {
    const b = await startTestBroker({ sets: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': pem('server.keystore.pem'), 'ssl.key.password': 's3cret' } });
    const s = connect(portOf(b, 'SSL'), '127.0.0.1');
    s.on('error', () => undefined);
    await new Promise<void>((resolve) => s.once('connect', () => resolve()));
    const t = Date.now();
    await b.close();
    expect(Date.now() - t).toBeLessThan(5000);
    s.destroy();
  });
});

describe('shutdown with TLS connections open', () => {
  it('a broker closes at once: its idle TLS connections end cleanly (close_notify both ways), no waiting out the grace', async () => {
    const b = await startTestBroker({ sets: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.path('server.pem') } });
    const clients = await Promise.all(
      [1, 2, 3].map(async () => {
        const s = tlsConnect({ port: portOf(b, 'SSL'), host: '127.0.0.1', ca: certs.read('ca.crt'), servername: 'localhost' });
        s.on('error', () => undefined);
        // An ApiVersions v0 request, answered before the close.
        const body = Buffer.from([0, 18, 0, 0, 0, 0, 0, 9, 0, 4, 0x74, 0x65, 0x73, 0x74]);
        const frame = Buffer.alloc(4 + body.length);
        frame.writeInt32BE(body.length, 0);
        body.copy(frame, 4);
        s.write(frame);
        await new Promise((r) => s.once('data', r));
        return s;
      }),
    );
    const ended = clients.map((s) => new Promise<void>((r) => s.once('end', () => r())));
    const t0 = Date.now();
    await b.close();
    const took = Date.now() - t0;
    await Promise.all(ended);
    expect(took, 'close() took the listener grace (2 s) instead of ending the connections').toBeLessThan(1500);
    for (const s of clients) s.destroy();
  });
});

describe('listener security protocols in the config', () => {
  const load = (sets: Record<string, string>): BrokerConfig => BrokerConfig.load({ sets });
  const reason = (sets: Record<string, string>): string => {
    try {
      load(sets);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('maps names with listener.security.protocol.map and refuses unmapped names', () => {
    const c = load({ listeners: 'PLAINTEXT://:9092,SSL://:9093,INTERNAL://:9094', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,INTERNAL:SSL' });
    expect(c.listeners.map((e) => [e.name, c.securityProtocol(e.name)])).toEqual([['PLAINTEXT', 'PLAINTEXT'], ['SSL', 'SSL'], ['INTERNAL', 'SSL']]);
    const sasl = load({ listeners: 'SASL_SSL://:9093,SASL_PLAINTEXT://:9094' });
    expect(sasl.listeners.map((e) => sasl.securityProtocol(e.name))).toEqual(['SASL_SSL', 'SASL_PLAINTEXT']);
    expect(reason({ listeners: 'INTERNAL://:9094' })).toMatch(/No security protocol defined for listener INTERNAL/);
    expect(reason({ 'listener.security.protocol.map': 'A:TLS' })).toMatch(/Unknown security protocol TLS/);
  });

  it('gives each listener the broker-wide ssl.* with its listener.name.<name>.ssl.* overrides', () => {
    const c = load({ listeners: 'SSL://:9093', 'ssl.client.auth': 'requested', 'listener.name.ssl.ssl.client.auth': 'required' });
    expect(c.sslConfig('SSL')['ssl.client.auth']).toBe('required');
    expect(c.sslConfig('OTHER')['ssl.client.auth']).toBe('requested');
    expect(c.sslConfig('SSL')['ssl.enabled.protocols']).toEqual(['TLSv1.2', 'TLSv1.3']);
    expect(reason({ 'listener.name.ssl.ssl.client.auth': 'sometimes' })).toMatch(/listener\.name\.ssl\.ssl\.client\.auth/);
  });

  it('refuses an SSL listener without a PEM key store at start-up', async () => {
    await expect(startTestBroker({ sets: { listeners: 'SSL://127.0.0.1:0' } })).rejects.toThrow(/ssl.keystore.type JKS is not supported/);
    await expect(startTestBroker({ sets: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM' } })).rejects.toThrow(/needs a key store/);
  });
});
