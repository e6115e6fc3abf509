// The broker's decompression (host-node/codecs/codecs.ts): every codec, Java's xerial snappy framing,
// and garbage → CodecError (never another exception type).
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compressSync as snappyCompress } from 'snappy';
import { compressFrameSync as lz4Compress } from 'lz4-napi';
import { CodecError, decompress } from '../../host-node/codecs/codecs.js';
import { RecordFormats, PartitionError } from '../../host-node/server/data/records.js';
import { encodeBatchRaw, encodeRecords, newCore } from '../../bindings/node.js';
import { ErrorCode } from '../../protocol/errors.js';

const require = createRequire(import.meta.url);
const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => `record-${i % 97};`).join(''));

function xerial(blocks: Buffer[]): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const parts: Buffer[] = [header];
  for (const b of blocks) {
    const c = snappyCompress(b) as Buffer;
    const len = Buffer.alloc(4);
    len.writeInt32BE(c.length);
    parts.push(len, c);
  }
  return Buffer.concat(parts);
}

describe('decompress', () => {
  it('gzip, raw snappy, xerial snappy (several blocks), lz4 frame, zstd', async () => {
    const zstd = require('@bokuweb/zstd-wasm');
    await zstd.init();
    expect(Buffer.from(decompress(1, gzipSync(data))).equals(data)).toBe(true);
    expect(Buffer.from(decompress(2, snappyCompress(data) as Buffer)).equals(data)).toBe(true);
    expect(Buffer.from(decompress(2, xerial([data.subarray(0, 1000), data.subarray(1000)]))).equals(data)).toBe(true);
    expect(Buffer.from(decompress(3, lz4Compress(data))).equals(data)).toBe(true);
    expect(Buffer.from(decompress(4, zstd.compress(data, 3))).equals(data)).toBe(true);
  });

  it('garbage and unknown codecs throw CodecError', () => {
    const junk = Buffer.from('this is not compressed at all, not even a little bit');
    for (const codec of [1, 2, 3, 4, 5, 7]) expect(() => decompress(codec, junk), `codec ${codec}`).toThrow(CodecError);
    const badXerial = xerial([data]);
    badXerial.writeInt32BE(1 << 30, 16);
    expect(() => decompress(2, badXerial)).toThrow(CodecError);
  });
});

describe('RecordFormats.prepareProduce', () => {
  const formats = new RecordFormats(newCore());
  const records = Array.from({ length: 4 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, timestamp: 1000 + i, offsetDelta: i, timestampDelta: i }));
  const section = Buffer.from(encodeRecords(records, 1000));

  it('a compressed batch passes as the same bytes (stored as it arrived)', () => {
    const b = encodeBatchRaw({ records: xerial([section]), recordCount: 4, compression: 2, baseTimestamp: 1000, maxTimestamp: 1003, lastOffsetDelta: 3 });
    expect(formats.prepareProduce(b, 9)).toBe(b);
  });

  it('bytes lying in the core memory stay usable when a check grows that memory (the broker shares its core with storage)', () => {
    const core = newCore();
    const shared = new RecordFormats(core);
    // Two gzip batches whose decompressed sections (~2 MB each) exceed the core's scratch: walking them
    // reserves more linear memory, which detaches every view of it.
    const value = 'x'.repeat(2000);
    const big = Buffer.from(encodeRecords(Array.from({ length: 1000 }, (_, i) => ({ value, timestamp: 1000, offsetDelta: i, timestampDelta: 0 })), 1000));
    const one = encodeBatchRaw({ records: gzipSync(big), recordCount: 1000, compression: 1, baseTimestamp: 1000, maxTimestamp: 1000, lastOffsetDelta: 999 });
    const two = Buffer.concat([one, one]);
    const region = core.alloc(two.length);
    region.write(two);
    const view = region.bytes();
    const before = core.exports.memory.buffer.byteLength;
    const out = shared.prepareProduce(view, 2);
    expect(core.exports.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(view.byteLength).toBe(0);
    expect(out.buffer).toBe(core.exports.memory.buffer);
    expect(out.byteOffset).toBe(region.ptr);
    expect(Buffer.from(out).equals(two)).toBe(true);
  });

  it('garbage inside a compressed batch with a valid CRC → CORRUPT_MESSAGE; a lying record count → INVALID_RECORD', () => {
    const garbage = encodeBatchRaw({ records: Buffer.from('not gzip'), recordCount: 4, compression: 1, baseTimestamp: 1000, maxTimestamp: 1003, lastOffsetDelta: 3 });
    expect(() => formats.prepareProduce(garbage, 9)).toThrow(expect.objectContaining({ code: ErrorCode.CORRUPT_MESSAGE }));
    const lying = encodeBatchRaw({ records: gzipSync(Buffer.concat([section, section])), recordCount: 4, compression: 1, baseTimestamp: 1000, maxTimestamp: 1003, lastOffsetDelta: 3 });
    let err: unknown;
    try {
      formats.prepareProduce(lying, 9);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PartitionError);
    expect((err as PartitionError).code).toBe(ErrorCode.INVALID_RECORD);
  });
});
