// A TCP proxy the test controls, in-process (node:net): listens on an ephemeral 127.0.0.1 port and
// forwards every connection to a target, so a test can cut one link of a cluster without root.
//
//   const p = await TcpProxy.start({ port: brokerPort });   // clients connect to p.port
//   p.cut('reset');    // existing connections get a TCP RST; new ones are reset right after accept
//   p.cut('silent');   // like a network partition: sockets stay open, no byte moves either way, new
//                      // connections are accepted but go nowhere; what was sent waits (TCP would retransmit)
//   p.heal();          // bytes flow again; connections accepted while silent reach the target now
//   p.delay(200);      // every chunk is forwarded 200 ms after it arrived (order kept); 0 = off
//   await p.close();
//
// A broker advertises its own listener in Metadata, so a client follows that address after bootstrap; to
// keep a client behind the proxy, give the broker `advertised.listeners=PLAINTEXT://127.0.0.1:<proxy port>`
// (start the proxy first on a port the test chooses, then the broker).
// Bounds: at most `maxConnections` links (more are reset), and at most 4 MiB waiting per direction (a
// delayed direction stops reading its source until the queue drains).
import { createServer, connect, type Server, type Socket } from 'node:net';

export type CutMode = 'reset' | 'silent';

const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/** One direction of a link: chunks from `from` written to `to`, optionally delayed, paused while cut. */
class Pipe {
  private queue: Array<{ due: number; chunk: Buffer }> = [];
  private queued = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly proxy: TcpProxy,
  ) {
    from.on('data', (chunk: Buffer) => {
      this.queue.push({ due: Date.now() + proxy.delayMs, chunk });
      this.queued += chunk.length;
      if (this.queued > MAX_QUEUED_BYTES) from.pause();
      this.pump();
    });
    from.on('end', () => this.pump());
  }

  /** Forwards every chunk that is due, unless the proxy is cut; re-arms a timer for the next one. */
  pump(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.proxy.mode !== null) return;
    let n = 0;
    while (this.queue.length > 0 && n++ < 10_000) {
      const head = this.queue[0]!;
      const wait = head.due - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => this.pump(), wait);
        return;
      }
      this.queue.shift();
      this.queued -= head.chunk.length;
      if (!this.to.destroyed) this.to.write(head.chunk);
    }
    if (this.queue.length > 0) this.timer = setTimeout(() => this.pump(), 0);
    else if (this.from.readableEnded && !this.to.destroyed) this.to.end();
    if (this.queued <= MAX_QUEUED_BYTES / 2 && this.from.isPaused()) this.from.resume();
  }

  /** Stops reading the source (silent cut): the bytes stay in the kernel's buffers, as in a partition. */
  hold(): void {
    this.from.pause();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  release(): void {
    this.from.resume();
    this.pump();
  }

  stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

interface Link {
  client: Socket;
  upstream: Socket | null;
  pipes: Pipe[];
}

export class TcpProxy {
  /** null = forwarding; otherwise how the proxy is cut. */
  mode: CutMode | null = null;
  delayMs = 0;
  /** Links opened since start (accepted connections that reached the target or wait for it). */
  accepted = 0;
  private readonly links = new Set<Link>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly target: { host: string; port: number },
    private readonly maxConnections: number,
  ) {
    server.on('connection', (s) => this.onConnection(s));
  }

  /** Listens on 127.0.0.1:`listenPort` (0 = ephemeral) and forwards to target. */
  static start(target: { host?: string; port: number }, o: { listenPort?: number; maxConnections?: number } = {}): Promise<TcpProxy> {
    const server = createServer({ pauseOnConnect: true });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.listenPort ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        const port = (server.address() as { port: number }).port;
        resolve(new TcpProxy(server, port, { host: target.host ?? '127.0.0.1', port: target.port }, o.maxConnections ?? 1024));
      });
    });
  }

  /** Live links. */
  get connections(): number {
    return this.links.size;
  }

  cut(mode: CutMode = 'reset'): void {
    this.mode = mode;
    for (const l of [...this.links]) {
      if (mode === 'reset') this.drop(l);
      else for (const p of l.pipes) p.hold();
    }
  }

  heal(): void {
    this.mode = null;
    for (const l of this.links) {
      if (l.upstream === null) this.openUpstream(l);
      else for (const p of l.pipes) p.release();
    }
  }

  delay(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  async close(): Promise<void> {
    for (const l of [...this.links]) this.drop(l);
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private onConnection(client: Socket): void {
    client.on('error', () => {});
    if (this.mode === 'reset' || this.links.size >= this.maxConnections) {
      client.resetAndDestroy();
      return;
    }
    this.accepted++;
    const link: Link = { client, upstream: null, pipes: [] };
    this.links.add(link);
    client.once('close', () => this.drop(link));
    if (this.mode === null) this.openUpstream(link); // silent: accepted, but nothing goes anywhere until heal()
  }

  private openUpstream(l: Link): void {
    const up = connect({ host: this.target.host, port: this.target.port, noDelay: true });
    l.upstream = up;
    up.on('error', () => {});
    up.once('close', () => this.drop(l));
    up.once('connect', () => {
      if (!this.links.has(l)) return;
      l.pipes = [new Pipe(l.client, up, this), new Pipe(up, l.client, this)];
      l.client.setNoDelay(true);
      l.client.resume();
      if (this.mode === 'silent') for (const p of l.pipes) p.hold();
    });
  }

  /** Ends a link with a TCP RST on both sides. */
  private drop(l: Link): void {
    if (!this.links.delete(l)) return;
    for (const p of l.pipes) p.stopTimer();
    if (!l.client.destroyed) l.client.resetAndDestroy();
    if (l.upstream && !l.upstream.destroyed) l.upstream.resetAndDestroy();
  }
}
