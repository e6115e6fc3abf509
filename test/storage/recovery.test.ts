import { appendFileSync, openSync, readFileSync, readdirSync, statSync, writeFileSync, closeSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { batch, cleanupTempDirs, decodeBatches, openLog, readAllValues, tempDir } from './helpers/env.js';
import type { Log } from '../../storage/log.js';

afterEach(cleanupTempDirs);

const CFG = { 'segment.bytes': 4096, 'index.interval.bytes': 128, 'segment.index.bytes': 4096 };

function fill(log: Log, n: number, tag = 'v'): void {
  for (let i = 0; i < n; i++) log.append(batch(`${tag}${i}`, 2, 1_000 + i, 40));
}

function activeLogFile(dir: string): string {
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  return join(dir, logs.at(-1)!);
}

function indexFiles(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const f of readdirSync(dir).filter((f) => f.endsWith('index')).sort()) out[f] = readFileSync(join(dir, f));
  return out;
}

describe('recovery', () => {
  it('clean restart keeps everything (indexes trusted, appends continue)', () => {
    const dir = tempDir();
    const log = openLog({ dir, config: CFG });
    fill(log, 60);
    const before = readAllValues(log);
    log.close();
    const idx = indexFiles(dir);
    const again = openLog({ dir, config: CFG, clean: true });
    expect(again.loadStats.recoveredSegments).toBe(0);
    expect(again.logEndOffset).toBe(120);
    expect(readAllValues(again)).toEqual(before);
    again.append(batch('next', 1));
    expect(again.logEndOffset).toBe(121);
    again.close();
    // Rolled segments' indexes are unchanged by the restart.
    const after = indexFiles(dir);
    for (const [k, v] of Object.entries(idx)) if (after[k] && !k.startsWith(String(again.segmentBaseOffsets().at(-1)).padStart(20, '0'))) expect(after[k]).toEqual(v);
  });

  it('torn tail (cut mid-batch) is truncated to the last whole batch; indexes rebuilt; appends continue', () => {
    const dir = tempDir();
    const log = openLog({ dir, config: CFG });
    fill(log, 50);
    const lastGood = log.logEndOffset;
    const ref = readAllValues(log);
    log.closeAbruptly();
    const f = activeLogFile(dir);
    const size = statSync(f).size;
    ftruncateSync(openSync(f, 'r+'), size - 30); // tear the last batch
    const again = openLog({ dir, config: CFG, clean: false, recoveryPoint: 0 });
    expect(again.loadStats.truncatedBytes).toBeGreaterThan(0);
    expect(again.logEndOffset).toBe(lastGood - 2);
    expect(readAllValues(again)).toEqual(ref.slice(0, -2));
    const info = again.append(batch('after', 1));
    expect(info.firstOffset).toBe(lastGood - 2);
    again.close();
  });

  it('a corrupt CRC in the tail truncates from that batch on (later segments removed too)', () => {
    const dir = tempDir();
    const log = openLog({ dir, config: CFG });
    fill(log, 50);
    const ref = readAllValues(log);
    const bases = log.segmentBaseOffsets();
    log.closeAbruptly();
    // Corrupt a byte inside the 3rd batch of the second-to-last segment.
    const victimBase = bases.at(-2)!;
    const victim = join(dir, String(victimBase).padStart(20, '0') + '.log');
    const bytes = readFileSync(victim);
    const firstSize = bytes.readInt32BE(8) + 12;
    const secondSize = bytes.readInt32BE(firstSize + 8) + 12;
    const third = firstSize + secondSize;
    const fd = openSync(victim, 'r+');
    writeSync(fd, Buffer.from([bytes[third + 70]! ^ 0x55]), 0, 1, third + 70);
    closeSync(fd);
    const again = openLog({ dir, config: CFG, clean: false, recoveryPoint: victimBase });
    expect(again.logEndOffset).toBe(victimBase + 4);
    expect(again.segmentBaseOffsets()).toEqual(bases.slice(0, -1));
    expect(readAllValues(again)).toEqual(ref.slice(0, victimBase + 4));
    again.append(batch('z', 1));
    expect(again.logEndOffset).toBe(victimBase + 5);
    again.close();
  });

  it('garbage appended after the last batch is cut off', () => {
    const dir = tempDir();
    const log = openLog({ dir, config: CFG });
    fill(log, 10);
    const ref = readAllValues(log);
    log.closeAbruptly();
    appendFileSync(activeLogFile(dir), Buffer.from('this is not a record batch, just junk at the end of the file '.repeat(3)));
    const again = openLog({ dir, config: CFG, clean: false });
    expect(again.loadStats.truncatedBytes).toBe(61 * 3);
    expect(readAllValues(again)).toEqual(ref);
    again.close();
  });

  it('zeroed preallocated tail (crash with index not trimmed) recovers', () => {
    const dir = tempDir();
    const log = openLog({ dir, config: CFG });
    fill(log, 30);
    const ref = readAllValues(log);
    log.closeAbruptly(); // active index files stay preallocated with zeros
    appendFileSync(activeLogFile(dir), Buffer.alloc(500)); // and zeros at the log end
    const again = openLog({ dir, config: CFG, clean: false });
    expect(readAllValues(again)).toEqual(ref);
    // the rebuilt index finds every offset
    for (let o = 0; o < again.logEndOffset; o += 7) expect(decodeBatches(again.readBytes(o, 1)!).some((r) => r.offset === o)).toBe(true);
    again.close();
  });

  it('clean start with a damaged index falls back to recovering that segment', () => {
    const dir = tempDir();
    const log = openLog({ dir, config: CFG });
    fill(log, 40);
    const ref = readAllValues(log);
    const first = join(dir, '00000000000000000000.index');
    log.close();
    writeFileSync(first, Buffer.from([0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 2])); // decreasing entries
    const again = openLog({ dir, config: CFG, clean: true });
    expect(again.loadStats.recoveredSegments).toBe(1);
    expect(readAllValues(again)).toEqual(ref);
    again.close();
  });

  it('missing index files are rebuilt', () => {
    const dir = tempDir();
    const log = openLog({ dir, config: CFG });
    fill(log, 40);
    const ref = readAllValues(log);
    log.close();
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.index'))) require_unlink(join(dir, f));
    const again = openLog({ dir, config: CFG, clean: true });
    expect(readAllValues(again)).toEqual(ref);
    again.close();
  });
});

