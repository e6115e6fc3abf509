// A bare TCP client for tests: sends raw bytes / size-prefixed frames and reads size-prefixed responses.
import { connect, type Socket } from 'node:net';

/** Received messages waiting to be read, and readers waiting for one: what every raw test client queues. */
export class MessageQueue {
  private readonly messages: Buffer[] = [];
  private waiters: Array<() => void> = [];
  closed = false;

  get length(): number {
    return this.messages.length;
  }

  push(m: Buffer): void {
    this.messages.push(m);
    this.wake();
  }

  /** The connection closed: readers waiting for a message give up. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** The next message; rejects on timeout, or with `closedMessage()` once the connection closed. */
  async next(timeoutMs: number, closedMessage: () => string): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length === 0) {
      if (this.closed) throw new Error(closedMessage());
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timeout waiting for a response');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.messages.shift()!;
  }
}

export class RawClient {
  private buf: Buffer = Buffer.alloc(0);
  private readonly frames = new MessageQueue();
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      while (this.buf.length >= 4) {
        const n = this.buf.readInt32BE(0);
        if (this.buf.length < 4 + n) break;
        this.frames.push(Buffer.from(this.buf.subarray(4, 4 + n)));
        this.buf = this.buf.subarray(4 + n);
      }
    });
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.frames.close();
        resolve();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host, noDelay: true }, () => {
        s.off('error', reject);
        resolve(new RawClient(s));
      });
      s.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.frames.closed;
  }

  write(b: Uint8Array): void {
    this.socket.write(b);
  }

  /** Sends `payload` with its 4-byte size prefix. */
  send(payload: Uint8Array): void {
    this.socket.write(frame(payload));
  }

  get received(): number {
    return this.frames.length;
  }

  /** Next response frame (without size prefix); rejects on timeout or close. */
  next(timeoutMs = 5000): Promise<Buffer> {
    return this.frames.next(timeoutMs, () => 'connection closed');
  }

  /** Resolves true if the server closed the connection within the time. */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    if (this.closed) return true;
    return Promise.race([this.closedPromise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs))]);
  }

  close(): void {
    this.socket.destroy();
  }
}

export function frame(payload: Uint8Array): Buffer {
  const h = Buffer.alloc(4);
  h.writeInt32BE(payload.length);
  return Buffer.concat([h, payload]);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
