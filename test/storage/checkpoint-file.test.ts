import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointFile } from '../../storage/checkpoint-file.js';
import { FaultyFs } from '../helpers/faulty-fs.js';
import { cleanupTempDirs, tempDir } from './helpers/env.js';
import { ThreadWatchFs } from './helpers/thread-watch-fs.js';
import { realFs } from '../../host-node/storage/node-fs.js';

afterEach(cleanupTempDirs);

describe('checkpoint files', () => {
  it("round trips in Kafka's text format", () => {
    const dir = tempDir();
    const f = new CheckpointFile(join(dir, 'recovery-point-offset-checkpoint'), realFs);
    expect(f.read()).toEqual([]);
    f.write([
      { topic: 'orders', partition: 0, offset: 42 },
      { topic: 'my-topic.v2', partition: 11, offset: 9007199254740991 },
    ]);
    expect(readFileSync(f.path, 'utf8')).toBe('0\n2\norders 0 42\nmy-topic.v2 11 9007199254740991\n');
    expect(f.read()).toEqual([
      { topic: 'orders', partition: 0, offset: 42 },
      { topic: 'my-topic.v2', partition: 11, offset: 9007199254740991 },
    ]);
    f.write([]);
    expect(readFileSync(f.path, 'utf8')).toBe('0\n0\n');
    expect(readdirSync(dir)).toEqual(['recovery-point-offset-checkpoint']);
  });

  it('reads a file Kafka wrote and rejects malformed ones', () => {
    const dir = tempDir();
    const p = join(dir, 'cp');
    writeFileSync(p, '0\n1\n__consumer_offsets 7 1234\n');
    expect(new CheckpointFile(p, realFs).read()).toEqual([{ topic: '__consumer_offsets', partition: 7, offset: 1234 }]);
    for (const bad of ['1\n0\n', '0\n2\na 0 1\n', '0\n1\na b 1\n', '0\n1\na 0\n', '']) {
      writeFileSync(p, bad);
      expect(() => new CheckpointFile(p, realFs).read()).toThrow(/Malformed/);
    }
  });

  it('replaces atomically: a failed write leaves the old file intact', () => {
    const dir = tempDir();
    const fs = new FaultyFs();
    const f = new CheckpointFile(join(dir, 'log-start-offset-checkpoint'), fs);
    f.write([{ topic: 't', partition: 0, offset: 5 }]);
    const syncsBefore = fs.counts.fsync;
    expect(syncsBefore).toBeGreaterThanOrEqual(1); // file (and directory) fsynced
    fs.inject({ op: 'write', code: 'ENOSPC', times: 1, tornBytes: 3 });
    expect(() => f.write([{ topic: 't', partition: 0, offset: 6 }])).toThrow(/ENOSPC/);
    expect(f.read()).toEqual([{ topic: 't', partition: 0, offset: 5 }]);
    fs.inject({ op: 'rename', code: 'EIO', times: 1 });
    expect(() => f.write([{ topic: 't', partition: 0, offset: 7 }])).toThrow(/EIO/);
    expect(f.read()).toEqual([{ topic: 't', partition: 0, offset: 5 }]);
    f.write([{ topic: 't', partition: 0, offset: 8 }]);
    expect(f.read()).toEqual([{ topic: 't', partition: 0, offset: 8 }]);
  });
});

describe('checkpoint files written in the background', () => {
  it('fsync on the thread pool, one write at a time, the newest entries last', async () => {
    const dir = tempDir();
    const fs = new ThreadWatchFs();
    const f = new CheckpointFile(join(dir, 'log-start-offset-checkpoint'), fs);
    const writes = [1, 2, 3, 4].map((o) => f.writeInBackground([{ topic: 't', partition: 0, offset: o }]));
    await Promise.all(writes);
    expect(readFileSync(f.path, 'utf8')).toBe('0\n1\nt 0 4\n');
    expect(fs.fsyncedOnMainThread).toEqual([]);
    // The first write ran; 2 and 3 were replaced by 4 while it did: two writes of file + directory.
    expect(fs.counts.rename).toBe(2);
    expect(fs.fsyncedInBackground).toHaveLength(4);
    expect(readdirSync(dir)).toEqual(['log-start-offset-checkpoint']);
  });

  it('a failed background write rejects and leaves the old file; the next write goes through', async () => {
    const dir = tempDir();
    const fs = new ThreadWatchFs();
    const f = new CheckpointFile(join(dir, 'recovery-point-offset-checkpoint'), fs);
    f.write([{ topic: 't', partition: 0, offset: 1 }]);
    fs.inject({ op: 'fsync', code: 'EIO', times: 1 });
    await expect(f.writeInBackground([{ topic: 't', partition: 0, offset: 2 }])).rejects.toThrow(/EIO/);
    expect(f.read()).toEqual([{ topic: 't', partition: 0, offset: 1 }]);
    await f.writeInBackground([{ topic: 't', partition: 0, offset: 3 }]);
    expect(f.read()).toEqual([{ topic: 't', partition: 0, offset: 3 }]);
  });
});
