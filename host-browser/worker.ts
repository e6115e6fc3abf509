// The dedicated Worker that owns every local log of a page: it loads the WebAssembly core
// (bindings/web.ts, wasm embedded in the bundle), opens partitions in the Origin Private File System
// (synchronous access handles exist only in dedicated workers) and answers the page's requests
// (protocol.ts).
//
// OPFS access handles are exclusive, so one tab's Worker owns a partition (it holds the Web Lock named
// after it); a second tab follows the owner over a BroadcastChannel (log/shared-log.ts) and takes over
// when the owner closes the log or goes away (a killed tab releases its locks).
//
// Sync hook: `{op: 'sync'}` loads `./sync.js` next to this bundle (built from host-browser/sync/index.ts)
// and calls its `startSync(log, options)` with the worker-side log (a SyncableLog).
import type { RivuletCore } from '../bindings/core.js';
import { WasmStorageCore } from '../storage/wasm-storage-core.js';
import { LocalLog, checkTopicName } from './log/local-log.js';
import { RemoteLog, channelName, serveLog, type PartitionLog } from './log/shared-log.js';
import { readFrameRequest, unpackRecords, writeFrameAnswer } from './packed-records.js';
import type { AppendOutcome, EventMessage, OpenResult, RequestMessage, ResponseMessage } from './protocol.js';
import type { StartSync, SyncHandle, SyncOptions, SyncStatus } from './sync/types.js';

interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<RequestMessage | ArrayBuffer>) => void): void;
}
const scope = self as unknown as WorkerScope;

interface OpenLog {
  /** The partition: a LocalLog when this tab owns it, a RemoteLog while another tab does. */
  log: PartitionLog;
  refs: number;
  releaseLock: () => void;
  /** Owner: stops answering other tabs. Follower: stops waiting for the lock. */
  stop: () => void;
  syncs: RunningSync[];
}

/** A sync started by the page: its handle, and what forwards its status to the page. */
interface RunningSync {
  syncId: number;
  handle: SyncHandle;
  /** Stops the mirror's append watcher and the status throttle. */
  quiet: AbortController;
  /** The last status sent to the page, and a pending throttled one. */
  sent: SyncStatus | null;
  timer: ReturnType<typeof setTimeout> | null;
}

/** The core, loaded once (the import starts at once; requests wait for it). */
const ready: Promise<{ core: RivuletCore; storage: WasmStorageCore }> = import('../bindings/web.js').then((web) => ({
  core: web.core,
  storage: new WasmStorageCore(web.core),
}));

const logs = new Map<string, Promise<OpenLog>>();
const handles = new Map<number, { key: string; entry: OpenLog }>();
const subscriptions = new Map<number, AbortController>();
const syncs = new Map<number, { entry: OpenLog; sync: RunningSync }>();
let nextLogId = 1;

const lockManager = (): LockManager | undefined => (navigator as Navigator & { locks?: LockManager }).locks;

/** Holds the Web Lock `name` until the returned function is called; with `ifAvailable`, null when another holder has it. */
function acquireLock(name: string, opts: { ifAvailable?: boolean; signal?: AbortSignal } = {}): Promise<(() => void) | null> {
  const locks = lockManager();
  if (!locks) return Promise.resolve(() => undefined);
  return new Promise((resolve, reject) => {
    locks
      .request(name, opts, (lock) => {
        if (lock === null) {
          resolve(null);
          return;
        }
        return new Promise<void>((release) => resolve(() => release()));
      })
      .catch(reject);
  });
}

type LogOptions = Parameters<typeof LocalLog.open>[4];

async function openLocal(topic: string, partition: number, options: LogOptions): Promise<LocalLog> {
  const { storage } = await ready;
  const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('rivulet', { create: true });
  return LocalLog.open(root, topic, partition, storage, options);
}

