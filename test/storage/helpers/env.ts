// Shared test setup: temp dirs, a core (the WASM core when its bindings load, else the JS reference),
// and shortcuts to open logs and make batches.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLogConfig, resolveLogConfig, type LogConfig } from '../../../storage/config.js';
import type { StorageCore } from '../../../storage/core-port.js';
import { type StorageFs } from '../../../storage/fs.js';
import { realFs } from '../../../host-node/storage/node-fs.js';
import { Log } from '../../../storage/log.js';
import { JsCore, encodeBatch, type TestRecord } from './js-core.js';
import { WasmStorageCore } from '../../../storage/wasm-storage-core.js';
import { newCore } from '../../../bindings/node.js';

export { encodeBatch, decodeBatches } from './js-core.js';

const dirs: string[] = [];
export function tempDir(prefix = 'rivulet-storage-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
export function cleanupTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

// The WASM core (the product's); RIVULET_STORAGE_CORE=js runs the same tests on the JS reference port.
const useJs = process.env.RIVULET_STORAGE_CORE === 'js';
let core: StorageCore | null = null;
let wasm: WasmStorageCore | null = null;
export function testCore(): StorageCore {
  if (useJs) return (core ??= new JsCore());
  return (wasm ??= new WasmStorageCore(newCore()));
}
/** The WASM core's encoder (a separate instance from the storage core). */
const encoderCore = newCore();

export function config(overrides: Partial<LogConfig> = {}): LogConfig {
  return resolveLogConfig(defaultLogConfig({ 'log.segment.delete.delay.ms': 0 }), overrides);
}

export interface OpenOpts {
  dir: string;
  config?: Partial<LogConfig>;
  fs?: StorageFs;
  clean?: boolean;
  recoveryPoint?: number;
  logStartOffset?: number;
  now?: () => number;
  core?: StorageCore;
  retryBackoffMs?: number;
}

export function openLog(o: OpenOpts): Log {
  return new Log({
    topic: 't',
    partition: 0,
    dir: o.dir,
    config: config(o.config),
    fs: o.fs ?? realFs,
    core: o.core ?? testCore(),
    now: o.now,
    clean: o.clean ?? true,
    recoveryPoint: o.recoveryPoint ?? 0,
    logStartOffset: o.logStartOffset ?? 0,
    retryBackoffMs: o.retryBackoffMs ?? 0,
  });
}

/** A batch of `n` records with values `${tag}-${i}` and the given timestamp, encoded by the core. */
export function batch(tag: string, n = 1, timestamp = 1_700_000_000_000, valueBytes = 0): Buffer {
  const recs: TestRecord[] = [];
  for (let i = 0; i < n; i++) {
    const v = Buffer.from(`${tag}-${i}`);
    recs.push({ value: valueBytes > v.byteLength ? Buffer.concat([v, Buffer.alloc(valueBytes - v.byteLength, 120)]) : v, timestamp });
  }
  return records(recs);
}

/** One batch of the given records, encoded by the core (or the JS reference under RIVULET_STORAGE_CORE=js). */
export function records(recs: TestRecord[]): Buffer {
  if (useJs) return encodeBatch(recs);
  return Buffer.from(encoderCore.encodeBatch({ records: recs.map((r) => ({ key: r.key ?? null, value: r.value, timestamp: r.timestamp })) }));
}

/** Values of every record readable from `from` (walking fetches across segments). */
export function readAllValues(log: Log, from = log.logStartOffset, isolation: 'high_watermark' | 'log_end' = 'log_end'): { offset: number; value: string }[] {
  const out: { offset: number; value: string }[] = [];
  let next = from;
  const end = isolation === 'log_end' ? log.logEndOffset : log.highWatermark;
  for (let i = 0; next < end; i++) {
    if (i > 1_000_000) throw new Error('readAllValues: no progress');
    const bytes = log.readBytes(next, 64 * 1024, isolation);
    if (bytes === null) throw new Error(`nothing readable at ${next} (end ${end})`);
    for (const r of decodeAll(bytes)) {
      if (r.offset >= next) out.push({ offset: r.offset, value: r.value === null ? '' : r.value.toString() });
    }
    const last = out.at(-1);
    if (!last || last.offset < next) throw new Error(`read at ${next} made no progress`);
    next = last.offset + 1;
  }
  return out;
}

import { decodeBatches as decodeAll } from './js-core.js';
