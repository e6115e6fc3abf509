// Key store and trust store reload without a restart (KIP-226): the dynamic BROKER configs
// `listener.name.<listener>.ssl.<store key>` (one listener) and `ssl.<store key>` (every TLS listener that
// does not set that key itself), given with IncrementalAlterConfigs or AlterConfigs for this broker's id.
// Setting a store's location again, even to the same value, reads the files again. The new stores are
// read and checked (key against certificate, passwords, the subject of the certificate unchanged, as
// Kafka requires) before anything changes: a store that fails leaves the old one serving (INVALID_CONFIG).
// Connections already established keep their TLS session; new ones get the new certificate.
//
// The values live in memory for the broker's lifetime (a restart reads the static config, which names the
// same files).
import { X509Certificate } from 'node:crypto';
import type { TlsOptions } from 'node:tls';
import { ErrorCode } from '../../protocol/errors.js';
import type { BrokerConfig, SslConfig } from '../config/broker-config.js';
import { SSL_CONFIG_DEFS, type SslConfigKey } from '../config/ssl-defs.js';
import { ConfigError, parseValue, type ConfigDef } from '../config/types.js';
import { sslServerOptions } from '../network/ssl-factory.js';
import { AdminError } from '../topics/topic-registry.js';

/** Kafka's reconfigurable key store and trust store configs (SslConfigs.RECONFIGURABLE_CONFIGS). */
export const DYNAMIC_SSL_KEYS: readonly SslConfigKey[] = [
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.password',
  'ssl.key.password',
  'ssl.keystore.key',
  'ssl.keystore.certificate.chain',
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.password',
  'ssl.truststore.certificates',
];

/** A TLS listener whose stores can be replaced (network/tcp-listener.ts's TcpListener). */
export interface ReloadableListener {
  readonly name: string;
  /** The TLS options served now (undefined: not a TLS listener). */
  readonly tls: TlsOptions | undefined;
  setSecureContext(options: TlsOptions): void;
}

/** One key of a BROKER resource change: a value to set, or null to go back to the static config. */
export interface BrokerConfigChange {
  readonly name: string;
  readonly value: string | null;
}

/** `ssl.x` (broker-wide, '') or `listener.name.<l>.ssl.x` (<L>) → the scope and the key; null for any other key. */
export function dynamicSslKey(name: string): { listener: string; key: SslConfigKey } | null {
  const m = /^(?:listener\.name\.([a-z0-9_-]+)\.)?(ssl\..+)$/.exec(name);
  if (!m || !(DYNAMIC_SSL_KEYS as readonly string[]).includes(m[2]!)) return null;
  return { listener: (m[1] ?? '').toUpperCase(), key: m[2] as SslConfigKey };
}

export class DynamicListenerSsl {
  /** Dynamic values by scope ('' = broker-wide, else an upper-cased listener name). */
  private dynamic = new Map<string, Map<SslConfigKey, unknown>>();

  constructor(
    private readonly config: BrokerConfig,
    listeners: readonly ReloadableListener[],
  ) {
    this.listeners = listeners.filter((l) => l.tls !== undefined);
  }
  private readonly listeners: readonly ReloadableListener[];