/** This tab owns the partition (holds its lock): open the files and answer other tabs. */
async function openAsOwner(topic: string, partition: number, options: LogOptions, releaseLock: () => void): Promise<OpenLog> {
  try {
    const log = await openLocal(topic, partition, options);
    return { log, refs: 1, releaseLock, stop: serveLog(log), syncs: [] };
  } catch (e) {
    releaseLock();
    throw e;
  }
}

/** Another tab owns the partition: follow it, and take over when its lock is released. */
async function openAsFollower(topic: string, partition: number, options: LogOptions): Promise<OpenLog | null> {
  let remote: RemoteLog;
  try {
    remote = await RemoteLog.connect(topic, partition, 3000);
  } catch {
    return null; // the owner is going away (or stuck): wait for the lock instead
  }
  const ac = new AbortController();
  const entry: OpenLog = { log: remote, refs: 1, releaseLock: () => undefined, stop: () => ac.abort(), syncs: [] };
  acquireLock(channelName(topic, partition), { signal: ac.signal }).then(
    async (release) => {
      if (!release) return;
      if (entry.refs <= 0) return release();
      try {
        const log = await openLocal(topic, partition, options);
        // Swap first: subscriptions whose wait on the remote fails below see the new log and go on.
        entry.log = log;
        entry.releaseLock = release;
        entry.stop = serveLog(log);
        await remote.close(`the tab owning ${topic}-${partition} went away and this tab took over: retry`);
      } catch {
        release();
      }
    },
    () => undefined, // aborted: the log was closed before the owner went away
  );
  return entry;
}

async function openLog(topic: string, partition: number, options: LogOptions): Promise<OpenLog> {
  const key = `${topic}-${partition}`;
  const existing = logs.get(key);
  if (existing) {
    const entry = await existing;
    entry.refs++;
    return entry;
  }
  const opening = (async (): Promise<OpenLog> => {
    checkTopicName(topic);
    if (!Number.isSafeInteger(partition) || partition < 0 || partition > 0x7fffffff) throw new TypeError(`invalid partition ${partition}`);
    const name = channelName(topic, partition);
    const held = await acquireLock(name, { ifAvailable: true });
    if (held) return openAsOwner(topic, partition, options, held);
    const followed = await openAsFollower(topic, partition, options);
    if (followed) return followed;
    return openAsOwner(topic, partition, options, (await acquireLock(name))!);
  })();
  logs.set(key, opening);
  opening.catch(() => logs.delete(key));
  return opening;
}

function entryOf(logId: number): { key: string; entry: OpenLog } {
  const h = handles.get(logId);
  if (!h) throw new Error(`log handle ${logId} is not open`);
  return h;
}

async function closeHandle(logId: number): Promise<void> {
  const { key, entry } = entryOf(logId);
  handles.delete(logId);
  if (--entry.refs > 0) return;
  logs.delete(key);
  for (const s of entry.syncs.splice(0)) await stopSync(s);
  entry.stop();
  try {
    await entry.log.close();
  } finally {
    entry.releaseLock();
  }
}

/**
 * Streams records from `fromOffset` on to the page as they are appended (here or, through the owning
 * tab, in another tab), until unsubscribed. Survives a takeover from the owning tab.
 */
async function runSubscription(entry: OpenLog, subId: number, fromOffset: number, signal: AbortSignal): Promise<void> {
  let next = Math.max(fromOffset, entry.log.startOffset());
  while (!signal.aborted) {
    const log = entry.log;
    try {
      await log.waitForAppend(next, signal);
      if (signal.aborted) return;
      const records = await log.read(next, 1000);
      if (records.length === 0) continue;
      next = records[records.length - 1]!.offset + 1;
      post({ event: 'records', subId, records });
    } catch (e) {
      if (signal.aborted) return;
      if (entry.log === log) throw e; // not a takeover: a real error
    }
  }
}

function post(m: ResponseMessage | EventMessage): void {
  scope.postMessage(m);
}

