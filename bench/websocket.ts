// Produce over the WebSocket listener vs the TCP listener (target: WebSocket produce ≥ 0.5× TCP).
// One broker child process (`node bin/rivulet.js broker --ws-port`), its own temp dir, 127.0.0.1 only.
// Both transports send the SAME pre-encoded Produce v9 requests (acks=1, one batch of records encoded by
// the core per request) with the same number of requests in flight, so the difference is the listener
// and its framing: TCP = Kafka's size-prefixed frames on a socket, WebSocket = one binary message per
// frame (client-masked, as browsers must). The broker copies, validates and appends every batch either way.
// Runs alternate (TCP, WS, TCP, WS …) and the best of each is kept, so a noisy neighbour hurts both alike.
// Usage: npm run bench -- websocket [--quick]    Writes websocket.json into the results folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { encodeBatch } from '../bindings/node.js';
import { decodeResponseFrame, encodeRequestFrame } from '../protocol/frame.js';
import { ApiKey } from '../protocol/generated/index.js';
import { freePort, waitForPort } from '../test/helpers/ports.js';
import { resultsDir } from './tools/suites.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
const SIZES = [100, 1024];
const RECORDS: Record<number, number> = quick ? { 100: 200_000, 1024: 60_000 } : { 100: 1_000_000, 1024: 300_000 };
const BATCH_BYTES = 64 * 1024;
const IN_FLIGHT = 8;
const ROUNDS = quick ? 3 : 5;
const PRODUCE_VERSION = 9;

const tmp = mkdtempSync(join(tmpdir(), 'rivulet-bench-ws-'));
let broker: ChildProcess | undefined;
process.on('exit', () => {
  broker?.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});



/** A frame transport: send a size-prefixed request, get each response frame (without prefix) back in order. */
interface Transport {
  send(frame: Uint8Array): void;
  onResponse(f: (frame: Uint8Array) => void): void;
  close(): void;
}

function tcpTransport(port: number): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.setNoDelay(true);
    let handler: (f: Uint8Array) => void = () => {};
    let pending: Buffer = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, d]) : d;
      while (pending.length >= 4) {
        const n = pending.readInt32BE(0);
        if (pending.length < 4 + n) break;
        handler(pending.subarray(4, 4 + n));
        pending = pending.subarray(4 + n);
      }
    });
    s.once('error', reject);
    s.once('connect', () =>
      resolve({
        send: (f) => s.write(f),
        onResponse: (f) => (handler = f),
        close: () => s.destroy(),
      }),
    );
  });
}

function wsTransport(port: number): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.binaryType = 'nodebuffer';
    let handler: (f: Uint8Array) => void = () => {};
    // Each message is one size-prefixed response frame.
    ws.on('message', (d: Buffer) => handler(d.subarray(4)));
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        send: (f) => ws.send(f),
        onResponse: (f) => (handler = f),
        close: () => ws.close(),
      }),
    );
  });
}

/** Produce requests for `topic`: each one batch of `perBatch` records of `size` bytes. */
function produceFrames(topic: string, size: number, perBatch: number, count: number): Uint8Array[] {
  const value = new Uint8Array(size).fill(0x61);
  const records = Array.from({ length: perBatch }, () => ({ value }));
  const batch = encodeBatch({ records, baseTimestamp: Date.now() });
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    frames.push(
      encodeRequestFrame(ApiKey.Produce, PRODUCE_VERSION, i + 1, 'bench-ws', {
        transactionalId: null,
        acks: 1,
        timeoutMs: 30_000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
      } as never),
    );
  }
  return frames;
}

