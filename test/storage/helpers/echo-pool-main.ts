// A process that cleans one job on a one-thread WorkerCleanerRunner and prints the result as JSON, then
// leaves the idle pool open: the process must still exit by itself. With `--beside` the thread entry is
// cleanerWorkerUrl() (this file bundled beside a `cleaner-worker.js`), else the echo cleaner thread.
import { WorkerCleanerRunner, cleanerWorkerUrl } from '../../../host-node/storage/cleaner-threads.js';

const workerUrl = process.argv.includes('--beside') ? cleanerWorkerUrl() : new URL('./echo-cleaner-worker.ts', import.meta.url);
const pool = new WorkerCleanerRunner({ threads: 1, workerUrl, workerData: { from: 'main' } });
const result = await pool.run({
  dir: '/nowhere/t-0', topic: 't', partition: 0,
  segments: [{ baseOffset: 0, size: 100, nextBaseOffset: 10, offsetIndexEntries: 0, timeIndexEntries: 0 }],
  firstDirtyOffset: 0, firstUncleanableOffset: 10, nowMs: 0, segmentBytes: 1 << 20, maxIndexBytes: 1 << 20,
  indexIntervalBytes: 4096, deleteRetentionMs: 0, maxMessageBytes: 1 << 20, retainBatchLastOffsets: [],
  mapSlots: 1024, mapLoadFactor: 0.9, ioMaxBytesPerSecond: Number.MAX_VALUE, readBufferBytes: 1 << 16,
});
console.log(JSON.stringify({ workerUrl: workerUrl.href, result }));
