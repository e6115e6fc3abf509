// The handler registry: api key → handler + the version range it serves. It drives dispatch, and ApiVersions
// advertises exactly what is registered here (so an API is advertised iff it has a handler).
//
// Adding an API: write handlers/<name>.ts exporting an ApiHandler<typeof ApiKey.X, 'service' | ...> naming its
// descriptor (XApi) and the broker services it uses, and register it in handlers/index.ts. The generated
// codec for that API decodes the request and encodes the response; the handler only sees typed messages.

import type { ApiDescriptor, ApiKey, ApiOf, RequestTypes, ResponseInputTypes } from '../../protocol/generated/index.js';
import type { BrokerService, RequestContext } from './context.js';
import type { SplicedResponse } from './spliced-response.js';

/** Returned by a handler when the request gets no response at all (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('rivulet.noResponse');
export type NoResponse = typeof NO_RESPONSE;

/**
 * A handler's answer: the response body, NO_RESPONSE, or a SplicedResponse (spliced-response.ts) whose large
 * byte fields (Fetch records) are sent as separate chunks instead of being copied into the encoded buffer.
 */
export type HandlerResult<K extends ApiKey> = ResponseInputTypes[K] | NoResponse | SplicedResponse<ResponseInputTypes[K]>;

/**
 * The handler of API `K`. `U` lists the broker services it uses (keys of BrokerContext, e.g.
 * `'topicRegistry' | 'log'`; none when left out): its `ctx.broker` holds only those, so the compiler
 * rejects a handler touching a service it did not declare.
 */
export interface ApiHandler<K extends ApiKey = ApiKey, U extends BrokerService = never> {
  /**
   * The API's generated descriptor (e.g. `ProduceApi` from protocol/generated/produce.ts): naming it here,
   * rather than looking it up by key in the full registry, keeps the other APIs' codecs out of the broker.
   */
  readonly api: ApiOf<K>;
  /** Lowest version served (default: the schema's lowest, 0 — clients expect ranges to start at 0). */
  readonly minVersion?: number;
  /** Highest version served (default: the schema's highest stable version). */
  readonly maxVersion?: number;
  /**
   * Serves one decoded request. Byte fields of `request` (records) are views into the request frame and stay
   * valid only until the returned value/promise settles. Throwing closes the connection (use it only for
   * requests Kafka would also refuse to answer); errors clients should see go in the response's error codes.
   */
  handle(request: RequestTypes[K], ctx: RequestContext<U>): HandlerResult<K> | Promise<HandlerResult<K>>;
}

/**
 * A handler with its API and service list erased, as the registry stores it: the dispatcher passes it the
 * full context, which every narrower RequestContext<U> accepts.
 */
export type AnyApiHandler = ApiHandler<ApiKey, BrokerService>;

/** A registered API: its generated descriptor, handler and served range. */
export interface RegisteredApi {
  readonly api: ApiDescriptor;
  readonly handler: AnyApiHandler;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export interface SupportedApi {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export class HandlerRegistry {
  private readonly byKey: (RegisteredApi | undefined)[] = [];
  private supportedCache: SupportedApi[] | null = null;

  register<K extends ApiKey, U extends BrokerService>(handler: ApiHandler<K, U>): this {
    const api: ApiDescriptor = handler.api;
    if (this.byKey[api.apiKey]) throw new Error(`a handler for ${api.name} (${api.apiKey}) is already registered`);
    const [lo, hi] = api.validVersions;
    const stableHi = api.latestVersionUnstable ? hi - 1 : hi;
    const minVersion = handler.minVersion ?? lo;
    const maxVersion = handler.maxVersion ?? stableHi;
    if (minVersion < lo || maxVersion > hi || minVersion > maxVersion)
      throw new Error(`${api.name}: versions ${minVersion}-${maxVersion} outside the schema's ${lo}-${hi}`);
    this.byKey[api.apiKey] = { api, handler: handler as unknown as AnyApiHandler, minVersion, maxVersion };
    this.supportedCache = null;
    return this;
  }

  get(apiKey: number): RegisteredApi | undefined {
    return apiKey >= 0 ? this.byKey[apiKey] : undefined;
  }

  /** What ApiVersions advertises, by api key. */
  supported(): readonly SupportedApi[] {
    if (this.supportedCache === null) {
      this.supportedCache = [];
      for (const r of this.byKey) if (r) this.supportedCache.push({ apiKey: r.api.apiKey, minVersion: r.minVersion, maxVersion: r.maxVersion });
    }
    return this.supportedCache;
  }
}
