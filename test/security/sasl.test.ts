// SASL on the wire, spoken by a raw client: SaslHandshake v0/v1 and SaslAuthenticate v0-2 with PLAIN and
// SCRAM-SHA-256/512; failures answered with Kafka's errors after connection.failed.authentication.delay.ms and
// nothing served after them; the v0 path's bare tokens; KIP-368 re-authentication and expired sessions;
// ILLEGAL_SASL_STATE where Kafka answers it; and the start-up refusals of the SASL settings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/api.js';
import { ErrorCode } from '../../protocol/errors.js';
import { newScramCredential } from '../../host-node/security/scram.js';
import { principalToString } from '../../host-node/security/principal.js';
import { BrokerConfig } from '../../host-node/config/broker-config.js';
import { parseJaasConfig } from '../../host-node/security/jaas.js';
import { plainUsers } from '../../host-node/security/sasl/plain.js';
import { KafkaTestClient, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { frame, sleep } from '../helpers/raw-client.js';
import { ScramClient, authenticate, plainToken } from './sasl-client.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';
const ALL = 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512';

async function startSaslBroker(extra: Record<string, string> = {}): Promise<TestBroker> {
  const b = await startTestBroker({
    sets: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': ALL,
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
      ...extra,
    },
  });
  await b.context.securityStore.alterScram([
    { user: 'alice', mechanism: 'SCRAM-SHA-256', credential: newScramCredential('SCRAM-SHA-256', 'alice-secret', 4096) },
    { user: 'alice', mechanism: 'SCRAM-SHA-512', credential: newScramCredential('SCRAM-SHA-512', 'alice-secret', 8192) },
    { user: 'bob', mechanism: 'SCRAM-SHA-256', credential: newScramCredential('SCRAM-SHA-256', 'bob-secret', 4096) },
  ]);
  return b;
}

const portOf = (b: TestBroker, name: string): number => b.listeners.find((l) => l.name === name)!.port;

let broker: TestBroker;
let saslPort: number;
let plainPort: number;

beforeAll(async () => {
  broker = await startSaslBroker();
  saslPort = portOf(broker, 'SASL_PLAINTEXT');
  plainPort = portOf(broker, 'PLAINTEXT');
}, 30_000);
afterAll(async () => broker?.close());

/** Asks for Metadata and expects no answer and the connection closed. */
async function expectNothingServed(c: KafkaTestClient): Promise<void> {
  if (!c.raw.closed) c.send(ApiKey.Metadata, 1, { topics: null });
  await expect(c.raw.next(3000)).rejects.toThrow(/closed/);
  expect(c.raw.closed).toBe(true);
}

async function expectServed(c: KafkaTestClient): Promise<void> {
  const md = await c.request(ApiKey.Metadata, 1, { topics: null });
  expect(md.brokers.length).toBe(1);
}

function serverSidePrincipal(b: TestBroker, listener: string): string[] {
  const l = b.listeners.find((x) => x.name === listener)!;
  return [...l.connections].map((c) => `${principalToString(c.security.principal)}/${c.security.saslMechanism ?? '-'}`);
}

