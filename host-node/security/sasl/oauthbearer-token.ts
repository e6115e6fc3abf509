// What an OAUTHBEARER token validator decides: Kafka's OAuthBearerToken on success, or the RFC 7628 error
// status (and, for a missing scope, the scope) that the server's JSON challenge carries.

export interface OAuthBearerToken {
  readonly value: string;
  /** The principal's name (the sub claim, or the configured claim). */
  readonly principalName: string;
  readonly scope: readonly string[];
  /** exp, in ms since the epoch. */
  readonly lifetimeMs: number;
  /** iat, in ms since the epoch, when present. */
  readonly startTimeMs?: number;
}

export type OAuthBearerValidation =
  | { readonly ok: true; readonly token: OAuthBearerToken }
  | {
      readonly ok: false;
      /** RFC 7628 §3.2.2 status: invalid_token, or insufficient_scope when a required scope is missing. */
      readonly status: 'invalid_token' | 'insufficient_scope';
      /** The scope that would have been sufficient (insufficient_scope only). */
      readonly scope?: string;
      /** Why, for the broker's log only. */
      readonly reason: string;
    };

export interface OAuthBearerTokenValidator {
  /** False for Kafka's unsecured validator (tokens are not signed). */
  readonly secured: boolean;
  validate(tokenValue: string): Promise<OAuthBearerValidation>;
}

export function invalidToken(reason: string): OAuthBearerValidation {
  return { ok: false, status: 'invalid_token', reason };
}

/** A scope claim: a space-separated string or a list of strings (Kafka accepts both); null when malformed. */
export function parseScopeClaim(v: unknown): string[] | null {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return v.split(' ').filter((s) => s !== '');
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return (v as string[]).map((s) => s.trim()).filter((s) => s !== '');
  return null;
}
