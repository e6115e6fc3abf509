// One Kafka client connection over any transport: correlation ids, several requests in flight (responses
// matched by correlation id, so a broker answering out of order is fine), a bounded in-flight window with a
// queue behind it, ApiVersions negotiation (highest version both sides speak, per API), per-request
// timeouts, response decoding, and errors that name the broker and the API. The transport (TCP in
// host-node/client, WebSocket in host-browser/sync) only moves whole frames.
//
// APIs are looked up through the caller's `api` function and framed by descriptor (protocol/api-frame.ts),
// never through generated/index.ts or frame.ts, which load every API's codec: a caller that speaks a few
// APIs (the browser sync) carries only their codecs. index.ts is imported for types only.
import { ApiKey, type ApiDescriptor } from '../protocol/generated/api.js';
import type { RequestInputTypes, ResponseTypes } from '../protocol/generated/index.js';
import { ApiVersionsApi } from '../protocol/generated/api-versions.js';
import { type EncodeOptions, decodeResponseFrameFor, encodeRequestFrameFor } from '../protocol/api-frame.js';
import type { BufferPool } from '../protocol/wire/pool.js';
import { invariant } from '../common/invariant.js';
import { KafkaConnectionError, KafkaTimeoutError, KafkaUnsupportedVersionError } from './errors.js';
import { highestCommonVersion, negotiateApiVersions, UNSUPPORTED_VERSION } from './api-versions.js';
import { clientVersions, type VersionRange } from './version-limits.js';

/** The wire under a connection: whole request frames out; responses come back through TransportEvents. */
export interface Transport {
  /** Where request frames are encoded into, when the transport reuses buffers (it releases each once written). */
  readonly pool?: BufferPool;
  /** Whether a request frame written now can reach the broker. */
  readonly writable: boolean;
  /** Writes one request frame (size prefix included); `written` runs once the bytes are handed off, with the error if that failed. */
  write(frame: Uint8Array, written?: (err?: Error) => void): void;
  /** Closes the wire; `protocolError` says why when the broker broke the protocol. */
  close(protocolError?: string): void;
}

/** What a transport reports to its connection. */
export interface TransportEvents {
  /** One whole response frame, without its size prefix (at least the 4-byte correlation id). */
  frame(frame: Uint8Array): void;
  /** The broker broke the framing: the connection fails with this reason and closes the transport. */
  protocolError(why: string): void;
  /** The wire closed or failed. */
  closed(err: Error): void;
}

export interface ClientConnectionOptions {
  /** The broker, as error messages name it (host:port, a URL). */
  address: string;
  /** Sent in every request header. */
  clientId: string;
  /** The descriptor of each API this connection may send; undefined for the others. */
  api(apiKey: number): ApiDescriptor | undefined;
  /** Default time to wait for a response (default 30 s; Kafka's request.timeout.ms). */
  requestTimeoutMs?: number;
  /** Requests awaiting a response at most; more wait in a queue (default 5, Kafka's max.in.flight.requests.per.connection). */
  maxInFlight?: number;
  /** Requests allowed to wait in the queue behind the in-flight window (default 10000); beyond, send() rejects. */
  maxQueued?: number;
  /** Narrow the versions used per API, on top of CLIENT_VERSION_LIMITS. */
  versionLimits?: Partial<Record<number, VersionRange>>;
  /** Skip the ApiVersions exchange (tests); versions() then assumes our full ranges. */
  skipApiVersions?: boolean;
}

export interface SendOptions {
  /** Use exactly this version instead of the negotiated one. */
  version?: number;
  timeoutMs?: number;
  /** False for requests the broker does not answer (Produce with acks=0). */
  expectResponse?: boolean;
}

/** The name and version a client reports in ApiVersions. */
export interface ClientSoftware {
  name: string;
  version: string;
}

interface Pending {
  api: ApiDescriptor;
  version: number;
  resolve(body: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout> | null;
}

interface Queued {
  run(): void;
  reject(err: Error): void;
}

/**
 * The transport-independent part of a connection; a host's connection extends it and opens its transport
 * with start(). `Key` is the set of APIs it sends. Single-use, like a socket: once closed or failed,
 * every send rejects.
 */
export class ClientConnection<Key extends ApiKey = ApiKey> {
  readonly address: string;
  readonly clientId: string;
  /** What the broker advertised in ApiVersions (api key → range). */
  readonly brokerVersions = new Map<number, VersionRange>();
  private readonly lookup: (apiKey: number) => ApiDescriptor | undefined;
  private readonly requestTimeoutMs: number;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;
  private readonly versionLimits: Partial<Record<number, VersionRange>>;
  private readonly skipApiVersions: boolean;
  private readonly negotiated = new Map<number, number>();
  private transport: Transport | null = null;
  private encodeOptions: EncodeOptions | undefined;
  private correlationId = 0;
  private readonly pending = new Map<number, Pending>();
  /** Correlation ids whose caller gave up (timeout): their late responses are dropped. */
  private readonly abandoned = new Set<number>();
  private readonly queue: Queued[] = [];
  private inFlight = 0;
  private closedError: Error | null = null;
  private readonly closeListeners: Array<(err: Error) => void> = [];
  private readonly events: TransportEvents = {
    frame: (frame) => this.receive(frame),
    protocolError: (why) => this.protocolFailure(why),
    closed: (err) => this.fail(err),
  };

