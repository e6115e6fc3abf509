// The SASL gate of a SASL_PLAINTEXT / SASL_SSL connection: what every request passes before the dispatcher
// decodes it, as Kafka's SaslServerAuthenticator runs it.
//
//   before authentication  ApiVersions (served by the dispatcher), SaslHandshake v0-1, then SaslAuthenticate
//                          v0-2 until the mechanism completes. Any other request closes the connection.
//                          After a v0 SaslHandshake the tokens travel bare: size-prefixed, no Kafka header, and
//                          the server's tokens go back the same way.
//   a failure              (bad credentials, unknown mechanism) is answered with Kafka's error after
//                          connection.failed.authentication.delay.ms and the connection is closed; nothing
//                          else is served on it.
//   authenticated          everything passes (SaslHandshake / SaslAuthenticate reach their handlers, which
//                          answer ILLEGAL_SASL_STATE) — except, when the session has a lifetime
//                          (connections.max.reauth.ms > 0, KIP-368), a SaslHandshake starts a re-authentication
//                          with the same mechanism that must end with the same principal, and a request that
//                          arrives after the session expired closes the connection.
import { ErrorCode } from '../../protocol/errors.js';
import { encodeResponseFrameFor } from '../../protocol/api-frame.js';
import { ApiKey, apiMetaByKey, headerVersions } from '../../protocol/generated/api.js';
import { decodeRequestHeader } from '../../protocol/generated/request-header.js';
import { SaslAuthenticateApi, decodeSaslAuthenticateRequest, type SaslAuthenticateResponseInput } from '../../protocol/generated/sasl-authenticate.js';
import { SaslHandshakeApi, decodeSaslHandshakeRequest } from '../../protocol/generated/sasl-handshake.js';
import { Reader } from '../../protocol/wire/reader.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/types.js';
import type { ConnectionInfo, DispatchResult, RequestGate } from '../network/types.js';
import { principalToString, samePrincipal, type KafkaPrincipal } from '../security/principal.js';
import { SaslAuthenticationError, type SaslMechanismFactory, type SaslServer, type SaslStep } from '../security/sasl/mechanism.js';
import { SASL_MECHANISMS, configJaas, type SaslMechanismDeps } from '../security/sasl/registry.js';
import type { SecurityStore } from '../security/security-store.js';
import type { Logger } from '../util/log.js';
import { ProtocolError } from './errors.js';

/** One SASL listener's settings, shared by its connections' gates. */
export interface SaslListenerSettings {
  readonly listenerName: string;
  /** The enabled mechanisms this broker serves, in sasl.enabled.mechanisms order. */
  readonly mechanisms: ReadonlyMap<string, SaslMechanismFactory>;
  /** connections.max.reauth.ms (0: sessions do not expire). */
  readonly maxReauthMs: number;
  /** connection.failed.authentication.delay.ms */
  readonly failedAuthDelayMs: number;
  /** sasl.server.max.receive.size: the largest frame accepted until authenticated. */
  readonly maxReceiveBytes: number;
  readonly log: Logger;
}

/**
 * A SASL listener's settings from the broker config: its enabled mechanisms that Rivulet serves, each set up
 * for the listener. Throws a ConfigError (refusing the start-up) when none is servable or one cannot be set up.
 */
export function saslListenerSettings(config: BrokerConfig, securityStore: SecurityStore, listenerName: string, log: Logger): SaslListenerSettings {
  const enabled = config.saslEnabledMechanisms(listenerName);
  const deps: SaslMechanismDeps = { config, securityStore, jaas: configJaas(config) };
  const mechanisms = new Map<string, SaslMechanismFactory>();
  for (const m of enabled) {
    const build = SASL_MECHANISMS.get(m);
    if (build === undefined) continue;
    mechanisms.set(m, build(deps, listenerName));
  }
  if (mechanisms.size === 0)
    throw new ConfigError(
      'sasl.enabled.mechanisms',
      `Listener ${listenerName} is a SASL listener but none of its sasl.enabled.mechanisms (${enabled.join(',') || 'empty'}) can be served: ` +
        `enable one of ${[...SASL_MECHANISMS.keys()].join(', ')} (GSSAPI/Kerberos is not available) with sasl.enabled.mechanisms or listener.name.${listenerName.toLowerCase()}.sasl.enabled.mechanisms`,
    );
  const skipped = enabled.filter((m) => !mechanisms.has(m));
  if (skipped.length > 0) log.warn(`listener ${listenerName}: SASL mechanisms ${skipped.join(', ')} cannot be served and are not offered`);
  return {
    listenerName,
    mechanisms,
    maxReauthMs: config.get('connections.max.reauth.ms'),
    failedAuthDelayMs: config.get('connection.failed.authentication.delay.ms'),
    maxReceiveBytes: config.get('sasl.server.max.receive.size'),
    log,
  };
}

