// SASL/OAUTHBEARER's server side, driven directly: RFC 7628 initial responses carrying JWTs signed by test
// keys (a JWKS file and a JWKS served over local HTTP), Kafka's unsecured validator, the JSON error
// challenge and the ^A that ends a refused exchange, malformed GS2 headers, oversized messages and a seeded
// fuzz of initial responses (RIVULET_SEED=<n> replays it).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../helpers/seeded-random.js';
import { UNSECURED_VALIDATOR_CALLBACK_HANDLER, VALIDATOR_CALLBACK_HANDLER, type OAuthBearerListenerSettings } from '../../host-node/config/oauthbearer-defs.js';
import { SaslAuthenticationError, type SaslStep } from '../../host-node/security/sasl/mechanism.js';
import { OAuthBearerMechanismFactory, OAuthBearerSaslServer, createTokenValidator } from '../../host-node/security/sasl/oauthbearer.js';
import { MAX_INITIAL_RESPONSE_BYTES, parseInitialResponse } from '../../host-node/security/sasl/oauthbearer-initial-response.js';
import { BrokerConfig } from '../../host-node/config/broker-config.js';
import type { Logger } from '../../host-node/util/log.js';

const NOW_S = 1_800_000_000;
const now = () => NOW_S * 1000;
const ISSUER = 'https://issuer.test';
const AUDIENCE = 'kafka-broker';

