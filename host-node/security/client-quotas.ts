// Client quotas as Kafka enforces them: which quota applies to a (user, client id) pair, the windowed rate
// each quota is measured with, and the throttle time a violation earns.
//
// - Resolution is Kafka's DefaultQuotaCallback: per quota type, the most specific entity that sets that type
//   wins, in this order: /users/<u>/clients/<c>, /users/<u>/clients/<default>, /users/<u>,
//   /users/<default>/clients/<c>, /users/<default>/clients/<default>, /users/<default>, /clients/<c>,
//   /clients/<default>. The match also names the sensor the client's usage is recorded in (Kafka's metric
//   tags): a quota on /users/<default> gives each user a sensor of its own, shared by its client ids.
// - The rate is Kafka's Rate over a SampledStat (common/windowed-rate.ts, shared with the connection rate):
//   `quota.window.num` samples of `quota.window.size.seconds` each, the oldest recycled as time moves on, and
//   a window span of at least (samples − 1) windows, so a client's first burst is spread over the whole span.
// - The throttle time is Kafka's QuotaUtils.throttleTime: (observed − quota) / quota × window span, the
//   time the rate needs to fall back to the quota if nothing more is recorded; request_percentage bounds it
//   by one window (ClientRequestQuotaManager), the byte rates do not.
import type { QuotaEntity, QuotaEntry, QuotaKey } from './security-store.js';
import { QuotaSensor, type QuotaWindowConfig } from '../../common/windowed-rate.js';

export { QuotaSensor, WindowedRate, throttleTimeMs, type QuotaWindowConfig } from '../../common/windowed-rate.js';

/** The quota types a request is measured against (connection_creation_rate and controller_mutation_rate are not). */
export type ClientQuotaType = Extract<QuotaKey, 'producer_byte_rate' | 'consumer_byte_rate' | 'request_percentage'>;
export const CLIENT_QUOTA_TYPES: readonly ClientQuotaType[] = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage'];

export const DEFAULT_QUOTA_WINDOW: QuotaWindowConfig = Object.freeze({ samples: 11, windowMs: 1000 });

/**
 * The quota that applies to a client, and the sensor it shares (Kafka's metric tags: the user and client id
 * the matched entity names, '' where it names none).
 */
export interface ResolvedQuota {
  readonly limit: number;
  readonly userTag: string;
  readonly clientTag: string;
}

/** One quota type's values by entity, looked up in DefaultQuotaCallback's order. */
export class ClientQuotaIndex {
  private readonly byType = new Map<ClientQuotaType, Map<string, number>>();

  constructor(entries: readonly QuotaEntry[]) {
    for (const e of entries) {
      const key = entityKey(e.entity);
      if (key === null) continue;
      for (const t of CLIENT_QUOTA_TYPES) {
        const v = e.values[t];
        if (v === undefined) continue;
        let m = this.byType.get(t);
        if (m === undefined) this.byType.set(t, (m = new Map()));
        m.set(key, v);
      }
    }
  }

  /** Whether any entity sets a quota of any client type (none: nothing is ever throttled). */
  get isEmpty(): boolean {
    return this.byType.size === 0;
  }

  has(type: ClientQuotaType): boolean {
    return this.byType.has(type);
  }

  /** The quota of `type` for `user` (the principal's name) and `clientId`, or undefined when none applies. */
  resolve(type: ClientQuotaType, user: string, clientId: string): ResolvedQuota | undefined {
    const m = this.byType.get(type);
    if (m === undefined) return undefined;
    const at = (u: string | null | undefined, c: string | null | undefined) => m.get(key(u, c));
    let v: number | undefined;
    if ((v = at(user, clientId)) !== undefined) return { limit: v, userTag: user, clientTag: clientId };
    if ((v = at(user, null)) !== undefined) return { limit: v, userTag: user, clientTag: clientId };
    if ((v = at(user, undefined)) !== undefined) return { limit: v, userTag: user, clientTag: '' };
    if ((v = at(null, clientId)) !== undefined) return { limit: v, userTag: user, clientTag: clientId };
    if ((v = at(null, null)) !== undefined) return { limit: v, userTag: user, clientTag: clientId };
    if ((v = at(null, undefined)) !== undefined) return { limit: v, userTag: user, clientTag: '' };
    if ((v = at(undefined, clientId)) !== undefined) return { limit: v, userTag: '', clientTag: clientId };
    if ((v = at(undefined, null)) !== undefined) return { limit: v, userTag: '', clientTag: clientId };
    return undefined;
  }
}