describe('SASL_PLAINTEXT with SaslHandshake v1 and SaslAuthenticate', () => {
  it('advertises the SASL APIs and serves ApiVersions before authentication', async () => {
    const c = await KafkaTestClient.connect(saslPort);
    const av = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    expect(av.errorCode).toBe(0);
    expect(av.apiKeys.find((k) => k.apiKey === ApiKey.SaslHandshake)).toMatchObject({ minVersion: 0, maxVersion: 1 });
    expect(av.apiKeys.find((k) => k.apiKey === ApiKey.SaslAuthenticate)).toMatchObject({ minVersion: 0, maxVersion: 2 });
    c.close();
  });

  for (const [mechanism, user, password] of [
    ['PLAIN', 'alice', 'alice-secret'],
    ['SCRAM-SHA-256', 'alice', 'alice-secret'],
    ['SCRAM-SHA-512', 'alice', 'alice-secret'],
  ] as const) {
    for (const v of [0, 1, 2]) {
      it(`${mechanism} with SaslAuthenticate v${v} authenticates ${user} and then serves requests`, async () => {
        const c = await KafkaTestClient.connect(saslPort);
        const r = await authenticate(c, mechanism, user, password, v);
        expect(r.handshakeError).toBe(0);
        expect(r.mechanisms).toEqual(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
        expect([r.errorCode, r.errorMessage]).toEqual([0, null]);
        expect(r.sessionLifetimeMs).toBe(0n);
        await expectServed(c);
        expect(serverSidePrincipal(broker, 'SASL_PLAINTEXT')).toContain(`User:${user}/${mechanism}`);
        c.close();
      });
    }
  }

  const failures: [string, string, string, number, RegExp][] = [
    ['PLAIN', 'alice', 'wrong', ErrorCode.SASL_AUTHENTICATION_FAILED, /^Authentication failed: Invalid username or password$/],
    ['PLAIN', 'mallory', 'alice-secret', ErrorCode.SASL_AUTHENTICATION_FAILED, /^Authentication failed: Invalid username or password$/],
    ['SCRAM-SHA-256', 'alice', 'wrong', ErrorCode.SASL_AUTHENTICATION_FAILED, /^Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256$/],
    ['SCRAM-SHA-256', 'mallory', 'x', ErrorCode.SASL_AUTHENTICATION_FAILED, /^Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256$/],
    ['SCRAM-SHA-512', 'bob', 'bob-secret', ErrorCode.SASL_AUTHENTICATION_FAILED, /SASL mechanism SCRAM-SHA-512$/],
  ];
  for (const [mechanism, user, password, code, message] of failures) {
    it(`${mechanism} refuses ${user}/${password} with SASL_AUTHENTICATION_FAILED after the delay, then serves nothing`, async () => {
      const c = await KafkaTestClient.connect(saslPort);
      const t0 = Date.now();
      const r = await authenticate(c, mechanism, user, password);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
      expect(r.errorCode).toBe(code);
      expect(r.errorMessage).toMatch(message);
      await expectNothingServed(c);
    });
  }

  it('an unknown SCRAM user gets a server-first like a known one and fails only at the final step', async () => {
    const c = await KafkaTestClient.connect(saslPort);
    await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-256' });
    const scram = new ScramClient('SCRAM-SHA-256', 'nobody', 'x');
    const first = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: scram.first() });
    expect(first.errorCode).toBe(0);
    expect(Buffer.from(first.authBytes).toString()).toMatch(/^r=[^,]+,s=[A-Za-z0-9+/=]+,i=4096$/);
    const last = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: scram.final(Buffer.from(first.authBytes)) });
    expect(last.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    await expectNothingServed(c);
  });

  it('refuses the tokenauth extension (delegation tokens) and an authorization id other than the user', async () => {
    const c = await KafkaTestClient.connect(saslPort);
    await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-256' });
    const scram = new ScramClient('SCRAM-SHA-256', 'alice', 'alice-secret', ',tokenauth=true');
    const first = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: scram.first() });
    const last = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: scram.final(Buffer.from(first.authBytes)) });
    expect(last.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    await expectNothingServed(c);

    const d = await KafkaTestClient.connect(saslPort);
    await d.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    const r = await d.request(ApiKey.SaslAuthenticate, 2, { authBytes: plainToken('alice', 'alice-secret', 'admin') });
    expect([r.errorCode, r.errorMessage]).toEqual([ErrorCode.SASL_AUTHENTICATION_FAILED, 'Authentication failed: Client requested an authorization id that is different from username']);
    await expectNothingServed(d);
  });

  it('answers an unknown mechanism with UNSUPPORTED_SASL_MECHANISM and the enabled list, then closes', async () => {
    const c = await KafkaTestClient.connect(saslPort);
    const r = await authenticate(c, 'GSSAPI', 'alice', 'alice-secret');
    expect(r.handshakeError).toBe(ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    expect(r.mechanisms).toEqual(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
    await expectNothingServed(c);
  });

  it('closes the connection on any other request before authentication, and on SaslAuthenticate before SaslHandshake', async () => {
    for (const send of [
      (c: KafkaTestClient) => c.send(ApiKey.Metadata, 1, { topics: null }),
      (c: KafkaTestClient) => c.send(ApiKey.Produce, 3, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [] }),
      (c: KafkaTestClient) => c.send(ApiKey.SaslAuthenticate, 1, { authBytes: plainToken('alice', 'alice-secret') }),
    ]) {
      const c = await KafkaTestClient.connect(saslPort);
      send(c);
      await expect(c.raw.next(3000)).rejects.toThrow(/closed/);
    }
    // Between SaslHandshake and SaslAuthenticate too.
    const c = await KafkaTestClient.connect(saslPort);
    await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    await expectNothingServed(c);
  });

  it('closes a connection whose pre-authentication request exceeds sasl.server.max.receive.size', async () => {
    const c = await KafkaTestClient.connect(saslPort);
    await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    c.send(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.alloc(600_000) });
    await expect(c.raw.next(3000)).rejects.toThrow(/closed/);
  });

  it('answers SaslHandshake and SaslAuthenticate with ILLEGAL_SASL_STATE on a PLAINTEXT listener and after authentication', async () => {
    const p = await KafkaTestClient.connect(plainPort);
    expect((await p.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
    const a = await p.request(ApiKey.SaslAuthenticate, 2, { authBytes: plainToken('alice', 'alice-secret') });
    expect([a.errorCode, a.errorMessage]).toEqual([ErrorCode.ILLEGAL_SASL_STATE, 'SaslAuthenticate request received after successful authentication']);
    await expectServed(p);
    p.close();

    const c = await KafkaTestClient.connect(saslPort);
    expect((await authenticate(c, 'PLAIN', 'admin', 'admin-secret')).errorCode).toBe(0);
    expect((await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
    expect((await c.request(ApiKey.SaslAuthenticate, 1, { authBytes: plainToken('alice', 'alice-secret') })).errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
    await expectServed(c);
    expect(serverSidePrincipal(broker, 'SASL_PLAINTEXT')).toContain('User:admin/PLAIN');
    c.close();
  });
});

describe('SaslHandshake v0: bare tokens', () => {
  /** A bare size-prefixed token, and the bare answer. */
  async function rawStep(c: KafkaTestClient, token: Buffer): Promise<Buffer> {
    c.raw.write(frame(token));
    return c.raw.next(3000);
  }

  it('PLAIN: the token goes without a Kafka header, an empty token comes back, then requests are served', async () => {
    const c = await KafkaTestClient.connect(saslPort);
    const hs = await c.request(ApiKey.SaslHandshake, 0, { mechanism: 'PLAIN' });
    expect(hs.errorCode).toBe(0);
    expect((await rawStep(c, plainToken('alice', 'alice-secret'))).length).toBe(0);
    await expectServed(c);
    c.close();
  });

  it('SCRAM-SHA-512: server-first and server-final come back bare', async () => {
    const c = await KafkaTestClient.connect(saslPort);
    expect((await c.request(ApiKey.SaslHandshake, 0, { mechanism: 'SCRAM-SHA-512' })).errorCode).toBe(0);
    const scram = new ScramClient('SCRAM-SHA-512', 'alice', 'alice-secret');
    const serverFirst = await rawStep(c, scram.first());
    const serverFinal = await rawStep(c, scram.final(serverFirst));
    expect(scram.verify(serverFinal)).toBe(true);
    await expectServed(c);
    c.close();
  });

  it('a wrong bare token gets no answer: the connection closes after the delay', async () => {
    const c = await KafkaTestClient.connect(saslPort);
    await c.request(ApiKey.SaslHandshake, 0, { mechanism: 'PLAIN' });
    const t0 = Date.now();
    c.raw.write(frame(plainToken('alice', 'nope')));
    await expect(c.raw.next(3000)).rejects.toThrow(/closed/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
  });
});

describe('re-authentication (KIP-368, connections.max.reauth.ms)', () => {
  let b: TestBroker;
  let port: number;
  const LIFETIME = 1200;
  beforeAll(async () => {
    b = await startSaslBroker({ 'connections.max.reauth.ms': String(LIFETIME), 'connection.failed.authentication.delay.ms': '0' });
    port = portOf(b, 'SASL_PLAINTEXT');
  }, 30_000);
  afterAll(async () => b?.close());

  it('tells SaslAuthenticate v1+ clients the session lifetime; a client that re-authenticates in time stays served', async () => {
    const c = await KafkaTestClient.connect(port);
    expect((await authenticate(c, 'SCRAM-SHA-256', 'alice', 'alice-secret', 1)).sessionLifetimeMs).toBe(BigInt(LIFETIME));
    for (let i = 0; i < 3; i++) {
      await sleep(LIFETIME * 0.6);
      await expectServed(c);
      const r = await authenticate(c, 'SCRAM-SHA-256', 'alice', 'alice-secret', 2);
      expect([r.errorCode, r.sessionLifetimeMs]).toEqual([0, BigInt(LIFETIME)]);
    }
    await expectServed(c);
    c.close();
  });

  it('re-authentication is allowed once the session has expired, and requests are served again', async () => {
    const c = await KafkaTestClient.connect(port);
    await authenticate(c, 'PLAIN', 'alice', 'alice-secret', 1);
    await sleep(LIFETIME + 200);
    expect((await authenticate(c, 'PLAIN', 'alice', 'alice-secret', 1)).errorCode).toBe(0);
    await expectServed(c);
    c.close();
  });

  it('closes a connection whose session expired without re-authentication at its next request', async () => {
    const c = await KafkaTestClient.connect(port);
    expect((await authenticate(c, 'PLAIN', 'alice', 'alice-secret', 0)).errorCode).toBe(0);
    await expectServed(c);
    await sleep(LIFETIME + 200);
    await expectNothingServed(c);
  });

  it('refuses a re-authentication as another principal or with another mechanism', async () => {
    const c = await KafkaTestClient.connect(port);
    await authenticate(c, 'PLAIN', 'alice', 'alice-secret', 2);
    const r = await authenticate(c, 'PLAIN', 'admin', 'admin-secret', 2);
    expect([r.errorCode, r.errorMessage]).toEqual([ErrorCode.SASL_AUTHENTICATION_FAILED, 'Cannot change principals during re-authentication from User:alice: User:admin']);
    await expectNothingServed(c);

    const d = await KafkaTestClient.connect(port);
    await authenticate(d, 'PLAIN', 'alice', 'alice-secret', 2);
    expect((await authenticate(d, 'SCRAM-SHA-256', 'alice', 'alice-secret', 2)).handshakeError).toBe(ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    await expectNothingServed(d);
  });
});

describe('SASL settings at start-up', () => {
  it('refuses a SASL listener with only GSSAPI enabled (the default), naming sasl.enabled.mechanisms', async () => {
    await expect(startTestBroker({ sets: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0' } })).rejects.toThrow(/sasl\.enabled\.mechanisms.*GSSAPI/s);
  });

  it('refuses PLAIN without a JAAS configuration, and a malformed one naming its key', async () => {
    await expect(startTestBroker({ sets: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'PLAIN' } })).rejects.toThrow(
      /listener\.name\.sasl_plaintext\.plain\.sasl\.jaas\.config/,
    );
    await expect(
      startTestBroker({ sets: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'PLAIN', 'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_a="x"' } }),
    ).rejects.toThrow(/Invalid value for configuration sasl\.jaas\.config: .*";"/);
  });

  it('reads the README\'s server.properties example: a JAAS line continued with a backslash, for its listener only', () => {
    const c = BrokerConfig.load({
      propertiesText: [
        'listeners=SASL_SSL://:9094',
        'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        'listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\',
        '    user_admin="admin-secret" user_alice="alice-secret";',
      ].join('\n'),
    });
    const jaas = c.saslJaasConfig('SASL_SSL', 'PLAIN');
    expect(jaas?.key).toBe('listener.name.sasl_ssl.plain.sasl.jaas.config');
    expect([...plainUsers(parseJaasConfig(jaas!.text).options)]).toEqual([
      ['admin', 'admin-secret'],
      ['alice', 'alice-secret'],
    ]);
    expect(c.saslJaasConfig('OTHER', 'PLAIN')).toBeNull();
    expect(c.saslJaasConfig('SASL_SSL', 'SCRAM-SHA-256')).toBeNull();
    expect(c.saslEnabledMechanisms('SASL_SSL')).toEqual(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
    expect(c.get('connections.max.reauth.ms')).toBe(0);
    expect(c.get('connection.failed.authentication.delay.ms')).toBe(100);
    expect(c.get('sasl.server.max.receive.size')).toBe(524288);
    expect(c.get('sasl.mechanism.inter.broker.protocol')).toBe('GSSAPI');
    expect(BrokerConfig.load().get('sasl.enabled.mechanisms')).toEqual(['GSSAPI']);
  });

  it('takes listener.name.<listener>.sasl.enabled.mechanisms over the broker-wide list', async () => {
    const b = await startTestBroker({
      sets: {
        listeners: 'INTERNAL://127.0.0.1:0',
        'listener.security.protocol.map': 'INTERNAL:SASL_PLAINTEXT',
        'listener.name.internal.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      },
    });
    try {
      const c = await KafkaTestClient.connect(portOf(b, 'INTERNAL'));
      const hs = await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
      expect([hs.errorCode, hs.mechanisms]).toEqual([ErrorCode.UNSUPPORTED_SASL_MECHANISM, ['SCRAM-SHA-512']]);
    } finally {
      await b.close();
    }
  });
});
