// Storage append throughput: `npx tsx test/storage/bench/append-bench.ts [recordBytes] [recordsPerBatch] [totalMiB]`.
// Pre-encoded batches (the core's encoder), appended through Log.append (copy into WASM memory,
// validate + assign in one pass, writeSync from the view). Reports MiB/s and batches/s; then the same
// with flush.messages=1 and 64 concurrent durable waiters per round (group commit).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newCore } from '../../../bindings/node.js';
import { defaultLogConfig, resolveLogConfig } from '../../../storage/config.js';
import { WasmStorageCore } from '../../../storage/wasm-storage-core.js';
import { realFs } from '../../../host-node/storage/node-fs.js';
import { Log } from '../../../storage/log.js';
import { FaultyFs } from '../../helpers/faulty-fs.js';

const recordBytes = Number(process.argv[2] ?? 1024);
const perBatch = Number(process.argv[3] ?? 16);
const totalMiB = Number(process.argv[4] ?? 512);

const enc = newCore();
const value = new Uint8Array(recordBytes).fill(97);
const batches: Uint8Array[] = [];
for (let i = 0; i < 64; i++) {
  batches.push(enc.encodeBatch({ records: Array.from({ length: perBatch }, (_, j) => ({ value, timestamp: Date.now() + j })) }));
}
const batchBytes = batches[0]!.byteLength;
const n = Math.ceil((totalMiB * 1024 * 1024) / batchBytes);
const core = new WasmStorageCore(newCore());

function open(dir: string, overrides = {}, fs = realFs): Log {
  return new Log({ topic: 'bench', partition: 0, dir, config: resolveLogConfig(defaultLogConfig(), overrides), fs, core, clean: true, recoveryPoint: 0, logStartOffset: 0 });
}

async function main() {
  // Paired rounds (this VM is noisy): plain writeSync of the same bytes vs Log.append, alternating.
  const base: number[] = [];
  const ours: number[] = [];
  const mib = (n * batchBytes) / 1048576;
  for (let round = 0; round < 5; round++) {
    {
      const dir = mkdtempSync(join(tmpdir(), 'rivulet-bench-'));
      const fd = realFs.openSync(join(dir, 'raw'), 'w');
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) realFs.writeSync(fd, batches[i & 63]!);
      base.push(mib / (Number(process.hrtime.bigint() - t0) / 1e9));
      realFs.closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
    {
      const dir = mkdtempSync(join(tmpdir(), 'rivulet-bench-'));
      const log = open(dir);
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) log.append(batches[i & 63]!);
      ours.push(mib / (Number(process.hrtime.bigint() - t0) / 1e9));
      log.closeAbruptly();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  {
    // Fetch path: read(offset, 1 MiB) → whole-batch file range → bytes, walking the log front to back.
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-bench-'));
    const log = open(dir);
    for (let i = 0; i < n; i++) log.append(batches[i & 63]!);
    let offset = 0;
    let bytes = 0;
    let reads = 0;
    const out = Buffer.allocUnsafe(4 << 20); // a reused response buffer: range.readInto(out, 0)
    const t0 = process.hrtime.bigint();
    while (offset < log.highWatermark) {
      const r = log.read(offset, 1 << 20).records!;
      r.readInto(out, 0);
      bytes += r.size;
      reads++;
      offset = log.fetchOffsetForTimestamp(-1)!.offset > offset ? nextOffsetAfter(r) : offset;
    }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`  fetch: read(offset, 1 MiB) + readInto a reused buffer, page cache: ${(bytes / 1048576 / s).toFixed(0)} MiB/s, ${(reads / s).toFixed(0)} reads/s`);
    log.closeAbruptly();
    rmSync(dir, { recursive: true, force: true });
    function nextOffsetAfter(r: { position: number; size: number; firstOffset: number }): number {
      // Whole batches of perBatch records each.
      return r.firstOffset + (r.size / batchBytes) * perBatch;
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  const ratios = base.map((b, i) => ours[i]! / b);
  console.log(
    `${recordBytes} B records x ${perBatch}/batch (${batchBytes} B batches), ${mib.toFixed(0)} MiB per round, 5 rounds, medians:\n` +
      `  writeSync baseline ${med(base).toFixed(0)} MiB/s | Log.append ${med(ours).toFixed(0)} MiB/s (${((med(ours) * 1048576) / batchBytes / 1000).toFixed(1)}k batches/s, ${((med(ours) * 1048576 * perBatch) / batchBytes / 1e6).toFixed(2)}M records/s) | paired ratio ${med(ratios).toFixed(2)}`,
  );
  {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-bench-'));
    const fs = new FaultyFs();
    const log = open(dir, { 'flush.messages': 1 }, fs);
    const rounds = Math.min(2000, Math.ceil(n / 64));
    const t0 = process.hrtime.bigint();
    let appended = 0;
    for (let r = 0; r < rounds; r++) {
      const waits: Promise<void>[] = [];
      for (let k = 0; k < 64; k++) {
        waits.push(log.waitDurable(log.append(batches[k]!).lastOffset));
        appended++;
      }
      await Promise.all(waits);
    }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const mib = (appended * batchBytes) / 1048576;
    console.log(`append + acks=all durable (flush.messages=1, 64 waiters/round): ${(mib / s).toFixed(0)} MiB/s, ${(appended / s / 1000).toFixed(1)}k batches/s, ${fs.counts.fdatasync} fdatasyncs for ${appended} appends`);
    log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
void main();
