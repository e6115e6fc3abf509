// Topic-level configs (Kafka's TopicConfig / LogConfig names): their types, validation, broker-level
// synonyms (whose values are the defaults), and how they are described (DescribeConfigs, CreateTopics v5+).
//
// Overrides are kept as Kafka keeps them: strings by key. `resolveTopicConfig` turns them into typed
// values over the broker defaults; the storage keys (LogConfig) go to the partition logs, the others
// (compression.type, min.insync.replicas, unclean.leader.election.enable) are validated, stored and
// described; see docs/topics.md for what each does on a single broker.
import type { BrokerConfig, BrokerConfigKey } from '../config/index.js';
import { BROKER_CONFIG_DEFS } from '../config/index.js';
import { ConfigError, atLeast, between, eachOneOf, oneOf, parseValue, type ConfigDef, type ConfigType, type Validator } from '../config/types.js';
import { LONG_MAX, LOG_CONFIG_KEYS, STORAGE_CONFIG_DEFAULTS, defaultLogConfig, type LogConfig, type StorageConfig } from '../../storage/index.js';

/** Every topic config, typed. */
export interface TopicConfigValues extends LogConfig {
  'compression.type': string;
  'min.insync.replicas': number;
  'unclean.leader.election.enable': boolean;
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
  'compression.type': def('string', ['compression.type'], 'Compression of stored batches; only producer (batches are stored as the producer sent them).', (v: string, k) =>
    oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer')(v, k) ??
    (v !== 'producer' ? 'Rivulet stores batches as the producer compressed them: only producer is supported' : undefined),
  ),
  'file.delete.delay.ms': def('long', ['log.segment.delete.delay.ms'], 'The time to wait before deleting a file from the filesystem.', atLeast(0)),
  'flush.messages': def('long', ['log.flush.interval.messages'], 'Force an fsync of the log after this many messages.', atLeast(1)),
  'flush.ms': def('long', ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'], 'Force an fsync of the log after this many milliseconds.', atLeast(0)),
  'index.interval.bytes': def('int', ['log.index.interval.bytes'], 'How often an entry is added to the offset index (bytes).', atLeast(0)),
  'max.message.bytes': def('int', ['message.max.bytes'], 'The largest record batch size allowed.', atLeast(0)),
  'message.timestamp.type': def('string', ['log.message.timestamp.type'], 'CreateTime or LogAppendTime.', oneOf('CreateTime', 'LogAppendTime')),
  'min.insync.replicas': def('int', ['min.insync.replicas'], 'Minimum number of in-sync replicas for acks=all (a single broker has 1).', atLeast(1)),
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
    'min.insync.replicas': config.get('min.insync.replicas'),
    'unclean.leader.election.enable': config.get('unclean.leader.election.enable'),
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

/** A config value as Kafka prints it (Long.MAX for "forever", lists comma-separated). */
export function formatConfigValue(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.join(',');
  if (typeof v === 'number') {
    if (v >= LONG_MAX) return '9223372036854775807';
    if (v <= -LONG_MAX) return '-9223372036854775808';
    return String(v);
  }
  return String(v);
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

function brokerSource(config: BrokerConfig, key: BrokerConfigKey): number {
  return (config.sources.get(key) ?? 'default') === 'default' ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG;
}

/** Broker-level synonyms that have a value, Kafka's order: every static setting, then every default. */
function brokerSynonyms(config: BrokerConfig, keys: readonly BrokerConfigKey[]): ConfigSynonym[] {
  const out: ConfigSynonym[] = [];
  for (const k of keys) {
    const v = config.get(k);
    if (brokerSource(config, k) === ConfigSource.STATIC_BROKER_CONFIG && v !== null)
      out.push({ name: k, value: formatConfigValue(v), source: ConfigSource.STATIC_BROKER_CONFIG });
  }
  for (const k of keys) {
    const d = (BROKER_CONFIG_DEFS as Record<string, ConfigDef<unknown>>)[k]!.default;
    if (d !== null && d !== undefined) out.push({ name: k, value: formatConfigValue(d), source: ConfigSource.DEFAULT_CONFIG });
  }
  return out;
}

/** Every topic config of a topic as DescribeConfigs / CreateTopics v5+ report it. */
export function describeTopicConfigs(config: BrokerConfig, effective: TopicConfigValues, overrides: Readonly<Record<string, string>>): DescribedConfig[] {
  return TOPIC_CONFIG_KEYS.map((name) => {
    const d = TOPIC_CONFIG_DEFS[name];
    const synonyms = brokerSynonyms(config, d.synonyms);
    const overridden = Object.prototype.hasOwnProperty.call(overrides, name);
    if (overridden) synonyms.unshift({ name, value: formatConfigValue(effective[name]), source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    return {
      name,
      value: formatConfigValue(effective[name]),
      readOnly: false,
      source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      isSensitive: false,
      synonyms,
      configType: CONFIG_TYPE_CODE[d.type],
      documentation: d.doc,
    };
  });
}

/** Every broker config as DescribeConfigs reports it (all read-only: there are no dynamic broker configs). */
export function describeBrokerConfigs(config: BrokerConfig): DescribedConfig[] {
  const defs = BROKER_CONFIG_DEFS as Record<string, ConfigDef<unknown>>;
  return Object.keys(defs)
    .sort()
    .map((name) => {
      const d = defs[name]!;
      const key = name as BrokerConfigKey;
      const sensitive = d.type === 'password';
      const value = sensitive ? null : formatConfigValue(config.get(key));
      const source = brokerSource(config, key);
      const synonyms: ConfigSynonym[] = [];
      if (source === ConfigSource.STATIC_BROKER_CONFIG) synonyms.push({ name, value, source });
      if (d.default !== null && d.default !== undefined) synonyms.push({ name, value: sensitive ? null : formatConfigValue(d.default), source: ConfigSource.DEFAULT_CONFIG });
      return { name, value, readOnly: true, source, isSensitive: sensitive, synonyms, configType: CONFIG_TYPE_CODE[d.type], documentation: d.doc };
    });
}
