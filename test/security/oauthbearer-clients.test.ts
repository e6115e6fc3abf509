// SASL/OAUTHBEARER with real clients over real sockets. One broker, two SASL_PLAINTEXT listeners:
//   SASL_PLAINTEXT  KIP-768's OAuthBearerValidatorCallbackHandler, tokens signed by a test key and checked
//                   against a JWKS file (issuer and audience expected);
//   DEV             Kafka's default unsecured validator (unsigned tokens), which logs a start-up warning;
//   SECURE          SASL_SSL (a certificate from a throwaway openssl CA) whose JWKS URL alone selects the
//                   signed-token validator.
// confluent-kafka-python (oauth_cb) and kafkajs (oauthBearerProvider) bring signed JWTs, kcat brings
// librdkafka's unsecured JWT; the broker's principal for each connection is the token's subject, and
// expired, wrongly signed or unsigned tokens are refused and served nothing.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VALIDATOR_CALLBACK_HANDLER } from '../../host-node/config/oauthbearer-defs.js';
import { principalToString } from '../../host-node/security/principal.js';
import { createLogger } from '../../host-node/util/log.js';
import { KafkaTestClient, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { ApiKey } from '../../protocol/generated/api.js';
import { ErrorCode } from '../../protocol/errors.js';
import { mulberry32 } from '../helpers/seeded-random.js';
import { CertDir } from './support/certs.js';
import { kcat } from './support/kcat.js';

const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const ISSUER = 'https://idp.test';
const AUDIENCE = 'rivulet';

const certs = new CertDir();
let broker: TestBroker;
let signedPort: number;
let devPort: number;
let securePort: number;
const pem = (name: string): string => certs.path(name);
let key: CryptoKey;
let strangerKey: CryptoKey;
const logLines: string[] = [];

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  key = pair.privateKey;
  strangerKey = (await generateKeyPair('ES256')).privateKey;
  const jwks = pem('jwks.json');
  writeFileSync(jwks, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'ES256' }] }));
  // A CA and the broker's certificate (SAN 127.0.0.1) for the SASL_SSL listener.
  await certs.caWithLeaves('ca', ['server']);
  broker = await startTestBroker({
    log: createLogger('test', 'warn', (line) => logLines.push(line)),
    sets: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,DEV://127.0.0.1:0,SECURE://127.0.0.1:0',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,DEV:SASL_PLAINTEXT,SECURE:SASL_SSL',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.key': readFileSync(pem('server.key'), 'utf8'),
      'ssl.keystore.certificate.chain': readFileSync(pem('server.crt'), 'utf8'),
      'listener.name.secure.sasl.oauthbearer.jwks.endpoint.url': pathToFileURL(jwks).href,
      'listener.name.secure.sasl.oauthbearer.expected.audience': AUDIENCE,
      'sasl.enabled.mechanisms': 'OAUTHBEARER',
      'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': VALIDATOR_CALLBACK_HANDLER,
      'listener.name.sasl_plaintext.oauthbearer.sasl.oauthbearer.jwks.endpoint.url': pathToFileURL(jwks).href,
      'listener.name.sasl_plaintext.sasl.oauthbearer.expected.issuer': ISSUER,
      'listener.name.sasl_plaintext.sasl.oauthbearer.expected.audience': AUDIENCE,
      'listener.name.dev.oauthbearer.sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredValidatorAllowableClockSkewMs="1000";',
      'connection.failed.authentication.delay.ms': 0,
    },
  });
  signedPort = broker.listeners.find((l) => l.name === 'SASL_PLAINTEXT')!.port;
  devPort = broker.listeners.find((l) => l.name === 'DEV')!.port;
  securePort = broker.listeners.find((l) => l.name === 'SECURE')!.port;
}, 60_000);

afterAll(async () => {
  await broker?.close();
  certs.remove();
});

async function jwt(sub: string, o: { expiresInS?: number; signer?: CryptoKey; aud?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: 'kafka' })
    .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
    .setSubject(sub)
    .setIssuer(ISSUER)
    .setAudience(o.aud ?? AUDIENCE)
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (o.expiresInS ?? 600))
    .sign(o.signer ?? key);
}

/** The principals (and mechanisms) of the listener's open connections, as the broker sees them. */
function principals(listener: string): string[] {
  const l = broker.listeners.find((x) => x.name === listener)!;
  return [...l.connections].map((c) => `${principalToString(c.security.principal)}/${c.security.saslMechanism ?? '-'}`);
}

