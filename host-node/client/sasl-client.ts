// The Node client's SASL: the platform-neutral exchange of client/sasl.ts (SaslHandshake v1, then
// SaslAuthenticate with PLAIN or SCRAM-SHA-256/512 over WebCrypto, the server's signature verified before
// the connection is used), with the client's own refusals of the broker's SCRAM messages thrown as
// KafkaAuthenticationError. A session lifetime from the broker (KIP-368) is honoured by authenticating
// again before it ends, through the same request queue as every other request.
import type { ApiKey } from '../../protocol/generated/index.js';
import { KafkaClientError } from '../../client/errors.js';
import type { ClientConnection } from '../../client/connection.js';
import { saslAuthenticate, type SaslCredentials } from '../../client/sasl.js';

export { SASL_CLIENT_MECHANISMS, type SaslMechanismName } from '../../client/sasl.js';

/** The mechanism and credentials a client authenticates with (PLAIN may name an authorization identity). */
export type SaslClientOptions = SaslCredentials;

/** A failed SASL exchange on the client side (the server's proof did not verify, a malformed message). */
export class KafkaAuthenticationError extends KafkaClientError {
  constructor(message: string) {
    super(message, false);
    this.name = 'KafkaAuthenticationError';
  }
}

/**
 * Authenticates `conn` with `o`: SaslHandshake v1, then SaslAuthenticate until the mechanism is done.
 * Resolves with the session lifetime the broker gave (0: none). Throws KafkaProtocolError with the
 * broker's error (UNSUPPORTED_SASL_MECHANISM, SASL_AUTHENTICATION_FAILED) or KafkaAuthenticationError.
 */
export function authenticateSasl(conn: ClientConnection<ApiKey>, o: SaslClientOptions): Promise<number> {
  return saslAuthenticate(conn, conn.address, o, (_who, _mechanism, e) => new KafkaAuthenticationError(e.message));
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
