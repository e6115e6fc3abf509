// The cleaner's thread pool (host-node/storage/cleaner-threads.ts) over a real worker_threads entry written
// in TypeScript (helpers/echo-cleaner-worker.ts, loaded through tsx as under vitest and `tsx`): results and
// failures come back to the right job, threads start only when jobs need them, jobs beyond the threads
// wait in a bounded queue, a thread that dies (an uncaught error, process.exit, out of memory) fails its job
// and is replaced, close() stops everything,
// and an idle pool does not keep a process alive.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CleanerThreadError, WorkerCleanerRunner, cleanerWorkerUrl } from '../../host-node/storage/cleaner-threads.js';
import type { CleanJob, CleanJobResult } from '../../storage/cleaner/clean-job.js';
import type { EchoStats } from './helpers/echo-cleaner-worker.js';

const echoWorker = new URL('./helpers/echo-cleaner-worker.ts', import.meta.url);
const pools: WorkerCleanerRunner[] = [];

function pool(threads: number, extra: { maxQueuedJobs?: number; workerData?: unknown } = {}): WorkerCleanerRunner {
  const p = new WorkerCleanerRunner({ threads, workerUrl: echoWorker, ...extra });
  pools.push(p);
  return p;
}

function job(topic: string, partition = 0, end = 100): CleanJob {
  return {
    dir: `/nowhere/${topic}-${partition}`,
    topic,
    partition,
    segments: [
      { baseOffset: 0, size: 4096, nextBaseOffset: end / 2, offsetIndexEntries: 1, timeIndexEntries: 1 },
      { baseOffset: end / 2, size: 2048, nextBaseOffset: end, offsetIndexEntries: 0, timeIndexEntries: 0 },
    ],
    firstDirtyOffset: 0,
    firstUncleanableOffset: end,
    nowMs: 1_700_000_000_000,
    segmentBytes: 1 << 30,
    maxIndexBytes: 10 << 20,
    indexIntervalBytes: 4096,
    deleteRetentionMs: 86_400_000,
    maxMessageBytes: 1 << 20,
    retainBatchLastOffsets: [7, 42],
    mapSlots: 1 << 16,
    mapLoadFactor: 0.9,
    ioMaxBytesPerSecond: Number.MAX_VALUE,
    readBufferBytes: 1 << 16,
  };
}