type Phase =
  /** Waiting for ApiVersions or SaslHandshake. */
  | 'handshake'
  /** After a v1 SaslHandshake: SaslAuthenticate requests until the mechanism completes. */
  | 'authenticate'
  /** After a v0 SaslHandshake: bare tokens. */
  | 'raw'
  /** A token is being evaluated (asynchronously): nothing else may arrive. */
  | 'evaluating'
  | 'authenticated'
  /** Failed or expired: nothing more is served; the connection closes once the answers already due are out. */
  | 'closed';

export class SaslGate implements RequestGate {
  private phase: Phase = 'handshake';
  private server: SaslServer | null = null;
  private mechanism: string | null = null;
  private reauthenticating = false;
  /** When the session expires (ms since the epoch), or null when it does not. */
  private sessionExpiresAt: number | null = null;

  constructor(private readonly s: SaslListenerSettings) {}

  intercept(frame: Uint8Array, apiKey: number, apiVersion: number, conn: ConnectionInfo): DispatchResult | Promise<DispatchResult> | undefined {
    switch (this.phase) {
      case 'closed':
        return null;
      case 'authenticated':
        if (apiKey === ApiKey.SaslHandshake && this.sessionExpiresAt !== null) {
          this.reauthenticating = true;
          return this.handshake(frame, apiVersion, conn);
        }
        if (this.sessionExpiresAt !== null && Date.now() >= this.sessionExpiresAt) {
          if (this.s.log.enabled('debug')) this.s.log.debug(`${conn.describe()}: SASL session expired (connections.max.reauth.ms), closing`);
          this.phase = 'closed';
          conn.closeAfterResponses();
          return null;
        }
        return undefined;
      default:
        break;
    }
    if (frame.length > this.s.maxReceiveBytes)
      throw new ProtocolError(`SASL request of ${frame.length} bytes exceeds sasl.server.max.receive.size ${this.s.maxReceiveBytes}`);
    switch (this.phase) {
      case 'raw':
        return this.rawToken(frame, conn);
      case 'handshake':
        if (apiKey === ApiKey.ApiVersions && !this.reauthenticating) return undefined;
        if (apiKey === ApiKey.SaslHandshake) return this.handshake(frame, apiVersion, conn);
        break;
      case 'authenticate':
        if (apiKey === ApiKey.SaslAuthenticate) return this.authenticate(frame, apiVersion, conn);
        break;
      default:
        break;
    }
    throw new ProtocolError(`Unexpected Kafka request of type ${apiMetaByKey(apiKey)?.name ?? apiKey} during SASL ${this.reauthenticating ? 're-authentication' : 'handshake'}.`);
  }

  private handshake(frame: Uint8Array, version: number, conn: ConnectionInfo): DispatchResult | Promise<DispatchResult> {
    const { correlationId, body } = decode(frame, ApiKey.SaslHandshake, version, conn, decodeSaslHandshakeRequest);
    const offered = [...this.s.mechanisms.keys()];
    const respond = (errorCode: number): Uint8Array => encodeResponseFrameFor(SaslHandshakeApi, version, correlationId, { errorCode, mechanisms: offered });
    const factory = this.s.mechanisms.get(body.mechanism);
    if (factory === undefined || (this.reauthenticating && body.mechanism !== this.mechanism)) {
      const why = factory === undefined ? `unsupported SASL mechanism ${JSON.stringify(body.mechanism)}` : `SASL mechanism changed during re-authentication from ${this.mechanism} to ${body.mechanism}`;
      return this.fail(conn, respond(ErrorCode.UNSUPPORTED_SASL_MECHANISM), why);
    }
    // Re-authentication goes through SaslAuthenticate only (a v0 client cannot re-authenticate).
    if (this.reauthenticating && version === 0) return this.fail(conn, respond(ErrorCode.ILLEGAL_SASL_STATE), 'SaslHandshake v0 during re-authentication');
    this.server = factory.create({ listenerName: this.s.listenerName, remoteAddress: conn.remoteAddress });
    this.mechanism = body.mechanism;
    this.phase = version === 0 ? 'raw' : 'authenticate';
    return respond(ErrorCode.NONE);
  }

  private authenticate(frame: Uint8Array, version: number, conn: ConnectionInfo): DispatchResult | Promise<DispatchResult> {
    const { correlationId, body } = decode(frame, ApiKey.SaslAuthenticate, version, conn, decodeSaslAuthenticateRequest);
    const respond = (r: SaslAuthenticateResponseInput): Uint8Array => encodeResponseFrameFor(SaslAuthenticateApi, version, correlationId, r);
    return this.evaluate(
      Buffer.from(body.authBytes),
      conn,
      (step, lifetimeMs) => respond({ errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.response, sessionLifetimeMs: BigInt(lifetimeMs) }),
      (message) => respond({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: message, authBytes: new Uint8Array(0) }),
    );
  }

