// Topic-level configs (Kafka's TopicConfig / LogConfig names): their types, validation, broker-level
// synonyms (whose values are the defaults), and how they are described (DescribeConfigs, CreateTopics v5+).
//
// Overrides are kept as Kafka keeps them: strings by key. `resolveTopicConfig` turns them into typed
// values over the broker defaults; the storage keys (LogConfig) go to the partition logs, the others
// (compression.*, min.insync.replicas, unclean.leader.election.enable, and the deprecated or tiered-storage
// keys Kafka 3.9 still accepts, which have no effect here) are validated, stored and described; see
// docs/topics.md for what each does.
import type { BrokerConfig, BrokerConfigKey } from '../config/index.js';
import { BROKER_CONFIG_DEFS } from '../config/index.js';
import { ConfigError, atLeast, between, eachOneOf, oneOf, parseValue, type ConfigDef, type ConfigType, type Validator } from '../config/types.js';
import { compressionTypeValidator, gzipLevelValidator, lz4LevelValidator, zstdLevelValidator } from '../config/compression-defs.js';
import { messageFormatVersionValidator } from '../config/message-format-defs.js';
import { LONG_MAX, LOG_CONFIG_KEYS, STORAGE_CONFIG_DEFAULTS, defaultLogConfig, type LogConfig, type StorageConfig } from '../../storage/index.js';

/** Every topic config, typed. */
export interface TopicConfigValues extends LogConfig {
  'compression.type': string;
  'compression.gzip.level': number;
  'compression.lz4.level': number;
  'compression.zstd.level': number;
  'min.insync.replicas': number;
  'unclean.leader.election.enable': boolean;
  // Accepted, stored and described as Kafka 3.9 does; no effect in Rivulet.
  'message.format.version': string;
  'message.downconversion.enable': boolean;
  'message.timestamp.difference.max.ms': number;
  'message.timestamp.before.max.ms': number;
  'message.timestamp.after.max.ms': number;
  preallocate: boolean;
  'follower.replication.throttled.replicas': string[];
  'leader.replication.throttled.replicas': string[];
  'local.retention.ms': number;
  'local.retention.bytes': number;
  'remote.storage.enable': boolean;
}
export type TopicConfigKey = keyof TopicConfigValues;

/** Kafka's DescribeConfigsResponse.ConfigSource. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;

/** Kafka's DescribeConfigsResponse.ConfigType. */
const CONFIG_TYPE_CODE: Record<ConfigType, number> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  password: 9,
};

interface TopicConfigDef {
  readonly type: ConfigType;
  /** Broker keys whose value is this config's default, highest precedence first (Kafka's synonyms). */
  readonly synonyms: readonly BrokerConfigKey[];
  readonly validate?: Validator<never>;
  readonly doc: string;
}

const cleanupPolicy: Validator<string[]> = (v, k) =>
  eachOneOf('delete', 'compact')(v, k) ?? (v.length === 0 ? 'Empty list is not allowed' : undefined);

/** Kafka's ThrottledReplicaListValidator: `*`, or partitionId:brokerId pairs. */
const throttledReplicas: Validator<string[]> = (v) =>
  (v.length === 1 && v[0] === '*') || v.every((r) => /^\d+:\d+$/.test(r.trim()))
    ? undefined
    : 'Value must be the literal * or a list of replicas in the form partitionId:brokerId,partitionId:brokerId,...';

/** remote.storage.enable: Rivulet has no tiered storage, so only false (Kafka's answer when it is disabled broker-wide). */
const noRemoteStorage: Validator<boolean> = (v) => (v ? 'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.' : undefined);

const def = <T>(type: ConfigType, synonyms: BrokerConfigKey[], doc: string, validate?: Validator<T>): TopicConfigDef => ({
  type,
  synonyms,
  doc,
  validate: validate as Validator<never> | undefined,
});

