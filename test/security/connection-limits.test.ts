// Connection limits against a flood of raw sockets, as Kafka's ConnectionQuotas holds them:
// max.connections.per.ip closes what is over the limit at once; max.connections serves only that many and
// makes the rest wait (as in Kafka's listen backlog) until connections close; max.connection.creation.rate
// delays accepting. After each flood, a normal client is served again.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { encodeRequestFrame } from '../../protocol/frame.js';
import { startTestBroker, KafkaTestClient, type TestBroker } from '../helpers/broker.js';

const FLOOD = 200;
let broker: TestBroker | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await broker?.close();
  broker = undefined;
});

interface FloodSocket {
  socket: Socket;
  closedByServer: boolean;
  answered: boolean;
}

async function flood(port: number, n: number): Promise<FloodSocket[]> {
  const out: FloodSocket[] = [];
  await Promise.all(
    Array.from({ length: n }, () => {
      const f: FloodSocket = { socket: connect({ host: '127.0.0.1', port }), closedByServer: false, answered: false };
      sockets.push(f.socket);
      out.push(f);
      f.socket.on('data', () => (f.answered = true));
      f.socket.on('close', () => (f.closedByServer ||= !f.socket.destroyed || f.socket.readableEnded));
      f.socket.on('end', () => (f.closedByServer = true));
      f.socket.on('error', () => (f.closedByServer = true));
      return new Promise<void>((resolve) => {
        f.socket.once('connect', () => resolve());
        f.socket.once('error', () => resolve());
      });
    }),
  );
  return out;
}

const SW = { clientSoftwareName: 'rivulet-test', clientSoftwareVersion: '1' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function askApiVersions(fs: readonly FloodSocket[]): void {
  for (const f of fs) if (!f.closedByServer) f.socket.write(encodeRequestFrame(ApiKey.ApiVersions, 0, 1, 'flood', {}));
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(20);
  }
}

async function normalClientWorks(port: number): Promise<void> {
  const c = await KafkaTestClient.connect(port);
  try {
    const r = await c.request(ApiKey.ApiVersions, 3, SW);
    expect(r.errorCode).toBe(0);
  } finally {
    c.close();
  }
}

describe('connection limits against a flood', () => {
  it('max.connections.per.ip: connections over the limit are closed at once; the rest are served', async () => {
    broker = await startTestBroker({ sets: { 'max.connections.per.ip': 50 } });
    const fs = await flood(broker.port, FLOOD);
    await until(() => fs.filter((f) => f.closedByServer).length >= FLOOD - 50);
    await sleep(200);
    expect(fs.filter((f) => f.closedByServer).length).toBe(FLOOD - 50);
    expect(broker.listeners[0]!.connections.size).toBe(50);
    askApiVersions(fs);
    await until(() => fs.filter((f) => f.answered).length === 50);
    for (const s of sockets.splice(0)) s.destroy();
    await until(() => broker!.listeners[0]!.connections.size === 0);
    await normalClientWorks(broker.port);
  }, 30_000);

  it('max.connections: only that many are served, the rest wait (not closed) and are served as connections close', async () => {
    broker = await startTestBroker({ sets: { 'max.connections': 20 } });
    const fs = await flood(broker.port, FLOOD);
    askApiVersions(fs);
    await until(() => fs.filter((f) => f.answered).length === 20);
    await sleep(500);
    expect(fs.filter((f) => f.answered).length).toBe(20);
    expect(fs.filter((f) => f.closedByServer).length).toBe(0);
    expect(broker.listeners[0]!.connections.size).toBe(20);
    // Ten served clients leave: ten waiting ones are served.
    for (const f of fs.filter((f) => f.answered).slice(0, 10)) f.socket.destroy();
    await until(() => fs.filter((f) => f.answered).length === 30);
    await sleep(300);
    expect(fs.filter((f) => f.answered).length).toBe(30);
    expect(broker.listeners[0]!.connections.size).toBe(20);
    for (const s of sockets.splice(0)) s.destroy();
    await until(() => broker!.listeners[0]!.connections.size === 0);
    await normalClientWorks(broker.port);
  }, 30_000);

  it('connection_creation_rate on /ips/<ip> (KIP-612): over the rate, connections are closed after the throttle; removed, they are served', async () => {
    broker = await startTestBroker({ sets: { 'quota.window.num': 3 } });
    await broker.context.securityStore.alterQuotas([{ entity: { ip: '127.0.0.1' }, set: { connection_creation_rate: 5 } }]);
    // Two windows of allowance: 10 at once; the rest are over the rate and closed (after a delay), never served.
    const fs = await flood(broker.port, 30);
    askApiVersions(fs);
    await until(() => fs.filter((f) => f.closedByServer).length === 20);
    await sleep(200);
    expect(fs.filter((f) => f.answered).length).toBe(10);
    expect(fs.filter((f) => f.closedByServer && f.answered).length).toBe(0);
    await broker.context.securityStore.alterQuotas([{ entity: { ip: '127.0.0.1' }, set: { connection_creation_rate: null } }]);
    for (const s of sockets.splice(0)) s.destroy();
    await normalClientWorks(broker.port);
  }, 30_000);

  it('max.connection.creation.rate: past the window allowance, connections are accepted at the rate', async () => {
    broker = await startTestBroker({ sets: { 'max.connection.creation.rate': 10, 'quota.window.num': 3 } });
    // Two windows of allowance: 20 at once; then about 10 per second.
    const fs = await flood(broker.port, 40);
    askApiVersions(fs);
    await until(() => fs.filter((f) => f.answered).length >= 20);
    await sleep(150);
    const early = fs.filter((f) => f.answered).length;
    expect(early).toBeLessThanOrEqual(22);
    await sleep(1000);
    const later = fs.filter((f) => f.answered).length;
    expect(later - early).toBeGreaterThanOrEqual(5);
    expect(later - early).toBeLessThanOrEqual(15);
    expect(fs.filter((f) => f.closedByServer).length).toBe(0);
    await until(() => fs.every((f) => f.answered), 10_000);
    for (const s of sockets.splice(0)) s.destroy();
    await normalClientWorks(broker.port);
  }, 30_000);
});
