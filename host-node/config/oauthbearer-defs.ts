// SASL/OAUTHBEARER on the broker, with Kafka's names (KIP-768 for JWTs validated against a JWKS). Spread
// into BROKER_CONFIG_DEFS. As in Kafka, a listener may override each key with
// `listener.name.<listener>.oauthbearer.<key>` (the mechanism-prefixed form) or
// `listener.name.<listener>.<key>`; `oauthBearerListenerSettings` resolves them in that order.
import { atLeast, long, int, nullableList, nullableStr, str, type Validator } from './types.js';

/** Kafka's default server callback handler for OAUTHBEARER: unsigned ("alg":"none") tokens, for development. */
export const UNSECURED_VALIDATOR_CALLBACK_HANDLER = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerUnsecuredValidatorCallbackHandler';
/** KIP-768's server callback handler: signed JWTs checked against the JWKS at sasl.oauthbearer.jwks.endpoint.url. */
export const VALIDATOR_CALLBACK_HANDLER = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler';
/** Kafka's older package for the same handler (before 3.x moved it out of `secured`). */
const LEGACY_VALIDATOR_CALLBACK_HANDLER = 'org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler';

const jwksUrl: Validator<string | null> = (v) => {
  if (v === null || v === '') return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return 'Expected a file:, http: or https: URL';
  }
  return u.protocol === 'file:' || u.protocol === 'http:' || u.protocol === 'https:' ? undefined : 'Expected a file:, http: or https: URL';
};

const callbackHandlerClass: Validator<string | null> = (v) =>
  v === null || v === '' || v === UNSECURED_VALIDATOR_CALLBACK_HANDLER || v === VALIDATOR_CALLBACK_HANDLER || v === LEGACY_VALIDATOR_CALLBACK_HANDLER
    ? undefined
    : `Only ${VALIDATOR_CALLBACK_HANDLER} and ${UNSECURED_VALIDATOR_CALLBACK_HANDLER} are available`;

const nonBlank: Validator<string> = (v) => (v.trim() === '' ? 'Must be non-empty' : undefined);

export const OAUTHBEARER_CONFIG_DEFS = {
  'sasl.server.callback.handler.class': nullableStr({
    validate: callbackHandlerClass,
    importance: 'medium',
    doc: `The SASL server callback handler. For OAUTHBEARER (usually set as listener.name.<listener>.oauthbearer.sasl.server.callback.handler.class): ${VALIDATOR_CALLBACK_HANDLER} validates signed JWTs against sasl.oauthbearer.jwks.endpoint.url; unset, Kafka's unsecured validator accepts unsigned tokens (unless sasl.oauthbearer.jwks.endpoint.url is set, which selects the JWKS validator).`,
  }),
  'sasl.oauthbearer.jwks.endpoint.url': nullableStr({
    validate: jwksUrl,
    importance: 'medium',
    doc: 'The URL of the JSON Web Key Set that signed OAUTHBEARER tokens are verified against: https:// or http:// (fetched and cached) or file:// (read from disk).',
  }),
  'sasl.oauthbearer.jwks.endpoint.refresh.ms': long({
    default: 3600000,
    validate: atLeast(0),
    importance: 'low',
    doc: 'How long the JWKS is cached before it is read again (ms). A token naming an unknown key id also makes an http(s) JWKS be fetched again (at most once every 30 s).',
  }),
  'sasl.oauthbearer.jwks.endpoint.retry.backoff.ms': long({
    default: 100,
    validate: atLeast(0),
    importance: 'low',
    doc: 'Accepted for compatibility with Kafka: a failed JWKS fetch refuses the token being validated and the next token fetches again.',
  }),
  'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms': long({
    default: 10000,
    validate: atLeast(0),
    importance: 'low',
    doc: 'Accepted for compatibility with Kafka (see sasl.oauthbearer.jwks.endpoint.retry.backoff.ms).',
  }),
  'sasl.oauthbearer.clock.skew.seconds': int({
    default: 30,
    validate: atLeast(0),
    importance: 'low',
    doc: 'The clock difference allowed between the broker and the token issuer when checking exp, nbf and iat (seconds).',
  }),
  'sasl.oauthbearer.expected.audience': nullableList({
    importance: 'low',
    doc: 'The audiences a token must name (aud holds at least one of them). Unset: aud is not checked.',
  }),
  'sasl.oauthbearer.expected.issuer': nullableStr({
    importance: 'low',
    doc: 'The issuer a token must name (iss). Unset: iss is not checked.',
  }),
  'sasl.oauthbearer.scope.claim.name': str({
    default: 'scope',
    validate: nonBlank,
    importance: 'low',
    doc: "The claim holding the token's scope (a space-separated string or a list of strings).",
  }),
  'sasl.oauthbearer.sub.claim.name': str({
    default: 'sub',
    validate: nonBlank,
    importance: 'low',
    doc: "The claim holding the token's subject, which becomes the principal (User:<subject>).",
  }),
};

