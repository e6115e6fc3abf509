// The log cleaner's BatchCodecs (storage/cleaner/cleaner-core.ts) on Node: the data path's own decompress()
// and compress() (codecs.ts), so a batch the cleaner rewrites is compressed exactly as a Produce recompressed
// under compression.type would be. Synchronous, as the cleaner's pass is; zstd's compressor starts
// asynchronously, so a thread that may rewrite zstd batches awaits initBatchCodecs() first.
import type { BatchCodecs } from '../../storage/cleaner/cleaner-core.js';
import { invariantViolation } from '../../common/invariant.js';
import { Codec, DEFAULT_COMPRESSION_LEVELS, compress, decompress, initZstdCompressor, type CompressionLevels } from './codecs.js';

/** Starts what compression needs before its first synchronous use (zstd's WebAssembly compressor). */
export function initBatchCodecs(): Promise<void> {
  return initZstdCompressor();
}

/** BatchCodecs at the given levels (Kafka's defaults for those left out). Throws CodecError on corrupt input. */
export function nodeBatchCodecs(levels: CompressionLevels = {}): BatchCodecs {
  const at: Required<CompressionLevels> = { ...DEFAULT_COMPRESSION_LEVELS, ...stripUndefined(levels) };
  return {
    decompress(codec, data) {
      if (!(codec > Codec.NONE && codec <= Codec.ZSTD)) throw invariantViolation(`BatchCodecs.decompress: codec ${codec} is not a compression codec`);
      return decompress(codec, data);
    },
    compress(codec, data) {
      if (!(codec > Codec.NONE && codec <= Codec.ZSTD)) throw invariantViolation(`BatchCodecs.compress: codec ${codec} is not a compression codec`);
      return compress(codec, data, at);
    },
  };
}

function stripUndefined(levels: CompressionLevels): CompressionLevels {
  const out: { gzip?: number; lz4?: number; zstd?: number } = {};
  if (levels.gzip !== undefined) out.gzip = levels.gzip;
  if (levels.lz4 !== undefined) out.lz4 = levels.lz4;
  if (levels.zstd !== undefined) out.zstd = levels.zstd;
  return out;
}
