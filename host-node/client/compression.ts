// Compression codecs for record batches. A batch's records section is compressed as a whole and the
// codec id (attributes bits 0-2) tells readers which codec to use. gzip comes from node:zlib; snappy,
// lz4 and zstd are left to well-kept npm libraries, registered by the application, e.g.
//   registerCodec({ id: CompressionType.ZSTD, name: 'zstd', compress: (b) => zstd.compress(b), decompress: … })
// Kafka's framing details to respect when adding them: snappy uses xerial's framed format (magic
// 0x82 'SNAPPY' 0 + 4-byte-length chunks) when written by Java; lz4 is the standard LZ4 frame format.
import { gunzipSync, gzipSync } from 'node:zlib';
import { KafkaClientError } from '../../client/errors.js';

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
