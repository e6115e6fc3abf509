// The broker's compression keys (Kafka's names, values and defaults): compression.type, the codec stored
// batches are kept in (producer: as the producer sent them), and KIP-390's levels (Kafka 3.8+). Spread into
// BROKER_CONFIG_DEFS; they are also the defaults (synonyms) of the topic configs of the same names.
import { between, int, oneOf, str, type Validator } from './types.js';

/** compression.type's values, Kafka's spelling. */
export const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] as const;

export const compressionTypeValidator: Validator<string> = oneOf(...COMPRESSION_TYPES);
/** compression.gzip.level: 1..9, or -1 for the library's default. */
export const gzipLevelValidator: Validator<number> = (v) => (v === -1 || (v >= 1 && v <= 9) ? undefined : 'Value must be between 1 and 9, or -1 (the default level)');
export const lz4LevelValidator: Validator<number> = between(1, 17);
export const zstdLevelValidator: Validator<number> = between(-131072, 22);

export const COMPRESSION_CONFIG_DEFS = {
  'compression.type': str({
    default: 'producer',
    validate: compressionTypeValidator,
    importance: 'high',
    doc: 'The codec of stored batches: producer (kept as the producer compressed them), uncompressed, gzip, snappy, lz4 or zstd (a batch in another codec is recompressed before the append).',
  }),
  'compression.gzip.level': int({ default: -1, validate: gzipLevelValidator, importance: 'medium', doc: 'The level batches are gzip-compressed at when compression.type is gzip (-1: zlib\'s default, 6).' }),
  'compression.lz4.level': int({
    default: 9,
    validate: lz4LevelValidator,
    importance: 'medium',
    doc: 'Kafka\'s lz4 level for compression.type lz4. Accepted and stored; no effect in Rivulet, whose lz4 compressor (lz4_flex) has one speed.',
  }),
  'compression.zstd.level': int({ default: 3, validate: zstdLevelValidator, importance: 'medium', doc: 'The level batches are zstd-compressed at when compression.type is zstd (negative: zstd\'s fast modes).' }),
};
