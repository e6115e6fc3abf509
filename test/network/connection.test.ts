// The connection layer on its own, with a fake dispatcher whose requests say what to do:
// byte 0 = op, bytes 1..4 = id, bytes 5..8 = argument. The response echoes the request payload.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TcpListener, type ConnectionLimits, type DispatchResult, type RequestDispatcher } from '../../host-node/network/index.js';
import { FrameDecoder, FrameError, type ArenaRegion, type FrameArena, type Lent } from '../../host-node/network/frame-decoder.js';
import { silentLogger } from '../../host-node/util/log.js';
import { RawClient, frame, sleep } from '../helpers/raw-client.js';

const OP = { echo: 0x45, delay: 0x44, none: 0x4e, hold: 0x48, fail: 0x58, big: 0x42 } as const;

function req(op: number, id: number, arg = 0, extra = 0): Buffer {
  const b = Buffer.alloc(9 + extra);
  b[0] = op;
  b.writeInt32BE(id, 1);
  b.writeInt32BE(arg, 5);
  return b;
}
const idOf = (b: Buffer) => b.readInt32BE(1);

class FakeDispatcher implements RequestDispatcher {
  held = new Map<number, () => void>();
  dispatched = 0;
  dispatch(f: Uint8Array): DispatchResult | Promise<DispatchResult> {
    this.dispatched++;
    const b = Buffer.from(f.buffer, f.byteOffset, f.byteLength);
    if (b.length < 9) {
      const e = new Error('short request');
      e.name = 'ProtocolError';
      throw e;
    }
    const op = b[0];
    const copy = Buffer.from(b); // the frame view is only valid until we settle
    switch (op) {
      case OP.echo:
        return frame(copy);
      case OP.none:
        return null;
      case OP.big: {
        // A response of `arg` bytes whose first 9 bytes echo the request.
        const out = Buffer.alloc(4 + b.readInt32BE(5));
        out.writeInt32BE(out.length - 4);
        copy.copy(out, 4, 0, 9);
        return out;
      }
      case OP.delay:
        return new Promise((r) => setTimeout(() => r(frame(copy)), b.readInt32BE(5)));
      case OP.hold:
        return new Promise((r) => this.held.set(idOf(copy), () => r(frame(copy))));
      default: {
        const e = new Error(`bad op ${op}`);
        e.name = 'ProtocolError';
        throw e;
      }
    }
  }
}

let listeners: TcpListener[] = [];
afterEach(async () => {
  await Promise.all(listeners.map((l) => l.close(100)));
  listeners = [];
});

async function start(limits: Partial<ConnectionLimits> = {}, d = new FakeDispatcher()) {
  const l = await TcpListener.listen({
    name: 'PLAINTEXT',
    host: '127.0.0.1',
    port: 0,
    limits: { maxRequestBytes: 1 << 20, maxQueuedRequests: 500, idleTimeoutMs: 600_000, ...limits },
    dispatcher: d,
    log: silentLogger,
  });
  listeners.push(l);
  return { l, d };
}

