// host-browser/sync in headless Chromium against a secured WebSocket listener: ws.security.protocol=SASL_SSL
// (wss:// with a throwaway openssl CA), SCRAM-SHA-256 credentials made in-process, ws.allowed.origins set to
// the test page's origin.
// - a tab mirrors 200 records to a topic over wss:// authenticated with SCRAM; kcat (on the plaintext TCP
//   listener) reads exactly those; the broker saw the tab's connection as User:alice over SASL_SSL;
// - a tab with a wrong password stays offline with SASL_AUTHENTICATION_FAILED as its last error and writes nothing;
// - a page of another origin (the broker's own https page) cannot open a WebSocket (403 before the upgrade).
//
// Trusting the CA: Chromium on Linux reads trust anchors from an NSS database in $HOME (certutil is not
// installed here), so the test instead passes --ignore-certificate-errors-spki-list with the SHA-256 of the
// broker certificate's public key: only that key is accepted despite its unknown issuer, every other
// certificate error still fails as usual.
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startBroker, type RunningBroker } from '../../host-node/broker.js';
import { silentLogger } from '../../host-node/util/log.js';
import { newScramCredential } from '../../host-node/security/scram.js';
import { principalToString } from '../../host-node/security/principal.js';
import { startBrowser, type BrowserHarness } from '../browser/helpers.js';
import { kcatConsume, range } from './helpers.js';
import { CertDir } from '../security/support/certs.js';

const certs = new CertDir();
let broker: RunningBroker;
let browser: BrowserHarness;
const pem = (name: string): string => certs.path(name);

beforeAll(async () => {
  await certs.ca('test-ca');
  await certs.leaf('test-ca', 'server', '/CN=broker');
  const cert = readFileSync(pem('server.crt'), 'utf8');
  const spki = createHash('sha256').update(new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  browser = await startBrowser({ args: [`--ignore-certificate-errors-spki-list=${spki}`] });
  broker = await startBroker({
    host: '127.0.0.1',
    port: 0,
    dataDir: mkdtempSync(pem('data-')),
    log: silentLogger,
    sets: {
      'ws.port': 0,
      'ws.security.protocol': 'SASL_SSL',
      'listener.name.websocket.ssl.keystore.type': 'PEM',
      'listener.name.websocket.ssl.keystore.key': readFileSync(pem('server.key'), 'utf8'),
      'listener.name.websocket.ssl.keystore.certificate.chain': cert,
      'listener.name.websocket.sasl.enabled.mechanisms': 'SCRAM-SHA-256',
      'ws.allowed.origins': browser.origin,
      'offsets.topic.num.partitions': 1,
    },
  });
  await broker.context.securityStore.alterScram([{ user: 'alice', mechanism: 'SCRAM-SHA-256', credential: newScramCredential('SCRAM-SHA-256', 'alice-secret', 4096) }]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await broker?.close();
  certs.remove();
});

type Status = { state: string; online: boolean; lag: number; records: number; lastError?: string };
type Handle = { status: Status; stop(): Promise<void> };
type OpenLog = { append(r: unknown): Promise<unknown>; sync(o: unknown): Promise<Handle> };
type Win = { Rivulet: { open(t: string): Promise<OpenLog> }; outbox: OpenLog; sync: Handle };

async function waitStatus(page: Page, want: (s: Status) => boolean, what: string): Promise<Status> {
  let s = await page.evaluate(() => (window as unknown as Win).sync.status);
  for (let i = 0; i < 300 && !want(s); i++) {
    await new Promise((r) => setTimeout(r, 100));
    s = await page.evaluate(() => (window as unknown as Win).sync.status);
  }
  expect(want(s), `${what}; status ${JSON.stringify(s)}`).toBe(true);
  return s;
}

async function startMirror(page: Page, url: string, topic: string, password: string, values: string[]): Promise<void> {
  await page.evaluate(
    async ({ url, topic, password, values }) => {
      const w = window as unknown as Win;
      w.outbox = await w.Rivulet.open(`outbox-${topic}`);
      w.sync = await w.outbox.sync({ url, topic, mode: 'mirror', sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password } });
      await w.outbox.append(values.map((value) => ({ value })));
    },
    { url, topic, password, values },
  );
}

describe('a tab syncing over wss:// with SASL SCRAM-SHA-256', () => {
  it('mirrors its records to the broker, authenticated as alice', async () => {
    const topic = `secure-e2e-${Date.now()}`;
    const url = broker.ws!.url;
    expect(url).toMatch(/^wss:\/\//);
    const page = await browser.openTestPage();
    const values = range(200, 'secure-');
    await startMirror(page, url, topic, 'alice-secret', values);
    await waitStatus(page, (s) => s.state === 'online' && s.lag === 0 && s.records === 200, 'online, everything delivered');
    expect(await kcatConsume(broker.port, topic)).toEqual(values);
    expect([...broker.ws!.connections].map((c) => `${c.security.securityProtocol}/${principalToString(c.security.principal)}/${c.security.saslMechanism}`)).toContain(
      'SASL_SSL/User:alice/SCRAM-SHA-256',
    );
    await page.evaluate(() => (window as unknown as Win).sync.stop());
  });

  it('with a wrong password stays offline with SASL_AUTHENTICATION_FAILED and sends nothing', async () => {
    const topic = `secure-bad-${Date.now()}`;
    const page = await browser.openTestPage(await browser.context.newPage());
    await startMirror(page, broker.ws!.url, topic, 'wrong', ['never']);
    const s = await waitStatus(page, (st) => /SASL_AUTHENTICATION_FAILED/.test(st.lastError ?? ''), 'the refusal reported');
    expect(s.online).toBe(false);
    expect(s.lag).toBe(1);
    expect(broker.context.topicRegistry.topic(topic)).toBeUndefined();
    await page.evaluate(() => (window as unknown as Win).sync.stop());
    await page.close();
  });

  it('a page of another origin cannot open a WebSocket to the listener', async () => {
    const page = await browser.context.newPage();
    // The broker's own https origin is not in ws.allowed.origins (only the test page's is).
    await page.goto(`https://127.0.0.1:${broker.ws!.port}/`).catch(() => undefined);
    expect(new URL(page.url()).origin).not.toBe(browser.origin);
    const outcome = await page.evaluate(
      (wsUrl) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(wsUrl);
          ws.onopen = () => resolve('open');
          ws.onclose = (ev) => resolve(`closed ${ev.code}`);
        }),
      broker.ws!.url,
    );
    expect(outcome).toBe('closed 1006');
    // From the allowed origin the same URL opens.
    const ok = await browser.openTestPage(await browser.context.newPage());
    const allowed = await ok.evaluate(
      (wsUrl) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(wsUrl);
          ws.onopen = () => {
            resolve('open');
            ws.close();
          };
          ws.onclose = (ev) => resolve(`closed ${ev.code}`);
        }),
      broker.ws!.url,
    );
    expect(allowed).toBe('open');
    await page.close();
    await ok.close();
  });
});
