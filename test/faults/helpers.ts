// Shared pieces of the fault tests: raw Produce/Fetch over the generated codecs, strict validation of every
// fetched batch by the core, segment-file snapshots, a broker child process, tmpfs mounts.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { invariant } from '../../common/invariant.js';
import { newCore, wasmCandidates } from '../../bindings/node.js';
import { ApiKey, type FetchResponse, type ProduceResponsePartitionProduceResponse } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const core = newCore();
const enc = new TextEncoder();
const dec = new TextDecoder();

export const ERR = {
  NONE: 0,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  MESSAGE_TOO_LARGE: 10,
  INVALID_RECORD: 87,
  KAFKA_STORAGE_ERROR: 56,
} as const;

/** An uncompressed v2 batch of string values (keys `k-<value>` when keyed). */
export function v2Batch(values: string[], o: { keyed?: boolean; timestamp?: number } = {}): Uint8Array {
  const ts = BigInt(o.timestamp ?? Date.now());
  return core.encodeBatch({
    baseTimestamp: ts,
    records: values.map((v) => ({ key: o.keyed ? `k-${v}` : null, value: v, timestamp: ts })),
  });
}

/** A magic 0 or 1 message set, built by hand (offset, size, CRC-32 IEEE, magic, attributes, [timestamp], key, value). */
export function legacySet(values: string[], magic: 0 | 1): Uint8Array {
  const parts: Buffer[] = [];
  values.forEach((v, i) => {
    const value = Buffer.from(v);
    const bodyLen = 1 + 1 + (magic === 1 ? 8 : 0) + 4 + 4 + value.length; // magic attr [ts] keyLen(-1) valueLen value
    const m = Buffer.alloc(12 + 4 + bodyLen);
    m.writeBigInt64BE(BigInt(i), 0);
    m.writeInt32BE(4 + bodyLen, 8);
    let p = 16;
    m.writeInt8(magic, p++);
    m.writeInt8(0, p++);
    if (magic === 1) {
      m.writeBigInt64BE(BigInt(Date.now()), p);
      p += 8;
    }
    m.writeInt32BE(-1, p);
    p += 4;
    m.writeInt32BE(value.length, p);
    p += 4;
    value.copy(m, p);
    m.writeUInt32BE(crc32(m.subarray(16)) >>> 0, 12);
    parts.push(m);
  });
  return Buffer.concat(parts);
}