describe('FrameDecoder', () => {
  it('splits frames across chunk boundaries at every split point', () => {
    const frames = [req(OP.echo, 1), req(OP.echo, 2, 0, 100), req(OP.echo, 3, 0, 5000)].map(frame);
    const stream = Buffer.concat(frames);
    for (let cut = 0; cut <= stream.length; cut += 7) {
      const got: number[] = [];
      const d = new FrameDecoder(1 << 20, (f, lent) => {
        got.push(Buffer.from(f).readInt32BE(1));
        if (lent) d.recycle(lent);
      });
      d.push(stream.subarray(0, cut));
      d.push(stream.subarray(cut));
      expect(got).toEqual([1, 2, 3]);
    }
  });

  it('feeds byte by byte', () => {
    const stream = Buffer.concat([req(OP.echo, 7), req(OP.echo, 8)].map(frame));
    const got: number[] = [];
    const d = new FrameDecoder(1000, (f) => got.push(Buffer.from(f).readInt32BE(1)));
    for (let i = 0; i < stream.length; i++) d.push(stream.subarray(i, i + 1));
    expect(got).toEqual([7, 8]);
  });

  it('hands whole frames on as views of the chunk (no copy) and reuses the reassembly buffer', () => {
    const chunk = Buffer.concat([req(OP.echo, 1), req(OP.echo, 2)].map(frame));
    const views: Uint8Array[] = [];
    const d = new FrameDecoder(1000, (f, lent) => {
      views.push(f);
      expect(lent).toBeUndefined();
    });
    d.push(chunk);
    expect(views.map((v) => v.buffer === chunk.buffer)).toEqual([true, true]);

    const lents: Lent[] = [];
    const d2 = new FrameDecoder(1 << 20, (_f, lent) => {
      lents.push(lent!);
      d2.recycle(lent!);
    });
    for (let i = 0; i < 3; i++) {
      const f = frame(req(OP.echo, i, 0, 3000));
      d2.push(f.subarray(0, 10));
      d2.push(f.subarray(10));
    }
    expect(lents.length).toBe(3);
    expect(lents[1]).toBe(lents[0]);
    expect(lents[2]).toBe(lents[0]);
  });

  it('rejects an oversize or negative size from the prefix alone', () => {
    const d = new FrameDecoder(100, () => {});
    const h = Buffer.alloc(4);
    h.writeInt32BE(101);
    expect(() => d.push(h)).toThrow(FrameError);
    const d2 = new FrameDecoder(100, () => {});
    expect(() => d2.push(Buffer.from([0xff, 0xff, 0xff, 0xf0]))).toThrow(/negative/);
    expect(d2.pendingBytes).toBe(0);
  });

  it('collects frames above the pool size only as bytes arrive', () => {
    const big = 3 << 20;
    let got: Uint8Array | null = null;
    const d = new FrameDecoder(10 << 20, (f) => (got = f));
    const h = Buffer.alloc(4);
    h.writeInt32BE(big);
    d.push(h);
    expect(d.pendingBytes).toBe(0);
    const body = Buffer.alloc(big, 7);
    d.push(body.subarray(0, 1000));
    expect(d.pendingBytes).toBe(1000);
    d.push(body.subarray(1000));
    expect(got!.length).toBe(big);
  });
});

/**
 * An arena over plain memory whose backing store "moves" now and then, as linear memory does when it grows:
 * every earlier view goes stale, so the decoder must take a fresh view for each chunk.
 */
class MovingArena implements FrameArena {
  lent = 0;
  taken = 0;
  constructor(
    private readonly apiKey: number,
    private readonly regions: number,
    private readonly regionBytes = 8192,
  ) {}
  accepts(k: number): boolean {
    return k === this.apiKey;
  }
  take(size: number): ArenaRegion | null {
    if (size > this.regionBytes || this.lent >= this.regions) return null;
    this.lent++;
    this.taken++;
    let mem = new Uint8Array(this.regionBytes);
    let released = false;
    return {
      bytes: () => {
        if (released) throw new Error('used after release');
        const moved = new Uint8Array(this.regionBytes);
        moved.set(mem);
        mem.fill(0xee); // a stale view now reads garbage
        mem = moved;
        return mem;
      },
      release: () => {
        if (!released) this.lent--;
        released = true;
      },
    };
  }
}

