// Storage configuration with Kafka's names and defaults.
//  - StorageConfig: the broker-level `log.*` keys (a plain object; merged into the broker's config table).
//  - LogConfig: the per-topic keys (retention.ms, segment.bytes, ...) resolved from topic overrides over
//    the broker defaults, as Kafka's LogConfig does.
// Kafka's Long.MAX_VALUE is represented as Number.MAX_SAFE_INTEGER (the broker config's `long` range).

export const LONG_MAX = Number.MAX_SAFE_INTEGER;

export interface StorageConfig {
  'log.dir': string;
  'log.dirs': string[] | null;
  'log.segment.bytes': number;
  'log.roll.ms': number | null;
  'log.roll.hours': number;
  'log.roll.jitter.ms': number | null;
  'log.roll.jitter.hours': number;
  'log.index.size.max.bytes': number;
  'log.index.interval.bytes': number;
  'log.retention.ms': number | null;
  'log.retention.minutes': number | null;
  'log.retention.hours': number;
  'log.retention.bytes': number;
  'log.retention.check.interval.ms': number;
  'log.cleanup.policy': string[];
  'log.flush.interval.messages': number;
  'log.flush.interval.ms': number | null;
  'log.flush.scheduler.interval.ms': number;
  'log.flush.offset.checkpoint.interval.ms': number;
  'log.flush.start.offset.checkpoint.interval.ms': number;
  'log.segment.delete.delay.ms': number;
  'log.message.timestamp.type': 'CreateTime' | 'LogAppendTime';
  'message.max.bytes': number;
  /** Rivulet addition: after ENOSPC, how long a partition stays offline before an append may probe again. */
  'log.storage.retry.backoff.ms': number;
  /** Idempotent producers with no write for this long are forgotten by every partition. */
  'producer.id.expiration.ms': number;
  /** How often partitions look for expired producers. */
  'producer.id.expiration.check.interval.ms': number;
  // The log cleaner (compaction), Kafka's names.
  'log.cleaner.enable': boolean;
  'log.cleaner.threads': number;
  'log.cleaner.dedupe.buffer.size': number;
  'log.cleaner.io.buffer.size': number;
  'log.cleaner.io.buffer.load.factor': number;
  'log.cleaner.io.max.bytes.per.second': number;
  'log.cleaner.backoff.ms': number;
  'log.cleaner.min.cleanable.ratio': number;
  'log.cleaner.delete.retention.ms': number;
  'log.cleaner.min.compaction.lag.ms': number;
  'log.cleaner.max.compaction.lag.ms': number;
}

export const STORAGE_CONFIG_DEFAULTS: Readonly<StorageConfig> = Object.freeze({
  'log.dir': '/tmp/rivulet-logs',
  'log.dirs': null,
  'log.segment.bytes': 1073741824,
  'log.roll.ms': null,
  'log.roll.hours': 168,
  'log.roll.jitter.ms': null,
  'log.roll.jitter.hours': 0,
  'log.index.size.max.bytes': 10485760,
  'log.index.interval.bytes': 4096,
  'log.retention.ms': null,
  'log.retention.minutes': null,
  'log.retention.hours': 168,
  'log.retention.bytes': -1,
  'log.retention.check.interval.ms': 300000,
  'log.cleanup.policy': ['delete'],
  'log.flush.interval.messages': LONG_MAX,
  'log.flush.interval.ms': null,
  'log.flush.scheduler.interval.ms': LONG_MAX,
  'log.flush.offset.checkpoint.interval.ms': 60000,
  'log.flush.start.offset.checkpoint.interval.ms': 60000,
  'log.segment.delete.delay.ms': 60000,
  'log.message.timestamp.type': 'CreateTime',
  'message.max.bytes': 1048588,
  'log.storage.retry.backoff.ms': 1000,
  'producer.id.expiration.ms': 86400000,
  'producer.id.expiration.check.interval.ms': 600000,
  'log.cleaner.enable': true,
  'log.cleaner.threads': 1,
  'log.cleaner.dedupe.buffer.size': 134217728,
  'log.cleaner.io.buffer.size': 524288,
  'log.cleaner.io.buffer.load.factor': 0.9,
  'log.cleaner.io.max.bytes.per.second': Number.MAX_VALUE,
  'log.cleaner.backoff.ms': 15000,
  'log.cleaner.min.cleanable.ratio': 0.5,
  'log.cleaner.delete.retention.ms': 86400000,
  'log.cleaner.min.compaction.lag.ms': 0,
  'log.cleaner.max.compaction.lag.ms': LONG_MAX,
});

/** Per-topic configuration (Kafka's topic-level names). */
export interface LogConfig {
  'segment.bytes': number;
  'segment.ms': number;
  'segment.jitter.ms': number;
  'segment.index.bytes': number;
  'index.interval.bytes': number;
  'retention.ms': number;
  'retention.bytes': number;
  'cleanup.policy': string[];
  'flush.messages': number;
  'flush.ms': number;
  'file.delete.delay.ms': number;
  'message.timestamp.type': 'CreateTime' | 'LogAppendTime';
  'max.message.bytes': number;
  /** Compaction: a log is cleaned once dirty bytes / (clean + dirty bytes) reach this. */
  'min.cleanable.dirty.ratio': number;
  /** Compaction: a record stays uncompacted at least this long after it was appended (by its timestamp). */
  'min.compaction.lag.ms': number;
  /** Compaction: a log whose oldest dirty record is older than this is cleaned whatever its dirty ratio. */
  'max.compaction.lag.ms': number;
  /** Compaction: how long a tombstone stays after the cleaning that first reached it. */
  'delete.retention.ms': number;
}

