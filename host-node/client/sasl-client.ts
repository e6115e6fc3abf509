// The client side of SASL over Kafka's protocol: SaslHandshake v1 names the mechanism, then SaslAuthenticate
// carries its tokens (KIP-152). Mechanisms: PLAIN (RFC 4616) and SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802,
// RFC 7677, with Kafka's minimum of 4096 iterations); the server's signature is verified before the
// connection is used. A session lifetime from the broker (KIP-368) is honoured by authenticating again
// before it ends, through the same request queue as every other request.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { KafkaClientError, KafkaProtocolError } from '../../client/errors.js';
import type { ClientConnection } from '../../client/connection.js';
import { SCRAM_MIN_ITERATIONS, hash, hmac, saltedPassword } from '../security/scram.js';
import type { ScramMechanism } from '../security/security-store.js';

export type SaslMechanismName = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SASL_CLIENT_MECHANISMS: readonly SaslMechanismName[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

export interface SaslClientOptions {
  mechanism: SaslMechanismName;
  username: string;
  password: string;
  /** PLAIN's authorization identity (empty: the username). */
  authorizationId?: string;
}

/** A failed SASL exchange on the client side (the server's proof did not verify, a malformed message). */
export class KafkaAuthenticationError extends KafkaClientError {
  constructor(message: string) {
    super(message, false);
    this.name = 'KafkaAuthenticationError';
  }
}

/** One mechanism's client: the first token, then a response to each server token until done. */
interface SaslClientExchange {
  first(): Uint8Array;
  /** The next token to send, or null when the exchange is complete (after checking the server's last token). */
  next(serverToken: Uint8Array): Uint8Array | null;
}

function plainClient(o: SaslClientOptions): SaslClientExchange {
  return {
    first: () => Buffer.from(`${o.authorizationId ?? ''}\0${o.username}\0${o.password}`, 'utf8'),
    next: () => null,
  };
}

/** RFC 5802's saslname: '=' and ',' escaped. */
function saslName(s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** `k=v,k=v` attributes of a SCRAM message (a value may hold '='). */
function scramAttributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) throw new KafkaAuthenticationError(`Invalid SCRAM server message: ${message}`);
    out.set(part[0]!, part.slice(2));
  }
  return out;
}

