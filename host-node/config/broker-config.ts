// The broker's configuration: one table of Kafka config names (types, defaults, validation, docs), and a
// loader that merges the sources in precedence order:
//   defaults < --config server.properties < env RIVULET_<KEY> < --set key=value < explicit flags
// To add a config key: add one entry to BROKER_CONFIG_DEFS (with Kafka's name, type and default); it is
// then accepted from every source, typed in `config.get('the.key')`, and listed by `rivulet broker --help`.

import { readFileSync } from 'node:fs';
import { parseProperties } from './properties.js';
import { parseEndpoints, type Endpoint } from './listeners.js';
import { CLEANER_CONFIG_DEFS } from './cleaner-defs.js';
import { COMPRESSION_CONFIG_DEFS } from './compression-defs.js';
import { MESSAGE_FORMAT_CONFIG_DEFS } from './message-format-defs.js';
import { CLUSTER_CONFIG_DEFS, checkClusterConfig } from './cluster-defs.js';
import { GROUP_CONFIG_DEFS } from './group-defs.js';
import { METRICS_CONFIG_DEFS } from './metrics-defs.js';
import { AUTHORIZER_CONFIG_DEFS } from './authorizer-defs.js';
import { OAUTHBEARER_CONFIG_DEFS, OAUTHBEARER_KEYS, oauthBearerListenerSettings, type OAuthBearerListenerSettings } from './oauthbearer-defs.js';
import { QUOTA_CONFIG_DEFS, LISTENER_CONNECTION_KEYS, type ListenerConnectionKey } from './quota-defs.js';
import { INTER_BROKER_CONFIG_DEFS, interBrokerListenerName } from './inter-broker-defs.js';
import { WS_CONFIG_DEFS } from './ws-defs.js';
import { SSL_CONFIG_DEFS, SSL_KEYS, checkListenerProtocols, parseProtocolMap, type SecurityProtocol, type SslConfigKey } from './ssl-defs.js';
import { SASL_CONFIG_DEFS, SASL_LISTENER_KEYS } from './sasl-defs.js';
import {
  ConfigError,
  atLeast,
  bool,
  checkTyped,
  eachOneOf,
  nullableInt,
  nullableLong,
  oneOf,
  orNull,
  int,
  long,
  nullableList,
  nullableStr,
  list,
  str,
  parseValue,
  checkValue,
  type ConfigDef,
  type ValueOf,
  type Validator,
} from './types.js';

const listenersValidator: Validator<string[] | null> = (v) => {
  if (v === null) return undefined;
  if (v.length === 0) return 'At least one listener is required';
  const eps = parseEndpoints(v);
  // Each name's security protocol is checked against listener.security.protocol.map once every key is known.
  return typeof eps === 'string' ? eps : undefined;
};

const CLUSTER_ID_RE = /^[A-Za-z0-9_-]{22}$/;

