// The codecs of the broker's data path. Decompression: the records section of a compressed v2 batch
// (validated on Produce, expanded for down-conversion on Fetch v0–3, recompressed under a topic's
// compression.type, rewritten by the log cleaner) and the value of a compressed legacy wrapper message
// (up-conversion of Produce v0–2 message sets). Compression: a records section in a topic's target codec
// (compression.type other than producer) and the batches the log cleaner rewrites, at KIP-390's levels.
//
// Libraries (all install from npm without downloading anything at install time):
// - gzip: node:zlib.
// - snappy: `snappy` (napi-rs, prebuilt per-platform packages). Kafka's Java clients wrap snappy in xerial's
//   framing (magic 0x82 "SNAPPY" 0, two int32s, then int32-length-prefixed raw blocks); librdkafka writes
//   raw snappy for v2 batches. Both are accepted.
// - lz4: `lz4-napi` (napi-rs over lz4_flex): the LZ4 frame format Kafka uses.
// - zstd: `fzstd` (pure JS, decompression only, synchronous from the first call); compression through
//   `@bokuweb/zstd-wasm`, whose WebAssembly module starts asynchronously: `initZstdCompressor()` must have
//   resolved before compress(ZSTD) (which throws CodecError otherwise).
//
// snappy and lz4 are native addons (~25 ms to dlopen), fzstd is a sizeable module and node:zlib costs a few ms
// too: each is loaded on the first batch that needs it, not at broker start (start-up time is a product
// requirement), through a synchronous require because decompression runs inside a synchronous validation step.
import { createRequire } from 'node:module';

const requireLib = createRequire(import.meta.url);
let zlib: typeof import('node:zlib') | undefined;
let snappyLib: typeof import('snappy') | undefined;
let lz4Lib: typeof import('lz4-napi') | undefined;
let zstdLib: typeof import('fzstd') | undefined;
const gunzipSync = (b: Uint8Array, o: import('node:zlib').ZlibOptions): Buffer => (zlib ??= requireLib('node:zlib') as typeof import('node:zlib')).gunzipSync(b, o);
const snappyUncompress = (b: Buffer): Buffer | string => (snappyLib ??= requireLib('snappy') as typeof import('snappy')).uncompressSync(b);
const lz4DecompressFrame = (b: Buffer): Buffer => (lz4Lib ??= requireLib('lz4-napi') as typeof import('lz4-napi')).decompressFrameSync(b);
const zstdDecompress = (b: Uint8Array, out?: Uint8Array): Uint8Array => (zstdLib ??= requireLib('fzstd') as typeof import('fzstd')).decompress(b, out);
/** The zstd compressor once its module started (initZstdCompressor). */
let zstdWasm: typeof import('@bokuweb/zstd-wasm') | undefined;
let zstdWasmStarting: Promise<void> | undefined;

export const Codec = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const;
const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** Largest decompressed section accepted (guards against decompression bombs). */
const MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

export class CodecError extends Error {
  override readonly name = 'CodecError';
}

const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];

function isXerial(b: Uint8Array): boolean {
  if (b.length < 16) return false;
  for (let i = 0; i < 8; i++) if (b[i] !== XERIAL_MAGIC[i]) return false;
  return true;
}

/** A raw snappy block starts with its uncompressed length (uvarint): refuse oversized blocks before allocating. */
function checkSnappyLength(b: Uint8Array): void {
  let n = 0;
  for (let i = 0, shift = 0; i < 5 && i < b.length; i++, shift += 7) {
    n += (b[i]! & 0x7f) * 2 ** shift;
    if (b[i]! < 0x80) break;
  }
  if (n > MAX_DECOMPRESSED_BYTES) throw new CodecError(`snappy: block of ${n} bytes over the limit`);
}

function snappyDecompress(b: Uint8Array): Uint8Array {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (!isXerial(b)) {
    checkSnappyLength(buf);
    return snappyUncompress(buf) as Buffer;
  }
  const parts: Buffer[] = [];
  let total = 0;
  let pos = 16;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) throw new CodecError('snappy: truncated xerial block length');
    const n = buf.readInt32BE(pos);
    pos += 4;
    if (n < 0 || pos + n > buf.length) throw new CodecError('snappy: bad xerial block length');
    checkSnappyLength(buf.subarray(pos, pos + n));
    const part = snappyUncompress(buf.subarray(pos, pos + n)) as Buffer;
    total += part.length;
    if (total > MAX_DECOMPRESSED_BYTES) throw new CodecError('snappy: decompressed size over limit');
    parts.push(part);
    pos += n;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}

