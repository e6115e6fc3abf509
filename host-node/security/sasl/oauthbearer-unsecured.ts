// Kafka's OAuthBearerUnsecuredValidatorCallbackHandler: accepts unsigned JWTs ({"alg":"none"}, empty
// signature), as librdkafka's `enable.sasl.oauthbearer.unsecure.jwt=true` and Kafka's unsecured login
// module send them. Nothing proves who made the token: for development only. Options come from the
// listener's OAuthBearerLoginModule JAAS entry, with Kafka's names and checks:
//   unsecuredValidatorPrincipalClaimName (sub), unsecuredValidatorScopeClaimName (scope),
//   unsecuredValidatorRequiredScope (space-separated, none), unsecuredValidatorAllowableClockSkewMs (0).
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { ConfigError } from '../../config/types.js';
import { invalidToken, parseScopeClaim, type OAuthBearerTokenValidator, type OAuthBearerValidation } from './oauthbearer-token.js';

export interface UnsecuredValidatorOptions {
  readonly principalClaimName: string;
  readonly scopeClaimName: string;
  readonly requiredScope: readonly string[];
  readonly allowableClockSkewMs: number;
}

/** Reads the unsecuredValidator* JAAS options (a bad clock skew is a config error, as in Kafka). */
export function unsecuredValidatorOptions(jaas: ReadonlyMap<string, string>, configKey = 'sasl.jaas.config'): UnsecuredValidatorOptions {
  const principal = jaas.get('unsecuredValidatorPrincipalClaimName')?.trim() || 'sub';
  const scope = jaas.get('unsecuredValidatorScopeClaimName')?.trim() || 'scope';
  const required = (jaas.get('unsecuredValidatorRequiredScope') ?? '').split(' ').filter((s) => s !== '');
  const skewRaw = jaas.get('unsecuredValidatorAllowableClockSkewMs')?.trim() ?? '';
  let skew = 0;
  if (skewRaw !== '') {
    skew = /^\d+$/.test(skewRaw) ? Number(skewRaw) : NaN;
    if (!Number.isSafeInteger(skew) || skew > 2147483647)
      throw new ConfigError(configKey, `Invalid value for unsecuredValidatorAllowableClockSkewMs: ${skewRaw} (expected a non-negative integer)`);
  }
  return { principalClaimName: principal, scopeClaimName: scope, requiredScope: required, allowableClockSkewMs: skew };
}

export class UnsecuredTokenValidator implements OAuthBearerTokenValidator {
  readonly secured = false;
  constructor(
    private readonly opts: UnsecuredValidatorOptions,
    private readonly now: () => number = Date.now,
  ) {}

  validate(tokenValue: string): Promise<OAuthBearerValidation> {
    return Promise.resolve(this.check(tokenValue));
  }

  private check(tokenValue: string): OAuthBearerValidation {
    const parts = tokenValue.split('.');
    if (parts.length !== 3 || parts[2] !== '') return invalidToken('Unsecured JWS compact serializations must have 2 dot-separated Base64URL-encoded values and an empty signature');
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(tokenValue) as Record<string, unknown>;
      claims = decodeJwt(tokenValue) as Record<string, unknown>;
    } catch (e) {
      return invalidToken(`Malformed unsecured JWS: ${(e as Error).message}`);
    }
    if (header.alg !== 'none') return invalidToken("Unsecured JWS must have 'none' for value of 'alg' Header Parameter");
    if ('crit' in header) return invalidToken("Unsecured JWS must not contain the 'crit' Header Parameter");

    const { principalClaimName, scopeClaimName, requiredScope, allowableClockSkewMs: skew } = this.opts;
    const principal = claims[principalClaimName];
    if (typeof principal !== 'string' || principal.trim() === '') return invalidToken(`No principal name in JWT claim: ${principalClaimName}`);
    const now = this.now();
    const iat = claims.iat;
    if (iat !== undefined && !isNumericDate(iat)) return invalidToken('The iat claim is not a number');
    if (iat !== undefined && (iat as number) * 1000 > now + skew)
      return invalidToken(`The Issued At value (${String(iat)} seconds) was after the indicated time (${now} ms) plus allowable clock skew (${skew} ms)`);
    const exp = claims.exp;
    if (exp === undefined) return invalidToken('Required claim missing: exp');
    if (!isNumericDate(exp)) return invalidToken('The exp claim is not a number');
    if (now - skew >= exp * 1000)
      return invalidToken(`The indicated time (${now} ms) minus allowable clock skew (${skew} ms) was on or after the Expiration Time value (${exp} seconds)`);
    if (iat !== undefined && exp <= (iat as number)) return invalidToken(`The Expiration Time time (${exp} seconds) was not after the Issued At time (${String(iat)} seconds)`);
    const scope = parseScopeClaim(claims[scopeClaimName]);
    if (scope === null) return invalidToken(`The ${scopeClaimName} claim is neither a string nor a list of strings`);
    const missing = requiredScope.find((s) => !scope.includes(s));
    if (missing !== undefined)
      return { ok: false, status: 'insufficient_scope', scope: requiredScope.join(' '), reason: `The provided scope (${scope.join(' ')}) was missing a required scope (${missing})` };
    return {
      ok: true,
      token: { value: tokenValue, principalName: principal, scope, lifetimeMs: Math.floor(exp * 1000), startTimeMs: iat === undefined ? undefined : Math.floor((iat as number) * 1000) },
    };
  }
}

/** A JWT NumericDate: seconds since the epoch, possibly fractional (librdkafka writes "exp":1733380000.123). */
function isNumericDate(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