let dir: string;
let key: CryptoKey;
let otherKey: CryptoKey;
let jwk: JWK;
let jwksFileUrl: string;
let http: Server;
let httpUrl: string;
let httpFetches = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rivulet-oauth-'));
  const pair = await generateKeyPair('RS256');
  key = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const path = join(dir, 'jwks.json');
  writeFileSync(path, JSON.stringify({ keys: [jwk] }));
  jwksFileUrl = pathToFileURL(path).href;
  http = createServer((_req, res) => {
    httpFetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}/jwks`;
});

afterAll(async () => {
  await new Promise<void>((r) => http.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

interface TokenOpts {
  sub?: string | null;
  iss?: string;
  aud?: string | string[];
  iat?: number | null;
  exp?: number | null;
  nbf?: number;
  scope?: string;
  signer?: CryptoKey;
  kid?: string;
}

async function signed(o: TokenOpts = {}): Promise<string> {
  const claims: Record<string, unknown> = { scope: o.scope ?? 'read write' };
  if (o.sub !== null) claims.sub = o.sub ?? 'alice';
  if (o.iat !== null) claims.iat = o.iat ?? NOW_S - 10;
  if (o.exp !== null) claims.exp = o.exp ?? NOW_S + 3600;
  if (o.nbf !== undefined) claims.nbf = o.nbf;
  claims.iss = o.iss ?? ISSUER;
  claims.aud = o.aud ?? AUDIENCE;
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: o.kid ?? 'k1' }).sign(o.signer ?? key);
}

function b64u(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

/** An unsigned JWT as librdkafka's enable.sasl.oauthbearer.unsecure.jwt writes it (fractional NumericDates). */
function unsigned(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'none' }): string {
  return `${b64u(header)}.${b64u(claims)}.`;
}

function initial(token: string, authzid = '', extra = ''): Uint8Array {
  return new TextEncoder().encode(`n,${authzid === '' ? '' : `a=${authzid}`},\x01auth=Bearer ${token}\x01${extra}\x01`);
}

function settings(over: Partial<OAuthBearerListenerSettings> = {}): OAuthBearerListenerSettings {
  return {
    validator: 'jwks',
    jwksEndpointUrl: jwksFileUrl,
    jwksRefreshMs: 3600000,
    clockSkewSeconds: 30,
    expectedAudience: [AUDIENCE],
    expectedIssuer: ISSUER,
    scopeClaimName: 'scope',
    subClaimName: 'sub',
    jaasOptions: new Map(),
    ...over,
  };
}

function server(s: OAuthBearerListenerSettings = settings()): OAuthBearerSaslServer {
  return new OAuthBearerSaslServer(createTokenValidator(s, now));
}

const text = (step: SaslStep) => new TextDecoder().decode(step.response);

/** A refused token: the JSON challenge, then failure on the client's ^A with that JSON as the message. */
async function expectRefused(s: OAuthBearerSaslServer, msg: Uint8Array, status = 'invalid_token'): Promise<string> {
  const step = await s.evaluate(msg);
  expect(step.complete).toBe(false);
  expect(step.principal).toBeUndefined();
  const json = text(step);
  expect(JSON.parse(json).status).toBe(status);
  await expect(s.evaluate(new Uint8Array([1]))).rejects.toThrow(new SaslAuthenticationError(json));
  return json;
}

describe('signed JWTs against a JWKS file', () => {
  it('a valid token completes as User:<sub>, with the session bounded by exp', async () => {
    const s = server();
    const step = await s.evaluate(initial(await signed()));
    expect(step.complete).toBe(true);
    expect(step.response.length).toBe(0);
    expect(step.principal).toEqual({ principalType: 'User', name: 'alice' });
    expect(step.credentialExpiresAtMs).toBe((NOW_S + 3600) * 1000);
    // The exchange is over: another message fails.
    await expect(s.evaluate(new Uint8Array([1]))).rejects.toBeInstanceOf(SaslAuthenticationError);
  });

  it('the principal comes from sasl.oauthbearer.sub.claim.name', async () => {
    const claims = { email: 'bob@example.com', iat: NOW_S, exp: NOW_S + 60, iss: ISSUER, aud: AUDIENCE };
    const tok = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(key);
    const step = await server(settings({ subClaimName: 'email' })).evaluate(initial(tok));
    expect(step.principal?.name).toBe('bob@example.com');
    // Without the claim under the default name, the token is refused.
    await expectRefused(server(), initial(tok));
  });

  it('an expired token is refused with {"status":"invalid_token"}, and the client ^A fails the exchange', async () => {
    const json = await expectRefused(server(), initial(await signed({ iat: NOW_S - 7200, exp: NOW_S - 3600 })));
    expect(json).toBe('{"status":"invalid_token"}');
  });

  it('clock skew: exp and nbf within sasl.oauthbearer.clock.skew.seconds pass, beyond it fail', async () => {
    expect((await server().evaluate(initial(await signed({ exp: NOW_S - 20 })))).complete).toBe(true);
    await expectRefused(server(), initial(await signed({ exp: NOW_S - 40 })));
    expect((await server().evaluate(initial(await signed({ nbf: NOW_S + 20 })))).complete).toBe(true);
    await expectRefused(server(), initial(await signed({ nbf: NOW_S + 40 })));
    await expectRefused(server(settings({ clockSkewSeconds: 0 })), initial(await signed({ exp: NOW_S - 20 })));
  });

  it('wrong audience or issuer is refused; any of several expected audiences passes', async () => {
    await expectRefused(server(), initial(await signed({ aud: 'someone-else' })));
    await expectRefused(server(), initial(await signed({ iss: 'https://evil.test' })));
    const multi = server(settings({ expectedAudience: ['a', AUDIENCE] }));
    expect((await multi.evaluate(initial(await signed({ aud: ['x', AUDIENCE] })))).complete).toBe(true);
    // Without expectations, iss and aud are not checked.
    const open = server(settings({ expectedAudience: null, expectedIssuer: null }));
    expect((await open.evaluate(initial(await signed({ aud: 'other', iss: 'other' })))).complete).toBe(true);
  });

  it('a bad signature, an unknown key, a tampered payload and alg none are refused', async () => {
    await expectRefused(server(), initial(await signed({ signer: otherKey })));
    await expectRefused(server(), initial(await signed({ kid: 'nope' })));
    const good = (await signed()).split('.');
    const forged = `${good[0]}.${b64u({ sub: 'admin', iat: NOW_S, exp: NOW_S + 60, iss: ISSUER, aud: AUDIENCE })}.${good[2]}`;
    await expectRefused(server(), initial(forged));
    await expectRefused(server(), initial(unsigned({ sub: 'admin', iat: NOW_S, exp: NOW_S + 60, iss: ISSUER, aud: AUDIENCE })));
    await expectRefused(server(), initial(unsigned({ sub: 'admin', iat: NOW_S, exp: NOW_S + 60 }, { alg: 'none', kid: 'k1' })));
  });

  it('exp, iat and the subject are required', async () => {
    await expectRefused(server(), initial(await signed({ exp: null })));
    await expectRefused(server(), initial(await signed({ iat: null })));
    await expectRefused(server(), initial(await signed({ sub: null })));
    await expectRefused(server(), initial(await signed({ sub: '  ' })));
  });

  it('an authorization id must equal the principal', async () => {
    expect((await server().evaluate(initial(await signed(), 'alice'))).principal?.name).toBe('alice');
    await expect(server().evaluate(initial(await signed(), 'admin'))).rejects.toThrow(/different from the token's principal name \(alice\)/);
  });

  it('extensions are accepted and ignored', async () => {
    expect((await server().evaluate(initial(await signed(), '', 'traceId=abc 123\x01'))).complete).toBe(true);
  });

  it('anything but ^A after the error challenge also fails', async () => {
    const s = server();
    expect((await s.evaluate(initial(await signed({ aud: 'x' })))).complete).toBe(false);
    await expect(s.evaluate(initial(await signed()))).rejects.toThrow('{"status":"invalid_token"}');
  });

  it('an unreadable JWKS file is a config error at start-up', () => {
    expect(() => createTokenValidator(settings({ jwksEndpointUrl: pathToFileURL(join(dir, 'missing.json')).href }))).toThrow(/Cannot read the JWKS file/);
    expect(() => createTokenValidator(settings({ jwksEndpointUrl: null }))).toThrow(/jwks.endpoint.url/);
  });
});

describe('signed JWTs against a JWKS over HTTP', () => {
  it('fetches the key set once, caches it, and verifies', async () => {
    const validator = createTokenValidator(settings({ jwksEndpointUrl: httpUrl }), now);
    const before = httpFetches;
    for (let i = 0; i < 3; i++) {
      const step = await new OAuthBearerSaslServer(validator).evaluate(initial(await signed({ sub: `u${i}` })));
      expect(step.principal?.name).toBe(`u${i}`);
    }
    expect(httpFetches - before).toBe(1);
    const bad = new OAuthBearerSaslServer(validator);
    await expectRefused(bad, initial(await signed({ signer: otherKey })));
  });

  it('a rotated key set is fetched again once sasl.oauthbearer.jwks.endpoint.refresh.ms has passed', async () => {
    const next = await generateKeyPair('ES256');
    const nextJwk = { ...(await exportJWK(next.publicKey)), kid: 'k2', alg: 'ES256' };
    let served: JWK[] = [jwk];
    const rotating = createServer((_req, res) => res.end(JSON.stringify({ keys: served })));
    await new Promise<void>((r) => rotating.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(rotating.address() as { port: number }).port}/jwks`;
      const validator = createTokenValidator(settings({ jwksEndpointUrl: url, jwksRefreshMs: 150 }), now);
      const k2Token = await new SignJWT({ sub: 'rotated', iat: NOW_S, exp: NOW_S + 60, iss: ISSUER, aud: AUDIENCE }).setProtectedHeader({ alg: 'ES256', kid: 'k2' }).sign(next.privateKey);
      expect((await new OAuthBearerSaslServer(validator).evaluate(initial(await signed()))).complete).toBe(true);
      served = [nextJwk];
      await new Promise((r) => setTimeout(r, 200));
      expect((await new OAuthBearerSaslServer(validator).evaluate(initial(k2Token))).principal?.name).toBe('rotated');
      // The retired key no longer verifies.
      await expectRefused(new OAuthBearerSaslServer(validator), initial(await signed()));
    } finally {
      await new Promise<void>((r) => rotating.close(() => r()));
    }
  });

  it('a JWKS file is read again once the refresh interval has passed', async () => {
    const path = join(dir, 'rotating.json');
    writeFileSync(path, JSON.stringify({ keys: [jwk] }));
    let clock = NOW_S * 1000;
    const validator = createTokenValidator(settings({ jwksEndpointUrl: pathToFileURL(path).href, jwksRefreshMs: 60_000 }), () => clock);
    expect((await new OAuthBearerSaslServer(validator).evaluate(initial(await signed()))).complete).toBe(true);
    writeFileSync(path, JSON.stringify({ keys: [] }));
    expect((await new OAuthBearerSaslServer(validator).evaluate(initial(await signed()))).complete).toBe(true);
    clock += 60_000;
    await expectRefused(new OAuthBearerSaslServer(validator), initial(await signed({ exp: NOW_S + 7200 })));
  });

  it('an unreachable JWKS refuses the token (invalid_token), never accepts it', async () => {
    const validator = createTokenValidator(settings({ jwksEndpointUrl: 'http://127.0.0.1:1/jwks' }), now);
    await expectRefused(new OAuthBearerSaslServer(validator), initial(await signed()));
  });
});