  protected constructor(options: ClientConnectionOptions) {
    this.address = options.address;
    this.clientId = options.clientId;
    this.lookup = options.api;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 5);
    this.maxQueued = options.maxQueued ?? 10_000;
    this.versionLimits = options.versionLimits ?? {};
    this.skipApiVersions = options.skipApiVersions ?? false;
  }

  /** Opens the transport (`open` gets the events to report to), then negotiates versions with ApiVersions. */
  protected async start(open: (events: TransportEvents) => Promise<Transport>, software: ClientSoftware): Promise<void> {
    const transport = await open(this.events);
    this.transport = transport;
    this.encodeOptions = transport.pool ? { pool: transport.pool } : undefined;
    try {
      if (!this.skipApiVersions) await this.negotiate(software);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  get isOpen(): boolean {
    return this.transport !== null && this.closedError === null;
  }

  /** Requests sent and not yet answered. */
  get inFlightCount(): number {
    return this.inFlight;
  }

  /** ApiVersions (negotiated down when the broker is older), then remembers the broker's ranges. */
  private async negotiate(software: ClientSoftware): Promise<void> {
    const body = { clientSoftwareName: software.name, clientSoftwareVersion: software.version };
    const send = (version: number) => this.request(ApiVersionsApi, version, body, {}) as Promise<ResponseTypes[typeof ApiKey.ApiVersions]>;
    const theirs = await negotiateApiVersions(send, ApiVersionsApi.validVersions, this.address);
    this.brokerVersions.clear();
    this.negotiated.clear();
    for (const [k, r] of theirs) this.brokerVersions.set(k, r);
  }

  /** The versions this client speaks for an API: the codec's range narrowed by the limits. */
  clientRange(apiKey: Key): VersionRange | undefined {
    const api = this.lookup(apiKey);
    return api && clientVersions(api, this.versionLimits[apiKey]);
  }

  /** Whether the broker advertised the API at a version we can use. */
  supports(apiKey: Key): boolean {
    return this.tryVersion(apiKey) !== undefined;
  }

  private tryVersion(apiKey: Key): number | undefined {
    const cached = this.negotiated.get(apiKey);
    if (cached !== undefined) return cached;
    const ours = this.clientRange(apiKey);
    if (!ours) return undefined;
    const theirs = this.skipApiVersions ? ours : this.brokerVersions.get(apiKey);
    const v = theirs && highestCommonVersion(ours, theirs);
    if (v !== undefined) this.negotiated.set(apiKey, v);
    return v;
  }

  /** Highest version of `apiKey` both sides support; throws KafkaUnsupportedVersionError when none. */
  version(apiKey: Key): number {
    const v = this.tryVersion(apiKey);
    if (v !== undefined) return v;
    const name = this.lookup(apiKey)?.name ?? `api ${apiKey}`;
    const theirs = this.brokerVersions.get(apiKey);
    const ours = this.clientRange(apiKey);
    throw new KafkaUnsupportedVersionError(
      `broker ${this.address} ${theirs ? `supports ${name} v${theirs[0]}-${theirs[1]}` : `does not support ${name}`}` +
        (ours ? `; this client speaks v${ours[0]}-${ours[1]}` : ''),
    );
  }

  /**
   * Sends one request and resolves with the decoded response body. Requests beyond the in-flight window
   * wait their turn. With expectResponse false the promise resolves (with undefined) once the bytes are
   * handed to the transport.
   */
  send<K extends Key>(apiKey: K, body: RequestInputTypes[K], options: SendOptions & { expectResponse: false }): Promise<undefined>;
  send<K extends Key>(apiKey: K, body: RequestInputTypes[K], options?: SendOptions): Promise<ResponseTypes[K]>;
  send<K extends Key>(apiKey: K, body: RequestInputTypes[K], options: SendOptions = {}): Promise<ResponseTypes[K] | undefined> {
    if (this.closedError) return Promise.reject(this.closedError);
    const api = this.lookup(apiKey);
    if (!api) return Promise.reject(new KafkaUnsupportedVersionError(`api key ${apiKey} is not one this client speaks`));
    let version: number;
    try {
      version = options.version ?? this.version(apiKey);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.request(api, version, body, options) as Promise<ResponseTypes[K] | undefined>;
  }

  /** Sends `body` as `api` at `version` now, or queues it behind the in-flight window. */
  private request(api: ApiDescriptor, version: number, body: unknown, options: SendOptions): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const run = () => this.dispatch(api, version, body, options, resolve, reject);
      if (this.inFlight < this.maxInFlight && this.queue.length === 0) run();
      else if (this.queue.length >= this.maxQueued) reject(new KafkaConnectionError(`request queue full (${this.maxQueued} waiting)`, this.address));
      else this.queue.push({ run, reject });
      invariant(this.queue.length <= this.maxQueued, 'request queue within maxQueued');
    });
  }

