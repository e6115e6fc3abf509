// What a rule answers (context.ts: AuthorizationOutcome), and the helpers that put denied entries back into a
// handler's response: in request order, each with Kafka's error, in the shape the generated codec encodes.
import type { ApiKey, RequestTypes, ResponseInputTypes } from '../../../protocol/generated/index.js';
import type { AuthorizationOutcome, RequestContext } from '../context.js';
import { NO_RESPONSE } from '../registry.js';
import { SplicedResponse } from '../spliced-response.js';
import type { RequestAuthz } from './request-authz.js';

/**
 * The authorization of one API: the decoded request → undefined (everything allowed), a response (all
 * denied), or the allowed part of the request and how to complete the handler's response with the rest.
 */
export type AuthorizationRule<K extends ApiKey> = (request: RequestTypes[K], az: RequestAuthz, ctx: RequestContext) => AuthorizationOutcome;

/** APIs served before or without any authorization (ApiVersions, SASL). */
export const NOT_AUTHORIZED = (): undefined => undefined;

/** Denied as a whole: `response` is what the client gets, and the handler never runs. */
export function deny<K extends ApiKey>(_key: K, response: ResponseInputTypes[K]): AuthorizationOutcome {
  return { response };
}

/**
 * Part allowed: the handler serves `request`, and `complete` adds the denied part to its response body
 * (a Fetch's spliced body too; a Produce with acks=0 has none).
 */
export function partial<K extends ApiKey>(_key: K, request: RequestTypes[K], complete: (body: ResponseInputTypes[K]) => ResponseInputTypes[K]): AuthorizationOutcome {
  return { request, complete: (res: unknown) => mapBody(res, complete as (b: unknown) => unknown) };
}

function mapBody(res: unknown, f: (body: unknown) => unknown): unknown {
  if (res === NO_RESPONSE) return res;
  if (res instanceof SplicedResponse) return new SplicedResponse(f(res.body), res.external, res.onWritten);
  return f(res);
}

/**
 * The handler's entries for the allowed items, with an error entry for each denied item at its place in the
 * request. When the handler did not answer one entry per allowed item (it merged or dropped some), the
 * denied entries follow its own.
 */
export function interleave<T, R>(items: readonly T[], isDenied: (item: T) => boolean, handled: readonly R[] | undefined, deniedEntry: (item: T) => R): R[] {
  const own = handled ?? [];
  let allowedCount = 0;
  for (const it of items) if (!isDenied(it)) allowedCount++;
  const out: R[] = [];
  if (own.length !== allowedCount) {
    out.push(...own);
    for (const it of items) if (isDenied(it)) out.push(deniedEntry(it));
    return out;
  }
  let j = 0;
  for (const it of items) out.push(isDenied(it) ? deniedEntry(it) : own[j++]!);
  return out;
}
