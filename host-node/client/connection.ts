// One TCP connection to one broker: Kafka framing (int32 size prefix), correlation ids, several requests
// in flight (responses matched by correlation id, so a broker answering out of order is fine), ApiVersions
// negotiation (highest version both sides support, per API), per-request timeouts, a bounded in-flight
// window (further requests wait in a queue), and errors that name the broker and the API.
import { connect as tcpConnect, type Socket } from 'node:net';
import { ApiKey, apiByKey, type RequestInputTypes, type ResponseTypes } from '../../protocol/generated/index.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../protocol/frame.js';
import { BufferPool } from '../../protocol/wire/pool.js';
import { KafkaConnectionError, KafkaTimeoutError, KafkaUnsupportedVersionError } from '../../client/errors.js';
import { highestCommonVersion, negotiateApiVersions, type VersionRange } from '../../client/api-versions.js';

export const CLIENT_SOFTWARE_NAME = 'rivulet';
export const CLIENT_SOFTWARE_VERSION = '0.1.0';

/** A version range [min, max]. */
export type { VersionRange };

/**
 * Versions this client builds requests for, where narrower than the codec's full range. Produce < 3 and
 * Fetch < 4 carry old message sets (we only write and read v2 record batches); the rest of the APIs are
 * used at whatever the codecs cover.
 */
export const CLIENT_VERSION_LIMITS: Partial<Record<ApiKey, VersionRange>> = {
  [ApiKey.Produce]: [3, 11],
  [ApiKey.Fetch]: [4, 17],
  [ApiKey.ListOffsets]: [1, 9],
  [ApiKey.Metadata]: [1, 12],
};

export interface ConnectionOptions {
  host: string;
  port: number;
  /** Sent in every request header (default 'rivulet'). */
  clientId?: string;
  /** TCP connect timeout (default 10 s). */
  connectTimeoutMs?: number;
  /** Default time to wait for a response (default 30 s; Kafka's request.timeout.ms). */
  requestTimeoutMs?: number;
  /** Requests awaiting a response at most; more wait in a queue (default 5, Kafka's max.in.flight.requests.per.connection). */
  maxInFlight?: number;
  /** Requests allowed to wait in the queue behind the in-flight window (default 10000); beyond, send() rejects. */
  maxQueued?: number;
  /** Largest response frame accepted (default 100 MiB). */
  maxResponseBytes?: number;
  /** Skip the ApiVersions exchange (tests); versions() then assumes the codec's full ranges. */
  skipApiVersions?: boolean;
  /** Narrow the versions used per API (on top of CLIENT_VERSION_LIMITS). */
  versionLimits?: Partial<Record<ApiKey, VersionRange>>;
}

export interface SendOptions {
  /** Use exactly this version instead of the negotiated one. */
  version?: number;
  timeoutMs?: number;
  /** False for requests the broker does not answer (Produce with acks=0). */
  expectResponse?: boolean;
}

interface Pending {
  apiKey: ApiKey;
  version: number;
  resolve(body: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | null;
}

interface Queued {
  run(): void;
  reject(err: Error): void;
}

let nextConnectionId = 1;

/**
 * Large request buffers (Produce) are reused once the socket has written them: a fresh zeroed buffer per
 * request cost ~8 % of `rivulet perf produce` (allocation, zero fill, first-touch page faults).
 */
const requestBuffers = new BufferPool();

export class Connection {
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  readonly id = nextConnectionId++;
  /** What the broker advertised in ApiVersions (api key → range). */
  readonly brokerVersions = new Map<number, VersionRange>();
  private readonly requestTimeoutMs: number;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;
  private readonly maxResponseBytes: number;
  private readonly limits: Partial<Record<ApiKey, VersionRange>>;
  private readonly negotiated = new Map<number, number>();
  private socket: Socket | null = null;
  private correlationId = 0;
  private readonly pending = new Map<number, Pending>();
  /** Correlation ids whose caller gave up (timeout): their late responses are dropped. */
  private readonly abandoned = new Set<number>();
  private readonly queue: Queued[] = [];
  private inFlight = 0;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private closedError: Error | null = null;
  private closeListeners: Array<(err: Error | null) => void> = [];

  private constructor(private readonly options: ConnectionOptions) {
    this.host = options.host;
    this.port = options.port;
    this.clientId = options.clientId ?? 'rivulet';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 5);
    this.maxQueued = options.maxQueued ?? 10_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 100 * 1024 * 1024;
    this.limits = { ...CLIENT_VERSION_LIMITS, ...options.versionLimits };
  }

