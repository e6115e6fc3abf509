// `rivulet produce --compression-codec <codec>` for every codec Kafka has: the batches are stored compressed with
// that codec (attributes bits 0-2, as they arrived) and read back by kcat and by `rivulet consume`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as consumeTool } from '../../host-node/cli/consume.js';
import { run as produceTool } from '../../host-node/cli/produce.js';
import { locateBatches } from '../../host-node/server/data/records.js';
import { startDataBroker, run, type DataBroker } from './helpers.js';
import { tool } from '../helpers/cli-tool.js';

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const CODEC_ID = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

let b: DataBroker;
const bootstrap = () => `127.0.0.1:${b.port}`;

beforeAll(async () => {
  b = await startDataBroker();
});
afterAll(async () => {
  await b?.close();
});

describe('rivulet produce --compression-codec', () => {
  const lines = Array.from({ length: 3000 }, (_, i) => `key${i}:value${i}-${'abc'.repeat(20)}`);
  // All lines in one batch (batch.size above their ~250 KB), so the read-back order is the lines' order.
  const oneBatch = ['--producer-property', 'batch.size=1048576'];

  for (const codec of CODECS) {
    it(`${codec}: stored with codec ${CODEC_ID[codec]}, read back by kcat and rivulet consume`, async () => {
      const topic = `cli-${codec}`;
      await b.topics.create(topic, 1);
      const p = await tool(
        produceTool,
        ['--bootstrap-server', bootstrap(), '--topic', topic, '--compression-codec', codec, '--property', 'parse.key=true', '--property', 'key.separator=:', ...oneBatch],
        lines.join('\n') + '\n',
      );
      expect(p, p.err).toEqual({ code: 0, out: '', err: '' });

      const stored = b.topics.log(topic).readBytes(0, 1 << 22)!;
      const batches = locateBatches(stored).batches;
      expect(batches.length).toBe(1);
      expect(new Set(batches.map((x) => x.attributes & 7))).toEqual(new Set([CODEC_ID[codec]]));
      expect(stored.length, 'the records are smaller than as sent').toBeLessThan(lines.join('').length / 2);

      const k = await run('kcat', ['-C', '-b', bootstrap(), '-t', topic, '-p', '0', '-e', '-q', '-f', '%k:%s\n'], { timeoutMs: 120_000 });
      expect(k.code, k.stderr).toBe(0);
      expect(k.stdout.toString()).toBe(lines.join('\n') + '\n');

      const c = await tool(consumeTool, [
        '--bootstrap-server', bootstrap(), '--topic', topic, '--from-beginning', '--max-messages', String(lines.length),
        '--timeout-ms', '20000', '--property', 'print.key=true', '--property', 'key.separator=:',
      ]);
      expect(c.code, c.err).toBe(0);
      expect(c.out).toBe(lines.join('\n') + '\n');
    });
  }

  it('the codec id is also what compression.type takes (--producer-property)', async () => {
    await b.topics.create('cli-zstd-prop', 1);
    const p = await tool(produceTool, ['--bootstrap-server', bootstrap(), '--topic', 'cli-zstd-prop', '--producer-property', 'compression.type=zstd'], 'a\nb\n');
    expect(p.code, p.err).toBe(0);
    const batches = locateBatches(b.topics.log('cli-zstd-prop').readBytes(0, 1 << 20)!).batches;
    expect(batches.map((x) => x.attributes & 7)).toEqual(batches.map(() => CODEC_ID.zstd));
  });
});

describe('rivulet produce keeps a partition in order', () => {
  it('3,000 lines in many batches, plain and compressed, read back in the order they were written', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `key${i}:value${i}-${'xyz'.repeat(20)}`);
    for (const codec of ['none', 'zstd'] as const) {
      const topic = `cli-order-${codec}`;
      await b.topics.create(topic, 1);
      const p = await tool(
        produceTool,
        ['--bootstrap-server', bootstrap(), '--topic', topic, '--compression-codec', codec, '--property', 'parse.key=true', '--property', 'key.separator=:'],
        lines.join('\n') + '\n',
      );
      expect(p, p.err).toEqual({ code: 0, out: '', err: '' });
      const batches = locateBatches(b.topics.log(topic).readBytes(0, 1 << 22)!).batches;
      expect(batches.length, 'the lines went out in several batches').toBeGreaterThan(3);
      const k = await run('kcat', ['-C', '-b', bootstrap(), '-t', topic, '-p', '0', '-e', '-q', '-f', '%k:%s\n'], { timeoutMs: 120_000 });
      expect(k.code, k.stderr).toBe(0);
      expect(k.stdout.toString(), codec).toBe(lines.join('\n') + '\n');
    }
  });
});
