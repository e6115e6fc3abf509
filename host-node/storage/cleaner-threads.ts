// The log cleaner's threads under Node, Deno and Bun: a pool of node:worker_threads Workers, each running
// the cleaner-thread entry (cleaner-worker.ts: its own WebAssembly core, its own file descriptors) and
// cleaning one log at a time. Jobs wait in a bounded queue for an idle thread. A thread that dies (an
// uncaught error, running out of memory, process.exit) fails its job and leaves its slot empty; the next
// job starts a new one there. Threads start on the first job that needs them, and an idle thread holds no
// reference on the event loop, so an idle pool never keeps a process alive.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { invariant } from '../../common/invariant.js';
import type { CleanerRunner, CleanJob, CleanJobResult } from '../../storage/cleaner/clean-job.js';
import type { CleanReply, CleanRequest, IoRateUpdate } from './cleaner-thread-port.js';
import type { BrokerConfig } from '../config/index.js';

/** Jobs waiting for a thread, at most (the cleaner manager hands out one per thread; this bounds a burst). */
export const DEFAULT_MAX_QUEUED_JOBS = 1024;

/**
 * The cleaner-thread entry beside this module: `cleaner-worker.ts` next to the sources (under tsx or
 * vitest), `cleaner-worker.js` next to dist/'s file-by-file build and next to the dist/cli/ and dist/broker/
 * bundles, whose build emits it there as its own entry (scripts/node-bundle.mjs).
 */
export function cleanerWorkerUrl(): URL {
  const here = import.meta.url;
  return new URL(isTypeScriptUrl(new URL(here)) ? './cleaner-worker.ts' : './cleaner-worker.js', here);
}

/**
 * The broker's cleaner threads: log.cleaner.threads of them running cleanerWorkerUrl(), when
 * log.cleaner.enable is on and there is at least one thread; otherwise none (compacted logs then stay
 * uncleaned, as in Kafka with the cleaner off).
 */
export function createCleanerRunner(config: BrokerConfig): WorkerCleanerRunner | undefined {
  const threads = config.get('log.cleaner.threads');
  if (!config.get('log.cleaner.enable') || threads <= 0) return undefined;
  return new WorkerCleanerRunner({ threads, workerUrl: cleanerWorkerUrl() });
}

/** A cleaning that failed in a cleaner thread, or a thread that died or was stopped while it cleaned. */
export class CleanerThreadError extends Error {
  constructor(message: string, workerStack?: string) {
    super(message);
    this.name = 'CleanerThreadError';
    if (workerStack) this.stack = `${this.stack}\n    --- in the cleaner thread ---\n${workerStack}`;
  }
}

export interface WorkerCleanerRunnerOptions {
  /** Cleaner threads (log.cleaner.threads), at least 1. */
  threads: number;
  /** The thread entry module (cleanerWorkerUrl() in the broker). */
  workerUrl: URL;
  /** Given to each thread as worker_threads' `workerData`. */
  workerData?: unknown;
  /** Jobs that may wait for a thread; beyond it run() rejects. Default DEFAULT_MAX_QUEUED_JOBS. */
  maxQueuedJobs?: number;
  /** Each thread's heap limits (worker_threads' resourceLimits): a thread over them dies, failing its job. */
  resourceLimits?: ResourceLimits;
}

interface PendingJob {
  readonly request: CleanRequest;
  readonly resolve: (r: CleanJobResult) => void;
  readonly reject: (e: Error) => void;
}

interface Thread {
  readonly worker: Worker;
  /** The job it is cleaning, or null when idle. */
  job: PendingJob | null;
  /** The last error the thread reported (an uncaught exception, out of memory), for the job it fails. */
  lastError: Error | null;
  /** Resolves once the thread has exited. */
  readonly exited: Promise<void>;
}

export class WorkerCleanerRunner implements CleanerRunner {
  /** Threads the pool runs at most (log.cleaner.threads; setThreads() changes it). */
  private _threads: number;
  private readonly workerUrl: URL;
  private readonly workerData: unknown;
  private readonly maxQueued: number;
  private readonly resourceLimits: ResourceLimits | undefined;
  private readonly execArgv: string[] | undefined;
  /** One slot per thread; null until a job needs it, and again after its thread died. */
  private readonly slots: (Thread | null)[];
  private readonly queue: PendingJob[] = [];
  private nextId = 1;
  private closed = false;

