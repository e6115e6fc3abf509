// kafkajs compression codec plugins for the tests (kafkajs ships gzip only): snappy (raw; readers accept raw
// and xerial-framed), lz4 (frame format) and zstd, over the same npm libraries the broker uses plus
// @bokuweb/zstd-wasm for zstd compression.
import { createRequire } from 'node:module';
import { compressSync as snappyCompress } from 'snappy';
import { compressFrameSync as lz4Compress } from 'lz4-napi';
import { decompress as fzstdDecompress } from 'fzstd';
import { initZstdCompressor, decompress as serverDecompress } from '../../host-node/codecs/codecs.js';

const require = createRequire(import.meta.url);

let registered: Promise<void> | null = null;

export function registerKafkajsCodecs(): Promise<void> {
  registered ??= (async () => {
    const { CompressionTypes, CompressionCodecs } = require('kafkajs');
    const zstd = require('@bokuweb/zstd-wasm');
    await initZstdCompressor(); // the library's one start in this process, shared with the broker's compressor
    const toBuf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    CompressionCodecs[CompressionTypes.Snappy] = () => ({
      compress: async (encoder: { buffer: Buffer }) => snappyCompress(encoder.buffer),
      decompress: async (buffer: Buffer) => toBuf(serverDecompress(2, buffer)),
    });
    CompressionCodecs[CompressionTypes.LZ4] = () => ({
      compress: async (encoder: { buffer: Buffer }) => lz4Compress(encoder.buffer),
      decompress: async (buffer: Buffer) => toBuf(serverDecompress(3, buffer)),
    });
    CompressionCodecs[CompressionTypes.ZSTD] = () => ({
      compress: async (encoder: { buffer: Buffer }) => toBuf(zstd.compress(encoder.buffer, 3)),
      decompress: async (buffer: Buffer) => toBuf(fzstdDecompress(buffer)),
    });
  })();
  return registered;
}