/** The topic configs this broker accepts (anything else → INVALID_CONFIG "Unknown topic config name"). */
export const TOPIC_CONFIG_DEFS: Readonly<Record<TopicConfigKey, TopicConfigDef>> = {
  'cleanup.policy': def('list', ['log.cleanup.policy'], 'The retention policy for old log segments: delete, compact (keep the latest record of each key), or both.', cleanupPolicy),
  'delete.retention.ms': def('long', ['log.cleaner.delete.retention.ms'], 'How long tombstones of a compacted topic are kept after the cleaning that first reached them.', atLeast(0)),
  'max.compaction.lag.ms': def('long', ['log.cleaner.max.compaction.lag.ms'], 'The maximum time a record remains ineligible for compaction.', atLeast(1)),
  'min.cleanable.dirty.ratio': def('double', ['log.cleaner.min.cleanable.ratio'], 'The ratio of dirty log to total log above which the log is compacted.', between(0, 1)),
  'min.compaction.lag.ms': def('long', ['log.cleaner.min.compaction.lag.ms'], 'The minimum time a record remains uncompacted in the log.', atLeast(0)),
  'compression.type': def('string', ['compression.type'], 'The codec of stored batches: producer (kept as the producer compressed them), uncompressed, gzip, snappy, lz4 or zstd (a batch in another codec is recompressed before the append).', compressionTypeValidator),
  'compression.gzip.level': def('int', ['compression.gzip.level'], 'The gzip level of batches recompressed for compression.type gzip (-1: zlib\'s default).', gzipLevelValidator),
  'compression.lz4.level': def('int', ['compression.lz4.level'], 'Kafka\'s lz4 level. Accepted and stored; no effect in Rivulet, whose lz4 compressor has one speed.', lz4LevelValidator),
  'compression.zstd.level': def('int', ['compression.zstd.level'], 'The zstd level of batches recompressed for compression.type zstd.', zstdLevelValidator),
  'file.delete.delay.ms': def('long', ['log.segment.delete.delay.ms'], 'The time to wait before deleting a file from the filesystem.', atLeast(0)),
  'flush.messages': def('long', ['log.flush.interval.messages'], 'Force an fsync of the log after this many messages.', atLeast(1)),
  'follower.replication.throttled.replicas': def('list', [], 'Replicas whose follower fetching is throttled (* or partitionId:brokerId pairs). Accepted and stored; no effect in Rivulet, which has no replication quotas.', throttledReplicas),
  'flush.ms': def('long', ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'], 'Force an fsync of the log after this many milliseconds.', atLeast(0)),
  'index.interval.bytes': def('int', ['log.index.interval.bytes'], 'How often an entry is added to the offset index (bytes).', atLeast(0)),
  'leader.replication.throttled.replicas': def('list', [], 'Replicas whose leader-side replication is throttled (* or partitionId:brokerId pairs). Accepted and stored; no effect in Rivulet, which has no replication quotas.', throttledReplicas),
  'local.retention.bytes': def('long', ['log.local.retention.bytes'], 'Tiered storage: the local size of a partition before old segments go (-2: retention.bytes). Accepted and stored; no effect in Rivulet, which has no tiered storage.', atLeast(-2)),
  'local.retention.ms': def('long', ['log.local.retention.ms'], 'Tiered storage: how long local segments are kept (-2: retention.ms). Accepted and stored; no effect in Rivulet, which has no tiered storage.', atLeast(-2)),
  'max.message.bytes': def('int', ['message.max.bytes'], 'The largest record batch size allowed.', atLeast(0)),
  'message.downconversion.enable': def('boolean', ['log.message.downconversion.enable'], 'Whether Fetch v0-3 may get down-converted records. Accepted and stored; no effect in Rivulet, which always down-converts for old consumers.'),
  'message.format.version': def('string', ['log.message.format.version'], 'Deprecated by Kafka (ignored from 3.0): the message format of appended batches. Accepted and stored; no effect in Rivulet, which stores magic 2.', messageFormatVersionValidator),
  'message.timestamp.after.max.ms': def('long', ['log.message.timestamp.after.max.ms'], 'How far after the broker\'s clock a CreateTime timestamp may be. Accepted and stored; no effect in Rivulet.', atLeast(0)),
  'message.timestamp.before.max.ms': def('long', ['log.message.timestamp.before.max.ms'], 'How far before the broker\'s clock a CreateTime timestamp may be. Accepted and stored; no effect in Rivulet.', atLeast(0)),
  'message.timestamp.difference.max.ms': def('long', ['log.message.timestamp.difference.max.ms'], 'Deprecated by Kafka (for the before/after bounds): how far a CreateTime timestamp may be from the broker\'s clock. Accepted and stored; no effect in Rivulet.', atLeast(0)),
  'message.timestamp.type': def('string', ['log.message.timestamp.type'], 'CreateTime or LogAppendTime.', oneOf('CreateTime', 'LogAppendTime')),
  'min.insync.replicas': def('int', ['min.insync.replicas'], 'Minimum number of in-sync replicas for acks=all (a single broker has 1).', atLeast(1)),
  preallocate: def('boolean', ['log.preallocate'], 'Whether new segment files are preallocated. Accepted and stored; no effect in Rivulet (segment files grow as written).'),
  'remote.storage.enable': def('boolean', [], 'Tiered storage for the topic. Only false: Rivulet has no tiered storage.', noRemoteStorage),
  'retention.bytes': def('long', ['log.retention.bytes'], 'The maximum size a partition can grow to before old segments are deleted (-1: no limit).'),
  'retention.ms': def('long', ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'], 'The maximum time a segment is kept (-1: no time limit).', atLeast(-1)),
  'segment.bytes': def('int', ['log.segment.bytes'], 'The segment file size for the log.', atLeast(14)),
  'segment.index.bytes': def('int', ['log.index.size.max.bytes'], 'The size of the index that maps offsets to file positions.', atLeast(4)),
  'segment.jitter.ms': def('long', ['log.roll.jitter.ms', 'log.roll.jitter.hours'], 'The maximum random jitter subtracted from the segment roll time.', atLeast(0)),
  'segment.ms': def('long', ['log.roll.ms', 'log.roll.hours'], 'The time after which a segment is rolled even if not full.', atLeast(1)),
  'unclean.leader.election.enable': def('boolean', ['unclean.leader.election.enable'], 'Kafka\'s unclean leader election switch (no effect on a single broker).'),
};

const TOPIC_CONFIG_KEYS = Object.keys(TOPIC_CONFIG_DEFS).sort() as TopicConfigKey[];

export function isTopicConfigKey(k: string): k is TopicConfigKey {
  return Object.prototype.hasOwnProperty.call(TOPIC_CONFIG_DEFS, k);
}

/** A bad topic config (INVALID_CONFIG), with Kafka's wording. */
export class TopicConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'TopicConfigError';
  }
}

