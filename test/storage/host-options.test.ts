// The Log's options for a host that runs it without the LogManager (the browser's OPFS log): rollsBefore
// says ahead of an append whether it rolls, producerState=false keeps no producer state or snapshot files,
// and onRecoveryPointChange reports every move of the recovery point.
import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { realFs } from '../../host-node/storage/node-fs.js';
import { Log } from '../../storage/log.js';
import { batch, cleanupTempDirs, config, openLog, tempDir, testCore } from './helpers/env.js';

afterAll(cleanupTempDirs);

const CFG = { 'segment.bytes': 4096, 'index.interval.bytes': 128, 'segment.index.bytes': 4096, 'flush.ms': 60_000 };

function openHosted(dir: string, onRecoveryPointChange?: (log: Log) => void): Log {
  return new Log({
    topic: 't',
    partition: 0,
    dir,
    config: config(CFG),
    fs: realFs,
    core: testCore(),
    clean: false,
    recoveryPoint: 0,
    logStartOffset: 0,
    producerState: false,
    onRecoveryPointChange,
  });
}

describe('Log options for hosts without the manager', () => {
  it('rollsBefore answers what the next append does', () => {
    const log = openLog({ dir: tempDir(), config: CFG });
    try {
      for (let i = 0; i < 40; i++) {
        const b = batch(`r${i}`, 3, 1_700_000_000_000, 200);
        const predicted = log.rollsBefore(b.byteLength, log.logEndOffset + 2);
        const segments = log.segmentCount;
        log.append(b);
        expect(log.segmentCount > segments, `append ${i}`).toBe(predicted);
      }
      expect(log.segmentCount).toBeGreaterThan(2);
    } finally {
      log.close();
    }
  });

  it('producerState=false writes no producer snapshots and replays nothing at open', async () => {
    const dir = tempDir();
    const log = openHosted(dir);
    for (let i = 0; i < 30; i++) log.append(batch(`p${i}`, 3, 1_700_000_000_000, 200));
    await log.whenRolledFlushed();
    expect(log.segmentCount).toBeGreaterThan(2);
    log.close();
    expect(readdirSync(dir).filter((n) => n.endsWith('.snapshot'))).toEqual([]);
    const again = openHosted(dir);
    try {
      expect(again.loadStats.producerState.replay).toEqual({ fromOffset: 0, batches: 0, bytes: 0 });
      expect(again.logEndOffset).toBe(90);
    } finally {
      again.close();
    }
  });

  it('onRecoveryPointChange reports the recovery point after a roll, a flush and a close', async () => {
    const seen: number[] = [];
    const log = openHosted(tempDir(), (l) => seen.push(l.recoveryPoint));
    for (let i = 0; i < 20; i++) log.append(batch(`c${i}`, 3, 1_700_000_000_000, 200));
    await log.whenRolledFlushed();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[seen.length - 1]).toBe(log.segmentBaseOffsets().at(-1));
    log.append(batch('more', 2));
    log.flush();
    expect(seen.at(-1)).toBe(log.logEndOffset);
    log.append(batch('last', 1));
    log.close();
    expect(seen.at(-1)).toBe(log.logEndOffset);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });
});
