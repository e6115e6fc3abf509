// A real process crash: a child appends with acks=all semantics (flush.messages=1) and is killed with
// SIGKILL mid-stream; everything it was told was durable must be there after an unclean start, and the
// log must take appends again.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LogManager } from '../../storage/log-manager.js';
import { batch, cleanupTempDirs, decodeBatches, readAllValues, tempDir, testCore } from './helpers/env.js';
import { realFs } from '../../host-node/storage/node-fs.js';

afterEach(cleanupTempDirs);

describe('kill -9', () => {
  it('keeps every acknowledged write and recovers to a consistent log', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./helpers/crash-child.ts', import.meta.url)), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked = new Map<number, string>();
    let buf = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child made too little progress: ${acked.size} acks; ${stderr}`)), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const [, off, tag] = buf.slice(0, nl).split(' ');
          buf = buf.slice(nl + 1);
          acked.set(Number(off), tag!);
        }
        if (acked.size >= 3000) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => acked.size < 3000 && reject(new Error(`child exited early: ${stderr}`)));
    });
    await new Promise((r) => child.once('exit', r));

    const m = new LogManager({ config: { 'log.dirs': [dir], 'log.segment.bytes': 64 * 1024, 'log.index.interval.bytes': 512 }, core: testCore(), fs: realFs });
    expect(m.startup.uncleanDirs).toEqual([dir]);
    const log = m.getLog('crash', 0)!;
    expect(log.segmentCount).toBeGreaterThan(1);
    const values = new Map(readAllValues(log).map((r) => [r.offset, r.value]));
    for (const [off, tag] of acked) {
      expect(values.get(off)).toBe(tag);
      expect(values.get(off + 1)).toBe(tag + 'b');
    }
    // Offsets are dense from the start, and appends go on at the log end.
    expect([...values.keys()]).toEqual([...Array(log.logEndOffset).keys()]);
    const info = log.append(batch('after', 1));
    expect(info.firstOffset).toBe(log.logEndOffset - 1);
    expect(decodeBatches(log.readBytes(info.firstOffset, 1000)!)[0]!.value!.toString()).toBe('after-0');
    await m.shutdown();
  });
});