/** Answers a request; the packed buffers of an appendMany go back to the page with it, for reuse. */
function answer(m: RequestMessage, r: { ok: true; result: unknown } | { ok: false; error: { name: string; message: string } }): void {
  const res = r as ResponseMessage;
  res.id = m.id;
  // (A detached buffer has byteLength 0; the page's are never empty.)
  if (m.op === 'appendMany' && Array.isArray(m.appends) && m.appends.every((b) => b instanceof ArrayBuffer && b.byteLength > 0)) res.buffers = m.appends;
  try {
    scope.postMessage(res, res.buffers);
  } catch {
    // Not transferable (a request the page API would not make): answer without the buffers.
    delete res.buffers;
    scope.postMessage(res);
  }
}

function errorOf(e: unknown): { name: string; message: string } {
  return e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
}

let loaded: { core: RivuletCore } | null = null;
void ready.then((r) => (loaded = r), () => undefined);

async function handle(m: RequestMessage): Promise<unknown> {
  const { core } = loaded ?? (await ready);
  switch (m.op) {
    case 'crc32c':
      return core.crc32c(m.bytes);
    case 'open': {
      const entry = await openLog(m.topic, m.partition, m.options ?? {});
      const logId = nextLogId++;
      handles.set(logId, { key: `${m.topic}-${m.partition}`, entry });
      const r: OpenResult = { logId, endOffset: entry.log.endOffset(), startOffset: entry.log.startOffset(), loadStats: entry.log.loadStats };
      return r;
    }
    case 'appendMany': {
      const { log } = entryOf(m.logId).entry;
      // Queued one after the other by the log; each settles on its own.
      const settled = await Promise.allSettled(m.appends.map(async (packed, i) => log.append(unpackRecords(packed, m.lengths?.[i]))));
      return settled.map((s): AppendOutcome => (s.status === 'fulfilled' ? { ok: true, ...s.value } : { ok: false, error: errorOf(s.reason) }));
    }
    case 'read':
      return entryOf(m.logId).entry.log.read(m.fromOffset, m.maxRecords);
    case 'endOffset':
      return entryOf(m.logId).entry.log.endOffset();
    case 'flush':
      return entryOf(m.logId).entry.log.flush();
    case 'subscribe': {
      const { entry } = entryOf(m.logId);
      const ac = new AbortController();
      subscriptions.set(m.subId, ac);
      runSubscription(entry, m.subId, m.fromOffset, ac.signal).catch((e: unknown) => {
        if (!ac.signal.aborted) post({ event: 'subscription-error', subId: m.subId, error: errorOf(e) });
      });
      return m.subId;
    }
    case 'unsubscribe':
      subscriptions.get(m.subId)?.abort();
      subscriptions.delete(m.subId);
      return null;
    case 'sync':
      return startSync(entryOf(m.logId).entry, m.syncId, m.options);
    case 'stopSync': {
      const s = syncs.get(m.syncId);
      if (s) {
        s.entry.syncs.splice(s.entry.syncs.indexOf(s.sync) >>> 0, 1);
        await stopSync(s.sync);
      }
      return null;
    }
    case 'close':
      return closeHandle(m.logId);
    default:
      throw new Error(`unknown request ${JSON.stringify((m as { op?: unknown }).op)}`);
  }
}

/** Loads the sync module next to this bundle and starts it on the log (host-browser/sync/); answers its first status. */
async function startSync(entry: OpenLog, syncId: number, options: SyncOptions): Promise<SyncStatus> {
  if (!options || typeof options.url !== 'string' || typeof options.topic !== 'string' || (options.mode !== 'mirror' && options.mode !== 'tail')) {
    throw new TypeError("sync needs { url: string, topic: string, mode: 'mirror' | 'tail' }");
  }
  if (!Number.isSafeInteger(syncId) || syncs.has(syncId)) throw new TypeError(`invalid sync id ${syncId}`);
  const url = new URL('./sync.js', import.meta.url).href;
  let mod: { startSync?: StartSync };
  try {
    mod = (await import(/* @vite-ignore */ url)) as { startSync?: StartSync };
  } catch (e) {
    throw new Error(`sync is not available in this build (${url}): ${errorOf(e).message}`);
  }
  if (typeof mod.startSync !== 'function') throw new Error(`${url} does not export startSync`);
  // Status changes that come before the handle exists are sent once it does (the answer carries them).
  let running: RunningSync | null = null;
  const handle = await mod.startSync(entry.log, { ...options, onStatus: (st) => running && sendStatus(running, st) });
  const sync: RunningSync = (running = { syncId, handle, quiet: new AbortController(), sent: null, timer: null });
  entry.syncs.push(sync);
  syncs.set(syncId, { entry, sync });
  if (options.mode === 'mirror') void watchLag(entry, sync);
  const status = handle.status;
  sync.sent = status;
  return status;
}