describe('FrameDecoder with an arena', () => {
  it('reassembles accepted spanning frames in the arena, the rest in its own buffer, and gets regions back', () => {
    const arena = new MovingArena(OP.echo << 8, 1);
    const frames = [req(OP.echo, 1, 0, 3000), req(OP.delay, 2, 0, 3000), req(OP.echo, 3, 0, 3000), req(OP.echo, 4, 0, 20_000)].map(frame);
    const stream = Buffer.concat(frames);
    const got: { id: number; arena: boolean; ok: boolean }[] = [];
    const held: Lent[] = [];
    const d = new FrameDecoder(1 << 20, (f, lent) => {
      const b = Buffer.from(f);
      got.push({ id: b.readInt32BE(1), arena: lent !== undefined && !Buffer.isBuffer(lent), ok: b.length === 9 + (b.readInt32BE(1) === 4 ? 20_000 : 3000) && b[0] !== 0xee });
      if (lent) held.push(lent);
    }, arena);
    for (let off = 0; off < stream.length; off += 1000) d.push(stream.subarray(off, off + 1000));
    // Frame 1 in the arena; frame 2 is another API; frame 3 finds the only region still lent; frame 4 is too big.
    expect(got).toEqual([
      { id: 1, arena: true, ok: true },
      { id: 2, arena: false, ok: true },
      { id: 3, arena: false, ok: true },
      { id: 4, arena: false, ok: true },
    ]);
    expect(arena.lent).toBe(1);
    for (const l of held) d.recycle(l);
    expect(arena.lent).toBe(0);
    d.push(frames[2]!.subarray(0, 100));
    d.push(frames[2]!.subarray(100));
    expect(arena.taken).toBe(2);
  });

  it('copies every frame out of a transient chunk (a reused read buffer) before handing it on', () => {
    const arena = new MovingArena(OP.echo << 8, 4);
    const frames = [req(OP.echo, 1, 0, 100), req(OP.delay, 2, 0, 50), req(OP.echo, 3, 0, 3000), req(OP.delay, 4, 0, 20_000)].map(frame);
    const stream = Buffer.concat(frames);
    const readBuffer = Buffer.alloc(8192);
    const got: { frame: Uint8Array; lent: Lent | undefined }[] = [];
    const d = new FrameDecoder(1 << 20, (f, lent) => got.push({ frame: f, lent }), arena);
    for (let off = 0; off < stream.length; off += readBuffer.length) {
      const n = stream.copy(readBuffer, 0, off, off + readBuffer.length);
      d.push(readBuffer.subarray(0, n), true);
      readBuffer.fill(0xee); // the next read overwrites it
    }
    const ids = got.map((g) => Buffer.from(g.frame).readInt32BE(1));
    expect(ids).toEqual([1, 2, 3, 4]);
    for (const [i, g] of got.entries()) expect(Buffer.from(g.frame).equals(frames[i]!.subarray(4))).toBe(true);
    // Echo frames (the arena's API) went to regions, whole ones included; the others are Buffers of their own.
    expect(got.map((g) => g.lent !== undefined && !Buffer.isBuffer(g.lent))).toEqual([true, false, true, false]);
    expect(got.every((g) => g.frame.buffer !== readBuffer.buffer)).toBe(true);
  });

  it('gives back the region of a partial frame when the connection goes', () => {
    const arena = new MovingArena(OP.echo << 8, 4);
    const d = new FrameDecoder(1 << 20, () => expect.unreachable());
    d.push(frame(req(OP.echo, 1, 0, 3000)).subarray(0, 500));
    expect(arena.lent).toBe(0); // the decoder above has no arena
    const d2 = new FrameDecoder(1 << 20, () => expect.unreachable(), arena);
    d2.push(frame(req(OP.echo, 1, 0, 3000)).subarray(0, 500));
    expect(arena.lent).toBe(1);
    d2.dispose();
    expect(arena.lent).toBe(0);
    d2.push(Buffer.alloc(100)); // ignored after dispose
  });

  it('over TCP: served and abandoned frames both return their regions', async () => {
    const arena = new MovingArena(OP.hold << 8, 8);
    const d = new FakeDispatcher();
    const l = await TcpListener.listen({
      name: 'PLAINTEXT', host: '127.0.0.1', port: 0,
      limits: { maxRequestBytes: 1 << 20, maxQueuedRequests: 500, idleTimeoutMs: 600_000 },
      dispatcher: d, log: silentLogger, frameArena: arena,
    });
    listeners.push(l);
    const c = await RawClient.connect(l.port);
    const f1 = frame(req(OP.hold, 1, 0, 5000));
    c.write(f1.subarray(0, 10));
    await sleep(20);
    c.write(f1.subarray(10));
    await vi.waitFor(() => expect(d.held.has(1)).toBe(true));
    expect(arena.lent).toBe(1);
    d.held.get(1)!();
    const r = await c.next();
    expect(r.readInt32BE(1)).toBe(1);
    await vi.waitFor(() => expect(arena.lent).toBe(0));
    // A held request and a partial one, then the client goes away.
    const f2 = frame(req(OP.hold, 2, 0, 5000));
    c.write(f2.subarray(0, 10));
    await sleep(20);
    c.write(f2.subarray(10));
    await vi.waitFor(() => expect(d.held.has(2)).toBe(true));
    c.write(frame(req(OP.hold, 3, 0, 5000)).subarray(0, 100));
    await vi.waitFor(() => expect(arena.lent).toBe(2));
    c.close(); // a half-close: the held request is still answered, then the connection closes
    await sleep(50);
    expect(arena.lent).toBe(2);
    d.held.get(2)!();
    await vi.waitFor(() => expect(arena.lent).toBe(0));
    expect(arena.taken).toBe(3);
  });
});