export const BROKER_CONFIG_DEFS = {
  'node.id': int({
    default: 1,
    validate: atLeast(0),
    importance: 'high',
    doc: 'The node ID of this broker (Kafka requires it in KRaft mode; Rivulet defaults to 1).',
  }),
  listeners: list({
    default: ['PLAINTEXT://127.0.0.1:9092'],
    validate: listenersValidator as Validator<string[]>,
    importance: 'high',
    doc: 'Comma-separated listeners NAME://host:port. Empty host = all interfaces; port 0 = an ephemeral port.',
  }),
  'advertised.listeners': nullableList({
    validate: (v, k) => {
      const r = listenersValidator(v, k);
      if (r) return r;
      const eps = v === null ? [] : parseEndpoints(v);
      if (typeof eps !== 'string' && eps.some((e) => e.host === '0.0.0.0' || e.host === '::'))
        return 'advertised.listeners cannot use the nonroutable meta-address 0.0.0.0 or ::';
      return undefined;
    },
    importance: 'high',
    doc: 'Listeners to publish to clients in Metadata, if different from `listeners`.',
  }),
  'broker.rack': nullableStr({ importance: 'medium', doc: 'Rack of the broker (returned in Metadata).' }),
  'log.dir': str({ default: '/tmp/rivulet-logs', importance: 'high', doc: 'The directory in which the log data is kept (used when log.dirs is not set).' }),
  'log.dirs': nullableList({
    validate: (v) => (v !== null && v.length === 0 ? 'At least one log directory is required' : undefined),
    importance: 'high',
    doc: 'Comma-separated directories in which the log data is kept. If not set, log.dir is used.',
  }),
  'socket.request.max.bytes': int({
    default: 104857600,
    validate: atLeast(1),
    importance: 'high',
    doc: 'The maximum number of bytes in a socket request (checked before any buffer is allocated).',
  }),
  'queued.max.requests': int({
    default: 500,
    validate: atLeast(1),
    importance: 'high',
    doc: 'The number of requests one connection may have queued before the broker stops reading from it.',
  }),
  'connections.max.idle.ms': long({
    default: 600000,
    importance: 'medium',
    doc: 'Idle connections are closed after this many milliseconds (negative: never).',
  }),
  'cluster.id': nullableStr({
    validate: (v) => (v !== null && !CLUSTER_ID_RE.test(v) ? 'Expected a 22-character base64url cluster id' : undefined),
    importance: 'medium',
    doc: 'Cluster id to format a new log directory with (Rivulet addition; Kafka sets it with kafka-storage format). Must match meta.properties if that exists.',
  }),

  // ---- topics ---------------------------------------------------------------------------
  'num.partitions': int({ default: 1, validate: atLeast(1), importance: 'medium', doc: 'The default number of partitions of a topic (CreateTopics with -1, auto-created topics).' }),
  'default.replication.factor': int({
    default: 1,
    validate: atLeast(1),
    importance: 'medium',
    doc: 'The default replication factor of a topic (CreateTopics with -1, auto-created topics). Without etcd.connect (a single broker) only 1 is possible.',
  }),
  'auto.create.topics.enable': bool({ default: true, importance: 'high', doc: 'Create a topic (num.partitions, default.replication.factor) when a Metadata request names an unknown one and allows auto-creation.' }),
  'delete.topic.enable': bool({ default: true, importance: 'high', doc: 'Allow DeleteTopics; when false it answers TOPIC_DELETION_DISABLED.' }),

  // ---- log defaults (the storage layer's StorageConfig; topic configs fall back to these) -------------
  'log.segment.bytes': int({ default: 1073741824, validate: atLeast(14), importance: 'high', doc: 'The maximum size of a single log file (segment.bytes of topics without an override).' }),
  'log.roll.ms': nullableLong({ validate: orNull(atLeast(1)), importance: 'high', doc: 'The maximum time before a new log segment is rolled out (in ms). If not set, log.roll.hours is used.' }),
  'log.roll.hours': int({ default: 168, validate: atLeast(1), importance: 'high', doc: 'The maximum time before a new log segment is rolled out (in hours), secondary to log.roll.ms.' }),
  'log.roll.jitter.ms': nullableLong({ validate: orNull(atLeast(0)), importance: 'high', doc: 'The maximum jitter to subtract from the roll time (in ms). If not set, log.roll.jitter.hours is used.' }),
  'log.roll.jitter.hours': int({ default: 0, validate: atLeast(0), importance: 'high', doc: 'The maximum jitter to subtract from the roll time (in hours), secondary to log.roll.jitter.ms.' }),
  'log.index.size.max.bytes': int({ default: 10485760, validate: atLeast(4), importance: 'medium', doc: 'The maximum size in bytes of the offset index.' }),
  'log.index.interval.bytes': int({ default: 4096, validate: atLeast(0), importance: 'medium', doc: 'The interval with which an entry is added to the offset index.' }),
  'log.retention.ms': nullableLong({ importance: 'high', doc: 'How long to keep a log file before deleting it (ms). If not set, log.retention.minutes is used. -1: no time limit.' }),
  'log.retention.minutes': nullableInt({ importance: 'high', doc: 'How long to keep a log file before deleting it (minutes), secondary to log.retention.ms. If not set, log.retention.hours is used.' }),
  'log.retention.hours': int({ default: 168, importance: 'high', doc: 'How long to keep a log file before deleting it (hours), tertiary to log.retention.ms.' }),
  'log.retention.bytes': long({ default: -1, importance: 'high', doc: 'The maximum size of the log before deleting it (-1: no size limit).' }),
  'log.retention.check.interval.ms': long({ default: 300000, validate: atLeast(1), importance: 'medium', doc: 'How often the log cleaner checks whether any log is eligible for deletion (ms).' }),
  'log.cleanup.policy': list({
    default: ['delete'],
    validate: (v, k) => eachOneOf('delete', 'compact')(v, k) ?? (v.length === 0 ? 'Empty list is not allowed' : undefined),
    importance: 'medium',
    doc: 'The default cleanup policy for segments beyond the retention window: delete, compact, or both (compact,delete).',
  }),
  'log.flush.interval.messages': long({ default: Number.MAX_SAFE_INTEGER, validate: atLeast(1), importance: 'high', doc: 'The number of messages accumulated on a log partition before messages are flushed to disk.' }),
  'log.flush.interval.ms': nullableLong({ validate: orNull(atLeast(0)), importance: 'high', doc: 'The maximum time a message stays in memory before it is flushed to disk (ms). If not set, log.flush.scheduler.interval.ms is used.' }),
  'log.flush.scheduler.interval.ms': long({ default: Number.MAX_SAFE_INTEGER, validate: atLeast(0), importance: 'high', doc: 'The frequency in ms at which logs are checked for a flush (the log.flush.interval.ms default).' }),
  'log.flush.offset.checkpoint.interval.ms': int({ default: 60000, validate: atLeast(0), importance: 'high', doc: 'How often the recovery points (last flush) are written to disk (ms).' }),
  'log.flush.start.offset.checkpoint.interval.ms': int({ default: 60000, validate: atLeast(0), importance: 'high', doc: 'How often the log start offsets are written to disk (ms).' }),
  'log.segment.delete.delay.ms': long({ default: 60000, validate: atLeast(0), importance: 'high', doc: 'How long to wait before deleting a file from the filesystem (ms).' }),
  'log.message.timestamp.type': str({
    default: 'CreateTime',
    validate: oneOf('CreateTime', 'LogAppendTime'),
    importance: 'medium',
    doc: 'Whether record timestamps are the producer\'s CreateTime or the broker\'s LogAppendTime.',
  }),
  'message.max.bytes': int({ default: 1048588, validate: atLeast(0), importance: 'high', doc: 'The largest record batch size allowed (max.message.bytes of topics without an override).' }),
  'min.insync.replicas': int({ default: 1, validate: atLeast(1), importance: 'high', doc: 'The minimum number of in-sync replicas for acks=all (a single broker has 1).' }),
  'log.storage.retry.backoff.ms': long({
    default: 1000,
    validate: atLeast(0),
    importance: 'low',
    doc: 'Rivulet addition: after ENOSPC, how long a partition stays offline before an append or read may probe again (ms).',
  }),

  // ---- idempotent producers ----------------------------------------------------------------
  'producer.id.expiration.ms': int({
    default: 86400000,
    validate: atLeast(1),
    importance: 'low',
    doc: 'The time in ms that a partition keeps the state of an idempotent producer that has not written to it (its next write is then accepted with any sequence number).',
  }),
  'producer.id.expiration.check.interval.ms': int({
    default: 600000,
    validate: atLeast(1),
    importance: 'low',
    doc: 'The interval in ms at which partitions drop the producer ids that have expired (producer.id.expiration.ms).',
  }),

  // ---- the log cleaner: log.cleaner.* ------------------------------------------------------
  ...CLEANER_CONFIG_DEFS,
  ...COMPRESSION_CONFIG_DEFS,
  ...MESSAGE_FORMAT_CONFIG_DEFS,

  // ---- cluster: etcd.connect, broker sessions, replica.*, elections, controlled shutdown ----------
  ...CLUSTER_CONFIG_DEFS,

  // ---- group coordinator: group.*, offsets.* ----------------------------------------------
  ...GROUP_CONFIG_DEFS,

  // ---- security: listener.security.protocol.map, ssl.* ------------------------------------
  ...SSL_CONFIG_DEFS,
  ...INTER_BROKER_CONFIG_DEFS,

  // ---- authorization: authorizer.class.name, super.users, allow.everyone.if.no.acl.found -----
  ...AUTHORIZER_CONFIG_DEFS,

  // ---- SASL: sasl.*, connections.max.reauth.ms, connection.failed.authentication.delay.ms -------
  ...SASL_CONFIG_DEFS,

  // ---- SASL/OAUTHBEARER: sasl.oauthbearer.* (KIP-768), sasl.server.callback.handler.class ----------
  ...OAUTHBEARER_CONFIG_DEFS,

  // ---- client quotas and connection limits: quota.window.*, max.connection* -----------------
  ...QUOTA_CONFIG_DEFS,

  // ---- Prometheus endpoint: metrics.* (Rivulet additions) ------------------------------------
  ...METRICS_CONFIG_DEFS,

  // ---- WebSocket listener: ws.* (Rivulet additions) -----------------------------------------
  ...WS_CONFIG_DEFS,
} satisfies Record<string, ConfigDef<any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

