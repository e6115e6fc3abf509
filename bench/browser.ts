// `npm run bench -- browser`: the in-tab log (OPFS through the WebAssembly core, in the Worker) against
// IndexedDB, in one headless Chromium run, with the same 1 KiB records.
//   - OPFS log: `log.append(records)` from the page (records packed into one ArrayBuffer transferred to the
//     Worker by postMessage, encode + validate + assign offsets in the core, one write from linear memory),
//     a batch of N records per call and one record per call.
//   - IndexedDB: the same records `put` into an object store, one readwrite transaction per batch of N
//     and one per record (awaiting `complete`, Chromium's default durability).
// In the first four rows every call is awaited before the next; the last two keep 64 single-record
// appends / transactions in flight on both sides (the page API then sends queued appends to the Worker
// in one message, each still its own batch). Rounds are interleaved and the
// best round counts, so load changes on the shared machine hit all alike.
// Prints a table with ratios and writes browser.json into the results folder. Options: --quick, --batch N (default 100).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Rivulet as RivuletApi } from '../host-browser/index.js';
import { CHROMIUM, startBrowser } from '../test/browser/helpers.js';
import { resultsDir } from './tools/suites.mjs';

const quick = process.argv.includes('--quick');
const batchArg = process.argv.indexOf('--batch');
const BATCH = batchArg > 0 ? Number(process.argv[batchArg + 1]) : 100;
const ROUND_MS = quick ? 250 : 600;
const ROUNDS = quick ? 3 : 5;
const RECORD_BYTES = 1024;

interface Row {
  name: string;
  recordsPerAppend: number;
  recordsPerSec: number;
  appendsPerSec: number;
  MBps: number;
}

const b = await startBrowser();
let rows: Row[];
try {
  await b.openTestPage();
  rows = await b.page.evaluate(
    async ({ BATCH, ROUND_MS, ROUNDS, RECORD_BYTES }) => {
      const { Rivulet } = window as unknown as { Rivulet: typeof RivuletApi };
      const value = new Uint8Array(RECORD_BYTES);
      for (let i = 0; i < RECORD_BYTES; i++) value[i] = (i * 31) & 255;
      const records = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value, timestamp: Date.now() }));

      const log = await Rivulet.open(`bench-${Date.now()}`);
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open(`bench-${Date.now()}`, 1);
        req.onupgradeneeded = () => req.result.createObjectStore('records', { autoIncrement: true });
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const idbPut = (rs: ReturnType<typeof records>) =>
        new Promise<void>((resolve, reject) => {
          const tx = db.transaction('records', 'readwrite');
          const store = tx.objectStore('records');
          for (const r of rs) store.put(r);
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
          tx.onabort = () => reject(tx.error);
        });

      let seq = 0;
      const scenarios: { name: string; n: number; run: () => Promise<unknown> }[] = [
        { name: `OPFS log (core), ${BATCH} records/append`, n: BATCH, run: () => log.append(records(BATCH, (seq += BATCH))) },
        { name: `IndexedDB, ${BATCH} records/transaction`, n: BATCH, run: () => idbPut(records(BATCH, (seq += BATCH))) },
        { name: 'OPFS log (core), 1 record/append', n: 1, run: () => log.append(records(1, seq++)) },
        { name: 'IndexedDB, 1 record/transaction', n: 1, run: () => idbPut(records(1, seq++)) },
        { name: 'OPFS log (core), 1 record/append, 64 in flight', n: 64, run: () => Promise.all(Array.from({ length: 64 }, () => log.append(records(1, seq++)))) },
        { name: 'IndexedDB, 1 record/transaction, 64 in flight', n: 64, run: () => Promise.all(Array.from({ length: 64 }, () => idbPut(records(1, seq++)))) },
      ];
      const best = scenarios.map(() => 0);
      for (const s of scenarios) for (let i = 0; i < 5; i++) await s.run(); // warm-up
      for (let r = 0; r < ROUNDS; r++) {
        for (let k = 0; k < scenarios.length; k++) {
          const s = scenarios[k]!;
          let calls = 0;
          const t0 = performance.now();
          let t = t0;
          while (t - t0 < ROUND_MS) {
            await s.run();
            calls++;
            t = performance.now();
          }
          best[k] = Math.max(best[k]!, calls / ((t - t0) / 1000));
        }
      }
      await log.close();
      db.close();
      return scenarios.map((s, k) => ({
        name: s.name,
        recordsPerAppend: s.n,
        appendsPerSec: best[k]! * (s.name.includes('in flight') ? s.n : 1),
        recordsPerSec: best[k]! * s.n,
        MBps: (best[k]! * s.n * RECORD_BYTES) / 1e6,
      }));
    },
    { BATCH, ROUND_MS, ROUNDS, RECORD_BYTES },
  );
} finally {
  await b.close();
}

const fmt = (v: number, d = 0) => v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const [opfsBatch, idbBatch, opfsOne, idbOne, opfsPipe, idbPipe] = rows;
const ratios = {
  batched: opfsBatch!.recordsPerSec / idbBatch!.recordsPerSec,
  perRecord: opfsOne!.recordsPerSec / idbOne!.recordsPerSec,
  perRecordPipelined: opfsPipe!.recordsPerSec / idbPipe!.recordsPerSec,
};
let chromium = 'unknown';
try {
  chromium = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  /* version unknown */
}

console.log(`\nIn-tab log vs IndexedDB — ${RECORD_BYTES} B records, ${chromium}, best of ${ROUNDS} rounds of ${ROUND_MS} ms\n`);
console.log(`${'scenario'.padEnd(48)} ${'records/s'.padStart(11)} ${'appends/s'.padStart(10)} ${'MB/s'.padStart(8)} ${'vs IndexedDB'.padStart(13)}`);
for (const [i, r] of rows.entries()) {
  const ratio = i === 0 ? ratios.batched : i === 2 ? ratios.perRecord : i === 4 ? ratios.perRecordPipelined : null;
  console.log(`${r.name.padEnd(48)} ${fmt(r.recordsPerSec).padStart(11)} ${fmt(r.appendsPerSec).padStart(10)} ${fmt(r.MBps, 1).padStart(8)} ${(ratio === null ? '' : `${fmt(ratio, 1)}×`).padStart(13)}`);
}
const target = 5;
const verdict = (v: number) => (v >= target ? 'met' : 'NOT met');
console.log(
  `\ntarget: OPFS log ≥ ${target}× IndexedDB appends/s for 1 KiB records — batched ${fmt(ratios.batched, 1)}× (${verdict(ratios.batched)}), ` +
    `per record awaited ${fmt(ratios.perRecord, 1)}× (${verdict(ratios.perRecord)}), per record 64 in flight ${fmt(ratios.perRecordPipelined, 1)}× (${verdict(ratios.perRecordPipelined)})`,
);

const results = {
  date: new Date().toISOString(),
  node: process.version,
  chromium,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  recordBytes: RECORD_BYTES,
  batch: BATCH,
  roundMs: ROUND_MS,
  rounds: ROUNDS,
  rows,
  ratios,
  targets: { opfsVsIndexedDbAppends: { target, ...ratios } },
};
mkdirSync(resultsDir(), { recursive: true });
const out = join(resultsDir(), 'browser.json');
writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
console.log(`\nwrote ${out}`);