async function until<T>(f: () => T | undefined, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('the unsecured listener is announced with a warning at start-up; the signed one is not', () => {
  const warnings = logLines.filter((l) => /unsigned SASL\/OAUTHBEARER tokens/.test(l));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/Listener DEV accepts unsigned/);
});

describe('confluent-kafka-python with oauth_cb', () => {
  // Produces one message with the token from argv, prints the delivery outcome, then holds the connection
  // open until stdin closes. oauth_cb reports a future expiry whatever the JWT says, so an expired JWT
  // reaches the broker (librdkafka refuses to use a token it knows to be expired).
  const script = String.raw`
import sys, time, json
from confluent_kafka import Producer
bootstrap, token, topic, protocol, ca = sys.argv[1:6]
errors = []
delivered = []
tls = {'ssl.ca.location': ca} if protocol == 'SASL_SSL' else {}
p = Producer({**tls, 'bootstrap.servers': bootstrap, 'security.protocol': protocol, 'sasl.mechanisms': 'OAUTHBEARER',
  'oauth_cb': lambda cfg: (token, time.time() + 3600), 'error_cb': lambda e: errors.append(str(e)),
  'message.timeout.ms': 8000, 'reconnect.backoff.ms': 200})
p.produce(topic, b'hello', callback=lambda err, msg: delivered.append('ok' if err is None else str(err)))
p.flush(12)
print(json.dumps({'delivered': delivered, 'errors': errors}), flush=True)
sys.stdin.readline()
`;

  function py(token: string, topic: string, tls = false): { proc: ChildProcessWithoutNullStreams; result: Promise<{ delivered: string[]; errors: string[] }> } {
    const port = tls ? securePort : signedPort;
    const proc = spawn(PY, ['-c', script, `127.0.0.1:${port}`, token, topic, tls ? 'SASL_SSL' : 'SASL_PLAINTEXT', pem('ca.crt')]);
    let out = '';
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const result = new Promise<{ delivered: string[]; errors: string[] }>((resolve, reject) => {
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as { delivered: string[]; errors: string[] });
      });
      proc.on('close', (code) => reject(new Error(`python exited ${code} before reporting: ${err}`)));
    });
    setTimeout(() => proc.kill('SIGKILL'), 40_000).unref();
    return { proc, result };
  }

  it('a signed JWT authenticates as User:<sub> and produces', async () => {
    const { proc, result } = py(await jwt('py-alice'), 'oauth-py');
    try {
      const r = await result;
      expect(r.delivered).toEqual(['ok']);
      expect(principals('SASL_PLAINTEXT')).toContain('User:py-alice/OAUTHBEARER');
    } finally {
      proc.stdin.end();
      proc.kill();
    }
  }, 45_000);

  it('over SASL_SSL, a signed JWT authenticates as User:<sub> and an expired one is refused', async () => {
    const ok = py(await jwt('py-tls'), 'oauth-py-tls', true);
    const late = py(await jwt('py-tls-late', { expiresInS: -120 }), 'oauth-py-tls', true);
    try {
      expect((await ok.result).delivered).toEqual(['ok']);
      expect(principals('SECURE')).toContain('User:py-tls/OAUTHBEARER');
      const r = await late.result;
      expect(r.delivered.join()).not.toContain('ok');
      expect(r.errors.join('\n')).toContain('SASL authentication error: {"status":"invalid_token"}');
      expect(principals('SECURE').join()).not.toContain('py-tls-late');
    } finally {
      for (const { proc } of [ok, late]) {
        proc.stdin.end();
        proc.kill();
      }
    }
  }, 45_000);

  it('an expired JWT, one signed by another key, or for another audience is refused with invalid_token and nothing is delivered', async () => {
    const tokens = [await jwt('py-late', { expiresInS: -120 }), await jwt('py-forger', { signer: strangerKey }), await jwt('py-aud', { aud: 'elsewhere' })];
    const runs = await Promise.all(tokens.map(async (t) => py(t, 'oauth-py-refused')));
    try {
      for (const { result } of runs) {
        const r = await result;
        expect(r.delivered.join()).not.toContain('ok');
        expect(r.errors.join('\n')).toContain('SASL authentication error: {"status":"invalid_token"}');
      }
      const seen = principals('SASL_PLAINTEXT');
      for (const who of ['py-late', 'py-forger', 'py-aud']) expect(seen.join()).not.toContain(who);
    } finally {
      for (const { proc } of runs) {
        proc.stdin.end();
        proc.kill();
      }
    }
  }, 45_000);
});

