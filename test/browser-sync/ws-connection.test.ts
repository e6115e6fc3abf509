// WsConnection and BrokerLink (host-browser/sync/ws-connection.ts, broker-link.ts) against the broker's
// WebSocket listener: negotiation, pipelined requests matched by correlation id, timeouts (the late response
// is dropped and the connection stays usable), a broker that breaks the framing, and reconnecting with
// backoff.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { startBroker, type RunningBroker } from '../../host-node/broker.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { silentLogger } from '../../host-node/util/log.js';
import { KafkaConnectionError, KafkaTimeoutError } from '../../client/errors.js';
import { WsConnection } from '../../host-browser/sync/ws-connection.js';
import { BrokerLink } from '../../host-browser/sync/broker-link.js';
import { freePort, waitFor, WS } from './helpers.js';

let broker: RunningBroker;
let dataDir: string;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rivulet-wsconn-'));
  broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, log: silentLogger, sets: { 'ws.port': 0, 'offsets.topic.num.partitions': 1 } });
});
afterAll(async () => {
  await broker?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('WsConnection', () => {
  it('negotiates versions and pipelines requests, each answer matched to its request', async () => {
    const c = await WsConnection.connect({ url: broker.ws!.url, WebSocket: WS, maxInFlight: 5 });
    expect(c.version(ApiKey.Produce)).toBe(11);
    expect(c.version(ApiKey.Fetch)).toBe(12); // topic names, not ids
    const names = Array.from({ length: 40 }, (_, i) => `pipelined-${i}`);
    const answers = await Promise.all(names.map((name) => c.send(ApiKey.Metadata, { topics: [{ name }], allowAutoTopicCreation: false })));
    expect(answers.map((a) => a.topics[0]!.name)).toEqual(names);
    c.close();
    await expect(c.send(ApiKey.Metadata, { topics: [] })).rejects.toBeInstanceOf(KafkaConnectionError);
  });

  it('a request that times out rejects; its late answer is dropped and the connection keeps working', async () => {
    const c = await WsConnection.connect({ url: broker.ws!.url, WebSocket: WS });
    await c.send(ApiKey.CreateTopics, { topics: [{ name: 'slow', numPartitions: 1, replicationFactor: -1 }], timeoutMs: 5000 });
    // A long-poll fetch the broker answers after 2 s, with a 100 ms client timeout.
    const slow = c.send(
      ApiKey.Fetch,
      { replicaId: -1, maxWaitMs: 2000, minBytes: 1, maxBytes: 1024, topics: [{ topic: 'slow', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 }] }] },
      { timeoutMs: 100 },
    );
    await expect(slow).rejects.toBeInstanceOf(KafkaTimeoutError);
    await new Promise((r) => setTimeout(r, 2200));
    expect(c.isOpen).toBe(true);
    const md = await c.send(ApiKey.Metadata, { topics: [{ name: 'slow' }] });
    expect(md.topics[0]!.errorCode).toBe(0);
    c.close();
  });

  it('a peer that breaks the framing fails the connection with a clear error', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws) => ws.on('message', () => ws.send(Buffer.from([0, 0, 0, 99, 1, 2, 3, 4]))));
    const port = (wss.address() as { port: number }).port;
    await expect(WsConnection.connect({ url: `ws://127.0.0.1:${port}/`, WebSocket: WS })).rejects.toThrow(/size prefix 99 disagrees/);
    await new Promise<void>((r) => wss.close(() => r()));
  });

  it('connecting to nothing fails fast with a connection error', async () => {
    const port = await freePort();
    await expect(WsConnection.connect({ url: `ws://127.0.0.1:${port}/`, WebSocket: WS })).rejects.toBeInstanceOf(KafkaConnectionError);
  });
});

describe('BrokerLink', () => {
  it('backs off exponentially (with jitter) up to the cap', () => {
    const link = new BrokerLink({ url: 'ws://127.0.0.1:1/', WebSocket: WS, backoffMs: 100, maxBackoffMs: 2000 }, new AbortController().signal);
    for (const [failures, base] of [[1, 100], [2, 200], [3, 400], [5, 1600], [6, 2000], [30, 2000]] as const) {
      const b = link.backoff(failures);
      expect(b).toBeGreaterThanOrEqual(base * 0.8);
      expect(b).toBeLessThanOrEqual(base * 1.2);
    }
  });

  it('keeps retrying until the broker is there, reports offline then online, and reconnects after a drop', async () => {
    const port = await freePort();
    const events: boolean[] = [];
    const abort = new AbortController();
    const link = new BrokerLink({ url: `ws://127.0.0.1:${port}/`, WebSocket: WS, backoffMs: 20, maxBackoffMs: 100, onState: (online) => events.push(online) }, abort.signal);
    const got = link.get();
    await waitFor('a failed attempt', () => events.includes(false));
    const d = mkdtempSync(join(tmpdir(), 'rivulet-wslink-'));
    const b = await startBroker({ host: '127.0.0.1', port: 0, dataDir: d, log: silentLogger, sets: { 'ws.port': port, 'offsets.topic.num.partitions': 1 } });
    try {
      const c = await got;
      expect(link.isOnline).toBe(true);
      expect(events[events.length - 1]).toBe(true);
      link.drop(c);
      const again = await link.get();
      expect(again).not.toBe(c);
      expect(again.isOpen).toBe(true);
      abort.abort();
      expect(again.isOpen).toBe(false);
      await expect(link.get()).rejects.toThrow(/stopped/);
    } finally {
      await b.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});
