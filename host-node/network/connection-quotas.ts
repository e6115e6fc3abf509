// Connection limits as Kafka's ConnectionQuotas enforces them when a listener accepts:
//
// - `max.connections` (broker-wide) and `listener.name.<l>.max.connections`: at the limit Kafka's acceptor
//   stops accepting until a connection closes; new sockets wait in the listen backlog. Node accepts on its
//   own, so a socket accepted at the limit is parked instead: it is paused (nothing read, nothing answered,
//   exactly what a socket in the backlog sees) and queued in arrival order; a connection closing admits the
//   next. Parked sockets are bounded (`maxParked`, the listen backlog): past it a new socket is closed, as
//   the kernel refuses a connection when the backlog is full.
// - `max.connection.creation.rate` (broker-wide) and `listener.name.<l>.max.connection.creation.rate`: each
//   accept is recorded in a windowed rate (quota.window.*); over the rate the acceptor waits the throttle
//   time (bounded by one window) before it accepts again.
// - `max.connections.per.ip` and `max.connections.per.ip.overrides`: a connection from an address already
//   at its limit is closed at once (Kafka's TooManyConnectionsException).
// - `connection_creation_rate` quotas on /ips/<ip> and /ips/<default> (KIP-612, from the security store): a
//   connection over its address's rate is closed once the throttle time is over (Kafka's delayed close, so
//   the client does not reconnect at once), without counting as a connection.
// - The protected listener (Kafka's inter-broker listener, when the broker has several) is exempt from the
//   broker-wide limit and rate, never from its own.
//
// Time comes from `now` and waits go through `setTimer`, so tests can drive the clock.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { QuotaSensor, type QuotaWindowConfig } from '../../common/windowed-rate.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/types.js';
import { parseIpOverrides } from '../config/quota-defs.js';

export interface ConnectionQuotaConfig {
  /** max.connections. */
  readonly maxConnections: number;
  /** listener name (upper-case) → listener.name.<l>.max.connections. */
  readonly listenerMaxConnections: ReadonlyMap<string, number>;
  /** max.connections.per.ip. */
  readonly maxConnectionsPerIp: number;
  /** max.connections.per.ip.overrides, resolved to addresses. */
  readonly maxConnectionsPerIpOverrides: ReadonlyMap<string, number>;
  /** max.connection.creation.rate (connections per second). */
  readonly maxConnectionCreationRate: number;
  /** listener name → listener.name.<l>.max.connection.creation.rate. */
  readonly listenerMaxConnectionCreationRate: ReadonlyMap<string, number>;
  readonly window: QuotaWindowConfig;
  /** The listener exempt from the broker-wide limits (the inter-broker one, when there are several). */
  readonly protectedListener?: string;
  /** Sockets parked per listener at most (the listen backlog). */
  readonly maxParked?: number;
}

/** A socket waiting to be accepted: admit it, refuse it (close at once), or it went away while it waited. */
export interface PendingSocket {
  readonly remoteAddress: string;
  admit(): void;
  /** Close it: at once, or after `delayMs` (a throttled address). */
  refuse(why: string, delayMs?: number): void;
  gone(): boolean;
}

interface ListenerState {
  readonly name: string;
  count: number;
  readonly waiting: PendingSocket[];
  /** The head's throttle ends then (its accept was recorded), or undefined. */
  throttleEndMs: number | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  rate: QuotaSensor | undefined;
}

/** Kafka's Integer.MAX_VALUE: no limit. */
const NO_LIMIT = 2147483647;
/** An address's rate sensor is dropped after an hour without connections (as Kafka's inactive sensors). */
const IP_SENSOR_EXPIRATION_MS = 3600 * 1000;
const IP_SENSOR_SWEEP_MS = 60_000;

export class ConnectionQuotas {
  private readonly listeners = new Map<string, ListenerState>();
  private readonly perIp = new Map<string, number>();
  private total = 0;
  private readonly brokerRate: QuotaSensor | undefined;
  private closedForGood = false;
  /** connection_creation_rate by address (normalized), and of /ips/<default>. */
  private ipRates: ReadonlyMap<string, number> = new Map();
  private ipDefaultRate: number | undefined;
  private readonly ipSensors = new Map<string, QuotaSensor>();
  private lastIpExpiryMs = 0;