  constructor(o: WorkerCleanerRunnerOptions) {
    invariant(Number.isInteger(o.threads) && o.threads >= 1, `cleaner threads must be a positive integer, got ${o.threads}`);
    invariant(o.workerUrl.protocol === 'file:', `the cleaner thread entry must be a file: URL, got ${o.workerUrl.href}`);
    this._threads = o.threads;
    this.workerUrl = o.workerUrl;
    this.workerData = o.workerData;
    this.maxQueued = o.maxQueuedJobs ?? DEFAULT_MAX_QUEUED_JOBS;
    this.resourceLimits = o.resourceLimits;
    invariant(Number.isInteger(this.maxQueued) && this.maxQueued >= 0, `maxQueuedJobs must be a non-negative integer, got ${this.maxQueued}`);
    this.execArgv = threadExecArgv(o.workerUrl);
    this.slots = new Array<Thread | null>(o.threads).fill(null);
  }

  get threads(): number {
    return this._threads;
  }

  /**
   * A new thread count (the dynamic log.cleaner.threads). More: new slots, filled as jobs wait or come.
   * Fewer: an idle thread beyond the count stops now; a busy one finishes its cleaning (swapped in as usual)
   * and then stops, so no running cleaning is lost.
   */
  setThreads(threads: number): void {
    invariant(Number.isInteger(threads) && threads >= 1, `cleaner threads must be a positive integer, got ${threads}`);
    if (this.closed) return;
    this._threads = threads;
    while (this.slots.length < threads) this.slots.push(null);
    for (let i = threads; i < this.slots.length; i++) {
      const t = this.slots[i];
      if (t && t.job === null) this.retire(i, t);
    }
    this.trimSlots();
    for (let i = 0; i < threads && this.queue.length > 0; i++) {
      const t = this.slots[i];
      if (!t || t.job === null) this.next(i);
    }
  }

  /** Tells every running thread the new throttle rate for the cleaning it runs (a job carries its own when it starts). */
  setIoMaxBytesPerSecond(bytesPerSecond: number): void {
    for (const t of this.slots) if (t?.job) t.worker.postMessage({ ioMaxBytesPerSecond: bytesPerSecond } satisfies IoRateUpdate);
  }

  /** Stops an idle thread in a slot beyond the thread count. */
  private retire(slot: number, t: Thread): void {
    this.slots[slot] = null;
    void t.worker.terminate();
  }

  /** Drops the empty slots beyond the thread count (a busy one stays until its cleaning ends). */
  private trimSlots(): void {
    while (this.slots.length > this._threads && this.slots[this.slots.length - 1] === null) this.slots.pop();
  }

  /** Threads running now (started and not exited). */
  get liveThreads(): number {
    return this.slots.filter((t) => t !== null).length;
  }

  /** Jobs waiting for a thread. */
  get queuedJobs(): number {
    return this.queue.length;
  }

  run(job: CleanJob): Promise<CleanJobResult> {
    if (this.closed) return Promise.reject(new CleanerThreadError(`the cleaner threads are closed (cleaning ${job.topic}-${job.partition})`));
    return new Promise<CleanJobResult>((resolve, reject) => {
      const pending: PendingJob = { request: { id: this.nextId++, job }, resolve, reject };
      const slot = this.idleSlot();
      if (slot >= 0) return this.dispatch(slot, pending);
      if (this.queue.length >= this.maxQueued) {
        reject(new CleanerThreadError(`${this.queue.length} cleaning jobs already wait for the ${this._threads} cleaner thread(s); not queuing ${job.topic}-${job.partition}`));
        return;
      }
      this.queue.push(pending);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stopped = new CleanerThreadError('the cleaner threads were closed');
    for (const p of this.queue.splice(0)) p.reject(stopped);
    const exits: Promise<void>[] = [];
    for (let i = 0; i < this.slots.length; i++) {
      const t = this.slots[i];
      if (!t) continue;
      this.slots[i] = null;
      t.job?.reject(new CleanerThreadError(`the cleaner threads were closed while cleaning ${describe(t.job.request.job)}`));
      t.job = null;
      exits.push(t.exited);
      void t.worker.terminate();
    }
    await Promise.all(exits);
  }

  /** A slot whose thread is idle, or an empty one (its thread starts on dispatch); -1 if all are busy. */
  private idleSlot(): number {
    let empty = -1;
    for (let i = 0; i < this._threads; i++) {
      const t = this.slots[i];
      if (t && t.job === null) return i;
      if (!t && empty < 0) empty = i;
    }
    return empty;
  }

  private dispatch(slot: number, pending: PendingJob): void {
    let t = this.slots[slot];
    if (!t) {
      try {
        t = this.startThread(slot);
      } catch (e) {
        pending.reject(new CleanerThreadError(`could not start a cleaner thread from ${this.workerUrl.href}: ${(e as Error).message}`));
        return;
      }
    }
    invariant(t.job === null, `cleaner thread ${slot} is given a job while it cleans another`);
    t.job = pending;
    // A thread cleaning a log keeps the process up until it is done; an idle one does not.
    t.worker.ref();
    t.worker.postMessage(pending.request);
  }

  private startThread(slot: number): Thread {
    const worker = new Worker(this.workerUrl, {
      workerData: this.workerData,
      ...(this.execArgv ? { execArgv: this.execArgv } : {}),
      ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}),
      name: `rivulet-log-cleaner-${slot}`,
    });
    worker.unref();
    let exited!: () => void;
    const t: Thread = { worker, job: null, lastError: null, exited: new Promise<void>((r) => (exited = r)) };
    worker.on('message', (m: CleanReply) => this.onReply(slot, t, m));
    worker.on('error', (e: Error) => {
      t.lastError = e;
    });
    worker.on('messageerror', (e: Error) => {
      t.lastError = e;
    });
    worker.on('exit', (code: number) => {
      exited();
      this.onExit(slot, t, code);
    });
    this.slots[slot] = t;
    return t;
  }

