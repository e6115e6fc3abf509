// The messages between the broker's main thread and a cleaner thread (node:worker_threads), and the loop a
// cleaner thread's entry runs: one CleanJob in, one CleanJobResult (or an error message) out, one at a time.
// Plain data only, so structured cloning carries them unchanged (a result's index entries transferred).
import { parentPort } from 'node:worker_threads';
import type { CleanJob, CleanJobResult } from '../../storage/cleaner/clean-job.js';

/** Main thread → cleaner thread. */
export interface CleanRequest {
  /** Per pool, increasing: the reply names it. */
  id: number;
  job: CleanJob;
}

/** Main thread → cleaner thread: a new throttle rate for the cleaning it runs (the dynamic log.cleaner.io.max.bytes.per.second, its share per thread). */
export interface IoRateUpdate {
  ioMaxBytesPerSecond: number;
}

/** Cleaner thread → main thread: the job's result, or why it failed. */
export type CleanReply = { id: number; result: CleanJobResult } | { id: number; error: string; stack?: string };

/**
 * Serves the cleaning jobs the main thread posts to this thread with `clean`, one at a time (the main thread
 * never sends a second before the first is answered); new throttle rates go to `onIoRate`. A failed cleaning is answered with its message; the
 * thread goes on. Called once by a cleaner thread's entry module.
 */
export function serveCleanJobs(clean: (job: CleanJob) => CleanJobResult | Promise<CleanJobResult>, onIoRate?: (bytesPerSecond: number) => void): void {
  const port = parentPort;
  if (!port) throw new Error('serveCleanJobs runs in a cleaner thread (node:worker_threads), not on the main thread');
  port.on('message', (m: CleanRequest | IoRateUpdate) => {
    if ('ioMaxBytesPerSecond' in m) {
      onIoRate?.(m.ioMaxBytesPerSecond);
      return;
    }
    void (async () => {
      let reply: CleanReply;
      try {
        reply = { id: m.id, result: await clean(m.job) };
      } catch (e) {
        reply = e instanceof Error ? { id: m.id, error: e.message, stack: e.stack } : { id: m.id, error: String(e) };
      }
      // The cleaned segments' index entries are moved, not copied, to the main thread.
      port.postMessage(reply, 'result' in reply ? transferables(reply.result) : []);
    })();
  });
}

/** The buffers of a result's index entries (each its own ArrayBuffer: IndexFile.entryBytes copies). */
function transferables(result: CleanJobResult): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const g of result.groups) {
    if (!g.state) continue;
    for (const b of [g.state.offsetIndex, g.state.timeIndex]) {
      if (b.buffer instanceof ArrayBuffer && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !out.includes(b.buffer)) out.push(b.buffer);
    }
  }
  return out;
}
