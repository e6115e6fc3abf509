// `npm run bench -- core`: the WebAssembly core against native and JS baselines.
//   1. CRC-32C throughput: wasm core (bytes already in linear memory, and including the copy in) vs
//      @node-rs/crc32 (native, SSE4.2) vs plain JS (byte-wise table) on 1 KiB, 16 KiB, 1 MiB.
//   2. Broker append (validate every batch: CRC + every record, assign offsets) on 1 KiB and 100 B
//      records vs kafkajs's RecordBatch decoder on the same bytes.
// Prints a table with ratios and writes core.json into the results folder (bench/tools/suites.mjs). Options: --quick (shorter runs).
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { crc32c as nativeCrc32c } from '@node-rs/crc32';
import { AF_LOG_APPEND_TIME, AF_REJECT_CONTROL, AF_SKIP_CRC } from '../bindings/layout.js';
import { newCore } from '../bindings/node.js';
import { jsCrc32c } from '../test/core/support.js';
import { resultsDir } from './tools/suites.mjs';

const require = createRequire(import.meta.url);
const recordBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<{ records: unknown[] }>;
const Decoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => { offset: number };

const quick = process.argv.includes('--quick');
const ROUND_MS = quick ? 150 : 400;
const ROUNDS = quick ? 3 : 5;

/** Best rate per second of each function (which does `unit` bytes/items per call), rounds interleaved, so load changes hit all alike. */
function measureMany(fs: (() => void)[], unit: number): number[] {
  for (const f of fs) {
    const deadline = performance.now() + ROUND_MS / 2;
    while (performance.now() < deadline) f();
  }
  const best = fs.map(() => 0);
  for (let r = 0; r < ROUNDS * 2; r++) {
    fs.forEach((f, k) => {
      let n = 0;
      const t0 = performance.now();
      let t = t0;
      while (t - t0 < ROUND_MS / 2) {
        for (let i = 0; i < 8; i++) f();
        n += 8;
        t = performance.now();
      }
      best[k] = Math.max(best[k]!, (n * unit) / ((t - t0) / 1000));
    });
  }
  return best;
}

async function measureAsync(f: () => Promise<void>, unit: number): Promise<number> {
  const deadline = performance.now() + ROUND_MS;
  while (performance.now() < deadline) await f();
  let best = 0;
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ROUND_MS) {
      await f();
      n++;
      t = performance.now();
    }
    best = Math.max(best, (n * unit) / ((t - t0) / 1000));
  }
  return best;
}

const GB = 1e9;
const fmt = (v: number, d = 2) => v.toFixed(d);
const pad = (s: string, n: number) => s.padStart(n);

const core = newCore();
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
};

// ---------------------------------------------------------------- CRC-32C
{
  const sizes = [1024, 16 * 1024, 1024 * 1024];
  const region = core.alloc(1024 * 1024 + 64);
  const rows: Record<string, unknown>[] = [];
  console.log('\nCRC-32C throughput (GB/s, best of rounds)');
  console.log(`${pad('size', 8)} ${pad('wasm', 8)} ${pad('wasm+copy', 10)} ${pad('native', 8)} ${pad('plain JS', 9)} ${pad('wasm/native', 12)} ${pad('wasm/JS', 8)} ${pad('ns/call wasm', 13)} ${pad('ns/call native', 15)}`);
  for (const size of sizes) {
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 2654435761) >>> 24;
    region.write(data);
    const want = nativeCrc32c(data) >>> 0;
    if (core.crc32cAt(region.ptr, size) !== want || core.crc32c(data) !== want || jsCrc32c(data) !== want) throw new Error('CRC mismatch');
    const x = core.exports;
    const ptr = region.ptr;
    let sink = 0;
    const [wasm, wasmCopy, native, js] = measureMany(
      [
        () => {
          sink ^= x.crc32c(ptr, size);
        },
        () => {
          sink ^= core.crc32c(data);
        },
        () => {
          sink ^= nativeCrc32c(data);
        },
        () => {
          sink ^= jsCrc32c(data);
        },
      ],
      size,
    ) as [number, number, number, number];
    if (sink === 0.5) console.log(sink);
    const row = {
      size,
      wasmGBps: wasm / GB,
      wasmWithCopyGBps: wasmCopy / GB,
      nativeGBps: native / GB,
      jsGBps: js / GB,
      wasmVsNative: wasm / native,
      wasmWithCopyVsNative: wasmCopy / native,
      wasmVsJs: wasm / js,
      nsPerCallWasm: (size / wasm) * 1e9,
      nsPerCallNative: (size / native) * 1e9,
    };
    rows.push(row);
    const label = size >= 1 << 20 ? `${size >> 20} MiB` : `${size >> 10} KiB`;
    console.log(
      `${pad(label, 8)} ${pad(fmt(row.wasmGBps), 8)} ${pad(fmt(row.wasmWithCopyGBps), 10)} ${pad(fmt(row.nativeGBps), 8)} ${pad(fmt(row.jsGBps), 9)} ${pad(fmt(row.wasmVsNative) + '×', 12)} ${pad(fmt(row.wasmVsJs, 1) + '×', 8)} ${pad(fmt(row.nsPerCallWasm, 0), 13)} ${pad(fmt(row.nsPerCallNative, 0), 15)}`,
    );
  }
  results.crc32c = rows;
}

