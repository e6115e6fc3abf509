// Security of the Kafka-over-WebSocket listener (listener WEBSOCKET):
// - ws.security.protocol=SSL: wss:// with listener.name.websocket.ssl.* (a throwaway openssl CA); a client
//   that trusts the CA is served, one that does not and a plain ws:// client are turned away, https serves
//   the plain-HTTP answers;
// - ws.allowed.origins: an upgrade from an Origin not on the list gets 403 and no WebSocket; listed origins,
//   `*.` patterns and requests without an Origin pass;
// - ws.security.protocol=SASL_PLAINTEXT / SASL_SSL: SaslHandshake + SaslAuthenticate in WebSocket messages
//   authenticate the connection as over TCP (PLAIN from a raw client; PLAIN and SCRAM-SHA-256/512 from the
//   browser sync's WsConnection on the `ws` package); a wrong password is refused and nothing is served;
// - the ws.* configs: defaults, validation, and DescribeConfigs listing them with their docs.
import { readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import { ApiKey } from '../../protocol/generated/api.js';
import { ErrorCode } from '../../protocol/errors.js';
import { BrokerConfig } from '../../host-node/config/broker-config.js';
import { newScramCredential } from '../../host-node/security/scram.js';
import { principalToString } from '../../host-node/security/principal.js';
import { originCheck } from '../../host-node/network/allowed-origins.js';
import { WsConnection, type WebSocketConstructor } from '../../host-browser/sync/ws-connection.js';
import { KafkaProtocolError } from '../../client/errors.js';
import { KafkaTestClient, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { ScramClient as NodeScramClient, plainToken } from './sasl-client.js';
import { frame } from '../helpers/raw-client.js';
import { WsClient } from '../helpers/ws-client.js';
import { CertDir } from './support/certs.js';

const certs = new CertDir();
const pem = (name: string): string => certs.path(name);

/** Opens a WebSocket and reports how it went: 'open', 'HTTP <status>' or the error's message. */
function tryOpen(url: string, options: ClientOptions = {}): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => {
      ws.terminate();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(`HTTP ${res.statusCode}`);
      ws.terminate();
    });
    ws.once('error', (e: Error) => resolve(`error: ${e.message}`));
  });
}

async function metadataOk(c: WsClient): Promise<void> {
  const md = await c.request(ApiKey.Metadata, 1, { topics: null });
  expect(md.brokers.length).toBe(1);
}

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";';
const APP = 'https://app.example.com';

let sslBroker: TestBroker;
let saslBroker: TestBroker;
let saslSslBroker: TestBroker;
let ca: string;

beforeAll(async () => {
  await certs.caWithLeaves('ca', ['server']);
  await certs.ca('other-ca');
  ca = readFileSync(pem('ca.crt'), 'utf8');
  // The WebSocket listener's own key store (listener.name.websocket.ssl.*); the broker-wide ssl.* has none.
  sslBroker = await startTestBroker({
    sets: {
      'ws.port': 0,
      'ws.security.protocol': 'SSL',
      'listener.name.websocket.ssl.keystore.type': 'PEM',
      'listener.name.websocket.ssl.keystore.key': readFileSync(pem('server.key'), 'utf8'),
      'listener.name.websocket.ssl.keystore.certificate.chain': readFileSync(pem('server.crt'), 'utf8'),
      'ws.allowed.origins': `${APP},https://*.trusted.test,null`,
    },
  });
  saslBroker = await startTestBroker({
    sets: {
      'ws.port': 0,
      'ws.security.protocol': 'SASL_PLAINTEXT',
      'listener.name.websocket.sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'listener.name.websocket.plain.sasl.jaas.config': JAAS,
    },
  });
  saslSslBroker = await startTestBroker({
    sets: {
      'ws.port': 0,
      'ws.security.protocol': 'SASL_SSL',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.key': readFileSync(pem('server.key'), 'utf8'),
      'ssl.keystore.certificate.chain': readFileSync(pem('server.crt'), 'utf8'),
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    },
  });
  for (const b of [saslBroker, saslSslBroker])
    await b.context.securityStore.alterScram([
      { user: 'alice', mechanism: 'SCRAM-SHA-256', credential: newScramCredential('SCRAM-SHA-256', 'alice-secret', 4096) },
      { user: 'alice', mechanism: 'SCRAM-SHA-512', credential: newScramCredential('SCRAM-SHA-512', 'alice-secret', 8192) },
    ]);
}, 60_000);

afterAll(async () => {
  await sslBroker?.close();
  await saslBroker?.close();
  await saslSslBroker?.close();
  certs.remove();
});