describe('kafkajs with oauthBearerProvider', () => {
  const client = (token: string) =>
    new Kafka({
      clientId: 'oauth-kafkajs',
      brokers: [`127.0.0.1:${signedPort}`],
      sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: token }) },
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 3000,
    });

  it('a signed JWT authenticates as User:<sub> and produces', async () => {
    const producer = client(await jwt('js-bob')).producer({ allowAutoTopicCreation: true });
    await producer.connect();
    try {
      await producer.send({ topic: 'oauth-js', messages: [{ value: 'v1' }] });
      expect(principals('SASL_PLAINTEXT')).toContain('User:js-bob/OAUTHBEARER');
    } finally {
      await producer.disconnect();
    }
  }, 30_000);

  it('an expired JWT is refused and the connection serves nothing', async () => {
    const admin = client(await jwt('js-late', { expiresInS: -120 })).admin();
    // kafkajs takes the server's JSON challenge for success and sends its next request, which the SASL gate
    // answers by closing the connection (the exchange never completed).
    await expect(admin.connect().then(() => admin.listTopics())).rejects.toThrow(/Closed connection|SASL/);
    await admin.disconnect();
    expect(principals('SASL_PLAINTEXT').join()).not.toContain('js-late');
  }, 30_000);
});

describe("kcat against Kafka's unsecured validator", () => {
  const devArgs = ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=OAUTHBEARER', '-X', 'enable.sasl.oauthbearer.unsecure.jwt=true'];

  it('principal=alice produces and consumes as User:alice', async () => {
    const p = await kcat(['-P', '-b', `127.0.0.1:${devPort}`, '-t', 'oauth-kcat', '-p', '0', ...devArgs, '-X', 'sasl.oauthbearer.config=principal=alice'], 'm1\nm2\n');
    expect(p.code, p.stderr).toBe(0);
    // A consumer that stays connected while the broker's view of it is checked.
    const c = spawn('kcat', ['-C', '-u', '-b', `127.0.0.1:${devPort}`, '-t', 'oauth-kcat', '-p', '0', '-o', 'beginning', ...devArgs, '-X', 'sasl.oauthbearer.config=principal=alice']);
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await until(() => (out.includes('m2') ? true : undefined), 'kcat to consume').catch((e: Error) => {
        throw new Error(`${e.message}; producer: ${p.stderr}; consumer: ${err}`);
      });
      expect(out).toContain('m1');
      expect(principals('DEV')).toContain('User:alice/OAUTHBEARER');
    } finally {
      c.kill('SIGKILL');
    }
  }, 30_000);

  it('the signed listener refuses the same unsigned token', async () => {
    const r = await kcat(['-L', '-b', `127.0.0.1:${signedPort}`, '-m', '5', ...devArgs, '-X', 'sasl.oauthbearer.config=principal=mallory']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('SASL authentication error: {"status":"invalid_token"}');
    expect(principals('SASL_PLAINTEXT').join()).not.toContain('mallory');
  }, 30_000);
});

