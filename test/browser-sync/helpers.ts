// Helpers for the browser-sync tests: an in-memory SyncableLog (with a hook to make a meta write fail, the
// way a tab dies between two writes), kcat wrappers, a free-port finder and a polling wait.
import { execFile, spawn } from 'node:child_process';
import { WebSocket as WsWebSocket } from 'ws';
import { core } from '../../bindings/node.js';
import type { LocalRecord, LocalRecordInput, SyncableLog } from '../../host-browser/sync/types.js';
import type { WebSocketConstructor } from '../../host-browser/sync/ws-connection.js';

/** The `ws` package's client, as the WebSocket class sync expects (the standard browser API). */
export const WS = WsWebSocket as unknown as WebSocketConstructor;
/** The core sync encodes/decodes batches with (bindings/node.js here; bindings/web.js in the Worker). */
export const codec = core;

export class MemLog implements SyncableLog {
  readonly records: LocalRecord[] = [];
  readonly meta = new Map<string, string>();
  /** Return true to make this setMeta throw (and store nothing): the tab "dies" before the write lands. */
  failSetMeta: ((key: string, value: string) => boolean) | null = null;
  private waiters: Array<{ offset: number; resolve(): void }> = [];

  constructor(
    readonly topic: string,
    readonly partition = 0,
  ) {}

  endOffset(): number {
    return this.records.length;
  }

  async read(fromOffset: number, maxRecords: number): Promise<LocalRecord[]> {
    return this.records.slice(fromOffset, fromOffset + maxRecords);
  }

  async append(inputs: LocalRecordInput[]): Promise<{ baseOffset: number; lastOffset: number }> {
    const baseOffset = this.records.length;
    const now = Date.now();
    for (const r of inputs) this.records.push({ ...r, offset: this.records.length, timestamp: r.timestamp ?? now });
    const end = this.records.length;
    this.waiters = this.waiters.filter((w) => (end > w.offset ? (w.resolve(), false) : true));
    return { baseOffset, lastOffset: end - 1 };
  }

  async getMeta(key: string): Promise<string | undefined> {
    return this.meta.get(key);
  }

  async setMeta(key: string, value: string): Promise<void> {
    if (this.failSetMeta?.(key, value)) throw new Error(`simulated crash: meta write of ${key} lost`);
    this.meta.set(key, value);
  }

  waitForAppend(offset: number, signal?: AbortSignal): Promise<void> {
    if (this.records.length > offset) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { offset, resolve };
      this.waiters.push(w);
      signal?.addEventListener(
        'abort',
        () => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new Error('aborted'));
        },
        { once: true },
      );
    });
  }

  values(): string[] {
    return this.records.map((r) => new TextDecoder().decode(r.value ?? new Uint8Array()));
  }
}

const enc = new TextEncoder();
export const rec = (v: string): LocalRecordInput => ({ value: enc.encode(v) });

/** Every value in the topic, in order (kcat -C -e from the beginning). */
export function kcatConsume(port: number, topic: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('kcat', ['-C', '-b', `127.0.0.1:${port}`, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kcat -C failed: ${err.message} ${stderr}`));
      else resolve(stdout.split('\n').filter((l) => l !== ''));
    });
  });
}

/** Produces one record per value (kcat -P, one line each). */
export function kcatProduce(port: number, topic: string, values: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('kcat', ['-P', '-b', `127.0.0.1:${port}`, '-t', topic, '-p', '0'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat -P exited ${code}: ${stderr}`))));
    p.stdin.end(values.map((v) => `${v}\n`).join(''));
  });
}

export { freePort } from '../helpers/ports.js';

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const range = (n: number, prefix: string, from = 0): string[] => Array.from({ length: n }, (_, i) => `${prefix}${from + i}`);

/** Every consumer group the broker on TCP `port` knows (ListGroups v4). */
export async function listGroups(port: number): Promise<string[]> {
  const { KafkaTestClient } = await import('../helpers/broker.js');
  const { ApiKey } = await import('../../protocol/generated/index.js');
  const c = await KafkaTestClient.connect(port);
  try {
    const res = await c.request(ApiKey.ListGroups, 4, { statesFilter: [] });
    return res.groups.map((g) => g.groupId);
  } finally {
    c.close();
  }
}