import { unlinkSync } from 'node:fs';
function require_unlink(p: string): void {
  unlinkSync(p);
}

describe('recovery point', () => {
  it('an unclean start validates only from the segment holding the recovery point', async () => {
    const dir = tempDir();
    const log = openLog({ dir, config: CFG });
    fill(log, 120);
    const bases = log.segmentBaseOffsets();
    expect(bases.length).toBeGreaterThan(4);
    // Rolled segments are flushed in the background; once done, the recovery point is the active base offset.
    await log.whenRolledFlushed();
    expect(log.recoveryPoint).toBe(bases.at(-1));
    const ref = readAllValues(log);
    log.closeAbruptly();
    const again = openLog({ dir, config: CFG, clean: false, recoveryPoint: bases[2]! + 1 });
    expect(again.loadStats.recoveredSegments).toBe(bases.length - 2);
    expect(readAllValues(again)).toEqual(ref);
    expect(again.recoveryPoint).toBe(again.logEndOffset);
    again.close();
  });

  it('ListOffsets by timestamp works the same after clean and unclean restarts', () => {
    const dir = tempDir();
    const log = openLog({ dir, config: CFG });
    fill(log, 80); // batch i has timestamp 1000 + i, offsets 2i, 2i+1
    const probe = (l: Log) => [1000, 1010, 1041, 1079].map((t) => l.fetchOffsetForTimestamp(t));
    const expected = [1000, 1010, 1041, 1079].map((t) => ({ offset: (t - 1000) * 2, timestamp: t }));
    expect(probe(log)).toEqual(expected);
    log.close();
    const clean = openLog({ dir, config: CFG, clean: true });
    expect(probe(clean)).toEqual(expected);
    expect(clean.fetchOffsetForTimestamp(1080)).toBeNull();
    clean.closeAbruptly();
    const unclean = openLog({ dir, config: CFG, clean: false });
    expect(probe(unclean)).toEqual(expected);
    unclean.close();
  });
});

describe('recovery of large batches', () => {
  it('validates batches larger than its read chunk, and cuts a torn one', () => {
    const dir = tempDir();
    const cfg = { 'max.message.bytes': 8 << 20 };
    const log = openLog({ dir, config: cfg });
    log.append(batch('small', 3));
    log.append(batch('big', 1, 1, 3 << 20)); // 3 MiB
    log.append(batch('small2', 2));
    log.append(batch('big2', 2, 1, 1 << 20)); // 2 MiB, to be torn
    log.closeAbruptly();
    const f = activeLogFile(dir);
    const fd = openSync(f, 'r+');
    ftruncateSync(fd, statSync(f).size - 1000);
    closeSync(fd);
    const again = openLog({ dir, config: cfg, clean: false });
    expect(again.logEndOffset).toBe(6);
    expect(readAllValues(again).map((r) => r.value.slice(0, 8))).toEqual(['small-0', 'small-1', 'small-2', 'big-0xxx', 'small2-0', 'small2-1']);
    again.close();
  });
});
