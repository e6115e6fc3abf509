// The contract between the network layer and whatever serves requests. The network layer deals in frames
// (bytes); it never knows an API's fields. The server side never touches sockets.

/**
 * The bytes of one response, **including** the 4-byte size prefix: one buffer, or several chunks written in
 * order (e.g. a header buffer followed by file-backed record bytes), all sent with one gathered write.
 */
export type ResponseFrame = Uint8Array | ChunkedFrame;

/**
 * A response in chunks. `onWritten`, when set, is called once the socket has handed every chunk to the
 * kernel (or failed), so their buffers can be reused (Fetch response buffers are pooled this way).
 */
export interface ChunkedFrame extends ReadonlyArray<Uint8Array> {
  onWritten?: () => void;
}

/** What a dispatch produced: a response to send in request order, or `null` for "no response" (acks=0 Produce). */
export type DispatchResult = ResponseFrame | null;

import type { KafkaPrincipal } from '../security/principal.js';
import type { SecurityProtocol } from '../config/ssl-defs.js';

/**
 * A connection's security state: the listener's protocol, who the peer is, and (SASL listeners) the
 * authentication the gate runs before anything else is served. Filled by the listener at accept and by the
 * gate as the client authenticates.
 */
export interface ConnectionSecurity {
  readonly securityProtocol: SecurityProtocol;
  /** User:ANONYMOUS until authenticated (or the certificate's principal on SSL with a client certificate). */
  principal: KafkaPrincipal;
  /** The SASL mechanism the client authenticated with, once it has. */
  saslMechanism: string | null;
  /** The verified client certificate's subject DN (SSL/SASL_SSL with a client certificate), RFC 2253 form. */
  peerCertificateSubject: string | null;
  /**
   * SASL listeners: what every request passes before it is dispatched (authentication first, then
   * re-authentication). Undefined on PLAINTEXT and SSL listeners.
   */
  gate: RequestGate | undefined;
}

/**
 * Runs before the dispatcher decodes a request. Returns undefined to let the request through, or serves it
 * itself (a SASL exchange step, answered in the client's framing); throwing closes the connection.
 */
export interface RequestGate {
  intercept(frame: Uint8Array, apiKey: number, apiVersion: number, conn: ConnectionInfo): DispatchResult | Promise<DispatchResult> | undefined;
}

/** What the dispatcher may know and record about the connection a request arrived on. */
export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly listenerName: string;
  /** Last client id seen in a request header (for logs). */
  clientId: string | null;
  /** From ApiVersions v3+. */
  clientSoftwareName: string | null;
  clientSoftwareVersion: string | null;
  /** "client id / software / address" for log lines. */
  describe(): string;
  readonly security: ConnectionSecurity;
  /** Stop reading requests for `ms` (a quota's throttle); responses still go out. */
  muteFor(ms: number): void;
  /** Close once the responses of the requests already received have been written (a failed authentication). */
  closeAfterResponses(): void;
}

export interface RequestDispatcher {
  /**
   * Serves one complete request frame (without its size prefix). `frame` is a view that stays valid until the
   * returned value/promise settles — copy anything that must outlive it. Throwing (or rejecting) closes the
   * connection: use it for malformed requests, unknown APIs and unsupported versions.
   */
  dispatch(frame: Uint8Array, conn: ConnectionInfo): DispatchResult | Promise<DispatchResult>;
}

export interface ConnectionLimits {
  /** socket.request.max.bytes: the largest request frame accepted (checked on the size prefix, before allocating). */
  maxRequestBytes: number;
  /** queued.max.requests: requests pending on one connection before reading pauses. */
  maxQueuedRequests: number;
  /** connections.max.idle.ms: close after this long with no traffic and nothing pending (negative: never). */
  idleTimeoutMs: number;
}
