// The Node BatchCodecs (host-node/codecs/batch-codecs.ts) the log cleaner rewrites compressed batches
// with, and the compress() under it: every codec round-trips, what it writes is read by the other libraries
// Kafka's clients use, KIP-390's levels take effect, zstd refuses to run before its compressor started.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { uncompressSync as snappyUncompress } from 'snappy';
import { decompressFrameSync as lz4Decompress } from 'lz4-napi';
import { decompress as fzstdDecompress } from 'fzstd';
import { initBatchCodecs, nodeBatchCodecs } from '../../host-node/codecs/batch-codecs.js';
import { Codec, CodecError, compress } from '../../host-node/codecs/codecs.js';
import { InvariantViolation } from '../../common/invariant.js';
import { mulberry32 } from '../helpers/seeded-random.js';

/** Records-section-like bytes: repetitive text with random runs, so levels make a difference. */
function sample(bytes: number, seed: number): Uint8Array {
  const rnd = mulberry32(seed);
  const out = new Uint8Array(bytes);
  const words = ['key-', 'value-', 'header', 'timestamp', 'rivulet', 'kafka'];
  for (let i = 0; i < bytes; ) {
    if (rnd() < 0.3) out[i++] = Math.floor(rnd() * 256);
    else for (const c of Buffer.from(words[Math.floor(rnd() * words.length)]!)) if (i < bytes) out[i++] = c;
  }
  return out;
}

const ALL = [Codec.GZIP, Codec.SNAPPY, Codec.LZ4, Codec.ZSTD];

describe('nodeBatchCodecs', () => {
  it('zstd compression needs initBatchCodecs first (the other codecs do not)', async () => {
    const c = nodeBatchCodecs();
    const d = sample(1000, 1);
    expect(() => c.compress(Codec.ZSTD, d)).toThrow(CodecError);
    for (const codec of [Codec.GZIP, Codec.SNAPPY, Codec.LZ4]) expect(Buffer.from(c.decompress(codec, c.compress(codec, d))).equals(Buffer.from(d))).toBe(true);
    await initBatchCodecs();
    await initBatchCodecs(); // started once; a second call resolves at once
    expect(Buffer.from(c.decompress(Codec.ZSTD, c.compress(Codec.ZSTD, d))).equals(Buffer.from(d))).toBe(true);
  });

  it('round-trips every codec, sizes from 0 bytes to 3 MiB, views into larger buffers included', async () => {
    await initBatchCodecs();
    const c = nodeBatchCodecs();
    for (const size of [0, 1, 61, 4096, 100_000, 3 * 1024 * 1024]) {
      const whole = sample(size + 20, size);
      const d = whole.subarray(7, 7 + size); // a view at an offset, as records sections are
      for (const codec of ALL) {
        const z = c.compress(codec, d);
        if (size >= 4096) expect(z.length, `codec ${codec} size ${size}`).toBeLessThan(size);
        expect(Buffer.from(c.decompress(codec, z)).equals(Buffer.from(d)), `codec ${codec} size ${size}`).toBe(true);
      }
    }
  });

  it('writes what the other libraries read (zlib, raw snappy, LZ4 frames, fzstd)', async () => {
    await initBatchCodecs();
    const c = nodeBatchCodecs();
    const d = Buffer.from(sample(50_000, 7));
    expect(gunzipSync(c.compress(Codec.GZIP, d)).equals(d)).toBe(true);
    expect((snappyUncompress(Buffer.from(c.compress(Codec.SNAPPY, d))) as Buffer).equals(d)).toBe(true);
    expect(lz4Decompress(Buffer.from(c.compress(Codec.LZ4, d))).equals(d)).toBe(true);
    expect(Buffer.from(fzstdDecompress(c.compress(Codec.ZSTD, d))).equals(d)).toBe(true);
    // An LZ4 frame (magic 0x184D2204) with independent blocks (FLG bit 5), which Kafka's reader requires.
    const lz = c.compress(Codec.LZ4, d);
    expect(Buffer.from(lz.subarray(0, 4)).readUInt32LE(0)).toBe(0x184d2204);
    expect(lz[4]! & 0x20).toBe(0x20);
  });

  it("applies KIP-390's gzip and zstd levels (negative zstd levels included)", async () => {
    await initBatchCodecs();
    const d = sample(400_000, 3);
    const size = (levels: { gzip?: number; zstd?: number }, codec: number) => nodeBatchCodecs(levels).compress(codec, d).length;
    expect(size({ gzip: 1 }, Codec.GZIP)).toBeGreaterThan(size({ gzip: 9 }, Codec.GZIP));
    expect(size({ gzip: -1 }, Codec.GZIP)).toBe(compress(Codec.GZIP, d, { gzip: 6 }).length); // -1: zlib's default, 6
    expect(size({ zstd: 1 }, Codec.ZSTD)).toBeGreaterThan(size({ zstd: 19 }, Codec.ZSTD));
    expect(size({ zstd: -5 }, Codec.ZSTD)).toBeGreaterThan(size({ zstd: 1 }, Codec.ZSTD));
    expect(size({}, Codec.ZSTD)).toBe(size({ zstd: 3 }, Codec.ZSTD)); // Kafka's default
    const negative = nodeBatchCodecs({ zstd: -131072 });
    expect(Buffer.from(negative.decompress(Codec.ZSTD, negative.compress(Codec.ZSTD, d))).equals(Buffer.from(d))).toBe(true);
  });

  it('corrupt input throws CodecError; codec 0 or an unknown id is a caller bug', async () => {
    await initBatchCodecs();
    const c = nodeBatchCodecs();
    const junk = Buffer.from('not compressed by anything at all, not even a little');
    for (const codec of ALL) expect(() => c.decompress(codec, junk), `codec ${codec}`).toThrow(CodecError);
    expect(() => c.compress(0, junk)).toThrow(InvariantViolation);
    expect(() => c.decompress(5, junk)).toThrow(InvariantViolation);
  });
});