/** Decompresses `data` with the codec id from a batch's (or legacy message's) attributes. Throws CodecError. */
export function decompress(codec: number, data: Uint8Array): Uint8Array {
  let out: Uint8Array;
  try {
    switch (codec) {
      case Codec.NONE:
        return data;
      case Codec.GZIP:
        out = gunzipSync(data, { maxOutputLength: MAX_DECOMPRESSED_BYTES });
        break;
      case Codec.SNAPPY:
        out = snappyDecompress(data);
        break;
      case Codec.LZ4:
        out = lz4DecompressFrame(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
        break;
      case Codec.ZSTD:
        out = zstdDecompress(data);
        break;
      default:
        throw new CodecError(`unknown compression codec ${codec}`);
    }
  } catch (e) {
    if (e instanceof CodecError) throw e;
    throw new CodecError(`${CODEC_NAMES[codec] ?? codec}: ${(e as Error).message}`);
  }
  if (out.length > MAX_DECOMPRESSED_BYTES) throw new CodecError('decompressed size over limit');
  return out;
}

/** KIP-390's compression levels (compression.gzip.level, compression.lz4.level, compression.zstd.level). */
export interface CompressionLevels {
  /** 1..9, or -1 for zlib's default (6). */
  readonly gzip?: number;
  /** 1..17; accepted and ignored: lz4-napi (lz4_flex) has one speed, which Kafka's readers all accept. */
  readonly lz4?: number;
  /** -131072..22 (negative: zstd's fast modes); default 3. */
  readonly zstd?: number;
}

/** Kafka's defaults for the levels. */
export const DEFAULT_COMPRESSION_LEVELS: Required<CompressionLevels> = Object.freeze({ gzip: -1, lz4: 9, zstd: 3 });

/**
 * Starts the zstd compressor (a WebAssembly module that only starts asynchronously); resolves at once when it
 * already runs. A failed start rejects and is tried again on the next call.
 */
export function initZstdCompressor(): Promise<void> {
  if (zstdWasm !== undefined) return Promise.resolve();
  zstdWasmStarting ??= (async () => {
    const lib = requireLib('@bokuweb/zstd-wasm') as typeof import('@bokuweb/zstd-wasm');
    // The library is one module per process: starting it again (another user of it already did) swaps its
    // WebAssembly instance asynchronously, under the feet of compressions that run meanwhile.
    if (!zstdStarted(lib)) await lib.init();
    zstdWasm = lib;
  })().catch((e: unknown) => {
    zstdWasmStarting = undefined;
    throw new CodecError(`zstd: the compressor did not start (${(e as Error).message})`);
  });
  return zstdWasmStarting;
}

/** Whether the zstd library's module already runs (before its start, compressing throws a TypeError). */
function zstdStarted(lib: typeof import('@bokuweb/zstd-wasm')): boolean {
  try {
    lib.compress(new Uint8Array(1), 1);
    return true;
  } catch {
    return false;
  }
}

/** Whether compress(ZSTD) can run now (initZstdCompressor resolved). */
export function zstdCompressorReady(): boolean {
  return zstdWasm !== undefined;
}

/**
 * `data` (a records section) compressed with `codec` at `levels`, synchronously. snappy is written as raw
 * blocks (librdkafka's form; Kafka's readers, xerial's stream included, take raw blocks too); lz4 as the LZ4
 * frame format with independent blocks. NONE returns `data` itself. Throws CodecError (for zstd: also when
 * its compressor has not started).
 */
export function compress(codec: number, data: Uint8Array, levels: CompressionLevels = DEFAULT_COMPRESSION_LEVELS): Uint8Array {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  try {
    switch (codec) {
      case Codec.NONE:
        return data;
      case Codec.GZIP:
        zlib ??= requireLib('node:zlib') as typeof import('node:zlib');
        return zlib.gzipSync(buf, { level: levels.gzip ?? DEFAULT_COMPRESSION_LEVELS.gzip });
      case Codec.SNAPPY:
        return (snappyLib ??= requireLib('snappy') as typeof import('snappy')).compressSync(buf);
      case Codec.LZ4:
        return (lz4Lib ??= requireLib('lz4-napi') as typeof import('lz4-napi')).compressFrameSync(buf);
      case Codec.ZSTD:
        if (zstdWasm === undefined) throw new CodecError('zstd: the compressor has not started (initZstdCompressor)');
        return zstdWasm.compress(buf, levels.zstd ?? DEFAULT_COMPRESSION_LEVELS.zstd);
      default:
        throw new CodecError(`unknown compression codec ${codec}`);
    }
  } catch (e) {
    if (e instanceof CodecError) throw e;
    throw new CodecError(`${CODEC_NAMES[codec] ?? codec}: ${(e as Error).message}`);
  }
}
