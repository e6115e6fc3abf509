// A Kafka connection over one WebSocket, for code that runs in a browser Worker (no Node APIs): the
// client connection core (client/connection.ts: correlation ids, in-flight window, ApiVersions
// negotiation, timeouts) over the broker's WebSocket listener (docs/network.md), which takes one request
// frame per binary message, size prefix included, and answers with one frame per message. Reconnecting
// with backoff is `BrokerLink` (broker-link.ts): a connection object is single-use, like a socket.
//
// The WebSocket constructor is injected so the same code runs under Node tests with the `ws` package.
//
// Security: a wss:// URL is TLS (the browser checks the broker's certificate like any https page), and
// `sasl` authenticates the connection right after ApiVersions with PLAIN or SCRAM-SHA-256/512
// (client/sasl.ts, on WebCrypto), as a Kafka client does on a SASL listener (ws.security.protocol
// SASL_PLAINTEXT / SASL_SSL). PLAIN sends the password as it is: use it with wss:// only.
//
// Only the codecs of the APIs the sync code sends are imported (SYNC_APIS); the core frames by descriptor
// (protocol/api-frame.ts): frame.ts and generated/index.ts would pull in all 88 APIs' codecs (about 1 MB of
// the bundle). Values come from generated/api.ts (keys and facts, no codecs) and each API's own module.
import { ApiKey, type ApiDescriptor } from '../../protocol/generated/api.js';
import { ApiVersionsApi } from '../../protocol/generated/api-versions.js';
import { CreateTopicsApi } from '../../protocol/generated/create-topics.js';
import { FetchApi } from '../../protocol/generated/fetch.js';
import { InitProducerIdApi } from '../../protocol/generated/init-producer-id.js';
import { ListOffsetsApi } from '../../protocol/generated/list-offsets.js';
import { MetadataApi } from '../../protocol/generated/metadata.js';
import { OffsetCommitApi } from '../../protocol/generated/offset-commit.js';
import { OffsetFetchApi } from '../../protocol/generated/offset-fetch.js';
import { ProduceApi } from '../../protocol/generated/produce.js';
import { SaslAuthenticateApi } from '../../protocol/generated/sasl-authenticate.js';
import { SaslHandshakeApi } from '../../protocol/generated/sasl-handshake.js';
import { saslAuthenticate, type SaslCredentials } from '../../client/sasl.js';
import { KafkaConnectionError } from '../../client/errors.js';
import { ClientConnection, type Transport, type TransportEvents } from '../../client/connection.js';
import type { VersionRange } from '../../client/version-limits.js';

/** What we need of a WebSocket: the standard browser API (which the `ws` package also implements). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (ev: any) => void): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

const OPEN = 1;
export const CLIENT_SOFTWARE_NAME = 'rivulet-browser';
export const CLIENT_SOFTWARE_VERSION = '0.1.0';

export type { VersionRange };

/** The APIs the sync code speaks, by key: only these codecs are in the bundle. */
const SYNC_APIS = {
  [ApiKey.ApiVersions]: ApiVersionsApi,
  [ApiKey.Metadata]: MetadataApi,
  [ApiKey.CreateTopics]: CreateTopicsApi,
  [ApiKey.InitProducerId]: InitProducerIdApi,
  [ApiKey.Produce]: ProduceApi,
  [ApiKey.Fetch]: FetchApi,
  [ApiKey.ListOffsets]: ListOffsetsApi,
  [ApiKey.OffsetFetch]: OffsetFetchApi,
  [ApiKey.OffsetCommit]: OffsetCommitApi,
  [ApiKey.SaslHandshake]: SaslHandshakeApi,
  [ApiKey.SaslAuthenticate]: SaslAuthenticateApi,
} as const;
export type SyncApiKey = keyof typeof SYNC_APIS;

function syncApi(apiKey: number): ApiDescriptor | undefined {
  return Object.prototype.hasOwnProperty.call(SYNC_APIS, apiKey) ? (SYNC_APIS as Record<number, ApiDescriptor>)[apiKey] : undefined;
}

/**
 * Where the sync's request bodies cover less than CLIENT_VERSION_LIMITS: its Fetch names topics (13+ wants
 * topic ids), its OffsetFetch and OffsetCommit are written for the single-group layout (OffsetFetch 8+
 * batches groups; OffsetCommit 9 is the consumer-group protocol's).
 */
const SYNC_NARROWER: Partial<Record<SyncApiKey, VersionRange>> = {
  [ApiKey.Fetch]: [0, 12],
  [ApiKey.OffsetFetch]: [0, 7],
  [ApiKey.OffsetCommit]: [0, 8],
};

export type { SaslCredentials };

