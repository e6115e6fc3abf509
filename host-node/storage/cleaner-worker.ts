// A cleaner thread's entry (node:worker_threads): its own WebAssembly core (the cleaner's offset map and
// filter-and-rewrite pass run there, never in the broker's core), the Node file port with its own file
// descriptors, and the Node codecs for compressed batches. It cleans one log at a time for the pool in
// cleaner-threads.ts; the main thread swaps the result in.
import { setPriority } from 'node:os';
import { newCore } from '../../bindings/node-loader.js';
import { cleanLog, type CleanerEnv } from '../../storage/cleaner/cleaner.js';
import { WasmCleanerCore } from '../../storage/cleaner/wasm-cleaner-core.js';
import { WasmStorageCore } from '../../storage/wasm-storage-core.js';
import type { CleanJob, CleanJobResult } from '../../storage/cleaner/clean-job.js';
import { initBatchCodecs, nodeBatchCodecs } from '../codecs/batch-codecs.js';
import { serveCleanJobs } from './cleaner-thread-port.js';
import { realFs } from './node-fs.js';

/** The cleaner thread's nice value (0 is the broker's; 19 the lowest priority). */
const CLEANER_THREAD_NICE = 10;

// Cleaning is background work: on Linux a thread has its own nice value, so this one yields the CPU to the
// broker's main thread (produce and fetch latency) on a busy machine and takes whatever is idle otherwise.
// Raising one's own nice value needs no privilege; where it fails (another OS, a sandbox) nothing changes.
try {
  setPriority(0, CLEANER_THREAD_NICE);
} catch {
  /* best effort */
}
const core = newCore();
/** The running cleaning's throttler, told of new rates the main thread sends. */
const rateListeners = new Set<(bytesPerSecond: number) => void>();
const env: CleanerEnv = {
  fs: realFs,
  core: new WasmCleanerCore(core, nodeBatchCodecs()),
  storageCore: new WasmStorageCore(core, 64 * 1024),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  onIoRate(listener) {
    rateListeners.add(listener);
    return () => rateListeners.delete(listener);
  },
};
// zstd's compressor starts asynchronously; the first job waits for it (a failure only matters to zstd batches).
const codecsReady = initBatchCodecs().catch(() => undefined);

serveCleanJobs(
  async (job: CleanJob): Promise<CleanJobResult> => {
    await codecsReady;
    return cleanLog(job, env);
  },
  (bytesPerSecond) => {
    for (const l of rateListeners) l(bytesPerSecond);
  },
);