  private dispatch(api: ApiDescriptor, version: number, body: unknown, options: SendOptions, resolve: (b: unknown) => void, reject: (e: Error) => void): void {
    const transport = this.transport;
    if (!transport || this.closedError || !transport.writable) {
      reject(this.closedError ?? new KafkaConnectionError('not connected', this.address));
      return;
    }
    const correlationId = this.correlationId;
    this.correlationId = (this.correlationId + 1) & 0x7fffffff;
    let frame: Uint8Array;
    try {
      frame = encodeRequestFrameFor(api, version, correlationId, this.clientId, body, this.encodeOptions);
    } catch (e) {
      reject(e as Error);
      this.pump();
      return;
    }
    if (options.expectResponse === false) {
      transport.write(frame, (err) => (err ? reject(new KafkaConnectionError(`write failed: ${err.message}`, this.address, { cause: err })) : resolve(undefined)));
      return;
    }
    this.track(correlationId, { api, version, resolve, reject, timer: null }, options.timeoutMs ?? this.requestTimeoutMs);
    transport.write(frame);
  }

  /** Registers `p` as in flight under `correlationId`, with its timeout. */
  private track(correlationId: number, p: Pending, timeoutMs: number): void {
    invariant(!this.pending.has(correlationId), 'a correlation id is in flight at most once');
    invariant(this.inFlight < this.maxInFlight, 'in-flight requests within maxInFlight');
    if (timeoutMs > 0 && Number.isFinite(timeoutMs)) p.timer = setTimeout(() => this.expire(correlationId, p, timeoutMs), timeoutMs);
    this.pending.set(correlationId, p);
    this.inFlight++;
    invariant(this.inFlight === this.pending.size, 'in-flight count equals the pending requests');
  }

  /** The caller stops waiting for `correlationId`; its late response, if any, is dropped. */
  private expire(correlationId: number, p: Pending, timeoutMs: number): void {
    if (!this.pending.delete(correlationId)) return;
    this.abandoned.add(correlationId);
    this.inFlight--;
    p.reject(new KafkaTimeoutError(`${p.api.name} v${p.version} to ${this.address}: no response within ${timeoutMs} ms`));
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) this.queue.shift()!.run();
  }

  private receive(frame: Uint8Array): void {
    if (this.closedError) return;
    invariant(frame.length >= 4, 'transports deliver frames holding a correlation id');
    const correlationId = int32At(frame, 0);
    const p = this.pending.get(correlationId);
    if (!p) {
      if (!this.abandoned.delete(correlationId)) this.protocolFailure(`response with unknown correlation id ${correlationId}`);
      return;
    }
    this.pending.delete(correlationId);
    if (p.timer) clearTimeout(p.timer);
    this.inFlight--;
    invariant(this.inFlight === this.pending.size, 'in-flight count equals the pending requests');
    this.settle(p, frame);
    this.pump();
  }

  /** Decodes the response to `p` and resolves it (or rejects it when the bytes do not decode). */
  private settle(p: Pending, frame: Uint8Array): void {
    try {
      // A broker that does not know our ApiVersions version answers in v0 (error 35 + its ranges),
      // whatever version we sent; the error code is the first field in every version.
      const v0 = p.api.apiKey === ApiKey.ApiVersions && frame.length >= 6 && int16At(frame, 4) === UNSUPPORTED_VERSION;
      p.resolve(decodeResponseFrameFor(p.api, v0 ? 0 : p.version, frame).body);
    } catch (e) {
      p.reject(new KafkaConnectionError(`cannot decode ${p.api.name} v${p.version} response: ${(e as Error).message}`, this.address, { cause: e }));
    }
  }

  private protocolFailure(why: string): void {
    if (this.closedError) return;
    this.fail(new KafkaConnectionError(why, this.address));
    this.transport?.close(why);
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
    for (const l of this.closeListeners.splice(0)) l(err);
  }

  /** Called once when the connection closes or fails. */
  onClose(listener: (err: Error) => void): void {
    if (this.closedError) listener(this.closedError);
    else this.closeListeners.push(listener);
  }

  /** Closes the transport; pending requests reject with `reason` (default: a KafkaConnectionError). */
  close(reason?: Error): void {
    this.fail(reason ?? new KafkaConnectionError('connection closed by client', this.address));
    this.transport?.close();
  }
}

const int32At = (b: Uint8Array, at: number): number => (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
const int16At = (b: Uint8Array, at: number): number => (((b[at]! << 8) | b[at + 1]!) << 16) >> 16;
