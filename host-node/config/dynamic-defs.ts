// The broker configs that can change while the broker runs (Kafka's DynamicBrokerConfig, KIP-226), beside
// the TLS stores of server/dynamic-ssl.ts:
//  - the log cleaner's reconfigurables (Kafka's LogCleaner.ReconfigurableConfigs): thread count, buffers,
//    I/O throttle, backoff;
//  - the broker defaults of topic configs (Kafka's DynamicLogConfig: the first broker synonym of each topic
//    config, ServerTopicConfigSynonyms.TOPIC_CONFIG_SYNONYMS). A secondary synonym (log.retention.hours,
//    log.roll.hours, log.flush.scheduler.interval.ms, …) stays static, as in Kafka.
// Each can be set for one broker (resource name = its node id) or as the cluster-wide default (resource
// name ''); the values are checked by the key's definition in BROKER_CONFIG_DEFS.
import { BROKER_CONFIG_DEFS, type BrokerConfigKey } from './broker-config.js';
import { checkValue, parseValue, type ConfigDef } from './types.js';

/** Kafka's LogCleaner.ReconfigurableConfigs. */
export const DYNAMIC_CLEANER_KEYS = [
  'log.cleaner.threads',
  'log.cleaner.dedupe.buffer.size',
  'log.cleaner.io.buffer.size',
  'log.cleaner.io.buffer.load.factor',
  'log.cleaner.io.max.bytes.per.second',
  'log.cleaner.backoff.ms',
] as const satisfies readonly BrokerConfigKey[];

/**
 * Kafka's DynamicLogConfig.ReconfigurableConfigs: the broker key each topic config takes its default from
 * first (topics/topic-config.ts's TOPIC_CONFIG_DEFS lists them as the first of its synonyms; a test keeps the
 * two lists equal).
 */
export const DYNAMIC_LOG_KEYS = [
  'log.cleanup.policy',
  'log.cleaner.delete.retention.ms',
  'log.cleaner.max.compaction.lag.ms',
  'log.cleaner.min.cleanable.ratio',
  'log.cleaner.min.compaction.lag.ms',
  'compression.type',
  'compression.gzip.level',
  'compression.lz4.level',
  'compression.zstd.level',
  'log.segment.delete.delay.ms',
  'log.flush.interval.messages',
  'log.flush.interval.ms',
  'log.index.interval.bytes',
  'log.local.retention.bytes',
  'log.local.retention.ms',
  'message.max.bytes',
  'log.message.downconversion.enable',
  'log.message.format.version',
  'log.message.timestamp.after.max.ms',
  'log.message.timestamp.before.max.ms',
  'log.message.timestamp.difference.max.ms',
  'log.message.timestamp.type',
  'min.insync.replicas',
  'log.preallocate',
  'log.retention.bytes',
  'log.retention.ms',
  'log.segment.bytes',
  'log.index.size.max.bytes',
  'log.roll.jitter.ms',
  'log.roll.ms',
  'unclean.leader.election.enable',
] as const satisfies readonly BrokerConfigKey[];

export type DynamicBrokerConfigKey = (typeof DYNAMIC_CLEANER_KEYS)[number] | (typeof DYNAMIC_LOG_KEYS)[number];

const DYNAMIC_KEYS: ReadonlySet<string> = new Set<string>([...DYNAMIC_CLEANER_KEYS, ...DYNAMIC_LOG_KEYS]);

export function isDynamicBrokerConfigKey(k: string): k is DynamicBrokerConfigKey {
  return DYNAMIC_KEYS.has(k);
}

/**
 * A dynamic value as its definition reads it (type, then validator); throws ConfigError with Kafka's
 * "Invalid value X for configuration K: reason".
 */
export function parseDynamicValue(key: DynamicBrokerConfigKey, raw: string): unknown {
  const def = (BROKER_CONFIG_DEFS as Record<string, ConfigDef<unknown>>)[key]!;
  const v = parseValue(key, def, raw);
  checkValue(key, def, v, raw);
  return v;
}