  /** A bare token (after a v0 SaslHandshake): answered with a bare token, or the connection closed on failure. */
  private rawToken(frame: Uint8Array, conn: ConnectionInfo): DispatchResult | Promise<DispatchResult> {
    return this.evaluate(Buffer.from(frame), conn, (step) => sizePrefixed(step.response), () => null);
  }

  /** Runs one token through the mechanism; `ok` / `failed` build the answer (`failed` is sent after the delay). */
  private evaluate(
    token: Buffer,
    conn: ConnectionInfo,
    ok: (step: SaslStep, lifetimeMs: number) => DispatchResult,
    failed: (message: string) => DispatchResult,
  ): DispatchResult | Promise<DispatchResult> {
    const server = this.server!;
    const resumeAt = this.phase;
    this.phase = 'evaluating';
    const onStep = (step: SaslStep): DispatchResult | Promise<DispatchResult> => {
      if (!step.complete) {
        this.phase = resumeAt;
        return ok(step, 0);
      }
      const principal = step.principal;
      if (principal === undefined) throw new Error(`SASL mechanism ${server.mechanism} completed without a principal`);
      const previous = conn.security.principal;
      if (this.reauthenticating && !samePrincipal(previous, principal))
        return this.fail(conn, failed(`Cannot change principals during re-authentication from ${principalToString(previous)}: ${principalToString(principal)}`), 'principal changed');
      const lifetimeMs = this.startSession(principal, server.mechanism, step.credentialExpiresAtMs, conn);
      return ok(step, lifetimeMs);
    };
    const onError = (e: unknown): DispatchResult | Promise<DispatchResult> => {
      if (!(e instanceof SaslAuthenticationError)) throw e;
      return this.fail(conn, failed(e.message), e.message);
    };
    let step: SaslStep | Promise<SaslStep>;
    try {
      step = server.evaluate(token);
    } catch (e) {
      return onError(e);
    }
    return step instanceof Promise ? step.then(onStep, onError) : onStep(step);
  }

  /** Marks the connection authenticated; returns the session lifetime told to the client (0: unlimited). */
  private startSession(principal: KafkaPrincipal, mechanism: string, credentialExpiresAtMs: number | undefined, conn: ConnectionInfo): number {
    const now = Date.now();
    let lifetimeMs = this.s.maxReauthMs > 0 ? this.s.maxReauthMs : null;
    if (credentialExpiresAtMs !== undefined) lifetimeMs = Math.max(0, Math.min(lifetimeMs ?? Infinity, credentialExpiresAtMs - now));
    this.sessionExpiresAt = lifetimeMs === null ? null : now + lifetimeMs;
    conn.security.principal = principal;
    conn.security.saslMechanism = mechanism;
    this.phase = 'authenticated';
    this.server = null;
    if (this.s.log.enabled('debug'))
      this.s.log.debug(`${conn.describe()}: ${this.reauthenticating ? 're-authenticated' : 'authenticated'} as ${principalToString(principal)} with SASL/${mechanism} on ${this.s.listenerName}`);
    this.reauthenticating = false;
    return lifetimeMs ?? 0;
  }

  /** A failed exchange: nothing more is served; `answer` goes out after the delay, then the connection closes. */
  private fail(conn: ConnectionInfo, answer: DispatchResult, why: string): DispatchResult | Promise<DispatchResult> {
    this.phase = 'closed';
    this.server = null;
    this.s.log.info(`Failed authentication with ${conn.remoteAddress} on ${this.s.listenerName} (${why})`);
    conn.closeAfterResponses();
    const delay = this.s.failedAuthDelayMs;
    if (delay <= 0) return answer;
    return new Promise((resolve) => setTimeout(() => resolve(answer), delay));
  }
}

/** The gate factory of one SASL listener (ListenerOptions.gateFor). */
export function saslGateFor(settings: SaslListenerSettings): (conn: ConnectionInfo) => RequestGate {
  return () => new SaslGate(settings);
}

/** Decodes a SASL request's header and body; a malformed one is a protocol error (the connection closes). */
function decode<T>(frame: Uint8Array, apiKey: number, version: number, conn: ConnectionInfo, body: (r: Reader, v: number) => T): { correlationId: number; body: T } {
  const hv = headerVersions(apiKey, version);
  const name = apiMetaByKey(apiKey)!.name;
  if (hv === undefined) throw new ProtocolError(`unsupported ${name} version ${version}`);
  try {
    const r = new Reader(frame);
    const header = decodeRequestHeader(r, hv.request);
    conn.clientId = header.clientId;
    return { correlationId: header.correlationId, body: body(r, version) };
  } catch (e) {
    throw new ProtocolError(`malformed ${name} v${version} request: ${(e as Error).message}`);
  }
}

function sizePrefixed(token: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(4 + token.length);
  out.writeInt32BE(token.length, 0);
  out.set(token, 4);
  return out;
}
