// kill -9 of a broker while groups flood __consumer_offsets with commits and the cleaner compacts it (small
// segments, a short backoff: cleanings and their swaps run all the time), then a restart on the same data
// dir, several times over. After each restart every group's committed offset of every partition is one the
// group sent, no older than the last one the broker acknowledged (a killed process loses no written page),
// with the metadata sent along with it; the topic stays small, and the cleaner's checkpoint moved on.
// The broker runs under tsx (not the fault tests' bundle): its cleaner threads load cleaner-worker.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { ROOT } from './helpers.js';

const TOPIC = 'flood';
const PARTITIONS = 4;
const GROUPS = ['g0', 'g1', 'g2'];
const KILLS = 5;
const WINDOW = 32;
const SEGMENT_BYTES = 256 * 1024;
const SETS = {
  'node.id': '1',
  'group.initial.rebalance.delay.ms': '0',
  'offsets.topic.num.partitions': '1',
  'offsets.topic.segment.bytes': String(SEGMENT_BYTES),
  'log.cleaner.backoff.ms': '10',
  'log.segment.delete.delay.ms': '100',
};

const dir = mkdtempSync(join(tmpdir(), 'rivulet-offsets-kill-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const ch of children) if (ch.exitCode === null && ch.signalCode === null) ch.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** test/faults/broker-child.ts under tsx; resolves with its port once it listens. */
function startBroker(): Promise<{ proc: ChildProcess; port: number }> {
  const args = ['--import', 'tsx', join(ROOT, 'test/faults/broker-child.ts'), '--data-dir', dir, '--topic', `${TOPIC}:${PARTITIONS}`];
  for (const [k, v] of Object.entries(SETS)) args.push('--set', `${k}=${v}`);
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  let stdout = '';
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`broker did not start: ${stderr}`)), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /PORT (\d+)/.exec(stdout);
      if (m) {
        clearTimeout(t);
        resolve({ proc, port: Number(m[1]) });
      }
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(t);
      reject(new Error(`broker exited (${code ?? signal}) before listening: ${stderr}`));
    });
  });
}

const metadataOf = (group: string, partition: number, offset: bigint) => `${group}/${partition}@${offset}`;

/** Per group and partition: the last offset acknowledged, and the highest sent. */
type Progress = Map<string, { acked: bigint; sent: bigint }[]>;

/**
 * Commits for `group` until the connection drops: request i commits every partition at `base + i`, at most
 * WINDOW in flight. Records what was sent and acknowledged in `progress`.
 */
async function flood(c: KafkaTestClient, group: string, base: bigint, progress: Progress): Promise<void> {
  const row = progress.get(group)!;
  const inFlight: bigint[] = [];
  let next = base;
  const send = () => {
    const offset = next++;
    c.send(ApiKey.OffsetCommit, 8, { groupId: group, generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: TOPIC, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, committedOffset: offset, committedLeaderEpoch: 0, committedMetadata: metadataOf(group, p, offset) })) }] });
    for (const r of row) r.sent = offset;
    inFlight.push(offset);
  };
  for (let i = 0; i < WINDOW; i++) send();
  for (let i = 0; i < 10_000_000; i++) {
    let r;
    try {
      r = await c.recv(ApiKey.OffsetCommit, 8, 30_000);
    } catch {
      return; // the broker was killed
    }
    const offset = inFlight.shift()!;
    for (const [p, part] of r.body.topics[0]!.partitions.entries()) {
      if (part.errorCode !== 0) throw new Error(`${group} commit ${offset}: error ${part.errorCode}`);
      row[p]!.acked = offset;
    }
    send();
  }
}

async function fetchGroup(c: KafkaTestClient, group: string): Promise<{ offset: bigint; metadata: string | null }[]> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const r = await c.request(ApiKey.OffsetFetch, 7, { groupId: group, topics: [{ name: TOPIC, partitionIndexes: [...Array(PARTITIONS).keys()] }], requireStable: false });
    if (r.errorCode === 14) {
      await new Promise((res) => setTimeout(res, 10)); // COORDINATOR_LOAD_IN_PROGRESS
      continue;
    }
    expect(r.errorCode).toBe(0);
    return r.topics[0]!.partitions.map((p) => ({ offset: p.committedOffset, metadata: p.metadata }));
  }
  throw new Error(`${group}: still loading`);
}