/** A user/client-id entity's lookup key; null for entities a request quota never matches (ip, empty). */
function entityKey(e: QuotaEntity): string | null {
  if (e.ip !== undefined) return null;
  if (e.user === undefined && e.clientId === undefined) return null;
  return key(e.user, e.clientId);
}

/** undefined = the entity has no such part, null = `<default>`, a string = that name. */
function key(user: string | null | undefined, clientId: string | null | undefined): string {
  const part = (x: string | null | undefined) => (x === undefined ? '-' : x === null ? 'd' : 'n' + x);
  return `${part(user)}\u0000${part(clientId)}`;
}

/** request_percentage is recorded as handler time in "percent-seconds": 1 s of one thread = 100. */
export const NANOS_TO_PERCENTAGE_PER_SECOND = 100 / 1e9;

/** Kafka drops the sensors of clients idle this long (ClientQuotaManager's InactiveSensorExpirationTimeSeconds). */
export const INACTIVE_SENSOR_EXPIRATION_MS = 3600 * 1000;

/**
 * Every client's quota sensors over one image of the quotas: `record` resolves the client's quota of a type,
 * records into the sensor it names and returns the throttle time. Pure bookkeeping: the caller supplies the
 * time, the principal's name and the client id.
 */
export class ClientQuotas {
  private index: ClientQuotaIndex;
  private readonly sensors = new Map<string, QuotaSensor>();
  /** user → client id → type → resolved quota (or null), valid for the current index. */
  private readonly resolved = new Map<string, Map<ClientQuotaType, ResolvedQuota | null>>();
  private lastExpiryMs = 0;

  constructor(
    entries: readonly QuotaEntry[],
    private readonly config: QuotaWindowConfig = DEFAULT_QUOTA_WINDOW,
  ) {
    this.index = new ClientQuotaIndex(entries);
  }

  /** New quota values (a change in the store): resolution starts over, sensors keep their history. */
  update(entries: readonly QuotaEntry[]): void {
    this.index = new ClientQuotaIndex(entries);
    this.resolved.clear();
  }

  get isEmpty(): boolean {
    return this.index.isEmpty;
  }

  /** Whether any quota of `type` exists (a caller may skip measuring what no quota bounds). */
  has(type: ClientQuotaType): boolean {
    return this.index.has(type);
  }

  /** The quota of `type` that applies to the client, cached until the next update. */
  quotaFor(type: ClientQuotaType, user: string, clientId: string): ResolvedQuota | undefined {
    const k = `${user}\u0000${clientId}`;
    let byType = this.resolved.get(k);
    if (byType === undefined) {
      if (this.resolved.size >= MAX_RESOLVED) this.resolved.clear();
      this.resolved.set(k, (byType = new Map()));
    }
    let r = byType.get(type);
    if (r === undefined) byType.set(type, (r = this.index.resolve(type, user, clientId) ?? null));
    return r ?? undefined;
  }

  /** Records `value` for the client against its quota of `type`; returns the throttle time in ms (0: none). */
  record(type: ClientQuotaType, user: string, clientId: string, value: number, nowMs: number): number {
    const q = this.quotaFor(type, user, clientId);
    if (q === undefined) return 0;
    const sensorKey = `${type}\u0000${q.userTag}\u0000${q.clientTag}`;
    let s = this.sensors.get(sensorKey);
    if (s === undefined) this.sensors.set(sensorKey, (s = new QuotaSensor(this.config, type === 'request_percentage')));
    this.maybeExpire(nowMs);
    return s.recordAndGetThrottleTimeMs(value, q.limit, nowMs);
  }

  /** Takes a recorded value back out of the client's sensor (a throttled Fetch that returns no data). */
  unrecord(type: ClientQuotaType, user: string, clientId: string, value: number, nowMs: number): void {
    const q = this.quotaFor(type, user, clientId);
    if (q === undefined) return;
    this.sensors.get(`${type}\u0000${q.userTag}\u0000${q.clientTag}`)?.rate.unrecord(value, nowMs);
  }

  /** Sensors currently held (tests). */
  get sensorCount(): number {
    return this.sensors.size;
  }

  private maybeExpire(nowMs: number): void {
    if (nowMs - this.lastExpiryMs < EXPIRY_SWEEP_MS) return;
    this.lastExpiryMs = nowMs;
    for (const [k, s] of this.sensors) if (nowMs - s.rate.lastRecordMs >= INACTIVE_SENSOR_EXPIRATION_MS) this.sensors.delete(k);
  }
}

/** Bound on cached resolutions (distinct user/client-id pairs); the cache starts over past it. */
const MAX_RESOLVED = 10_000;
/** How often idle sensors are looked for. */
const EXPIRY_SWEEP_MS = 60_000;
