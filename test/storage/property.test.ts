// Property: any sequence of appends, rolls, clean restarts, crashes, torn tails and garbage tails leaves a
// log whose reads return exactly the records appended (minus only the torn batch), in order.
import { appendFileSync, ftruncateSync, openSync, closeSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Log } from '../../storage/log.js';
import { ErrorCode } from '../../storage/errors.js';
import { FaultyFs } from '../helpers/faulty-fs.js';
import { batch, cleanupTempDirs, openLog, readAllValues, tempDir } from './helpers/env.js';

afterEach(cleanupTempDirs);

type Op =
  | { kind: 'append'; records: number; valueBytes: number }
  | { kind: 'roll' }
  | { kind: 'restart' }
  | { kind: 'crash'; tear: number | null; garbage: number }
  | { kind: 'deleteRecords'; fraction: number }
  | { kind: 'diskFull'; torn: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('append' as const), records: fc.integer({ min: 1, max: 8 }), valueBytes: fc.integer({ min: 0, max: 300 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('roll' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('crash' as const),
      tear: fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: null }),
      garbage: fc.integer({ min: 0, max: 200 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteRecords' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('diskFull' as const), torn: fc.integer({ min: 0, max: 500 }) }) },
);

const CFG = { 'segment.bytes': 2048, 'index.interval.bytes': 200, 'segment.index.bytes': 1024 };

describe('storage property', () => {
  it('reads return exactly the appended records in order', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
        const dir = tempDir();
        const fs = new FaultyFs();
        const reopen = (clean: boolean, recoveryPoint = 0) => openLog({ dir, config: CFG, fs, clean, recoveryPoint, logStartOffset: logStart });
        let logStart = 0;
        let log: Log = openLog({ dir, config: CFG, fs });
        // Model: records by offset, plus the sizes of batches in the active segment's tail.
        let model: { offset: number; value: string }[] = [];
        let batches: { first: number; last: number; size: number }[] = [];
        let seq = 0;
        try {
          for (const op of ops) {
            if (log.isOffline && (op.kind === 'roll' || op.kind === 'deleteRecords')) {
              // Space is back: the next append resumes the partition.
              const tag = `s${seq++}`;
              const b = batch(tag, 1, 1, 0);
              const info = log.append(b);
              model.push({ offset: info.firstOffset, value: `${tag}-0` });
              batches.push({ first: info.firstOffset, last: info.lastOffset, size: b.byteLength });
            }
            switch (op.kind) {
              case 'append': {
                const tag = `s${seq++}`;
                const b = batch(tag, op.records, 1_700_000_000_000 + seq, op.valueBytes);
                const info = log.append(b);
                expect(info.firstOffset).toBe(log.logEndOffset - op.records);
                for (let i = 0; i < op.records; i++) {
                  const v = `${tag}-${i}`;
                  model.push({ offset: info.firstOffset + i, value: op.valueBytes > v.length ? v + 'x'.repeat(op.valueBytes - v.length) : v });
                }
                batches.push({ first: info.firstOffset, last: info.lastOffset, size: b.byteLength });
                break;
              }
              case 'roll':
                log.roll();
                break;
              case 'restart':
                log.close();
                log = reopen(true);
                break;
              case 'crash': {
                const rp = log.recoveryPoint;
                log.closeAbruptly();
                const logs = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
                const active = join(dir, logs.at(-1)!);
                const size = statSync(active).size;
                const last = batches.at(-1);
                if (op.tear !== null && size > 0 && last && last.size <= size) {
                  const cut = 1 + (op.tear % (last.size - 1));
                  const fd = openSync(active, 'r+');
                  ftruncateSync(fd, size - cut);
                  closeSync(fd);
                  model = model.filter((r) => r.offset < last.first);
                  batches.pop();
                }
                if (op.garbage > 0) appendFileSync(active, Buffer.alloc(op.garbage, 0x5a));
                log = reopen(false, rp);
                break;
              }
              case 'diskFull': {
                // The next append hits ENOSPC after writing `torn` bytes; nothing changes; then space is back.
                const undo = fs.inject({ op: 'write', code: 'ENOSPC', tornBytes: op.torn, times: 1 });
                expect(() => log.append(batch('lost', 2, 1, 50))).toThrow(expect.objectContaining({ code: ErrorCode.KAFKA_STORAGE_ERROR }));
                undo();
                expect(log.isOffline).toBe(true);
                break;
              }
              case 'deleteRecords': {
                const target = Math.floor(log.logStartOffset + (log.highWatermark - log.logStartOffset) * op.fraction);
                logStart = log.deleteRecordsBefore(target);
                model = model.filter((r) => r.offset >= logStart);
                break;
              }
            }
            if (log.isOffline) continue; // reads fail while offline; the next append resumes (checked then)
            if (model.length > 0) expect(log.logEndOffset).toBe(model.at(-1)!.offset + 1);
            expect(log.logStartOffset).toBeGreaterThanOrEqual(logStart);
            expect(readAllValues(log, log.logStartOffset)).toEqual(model.filter((r) => r.offset >= log.logStartOffset));
          }
        } finally {
          log.closeAbruptly();
        }
      }),
      { numRuns: Number(process.env.RIVULET_PROPERTY_RUNS ?? 40) },
    );
  });
});