const echo = (r: CleanJobResult): EchoStats => (r.stats as unknown as { echo: EchoStats }).echo;

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('WorkerCleanerRunner', () => {
  it('runs a job in a thread and returns its result; the thread gets workerData', async () => {
    const p = pool(2, { workerData: { logDirs: ['/a', '/b'] } });
    expect(p.liveThreads).toBe(0);
    const r = await p.run(job('t', 3, 80));
    expect(r.cleanedUpTo).toBe(80);
    expect(r.groups).toEqual([
      { baseOffset: 0, oldBaseOffsets: [0], endOffset: 40, size: 4096 },
      { baseOffset: 40, oldBaseOffsets: [40], endOffset: 80, size: 2048 },
    ]);
    expect(echo(r).workerData).toEqual({ logDirs: ['/a', '/b'] });
    // Started lazily: one job at a time needs one thread of the two.
    expect(p.liveThreads).toBe(1);
    const again = await p.run(job('t', 4));
    expect(echo(again).threadId).toBe(echo(r).threadId);
    expect(p.liveThreads).toBe(1);
  });

  it('setThreads: more threads take queued jobs at once; fewer let running cleanings finish, then stop', async () => {
    const p = pool(1);
    const first = p.run(job('slow', 0, 10));
    const queued = [p.run(job('slow', 1, 20)), p.run(job('slow', 2, 30))];
    expect(p.queuedJobs).toBe(2);
    p.setThreads(3);
    expect(p.threads).toBe(3);
    expect(p.queuedJobs).toBe(0); // both waiting jobs went to the new threads
    expect(p.liveThreads).toBe(3);
    // Down to 1 while all three clean: none of them is lost, the threads beyond the count stop after.
    p.setThreads(1);
    const results = await Promise.all([first, ...queued]);
    expect(results.map((r) => r.cleanedUpTo)).toEqual([10, 20, 30]);
    expect(new Set(results.map((r) => echo(r).threadId)).size).toBe(3);
    expect(p.liveThreads).toBe(1);
    const later = await Promise.all([p.run(job('slow', 3, 40)), p.run(job('slow', 4, 50))]);
    expect(new Set(later.map((r) => echo(r).threadId)).size).toBe(1); // one thread now serves them in turn
    // Idle threads beyond a lowered count stop at once.
    p.setThreads(2);
    await Promise.all([p.run(job('slow', 5)), p.run(job('slow', 6))]);
    expect(p.liveThreads).toBe(2);
    p.setThreads(1);
    expect(p.liveThreads).toBe(1);
  });

  it('carries the cleaned segments\' index entries back whole (moved, not copied, by the thread)', async () => {
    const p = pool(1);
    const r = await p.run(job('state', 0, 80));
    expect(r.groups.length).toBe(2);
    for (const g of r.groups) {
      const n = g.endOffset - g.baseOffset;
      expect(g.state!.offsetIndex).toBeInstanceOf(Uint8Array);
      expect([...g.state!.offsetIndex]).toEqual(Array.from({ length: 8 * n }, (_, i) => i & 0xff));
      expect([...g.state!.timeIndex]).toEqual(Array.from({ length: 12 * n }, (_, i) => i & 0xff));
      expect(g.state!.nextOffset).toBe(g.endOffset);
    }
  });

  it('spreads concurrent jobs over the threads and queues the rest in order', async () => {
    const p = pool(3);
    const results = await Promise.all(Array.from({ length: 7 }, (_, i) => p.run(job('slow', i, 10 * (i + 1)))));
    expect(results.map((r) => r.cleanedUpTo)).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(new Set(results.map((r) => echo(r).threadId)).size).toBe(3);
    expect(p.liveThreads).toBe(3);
    expect(p.queuedJobs).toBe(0);
  });

  it('bounds the queue: a job beyond maxQueuedJobs is refused, the others complete', async () => {
    const p = pool(1, { maxQueuedJobs: 2 });
    const running = p.run(job('slow', 0, 10));
    const queued = [p.run(job('slow', 1, 20)), p.run(job('slow', 2, 30))];
    expect(p.queuedJobs).toBe(2);
    await expect(p.run(job('slow', 3, 40))).rejects.toThrow(/2 cleaning jobs already wait for the 1 cleaner thread\(s\); not queuing slow-3/);
    expect((await running).cleanedUpTo).toBe(10);
    expect((await Promise.all(queued)).map((r) => r.cleanedUpTo)).toEqual([20, 30]);
  });

  it('rejects a failed cleaning with the thread\'s error and keeps the thread', async () => {
    const p = pool(1);
    const first = await p.run(job('t'));
    const err = await p.run(job('fail', 5)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CleanerThreadError);
    expect((err as Error).message).toBe('cleaning fail-5 failed: cannot clean partition 5');
    expect((err as Error).stack).toContain('in the cleaner thread');
    const after = await p.run(job('t'));
    expect(echo(after).threadId).toBe(echo(first).threadId);
  });

  it('a thread that crashes or exits fails its job and is replaced by a new one', async () => {
    const p = pool(2);
    const before = await p.run(job('t'));
    await expect(p.run(job('crash', 1))).rejects.toThrow(/the cleaner thread died \(exit code 1\) while cleaning crash-1: cleaner thread crashed/);
    expect(p.liveThreads).toBe(0);
    const replaced = await p.run(job('t', 0, 60));
    expect(replaced.cleanedUpTo).toBe(60);
    expect(echo(replaced).threadId).not.toBe(echo(before).threadId);
    await expect(p.run(job('exit', 2))).rejects.toThrow(/the cleaner thread died \(exit code 7\) while cleaning exit-2/);
    // The jobs queued behind a dying thread run on its replacement.
    const one = pool(1);
    const dying = one.run(job('crash'));
    const waiting = one.run(job('t', 9, 90));
    await expect(dying).rejects.toThrow(/cleaner thread crashed/);
    expect((await waiting).cleanedUpTo).toBe(90);
    expect(one.liveThreads).toBe(1);
  });

  it('a thread that runs out of memory fails its job and is replaced', async () => {
    const p = new WorkerCleanerRunner({ threads: 1, workerUrl: echoWorker, resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 } });
    pools.push(p);
    const before = await p.run(job('t'));
    await expect(p.run(job('oom', 4))).rejects.toThrow(/the cleaner thread died \(exit code 1\) while cleaning oom-4: .*out of memory/i);
    const after = await p.run(job('t', 0, 30));
    expect(after.cleanedUpTo).toBe(30);
    expect(echo(after).threadId).not.toBe(echo(before).threadId);
  });

  it('close() rejects the running and queued jobs, stops the threads, and refuses new jobs', async () => {
    const p = pool(1);
    await p.run(job('t'));
    const running = p.run(job('hang', 1));
    const queued = p.run(job('t', 2));
    const settled = Promise.allSettled([running, queued]);
    await p.close();
    const [a, b] = await settled;
    expect(a.status === 'rejected' && (a.reason as Error).message).toBe('the cleaner threads were closed while cleaning hang-1');
    expect(b.status === 'rejected' && (b.reason as Error).message).toBe('the cleaner threads were closed');
    expect(p.liveThreads).toBe(0);
    await expect(p.run(job('t', 3))).rejects.toThrow(/the cleaner threads are closed \(cleaning t-3\)/);
    await p.close();
  });

  it('a thread whose entry cannot be loaded fails the job with the reason', async () => {
    const p = new WorkerCleanerRunner({ threads: 1, workerUrl: new URL('./helpers/no-such-worker.ts', import.meta.url) });
    pools.push(p);
    await expect(p.run(job('t'))).rejects.toThrow(/the cleaner thread died \(exit code 1\) while cleaning t-0: .*no-such-worker/);
  });

  it('an idle pool does not keep the process alive (under `tsx`, from another working directory)', async () => {
    const main = fileURLToPath(new URL('./helpers/echo-pool-main.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
    const out = await new Promise<string>((resolve, reject) =>
      execFile(tsx, [main], { cwd: '/', timeout: 20_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
    );
    const { result } = JSON.parse(out) as { result: CleanJobResult };
    expect(result.cleanedUpTo).toBe(10);
    expect(echo(result).workerData).toEqual({ from: 'main' });
  });

  it('cleanerWorkerUrl() names cleaner-worker beside the module, as TypeScript in the sources', () => {
    expect(cleanerWorkerUrl().href).toBe(new URL('../../host-node/storage/cleaner-worker.ts', import.meta.url).href);
  });
});