/** The cleaner's checkpoint of __consumer_offsets-0, or -1 without one. */
function cleanerCheckpoint(): number {
  const f = join(dir, 'cleaner-offset-checkpoint');
  if (!existsSync(f)) return -1;
  const line = readFileSync(f, 'utf8').split('\n').find((l) => l.startsWith('__consumer_offsets 0 '));
  return line === undefined ? -1 : Number(line.split(' ')[2]);
}

function offsetsTopicLogBytes(): number {
  const d = join(dir, '__consumer_offsets-0');
  return readdirSync(d).filter((f) => f.endsWith('.log')).reduce((n, f) => n + statSync(join(d, f)).size, 0);
}

describe('kill -9 while __consumer_offsets is flooded and cleaned', () => {
  it('every group loads a committed offset it sent, no older than the last acknowledged, after each kill', { timeout: 300_000 }, async () => {
    const progress: Progress = new Map(GROUPS.map((g) => [g, Array.from({ length: PARTITIONS }, () => ({ acked: -1n, sent: -1n }))]));
    let base = 1n;
    const checkpoints: number[] = [];
    let midCleaning = 0; // kills that left a cleaning's files behind
    const ackedPerRound: number[] = [];
    for (let kill = 0; kill <= KILLS; kill++) {
      const b = await startBroker();
      const clients: KafkaTestClient[] = [];
      try {
        const c0 = await KafkaTestClient.connect(b.port);
        clients.push(c0);
        if (kill > 0) {
          for (const g of GROUPS) {
            const got = await fetchGroup(c0, g);
            got.forEach((f, p) => {
              const { acked, sent } = progress.get(g)![p]!;
              expect(f.offset >= acked && f.offset <= sent, `${g}-${p}: loaded ${f.offset}, acked ${acked}, sent ${sent}`).toBe(true);
              expect(f.metadata).toBe(metadataOf(g, p, f.offset));
              // What was loaded is now the group's state: later commits start above it.
              progress.get(g)![p] = { acked: f.offset, sent: f.offset };
            });
          }
          checkpoints.push(cleanerCheckpoint());
        }
        if (kill === KILLS) break;
        // Each round commits above everything sent before; the floods run until the kill ends them.
        base = GROUPS.reduce((m, g) => progress.get(g)!.reduce((n, r) => (r.sent >= n ? r.sent + 1n : n), m), base);
        const floods: Promise<void>[] = [];
        for (const g of GROUPS) {
          const c = await KafkaTestClient.connect(b.port);
          clients.push(c);
          floods.push(flood(c, g, base, progress));
        }
        await new Promise((r) => setTimeout(r, 1500 + 300 * kill)); // rolls and cleanings meanwhile
        b.proc.kill('SIGKILL');
        await Promise.all(floods);
        // Commits each group had acknowledged before this kill.
        ackedPerRound.push(Math.min(...GROUPS.map((g) => Number(progress.get(g)![0]!.acked - base + 1n))));
        if (readdirSync(join(dir, '__consumer_offsets-0')).some((f) => f.endsWith('.cleaned') || f.endsWith('.swap'))) midCleaning++;
      } finally {
        if (b.proc.exitCode === null && b.proc.signalCode === null) b.proc.kill(kill === KILLS ? 'SIGTERM' : 'SIGKILL');
        await new Promise((r) => (b.proc.exitCode !== null || b.proc.signalCode !== null ? r(undefined) : b.proc.once('exit', r)));
        for (const c of clients) c.close();
      }
    }
    console.log(`offsets kill: ${KILLS} kills (${midCleaning} in the middle of a cleaning); commit requests acknowledged per group before each: ${ackedPerRound.join(', ')}; cleaner checkpoints after each: ${checkpoints.join(', ')}; log bytes now ${offsetsTopicLogBytes()}`);
    expect(Math.min(...ackedPerRound)).toBeGreaterThan(100);
    expect(checkpoints[checkpoints.length - 1]!).toBeGreaterThan(0);
    expect(offsetsTopicLogBytes()).toBeLessThan(8 * SEGMENT_BYTES);
  });
});