describe("Kafka's unsecured validator", () => {
  const unsecured = (jaas: Record<string, string> = {}) => server(settings({ validator: 'unsecured', jaasOptions: new Map(Object.entries(jaas)) }));

  it('accepts the unsigned token librdkafka writes (fractional NumericDates)', async () => {
    const tok = unsigned({ sub: 'alice', iat: NOW_S - 1.5, exp: NOW_S + 3600.25 });
    const step = await unsecured().evaluate(initial(tok));
    expect(step.principal?.name).toBe('alice');
    expect(step.credentialExpiresAtMs).toBe((NOW_S + 3600.25) * 1000);
  });

  it('refuses signed tokens, a missing exp, expired tokens and iat in the future', async () => {
    await expectRefused(unsecured(), initial(await signed()));
    await expectRefused(unsecured(), initial(unsigned({ sub: 'alice', exp: NOW_S + 60 }, { alg: 'HS256' })));
    await expectRefused(unsecured(), initial(unsigned({ sub: 'alice', iat: NOW_S })));
    await expectRefused(unsecured(), initial(unsigned({ sub: 'alice', exp: NOW_S - 1 })));
    await expectRefused(unsecured(), initial(unsigned({ sub: 'alice', iat: NOW_S + 5, exp: NOW_S + 60 })));
    await expectRefused(unsecured(), initial(unsigned({ iat: NOW_S, exp: NOW_S + 60 })));
    // unsecuredValidatorAllowableClockSkewMs widens both checks.
    const skewed = unsecured({ unsecuredValidatorAllowableClockSkewMs: '10000' });
    expect((await skewed.evaluate(initial(unsigned({ sub: 'alice', iat: NOW_S + 5, exp: NOW_S - 5 })))).complete).toBe(false);
    expect((await unsecured({ unsecuredValidatorAllowableClockSkewMs: '10000' }).evaluate(initial(unsigned({ sub: 'alice', iat: NOW_S + 5, exp: NOW_S + 60 })))).complete).toBe(true);
  });

  it('unsecuredValidatorPrincipalClaimName and unsecuredValidatorRequiredScope (insufficient_scope)', async () => {
    const s = unsecured({ unsecuredValidatorPrincipalClaimName: 'user', unsecuredValidatorRequiredScope: 'kafka produce' });
    const ok = await s.evaluate(initial(unsigned({ user: 'carol', scope: 'kafka produce other', exp: NOW_S + 60 })));
    expect(ok.principal?.name).toBe('carol');
    const json = await expectRefused(
      unsecured({ unsecuredValidatorRequiredScope: 'kafka produce' }),
      initial(unsigned({ sub: 'carol', scope: ['kafka'], exp: NOW_S + 60 })),
      'insufficient_scope',
    );
    expect(json).toBe('{"status":"insufficient_scope", "scope":"kafka produce"}');
  });

  it('a malformed unsecuredValidatorAllowableClockSkewMs is a config error', () => {
    expect(() => createTokenValidator(settings({ validator: 'unsecured', jaasOptions: new Map([['unsecuredValidatorAllowableClockSkewMs', '-5']]) }))).toThrow(
      /unsecuredValidatorAllowableClockSkewMs/,
    );
  });

  it('the factory warns once per listener that unsigned tokens are accepted', async () => {
    const warnings: string[] = [];
    const log = { warn: (m: string) => warnings.push(m), debug: () => undefined } as unknown as Logger;
    const f = new OAuthBearerMechanismFactory((l) => settings(l === 'SIGNED' ? {} : { validator: 'unsecured' }), { log, now });
    f.prepare(['SASL_PLAINTEXT', 'SIGNED', 'SASL_PLAINTEXT']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/SASL_PLAINTEXT accepts unsigned SASL\/OAUTHBEARER tokens/);
    const step = await f.create({ listenerName: 'sasl_plaintext', remoteAddress: '127.0.0.1' }).evaluate(initial(unsigned({ sub: 'dev', exp: NOW_S + 60 })));
    expect(step.principal?.name).toBe('dev');
    expect(warnings).toHaveLength(1);
  });
});