export interface WsConnectionOptions {
  /** ws://host:port/ or wss://host:port/ (TLS: ws.security.protocol SSL or SASL_SSL). */
  url: string;
  WebSocket: WebSocketConstructor;
  clientId?: string;
  /** Time for the WebSocket handshake (default 10 s). */
  connectTimeoutMs?: number;
  /** Default time to wait for a response (default 30 s; Kafka's request.timeout.ms). */
  requestTimeoutMs?: number;
  /** Requests awaiting a response at most; more wait in a queue (default 5). */
  maxInFlight?: number;
  /** Authenticate with SASL after ApiVersions (a SASL_PLAINTEXT / SASL_SSL listener): mechanism, username, password. */
  sasl?: SaslCredentials;
}

export class WsConnection extends ClientConnection<SyncApiKey> {
  readonly url: string;
  /**
   * When the broker stops serving this connection's SASL session (Date.now() ms; KIP-368
   * connections.max.reauth.ms), or null when it does not end. BrokerLink replaces the connection before.
   */
  sessionExpiresAt: number | null = null;
  /** The SASL session lifetime the broker granted (0: none). */
  sessionLifetimeMs = 0;

  private constructor(o: WsConnectionOptions) {
    super({
      address: o.url,
      clientId: o.clientId ?? 'rivulet-browser',
      api: syncApi,
      requestTimeoutMs: o.requestTimeoutMs,
      maxInFlight: o.maxInFlight,
      versionLimits: SYNC_NARROWER,
    });
    this.url = o.url;
  }

  /** Opens the WebSocket, negotiates versions with ApiVersions and, with `sasl`, authenticates. */
  static async connect(o: WsConnectionOptions): Promise<WsConnection> {
    const c = new WsConnection(o);
    await c.start((events) => openWebSocket(o, o.connectTimeoutMs ?? 10_000, events), { name: CLIENT_SOFTWARE_NAME, version: CLIENT_SOFTWARE_VERSION });
    if (o.sasl) {
      try {
        const startedAt = Date.now();
        const lifetimeMs = await saslAuthenticate(c, o.url, o.sasl);
        // Counted from before the exchange: the broker's clock started no earlier than that.
        if (lifetimeMs > 0) {
          c.sessionLifetimeMs = lifetimeMs;
          c.sessionExpiresAt = startedAt + lifetimeMs;
        }
      } catch (e) {
        c.close();
        throw e;
      }
    }
    return c;
  }
}

/** Opens a WebSocket to `o.url`; resolves once open, rejects when the handshake fails or times out. */
function openWebSocket(o: WsConnectionOptions, timeoutMs: number, events: TransportEvents): Promise<WsTransport> {
  return new Promise((resolve, reject) => {
    let ws: WebSocketLike;
    try {
      ws = new o.WebSocket(o.url);
    } catch (e) {
      reject(new KafkaConnectionError(`cannot open WebSocket: ${(e as Error).message}`, o.url, { cause: e }));
      return;
    }
    ws.binaryType = 'arraybuffer';
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      try {
        ws.close();
      } catch {
        // closing a socket that never opened may throw in some implementations
      }
      reject(new KafkaConnectionError(`WebSocket handshake timed out after ${timeoutMs} ms`, o.url));
    }, timeoutMs);
    ws.addEventListener('open', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(new WsTransport(ws));
    });
    ws.addEventListener('message', (ev: { data: unknown }) => deliver(ev.data, events));
    // Browsers give no reason on 'error'; 'close' always follows it.
    ws.addEventListener('error', () => {});
    ws.addEventListener('close', (ev: { code?: number; reason?: string }) => {
      const why = `WebSocket closed (${ev.code ?? '?'}${ev.reason ? `: ${ev.reason}` : ''})`;
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(new KafkaConnectionError(`cannot connect: ${why}`, o.url));
        return;
      }
      events.closed(new KafkaConnectionError(why, o.url));
    });
  });
}

/** Hands on the frame in one WebSocket message (size prefix checked and cut), or reports why it is none. */
function deliver(data: unknown, events: TransportEvents): void {
  let msg: Uint8Array;
  if (data instanceof ArrayBuffer) msg = new Uint8Array(data);
  else if (ArrayBuffer.isView(data)) msg = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else return events.protocolError('text message from broker (expected one binary frame per message)');
  if (msg.length < 8) return events.protocolError(`response message of ${msg.length} bytes`);
  const size = new DataView(msg.buffer, msg.byteOffset, 4).getInt32(0);
  if (size !== msg.length - 4) return events.protocolError(`response size prefix ${size} disagrees with message length ${msg.length}`);
  events.frame(msg.subarray(4));
}

/** An open WebSocket as a Transport: one request frame per binary message. */
class WsTransport implements Transport {
  constructor(private readonly ws: WebSocketLike) {}

  get writable(): boolean {
    return this.ws.readyState === OPEN;
  }

  write(frame: Uint8Array, written?: (err?: Error) => void): void {
    this.ws.send(frame);
    written?.();
  }

  close(protocolError?: string): void {
    try {
      if (protocolError === undefined) this.ws.close(1000);
      else this.ws.close(1002, protocolError.slice(0, 120));
    } catch {
      // already closed
    }
  }
}