describe('ws.security.protocol=SSL', () => {
  it('serves wss:// to a client that trusts the CA; the URL and the demo page are https', async () => {
    const l = sslBroker.ws!;
    expect(l.url).toBe(`wss://127.0.0.1:${l.port}/`);
    if (l.demoUrl !== null) expect(l.demoUrl).toMatch(/^https:\/\//);
    const c = await WsClient.connect(l.url, { ca });
    const av = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    expect(av.errorCode).toBe(0);
    await metadataOk(c);
    const [conn] = [...l.connections];
    expect(conn!.security.securityProtocol).toBe('SSL');
    c.close();
  });

  it('answers plain HTTP over TLS (426 for a request that is not an upgrade)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      httpsGet({ host: '127.0.0.1', port: sslBroker.ws!.port, path: '/', ca }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(status).toBe(426);
  });

  it('turns away a client that does not trust the CA, and a plain ws:// client on the wss port', async () => {
    const port = sslBroker.ws!.port;
    expect(await tryOpen(`wss://127.0.0.1:${port}/`, { ca: readFileSync(pem('other-ca.crt'), 'utf8') })).toMatch(/^error: .*(self-signed|unable to verify|certificate)/i);
    expect(await tryOpen(`wss://127.0.0.1:${port}/`)).toMatch(/^error: /);
    const plain = await tryOpen(`ws://127.0.0.1:${port}/`);
    expect(plain).not.toBe('open');
    expect(plain).toMatch(/^error: /);
    // The listener keeps serving.
    const c = await WsClient.connect(`wss://127.0.0.1:${port}/`, { ca });
    await metadataOk(c);
    c.close();
  });
});

describe('ws.allowed.origins', () => {
  it('refuses an upgrade from an origin not on the list with 403 before the WebSocket opens', async () => {
    const url = sslBroker.ws!.url;
    const opened: string[] = [];
    const l = sslBroker.ws!;
    const was = l.connections.size;
    // Scheme and port are part of an origin: https://*.trusted.test does not cover another port.
    for (const origin of ['https://evil.example.com', 'http://app.example.com', 'https://app.example.com.evil.com', 'https://trusted.test.evil.com', 'https://a.trusted.test:8443', `${APP}, https://evil.example.com`]) {
      expect(await tryOpen(url, { ca, origin }), origin).toBe('HTTP 403');
      if (l.connections.size > was) opened.push(origin);
    }
    expect(opened).toEqual([]);
  });

  it('lets listed origins, `*.` patterns, `null` and clients without an Origin header in', async () => {
    const url = sslBroker.ws!.url;
    for (const origin of [APP, 'HTTPS://APP.EXAMPLE.COM', 'https://a.trusted.test', 'https://x.y.trusted.test', 'null', undefined]) {
      expect(await tryOpen(url, { ca, ...(origin === undefined ? {} : { origin }) }), String(origin)).toBe('open');
    }
  });

  it('an empty list (the default) lets every origin in', async () => {
    expect(await tryOpen(saslBroker.ws!.url, { origin: 'https://anywhere.example' })).toBe('open');
  });

  it('the matcher: `*` allows all, entries ignore case, `*` does not cross a slash', () => {
    expect(originCheck(['*'])('https://x')).toBe(true);
    expect(originCheck([])('https://x')).toBe(true);
    const check = originCheck(['http://localhost:*']);
    expect(check('http://localhost:5173')).toBe(true);
    expect(check('http://localhost.evil.com/:1')).toBe(false);
    expect(check('https://localhost:5173')).toBe(false);
    expect(check(undefined)).toBe(true);
  });
});