  constructor(
    private readonly config: ConnectionQuotaConfig,
    private readonly now: () => number = Date.now,
    private readonly setTimer: (fn: () => void, ms: number) => ReturnType<typeof setTimeout> = (fn, ms) => setTimeout(fn, ms),
  ) {
    this.brokerRate = config.maxConnectionCreationRate < NO_LIMIT ? new QuotaSensor(config.window, true) : undefined;
  }

  /** Connections admitted and not yet closed (on `listener`, or in all). */
  connectionCount(listener?: string): number {
    return listener === undefined ? this.total : (this.listeners.get(listener.toUpperCase())?.count ?? 0);
  }

  /** Sockets waiting for a slot on `listener`. */
  waitingCount(listener: string): number {
    return this.listeners.get(listener.toUpperCase())?.waiting.length ?? 0;
  }

  /** A listener accepted a socket: it is admitted now, later (a slot or the rate), or refused. */
  accept(listener: string, socket: PendingSocket): void {
    const l = this.state(listener);
    if (this.closedForGood) return socket.refuse('the broker is shutting down');
    if (l.waiting.length >= (this.config.maxParked ?? 1024)) return socket.refuse(`listener ${l.name}: its backlog of waiting connections is full`);
    l.waiting.push(socket);
    this.drain(l);
  }

  /** An admitted connection closed: its slot frees (the next waiting socket, on any listener, may go). */
  closed(listener: string, remoteAddress: string): void {
    const l = this.state(listener);
    l.count--;
    this.total--;
    const ip = normalizeAddress(remoteAddress);
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
    if (this.listeners.size === 1) this.drain(l);
    else for (const x of this.listeners.values()) this.drain(x);
  }

  /**
   * The connection_creation_rate quotas of IP entities (KIP-612): address → rate, null → the default for
   * every address without its own. Applies to the next connection.
   */
  updateIpConnectionRates(rates: ReadonlyMap<string | null, number>): void {
    const byIp = new Map<string, number>();
    for (const [ip, rate] of rates) if (ip !== null) byIp.set(normalizeAddress(ip), rate);
    this.ipRates = byIp;
    this.ipDefaultRate = rates.get(null);
  }

  /** Refuses every waiting socket and stops the timers (the listeners are closing). */
  close(): void {
    this.closedForGood = true;
    for (const l of this.listeners.values()) {
      clearTimeout(l.timer);
      l.timer = undefined;
      for (const s of l.waiting.splice(0)) s.refuse('the broker is shutting down');
    }
  }

  private state(listener: string): ListenerState {
    const name = listener.toUpperCase();
    let l = this.listeners.get(name);
    if (l === undefined) {
      const rate = this.config.listenerMaxConnectionCreationRate.get(name);
      l = { name, count: 0, waiting: [], throttleEndMs: undefined, timer: undefined, rate: rate !== undefined && rate < NO_LIMIT ? new QuotaSensor(this.config.window, true) : undefined };
      this.listeners.set(name, l);
    }
    return l;
  }

  /** Admits waiting sockets in order while the rate and the slots allow (Kafka's waitForConnectionSlot + inc). */
  private drain(l: ListenerState): void {
    while (l.waiting.length > 0 && l.timer === undefined) {
      const head = l.waiting[0]!;
      if (head.gone()) {
        l.waiting.shift();
        l.throttleEndMs = undefined;
        continue;
      }
      const now = this.now();
      // The acceptor records the connection in the creation rates as it takes it, then waits out the throttle.
      if (l.throttleEndMs === undefined) l.throttleEndMs = now + this.recordCreation(l, now);
      if (now < l.throttleEndMs) {
        l.timer = this.setTimer(() => {
          l.timer = undefined;
          this.drain(l);
        }, l.throttleEndMs - now);
        return;
      }
      if (!this.slotAvailable(l)) return; // woken by closed()
      l.waiting.shift();
      l.throttleEndMs = undefined;
      const ip = normalizeAddress(head.remoteAddress);
      const ipThrottleMs = this.recordIpConnection(ip, now);
      if (ipThrottleMs > 0) {
        head.refuse(`connection rate from ${ip} over its connection_creation_rate quota`, ipThrottleMs);
        continue;
      }
      const count = this.perIp.get(ip) ?? 0;
      const max = this.config.maxConnectionsPerIpOverrides.get(ip) ?? this.config.maxConnectionsPerIp;
      if (count >= max) {
        head.refuse(`too many connections from ${ip} (max.connections.per.ip ${max})`);
        continue;
      }
      this.perIp.set(ip, count + 1);
      l.count++;
      this.total++;
      head.admit();
    }
  }