export type BrokerConfigKey = keyof typeof BROKER_CONFIG_DEFS;
export type BrokerConfigValues = { -readonly [K in BrokerConfigKey]: ValueOf<(typeof BROKER_CONFIG_DEFS)[K]> };
export type ConfigSource = 'default' | 'file' | 'env' | 'set' | 'flag';

/** The ssl.* values one listener uses (the broker's, with its listener.name.<name>.ssl.* overrides). */
export type SslConfig = { readonly [K in SslConfigKey]: BrokerConfigValues[K] };

const DEFS = BROKER_CONFIG_DEFS as Record<string, ConfigDef<unknown>>;

function isBrokerConfigKey(k: string): k is BrokerConfigKey {
  return Object.prototype.hasOwnProperty.call(BROKER_CONFIG_DEFS, k);
}

/** `node.id` → `RIVULET_NODE_ID`. */
export function envName(key: string): string {
  return 'RIVULET_' + key.toUpperCase().replace(/[.-]/g, '_');
}

export interface BrokerConfigSources {
  /** Path of a server.properties file (--config). */
  configFile?: string;
  /** Properties text, as if read from a file (for tests/embedding). */
  propertiesText?: string;
  /** Environment to read RIVULET_* variables from (pass process.env in the CLI; nothing is read by default). */
  env?: Record<string, string | undefined>;
  /** `--set key=value` pairs (strings) or typed values from code. Unknown keys are an error. */
  sets?: Iterable<readonly [string, unknown]> | Record<string, unknown>;
  /** Explicit flags, the highest precedence. */
  flags?: { host?: string; port?: number; dataDir?: string; wsPort?: number; metricsPort?: number };
}