describe('settings from the broker config (KIP-768 names, listener overrides)', () => {
  it('defaults: the unsecured validator, skew 30 s, sub and scope claims', () => {
    expect(BrokerConfig.load().oauthBearerSettings('SASL_PLAINTEXT')).toMatchObject({
      validator: 'unsecured',
      clockSkewSeconds: 30,
      subClaimName: 'sub',
      scopeClaimName: 'scope',
      jwksRefreshMs: 3600000,
      expectedAudience: null,
      expectedIssuer: null,
    });
  });

  it('a JWKS URL, or the validator callback handler on the listener, selects the JWKS validator', () => {
    const c = BrokerConfig.load({ sets: { 'sasl.oauthbearer.jwks.endpoint.url': jwksFileUrl, 'sasl.oauthbearer.expected.audience': 'a,b' } });
    expect(c.oauthBearerSettings('SASL_SSL')).toMatchObject({ validator: 'jwks', jwksEndpointUrl: jwksFileUrl, expectedAudience: ['a', 'b'] });
    const byHandler = BrokerConfig.load({
      sets: {
        'listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class': VALIDATOR_CALLBACK_HANDLER,
        'listener.name.sasl_ssl.oauthbearer.sasl.oauthbearer.expected.issuer': 'iss-a',
        'listener.name.sasl_ssl.sasl.oauthbearer.expected.issuer': 'iss-b',
        'listener.name.other.sasl.oauthbearer.expected.issuer': 'iss-c',
      },
    });
    expect(byHandler.oauthBearerSettings('SASL_SSL')).toMatchObject({ validator: 'jwks', expectedIssuer: 'iss-a' });
    expect(byHandler.oauthBearerSettings('OTHER')).toMatchObject({ validator: 'unsecured', expectedIssuer: 'iss-c' });
    expect(byHandler.oauthBearerSettings('THIRD')).toMatchObject({ validator: 'unsecured', expectedIssuer: null });
    // An explicit unsecured handler wins over a JWKS URL.
    const explicit = BrokerConfig.load({
      sets: { 'sasl.oauthbearer.jwks.endpoint.url': jwksFileUrl, 'listener.name.dev.oauthbearer.sasl.server.callback.handler.class': UNSECURED_VALIDATOR_CALLBACK_HANDLER },
    });
    expect(explicit.oauthBearerSettings('DEV').validator).toBe('unsecured');
    expect(explicit.oauthBearerSettings('SASL_SSL').validator).toBe('jwks');
  });

  it('bad values are refused with Kafka-style messages', () => {
    expect(() => BrokerConfig.load({ sets: { 'sasl.oauthbearer.jwks.endpoint.url': 'ftp://x/jwks' } })).toThrow(/sasl.oauthbearer.jwks.endpoint.url/);
    expect(() => BrokerConfig.load({ sets: { 'sasl.server.callback.handler.class': 'com.example.Custom' } })).toThrow(/Only/);
    expect(() => BrokerConfig.load({ sets: { 'sasl.oauthbearer.clock.skew.seconds': -1 } })).toThrow(/at least 0/);
    expect(() => BrokerConfig.load({ sets: { 'listener.name.x.oauthbearer.sasl.oauthbearer.jwks.endpoint.url': 'nope' } })).toThrow(/listener.name.x.oauthbearer.sasl.oauthbearer.jwks.endpoint.url/);
    expect(() => BrokerConfig.load({ sets: { 'listener.name.x.oauthbearer.sasl.unknown.key': 'v' } })).toThrow(/Unknown configuration/);
  });
});

