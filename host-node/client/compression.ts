// Compression codecs for record batches. A batch's records section is compressed as a whole and the
// codec id (attributes bits 0-2) tells readers which codec to use. Every codec Kafka has is registered here;
// registerCodec() replaces one (say, with a faster library).
//
// Compressing, with the libraries the broker reads with (host-node/codecs/codecs.ts):
// - gzip: node:zlib.
// - snappy: `snappy`, raw blocks as librdkafka writes them for v2 batches (Kafka's readers, xerial's included,
//   accept raw blocks as well as xerial's framing).
// - lz4: `lz4-napi`, the standard LZ4 frame format with independent blocks, which is what Kafka reads.
// - zstd: the broker's compress() (`@bokuweb/zstd-wasm`, level 3, Kafka's default), the only one with an
//   asynchronous start-up (initZstdCompressor).
// Decompressing snappy, lz4 and zstd is the broker's decompress(): the same libraries, both snappy framings,
// and its limit on the decompressed size.
//
// snappy and lz4 are native addons and zstd a WebAssembly module: each is loaded on the first batch that
// needs it, so a client (and the `rivulet` tools) that never uses them does not pay for loading them.
import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import { KafkaClientError } from '../../client/errors.js';
import { compress, decompress, initZstdCompressor } from '../codecs/codecs.js';

export const CompressionType = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const;
export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface CompressionCodec {
  readonly id: number;
  readonly name: CompressionName;
  compress(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  decompress(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

const codecs = new Map<number, CompressionCodec>();

/** Adds (or replaces) a codec. */
export function registerCodec(codec: CompressionCodec): void {
  codecs.set(codec.id, codec);
}

/** The codec for an id; throws a clear error for codecs nobody registered. */
export function codecById(id: number): CompressionCodec {
  const c = codecs.get(id);
  if (!c) {
    const name = Object.entries(CompressionType).find(([, v]) => v === id)?.[0]?.toLowerCase() ?? `codec ${id}`;
    throw new KafkaClientError(`compression '${name}' is not available in this client (register a codec with registerCodec())`);
  }
  return c;
}

/** Parses a compression.type value ('none', 'gzip', …). */
export function compressionIdOf(name: string): number {
  const id = (CompressionType as Record<string, number>)[name.toUpperCase()];
  if (id === undefined) throw new KafkaClientError(`unknown compression.type '${name}'`);
  return id;
}

registerCodec({
  id: CompressionType.GZIP,
  name: 'gzip',
  compress: (d) => gzipSync(d),
  decompress: (d) => gunzipSync(d),
});

const requireLib = createRequire(import.meta.url);
let snappyLib: typeof import('snappy') | undefined;
let lz4Lib: typeof import('lz4-napi') | undefined;

/** A Buffer over the same bytes (the native addons take Buffers), no copy. */
const asBuffer = (d: Uint8Array): Buffer => (Buffer.isBuffer(d) ? d : Buffer.from(d.buffer, d.byteOffset, d.byteLength));

/** zstd, compressed by the broker's compressor once it started (the start is shared with the broker's). */
async function zstdCompress(d: Uint8Array): Promise<Uint8Array> {
  try {
    await initZstdCompressor();
  } catch (e) {
    throw new KafkaClientError(`compression 'zstd' needs the npm package @bokuweb/zstd-wasm (${(e as Error).message})`);
  }
  return compress(CompressionType.ZSTD, d);
}

registerCodec({
  id: CompressionType.SNAPPY,
  name: 'snappy',
  compress: (d) => (snappyLib ??= requireLib('snappy') as typeof import('snappy')).compressSync(d),
  decompress: (d) => decompress(CompressionType.SNAPPY, d),
});

registerCodec({
  id: CompressionType.LZ4,
  name: 'lz4',
  compress: (d) => (lz4Lib ??= requireLib('lz4-napi') as typeof import('lz4-napi')).compressFrameSync(asBuffer(d)),
  decompress: (d) => decompress(CompressionType.LZ4, d),
});

registerCodec({
  id: CompressionType.ZSTD,
  name: 'zstd',
  compress: zstdCompress,
  decompress: (d) => decompress(CompressionType.ZSTD, d),
});