export class BrokerConfig {
  private constructor(
    private readonly values: BrokerConfigValues,
    /** Where each value came from. */
    readonly sources: ReadonlyMap<BrokerConfigKey, ConfigSource>,
    /** Keys supplied in the file that this broker does not know (Kafka logs these as unused). */
    readonly unknownKeys: readonly string[],
    /** listener.name.<name>.<key> values (ssl.*, sasl.enabled.mechanisms, <mechanism>.sasl.jaas.config), by upper-cased listener name. */
    private readonly listenerOverrides: ReadonlyMap<string, ReadonlyMap<string, unknown>>,
  ) {}

  /**
   * The dynamic broker configs in force (KIP-226), typed: this broker's own, and the cluster-wide default.
   * get() answers with them first: dynamic per-broker > dynamic default > static (file, env, --set, flags) > default.
   */
  private dynamicPerBroker: ReadonlyMap<BrokerConfigKey, unknown> = new Map();
  private dynamicDefault: ReadonlyMap<BrokerConfigKey, unknown> = new Map();

  get<K extends BrokerConfigKey>(key: K): BrokerConfigValues[K] {
    if (this.dynamicPerBroker.has(key)) return this.dynamicPerBroker.get(key) as BrokerConfigValues[K];
    if (this.dynamicDefault.has(key)) return this.dynamicDefault.get(key) as BrokerConfigValues[K];
    return this.values[key];
  }

