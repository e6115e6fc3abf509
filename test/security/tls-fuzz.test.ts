// Fuzzed TLS handshakes against an SSL listener: random bytes, a real ClientHello with bytes flipped, cut
// short, stretched with garbage, or with a record length past any limit. Whatever arrives, the broker answers
// with TLS records only (an alert, a ServerHello) or closes — never a Kafka response on a connection that did
// not finish its handshake — keeps no socket open once the peer has gone, and serves a real TLS client after.
// The seed is printed; RIVULET_SEED=<n> replays a run.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { mulberry32 } from '../helpers/seeded-random.js';

const run = promisify(execFile);
const TRIALS = 240;
const PARALLEL = 16;

let dir: string;
let broker: TestBroker;
let sslPort: number;
let clientHello: Buffer;

/** The first flight a real TLS client sends (its ClientHello records), captured by a server that only listens. */
async function captureClientHello(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const server = createServer((s: Socket) => {
      s.once('data', (d: Buffer) => {
        resolve(Buffer.from(d));
        s.destroy();
        server.close();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      const c = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false, servername: 'localhost' });
      c.on('error', () => undefined);
    });
    server.on('error', reject);
  });
}

/** One fuzzed input: its kind (for the failure message) and bytes; `thenClose` half-closes after writing. */
function fuzzInput(rand: () => number): { kind: string; bytes: Buffer; thenClose: boolean } {
  const int = (n: number): number => Math.floor(rand() * n);
  const randomBytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));
  switch (int(6)) {
    case 0:
      return { kind: 'random bytes', bytes: randomBytes(1 + int(600)), thenClose: rand() < 0.5 };
    case 1: {
      const b = Buffer.from(clientHello);
      for (let i = 0, n = 1 + int(8); i < n; i++) b[int(b.length)] = int(256);
      return { kind: 'ClientHello with bytes flipped', bytes: b, thenClose: rand() < 0.3 };
    }
    case 2:
      return { kind: 'ClientHello cut short', bytes: clientHello.subarray(0, int(clientHello.length)), thenClose: true };
    case 3:
      return { kind: 'ClientHello then garbage', bytes: Buffer.concat([clientHello, randomBytes(1 + int(300))]), thenClose: rand() < 0.5 };
    case 4: {
      // A handshake record header claiming the largest length, then a little of it.
      const h = Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff]);
      return { kind: 'oversized record', bytes: Buffer.concat([h, randomBytes(int(64))]), thenClose: rand() < 0.5 };
    }
    default: {
      // A Kafka request frame, as a plaintext client would send it, with random fields.
      const body = randomBytes(8 + int(64));
      const f = Buffer.alloc(4 + body.length);
      f.writeInt32BE(body.length, 0);
      body.copy(f, 4);
      return { kind: 'plaintext Kafka frame', bytes: f, thenClose: rand() < 0.5 };
    }
  }
}

/** Sends `bytes`, collects what comes back until the broker closes or `waitMs` passes, then goes away. */
function probe(bytes: Buffer, thenClose: boolean, waitMs: number): Promise<{ received: Buffer }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = connect({ port: sslPort, host: '127.0.0.1' }, () => {
      s.write(bytes);
      if (thenClose) s.end();
    });
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => undefined);
    const t = setTimeout(() => s.destroy(), waitMs);
    s.on('close', () => {
      clearTimeout(t);
      resolve({ received: Buffer.concat(chunks) });
    });
  });
}

/** Every byte received parses as TLS records (content types 20–23, version 3.x). */
function onlyTlsRecords(b: Buffer): boolean {
  let i = 0;
  while (i < b.length) {
    if (b.length - i < 5) return true; // a record cut by the close
    const type = b[i]!;
    if (type < 20 || type > 23 || b[i + 1] !== 3) return false;
    i += 5 + b.readUInt16BE(i + 3);
  }
  return true;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rivulet-tls-fuzz-'));
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.crt')], { timeout: 30_000 });
  // The key store: one PEM file with the key and the certificate.
  const store = join(dir, 'server.keystore.pem');
  writeFileSync(store, readFileSync(join(dir, 'server.key'), 'utf8') + readFileSync(join(dir, 'server.crt'), 'utf8'));
  broker = await startTestBroker({ sets: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': store } });
  sslPort = broker.listeners.find((l) => l.name === 'SSL')!.port;
  clientHello = await captureClientHello();
}, 60_000);

afterAll(async () => {
  await broker?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fuzzed TLS handshakes', () => {
  it(`${TRIALS} malformed handshakes: TLS records or a close only, no connection left, a real client served after`, async () => {
    const seed = Number(process.env.RIVULET_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`tls fuzz seed=${seed} (RIVULET_SEED=${seed} replays)`);
    const rand = mulberry32(seed);
    const inputs = Array.from({ length: TRIALS }, () => fuzzInput(rand));
    const kinds = new Map<string, number>();
    for (let i = 0; i < inputs.length; i += PARALLEL) {
      const batch = inputs.slice(i, i + PARALLEL);
      const results = await Promise.all(batch.map((x) => probe(x.bytes, x.thenClose, 1500)));
      results.forEach((r, j) => {
        const x = batch[j]!;
        kinds.set(x.kind, (kinds.get(x.kind) ?? 0) + 1);
        expect(onlyTlsRecords(r.received), `trial ${i + j} (${x.kind}, seed ${seed}): got non-TLS bytes ${r.received.subarray(0, 32).toString('hex')}`).toBe(true);
      });
    }
    console.log(`tls fuzz seed=${seed}: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
    expect(kinds.size, 'every kind of input was tried').toBeGreaterThanOrEqual(5);

    // No Kafka connection was ever adopted from a failed handshake, and none is left.
    const listener = broker.listeners.find((l) => l.name === 'SSL')!;
    for (let i = 0; i < 50 && listener.connections.size > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(listener.connections.size).toBe(0);

    // A real TLS client is served: ApiVersions v0 gets its answer.
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const s = tlsConnect({ port: sslPort, host: '127.0.0.1', rejectUnauthorized: false, servername: 'localhost' }, () => {
        const body = Buffer.from([0, 18, 0, 0, 0, 0, 0, 7, 0, 4, 0x66, 0x75, 0x7a, 0x7a]);
        const f = Buffer.alloc(4 + body.length);
        f.writeInt32BE(body.length, 0);
        body.copy(f, 4);
        s.write(f);
      });
      let got = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) {
          s.destroy();
          resolve(got);
        }
      });
      s.on('error', reject);
    });
    expect(answer.readInt32BE(4), 'the correlation id comes back').toBe(7);
    expect(answer.readInt16BE(8), 'ApiVersions error code').toBe(0);
  }, 120_000);
});