/** Parses and validates one override; throws TopicConfigError. */
export function parseTopicConfigValue(key: string, raw: string): unknown {
  if (!isTopicConfigKey(key)) throw new TopicConfigError(key, `Unknown topic config name: ${key}`);
  const d = TOPIC_CONFIG_DEFS[key];
  let v: unknown;
  try {
    v = parseValue(key, { type: d.type, nullable: false, default: undefined, importance: 'medium', doc: d.doc } as ConfigDef<unknown>, raw);
  } catch (e) {
    throw new TopicConfigError(key, (e as Error).message);
  }
  const reason = d.validate?.(v as never, key);
  if (reason !== undefined) throw new TopicConfigError(key, ConfigError.invalid(key, raw, reason).message);
  return v;
}

/** Validates a whole set of overrides (string values), returning them parsed. */
function parseTopicOverrides(overrides: Readonly<Record<string, string>>): Partial<TopicConfigValues> {
  const out: Record<string, unknown> = {};
  for (const [k, raw] of Object.entries(overrides)) out[k] = parseTopicConfigValue(k, raw);
  return out as Partial<TopicConfigValues>;
}

/** The broker's `log.*` keys as the storage layer's StorageConfig. */
export function storageConfigOf(config: BrokerConfig): StorageConfig {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(STORAGE_CONFIG_DEFAULTS)) out[k] = config.get(k as BrokerConfigKey);
  return out as unknown as StorageConfig;
}