  private onReply(slot: number, t: Thread, m: CleanReply): void {
    const job = t.job;
    if (this.slots[slot] !== t || !job) return; // closed meanwhile: its job was rejected already
    invariant(m.id === job.request.id, `cleaner thread ${slot} answered job ${m.id} while cleaning job ${job.request.id}`);
    t.job = null;
    t.worker.unref();
    if ('result' in m) job.resolve(m.result);
    else job.reject(new CleanerThreadError(`cleaning ${describe(job.request.job)} failed: ${m.error}`, m.stack));
    if (slot >= this._threads) {
      // Beyond a lowered thread count: this thread stops now that its cleaning is done.
      this.retire(slot, t);
      this.trimSlots();
      return;
    }
    this.next(slot);
  }

  private onExit(slot: number, t: Thread, code: number): void {
    if (this.slots[slot] !== t) return; // closed: nothing to fail or replace
    this.slots[slot] = null;
    const job = t.job;
    t.job = null;
    if (job) {
      const why = t.lastError ? `: ${t.lastError.message}` : '';
      job.reject(new CleanerThreadError(`the cleaner thread died (exit code ${code}) while cleaning ${describe(job.request.job)}${why}`, t.lastError?.stack));
    }
    // The slot is empty now: the next queued job (if any) starts a new thread in it.
    if (slot >= this._threads) this.trimSlots();
    else this.next(slot);
  }

  /** Gives the oldest waiting job to `slot`. */
  private next(slot: number): void {
    if (this.closed) return;
    const pending = this.queue.shift();
    if (pending) this.dispatch(slot, pending);
  }
}

function describe(job: CleanJob): string {
  return `${job.topic}-${job.partition}`;
}

function isTypeScriptUrl(u: URL): boolean {
  return /\.[cm]?ts$/.test(u.pathname);
}

/**
 * What a thread running `entry` needs on its command line: nothing for JavaScript (undefined: the process's
 * execArgv, as worker_threads does by default), nor under Deno and Bun (they run TypeScript themselves).
 * Under Node a TypeScript entry needs tsx's hooks registered in the thread itself: tsx's `--import tsx`
 * registers them on the main thread only before Node 22.22 (so a thread inheriting the process's flags
 * from `tsx` or `node --import tsx` still cannot load `.ts`), hence an explicit register() from tsx's API,
 * and none of the process's flags (which would register them a second time where tsx does it itself).
 */
function threadExecArgv(entry: URL): string[] | undefined {
  if (!isTypeScriptUrl(entry)) return undefined;
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Deno !== undefined || g.Bun !== undefined) return undefined;
  return ['--import', `data:text/javascript,import{register}from${JSON.stringify(tsxEsmApi(entry).href)};register();`];
}

/** tsx's ESM API module (its package exports' `./esm/api` import entry; the CommonJS one cannot register() from a data: URL). */
function tsxEsmApi(entry: URL): URL {
  try {
    const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> };
    const api = pkg.exports['./esm/api']?.import?.default;
    if (typeof api !== 'string') throw new Error(`no ./esm/api import entry in ${pkgPath}`);
    return new URL(api, pathToFileURL(pkgPath));
  } catch (e) {
    throw new Error(`the cleaner thread entry ${entry.href} is TypeScript and tsx was not found to load it (run from dist/, or install tsx): ${(e as Error).message}`);
  }
}