export async function produce(
  c: KafkaTestClient,
  topic: string,
  partition: number,
  records: Uint8Array,
  o: { version?: number; acks?: number; timeoutMs?: number } = {},
): Promise<ProduceResponsePartitionProduceResponse> {
  const version = o.version ?? 8;
  const r = await c.request(ApiKey.Produce, version, {
    transactionalId: null,
    acks: o.acks ?? -1,
    timeoutMs: o.timeoutMs ?? 10_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  return r.responses[0]!.partitionResponses[0]!;
}

export interface FetchedRecord {
  offset: number;
  key: string | null;
  value: string | null;
}

export interface FetchedPartition {
  errorCode: number;
  highWatermark: number;
  records: FetchedRecord[];
  batches: number;
  /** The offset after the last batch fetched (a compacted batch may end past its last record), or -1 if none. */
  nextOffset: number;
}

/**
 * One Fetch (v11) of one partition. Every batch in the response is validated by the core (CRC-32C and every
 * record); a partial or corrupt batch throws: the broker must never serve one.
 */
export async function fetchOnce(c: KafkaTestClient, topic: string, partition: number, offset: number, o: { maxWaitMs?: number; maxBytes?: number } = {}): Promise<FetchedPartition> {
  const r: FetchResponse = await c.request(ApiKey.Fetch, 11, {
    replicaId: -1,
    maxWaitMs: o.maxWaitMs ?? 0,
    minBytes: 1,
    maxBytes: o.maxBytes ?? 16 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: BigInt(offset), logStartOffset: -1n, partitionMaxBytes: o.maxBytes ?? 16 * 1024 * 1024 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  const p = r.responses[0]!.partitions[0]!;
  const out: FetchedPartition = { errorCode: p.errorCode, highWatermark: Number(p.highWatermark), records: [], batches: 0, nextOffset: -1 };
  const bytes = p.records;
  if (bytes && bytes.length > 0) {
    const copy = Uint8Array.from(bytes);
    const batches = core.decodeBatches(copy); // throws on any corrupt or partial batch
    for (const b of batches) {
      out.batches++;
      out.nextOffset = Number(b.baseOffset) + b.lastOffsetDelta + 1;
      for (const rec of b.records)
        out.records.push({ offset: Number(rec.offset), key: rec.key ? dec.decode(rec.key) : null, value: rec.value ? dec.decode(rec.value) : null });
    }
  }
  return out;
}

/** Every record of a partition from `from` to the high watermark, each batch validated (fetchOnce). */
export async function fetchAll(c: KafkaTestClient, topic: string, partition: number, from = 0): Promise<FetchedPartition> {
  const all: FetchedPartition = { errorCode: 0, highWatermark: -1, records: [], batches: 0, nextOffset: -1 };
  let offset = from;
  for (;;) {
    const r = await fetchOnce(c, topic, partition, offset);
    all.errorCode = r.errorCode;
    all.highWatermark = r.highWatermark;
    if (r.errorCode !== 0) return all;
    all.batches += r.batches;
    for (const rec of r.records) if (rec.offset >= offset) all.records.push(rec);
    // Past the last batch, not just its last record: a cleaned batch may hold none of its last offsets.
    const last = all.records[all.records.length - 1];
    const next = Math.max(last ? last.offset + 1 : offset, r.nextOffset);
    all.nextOffset = next;
    if (next >= r.highWatermark || next <= offset) return all;
    offset = next;
  }
}

/** Bytes of every file of a partition directory (name → contents), for before/after comparisons. */
export function snapshotPartition(dataDir: string, topic: string, partition: number, filter = (n: string) => n.endsWith('.log')): Map<string, Buffer> {
  const dir = join(dataDir, `${topic}-${partition}`);
  const m = new Map<string, Buffer>();
  for (const n of readdirSync(dir).sort()) if (filter(n)) m.set(n, readFileSync(join(dir, n)));
  return m;
}

export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}

// ---- a broker in a child process -----------------------------------------------------------------------

export interface ChildBroker {
  proc: ChildProcess;
  port: number;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let childEntry_: Promise<{ entry: string; env: NodeJS.ProcessEnv }> | null = null;

/** This test process's folder of bundled child entries (each test process its own: the names inside are fixed). */
function childBundleDir(): string {
  return join(ROOT, `node_modules/.cache/rivulet-faults/${process.pid}`);
}

/**
 * test/faults/broker-child.ts bundled by esbuild (once per test process; packages stay external and resolve
 * from node_modules), so a child starts in ~0.6 s instead of ~2 s under tsx. The cleaner threads' entry is
 * emitted beside it as `cleaner-worker.js` (the product bundles' thread entries, scripts/node-bundle.mjs), where
 * cleanerWorkerUrl() looks, and the folder's package.json makes both ES modules. The core's .wasm is passed by
 * RIVULET_CORE_WASM, as the bundle does not sit where bindings/node.ts looks (the cleaner threads read it too).
 */
function childEntry(): Promise<{ entry: string; env: NodeJS.ProcessEnv }> {
  return (childEntry_ ??= (async () => {
    const wasm = wasmCandidates().find((p) => existsSync(p));
    if (!wasm) throw new Error('rivulet-core.wasm not found: run `npm run build:core`');
    const dir = childBundleDir();
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const { withThreadEntries } = (await import(pathToFileURL(join(ROOT, 'scripts/node-bundle.mjs')).href)) as {
      withThreadEntries(root: string, entries: Record<string, string>): Record<string, string>;
    };
    const entryPoints = withThreadEntries(ROOT, { 'broker-child': 'test/faults/broker-child.ts', 'file-watch-killer': 'test/faults/file-watch-killer.ts' });
    invariant(entryPoints['cleaner-worker'] !== undefined, 'the cleaner thread entry is one of the bundle entries');
    const { build } = await import('esbuild');
    await build({
      entryPoints,
      absWorkingDir: ROOT,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outdir: dir,
      logLevel: 'warning',
    });
    const entry = join(dir, 'broker-child.js');
    invariant(existsSync(join(dir, 'cleaner-worker.js')), 'cleaner-worker.js is emitted beside the child bundle');
    return { entry, env: { ...process.env, RIVULET_CORE_WASM: wasm } };
  })());
}

/** Removes this process's bundled child entries, the cleaner thread's with them (call from afterAll). */
export async function cleanupChildEntry(): Promise<void> {
  if (!childEntry_) return;
  await childEntry_.catch(() => undefined);
  childEntry_ = null;
  rmSync(childBundleDir(), { recursive: true, force: true });
}

/**
 * Starts test/faults/broker-child.ts (bundled) in a child process; resolves once it prints its port. `port`:
 * listen there (a restart that running clients must reconnect to), else on an ephemeral port.
 */
export async function startChildBroker(dataDir: string, sets: Record<string, string>, topics: string[] = [], port = 0): Promise<ChildBroker> {
  const { entry, env } = await childEntry();
  const args = [entry, '--data-dir', dataDir, '--port', String(port)];
  for (const [k, v] of Object.entries(sets)) args.push('--set', `${k}=${v}`);
  for (const t of topics) args.push('--topic', t);
  const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`broker child did not start: ${stderr}`));
    }, 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /PORT (\d+)/.exec(stdout);
      if (m) {
        clearTimeout(t);
        resolve({ proc, port: Number(m[1]), stderr: () => stderr, exited });
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(t);
      reject(new Error(`broker child exited (${code ?? signal}) before listening: ${stderr}`));
    });
  });
}

