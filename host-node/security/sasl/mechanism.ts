// One SASL mechanism's server side, as the connection's SASL gate drives it: client tokens in, server
// tokens out, until the exchange completes with a principal or fails.
import type { KafkaPrincipal } from '../principal.js';

export interface SaslStep {
  /** The server's token (may be empty). */
  readonly response: Uint8Array;
  /** True when the exchange is over and the client is authenticated as `principal`. */
  readonly complete: boolean;
  readonly principal?: KafkaPrincipal;
  /** OAUTHBEARER: when the token expires (ms since the epoch); the session may not outlive it. */
  readonly credentialExpiresAtMs?: number;
}

/** A failed authentication: `message` is what the client is told (never a secret, never which part was wrong beyond Kafka's wording). */
export class SaslAuthenticationError extends Error {
  override readonly name = 'SaslAuthenticationError';
}

export interface SaslServer {
  readonly mechanism: string;
  /** Evaluates one client token; throws SaslAuthenticationError on a failed or malformed exchange. */
  evaluate(token: Uint8Array): SaslStep | Promise<SaslStep>;
}

/** Where the exchange happens (mechanisms that read per-listener config use the listener name). */
export interface SaslServerContext {
  readonly listenerName: string;
  readonly remoteAddress: string;
}

export interface SaslMechanismFactory {
  /** The mechanism's IANA name: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER. */
  readonly mechanism: string;
  create(ctx: SaslServerContext): SaslServer;
}