  /** The value from server.properties, env, --set, flags or the default, whatever the dynamic configs say. */
  staticValue<K extends BrokerConfigKey>(key: K): BrokerConfigValues[K] {
    return this.values[key];
  }

  /** A dynamic value of this broker ('broker') or of the cluster-wide default ('default'); undefined when not set. */
  dynamicValue(scope: 'broker' | 'default', key: BrokerConfigKey): unknown {
    return (scope === 'broker' ? this.dynamicPerBroker : this.dynamicDefault).get(key);
  }

  /** Replaces the dynamic configs (already parsed and validated by their definitions: server/dynamic-broker-config.ts). */
  setDynamic(perBroker: ReadonlyMap<BrokerConfigKey, unknown>, defaults: ReadonlyMap<BrokerConfigKey, unknown>): void {
    this.dynamicPerBroker = new Map(perBroker);
    this.dynamicDefault = new Map(defaults);
  }

  /** All values (a copy), the dynamic ones in force included. */
  toObject(): BrokerConfigValues {
    const out = { ...this.values } as Record<string, unknown>;
    for (const [k, v] of this.dynamicDefault) out[k] = v;
    for (const [k, v] of this.dynamicPerBroker) out[k] = v;
    return out as BrokerConfigValues;
  }

  get nodeId(): number {
    return this.values['node.id'];
  }

  /** Listeners to bind. */
  get listeners(): Endpoint[] {
    return parseEndpoints(this.values.listeners) as Endpoint[];
  }

  /** Listeners to publish (advertised.listeners, else listeners). Port 0 / empty host are resolved by the broker once bound. */
  get advertisedListeners(): Endpoint[] {
    return parseEndpoints(this.values['advertised.listeners'] ?? this.values.listeners) as Endpoint[];
  }

  /** The security protocol of a listener (listener.security.protocol.map; every listener is mapped once loaded). */
  securityProtocol(listenerName: string): SecurityProtocol {
    const p = (parseProtocolMap(this.values['listener.security.protocol.map']) as Map<string, SecurityProtocol>).get(listenerName);
    if (p === undefined) throw new ConfigError('listener.security.protocol.map', `No security protocol defined for listener ${listenerName}`);
    return p;
  }

  /** The ssl.* settings of one listener: listener.name.<name lowercased>.ssl.* over the broker-wide ssl.*. */
  sslConfig(listenerName: string): SslConfig {
    const out: Record<string, unknown> = {};
    const overrides = this.listenerOverrides.get(listenerName.toUpperCase());
    for (const k of SSL_KEYS) out[k] = overrides?.has(k) ? overrides.get(k) : this.values[k];
    return out as SslConfig;
  }

  /**
   * The listener other brokers replicate from (inter.broker.listener.name, else the one named after
   * security.inter.broker.protocol); checked at load in a cluster.
   */
  get interBrokerListenerName(): string {
    return interBrokerListenerName(
      {
        listenerName: this.values['inter.broker.listener.name'],
        protocol: this.values['security.inter.broker.protocol'],
        protocolSetExplicitly: this.sources.get('security.inter.broker.protocol') !== 'default',
      },
      this.advertisedListeners,
      (name) => this.securityProtocol(name),
    );
  }

  /** The listener.name.<name>.ssl.* keys set for one listener (its own values, without the broker-wide ones). */
  listenerSslOverrides(listenerName: string): ReadonlyMap<string, unknown> {
    return this.listenerOverrides.get(listenerName.toUpperCase()) ?? new Map();
  }

  /** sasl.enabled.mechanisms of one listener: listener.name.<name>.sasl.enabled.mechanisms over the broker-wide value. */
  saslEnabledMechanisms(listenerName: string): string[] {
    const o = this.listenerOverrides.get(listenerName.toUpperCase());
    return (o?.get('sasl.enabled.mechanisms') as string[] | undefined) ?? this.values['sasl.enabled.mechanisms'];
  }