/** Topic config defaults from the broker config. */
export function defaultTopicConfig(config: BrokerConfig): TopicConfigValues {
  return {
    ...defaultLogConfig(storageConfigOf(config)),
    'compression.type': config.get('compression.type'),
    'compression.gzip.level': config.get('compression.gzip.level'),
    'compression.lz4.level': config.get('compression.lz4.level'),
    'compression.zstd.level': config.get('compression.zstd.level'),
    'min.insync.replicas': config.get('min.insync.replicas'),
    'unclean.leader.election.enable': config.get('unclean.leader.election.enable'),
    'message.format.version': config.get('log.message.format.version'),
    'message.downconversion.enable': config.get('log.message.downconversion.enable'),
    'message.timestamp.difference.max.ms': config.get('log.message.timestamp.difference.max.ms'),
    'message.timestamp.before.max.ms': config.get('log.message.timestamp.before.max.ms'),
    'message.timestamp.after.max.ms': config.get('log.message.timestamp.after.max.ms'),
    preallocate: config.get('log.preallocate'),
    'follower.replication.throttled.replicas': [],
    'leader.replication.throttled.replicas': [],
    'local.retention.ms': config.get('log.local.retention.ms'),
    'local.retention.bytes': config.get('log.local.retention.bytes'),
    'remote.storage.enable': false,
  };
}

/** The effective config: parsed overrides over the defaults. Throws TopicConfigError for a bad override. */
export function resolveTopicConfig(defaults: TopicConfigValues, overrides: Readonly<Record<string, string>>): TopicConfigValues {
  return { ...defaults, ...parseTopicOverrides(overrides) };
}

/** The storage part (LogConfig) of a set of overrides, typed, for the LogManager. */
export function logConfigOverrides(overrides: Readonly<Record<string, string>>): Partial<LogConfig> {
  const parsed = parseTopicOverrides(overrides) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of LOG_CONFIG_KEYS) if (k in parsed) out[k] = parsed[k];
  return out as Partial<LogConfig>;
}

/**
 * A config value as Kafka prints it: lists comma-separated, a double as Java's Double.toString (0.5, 1.0,
 * 1.7976931348623157E308), any other number beyond the safe integers as Long.MAX/MIN ("forever").
 */
export function formatConfigValue(v: unknown, type?: ConfigType): string | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.join(',');
  if (typeof v === 'number' && type === 'double') return javaDoubleString(v);
  if (typeof v === 'number') {
    if (v >= LONG_MAX) return '9223372036854775807';
    if (v <= -LONG_MAX) return '-9223372036854775808';
    return String(v);
  }
  return String(v);
}

