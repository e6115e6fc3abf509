// Request dispatch: frame → request header (right header version) → body (generated codec) → handler →
// response header + body encoded into one size-prefixed buffer (protocol/frame.ts). Knows APIs only through the registry and
// the generated descriptors; never touches sockets.

import { headerVersions, ApiKey } from '../../protocol/generated/api.js';
import { decodeRequestHeader } from '../../protocol/generated/request-header.js';
import { ApiVersionsApi } from '../../protocol/generated/api-versions.js';
import { encodeResponseFrameFor } from '../../protocol/api-frame.js';
import { Reader } from '../../protocol/wire/reader.js';
import type { ConnectionInfo, DispatchResult, RequestDispatcher } from '../network/types.js';
import type { BrokerContext, RequestContext } from './context.js';
import type { BrokerMetrics } from '../metrics/broker-metrics.js';
import { ProtocolError } from './errors.js';
import { NO_RESPONSE, type HandlerRegistry, type RegisteredApi } from './registry.js';
import { unsupportedVersionResponse } from './handlers/api-versions.js';
import { SplicedResponse, encodeSplicedResponseFrame } from './spliced-response.js';

/** Smallest request: api key (2) + api version (2) + correlation id (4). */
const MIN_REQUEST_BYTES = 8;

export class KafkaDispatcher implements RequestDispatcher {
  private readonly registry: HandlerRegistry;

  constructor(private readonly broker: BrokerContext) {
    this.registry = broker.handlers;
  }

  dispatch(frame: Uint8Array, conn: ConnectionInfo): DispatchResult | Promise<DispatchResult> {
    const gate = conn.security.gate;
    // A SASL token sent after a v0 SaslHandshake has no request header: the gate takes it as it is.
    if (gate !== undefined) {
      const apiKey = frame.length >= 4 ? (frame[0]! << 24) >> 16 | frame[1]! : -1;
      const apiVersion = frame.length >= 4 ? (frame[2]! << 24) >> 16 | frame[3]! : -1;
      const served = gate.intercept(frame, apiKey, apiVersion, conn);
      if (served !== undefined) return served;
    }
    if (frame.length < MIN_REQUEST_BYTES) throw new ProtocolError(`request of ${frame.length} bytes is shorter than a request header`);
    const apiKey = (frame[0]! << 24) >> 16 | frame[1]!;
    const apiVersion = (frame[2]! << 24) >> 16 | frame[3]!;
    const correlationId = (frame[4]! << 24) | (frame[5]! << 16) | (frame[6]! << 8) | frame[7]!;

    const reg = this.registry.get(apiKey);
    if (reg === undefined) {
      conn.clientId = peekClientId(frame) ?? conn.clientId;
      throw new ProtocolError(`unknown or unsupported API key ${apiKey} (version ${apiVersion}, correlation id ${correlationId})`);
    }
    if (apiVersion < reg.minVersion || apiVersion > reg.maxVersion) {
      conn.clientId = peekClientId(frame) ?? conn.clientId;
      if (apiKey === ApiKey.ApiVersions) {
        // A client newer than us: answer in v0 with UNSUPPORTED_VERSION and our ranges so it retries lower.
        if (this.broker.log.enabled('debug'))
          this.broker.log.debug(`${conn.describe()}: ApiVersions v${apiVersion} unsupported, answering v0 with error 35`);
        return encodeResponseFrameFor(ApiVersionsApi, 0, correlationId, unsupportedVersionResponse(this.registry));
      }
      throw new ProtocolError(
        `unsupported ${reg.api.name} version ${apiVersion} (supported ${reg.minVersion}-${reg.maxVersion}, correlation id ${correlationId})`,
      );
    }

    const hv = headerVersions(apiKey, apiVersion)!;
    const r = new Reader(frame);
    let request: unknown;
    let clientId: string | null;
    try {
      clientId = decodeRequestHeader(r, hv.request).clientId;
      conn.clientId = clientId;
      request = reg.api.decodeRequest(r, apiVersion);
    } catch (e) {
      conn.clientId = peekClientId(frame) ?? conn.clientId;
      throw new ProtocolError(`malformed ${reg.api.name} v${apiVersion} request (correlation id ${correlationId}): ${(e as Error).message}`);
    }

    const ctx: RequestContext = { apiKey, apiVersion, correlationId, clientId, connection: conn, broker: this.broker };
    if (this.broker.requestAuthorization !== undefined || this.broker.quotas !== undefined) return this.dispatchSecured(reg, request, ctx, frame.length);
    const metrics = this.broker.metrics;
    if (metrics !== undefined) return this.dispatchMeasured(reg, request, ctx, metrics);
    const result = reg.handler.handle(request as never, ctx);
    if (isPromiseLike(result)) return Promise.resolve(result).then((res) => respond(reg, apiVersion, correlationId, res));
    return respond(reg, apiVersion, correlationId, result);
  }