  /** Records a connection from `ip` against its address's rate quota, if it has one; the throttle time. */
  private recordIpConnection(ip: string, now: number): number {
    const rate = this.ipRates.get(ip) ?? this.ipDefaultRate;
    if (rate === undefined) return 0;
    if (now - this.lastIpExpiryMs >= IP_SENSOR_SWEEP_MS) {
      this.lastIpExpiryMs = now;
      for (const [k, s] of this.ipSensors) if (now - s.rate.lastRecordMs >= IP_SENSOR_EXPIRATION_MS) this.ipSensors.delete(k);
    }
    let s = this.ipSensors.get(ip);
    if (s === undefined) this.ipSensors.set(ip, (s = new QuotaSensor(this.config.window, true)));
    return s.recordAndGetThrottleTimeMs(1, rate, now);
  }

  private slotAvailable(l: ListenerState): boolean {
    const listenerMax = this.config.listenerMaxConnections.get(l.name);
    if (listenerMax !== undefined && l.count >= listenerMax) return false;
    if (this.isProtected(l)) return true;
    return this.total < this.config.maxConnections;
  }

  private isProtected(l: ListenerState): boolean {
    return this.config.protectedListener !== undefined && this.config.protectedListener.toUpperCase() === l.name;
  }

  /** Records one connection in the broker's (unless protected) and the listener's rate; the longer throttle. */
  private recordCreation(l: ListenerState, now: number): number {
    let ms = 0;
    if (this.brokerRate !== undefined && !this.isProtected(l)) ms = this.brokerRate.recordAndGetThrottleTimeMs(1, this.config.maxConnectionCreationRate, now);
    if (l.rate !== undefined) ms = Math.max(ms, l.rate.recordAndGetThrottleTimeMs(1, this.config.listenerMaxConnectionCreationRate.get(l.name)!, now));
    return ms;
  }
}

/** "::ffff:10.0.0.1" (an IPv4 peer on a dual-stack socket) → "10.0.0.1". */
export function normalizeAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/**
 * The broker's connection limits from its config; max.connections.per.ip.overrides names are resolved to
 * their addresses (every address a name has).
 */
export async function connectionQuotaConfig(config: BrokerConfig, listenerNames: readonly string[]): Promise<ConnectionQuotaConfig> {
  const perIp = config.get('max.connections.per.ip');
  const overridesByHost = parseIpOverrides(config.get('max.connections.per.ip.overrides')) as Map<string, number>;
  if (perIp === 0 && overridesByHost.size === 0)
    throw new ConfigError('max.connections.per.ip', 'max.connections.per.ip must be greater than 0 unless max.connections.per.ip.overrides is set');
  const overrides = new Map<string, number>();
  for (const [host, n] of overridesByHost) {
    if (isIP(host) !== 0) overrides.set(normalizeAddress(host), n);
    else {
      let addrs: { address: string }[];
      try {
        addrs = await lookup(host, { all: true });
      } catch (e) {
        throw new ConfigError('max.connections.per.ip.overrides', `Cannot resolve ${host}: ${(e as Error).message}`);
      }
      for (const a of addrs) overrides.set(normalizeAddress(a.address), n);
    }
  }
  const listenerMax = new Map<string, number>();
  const listenerRate = new Map<string, number>();
  for (const name of listenerNames) {
    const max = config.listenerConnectionLimit(name, 'max.connections');
    if (max !== undefined) listenerMax.set(name.toUpperCase(), max);
    const rate = config.listenerConnectionLimit(name, 'max.connection.creation.rate');
    if (rate !== undefined) listenerRate.set(name.toUpperCase(), rate);
  }
  const c: ConnectionQuotaConfig = {
    maxConnections: config.get('max.connections'),
    listenerMaxConnections: listenerMax,
    maxConnectionsPerIp: perIp,
    maxConnectionsPerIpOverrides: overrides,
    maxConnectionCreationRate: config.get('max.connection.creation.rate'),
    listenerMaxConnectionCreationRate: listenerRate,
    window: { samples: config.get('quota.window.num'), windowMs: config.get('quota.window.size.seconds') * 1000 },
  };
  return c;
}