  /**
   * The JAAS configuration text of one listener and mechanism, and the key it came from:
   * listener.name.<name>.<mechanism lower-cased>.sasl.jaas.config, else sasl.jaas.config; null when neither is set.
   */
  saslJaasConfig(listenerName: string, mechanism: string): { key: string; text: string } | null {
    const suffix = `${mechanism.toLowerCase()}.sasl.jaas.config`;
    const own = this.listenerOverrides.get(listenerName.toUpperCase())?.get(suffix) as string | null | undefined;
    if (own !== undefined && own !== null) return { key: `listener.name.${listenerName.toLowerCase()}.${suffix}`, text: own };
    const shared = this.values['sasl.jaas.config'];
    return shared === null ? null : { key: 'sasl.jaas.config', text: shared };
  }

  /** The value of `listener.name.<listener>.<key>` (key may carry a mechanism prefix, e.g. `oauthbearer.sasl.jaas.config`), or undefined when not set. */
  listenerOverride(listenerName: string, key: string): unknown {
    return this.listenerOverrides.get(listenerName.toUpperCase())?.get(key);
  }

  /**
   * One listener's OAUTHBEARER settings: each sasl.oauthbearer.* / sasl.server.callback.handler.class key from
   * listener.name.<name>.oauthbearer.<key>, else listener.name.<name>.<key>, else the broker-wide value.
   * `jaasOptions` are the options of the listener's OAuthBearerLoginModule JAAS entry.
   */
  oauthBearerSettings(listenerName: string, jaasOptions?: ReadonlyMap<string, string>): OAuthBearerListenerSettings {
    const lookup = (key: string): unknown => {
      const m = /^listener\.name\.[^.]+\.(.+)$/.exec(key);
      return m ? this.listenerOverride(listenerName, m[1]!) : (this.values as Record<string, unknown>)[key];
    };
    return oauthBearerListenerSettings(listenerName, lookup, jaasOptions);
  }

  /** A connection limit of one listener: listener.name.<name lowercased>.<key>, else undefined (no listener limit). */
  listenerConnectionLimit(listenerName: string, key: ListenerConnectionKey): number | undefined {
    return this.listenerOverrides.get(listenerName.toUpperCase())?.get(key) as number | undefined;
  }

  get logDirs(): string[] {
    return this.values['log.dirs'] ?? [this.values['log.dir']];
  }

  static load(src: BrokerConfigSources = {}): BrokerConfig {
    const merged = defaultValues();
    const unknownKeys = applyProperties(merged, readProperties(src));
    if (src.env) applyEnv(merged, src.env);
    if (src.sets) applySets(merged, src.sets);
    applyFlags(merged, src.flags ?? {});
    checkValues(merged.values);
    checkClusterConfig(merged.values as BrokerConfigValues);
    checkListeners(merged.values as BrokerConfigValues);
    const config = new BrokerConfig(merged.values as BrokerConfigValues, merged.sources, unknownKeys, merged.listenerOverrides);
    // Only brokers in a cluster have links to each other: a single broker may serve any listeners.
    if (config.get('etcd.connect') !== null) void config.interBrokerListenerName;
    return config;
  }
}

/** Values being merged from the sources, and where each came from. */
interface MergedValues {
  readonly values: Record<string, unknown>;
  readonly sources: Map<BrokerConfigKey, ConfigSource>;
  readonly listenerOverrides: Map<string, Map<string, unknown>>;
}

/** A listener override: the listener's upper-cased name, the key it sets, and the broker key whose definition checks it. */
interface ListenerOverride {
  readonly listener: string;
  readonly key: string;
  readonly def: BrokerConfigKey;
}

/**
 * `listener.name.<name>.<key>` → the override, or null. `<key>` is an ssl.* key, sasl.enabled.mechanisms, or
 * `<mechanism lower-cased>.sasl.jaas.config` (checked as sasl.jaas.config).
 */
