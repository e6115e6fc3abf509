import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_TIMESTAMP } from '../../storage/log.js';
import { JsCore } from './helpers/js-core.js';
import { batch, cleanupTempDirs, decodeBatches, openLog, records, tempDir } from './helpers/env.js';

afterEach(cleanupTempDirs);

const CFG = { 'segment.bytes': 8192, 'index.interval.bytes': 300, 'segment.index.bytes': 2048 };

function files(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const f of readdirSync(dir).sort()) out[f] = readFileSync(join(dir, f));
  return out;
}

describe('indexes', () => {
  it('recovery rebuilds byte-identical index files', () => {
    const a = tempDir();
    const b = tempDir();
    const clean = openLog({ dir: a, config: CFG });
    const crashed = openLog({ dir: b, config: CFG });
    for (let i = 0; i < 120; i++) {
      const x = batch(`v${i}`, 1 + (i % 4), 5_000 + ((i * 37) % 100), 30 + (i % 50));
      clean.append(x);
      crashed.append(Buffer.from(x));
    }
    clean.close();
    crashed.closeAbruptly(); // active indexes neither written nor trimmed
    const recovered = openLog({ dir: b, config: CFG, clean: false, recoveryPoint: 0 });
    expect(recovered.loadStats.recoveredSegments).toBe(recovered.segmentCount);
    recovered.close();
    expect(files(b)).toEqual(files(a));
  });

  it('the JS reference port and the WASM core write identical files', () => {
    const w = tempDir();
    const j = tempDir();
    const logs = [openLog({ dir: w, config: CFG }), openLog({ dir: j, config: CFG, core: new JsCore() })];
    for (let i = 0; i < 80; i++) {
      const b = batch(`v${i}`, 1 + (i % 3), 9_000 + i, i % 200);
      for (const l of logs) l.append(Buffer.from(b));
    }
    for (const l of logs) l.close();
    expect(files(w)).toEqual(files(j));
  });

  it('clean restart continues sparse indexing where it left off (same files as without the restart)', () => {
    const a = tempDir();
    const b = tempDir();
    const one = openLog({ dir: a, config: CFG });
    let two = openLog({ dir: b, config: CFG });
    for (let i = 0; i < 50; i++) {
      const x = batch(`v${i}`, 2, 1 + i, 90);
      one.append(x);
      two.append(Buffer.from(x));
      if (i % 7 === 3) {
        two.close();
        two = openLog({ dir: b, config: CFG, clean: true });
      }
    }
    one.close();
    two.close();
    // .log and .index match exactly; each close adds a final .timeindex entry (as Kafka's does) and a producer
    // snapshot at the log end.
    const strip = (f: Record<string, Buffer>) => Object.fromEntries(Object.entries(f).filter(([k]) => !k.endsWith('.timeindex') && !k.endsWith('.snapshot')));
    expect(strip(files(b))).toEqual(strip(files(a)));
  });

  it('ListOffsets by timestamp across segments, and MAX_TIMESTAMP names the exact record', () => {
    const log = openLog({ dir: tempDir(), config: CFG });
    let ts = 1_000;
    for (let i = 0; i < 200; i++) {
      log.append(records([{ value: Buffer.from(`a${i}`), timestamp: ts }, { value: Buffer.from(`b${i}`), timestamp: ts + 5 }]));
      ts += 10;
    }
    expect(log.segmentCount).toBeGreaterThan(2);
    for (const t of [0, 1_000, 1_003, 1_005, 1_006, 1_500, 2_990, 2_995]) {
      const r = log.fetchOffsetForTimestamp(t)!;
      // record k has timestamp 1000 + 10*floor(k/2) + 5*(k%2)
      const tsOf = (k: number) => 1_000 + 10 * Math.floor(k / 2) + 5 * (k % 2);
      let k = 0;
      while (tsOf(k) < t) k++;
      expect(r).toEqual({ offset: k, timestamp: tsOf(k) });
    }
    expect(log.fetchOffsetForTimestamp(2_996)).toBeNull();
    // An out-of-order max inside a batch: the record itself is named.
    log.append(records([{ value: Buffer.from('x'), timestamp: 50_000 }, { value: Buffer.from('y'), timestamp: 90_000 }, { value: Buffer.from('z'), timestamp: 60_000 }]));
    expect(log.fetchOffsetForTimestamp(MAX_TIMESTAMP)).toEqual({ offset: 401, timestamp: 90_000 });
    const recs = decodeBatches(log.readBytes(401, 1)!);
    expect(recs.find((r) => r.offset === 401)!.timestamp).toBe(90_000);
    log.close();
  });
});
