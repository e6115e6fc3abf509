// Bytes as a real client encodes them (kafkajs's RecordBatch encoder): keys, headers, gzip.
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupTempDirs, decodeBatches, openLog, tempDir } from './helpers/env.js';

afterEach(cleanupTempDirs);
const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (o: any) => Promise<{ buffer: Buffer }> };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (o: any) => unknown;
const { Types } = require('kafkajs/src/protocol/message/compression') as { Types: { None: number; GZIP: number } };

async function kafkajsBatch(n: number, compression: number, now: number): Promise<Buffer> {
  const records = Array.from({ length: n }, (_, i) =>
    Record({ offsetDelta: i, timestampDelta: i, key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}`), headers: { h: Buffer.from(`x${i}`) } }),
  );
  const b = await RecordBatch({ compression, firstTimestamp: now, maxTimestamp: now + n - 1, lastOffsetDelta: n - 1, records });
  return b.buffer;
}

describe('batches encoded by kafkajs', () => {
  it('uncompressed: appended, offsets assigned, read back intact', async () => {
    const log = openLog({ dir: tempDir() });
    log.append(await kafkajsBatch(3, Types.None, 1_000));
    const info = log.append(await kafkajsBatch(4, Types.None, 2_000));
    expect(info).toMatchObject({ firstOffset: 3, lastOffset: 6, recordCount: 4, maxTimestamp: 2_003 });
    const recs = decodeBatches(log.readBytes(0, 1 << 20)!);
    expect(recs.map((r) => [r.offset, r.key!.toString(), r.value!.toString(), r.timestamp])).toEqual([
      [0, 'k0', 'value-0', 1000],
      [1, 'k1', 'value-1', 1001],
      [2, 'k2', 'value-2', 1002],
      [3, 'k0', 'value-0', 2000],
      [4, 'k1', 'value-1', 2001],
      [5, 'k2', 'value-2', 2002],
      [6, 'k3', 'value-3', 2003],
    ]);
    expect(log.fetchOffsetForTimestamp(2_002)).toEqual({ offset: 5, timestamp: 2_002 });
    log.close();
  });

  it('gzip: stored as sent (offsets assigned in the header), served back byte-identical after the header', async () => {
    const log = openLog({ dir: tempDir() });
    log.append(await kafkajsBatch(2, Types.None, 5));
    const gz = await kafkajsBatch(5, Types.GZIP, 10);
    const info = log.append(gz);
    expect(info).toMatchObject({ firstOffset: 2, lastOffset: 6, recordCount: 5 });
    const r = log.read(2, 1 << 20).records!;
    const stored = Buffer.from(r.read());
    expect(stored.subarray(8).equals(gz.subarray(8))).toBe(true); // only the base offset differs
    expect(Number(stored.readBigInt64BE(0))).toBe(2);
    log.close();
  });
});