export interface FileKill {
  /** Whether the process was killed (false: the timeout passed, or it had exited). */
  killed: boolean;
  elapsedMs: number;
  /** Directory listings made. */
  polls: number;
  /** The listing that matched (or the last one). */
  seen: string[];
}

/**
 * Arms test/faults/file-watch-killer.ts: a process of its own that kills `pid` with SIGKILL as soon as a new
 * file matching `pattern` appears in `dir`. Resolves once armed, with the outcome's promise.
 */
export async function armFileKiller(pid: number, dir: string, pattern: RegExp, timeoutMs: number): Promise<{ outcome: Promise<FileKill>; cancel: () => void }> {
  const { env } = await childEntry();
  const killer = join(childBundleDir(), 'file-watch-killer.js');
  const proc = spawn(process.execPath, [killer, '--pid', String(pid), '--dir', dir, '--pattern', pattern.source, '--timeout-ms', String(timeoutMs)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const outcome = new Promise<FileKill>((resolve, reject) => {
    proc.on('exit', () => {
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as FileKill);
      else reject(new Error(`file-watch-killer ended without an outcome: ${stderr}`));
    });
  });
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('ARMED')) resolve();
    });
    void outcome.then(() => resolve(), reject);
  });
  return { outcome, cancel: () => void (proc.exitCode === null && proc.kill('SIGKILL')) };
}

// ---- tmpfs --------------------------------------------------------------------------------------------

export const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;

export function mountTmpfs(dir: string, size: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
}

export function unmount(dir: string): void {
  if (!existsSync(dir)) return;
  try {
    execFileSync('umount', [dir]);
  } catch {
    execFileSync('umount', ['-l', dir]);
  }
}
