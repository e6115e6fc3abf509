// SASL authentication of a client connection, as Kafka's clients do it right after ApiVersions:
// SaslHandshake v1 names the mechanism, then SaslAuthenticate carries the mechanism's tokens until it
// completes. PLAIN sends `authzid NUL user NUL password` once (use it over TLS only: the password travels
// as it is); SCRAM-SHA-256/512 (scram.ts) proves the password without sending it and checks that the
// broker holds the credential. A refusal throws KafkaProtocolError (SASL_AUTHENTICATION_FAILED,
// UNSUPPORTED_SASL_MECHANISM, ...), which is not retriable: the same credentials will fail again.
// Every host's client uses this one exchange: the browser sync and host-node/client (sasl-client.ts).
import { ApiKey } from '../protocol/generated/api.js';
import type { RequestInputTypes, ResponseTypes } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/errors.js';
import { KafkaClientError, KafkaProtocolError } from './errors.js';
import { ScramClient, ScramClientError, type ScramMechanismName } from './scram.js';

export type SaslMechanismName = 'PLAIN' | ScramMechanismName;
export const SASL_CLIENT_MECHANISMS: readonly SaslMechanismName[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** What a client authenticates with (Kafka's sasl.mechanism and the JAAS username/password). */
export interface SaslCredentials {
  mechanism: SaslMechanismName;
  username: string;
  password: string;
  /** PLAIN's authorization identity (empty: the username). */
  authorizationId?: string;
}

type SaslApi = typeof ApiKey.SaslHandshake | typeof ApiKey.SaslAuthenticate;

/** The part of a client connection authentication needs. */
export interface SaslConnection {
  send<K extends SaslApi>(apiKey: K, body: RequestInputTypes[K], options?: { version?: number }): Promise<ResponseTypes[K]>;
}

export const plainToken = (username: string, password: string, authorizationId = ''): Uint8Array => new TextEncoder().encode(`${authorizationId}\0${username}\0${password}`);

/**
 * What a client's own refusal of the broker's SCRAM messages (ScramClientError: a nonce that does not
 * extend ours, too few iterations, a server signature that does not verify) is thrown as. By default a
 * KafkaProtocolError with SASL_AUTHENTICATION_FAILED; host-node's client throws KafkaAuthenticationError.
 */
export type SaslClientRefusal = (who: string, mechanism: SaslMechanismName, e: ScramClientError) => Error;

const refusedAsProtocolError: SaslClientRefusal = (who, mechanism, e) => new KafkaProtocolError(ErrorCode.SASL_AUTHENTICATION_FAILED, `${who} ${mechanism}`, e.message);

/**
 * Authenticates `conn` (ApiVersions done, nothing else sent yet); throws KafkaProtocolError when refused.
 * Resolves with the session lifetime the broker granted (KIP-368, SaslAuthenticate v1+): after that many
 * milliseconds the broker serves nothing more on the connection until it authenticates again; 0 = no limit.
 * `who` names the broker in error messages.
 */
export async function saslAuthenticate(conn: SaslConnection, who: string, creds: SaslCredentials, refused: SaslClientRefusal = refusedAsProtocolError): Promise<number> {
  if (!SASL_CLIENT_MECHANISMS.includes(creds.mechanism))
    throw new KafkaClientError(`Unsupported SASL mechanism ${String(creds.mechanism)} (one of ${SASL_CLIENT_MECHANISMS.join(', ')})`);
  const hs = await conn.send(ApiKey.SaslHandshake, { mechanism: creds.mechanism }, { version: 1 });
  if (hs.errorCode !== 0)
    throw new KafkaProtocolError(hs.errorCode, `${who} SaslHandshake ${creds.mechanism}`, hs.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM ? `enabled mechanisms: ${hs.mechanisms.join(', ')}` : null);
  let lifetimeMs = 0;
  const step = async (token: Uint8Array): Promise<Uint8Array> => {
    const r = await conn.send(ApiKey.SaslAuthenticate, { authBytes: token });
    if (r.errorCode !== 0) throw new KafkaProtocolError(r.errorCode, `${who} SaslAuthenticate ${creds.mechanism}`, r.errorMessage);
    lifetimeMs = Number(r.sessionLifetimeMs ?? 0n);
    return r.authBytes;
  };
  if (creds.mechanism === 'PLAIN') {
    await step(plainToken(creds.username, creds.password, creds.authorizationId));
    return lifetimeMs;
  }
  const scram = new ScramClient(creds.mechanism, creds.username, creds.password);
  const serverFirst = await step(scram.first());
  let clientFinal: Uint8Array;
  try {
    clientFinal = await scram.final(serverFirst);
  } catch (e) {
    throw e instanceof ScramClientError ? refused(who, creds.mechanism, e) : e;
  }
  const serverFinal = await step(clientFinal);
  try {
    scram.verify(serverFinal);
  } catch (e) {
    throw e instanceof ScramClientError ? refused(who, creds.mechanism, e) : e;
  }
  return lifetimeMs;
}