describe('TCP connection layer', () => {
  it('answers frames split across writes and many frames in one write', async () => {
    const { l } = await start();
    const c = await RawClient.connect(l.port);
    const f = frame(req(OP.echo, 42, 0, 200));
    c.write(f.subarray(0, 2));
    await sleep(20);
    c.write(f.subarray(2, 50));
    await sleep(20);
    c.write(f.subarray(50));
    expect(idOf(await c.next())).toBe(42);
    c.write(Buffer.concat(Array.from({ length: 200 }, (_, i) => frame(req(OP.echo, i)))));
    for (let i = 0; i < 200; i++) expect(idOf(await c.next())).toBe(i);
    c.close();
  });

  it('closes on an oversize frame before the body arrives', async () => {
    const { l, d } = await start({ maxRequestBytes: 1000 });
    const c = await RawClient.connect(l.port);
    const h = Buffer.alloc(4);
    h.writeInt32BE(1001);
    c.write(h); // the size alone: no body follows
    expect(await c.waitClosed(2000)).toBe(true);
    expect(d.dispatched).toBe(0);
  });

  it('keeps responses in request order when handlers finish out of order', async () => {
    const { l } = await start();
    const c = await RawClient.connect(l.port);
    const delays = [80, 10, 50, 0, 30, 5, 70, 1, 20, 60];
    const parts: Buffer[] = [];
    delays.forEach((ms, i) => parts.push(frame(ms === 0 ? req(OP.echo, i) : req(OP.delay, i, ms))));
    c.write(Buffer.concat(parts));
    for (let i = 0; i < delays.length; i++) expect(idOf(await c.next())).toBe(i);
    c.close();
  });

  it('sends nothing for a no-response request (acks=0) and keeps order for the rest', async () => {
    const { l } = await start();
    const c = await RawClient.connect(l.port);
    c.write(Buffer.concat([frame(req(OP.delay, 1, 30)), frame(req(OP.none, 2)), frame(req(OP.echo, 3)), frame(req(OP.none, 4))]));
    expect(idOf(await c.next())).toBe(1);
    expect(idOf(await c.next())).toBe(3);
    await sleep(100);
    expect(c.received).toBe(0);
    c.close();
  });

  it('pauses reading at queued.max.requests and resumes below it', async () => {
    const { l, d } = await start({ maxQueuedRequests: 3 });
    const c = await RawClient.connect(l.port);
    // The first three one at a time, so each arrives in its own chunk.
    for (let i = 0; i < 3; i++) {
      c.write(frame(req(OP.hold, i)));
      for (let k = 0; k < 100 && d.dispatched <= i; k++) await sleep(5);
    }
    for (let i = 3; i < 8; i++) {
      c.write(frame(req(OP.hold, i)));
      await sleep(15);
    }
    await sleep(50);
    expect(d.dispatched).toBe(3); // three pending: nothing more is read
    const conn = [...l.connections][0]!;
    expect(conn.readPaused).toBe(true);
    d.held.get(0)!();
    await sleep(50);
    expect(d.dispatched).toBeGreaterThanOrEqual(4); // a slot freed → reading resumed
    for (let i = 1; i < 8; i++) {
      await sleep(10);
      d.held.get(i)?.();
    }
    // release whatever arrived later
    for (let k = 0; k < 20 && d.dispatched < 8; k++) {
      await sleep(20);
      for (const f of d.held.values()) f();
    }
    for (const f of d.held.values()) f();
    for (let i = 0; i < 8; i++) expect(idOf(await c.next())).toBe(i);
    expect(conn.readPaused).toBe(false);
    c.close();
  });

  it('pauses reading while the client does not read its responses, and catches up when it does', async () => {
    const { l, d } = await start({ maxQueuedRequests: 500 });
    const c = await RawClient.connect(l.port);
    c.socket.pause(); // a client that does not read
    const N = 64;
    for (let i = 0; i < N; i++) {
      c.write(frame(req(OP.big, i, 1 << 20)));
      if (i % 8 === 7) await sleep(5);
    }
    await sleep(300);
    const conn = [...l.connections][0]!;
    expect(conn.readPaused).toBe(true); // the socket's write buffer is full
    expect(d.dispatched).toBeLessThan(N);
    c.socket.resume();
    for (let i = 0; i < N; i++) {
      const f = await c.next(10_000);
      expect(idOf(f)).toBe(i);
      expect(f.length).toBe(1 << 20);
    }
    expect(d.dispatched).toBe(N);
    c.close();
  });

  it('does not serve frames that follow a fatal one in the same chunk', async () => {
    const { l, d } = await start();
    const c = await RawClient.connect(l.port);
    c.write(Buffer.concat([frame(req(OP.fail, 1)), frame(req(OP.echo, 2)), frame(req(OP.echo, 3))]));
    expect(await c.waitClosed(1000)).toBe(true);
    expect(d.dispatched).toBe(1);
    expect(c.received).toBe(0);
  });

  it('closes idle connections after connections.max.idle.ms but not busy ones', async () => {
    const { l } = await start({ idleTimeoutMs: 150 });
    const idle = await RawClient.connect(l.port);
    const busy = await RawClient.connect(l.port);
    busy.write(frame(req(OP.delay, 9, 400)));
    expect(await idle.waitClosed(1000)).toBe(true);
    expect(busy.closed).toBe(false);
    expect(idOf(await busy.next(1000))).toBe(9);
    expect(await busy.waitClosed(1000)).toBe(true);
  });

  it('a garbage frame closes only its own connection', async () => {
    const { l } = await start();
    const good = await RawClient.connect(l.port);
    const bad = await RawClient.connect(l.port);
    good.write(frame(req(OP.delay, 1, 100)));
    bad.write(frame(Buffer.from([1, 2, 3])));
    expect(await bad.waitClosed(1000)).toBe(true);
    expect(idOf(await good.next())).toBe(1);
    good.write(frame(req(OP.echo, 2)));
    expect(idOf(await good.next())).toBe(2);
    expect(good.closed).toBe(false);
    good.close();
  });

  it('answers what was sent before a client half-close', async () => {
    const { l } = await start();
    const c = await RawClient.connect(l.port);
    c.socket.end(Buffer.concat([frame(req(OP.delay, 1, 30)), frame(req(OP.echo, 2))]));
    expect(idOf(await c.next())).toBe(1);
    expect(idOf(await c.next())).toBe(2);
    expect(await c.waitClosed(1000)).toBe(true);
  });

  it('coalesces a burst of responses into few socket writes', async () => {
    const { l } = await start();
    const c = await RawClient.connect(l.port);
    let writes = 0;
    const conn = await new Promise<import('../../host-node/network/connection.js').Connection>((r) => {
      const poll = () => (l.connections.size ? r([...l.connections][0]!) : setTimeout(poll, 5));
      poll();
    });
    const sock = (conn as unknown as { socket: import('node:net').Socket }).socket;
    const h = (sock as unknown as { _handle: { writev: (...a: unknown[]) => unknown; writeBuffer: (...a: unknown[]) => unknown } })._handle;
    const wv = h.writev.bind(h);
    const wb = h.writeBuffer.bind(h);
    h.writev = (...a: unknown[]) => (writes++, wv(...a));
    h.writeBuffer = (...a: unknown[]) => (writes++, wb(...a));
    c.write(Buffer.concat(Array.from({ length: 100 }, (_, i) => frame(req(OP.echo, i)))));
    for (let i = 0; i < 100; i++) expect(idOf(await c.next())).toBe(i);
    expect(writes).toBeLessThanOrEqual(5);
    c.close();
  });

  it('close() ends every connection and stops accepting', async () => {
    const { l } = await start();
    const c = await RawClient.connect(l.port);
    await sleep(20);
    await l.close(200);
    expect(await c.waitClosed(1000)).toBe(true);
    await expect(RawClient.connect(l.port)).rejects.toThrow();
  });
});