export type OAuthBearerConfigKey = keyof typeof OAUTHBEARER_CONFIG_DEFS;
export const OAUTHBEARER_KEYS = Object.keys(OAUTHBEARER_CONFIG_DEFS) as OAuthBearerConfigKey[];

/** What one listener's OAUTHBEARER validator is built from. */
export interface OAuthBearerListenerSettings {
  /** 'jwks': signed tokens against the JWKS; 'unsecured': Kafka's unsecured validator (alg "none"). */
  readonly validator: 'jwks' | 'unsecured';
  readonly jwksEndpointUrl: string | null;
  readonly jwksRefreshMs: number;
  readonly clockSkewSeconds: number;
  readonly expectedAudience: readonly string[] | null;
  readonly expectedIssuer: string | null;
  readonly scopeClaimName: string;
  readonly subClaimName: string;
  /** The OAuthBearerLoginModule options of the listener's JAAS config (the unsecured validator's unsecuredValidator* options). */
  readonly jaasOptions: ReadonlyMap<string, string>;
}

/**
 * One listener's settings. `lookup(key)` returns a configured value or undefined; it is asked for
 * `listener.name.<listener lowercased>.oauthbearer.<key>`, then `listener.name.<listener>.<key>`, then `<key>`
 * (defaults come from the last). `jaasOptions` are the parsed options of the listener's OAUTHBEARER JAAS entry.
 */
export function oauthBearerListenerSettings(
  listenerName: string,
  lookup: (key: string) => unknown,
  jaasOptions: ReadonlyMap<string, string> = new Map(),
): OAuthBearerListenerSettings {
  const l = listenerName.toLowerCase();
  const get = <T>(key: string): T => {
    for (const k of [`listener.name.${l}.oauthbearer.${key}`, `listener.name.${l}.${key}`, key]) {
      const v = lookup(k);
      if (v !== undefined) return v as T;
    }
    return (OAUTHBEARER_CONFIG_DEFS as Record<string, { default: unknown }>)[key]!.default as T;
  };
  const handler = get<string | null>('sasl.server.callback.handler.class');
  const jwksEndpointUrl = get<string | null>('sasl.oauthbearer.jwks.endpoint.url') || null;
  const signed = handler === VALIDATOR_CALLBACK_HANDLER || handler === LEGACY_VALIDATOR_CALLBACK_HANDLER;
  return {
    validator: signed || (jwksEndpointUrl !== null && handler !== UNSECURED_VALIDATOR_CALLBACK_HANDLER) ? 'jwks' : 'unsecured',
    jwksEndpointUrl,
    jwksRefreshMs: get<number>('sasl.oauthbearer.jwks.endpoint.refresh.ms'),
    clockSkewSeconds: get<number>('sasl.oauthbearer.clock.skew.seconds'),
    expectedAudience: get<string[] | null>('sasl.oauthbearer.expected.audience'),
    expectedIssuer: get<string | null>('sasl.oauthbearer.expected.issuer') || null,
    scopeClaimName: get<string>('sasl.oauthbearer.scope.claim.name').trim(),
    subClaimName: get<string>('sasl.oauthbearer.sub.claim.name').trim(),
    jaasOptions,
  };
}
