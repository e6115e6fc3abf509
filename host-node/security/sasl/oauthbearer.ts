// SASL/OAUTHBEARER's server side (RFC 7628), as Kafka's OAuthBearerSaslServer runs it: one client message
// carrying a bearer token; a valid token completes the exchange as User:<subject>, with the session bounded
// by the token's exp; an invalid one is answered with the JSON error challenge
// ({"status":"invalid_token"}), and the client's ^A reply to it ends the exchange with a failure whose
// message is that JSON. Which validator a listener uses follows Kafka: the JWKS validator (KIP-768) when
// the listener's callback handler is OAuthBearerValidatorCallbackHandler or a JWKS URL is configured,
// Kafka's unsecured validator otherwise.
import type { Logger } from '../../util/log.js';
import { ConfigError } from '../../config/types.js';
import type { OAuthBearerListenerSettings } from '../../config/oauthbearer-defs.js';
import { userPrincipal } from '../principal.js';
import { SaslAuthenticationError, type SaslMechanismFactory, type SaslServer, type SaslServerContext, type SaslStep } from './mechanism.js';
import { InvalidInitialResponse, parseInitialResponse, type OAuthBearerInitialResponse } from './oauthbearer-initial-response.js';
import { JwksTokenValidator } from './oauthbearer-jwks.js';
import { UnsecuredTokenValidator, unsecuredValidatorOptions } from './oauthbearer-unsecured.js';
import type { OAuthBearerTokenValidator, OAuthBearerValidation } from './oauthbearer-token.js';

export const OAUTHBEARER = 'OAUTHBEARER';
const EMPTY = new Uint8Array(0);
/** What Kafka tells a client whose SASL message could not be parsed. */
const INVALID_CREDENTIALS = `Authentication failed during authentication due to invalid credentials with SASL mechanism ${OAUTHBEARER}`;

/** The server's RFC 7628 §3.2.2 error challenge, formatted exactly as Kafka's OAuthBearerSaslServer writes it. */
export function jsonErrorResponse(v: Extract<OAuthBearerValidation, { ok: false }>): string {
  let json = `{"status":"${v.status}"`;
  if (v.scope !== undefined) json += `, "scope":"${v.scope.replace(/["\\]/g, '\\$&')}"`;
  return json + '}';
}

type State = { readonly kind: 'initial' } | { readonly kind: 'error-sent'; readonly message: string } | { readonly kind: 'done' };

export class OAuthBearerSaslServer implements SaslServer {
  readonly mechanism = OAUTHBEARER;
  private state: State = { kind: 'initial' };

  constructor(
    private readonly validator: OAuthBearerTokenValidator,
    private readonly log?: Logger,
    /** Who is authenticating, for the log (e.g. "127.0.0.1 on SASL_SSL"). */
    private readonly peer = 'client',
  ) {}

  async evaluate(token: Uint8Array): Promise<SaslStep> {
    const state = this.state;
    this.state = { kind: 'done' };
    if (state.kind === 'error-sent') {
      // RFC 7628 §3.2.3: the client answers the error challenge with ^A, and the exchange fails.
      throw new SaslAuthenticationError(state.message);
    }
    if (state.kind === 'done') throw new SaslAuthenticationError(`${OAUTHBEARER} authentication is already complete`);

    let parsed: OAuthBearerInitialResponse;
    try {
      parsed = parseInitialResponse(token);
    } catch (e) {
      if (!(e instanceof InvalidInitialResponse)) throw e;
      this.log?.debug(`${this.peer}: ${e.message}`);
      throw new SaslAuthenticationError(INVALID_CREDENTIALS);
    }
    const v = await this.validator.validate(parsed.tokenValue);
    if (!v.ok) {
      const message = jsonErrorResponse(v);
      // The reason stays in the broker's log (the client only learns the status); the token is never logged.
      this.log?.info(`${this.peer}: ${OAUTHBEARER} token refused: ${v.reason}`);
      this.state = { kind: 'error-sent', message };
      return { response: new TextEncoder().encode(message), complete: false };
    }
    const name = v.token.principalName;
    if (parsed.authorizationId !== '' && parsed.authorizationId !== name)
      throw new SaslAuthenticationError(
        `Authentication failed: Client requested an authorization id (${parsed.authorizationId}) that is different from the token's principal name (${name})`,
      );
    return { response: EMPTY, complete: true, principal: userPrincipal(name), credentialExpiresAtMs: v.token.lifetimeMs };
  }
}

/** The validator a listener's settings call for (config errors surface here, at start-up). */
export function createTokenValidator(s: OAuthBearerListenerSettings, now: () => number = Date.now): OAuthBearerTokenValidator {
  if (s.validator === 'unsecured') return new UnsecuredTokenValidator(unsecuredValidatorOptions(s.jaasOptions), now);
  if (s.jwksEndpointUrl === null)
    throw new ConfigError('sasl.oauthbearer.jwks.endpoint.url', 'OAuthBearerValidatorCallbackHandler needs sasl.oauthbearer.jwks.endpoint.url');
  return new JwksTokenValidator({ ...s, jwksEndpointUrl: s.jwksEndpointUrl }, now);
}

export interface OAuthBearerFactoryOptions {
  readonly log?: Logger;
  /** The clock tokens are checked against (tests). */
  readonly now?: () => number;
}

/** OAUTHBEARER for the SASL gate: one validator per listener (its JWKS cache shared by that listener's connections). */
export class OAuthBearerMechanismFactory implements SaslMechanismFactory {
  readonly mechanism = OAUTHBEARER;
  private readonly validators = new Map<string, OAuthBearerTokenValidator>();

  constructor(
    private readonly settingsOf: (listenerName: string) => OAuthBearerListenerSettings,
    private readonly opts: OAuthBearerFactoryOptions = {},
  ) {}

  /** Builds the listeners' validators now, so that config errors and the unsecured-token warning come at start-up. */
  prepare(listenerNames: Iterable<string>): void {
    for (const l of listenerNames) this.validatorFor(l);
  }

  validatorFor(listenerName: string): OAuthBearerTokenValidator {
    const key = listenerName.toUpperCase();
    let v = this.validators.get(key);
    if (v === undefined) {
      v = createTokenValidator(this.settingsOf(key), this.opts.now);
      if (!v.secured)
        this.opts.log?.warn(
          `Listener ${key} accepts unsigned SASL/OAUTHBEARER tokens (OAuthBearerUnsecuredValidatorCallbackHandler): anyone can name any principal. ` +
            `Set listener.name.${key.toLowerCase()}.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler and sasl.oauthbearer.jwks.endpoint.url for signed tokens.`,
        );
      this.validators.set(key, v);
    }
    return v;
  }

  create(ctx: SaslServerContext): SaslServer {
    return new OAuthBearerSaslServer(this.validatorFor(ctx.listenerName), this.opts.log, `${ctx.remoteAddress} on ${ctx.listenerName}`);
  }
}