/** Java's Double.toString: decimal for 10^-3 <= |v| < 10^7 (always a fraction digit), else d.dddE±n. */
export function javaDoubleString(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e7) {
    const s = String(v);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exponent] = v.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`;
}

/**
 * A set value as Kafka shows its dynamic and static sources: the string it was given, not the parsed value
 * (5000000 where the effective double prints 5000000.0). A double given in plain decimal prints so again.
 */
function formatAsGiven(v: unknown, type: ConfigType): string | null {
  if (type === 'double' && typeof v === 'number' && Number.isFinite(v) && !String(v).includes('e')) return String(v);
  return formatConfigValue(v, type);
}

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: number;
}

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  source: number;
  isSensitive: boolean;
  synonyms: ConfigSynonym[];
  configType: number;
  documentation: string;
}

/** Where a broker key's static value comes from: server.properties, env, --set or a flag, else its default. */
function staticSource(config: BrokerConfig, key: BrokerConfigKey): number {
  return (config.sources.get(key) ?? 'default') === 'default' ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG;
}

/**
 * Every value a broker key has, highest precedence first: dynamic for this broker, dynamic cluster-wide
 * default, static, default (Kafka's DynamicBrokerConfig sources).
 */
function brokerKeySources(config: BrokerConfig, key: BrokerConfigKey): ConfigSynonym[] {
  const out: ConfigSynonym[] = [];
  const def = (BROKER_CONFIG_DEFS as Record<string, ConfigDef<unknown>>)[key]!;
  for (const [scope, source] of [
    ['broker', ConfigSource.DYNAMIC_BROKER_CONFIG],
    ['default', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
  ] as const) {
    const v = config.dynamicValue(scope, key);
    if (v !== undefined) out.push({ name: key, value: formatAsGiven(v, def.type), source });
  }
  const v = config.staticValue(key);
  if (staticSource(config, key) === ConfigSource.STATIC_BROKER_CONFIG && v !== null) out.push({ name: key, value: formatAsGiven(v, def.type), source: ConfigSource.STATIC_BROKER_CONFIG });
  const d = def.default;
  if (d !== null && d !== undefined) out.push({ name: key, value: formatConfigValue(d, def.type), source: ConfigSource.DEFAULT_CONFIG });
  return out;
}

/**
 * Broker-level synonyms that have a value, Kafka's order: every dynamic per-broker setting, then every
 * dynamic default, then every static setting, then every default.
 */
function brokerSynonyms(config: BrokerConfig, keys: readonly BrokerConfigKey[]): ConfigSynonym[] {
  const all = keys.flatMap((k) => brokerKeySources(config, k));
  const order = [ConfigSource.DYNAMIC_BROKER_CONFIG, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, ConfigSource.STATIC_BROKER_CONFIG, ConfigSource.DEFAULT_CONFIG];
  return order.flatMap((source) => all.filter((s) => s.source === source));
}

/** Every topic config of a topic as DescribeConfigs / CreateTopics v5+ report it. */
export function describeTopicConfigs(config: BrokerConfig, effective: TopicConfigValues, overrides: Readonly<Record<string, string>>): DescribedConfig[] {
  return TOPIC_CONFIG_KEYS.map((name) => {
    const d = TOPIC_CONFIG_DEFS[name];
    const synonyms = brokerSynonyms(config, d.synonyms);
    const overridden = Object.prototype.hasOwnProperty.call(overrides, name);
    if (overridden) synonyms.unshift({ name, value: formatConfigValue(effective[name], d.type), source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    return {
      name,
      value: formatConfigValue(effective[name], d.type),
      readOnly: false,
      source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      isSensitive: false,
      synonyms,
      configType: CONFIG_TYPE_CODE[d.type],
      documentation: d.doc,
    };
  });
}

/**
 * Every broker config as DescribeConfigs reports it: the dynamic ones (config/dynamic-defs.ts) writable, with
 * their dynamic sources; the others read-only.
 */
export function describeBrokerConfigs(config: BrokerConfig, isDynamic: (key: string) => boolean): DescribedConfig[] {
  const defs = BROKER_CONFIG_DEFS as Record<string, ConfigDef<unknown>>;
  return Object.keys(defs)
    .sort()
    .map((name) => {
      const d = defs[name]!;
      const key = name as BrokerConfigKey;
      const sensitive = d.type === 'password';
      const synonyms = brokerKeySources(config, key).map((s) => (sensitive ? { ...s, value: null } : s));
      const value = sensitive ? null : formatConfigValue(config.get(key), d.type);
      const source = synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG;
      return { name, value, readOnly: !isDynamic(name), source, isSensitive: sensitive, synonyms, configType: CONFIG_TYPE_CODE[d.type], documentation: d.doc };
    });
}

/** The cluster-wide dynamic defaults (DescribeConfigs of the BROKER resource ''), as Kafka lists them. */
export function describeDefaultBrokerConfigs(config: BrokerConfig, keys: readonly BrokerConfigKey[]): DescribedConfig[] {
  const defs = BROKER_CONFIG_DEFS as Record<string, ConfigDef<unknown>>;
  return [...keys].sort().flatMap((key) => {
    const v = config.dynamicValue('default', key);
    if (v === undefined) return [];
    const d = defs[key]!;
    const value = formatAsGiven(v, d.type);
    const synonyms = brokerKeySources(config, key).filter((s) => s.source !== ConfigSource.DYNAMIC_BROKER_CONFIG);
    return [{ name: key, value, readOnly: false, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, isSensitive: false, synonyms, configType: CONFIG_TYPE_CODE[d.type], documentation: d.doc }];
  });
}