function listenerOverrideKey(k: string): ListenerOverride | null {
  const m = /^listener\.name\.([a-z0-9_-]+)\.(.+)$/.exec(k);
  if (!m) return null;
  const listener = m[1]!.toUpperCase();
  const key = m[2]!;
  if ((SSL_KEYS as readonly string[]).includes(key) || (SASL_LISTENER_KEYS as readonly string[]).includes(key) || (LISTENER_CONNECTION_KEYS as readonly string[]).includes(key))
    return { listener, key, def: key as BrokerConfigKey };
  if (/^[a-z0-9_-]{1,20}\.sasl\.jaas\.config$/.test(key)) return { listener, key, def: 'sasl.jaas.config' };
  // OAUTHBEARER's keys, per listener and optionally per mechanism, as Kafka's ConfigurationUtils reads them:
  // listener.name.<l>.oauthbearer.sasl.oauthbearer.expected.issuer, listener.name.<l>.sasl.oauthbearer.expected.issuer.
  const unprefixed = key.startsWith('oauthbearer.') ? key.slice('oauthbearer.'.length) : key;
  if ((OAUTHBEARER_KEYS as readonly string[]).includes(unprefixed)) return { listener, key, def: unprefixed as BrokerConfigKey };
  return null;
}

/** Records one listener override, checked like the broker-wide key. */
function setListenerOverride(merged: MergedValues, k: string, o: ListenerOverride, value: unknown): void {
  const d = DEFS[o.def]!;
  checkValue(k, d, value, value);
  let m = merged.listenerOverrides.get(o.listener);
  if (m === undefined) merged.listenerOverrides.set(o.listener, (m = new Map()));
  m.set(o.key, value);
}

/** Every listener (and advertised listener) is mapped to a security protocol the broker serves. */
function checkListeners(v: BrokerConfigValues): void {
  const map = parseProtocolMap(v['listener.security.protocol.map']) as Map<string, SecurityProtocol>;
  checkListenerProtocols('listeners', parseEndpoints(v.listeners) as Endpoint[], map);
  if (v['advertised.listeners'] !== null) checkListenerProtocols('advertised.listeners', parseEndpoints(v['advertised.listeners']) as Endpoint[], map);
}

function defaultValues(): MergedValues {
  const values: Record<string, unknown> = {};
  const sources = new Map<BrokerConfigKey, ConfigSource>();
  for (const [k, d] of Object.entries(DEFS)) {
    values[k] = d.default;
    sources.set(k as BrokerConfigKey, 'default');
  }
  return { values, sources, listenerOverrides: new Map() };
}

/** 1. server.properties: the --config file, then properties text given in code (which wins per key). */
function readProperties(src: BrokerConfigSources): Map<string, string> | undefined {
  let fileProps: Map<string, string> | undefined;
  if (src.configFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(src.configFile, 'utf8');
    } catch (e) {
      throw new ConfigError('--config', `Cannot read config file ${src.configFile}: ${(e as Error).message}`);
    }
    fileProps = parseProperties(text);
  }
  if (src.propertiesText !== undefined) {
    fileProps = new Map([...(fileProps ?? []), ...parseProperties(src.propertiesText)]);
  }
  return fileProps;
}

/** Applies the file's known keys; returns the keys this broker does not know (Kafka logs these as unused). */
function applyProperties(merged: MergedValues, fileProps: Map<string, string> | undefined): string[] {
  const unknownKeys: string[] = [];
  for (const [k, raw] of fileProps ?? []) {
    if (!isBrokerConfigKey(k)) {
      const o = listenerOverrideKey(k);
      if (o) setListenerOverride(merged, k, o, parseValue(k, DEFS[o.def]!, raw));
      else unknownKeys.push(k);
      continue;
    }
    merged.values[k] = parseValue(k, DEFS[k]!, raw);
    merged.sources.set(k, 'file');
  }
  return unknownKeys;
}

/** 2. environment: RIVULET_<KEY> for every known key. */
function applyEnv(merged: MergedValues, env: Record<string, string | undefined>): void {
  for (const k of Object.keys(DEFS)) {
    const raw = env[envName(k)];
    if (raw === undefined) continue;
    merged.values[k] = parseValue(`${k} (from ${envName(k)})`, DEFS[k]!, raw);
    merged.sources.set(k as BrokerConfigKey, 'env');
  }
}