/** How often (at most) progress-only status changes reach the page; state changes go at once. */
const STATUS_INTERVAL_MS = 100;

/**
 * Forwards a status to the page. A change of state (online/offline/stopped/failed) or of the last error
 * goes at once; progress (lag, records) is sent at most every STATUS_INTERVAL_MS, latest value wins.
 */
function sendStatus(sync: RunningSync, status: SyncStatus): void {
  const prev = sync.sent;
  const final = status.state === 'stopped' || status.state === 'failed';
  if (sync.quiet.signal.aborted && !final) return;
  const urgent = final || prev === null || prev.state !== status.state || prev.lastError !== status.lastError || prev.warnings.length !== status.warnings.length;
  if (sync.timer !== null) {
    clearTimeout(sync.timer);
    sync.timer = null;
  }
  if (urgent) {
    sync.sent = status;
    post({ event: 'sync-status', syncId: sync.syncId, status });
    return;
  }
  sync.timer = setTimeout(() => {
    sync.timer = null;
    sync.sent = status;
    post({ event: 'sync-status', syncId: sync.syncId, status });
  }, STATUS_INTERVAL_MS);
}

/**
 * A mirror's lag (local records not yet acknowledged) grows with every local append, also while offline
 * when the sync itself has nothing to report: re-send the status after appends (throttled like progress).
 */
async function watchLag(entry: OpenLog, sync: RunningSync): Promise<void> {
  const signal = sync.quiet.signal;
  while (!signal.aborted) {
    const log = entry.log;
    try {
      await log.waitForAppend(log.endOffset(), signal);
    } catch {
      if (signal.aborted || entry.log === log) return; // closed, or a real error (the sync reports its own)
      continue; // another tab handed the partition over: watch the new log
    }
    if (signal.aborted) return;
    sendStatus(sync, sync.handle.status);
    await new Promise((r) => setTimeout(r, STATUS_INTERVAL_MS));
  }
}

async function stopSync(sync: RunningSync): Promise<void> {
  syncs.delete(sync.syncId);
  sync.quiet.abort();
  await sync.handle.stop().catch(() => undefined); // sends the final 'stopped' status
}

/**
 * One append sent as a frame (packed-records.ts): answered with the same buffer, the offsets in its
 * header, or with an error message that carries the buffer back.
 */
async function appendFrame(buffer: ArrayBuffer): Promise<void> {
  const req = readFrameRequest(buffer);
  if (req === null) return; // not from the page API: no id to answer
  try {
    if (loaded === null) await ready;
    const r = await entryOf(req.logId).entry.log.append(unpackRecords(buffer, req.length));
    writeFrameAnswer(buffer, req.id, r);
    scope.postMessage(buffer, [buffer]);
  } catch (e) {
    scope.postMessage({ id: req.id, ok: false, error: errorOf(e), buffer } satisfies ResponseMessage, [buffer]);
  }
}

scope.addEventListener('message', (e) => {
  const m = e.data;
  if (m instanceof ArrayBuffer) return void appendFrame(m);
  if (m === null || typeof m !== 'object' || typeof m.id !== 'number') return;
  handle(m).then(
    (result) => answer(m, { ok: true, result }),
    (err: unknown) => answer(m, { ok: false, error: errorOf(err) }),
  );
});
