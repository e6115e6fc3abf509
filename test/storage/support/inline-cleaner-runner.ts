// A CleanerRunner that cleans on the calling thread with the product's cleaning (cleanLog over a
// WasmCleanerCore on a core instance of its own), for storage tests that need real cleanings without
// worker threads. The file port is the test's (a FaultyFs injects failures into the cleaning too).
import { newCore } from '../../../bindings/node-loader.js';
import { cleanLog, type CleanerEnv } from '../../../storage/cleaner/cleaner.js';
import type { CleanerRunner, CleanJob, CleanJobResult } from '../../../storage/cleaner/clean-job.js';
import { WasmCleanerCore } from '../../../storage/cleaner/wasm-cleaner-core.js';
import type { StorageFs } from '../../../storage/fs.js';
import { WasmStorageCore } from '../../../storage/wasm-storage-core.js';
import { nodeBatchCodecs } from '../../../host-node/codecs/batch-codecs.js';

export class InlineCleanerRunner implements CleanerRunner {
  private readonly env: CleanerEnv;
  jobs = 0;
  constructor(fs: StorageFs, now: () => number = Date.now) {
    const core = newCore();
    this.env = {
      fs,
      core: new WasmCleanerCore(core, nodeBatchCodecs()),
      storageCore: new WasmStorageCore(core, 64 * 1024),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      now,
    };
  }
  run(job: CleanJob): Promise<CleanJobResult> {
    this.jobs++;
    return cleanLog(job, this.env);
  }
  async close(): Promise<void> {}
}
