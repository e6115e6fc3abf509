// KIP-768's OAuthBearerValidatorCallbackHandler: a signed JWT, verified by `jose` against the JSON Web Key
// Set at sasl.oauthbearer.jwks.endpoint.url, with Kafka's claim checks: exp and iat required, nbf/exp with
// sasl.oauthbearer.clock.skew.seconds, iss and aud when expected values are configured, the subject from
// sasl.oauthbearer.sub.claim.name, the scope from sasl.oauthbearer.scope.claim.name. Unsigned tokens
// ("alg":"none") never verify.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { ConfigError } from '../../config/types.js';
import type { OAuthBearerListenerSettings } from '../../config/oauthbearer-defs.js';
import { invalidToken, parseScopeClaim, type OAuthBearerTokenValidator, type OAuthBearerValidation } from './oauthbearer-token.js';

/** A listener's OAUTHBEARER settings for the JWKS validator, with its JWKS URL set. */
export interface JwksValidatorOptions extends Omit<OAuthBearerListenerSettings, 'validator' | 'jwksEndpointUrl' | 'jaasOptions'> {
  /** file:, http: or https: */
  readonly jwksEndpointUrl: string;
}

/** How long one JWKS fetch may take before the token being validated is refused. */
const JWKS_FETCH_TIMEOUT_MS = 10_000;
const URL_KEY = 'sasl.oauthbearer.jwks.endpoint.url';

export class JwksTokenValidator implements OAuthBearerTokenValidator {
  readonly secured = true;
  private readonly getKey: JWTVerifyGetKey;

  constructor(
    private readonly opts: JwksValidatorOptions,
    private readonly now: () => number = Date.now,
  ) {
    let url: URL;
    try {
      url = new URL(opts.jwksEndpointUrl);
    } catch {
      throw ConfigError.invalid(URL_KEY, opts.jwksEndpointUrl, 'Expected a file:, http: or https: URL');
    }
    if (url.protocol === 'file:') this.getKey = fileKeySet(fileURLToPath(url), opts.jwksRefreshMs, now);
    else if (url.protocol === 'http:' || url.protocol === 'https:')
      this.getKey = createRemoteJWKSet(url, { cacheMaxAge: opts.jwksRefreshMs, timeoutDuration: JWKS_FETCH_TIMEOUT_MS });
    else throw ConfigError.invalid(URL_KEY, opts.jwksEndpointUrl, 'Expected a file:, http: or https: URL');
  }

  async validate(tokenValue: string): Promise<OAuthBearerValidation> {
    const o = this.opts;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(tokenValue, this.getKey, {
        currentDate: new Date(this.now()),
        clockTolerance: o.clockSkewSeconds,
        requiredClaims: ['exp', 'iat'],
        ...(o.expectedIssuer !== null ? { issuer: o.expectedIssuer } : {}),
        ...(o.expectedAudience !== null && o.expectedAudience.length > 0 ? { audience: [...o.expectedAudience] } : {}),
      }));
    } catch (e) {
      const err = e as { code?: string; message?: string };
      return invalidToken(`${err.code ?? 'ERR'}: ${err.message ?? String(e)}`);
    }
    const sub = payload[o.subClaimName];
    if (typeof sub !== 'string' || sub.trim() === '') return invalidToken(`The ${o.subClaimName} claim must be a non-empty string`);
    const scope = parseScopeClaim(payload[o.scopeClaimName]);
    if (scope === null) return invalidToken(`The ${o.scopeClaimName} claim is neither a string nor a list of strings`);
    const exp = payload.exp as number;
    const iat = payload.iat as number;
    return { ok: true, token: { value: tokenValue, principalName: sub.trim(), scope, lifetimeMs: Math.floor(exp * 1000), startTimeMs: Math.floor(iat * 1000) } };
  }
}

/** A JWKS file, read now (an unreadable or invalid file is a config error, as in Kafka) and again once refreshMs has passed. */
function fileKeySet(path: string, refreshMs: number, now: () => number): JWTVerifyGetKey {
  const read = (): JWTVerifyGetKey => {
    let jwks: unknown;
    try {
      jwks = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new ConfigError(URL_KEY, `Cannot read the JWKS file ${path}: ${(e as Error).message}`);
    }
    try {
      return createLocalJWKSet(jwks as JSONWebKeySet);
    } catch (e) {
      throw new ConfigError(URL_KEY, `The JWKS file ${path} is not a JSON Web Key Set: ${(e as Error).message}`);
    }
  };
  let keys = read();
  let readAt = now();
  return async (header, token) => {
    if (now() - readAt >= refreshMs) {
      readAt = now();
      try {
        keys = read();
      } catch {
        // Keep the last good key set while the file is being replaced or is broken.
      }
    }
    return keys(header, token);
  };
}