describe('the exchange on the wire (SaslHandshake v1, SaslAuthenticate v2)', () => {
  const authenticate = async (c: KafkaTestClient, token: string) => {
    const hs = await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'OAUTHBEARER' });
    expect(hs.errorCode).toBe(0);
    return c.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`n,,\x01auth=Bearer ${token}\x01\x01`) });
  };
  const served = async (c: KafkaTestClient) => expect((await c.request(ApiKey.Metadata, 1, { topics: null })).brokers.length).toBe(1);

  it('a refused token gets the JSON challenge, then SASL_AUTHENTICATION_FAILED with it after ^A, and nothing is served', async () => {
    const c = await KafkaTestClient.connect(signedPort);
    const r = await authenticate(c, await jwt('raw-late', { expiresInS: -60 }));
    expect([r.errorCode, Buffer.from(r.authBytes).toString()]).toEqual([0, '{"status":"invalid_token"}']);
    const fin = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from([1]) });
    expect([fin.errorCode, fin.errorMessage]).toEqual([ErrorCode.SASL_AUTHENTICATION_FAILED, '{"status":"invalid_token"}']);
    if (!c.raw.closed) c.send(ApiKey.Metadata, 1, { topics: null });
    await expect(c.raw.next(3000)).rejects.toThrow(/closed/);
  });

  it("the session lasts until the token's exp; re-authentication needs the same subject; an expired session is closed", async () => {
    const c = await KafkaTestClient.connect(signedPort);
    const r = await authenticate(c, await jwt('raw-carol', { expiresInS: 3 }));
    expect(r.errorCode).toBe(0);
    expect(Number(r.sessionLifetimeMs)).toBeGreaterThan(1000);
    expect(Number(r.sessionLifetimeMs)).toBeLessThanOrEqual(3000);
    await served(c);
    expect(principals('SASL_PLAINTEXT')).toContain('User:raw-carol/OAUTHBEARER');
    // Re-authenticating as the same subject with a fresh token is accepted and extends the session.
    const again = await authenticate(c, await jwt('raw-carol', { expiresInS: 2 }));
    expect(again.errorCode).toBe(0);
    expect(Number(again.sessionLifetimeMs)).toBeLessThanOrEqual(2000);
    await served(c);
    // Past exp, the next request closes the connection.
    await new Promise((res) => setTimeout(res, 2100));
    c.send(ApiKey.Metadata, 1, { topics: null });
    await expect(c.raw.next(3000)).rejects.toThrow(/closed/);

    const d = await KafkaTestClient.connect(signedPort);
    expect((await authenticate(d, await jwt('raw-dave'))).errorCode).toBe(0);
    const other = await authenticate(d, await jwt('raw-eve'));
    expect(other.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    d.close();
  }, 20_000);
});

describe('fuzzed OAUTHBEARER messages on the wire', () => {
  it('mutated initial responses get the challenge or SASL_AUTHENTICATION_FAILED, serve nothing, and the broker keeps serving', async () => {
    const seed = Number(process.env.RIVULET_SEED ?? Date.now() % 2 ** 31);
    console.log(`oauthbearer wire fuzz seed ${seed} (RIVULET_SEED=${seed} replays it)`);
    const rnd = mulberry32(seed);
    const good = await jwt('fuzz-ok');
    const base = Buffer.from(`n,,\x01auth=Bearer ${good}\x01\x01`);
    const trial = async (i: number, bytes: Buffer): Promise<void> => {
      const c = await KafkaTestClient.connect(signedPort);
      try {
        expect((await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'OAUTHBEARER' })).errorCode).toBe(0);
        const r = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: bytes });
        if (r.errorCode === 0 && r.authBytes.length === 0) {
          // Only an intact token may authenticate.
          expect(bytes.includes(Buffer.from(good)), `seed ${seed} trial ${i}`).toBe(true);
          return;
        }
        if (r.errorCode === 0) {
          expect(JSON.parse(Buffer.from(r.authBytes).toString()), `seed ${seed} trial ${i}`).toEqual({ status: 'invalid_token' });
          const fin = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from([1]) });
          expect(fin.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
        } else expect(r.errorCode, `seed ${seed} trial ${i}`).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
        if (!c.raw.closed) c.send(ApiKey.Metadata, 1, { topics: null });
        await expect(c.raw.next(3000)).rejects.toThrow(/closed/);
      } finally {
        c.close();
      }
    };
    const inputs = Array.from({ length: 120 }, () => {
      const m = Buffer.from(base);
      switch (Math.floor(rnd() * 4)) {
        case 0:
          for (let j = 0, n = 1 + Math.floor(rnd() * 3); j < n; j++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
          return m;
        case 1:
          return m.subarray(0, Math.floor(rnd() * m.length));
        case 2:
          return Buffer.from(Array.from({ length: Math.floor(rnd() * 400) }, () => Math.floor(rnd() * 256)));
        default:
          return Buffer.concat([m, Buffer.alloc(Math.floor(rnd() * 70_000), 0x41)]);
      }
    });
    for (let i = 0; i < inputs.length; i += 12) await Promise.all(inputs.slice(i, i + 12).map((b, j) => trial(i + j, b)));
    const c = await KafkaTestClient.connect(signedPort);
    expect((await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'OAUTHBEARER' })).errorCode).toBe(0);
    expect((await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: base })).errorCode).toBe(0);
    expect((await c.request(ApiKey.Metadata, 1, { topics: null })).brokers.length).toBe(1);
    c.close();
  }, 50_000);
});