describe('initial response parsing', () => {
  const enc = (s: string) => new TextEncoder().encode(s);

  it('parses authzid (with =2C/=3D escapes), the token and extensions', () => {
    const r = parseInitialResponse(enc('n,a=a=2Cb=3Dc,\x01auth=bearer x.y.z\x01k=v v\x01\x01'));
    expect(r).toEqual({ authorizationId: 'a,b=c', tokenValue: 'x.y.z', extensions: new Map([['k', 'v v']]) });
  });

  it.each([
    ['empty', ''],
    ['no GS2 header', '\x01auth=Bearer t\x01\x01'],
    ['channel binding requested', 'p=tls-unique,,\x01auth=Bearer t\x01\x01'],
    ['client supports binding', 'y,,\x01auth=Bearer t\x01\x01'],
    ['authzid without a=', 'n,alice,\x01auth=Bearer t\x01\x01'],
    ['empty authzid', 'n,a=,\x01auth=Bearer t\x01\x01'],
    ['bad escape in authzid', 'n,a=x=41,\x01auth=Bearer t\x01\x01'],
    ['unterminated GS2 header', 'n,a=alice'],
    ['missing final ^A', 'n,,\x01auth=Bearer t\x01'],
    ['missing ^A after the header', 'n,,auth=Bearer t\x01\x01'],
    ['no auth', 'n,,\x01k=v\x01\x01'],
    ['auth twice', 'n,,\x01auth=Bearer t\x01auth=Bearer u\x01\x01'],
    ['extension twice', 'n,,\x01auth=Bearer t\x01k=1\x01k=2\x01\x01'],
    ['basic scheme', 'n,,\x01auth=Basic dXNlcg\x01\x01'],
    ['no token', 'n,,\x01auth=Bearer \x01\x01'],
    ['token with a space', 'n,,\x01auth=Bearer a b\x01\x01'],
    ['token with /', 'n,,\x01auth=Bearer a/b\x01\x01'],
    ['bad key', 'n,,\x01auth=Bearer t\x01k1=v\x01\x01'],
    ['pair without =', 'n,,\x01auth=Bearer t\x01kv\x01\x01'],
    ['empty value', 'n,,\x01auth=Bearer t\x01k=\x01\x01'],
    ['NUL byte', 'n,,\x01auth=Bearer t\x00\x01\x01'],
    ['non-ASCII', 'n,a=ünï,\x01auth=Bearer t\x01\x01'],
  ])('refuses %s, and the mechanism fails without a challenge', async (_name, msg) => {
    expect(() => parseInitialResponse(enc(msg))).toThrow(/OAUTHBEARER|byte|exceeds/);
    await expect(server(settings({ validator: 'unsecured' })).evaluate(enc(msg))).rejects.toThrow(
      'Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER',
    );
  });

  it('refuses an oversized message before scanning it, and too many extensions', () => {
    const big = 'n,,\x01auth=Bearer ' + 'a'.repeat(MAX_INITIAL_RESPONSE_BYTES) + '\x01\x01';
    expect(() => parseInitialResponse(enc(big))).toThrow(/exceeds/);
    const alpha = (i: number) => String.fromCharCode(97 + (i % 26)) + String.fromCharCode(97 + Math.floor(i / 26));
    const many = 'n,,\x01auth=Bearer t\x01' + Array.from({ length: 70 }, (_, i) => `x${alpha(i)}=v\x01`).join('') + '\x01';
    expect(() => parseInitialResponse(enc(many))).toThrow(/more than/);
  });

  it('seeded fuzz: mutated initial responses never complete unless the token is intact, and only fail with SaslAuthenticationError', async () => {
    const seed = Number(process.env.RIVULET_SEED ?? Date.now() % 2 ** 31);
    console.log(`oauthbearer fuzz seed ${seed} (RIVULET_SEED=${seed} replays it)`);
    const rnd = mulberry32(seed);
    const good = await signed();
    const base = initial(good);
    const validator = createTokenValidator(settings(), now);
    for (let i = 0; i < 400; i++) {
      const m = Buffer.from(base);
      const kind = Math.floor(rnd() * 4);
      let bytes: Uint8Array;
      if (kind === 0) {
        for (let j = 0, n = 1 + Math.floor(rnd() * 4); j < n; j++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
        bytes = m;
      } else if (kind === 1) bytes = m.subarray(0, Math.floor(rnd() * m.length));
      else if (kind === 2) bytes = Uint8Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256));
      else {
        const at = Math.floor(rnd() * m.length);
        bytes = Buffer.concat([m.subarray(0, at), Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 20) }, () => Math.floor(rnd() * 128))), m.subarray(at)]);
      }
      const s = new OAuthBearerSaslServer(validator);
      let step: SaslStep | undefined;
      try {
        step = await s.evaluate(bytes);
      } catch (e) {
        expect(e, `seed ${seed} trial ${i}`).toBeInstanceOf(SaslAuthenticationError);
        continue;
      }
      if (step.complete) {
        // Only a message whose token survived intact may authenticate, and then as alice.
        expect(parseInitialResponse(bytes).tokenValue, `seed ${seed} trial ${i}`).toBe(good);
        expect(step.principal?.name).toBe('alice');
      } else {
        expect(JSON.parse(text(step)).status, `seed ${seed} trial ${i}`).toBe('invalid_token');
        await expect(s.evaluate(new Uint8Array([1]))).rejects.toBeInstanceOf(SaslAuthenticationError);
      }
    }
  });
});

describe("the README's OAUTHBEARER example", () => {
  it('selects the JWKS validator on its listener with the issuer and audience it names', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    // The README's properties block that configures OAUTHBEARER.
    const blocks = [...readme.matchAll(/```properties\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const props = blocks.find((b) => b.includes('sasl.enabled.mechanisms=OAUTHBEARER'));
    expect(props, 'the README has an OAUTHBEARER properties example').toBeDefined();
    const c = BrokerConfig.load({ propertiesText: props! });
    const s = c.oauthBearerSettings('SASL_SSL');
    expect(s).toMatchObject({
      validator: 'jwks',
      jwksEndpointUrl: 'https://idp.example.com/.well-known/jwks.json',
      expectedIssuer: 'https://idp.example.com',
      expectedAudience: ['kafka'],
    });
    expect(c.saslJaasConfig('SASL_SSL', 'OAUTHBEARER')?.text).toMatch(/OAuthBearerLoginModule required/);
    expect(c.unknownKeys).toEqual([]);
  });
});
