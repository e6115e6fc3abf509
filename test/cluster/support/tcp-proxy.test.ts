// TcpProxy in front of a real broker process: it forwards (kcat produces and consumes through it, the broker
// advertising the proxy's port), cuts with resets (connections drop, new ones are refused), cuts silently
// (connections stay open and nothing moves; a request sent during the cut is answered after heal(), so no
// byte was lost), heals, and delays each direction.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiKey } from '../../../protocol/generated/index.js';
import { KafkaTestClient } from '../../helpers/broker.js';
import { freePort } from '../../helpers/ports.js';
import { BrokerProcess, answersApiVersions, ensureBuilt } from './processes.js';
import { TcpProxy } from './tcp-proxy.js';

const run = promisify(execFile);
let broker: BrokerProcess;
let proxy: TcpProxy;
const API_VERSIONS = { clientSoftwareName: 'proxy-test', clientSoftwareVersion: '1' };

beforeAll(async () => {
  ensureBuilt();
  const brokerPort = await freePort();
  proxy = await TcpProxy.start({ port: brokerPort });
  broker = await BrokerProcess.start({ port: brokerPort, sets: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}` } });
}, 180_000);
afterAll(async () => {
  await proxy?.close();
  await broker?.cleanup();
});

it('forwards a real client: kcat produces and consumes through the proxy', async () => {
  const before = proxy.accepted;
  const lines = Array.from({ length: 50 }, (_, i) => `line-${i}`).join('\n');
  const p = run('kcat', ['-P', '-b', `127.0.0.1:${proxy.port}`, '-t', 'via-proxy', '-p', '0', '-X', 'acks=all'], { timeout: 20_000 });
  p.child.stdin!.end(lines + '\n');
  await p;
  const { stdout } = await run('kcat', ['-C', '-b', `127.0.0.1:${proxy.port}`, '-t', 'via-proxy', '-p', '0', '-o', 'beginning', '-e', '-q'], { timeout: 20_000 });
  expect(stdout.trim().split('\n')).toEqual(lines.split('\n'));
  expect(proxy.accepted).toBeGreaterThan(before); // the clients went through the proxy, not around it
});

it("cut('reset') drops live connections and refuses new ones until heal()", async () => {
  const c = await KafkaTestClient.connect(proxy.port);
  expect((await c.request(ApiKey.ApiVersions, 3, API_VERSIONS)).errorCode).toBe(0);
  proxy.cut('reset');
  expect(await c.raw.waitClosed(2000)).toBe(true);
  expect(proxy.connections).toBe(0);
  expect(await answersApiVersions(proxy.port, 1000)).toBe(false);
  await expect(run('kcat', ['-L', '-b', `127.0.0.1:${proxy.port}`, '-m', '2'], { timeout: 10_000 })).rejects.toThrow();
  proxy.heal();
  expect(await answersApiVersions(proxy.port, 2000)).toBe(true);
});

it("cut('silent') keeps connections open and moves no byte; heal() delivers what waited", async () => {
  const live = await KafkaTestClient.connect(proxy.port);
  expect((await live.request(ApiKey.ApiVersions, 3, API_VERSIONS)).errorCode).toBe(0);
  proxy.cut('silent');
  const corr = live.send(ApiKey.ApiVersions, 3, API_VERSIONS);
  const fresh = await KafkaTestClient.connect(proxy.port); // accepted: a partition does not refuse
  const freshCorr = fresh.send(ApiKey.ApiVersions, 3, API_VERSIONS);
  await expect(live.recv(ApiKey.ApiVersions, 3, 1500)).rejects.toThrow(/timeout/);
  await expect(fresh.recv(ApiKey.ApiVersions, 3, 500)).rejects.toThrow(/timeout/);
  expect(live.raw.closed).toBe(false);
  expect(fresh.raw.closed).toBe(false);
  proxy.heal();
  expect((await live.recv(ApiKey.ApiVersions, 3, 3000)).correlationId).toBe(corr);
  expect((await fresh.recv(ApiKey.ApiVersions, 3, 3000)).correlationId).toBe(freshCorr);
  live.close();
  fresh.close();
});

it('delay(ms) holds each direction for that long, keeping order', async () => {
  const c = await KafkaTestClient.connect(proxy.port);
  const rtt = async () => {
    const t = Date.now();
    expect((await c.request(ApiKey.ApiVersions, 3, API_VERSIONS)).errorCode).toBe(0);
    return Date.now() - t;
  };
  proxy.delay(250);
  expect(await rtt()).toBeGreaterThanOrEqual(490); // 250 ms each way
  const corrs = [0, 1, 2, 3, 4].map(() => c.send(ApiKey.ApiVersions, 3, API_VERSIONS));
  for (const corr of corrs) expect((await c.recv(ApiKey.ApiVersions, 3, 3000)).correlationId).toBe(corr);
  proxy.delay(0);
  expect(await rtt()).toBeLessThan(250);
  c.close();
});