/** 3. --set: strings or typed values; an unknown key is an error. */
function applySets(merged: MergedValues, sets: NonNullable<BrokerConfigSources['sets']>): void {
  const entries = Symbol.iterator in sets ? (sets as Iterable<readonly [string, unknown]>) : Object.entries(sets);
  for (const [k, v] of entries) {
    const o = isBrokerConfigKey(k) ? null : listenerOverrideKey(k);
    if (o) {
      setListenerOverride(merged, k, o, checkTyped(k, DEFS[o.def]!, v));
      continue;
    }
    if (!isBrokerConfigKey(k)) throw new ConfigError(k, `Unknown configuration ${k}`);
    merged.values[k] = checkTyped(k, DEFS[k]!, v);
    merged.sources.set(k, 'set');
  }
}

/** 4. explicit flags, the highest precedence. */
function applyFlags(merged: MergedValues, f: NonNullable<BrokerConfigSources['flags']>): void {
  if (f.host !== undefined || f.port !== undefined) applyHostPortFlags(merged, f.host, f.port);
  if (f.wsPort !== undefined) applyOptionalPortFlag(merged, 'ws.port', '--ws-port', f.wsPort);
  if (f.metricsPort !== undefined) applyOptionalPortFlag(merged, 'metrics.port', '--metrics-port', f.metricsPort);
  if (f.dataDir !== undefined) {
    if (f.dataDir === '') throw new ConfigError('--data-dir', 'Invalid value for --data-dir: empty');
    merged.values['log.dirs'] = [f.dataDir];
    merged.sources.set('log.dirs', 'flag');
  }
}

/** --ws-port / --metrics-port: -1 (off), 0 (any free port) or a port. */
function applyOptionalPortFlag(merged: MergedValues, key: 'ws.port' | 'metrics.port', flag: string, port: number): void {
  if (!Number.isInteger(port) || port < -1 || port > 65535) throw new ConfigError(flag, `Invalid value ${port} for ${flag}: must be -1..65535`);
  merged.values[key] = port;
  merged.sources.set(key, 'flag');
}

/** --host / --port replace the host and port of the first listener; the others stay as configured. */
function applyHostPortFlags(merged: MergedValues, flagHost: string | undefined, flagPort: number | undefined): void {
  const { values } = merged;
  const eps = parseEndpoints(values.listeners as string[]);
  if (typeof eps === 'string') throw ConfigError.invalid('listeners', values.listeners, eps);
  const first = eps[0]!;
  if (flagPort !== undefined && (!Number.isInteger(flagPort) || flagPort < 0 || flagPort > 65535))
    throw new ConfigError('--port', `Invalid value ${flagPort} for --port: must be 0..65535`);
  const host = flagHost ?? first.host;
  const port = flagPort ?? first.port;
  values.listeners = [`${first.name}://${host.includes(':') ? `[${host}]` : host}:${port}`, ...(values.listeners as string[]).slice(1)];
  merged.sources.set('listeners', 'flag');
}

/** 5. every key has a value (required keys have no default) and passes its validator. */
function checkValues(values: Record<string, unknown>): void {
  for (const [k, d] of Object.entries(DEFS)) {
    const v = values[k];
    if (v === undefined) throw new ConfigError(k, `Missing required configuration "${k}" which has no default value.`);
    checkValue(k, d, v, Array.isArray(v) ? v.join(',') : v);
  }
}

/** One line per config key, for --help. */
export function describeConfigs(): string {
  return Object.entries(DEFS)
    .map(([k, d]) => {
      const def =
        d.default === null
          ? 'null'
          : Array.isArray(d.default)
            ? d.default.join(',')
            : d.default === Number.MAX_SAFE_INTEGER
              ? '9223372036854775807 (Long.MAX)'
              : String(d.default);
      return `  ${k.padEnd(28)} ${d.type.padEnd(7)} default ${def}\n      ${d.doc}`;
    })
    .join('\n');
}
