// Client quotas and connection limits: the broker configs Kafka gives them, with Kafka's names and
// defaults. Spread into BROKER_CONFIG_DEFS. The quotas themselves (producer_byte_rate, ...) are not broker
// configs: they live in the security store, per user and client id (security/client-quotas.ts).
import { int, str } from './types.js';

/** Kafka's Integer.MAX_VALUE: the default of every connection limit ("no limit"). */
export const INT_MAX = 2147483647;

/** Connection limits a listener may override as `listener.name.<listener>.<key>`. */
export const LISTENER_CONNECTION_KEYS = ['max.connections', 'max.connection.creation.rate'] as const;
export type ListenerConnectionKey = (typeof LISTENER_CONNECTION_KEYS)[number];

const nonNegative = (v: number) => (v < 0 ? 'Value must be at least 0' : undefined);
const positive = (v: number) => (v < 1 ? 'Value must be at least 1' : undefined);

/**
 * `host:count,...` (max.connections.per.ip.overrides) → host → count, or the reason it is malformed. Hosts
 * are IP addresses or names (names are resolved when the limits are built).
 */
export function parseIpOverrides(s: string): Map<string, number> | string {
  const out = new Map<string, number>();
  if (s.trim() === '') return out;
  for (const part of s.split(',')) {
    const e = part.trim();
    const i = e.lastIndexOf(':');
    const host = i > 0 ? e.slice(0, i).trim().replace(/^\[(.*)\]$/, '$1') : '';
    const n = i > 0 ? e.slice(i + 1).trim() : '';
    if (host === '' || !/^\d+$/.test(n) || Number(n) > INT_MAX) return `Invalid entry ${e} (expected host:count)`;
    out.set(host, Number(n));
  }
  return out;
}

export const QUOTA_CONFIG_DEFS = {
  'quota.window.num': int({
    default: 11,
    validate: positive,
    importance: 'low',
    doc: 'The number of samples to retain in memory for client quotas.',
  }),
  'quota.window.size.seconds': int({
    default: 1,
    validate: positive,
    importance: 'low',
    doc: 'The time span of each sample for client quotas.',
  }),
  'max.connections': int({
    default: INT_MAX,
    validate: nonNegative,
    importance: 'medium',
    doc:
      'The maximum number of connections the broker accepts at any time (on top of any listener.name.<listener>.max.connections). ' +
      'At the limit the broker stops accepting until a connection closes; new sockets wait. The inter-broker listener is exempt when there are several listeners.',
  }),
  'max.connections.per.ip': int({
    default: INT_MAX,
    validate: nonNegative,
    importance: 'medium',
    doc: 'The maximum number of connections allowed from each IP address (0 only with overrides). A connection over the limit is closed at once.',
  }),
  'max.connections.per.ip.overrides': str({
    default: '',
    validate: (v) => {
      const m = parseIpOverrides(v);
      return typeof m === 'string' ? m : undefined;
    },
    importance: 'medium',
    doc: 'Per-IP or hostname overrides of max.connections.per.ip (host:count, comma-separated), e.g. "hostName:100,127.0.0.1:200".',
  }),
  'max.connection.creation.rate': int({
    default: INT_MAX,
    validate: nonNegative,
    importance: 'medium',
    doc:
      'The maximum connection creation rate (connections per second) the broker accepts (on top of any listener.name.<listener>.max.connection.creation.rate). ' +
      'Over the rate, accepting is delayed. The inter-broker listener is exempt when there are several listeners.',
  }),
};