function xor(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** The SCRAM client (RFC 5802 §3): client-first, client-final with the proof, then the server signature checked. */
export function scramClient(mechanism: ScramMechanism, o: Pick<SaslClientOptions, 'username' | 'password'>, clientNonce = randomBytes(24).toString('base64url')): SaslClientExchange {
  const gs2Header = 'n,,';
  const clientFirstBare = `n=${saslName(o.username)},r=${clientNonce}`;
  let expectedServerSignature: Buffer | null = null;
  return {
    first: () => Buffer.from(gs2Header + clientFirstBare, 'utf8'),
    next(serverToken) {
      const message = Buffer.from(serverToken).toString('utf8');
      if (expectedServerSignature === null) {
        const a = scramAttributes(message);
        if (a.has('e')) throw new KafkaAuthenticationError(`SCRAM authentication failed: ${a.get('e')}`);
        const nonce = a.get('r');
        const salt = a.get('s');
        const iterations = Number(a.get('i'));
        if (nonce === undefined || !nonce.startsWith(clientNonce) || nonce.length === clientNonce.length)
          throw new KafkaAuthenticationError('Invalid SCRAM server nonce: it does not extend the client nonce');
        if (salt === undefined || !Number.isInteger(iterations)) throw new KafkaAuthenticationError(`Invalid SCRAM server first message: ${message}`);
        if (iterations < SCRAM_MIN_ITERATIONS) throw new KafkaAuthenticationError(`Requested iterations ${iterations} is less than the minimum ${SCRAM_MIN_ITERATIONS} for ${mechanism}`);
        const salted = saltedPassword(mechanism, o.password, Buffer.from(salt, 'base64'), iterations);
        const clientFinalWithoutProof = `c=${Buffer.from(gs2Header).toString('base64')},r=${nonce}`;
        const authMessage = `${clientFirstBare},${message},${clientFinalWithoutProof}`;
        const clientKey = hmac(mechanism, salted, 'Client Key');
        const clientSignature = hmac(mechanism, hash(mechanism, clientKey), authMessage);
        expectedServerSignature = hmac(mechanism, hmac(mechanism, salted, 'Server Key'), authMessage);
        return Buffer.from(`${clientFinalWithoutProof},p=${xor(clientKey, clientSignature).toString('base64')}`, 'utf8');
      }
      const a = scramAttributes(message);
      if (a.has('e')) throw new KafkaAuthenticationError(`SCRAM authentication failed: ${a.get('e')}`);
      const v = Buffer.from(a.get('v') ?? '', 'base64');
      if (v.length !== expectedServerSignature.length || !timingSafeEqual(v, expectedServerSignature))
        throw new KafkaAuthenticationError('Invalid server signature in SCRAM server final message');
      return null;
    },
  };
}

function exchangeFor(o: SaslClientOptions): SaslClientExchange {
  switch (o.mechanism) {
    case 'PLAIN':
      return plainClient(o);
    case 'SCRAM-SHA-256':
    case 'SCRAM-SHA-512':
      return scramClient(o.mechanism, o);
    default:
      throw new KafkaClientError(`Unsupported SASL mechanism ${String((o as { mechanism: unknown }).mechanism)} (one of ${SASL_CLIENT_MECHANISMS.join(', ')})`);
  }
}

/** Bound on the tokens of one exchange (SCRAM needs two round trips). */
const MAX_ROUND_TRIPS = 8;

/**
 * Authenticates `conn` with `o`: SaslHandshake v1, then SaslAuthenticate until the mechanism is done.
 * Resolves with the session lifetime the broker gave (0: none). Throws KafkaProtocolError with the
 * broker's error (UNSUPPORTED_SASL_MECHANISM, SASL_AUTHENTICATION_FAILED) or KafkaAuthenticationError.
 */
export async function authenticateSasl(conn: ClientConnection<ApiKey>, o: SaslClientOptions): Promise<number> {
  const exchange = exchangeFor(o);
  const hs = await conn.send(ApiKey.SaslHandshake, { mechanism: o.mechanism }, { version: 1 });
  if (hs.errorCode !== ErrorCode.NONE)
    throw new KafkaProtocolError(hs.errorCode, `SASL mechanism ${o.mechanism}`, hs.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM ? `the broker offers ${hs.mechanisms.join(', ') || 'no mechanism'}` : null);
  let token: Uint8Array | null = exchange.first();
  let lifetimeMs = 0;
  for (let i = 0; token !== null; i++) {
    if (i === MAX_ROUND_TRIPS) throw new KafkaAuthenticationError(`SASL ${o.mechanism}: too many round trips`);
    const r = await conn.send(ApiKey.SaslAuthenticate, { authBytes: token });
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(r.errorCode, `SASL ${o.mechanism} authentication`, r.errorMessage);
    lifetimeMs = Number(r.sessionLifetimeMs ?? 0);
    token = exchange.next(r.authBytes);
  }
  return lifetimeMs;
}

/**
 * When the broker gave a session lifetime, authenticates again before it ends (at 85-95 % of it, as
 * Kafka's clients pick the time), and again after each renewal. A failed renewal closes the connection.
 * Returns a function that stops the renewals.
 */
export function scheduleReauthentication(conn: ClientConnection<ApiKey>, o: SaslClientOptions, lifetimeMs: number): () => void {
  let timer: NodeJS.Timeout | null = null;
  const arm = (ms: number): void => {
    if (ms <= 0) return;
    timer = setTimeout(() => {
      timer = null;
      if (!conn.isOpen) return;
      authenticateSasl(conn, o).then(arm, () => conn.close());
    }, ms * (0.85 + Math.random() * 0.1));
    timer.unref();
  };
  arm(lifetimeMs);
  return () => {
    if (timer !== null) clearTimeout(timer);
  };
}