// ---------------------------------------------------------------- validate + assign
{
  console.log('\nBroker append: validate (CRC-32C + every record) + assign offsets, one call per region');
  console.log(`${pad('records', 8)} ${pad('per batch', 10)} ${pad('region', 9)} ${pad('wasm GB/s', 10)} ${pad('wasm Mrec/s', 12)} ${pad('kafkajs GB/s', 13)} ${pad('kafkajs Mrec/s', 15)} ${pad('wasm/kafkajs', 13)} ${pad('+LogAppendTime', 15)} ${pad('no-CRC GB/s', 12)} ${pad('CRC-only GB/s', 14)} ${pad('CRC share', 10)}`);
  const rows: Record<string, unknown>[] = [];
  for (const [recordSize, perBatch, batches] of [
    [1024, 16, 64],
    [100, 100, 100],
  ] as const) {
    const value = new Uint8Array(recordSize);
    for (let i = 0; i < recordSize; i++) value[i] = (i * 31) & 255;
    const encoded: Uint8Array[] = [];
    for (let b = 0; b < batches; b++) {
      const records = [];
      for (let i = 0; i < perBatch; i++) records.push({ key: null, value, timestamp: 1_700_000_000_000 + i });
      encoded.push(core.encodeBatch({ records }));
    }
    const total = encoded.reduce((n, e) => n + e.length, 0);
    const recordsTotal = perBatch * batches;
    const region = core.alloc(total);
    let o = 0;
    for (const e of encoded) {
      region.write(e, o);
      o += e.length;
    }
    const flags = AF_REJECT_CONTROL;
    let next = 0n;
    const check = core.appendFast(region.ptr, total, next, flags);
    if (check !== 0) throw new Error(`append failed: ${check}`);
    const [wasm, wasmNoCrc, crcOnly, wasmLat] = measureMany(
      [
        () => {
          if (core.appendFast(region.ptr, total, next, flags) !== 0) throw new Error('append failed');
          next += 1n;
        },
        () => {
          if (core.appendFast(region.ptr, total, next, flags | AF_SKIP_CRC) !== 0) throw new Error('append failed');
        },
        () => {
          core.exports.crc32c(region.ptr, total);
        },
        () => {
          if (core.appendFast(region.ptr, total, next, flags | AF_LOG_APPEND_TIME, 1_700_000_000_000n) !== 0) throw new Error('append failed');
        },
      ],
      total,
    ) as [number, number, number, number];
    const bytes = Buffer.from(region.view(total));
    const kjs = await measureAsync(async () => {
      const d = new Decoder(bytes);
      let n = 0;
      while (d.offset < bytes.length) n += (await recordBatchDecoder(d)).records.length;
      if (n !== recordsTotal) throw new Error('kafkajs decoded a different count');
    }, total);
    const row = {
      recordSize,
      recordsPerBatch: perBatch,
      regionBytes: total,
      wasmGBps: wasm / GB,
      wasmRecordsPerSec: (wasm / total) * recordsTotal,
      wasmLogAppendTimeGBps: wasmLat / GB,
      // Profile split: the same append without the CRC check, and the CRC alone over the region.
      wasmSkipCrcGBps: wasmNoCrc / GB,
      crcOnlyGBps: crcOnly / GB,
      crcShareOfTime: Math.max(0, 1 - wasm / wasmNoCrc),
      kafkajsGBps: kjs / GB,
      kafkajsRecordsPerSec: (kjs / total) * recordsTotal,
      wasmVsKafkajs: wasm / kjs,
    };
    rows.push(row);
    console.log(
      `${pad(`${recordSize} B`, 8)} ${pad(String(perBatch), 10)} ${pad(`${(total / 1024).toFixed(0)} KiB`, 9)} ${pad(fmt(row.wasmGBps), 10)} ${pad(fmt(row.wasmRecordsPerSec / 1e6, 1), 12)} ${pad(fmt(row.kafkajsGBps, 3), 13)} ${pad(fmt(row.kafkajsRecordsPerSec / 1e6, 2), 15)} ${pad(fmt(row.wasmVsKafkajs, 0) + '×', 13)} ${pad(fmt(row.wasmLogAppendTimeGBps), 15)} ${pad(fmt(row.wasmSkipCrcGBps), 12)} ${pad(fmt(row.crcOnlyGBps), 14)} ${pad(fmt(row.crcShareOfTime * 100, 0) + '%', 10)}`,
    );
  }
  results.append = rows;
}

const targets = {
  crc1MiBVsNative: { target: 0.5, got: (results.crc32c as { wasmVsNative: number }[])[2]!.wasmVsNative },
  crc1KiBVsNative: { target: 0.9, got: (results.crc32c as { wasmVsNative: number }[])[0]!.wasmVsNative },
  append1KiBGBps: { target: 1.5, got: (results.append as { wasmGBps: number }[])[0]!.wasmGBps },
  append100BRecordsPerSec: { target: 5e6, got: (results.append as { wasmRecordsPerSec: number }[])[1]!.wasmRecordsPerSec },
};
results.targets = targets;
console.log('\nTargets');
for (const [k, v] of Object.entries(targets)) console.log(`  ${k.padEnd(26)} target ${String(v.target).padStart(6)}  got ${v.got >= 1e5 ? (v.got / 1e6).toFixed(2) + 'M' : v.got.toFixed(2)}  ${v.got >= v.target ? 'met' : 'NOT met'}`);

mkdirSync(resultsDir(), { recursive: true });
const out = join(resultsDir(), 'core.json');
writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
console.log(`\nwritten ${out}`);