  /**
   * Applies `changes` (every key must be a dynamic ssl key), on top of the dynamic values set so far, or,
   * with `replace`, instead of them (AlterConfigs). Throws AdminError (INVALID_CONFIG / INVALID_REQUEST)
   * and changes nothing when a key or a store is refused.
   */
  alter(resourceName: string, changes: readonly BrokerConfigChange[], o: { replace: boolean; validateOnly: boolean }): void {
    const next = new Map<string, Map<SslConfigKey, unknown>>();
    if (!o.replace) for (const [scope, m] of this.dynamic) next.set(scope, new Map(m));
    const unknown = changes.filter((c) => dynamicSslKey(c.name) === null).map((c) => c.name);
    if (unknown.length > 0)
      throw new AdminError(ErrorCode.INVALID_CONFIG, `Cannot update these configs dynamically: ${unknown.join(', ')} (of the broker configs, the key stores and trust stores of TLS listeners can be)`);
    if (resourceName === '' && changes.length > 0)
      throw new AdminError(ErrorCode.INVALID_REQUEST, `Cannot update these configs at default cluster level, broker id must be specified: ${changes.map((c) => c.name).join(', ')}`);
    for (const c of changes) {
      const { listener, key } = dynamicSslKey(c.name)!;
      if (listener !== '' && !this.listeners.some((l) => l.name === listener))
        throw new AdminError(ErrorCode.INVALID_CONFIG, `${c.name}: ${listener} is not a TLS listener of this broker`);
      let scope = next.get(listener);
      if (scope === undefined) next.set(listener, (scope = new Map()));
      if (c.value === null) scope.delete(key);
      else {
        try {
          scope.set(key, parseValue(c.name, SSL_CONFIG_DEFS[key] as ConfigDef<unknown>, c.value));
        } catch (e) {
          throw new AdminError(ErrorCode.INVALID_CONFIG, (e as Error).message);
        }
      }
    }
    // Every TLS listener whose stores the change touches is rebuilt and checked before any is replaced.
    const touched = new Set(changes.map((c) => dynamicSslKey(c.name)!.listener));
    if (o.replace) for (const scope of this.dynamic.keys()) touched.add(scope);
    const rebuilt: Array<{ listener: ReloadableListener; options: TlsOptions }> = [];
    for (const l of this.listeners) {
      if (!touched.has('') && !touched.has(l.name)) continue;
      const ssl = this.effective(l.name, next);
      let options: TlsOptions;
      try {
        options = sslServerOptions(l.name, ssl);
        checkSameSubject(l.name, l.tls!, options);
      } catch (e) {
        if (e instanceof ConfigError) throw new AdminError(ErrorCode.INVALID_CONFIG, `Validation of dynamic config update of SSLFactory failed: ${e.message}`);
        throw e;
      }
      rebuilt.push({ listener: l, options });
    }
    if (o.validateOnly) return;
    for (const r of rebuilt) r.listener.setSecureContext(r.options);
    this.dynamic = next;
  }

  /** A listener's ssl.* values now, with the dynamic ones (the broker's client side of inter-broker links uses them too). */
  sslConfig(listener: string): SslConfig {
    return this.effective(listener.toUpperCase(), this.dynamic);
  }

  /** A listener's ssl.* values: dynamic for the listener > static for the listener > dynamic broker-wide > static broker-wide. */
  private effective(listener: string, dynamic: ReadonlyMap<string, ReadonlyMap<SslConfigKey, unknown>>): SslConfig {
    const out: Record<string, unknown> = { ...this.config.sslConfig(listener) };
    const own = this.config.listenerSslOverrides(listener);
    for (const [k, v] of dynamic.get('') ?? []) if (!own.has(k)) out[k] = v;
    for (const [k, v] of dynamic.get(listener) ?? []) out[k] = v;
    return out as SslConfig;
  }
}

/**
 * Kafka refuses a new key store whose certificate names another subject than the one in use (clients and
 * other brokers were told to expect it). Checked when both are PEM; PKCS12 key stores are not opened here.
 */
function checkSameSubject(listener: string, before: TlsOptions, after: TlsOptions): void {
  const subject = (o: TlsOptions): string | null => (typeof o.cert === 'string' ? new X509Certificate(o.cert).subject : null);
  const was = subject(before);
  const now = subject(after);
  if (was !== null && now !== null && was !== now)
    throw new ConfigError('ssl.keystore.location', `Listener ${listener}: Keystore DistinguishedName does not match: existing={${was.replace(/\n/g, ', ')}}, new={${now.replace(/\n/g, ', ')}}`);
}
