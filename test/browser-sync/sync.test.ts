// host-browser/sync against a real broker over its WebSocket listener, with the `ws` package standing in
// for the browser's WebSocket and an in-memory SyncableLog standing in for the OPFS log. kcat reads and
// writes the same topics over TCP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../host-node/broker.js';
import { silentLogger } from '../../host-node/util/log.js';
import { startSync, type SyncHandle } from '../../host-browser/sync/index.js';
import { mirrorMetaKey, type MirrorState } from '../../host-browser/sync/mirror.js';
import { tailMetaKey } from '../../host-browser/sync/tail.js';
import { fetchCommitted } from '../../host-browser/sync/requests.js';
import { WsConnection } from '../../host-browser/sync/ws-connection.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { cleanupChildEntry, startChildBroker, type ChildBroker } from '../faults/helpers.js';
import { codec, freePort, kcatConsume, kcatProduce, listGroups, MemLog, range, rec, waitFor, WS } from './helpers.js';

const dirs: string[] = [];
const brokers: RunningBroker[] = [];
const children: ChildBroker[] = [];
const handles: SyncHandle[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'rivulet-bsync-'));
  dirs.push(d);
  return d;
}

async function broker(wsPort: number, dataDir = tempDir()): Promise<RunningBroker> {
  const b = await startBroker({ host: '127.0.0.1', port: 0, dataDir, log: silentLogger, sets: { 'ws.port': wsPort, 'offsets.topic.num.partitions': 1 } });
  brokers.push(b);
  return b;
}

function sync(log: MemLog, wsPort: number, topic: string, mode: 'mirror' | 'tail', extra: Record<string, unknown> = {}): SyncHandle {
  const h = startSync(log, { url: `ws://127.0.0.1:${wsPort}/`, topic, mode, WebSocket: WS, codec, reconnectBackoffMs: 50, reconnectBackoffMaxMs: 300, ...extra });
  handles.push(h);
  return h;
}

