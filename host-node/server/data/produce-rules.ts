// What a topic's configs ask of Produce bytes beyond the format checks every topic gets: the codec stored
// batches must be in (compression.type other than producer: batches in another codec are recompressed,
// as Kafka's LogValidator does) and, for a compacted topic (cleanup.policy includes compact), a key on every
// record. Most topics ask neither: their rules are null, and RecordFormats.prepareProduce does nothing more.
import type { TopicConfigValues } from '../../topics/topic-config.js';
import { Codec, type CompressionLevels } from '../../codecs/codecs.js';

export interface ProduceRules {
  readonly topic: string;
  /** The codec every stored batch must have, or -1: as the producer sent it (compression.type=producer). */
  readonly targetCodec: number;
  /** KIP-390's levels for recompressing into targetCodec. */
  readonly levels: CompressionLevels;
  /** cleanup.policy includes compact: a record without a key is refused (INVALID_RECORD). */
  readonly requireKey: boolean;
}

/** compression.type → the batch attributes' codec id (-1 for producer). */
export function targetCodecOf(compressionType: string): number {
  switch (compressionType) {
    case 'producer':
      return -1;
    case 'uncompressed':
      return Codec.NONE;
    case 'gzip':
      return Codec.GZIP;
    case 'snappy':
      return Codec.SNAPPY;
    case 'lz4':
      return Codec.LZ4;
    case 'zstd':
      return Codec.ZSTD;
    default:
      throw new Error(`unknown compression.type ${compressionType}`); // validated when the config was set
  }
}

/** One rules object per effective config (a config change makes a new effective object). */
const cache = new WeakMap<TopicConfigValues, ProduceRules>();

/** The rules of a topic with effective config `config` (undefined: no such topic), or null when it has none. */
export function produceRulesOf(topic: string, config: TopicConfigValues | undefined): ProduceRules | null {
  if (config === undefined) return null;
  if (config['compression.type'] === 'producer' && !config['cleanup.policy'].includes('compact')) return null;
  let rules = cache.get(config);
  if (rules === undefined || rules.topic !== topic) {
    rules = {
      topic,
      targetCodec: targetCodecOf(config['compression.type']),
      levels: { gzip: config['compression.gzip.level'], lz4: config['compression.lz4.level'], zstd: config['compression.zstd.level'] },
      requireKey: config['cleanup.policy'].includes('compact'),
    };
    cache.set(config, rules);
  }
  return rules;
}