describe('SASL over WebSocket', () => {
  it('SaslHandshake + SaslAuthenticate PLAIN in binary messages authenticate the connection, then Metadata is served', async () => {
    const l = saslBroker.ws!;
    const c = await WsClient.connect(l.url);
    const hs = await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    expect(hs.errorCode).toBe(0);
    expect(hs.mechanisms).toEqual(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
    const auth = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: plainToken('alice', 'alice-secret') });
    expect(auth.errorCode).toBe(0);
    await metadataOk(c);
    const conns = [...l.connections];
    expect(conns.map((x) => `${x.listenerName}/${x.security.securityProtocol}/${principalToString(x.security.principal)}/${x.security.saslMechanism}`)).toEqual([
      'WEBSOCKET/SASL_PLAINTEXT/User:alice/PLAIN',
    ]);
    c.close();
  });

  it('a wrong password is refused with SASL_AUTHENTICATION_FAILED, the WebSocket closes and nothing is served', async () => {
    const c = await WsClient.connect(saslBroker.ws!.url);
    expect((await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
    const auth = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: plainToken('alice', 'wrong') });
    expect(auth.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    if (!c.closed) c.send(ApiKey.Metadata, 1, { topics: null });
    await expect(c.next(3000)).rejects.toThrow(/closed/);
    expect(c.closed).toBe(true);
  });

  it('SaslHandshake v0: bare SCRAM-SHA-512 tokens, one size-prefixed token per binary message each way', async () => {
    const c = await WsClient.connect(saslBroker.ws!.url);
    expect((await c.request(ApiKey.SaslHandshake, 0, { mechanism: 'SCRAM-SHA-512' })).errorCode).toBe(0);
    const scram = new NodeScramClient('SCRAM-SHA-512', 'alice', 'alice-secret');
    c.ws.send(frame(scram.first()), { binary: true });
    const serverFirst = await c.next();
    c.ws.send(frame(scram.final(serverFirst)), { binary: true });
    expect(scram.verify(await c.next())).toBe(true);
    await metadataOk(c);
    c.close();
  });

  it('a request other than ApiVersions / SaslHandshake before authentication closes the WebSocket unanswered', async () => {
    const c = await WsClient.connect(saslBroker.ws!.url);
    c.send(ApiKey.Metadata, 1, { topics: null });
    await expect(c.next(3000)).rejects.toThrow(/closed/);
  });

  const WS = WebSocket as unknown as WebSocketConstructor;
  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`the browser sync's WsConnection authenticates with ${mechanism}`, async () => {
      const c = await WsConnection.connect({ url: saslBroker.ws!.url, WebSocket: WS, sasl: { mechanism, username: 'alice', password: 'alice-secret' } });
      const md = await c.send(ApiKey.Metadata, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      expect(md.brokers.length).toBe(1);
      expect([...saslBroker.ws!.connections].some((x) => x.security.saslMechanism === mechanism && principalToString(x.security.principal) === 'User:alice')).toBe(true);
      c.close();
    });
  }

  it("WsConnection with a wrong SCRAM password fails with SASL_AUTHENTICATION_FAILED (not retriable)", async () => {
    const err = await WsConnection.connect({ url: saslBroker.ws!.url, WebSocket: WS, sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'nope' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaProtocolError);
    expect((err as KafkaProtocolError).code).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    expect((err as KafkaProtocolError).retriable).toBe(false);
  });

  it('SASL_SSL: SCRAM-SHA-512 over wss:// (broker-wide ssl.* and sasl.enabled.mechanisms)', async () => {
    const l = saslSslBroker.ws!;
    expect(l.url.startsWith('wss://')).toBe(true);
    class TrustingWs extends WebSocket {
      constructor(url: string) {
        super(url, { ca });
      }
    }
    const c = await WsConnection.connect({ url: l.url, WebSocket: TrustingWs as unknown as WebSocketConstructor, sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'alice-secret' } });
    const md = await c.send(ApiKey.Metadata, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(md.brokers.length).toBe(1);
    expect([...l.connections].map((x) => `${x.security.securityProtocol}/${principalToString(x.security.principal)}`)).toEqual(['SASL_SSL/User:alice']);
    c.close();
    // PLAIN is not enabled on this listener.
    const err = await WsConnection.connect({ url: l.url, WebSocket: TrustingWs as unknown as WebSocketConstructor, sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } }).catch((e: unknown) => e);
    expect((err as KafkaProtocolError).code).toBe(ErrorCode.UNSUPPORTED_SASL_MECHANISM);
  });
});

describe('ws.* configs', () => {
  it('defaults, validation and the start-up refusal of a SASL listener without mechanisms', async () => {
    const d = BrokerConfig.load({});
    expect(d.get('ws.security.protocol')).toBe('PLAINTEXT');
    expect(d.get('ws.allowed.origins')).toEqual([]);
    expect(BrokerConfig.load({ sets: { 'ws.allowed.origins': 'https://a.example, *' } }).get('ws.allowed.origins')).toEqual(['https://a.example', '*']);
    expect(() => BrokerConfig.load({ sets: { 'ws.security.protocol': 'TLS' } })).toThrow(/ws.security.protocol/);
    expect(() => BrokerConfig.load({ sets: { 'ws.allowed.origins': 'https://a.example/path' } })).toThrow(/ws.allowed.origins/);
    expect(() => BrokerConfig.load({ sets: { 'ws.allowed.origins': 'app.example.com' } })).toThrow(/ws.allowed.origins/);
    await expect(startTestBroker({ sets: { 'ws.port': 0, 'ws.security.protocol': 'SASL_PLAINTEXT', 'sasl.enabled.mechanisms': 'GSSAPI' } })).rejects.toThrow(/WEBSOCKET/);
    await expect(startTestBroker({ sets: { 'ws.port': 0, 'ws.security.protocol': 'SSL' } })).rejects.toThrow(/key store|keystore/);
  });

  it('DescribeConfigs lists ws.security.protocol and ws.allowed.origins with their values and docs', async () => {
    const c = await KafkaTestClient.connect(sslBroker.port);
    const r = await c.request(ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType: 4, resourceName: String(sslBroker.context.nodeId), configurationKeys: ['ws.security.protocol', 'ws.allowed.origins'] }],
      includeSynonyms: false,
      includeDocumentation: true,
    });
    c.close();
    const configs = r.results[0]!.configs;
    const byName = new Map(configs.map((x) => [x.name, x]));
    expect(byName.get('ws.security.protocol')?.value).toBe('SSL');
    expect(byName.get('ws.allowed.origins')?.value).toBe(`${APP},https://*.trusted.test,null`);
    expect(byName.get('ws.allowed.origins')?.documentation).toMatch(/403/);
    expect(byName.get('ws.security.protocol')?.documentation).toMatch(/listener\.name\.websocket/);
  });
});