afterAll(async () => {
  for (const h of handles) await h.stop();
  for (const b of brokers) await b.close();
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  await cleanupChildEntry();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('mirror (local → broker, idempotent producer)', () => {
  it('10,000 records appended while the broker is unreachable arrive exactly once, in order', async () => {
    const wsPort = await freePort();
    const log = new MemLog('outbox');
    const states: string[] = [];
    const h = sync(log, wsPort, 'offline-mirror', 'mirror', { onStatus: (s: { state: string }) => states.push(s.state) });
    const expected = range(10_000, 'offline-');
    for (let i = 0; i < expected.length; i += 250) await log.append(expected.slice(i, i + 250).map(rec));
    await waitFor('a failed connection attempt', () => states.includes('offline'));
    expect(h.status.online).toBe(false);
    expect(h.status.lag).toBe(10_000);

    const b = await broker(wsPort);
    await waitFor('all delivered', () => h.status.position === 10_000 && h.status.lag === 0);
    expect(h.status.online).toBe(true);
    expect(await kcatConsume(b.port, 'offline-mirror')).toEqual(expected);
  });

  it('crash window: the broker appended a batch, the tab died before saving the cursor → resent as a duplicate, not appended twice', async () => {
    const wsPort = await freePort();
    const b = await broker(wsPort);
    const log = new MemLog('outbox-crash');
    const expected = range(3000, 'crash-');
    await log.append(expected.map(rec));
    const key = mirrorMetaKey('crash-mirror', 0);
    // The save after the 2nd acknowledged batch (next = 2000) is lost and the sync dies, as a killed tab.
    log.failSetMeta = (k, v) => k === key && (JSON.parse(v) as MirrorState).next === 2000 && (JSON.parse(v) as MirrorState).inflight === null;
    const first = sync(log, wsPort, 'crash-mirror', 'mirror', { maxBatchRecords: 1000 });
    await expect(first.done).rejects.toThrow(/simulated crash/);
    expect(first.status.state).toBe('failed');
    const saved = JSON.parse(log.meta.get(key)!) as MirrorState;
    expect(saved.next).toBe(1000);
    expect(saved.inflight).toMatchObject({ from: 1000, to: 2000, count: 1000, seq: 1000 });
    // The broker did append the batch whose acknowledgement was lost.
    expect(await kcatConsume(b.port, 'crash-mirror')).toEqual(expected.slice(0, 2000));

    log.failSetMeta = null;
    const second = sync(log, wsPort, 'crash-mirror', 'mirror', { maxBatchRecords: 1000 });
    await waitFor('all delivered after the restart', () => second.status.position === 3000);
    expect(second.status.producerId).toBe(saved.producerId);
    expect(second.status.warnings).toEqual([]);
    expect(await kcatConsume(b.port, 'crash-mirror')).toEqual(expected);
  });

  it('a broker killed with SIGKILL and restarted on the same data dir: mirror and tail recover, nothing lost or doubled', async () => {
    const wsPort = await freePort();
    const dataDir = tempDir();
    let child = await startChildBroker(dataDir, { 'ws.port': String(wsPort), 'offsets.topic.num.partitions': '1' });
    children.push(child);
    const out = new MemLog('outbox-kill');
    const inbox = new MemLog('inbox-kill');
    const mirror = sync(out, wsPort, 'kill-topic', 'mirror', { maxBatchRecords: 200 });
    sync(inbox, wsPort, 'kill-topic', 'tail'); // tails the same topic into inbox while the broker dies
    const expected = range(4000, 'kill-');
    await out.append(expected.slice(0, 2000).map(rec));
    await waitFor('first half delivered', () => mirror.status.position === 2000);
    // Kill while more is being appended and sent.
    const more = (async () => {
      for (let i = 2000; i < 4000; i += 100) {
        await out.append(expected.slice(i, i + 100).map(rec));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await waitFor('some of the second half in flight', () => mirror.status.position > 2000 || out.endOffset() > 2500);
    child.proc.kill('SIGKILL');
    await child.exited;
    await more;
    await waitFor('mirror sees the broker gone', () => !mirror.status.online);
    child = await startChildBroker(dataDir, { 'ws.port': String(wsPort), 'offsets.topic.num.partitions': '1' });
    children.push(child);
    await waitFor('mirror caught up', () => mirror.status.position === 4000 && mirror.status.lag === 0, 45_000);
    expect(await kcatConsume(child.port, 'kill-topic')).toEqual(expected);
    await waitFor('tail caught up', () => inbox.endOffset() >= 4000, 45_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(inbox.values()).toEqual(expected);
  });
});

describe('mirror: the documented error handling', () => {
  it('a meta store rolled back → repeats recognised (NONE within the last 5 batches, DUPLICATE_SEQUENCE_NUMBER before); a sequence gap → OUT_OF_ORDER_SEQUENCE_NUMBER, new producer id, flagged', async () => {
    const wsPort = await freePort();
    const b = await broker(wsPort);
    const log = new MemLog('outbox-rollback');
    const expected = range(700, 'rb-');
    await log.append(expected.map(rec));
    const key = mirrorMetaKey('rollback', 0);
    const opts = { maxBatchRecords: 100 };
    const first = sync(log, wsPort, 'rollback', 'mirror', opts);
    await waitFor('700 delivered', () => first.status.position === 700);
    await first.stop();
    const state = JSON.parse(log.meta.get(key)!) as MirrorState;

    // Back 4 batches (every resend repeats one of the producer's last 5 batches), then back 7.
    for (const back of [300, 0]) {
      log.meta.set(key, JSON.stringify({ ...state, next: back, nextSeq: back, inflight: null }));
      const again = sync(log, wsPort, 'rollback', 'mirror', opts);
      await waitFor(`caught up again from ${back}`, () => again.status.position === 700);
      await again.stop();
      expect(again.status.warnings).toEqual([]);
      expect(again.status.producerId).toBe(state.producerId);
      expect(await kcatConsume(b.port, 'rollback')).toEqual(expected);
    }

    // A sequence gap (the meta store lost track of the numbering): the broker refuses, a new producer id
    // takes over from the cursor, the condition is reported.
    const more = range(100, 'rb-', 700);
    await log.append(more.map(rec));
    log.meta.set(key, JSON.stringify({ ...state, nextSeq: 900, inflight: null }));
    const gap = sync(log, wsPort, 'rollback', 'mirror', opts);
    await waitFor('the new records delivered', () => gap.status.position === 800);
    expect(gap.status.warnings).toHaveLength(1);
    expect(gap.status.warnings[0]).toMatch(/OUT_OF_ORDER_SEQUENCE_NUMBER: new producer id/);
    expect(gap.status.producerId).not.toBe(state.producerId);
    expect(await kcatConsume(b.port, 'rollback')).toEqual([...expected, ...more]);
  });

  it('MESSAGE_TOO_LARGE: batches are halved until they fit; a single record that never fits is skipped and reported', async () => {
    const wsPort = await freePort();
    const b = await broker(wsPort);
    const conn = await WsConnection.connect({ url: `ws://127.0.0.1:${wsPort}/`, WebSocket: WS });
    const created = await conn.send(ApiKey.CreateTopics, { topics: [{ name: 'small', numPartitions: 1, replicationFactor: -1, configs: [{ name: 'max.message.bytes', value: '3000' }] }], timeoutMs: 5000 });
    expect(created.topics[0]!.errorCode).toBe(0);
    conn.close();
    const log = new MemLog('outbox-small');
    const pad = 'x'.repeat(90);
    const before = range(400, `s-${pad}-`);
    const after = range(100, `t-${pad}-`);
    await log.append(before.map(rec));
    await log.append([rec('y'.repeat(10_000))]);
    await log.append(after.map(rec));
    const h = sync(log, wsPort, 'small', 'mirror');
    await waitFor('all handled', () => h.status.position === 501);
    expect(h.status.skipped).toBe(1);
    expect(h.status.warnings).toEqual([expect.stringMatching(/record at local offset 400 skipped: .*MESSAGE_TOO_LARGE/)]);
    expect(await kcatConsume(b.port, 'small')).toEqual([...before, ...after]);
  });
});

describe('tail (broker → local, committed offsets)', () => {
  it('records produced by kcat appear in the local log; restarts (also mid-write) resume without gap or duplicate', async () => {
    const wsPort = await freePort();
    const b = await broker(wsPort);
    const topic = 'tail-topic';
    await kcatProduce(b.port, topic, range(500, 'k-'));
    const inbox = new MemLog('inbox');
    const t1 = sync(inbox, wsPort, topic, 'tail');
    await waitFor('500 tailed', () => inbox.endOffset() === 500);
    await waitFor('lag 0', () => t1.status.lag === 0);
    await t1.stop();
    expect(t1.status.state).toBe('stopped');

    // While the tab is away, kcat produces more.
    await kcatProduce(b.port, topic, range(300, 'k-', 500));
    const t2 = sync(inbox, wsPort, topic, 'tail');
    await waitFor('800 tailed', () => inbox.endOffset() === 800);

    // The group commit follows the local log.
    const conn = await WsConnection.connect({ url: `ws://127.0.0.1:${wsPort}/`, WebSocket: WS });
    await waitFor('commit', () => t2.status.position === 800);
    let committed = -1n;
    for (let i = 0; i < 50 && committed !== 800n; i++) {
      committed = await fetchCommitted(conn, 'rivulet-tab-inbox', topic, 0);
      if (committed !== 800n) await new Promise((r) => setTimeout(r, 50));
    }
    expect(committed).toBe(800n);
    await t2.stop();

    // Crash window: the local append lands, the cursor write after it is lost and the tab dies.
    const key = tailMetaKey(topic, 0);
    inbox.failSetMeta = (k, v) => k === key && JSON.parse(v).pending === null && JSON.parse(v).next > 800;
    await kcatProduce(b.port, topic, range(200, 'k-', 800));
    const t3 = sync(inbox, wsPort, topic, 'tail');
    await expect(t3.done).rejects.toThrow(/simulated crash/);
    expect(inbox.endOffset()).toBeGreaterThan(800);
    inbox.failSetMeta = null;
    const t4 = sync(inbox, wsPort, topic, 'tail');
    await waitFor('1000 tailed', () => t4.status.position === 1000);
    await new Promise((r) => setTimeout(r, 200));
    expect(inbox.values()).toEqual(range(1000, 'k-'));
    conn.close();
  });

  it('a fresh tab with no local state starts at the group committed offset', async () => {
    const wsPort = await freePort();
    const b = await broker(wsPort);
    const topic = 'tail-commit';
    await kcatProduce(b.port, topic, range(100, 'c-'));
    const a = new MemLog('shared');
    const t1 = sync(a, wsPort, topic, 'tail');
    await waitFor('100', () => t1.status.position === 100);
    await new Promise((r) => setTimeout(r, 100));
    await t1.stop();
    await kcatProduce(b.port, topic, range(50, 'c-', 100));
    const fresh = new MemLog('shared'); // same group (rivulet-tab-shared), empty local log
    sync(fresh, wsPort, topic, 'tail');
    await waitFor('50', () => fresh.endOffset() === 50);
    expect(fresh.values()).toEqual(range(50, 'c-', 100));
  });
});

describe('tail without a consumer group (groupId: null)', () => {
  it('copies the topic, resumes from its local state, and leaves no group on the broker', async () => {
    const wsPort = await freePort();
    const b = await broker(wsPort);
    const topic = 'tail-no-group';
    await kcatProduce(b.port, topic, range(100, 'n-'));
    const log = new MemLog('no-group');
    const t1 = sync(log, wsPort, topic, 'tail', { groupId: null });
    await waitFor('100', () => t1.status.position === 100 && log.endOffset() === 100);
    await t1.stop();
    await kcatProduce(b.port, topic, range(50, 'n-', 100));
    const t2 = sync(log, wsPort, topic, 'tail', { groupId: null });
    await waitFor('150', () => t2.status.position === 150 && log.endOffset() === 150);
    expect(log.values()).toEqual(range(150, 'n-'));
    await t2.stop();
    // A fresh local log with no group starts at startFrom: 'latest' skips what is already there.
    const late = new MemLog('no-group-late');
    const t3 = sync(late, wsPort, topic, 'tail', { groupId: null, startFrom: 'latest' });
    await waitFor('at the end', () => t3.status.position === 150);
    await kcatProduce(b.port, topic, ['after']);
    await waitFor('1', () => late.endOffset() === 1);
    expect(late.values()).toEqual(['after']);
    await t3.stop();
    expect(await listGroups(b.port)).toEqual([]);
  });
});

describe('startSync arguments', () => {
  it('rejects bad options with clear errors', () => {
    const log = new MemLog('x');
    expect(() => startSync(log, { url: 'http://x/', topic: 't', mode: 'mirror', WebSocket: WS })).toThrow(/ws:\/\//);
    expect(() => startSync(log, { url: 'ws://127.0.0.1:1/', topic: '', mode: 'mirror', WebSocket: WS })).toThrow(/topic/);
    expect(() => startSync(log, { url: 'ws://127.0.0.1:1/', topic: 't', mode: 'both' as 'mirror', WebSocket: WS })).toThrow(/mode/);
  });

  it('refuses a second identical sync on the same log while the first runs (they would share one cursor)', async () => {
    const log = new MemLog('twice');
    const opts = { url: 'ws://127.0.0.1:1/', topic: 't', mode: 'mirror' as const, WebSocket: WS, codec };
    const first = startSync(log, opts);
    expect(() => startSync(log, opts)).toThrow(/already running/);
    const tail = startSync(log, { ...opts, mode: 'tail' });
    await tail.stop();
    await first.stop();
    const again = startSync(log, opts);
    await again.stop();
  });
});
