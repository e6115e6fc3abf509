// The log cleaner's broker config keys (Kafka's names and defaults). Spread into BROKER_CONFIG_DEFS; their
// values reach storage through StorageConfig (storage/config.ts), which holds the same keys.
import { atLeast, between, bool, double, int, long } from './types.js';

export const CLEANER_CONFIG_DEFS = {
  'log.cleaner.enable': bool({
    default: true,
    importance: 'medium',
    doc: 'Enable the log cleaner, which compacts topics with cleanup.policy=compact (Kafka\'s internal __consumer_offsets among them).',
  }),
  'log.cleaner.threads': int({ default: 1, validate: atLeast(0), importance: 'medium', doc: 'The number of background threads (worker threads, each with its own WebAssembly core) used for log cleaning.' }),
  'log.cleaner.dedupe.buffer.size': long({ default: 134217728, validate: atLeast(0), importance: 'medium', doc: 'The total memory used for the offset maps of log deduplication across all cleaner threads.' }),
  'log.cleaner.io.buffer.size': int({ default: 524288, validate: atLeast(0), importance: 'medium', doc: 'The total memory used for log cleaner I/O buffers across all cleaner threads.' }),
  'log.cleaner.io.buffer.load.factor': double({ default: 0.9, validate: between(0, 1), importance: 'medium', doc: 'Offset map load factor: the fraction of the map\'s slots filled before a cleaning stops adding keys.' }),
  'log.cleaner.io.max.bytes.per.second': double({ default: Number.MAX_VALUE, validate: atLeast(0), importance: 'medium', doc: 'The log cleaner is throttled so that the sum of its read and write I/O stays below this value on average.' }),
  'log.cleaner.backoff.ms': long({ default: 15000, validate: atLeast(0), importance: 'medium', doc: 'The amount of time to sleep when there are no logs to clean.' }),
  'log.cleaner.min.cleanable.ratio': double({ default: 0.5, validate: between(0, 1), importance: 'medium', doc: 'The minimum ratio of dirty log to total log for a log to be eligible for cleaning (min.cleanable.dirty.ratio of topics without an override).' }),
  'log.cleaner.delete.retention.ms': long({ default: 86400000, validate: atLeast(0), importance: 'medium', doc: 'How long tombstones are retained after the cleaning that first reached them (delete.retention.ms of topics without an override).' }),
  'log.cleaner.min.compaction.lag.ms': long({ default: 0, validate: atLeast(0), importance: 'medium', doc: 'The minimum time a record remains uncompacted in the log (min.compaction.lag.ms of topics without an override).' }),
  'log.cleaner.max.compaction.lag.ms': long({ default: Number.MAX_SAFE_INTEGER, validate: atLeast(1), importance: 'medium', doc: 'The maximum time a record remains ineligible for compaction (max.compaction.lag.ms of topics without an override).' }),
};