  /** `host:port` of the broker. */
  get address(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  get isOpen(): boolean {
    return this.socket !== null && this.closedError === null;
  }

  /** Requests sent and not yet answered. */
  get inFlightCount(): number {
    return this.inFlight;
  }

  /** Opens the socket and negotiates versions with ApiVersions. */
  static async connect(options: ConnectionOptions): Promise<Connection> {
    const c = new Connection(options);
    await c.open(options.connectTimeoutMs ?? 10_000);
    try {
      if (!options.skipApiVersions) await c.negotiate();
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  private open(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = tcpConnect({ host: this.host, port: this.port, noDelay: true });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new KafkaConnectionError(`connection timed out after ${timeoutMs} ms`, this.address));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.off('error', onError);
        this.socket = s;
        s.on('data', (d: Buffer) => this.onData(d));
        s.on('error', (e) => this.fail(new KafkaConnectionError(`connection error: ${e.message}`, this.address, { cause: e })));
        s.on('close', () => this.fail(new KafkaConnectionError('connection closed by broker', this.address)));
        resolve();
      });
      const onError = (e: Error) => {
        clearTimeout(timer);
        reject(new KafkaConnectionError(`cannot connect: ${e.message}`, this.address, { cause: e }));
      };
      s.once('error', onError);
    });
  }

  /** ApiVersions (negotiated down when the broker is older), then remembers the broker's ranges. */
  private async negotiate(): Promise<void> {
    const body = { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION };
    const theirs = await negotiateApiVersions((version) => this.send(ApiKey.ApiVersions, body, { version }), apiByKey(ApiKey.ApiVersions)!.validVersions, this.address);
    this.brokerVersions.clear();
    this.negotiated.clear();
    for (const [k, r] of theirs) this.brokerVersions.set(k, r);
  }

  /** The versions this client speaks for an API: the codec's range narrowed by the limits. */
  clientRange(apiKey: ApiKey): VersionRange | undefined {
    const api = apiByKey(apiKey);
    if (!api) return undefined;
    const lim = this.limits[apiKey];
    const min = Math.max(api.validVersions[0], lim?.[0] ?? 0);
    const max = Math.min(api.validVersions[1], lim?.[1] ?? Infinity);
    return min <= max ? [min, max] : undefined;
  }

  /** Whether the broker advertised the API at a version we can use. */
  supports(apiKey: ApiKey): boolean {
    return this.tryVersion(apiKey) !== undefined;
  }

  private tryVersion(apiKey: ApiKey): number | undefined {
    const cached = this.negotiated.get(apiKey);
    if (cached !== undefined) return cached;
    const ours = this.clientRange(apiKey);
    if (!ours) return undefined;
    const theirs = this.options.skipApiVersions ? ours : this.brokerVersions.get(apiKey);
    if (!theirs) return undefined;
    const v = highestCommonVersion(ours, undefined, theirs);
    if (v === undefined) return undefined;
    this.negotiated.set(apiKey, v);
    return v;
  }

  /** Highest version of `apiKey` both sides support; throws KafkaUnsupportedVersionError when none. */
  version(apiKey: ApiKey): number {
    const v = this.tryVersion(apiKey);
    if (v === undefined) {
      const name = apiByKey(apiKey)?.name ?? `api ${apiKey}`;
      const theirs = this.brokerVersions.get(apiKey);
      const ours = this.clientRange(apiKey);
      throw new KafkaUnsupportedVersionError(
        `broker ${this.address} ${theirs ? `supports ${name} v${theirs[0]}-${theirs[1]}` : `does not support ${name}`}` +
          (ours ? `; this client speaks v${ours[0]}-${ours[1]}` : ''),
      );
    }
    return v;
  }

  /**
   * Sends one request and resolves with the decoded response body. Requests beyond the in-flight window
   * wait their turn. With expectResponse false the promise resolves (with undefined) once the bytes are
   * handed to the socket.
   */
  send<K extends ApiKey>(apiKey: K, body: RequestInputTypes[K], options: SendOptions & { expectResponse: false }): Promise<undefined>;
  send<K extends ApiKey>(apiKey: K, body: RequestInputTypes[K], options?: SendOptions): Promise<ResponseTypes[K]>;
  send<K extends ApiKey>(apiKey: K, body: RequestInputTypes[K], options: SendOptions = {}): Promise<ResponseTypes[K] | undefined> {
    if (this.closedError) return Promise.reject(this.closedError);
    let version: number;
    try {
      version = options.version ?? this.version(apiKey);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<ResponseTypes[K] | undefined>((resolve, reject) => {
      const run = () => this.dispatch(apiKey, version, body, options, resolve as (b: unknown) => void, reject);
      if (this.inFlight < this.maxInFlight && this.queue.length === 0) run();
      else if (this.queue.length >= this.maxQueued) reject(new KafkaConnectionError(`request queue full (${this.maxQueued} waiting)`, this.address));
      else this.queue.push({ run, reject });
    });
  }

  private dispatch<K extends ApiKey>(apiKey: K, version: number, body: RequestInputTypes[K], options: SendOptions, resolve: (b: unknown) => void, reject: (e: Error) => void): void {
    const socket = this.socket;
    if (!socket || this.closedError) {
      reject(this.closedError ?? new KafkaConnectionError('not connected', this.address));
      return;
    }
    const correlationId = this.correlationId;
    this.correlationId = (this.correlationId + 1) & 0x7fffffff;
    let frame: Uint8Array;
    try {
      frame = encodeRequestFrame(apiKey, version, correlationId, this.clientId, body, { pool: requestBuffers });
    } catch (e) {
      reject(e as Error);
      this.pump();
      return;
    }
    if (options.expectResponse === false) {
      socket.write(frame, (err) => {
        requestBuffers.release(frame);
        if (err) reject(new KafkaConnectionError(`write failed: ${err.message}`, this.address, { cause: err }));
        else resolve(undefined);
      });
      return;
    }
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    const p: Pending = { apiKey, version, resolve, reject, timer: null };
    if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      p.timer = setTimeout(() => {
        if (this.pending.delete(correlationId)) {
          this.abandoned.add(correlationId);
          this.inFlight--;
          reject(new KafkaTimeoutError(`${apiByKey(apiKey)?.name ?? apiKey} v${version} to ${this.address}: no response within ${timeoutMs} ms`));
          this.pump();
        }
      }, timeoutMs);
    }
    this.pending.set(correlationId, p);
    this.inFlight++;
    socket.write(frame, () => requestBuffers.release(frame));
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) this.queue.shift()!.run();
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    while (this.buffered >= 4) {
      let head = this.chunks[0]!;
      if (head.length < 4) {
        head = Buffer.concat(this.chunks);
        this.chunks = [head];
      }
      const size = head.readInt32BE(0);
      if (size < 4 || size > this.maxResponseBytes) {
        this.fail(new KafkaConnectionError(`bad response frame size ${size}`, this.address));
        this.socket?.destroy();
        return;
      }
      if (this.buffered < 4 + size) return;
      if (head.length < 4 + size) {
        head = Buffer.concat(this.chunks, this.buffered);
        this.chunks = [head];
      }
      const frame = head.subarray(4, 4 + size);
      const rest = head.subarray(4 + size);
      if (rest.length > 0) this.chunks[0] = rest;
      else this.chunks.shift();
      this.buffered -= 4 + size;
      this.onFrame(frame);
      if (this.closedError) return;
    }
  }

  private onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (!p) {
      if (this.abandoned.delete(correlationId)) return;
      this.fail(new KafkaConnectionError(`response with unknown correlation id ${correlationId}`, this.address));
      this.socket?.destroy();
      return;
    }
    this.pending.delete(correlationId);
    if (p.timer) clearTimeout(p.timer);
    this.inFlight--;
    try {
      // A broker that does not know our ApiVersions version answers in v0 (error 35 + its ranges),
      // whatever version we sent; the error code is the first field in every version.
      const version = p.apiKey === ApiKey.ApiVersions && frame.length >= 6 && frame.readInt16BE(4) === 35 ? 0 : p.version;
      const { body } = decodeResponseFrame(p.apiKey, version, frame);
      p.resolve(body);
    } catch (e) {
      p.reject(new KafkaConnectionError(`cannot decode ${apiByKey(p.apiKey)?.name} v${p.version} response: ${(e as Error).message}`, this.address, { cause: e }));
    }
    this.pump();
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.inFlight = 0;
    for (const q of this.queue.splice(0)) q.reject(err);
    const ls = this.closeListeners;
    this.closeListeners = [];
    for (const l of ls) l(err);
  }

  /** Called once when the connection closes or fails. */
  onClose(listener: (err: Error | null) => void): void {
    if (this.closedError) listener(this.closedError);
    else this.closeListeners.push(listener);
  }

  /** Closes the socket; pending requests reject with a KafkaConnectionError. */
  close(): void {
    this.fail(new KafkaConnectionError('connection closed by client', this.address));
    this.socket?.end();
    this.socket?.destroy();
  }
}

/** Parses 'host:port' (IPv6 in brackets). */
export function parseHostPort(s: string, defaultPort = 9092): { host: string; port: number } {
  const t = s.trim();
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(t) ?? /^([^:]+)(?::(\d+))?$/.exec(t);
  if (!m) throw new KafkaClientArgumentError(`invalid broker address '${s}' (expected host:port)`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new KafkaClientArgumentError(`invalid port in '${s}'`);
  return { host: m[1]!, port };
}

export class KafkaClientArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KafkaClientArgumentError';
  }
}