export const LOG_CONFIG_KEYS: readonly (keyof LogConfig)[] = [
  'segment.bytes',
  'segment.ms',
  'segment.jitter.ms',
  'segment.index.bytes',
  'index.interval.bytes',
  'retention.ms',
  'retention.bytes',
  'cleanup.policy',
  'flush.messages',
  'flush.ms',
  'file.delete.delay.ms',
  'message.timestamp.type',
  'max.message.bytes',
  'min.cleanable.dirty.ratio',
  'min.compaction.lag.ms',
  'max.compaction.lag.ms',
  'delete.retention.ms',
];

const HOUR = 3600_000;

/** The broker's defaults for topic configs (Kafka's synonyms: ms > minutes > hours). */
export function defaultLogConfig(c: Partial<StorageConfig> = {}): LogConfig {
  const s: StorageConfig = { ...STORAGE_CONFIG_DEFAULTS, ...c };
  const retentionMs = s['log.retention.ms'] ?? (s['log.retention.minutes'] !== null ? s['log.retention.minutes'] * 60_000 : s['log.retention.hours'] * HOUR);
  return {
    'segment.bytes': s['log.segment.bytes'],
    'segment.ms': s['log.roll.ms'] ?? s['log.roll.hours'] * HOUR,
    'segment.jitter.ms': s['log.roll.jitter.ms'] ?? s['log.roll.jitter.hours'] * HOUR,
    'segment.index.bytes': s['log.index.size.max.bytes'],
    'index.interval.bytes': s['log.index.interval.bytes'],
    'retention.ms': retentionMs < 0 ? -1 : retentionMs,
    'retention.bytes': s['log.retention.bytes'],
    'cleanup.policy': s['log.cleanup.policy'],
    'flush.messages': s['log.flush.interval.messages'],
    'flush.ms': s['log.flush.interval.ms'] ?? s['log.flush.scheduler.interval.ms'],
    'file.delete.delay.ms': s['log.segment.delete.delay.ms'],
    'message.timestamp.type': s['log.message.timestamp.type'],
    'max.message.bytes': s['message.max.bytes'],
    'min.cleanable.dirty.ratio': s['log.cleaner.min.cleanable.ratio'],
    'min.compaction.lag.ms': s['log.cleaner.min.compaction.lag.ms'],
    'max.compaction.lag.ms': s['log.cleaner.max.compaction.lag.ms'],
    'delete.retention.ms': s['log.cleaner.delete.retention.ms'],
  };
}

/** Topic overrides (already typed) over broker defaults. Unknown keys are rejected. */
export function resolveLogConfig(defaults: LogConfig, overrides: Partial<LogConfig> = {}): LogConfig {
  for (const k of Object.keys(overrides)) if (!(LOG_CONFIG_KEYS as readonly string[]).includes(k)) throw new Error(`Unknown topic config ${k}`);
  const c: LogConfig = { ...defaults, ...overrides };
  validateLogConfig(c);
  return c;
}

function validateLogConfig(c: LogConfig): void {
  const fail = (k: string, why: string) => {
    throw new Error(`Invalid value ${String(c[k as keyof LogConfig])} for configuration ${k}: ${why}`);
  };
  if (!Number.isInteger(c['segment.bytes']) || c['segment.bytes'] < 14) fail('segment.bytes', 'must be at least 14');
  if (c['segment.bytes'] > 2147483647) fail('segment.bytes', 'must fit in an int32 (positions are int32 in the index)');
  if (c['segment.ms'] < 1) fail('segment.ms', 'must be at least 1');
  if (c['segment.index.bytes'] < 8) fail('segment.index.bytes', 'must be at least 8');
  if (c['index.interval.bytes'] < 0) fail('index.interval.bytes', 'must be at least 0');
  if (c['retention.ms'] < -1) fail('retention.ms', 'must be at least -1');
  if (c['flush.messages'] < 1) fail('flush.messages', 'must be at least 1');
  if (c['flush.ms'] < 0) fail('flush.ms', 'must be at least 0');
  if (c['max.message.bytes'] < 0) fail('max.message.bytes', 'must be at least 0');
  if (!c['cleanup.policy'].every((p) => p === 'delete' || p === 'compact')) fail('cleanup.policy', 'expected delete and/or compact');
  if (c['cleanup.policy'].length === 0) fail('cleanup.policy', 'Empty list is not allowed');
  if (!(c['min.cleanable.dirty.ratio'] >= 0 && c['min.cleanable.dirty.ratio'] <= 1)) fail('min.cleanable.dirty.ratio', 'must be between 0 and 1');
  if (c['min.compaction.lag.ms'] < 0) fail('min.compaction.lag.ms', 'must be at least 0');
  if (c['max.compaction.lag.ms'] < 1) fail('max.compaction.lag.ms', 'must be at least 1');
  if (c['delete.retention.ms'] < 0) fail('delete.retention.ms', 'must be at least 0');
  if (c['message.timestamp.type'] !== 'CreateTime' && c['message.timestamp.type'] !== 'LogAppendTime') fail('message.timestamp.type', 'expected CreateTime or LogAppendTime');
}

export function logDirsOf(c: Partial<StorageConfig>): string[] {
  return c['log.dirs'] ?? [c['log.dir'] ?? STORAGE_CONFIG_DEFAULTS['log.dir']];
}
