// The browser sync against a SASL WebSocket listener (Node, the `ws` package): a mirror and a tail with
// SCRAM-SHA-256 credentials move every record exactly once while the broker limits SASL sessions to
// 1.2 s (connections.max.reauth.ms, KIP-368): BrokerLink replaces each connection before its session ends,
// so the sync reconnects several times without ever going offline; startSync refuses malformed credentials.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startBroker, type RunningBroker } from '../../host-node/broker.js';
import { silentLogger } from '../../host-node/util/log.js';
import { newScramCredential } from '../../host-node/security/scram.js';
import { startSync, type SyncHandle } from '../../host-browser/sync/index.js';
import type { WebSocketConstructor } from '../../host-browser/sync/ws-connection.js';
import { codec, kcatConsume, kcatProduce, MemLog, range, rec, waitFor } from './helpers.js';

let dir: string;
let broker: RunningBroker;
const handles: SyncHandle[] = [];
let opened = 0;
/** The `ws` client, counting the WebSockets the sync opens. */
class CountingWs extends WebSocket {
  constructor(url: string) {
    super(url);
    opened++;
  }
}
const WS = CountingWs as unknown as WebSocketConstructor;
const SASL = { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-secret' } as const;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rivulet-sasl-sync-'));
  broker = await startBroker({
    host: '127.0.0.1',
    port: 0,
    dataDir: dir,
    log: silentLogger,
    sets: {
      'ws.port': 0,
      'ws.security.protocol': 'SASL_PLAINTEXT',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-256',
      'connections.max.reauth.ms': 1200,
      'offsets.topic.num.partitions': 1,
    },
  });
  await broker.context.securityStore.alterScram([{ user: 'alice', mechanism: 'SCRAM-SHA-256', credential: newScramCredential('SCRAM-SHA-256', 'alice-secret', 4096) }]);
}, 30_000);

afterAll(async () => {
  for (const h of handles) await h.stop();
  await broker?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function sync(log: MemLog, topic: string, mode: 'mirror' | 'tail', states: string[]): SyncHandle {
  const h = startSync(log, { url: broker.ws!.url, topic, mode, WebSocket: WS, codec, sasl: SASL, reconnectBackoffMs: 50, reconnectBackoffMaxMs: 300, onStatus: (s: { state: string }) => states.push(s.state) });
  handles.push(h);
  return h;
}

describe('sync over a SASL WebSocket listener with 1.2 s sessions', () => {
  it('mirror and tail move every record once, reconnecting before sessions end and never going offline', async () => {
    const topic = `sasl-sync-${Date.now()}`;
    const outbox = new MemLog('outbox');
    const inbox = new MemLog('inbox');
    const mirrorStates: string[] = [];
    const tailStates: string[] = [];
    const before = opened;
    sync(outbox, topic, 'mirror', mirrorStates);
    const expected = range(400, 'r-');
    // 4 s of appends: each sync outlives three sessions.
    for (let i = 0; i < expected.length; i += 10) {
      await outbox.append(expected.slice(i, i + 10).map(rec));
      if (i === 100) sync(inbox, topic, 'tail', tailStates);
      await new Promise((r) => setTimeout(r, 100));
    }
    await kcatProduce(broker.port, topic, ['from-kcat']);
    await waitFor('the tail to have everything', () => inbox.records.length === expected.length + 1, 30_000);
    expect(await kcatConsume(broker.port, topic)).toEqual([...expected, 'from-kcat']);
    expect(inbox.values()).toEqual([...expected, 'from-kcat']);
    expect(opened - before, 'connections replaced as sessions ended').toBeGreaterThanOrEqual(5);
    for (const states of [mirrorStates, tailStates]) {
      expect(states).toContain('online');
      expect(states.slice(states.indexOf('online'))).not.toContain('offline');
    }
  }, 60_000);

  it('startSync refuses malformed sasl options', () => {
    const log = new MemLog('x');
    const url = broker.ws!.url;
    expect(() => startSync(log, { url, topic: 't', mode: 'mirror', WebSocket: WS, sasl: { mechanism: 'GSSAPI', username: 'a', password: 'b' } as never })).toThrow(/sasl.mechanism/);
    expect(() => startSync(log, { url, topic: 't', mode: 'mirror', WebSocket: WS, sasl: { mechanism: 'PLAIN', username: 'a' } as never })).toThrow(/sasl.username/);
    expect(() => startSync(log, { url, topic: 't', mode: 'mirror', WebSocket: WS, sasl: 'alice' as never })).toThrow(/sasl/);
  });
});