  /**
   * dispatch() with an authorizer or client quotas: the request is authorized per resource before its
   * handler runs (denied parts answered with Kafka's errors), and recorded against its quotas after (the
   * throttle time goes in the response, and the connection is muted for it).
   */
  private dispatchSecured(reg: RegisteredApi, request: unknown, ctx: RequestContext, requestBytes: number): DispatchResult | Promise<DispatchResult> {
    const { apiKey, apiVersion, correlationId } = ctx;
    const outcome = this.broker.requestAuthorization?.check(apiKey, request, ctx);
    const metrics = this.broker.metrics;
    const start = metrics?.requestStart(apiKey, reg.api.name);
    // The handler's own time (what request_percentage measures, like Kafka's request thread time): its
    // synchronous part; the time a handler's promise waits (acks, a long-poll) uses no thread.
    let handlerNanos = 0;
    const finish = (res: unknown, handled: boolean): DispatchResult => {
      let out = res;
      if (handled && outcome !== undefined && 'complete' in outcome) out = outcome.complete(res);
      const quotas = this.broker.quotas;
      if (quotas !== undefined) {
        // A request with no response (acks=0 Produce) is recorded too: its connection is muted, nothing carries the time.
        const body = out === NO_RESPONSE ? undefined : out instanceof SplicedResponse ? out.body : out;
        const throttleMs = quotas.record(ctx, requestBytes, body, handlerNanos, request);
        if (throttleMs > 0) {
          if (body !== undefined) setThrottleTime(body, throttleMs);
          // The response is queued before the mute takes effect, and muting stops only reads: it leaves at once (KIP-219).
          ctx.connection.muteFor(throttleMs);
        }
      }
      const frameOut = respond(reg, apiVersion, correlationId, out);
      if (start !== undefined) metrics!.requestDone(apiKey, start);
      return frameOut;
    };
    if (outcome !== undefined && 'response' in outcome) return finish(outcome.response, false);
    let result: unknown;
    const t0 = process.hrtime.bigint();
    try {
      result = reg.handler.handle((outcome === undefined ? request : outcome.request) as never, ctx);
    } catch (e) {
      if (start !== undefined) metrics!.requestDone(apiKey, start);
      throw e;
    }
    handlerNanos = Number(process.hrtime.bigint() - t0);
    if (isPromiseLike(result))
      return Promise.resolve(result).then(
        (res) => finish(res, true),
        (e: unknown) => {
          if (start !== undefined) metrics!.requestDone(apiKey, start);
          throw e;
        },
      );
    return finish(result, true);
  }

  /** dispatch() with RequestsPerSec / TotalTimeMs (host-node/metrics): decoded request → response encoded. */
  private dispatchMeasured(reg: RegisteredApi, request: unknown, ctx: RequestContext, metrics: BrokerMetrics): DispatchResult | Promise<DispatchResult> {
    const { apiKey, apiVersion, correlationId } = ctx;
    const start = metrics.requestStart(apiKey, reg.api.name);
    let result: unknown;
    try {
      result = reg.handler.handle(request as never, ctx);
    } catch (e) {
      metrics.requestDone(apiKey, start);
      throw e;
    }
    if (isPromiseLike(result))
      return Promise.resolve(result).then(
        (res) => {
          const out = respond(reg, apiVersion, correlationId, res);
          metrics.requestDone(apiKey, start);
          return out;
        },
        (e: unknown) => {
          metrics.requestDone(apiKey, start);
          throw e;
        },
      );
    const out = respond(reg, apiVersion, correlationId, result);
    metrics.requestDone(apiKey, start);
    return out;
  }
}

function respond(reg: RegisteredApi, version: number, correlationId: number, res: unknown): DispatchResult {
  if (res === NO_RESPONSE) return null;
  if (res instanceof SplicedResponse) return encodeSplicedResponseFrame(reg.api, version, correlationId, res);
  return encodeResponseFrameFor(reg.api, version, correlationId, res);
}

/** Puts a throttle time in a response body that has the field (Kafka keeps the larger of the two). */
function setThrottleTime(body: unknown, ms: number): void {
  if (typeof body !== 'object' || body === null) return;
  const b = body as { throttleTimeMs?: number };
  b.throttleTimeMs = Math.max(b.throttleTimeMs ?? 0, Math.min(Math.ceil(ms), 2 ** 31 - 1));
}

function isPromiseLike(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

/** Best-effort client id from a v1/v2 request header (for log lines about requests we refuse). */
function peekClientId(frame: Uint8Array): string | null {
  if (frame.length < 10) return null;
  const len = ((frame[8]! << 24) >> 16) | frame[9]!;
  if (len < 0 || 10 + len > frame.length) return null;
  const s = Buffer.from(frame.buffer, frame.byteOffset + 10, len).toString('utf8');
  // Keep logs readable: only printable ASCII-ish ids.
  return /^[\x20-\x7e]{0,256}$/.test(s) ? s : null;
}
