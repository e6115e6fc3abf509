// The broker's client quotas as the dispatcher applies them (RequestQuotas): each served request is
// recorded against the quotas of its principal and client id, as Kafka's KafkaApis does —
//   Produce: the request's size against producer_byte_rate;
//   Fetch from a consumer: the response's size against consumer_byte_rate (followers' fetches are exempt
//   from every quota, as in Kafka);
//   every request: its handler time against request_percentage.
// The throttle time is the larger of the two. The quotas come from the security store and follow its changes.
//
// Idle-cheap: the broker sets `context.quotas` only while the store holds a client quota (attachClientQuotas);
// with none, the dispatcher never calls in here.
import { ApiKey } from '../../protocol/generated/api.js';
import { FetchApi, type FetchRequest, type FetchResponse } from '../../protocol/generated/fetch.js';
import { ClientQuotas, NANOS_TO_PERCENTAGE_PER_SECOND, type QuotaWindowConfig } from '../security/client-quotas.js';
import type { QuotaEntry } from '../security/security-store.js';
import type { BrokerContext, RequestContext, RequestQuotas } from './context.js';

export class ClientQuotaManager implements RequestQuotas {
  readonly quotas: ClientQuotas;

  constructor(
    entries: readonly QuotaEntry[],
    config: QuotaWindowConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.quotas = new ClientQuotas(entries, config);
  }

  record(ctx: RequestContext, requestBytes: number, response: unknown, handlerNanos: number, request?: unknown): number {
    const q = this.quotas;
    const user = ctx.connection.security.principal.name;
    const clientId = ctx.clientId ?? '';
    const nowMs = this.now();
    let bandwidthMs = 0;
    if (ctx.apiKey === ApiKey.Produce) {
      if (q.has('producer_byte_rate')) bandwidthMs = q.record('producer_byte_rate', user, clientId, requestBytes, nowMs);
    } else if (ctx.apiKey === ApiKey.Fetch) {
      // A follower's fetch is exempt from every client quota (Kafka's sendResponseExemptThrottle).
      if (request !== undefined && isFollowerFetch(request as FetchRequest, ctx.apiVersion)) return 0;
      if (q.has('consumer_byte_rate') && response !== undefined && response !== null && typeof response === 'object')
        bandwidthMs = q.record('consumer_byte_rate', user, clientId, FetchApi.sizeResponse(ctx.apiVersion, response as FetchResponse), nowMs);
    }
    const requestMs = q.has('request_percentage') ? q.record('request_percentage', user, clientId, handlerNanos * NANOS_TO_PERCENTAGE_PER_SECOND, nowMs) : 0;
    return Math.max(bandwidthMs, requestMs);
  }
}

/** Fetch from a replica: replica_id ≥ 0 (v0-14) or replica_state.replica_id ≥ 0 (v15+). */
function isFollowerFetch(request: FetchRequest, version: number): boolean {
  if (version >= 15) return (request.replicaState?.replicaId ?? -1) >= 0;
  return request.replicaId >= 0;
}

/** The connection_creation_rate quotas of IP entities (KIP-612): address → rate, null → /ips/<default>. */
export function ipConnectionRates(entries: readonly QuotaEntry[]): Map<string | null, number> {
  const out = new Map<string | null, number>();
  for (const e of entries) {
    const rate = e.values.connection_creation_rate;
    if (e.entity.ip === undefined || rate === undefined || e.entity.user !== undefined || e.entity.clientId !== undefined) continue;
    out.set(e.entity.ip, rate);
  }
  return out;
}

/** Whether the store holds any quota a request is measured against. */
function hasClientQuota(entries: readonly QuotaEntry[]): boolean {
  for (const e of entries) {
    if (e.entity.ip !== undefined) continue;
    const v = e.values;
    if (v.producer_byte_rate !== undefined || v.consumer_byte_rate !== undefined || v.request_percentage !== undefined) return true;
  }
  return false;
}

/**
 * Keeps `context.quotas` in step with the security store: a ClientQuotaManager while any client quota
 * exists, undefined otherwise (the dispatcher then skips quotas altogether). Sensors survive changes of
 * the quota values. Returns the unsubscribe.
 */
export function attachClientQuotas(context: BrokerContext, now: () => number = Date.now): () => void {
  const config: QuotaWindowConfig = {
    samples: context.config.get('quota.window.num'),
    windowMs: context.config.get('quota.window.size.seconds') * 1000,
  };
  let manager: ClientQuotaManager | undefined;
  const apply = (entries: readonly QuotaEntry[]) => {
    if (!hasClientQuota(entries)) {
      context.quotas = undefined;
      return;
    }
    if (manager === undefined) manager = new ClientQuotaManager(entries, config, now);
    else manager.quotas.update(entries);
    context.quotas = manager;
  };
  apply(context.securityStore.current().quotas);
  return context.securityStore.onChange((image) => apply(image.quotas));
}