async function run(t: Transport, frames: Uint8Array[]): Promise<number> {
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    t.onResponse((f) => {
      const { body } = decodeResponseFrame(ApiKey.Produce, PRODUCE_VERSION, f);
      const code = body.responses[0]?.partitionResponses[0]?.errorCode ?? -1;
      if (code !== 0) return reject(new Error(`produce failed with error code ${code}`));
      done++;
      if (done === frames.length) return resolve();
      if (next < frames.length) t.send(frames[next++]!);
    });
    while (next < Math.min(IN_FLIGHT, frames.length)) t.send(frames[next++]!);
  });
  return performance.now() - t0;
}

async function createTopic(port: number, name: string): Promise<void> {
  const t = await tcpTransport(port);
  const frame = encodeRequestFrame(ApiKey.CreateTopics, 7, 1, 'bench-ws', {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 10_000,
    validateOnly: false,
  } as never);
  await new Promise<void>((resolve, reject) => {
    t.onResponse((f) => {
      const { body } = decodeResponseFrame(ApiKey.CreateTopics, 7, f);
      const code = body.topics[0]?.errorCode ?? -1;
      code === 0 || code === 36 ? resolve() : reject(new Error(`CreateTopics ${name}: error ${code}`));
    });
    t.send(frame);
  });
  t.close();
}

async function main(): Promise<void> {
  const port = await freePort();
  const wsPort = await freePort();
  broker = spawn(process.execPath, ['bin/rivulet.js', 'broker', '--port', String(port), '--ws-port', String(wsPort), '--data-dir', tmp, '--log-level', 'warn'], { cwd: root, stdio: 'inherit' });
  await waitForPort(port);
  await waitForPort(wsPort);
  console.log(`websocket bench${quick ? ' (quick)' : ''}: Produce v${PRODUCE_VERSION} acks=1, ${BATCH_BYTES / 1024} KiB batches, ${IN_FLIGHT} requests in flight, best of ${ROUNDS} alternating rounds (load ${loadavg()[0]!.toFixed(2)})`);
  const rows: { recordSize: number; transport: string; recordsPerSec: number; mbPerSec: number }[] = [];
  const ratios: Record<string, number> = {};
  for (const size of SIZES) {
    const perBatch = Math.max(1, Math.floor(BATCH_BYTES / (size + 10)));
    const requests = Math.ceil(RECORDS[size]! / perBatch);
    const records = requests * perBatch;
    const best = { tcp: Infinity, ws: Infinity };
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['tcp', 'ws'] as const) {
        const topic = `bench-${kind}-${size}-${round}`;
        await createTopic(port, topic);
        const frames = produceFrames(topic, size, perBatch, requests);
        const t = kind === 'tcp' ? await tcpTransport(port) : await wsTransport(wsPort);
        best[kind] = Math.min(best[kind], await run(t, frames));
        t.close();
      }
    }
    for (const kind of ['tcp', 'ws'] as const) {
      const rps = records / (best[kind] / 1000);
      rows.push({ recordSize: size, transport: kind, recordsPerSec: Math.round(rps), mbPerSec: +((rps * size) / 1024 / 1024).toFixed(1) });
      console.log(`  ${String(size).padStart(5)} B  ${kind === 'tcp' ? 'TCP      ' : 'WebSocket'}  ${Math.round(rps).toLocaleString('en-US').padStart(11)} rec/s  ${((rps * size) / 1024 / 1024).toFixed(1).padStart(7)} MB/s`);
    }
    ratios[`ws/tcp ${size} B`] = +(best.tcp / best.ws).toFixed(2);
    console.log(`  ${String(size).padStart(5)} B  WebSocket / TCP = ${(best.tcp / best.ws).toFixed(2)}× (target ≥ 0.5×)`);
  }
  mkdirSync(resultsDir(), { recursive: true });
  writeFileSync(
    join(resultsDir(), 'websocket.json'),
    JSON.stringify({ date: new Date().toISOString(), quick, node: process.version, loadavg: loadavg(), batchBytes: BATCH_BYTES, inFlight: IN_FLIGHT, rows, ratios }, null, 2) + '\n',
  );
  broker.kill('SIGTERM');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`websocket bench failed: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
