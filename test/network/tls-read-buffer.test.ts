// An accepted TLS socket switched to a reused read buffer (useReusedTlsReadBuffer): bytes decrypted before the
// switch come back to the caller, every later TLS record reaches the callback (no 'data' event), in order and
// complete; pause() stops the callbacks until resume(); the peer's end still ends the socket.
import { once } from 'node:events';
import { createServer, connect, type Server, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useReusedTlsReadBuffer } from '../../host-node/network/tls-read-buffer.js';
import { CertDir } from '../security/support/certs.js';

const certs = new CertDir();
let server: Server;
let port: number;
const accepted: TLSSocket[] = [];
let onAccept: ((s: TLSSocket) => void) | null = null;

beforeAll(async () => {
  await certs.ca('ca');
  await certs.leaf('ca', 'server', '/CN=localhost');
  server = createServer({ key: certs.read('server.key'), cert: certs.read('server.crt') }, (s) => {
    accepted.push(s);
    onAccept?.(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as { port: number }).port;
});

afterAll(() => {
  for (const s of accepted) s.destroy();
  server.close();
  certs.remove();
});

/** The next accepted socket. */
const nextAccepted = (): Promise<TLSSocket> => new Promise((r) => (onAccept = (s) => ((onAccept = null), r(s))));

async function client(): Promise<TLSSocket> {
  const c = connect({ host: '127.0.0.1', port, ca: certs.read('ca.crt'), servername: 'localhost' });
  await once(c, 'secureConnect');
  return c;
}

/** Writes each part in a TLS record of its own (a write per loop turn, so Node does not gather them). */
async function writeApart(c: TLSSocket, parts: Buffer[]): Promise<void> {
  for (const p of parts) {
    c.write(p);
    await new Promise((r) => setImmediate(r));
  }
}

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('useReusedTlsReadBuffer', () => {
  it('returns what was decrypted before the switch, then hands every record to the callback in order', async () => {
    const acceptedP = nextAccepted();
    const c = await client();
    const s = await acceptedP;
    // Sent before the switch: waits in the socket's Readable buffer.
    c.write(Buffer.from('early-bytes|'));
    await until(() => s.readableLength >= 12);
    let dataEvents = 0;
    const got: Buffer[] = [];
    let calls = 0;
    const early = useReusedTlsReadBuffer(s, (view) => {
      calls++;
      got.push(Buffer.from(view)); // the view is valid during the call only
    });
    expect(early).not.toBeUndefined();
    expect(early!.toString()).toBe('early-bytes|');
    s.on('data', () => dataEvents++);
    s.resume();
    const parts = Array.from({ length: 50 }, (_, i) => Buffer.from(`part-${i}-${'x'.repeat(i * 37)}|`));
    await writeApart(c, parts);
    const want = Buffer.concat(parts);
    await until(() => got.reduce((n, b) => n + b.length, 0) >= want.length);
    expect(Buffer.concat(got).equals(want)).toBe(true);
    expect(calls).toBeGreaterThan(1);
    expect(dataEvents).toBe(0);
    c.end();
    await once(s, 'end');
    s.destroy();
  });

  it('stops the callbacks while paused and delivers what came meanwhile on resume', async () => {
    const acceptedP = nextAccepted();
    const c = await client();
    const s = await acceptedP;
    const got: Buffer[] = [];
    expect(useReusedTlsReadBuffer(s, (view) => got.push(Buffer.from(view)))).toBeNull();
    s.resume();
    await writeApart(c, [Buffer.from('one|')]);
    await until(() => got.length === 1);
    s.pause();
    await writeApart(c, [Buffer.from('two|'), Buffer.from('three|')]);
    await new Promise((r) => setTimeout(r, 100));
    expect(Buffer.concat(got).toString()).toBe('one|');
    s.resume();
    await until(() => Buffer.concat(got).toString() === 'one|two|three|');
    c.destroy();
    s.destroy();
  });

  it('leaves a socket that already emits data events as it is', async () => {
    const acceptedP = nextAccepted();
    const c = await client();
    const s = await acceptedP;
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    expect(useReusedTlsReadBuffer(s, () => expect.unreachable())).toBeUndefined();
    await writeApart(c, [Buffer.from('still data events')]);
    await until(() => Buffer.concat(got).toString() === 'still data events');
    c.destroy();
    s.destroy();
  });
});
