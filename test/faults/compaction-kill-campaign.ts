// kill -9 at each step of a cleaning, with a real broker process: a child broker (test/faults/broker-child.ts,
// its cleaner threads beside it) serves a compacted topic with small segments and a throttled cleaner, our
// own Producer writes keyed records with acks=all (a few hundred keys overwritten again and again, some
// tombstoned), and the broker is SIGKILLed when a cleaning writes its `.cleaned` files, when it has renamed
// them for the swap (`.swap` files present), when the swap commits (a `.log.swap`), once the old segments went
// (`.deleted` files), or at a random moment. After each
// kill the broker restarts on the same data dir and the partition is read whole and checked against what
// the producer had acknowledged (checkCompactedRead). Used by test/faults/compaction-kill.test.ts and by
// the soak campaign `compaction` (test/cluster/support/campaigns/compaction.ts).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Producer } from '../../host-node/client/index.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { mulberry32 } from '../helpers/seeded-random.js';
import { armFileKiller, fetchAll, startChildBroker, type ChildBroker, type FetchedRecord } from './helpers.js';

export const TOPIC = 'compaction-kill';
const KEYS = 300;
const TOMBSTONE_SHARE = 0.1;
const VALUE_PAD = 'v'.repeat(80);
/** Writes per burst and the pause after each: about 2,000 keyed writes a second. */
const BURST = 20;
const BURST_PAUSE_MS = 10;
/** Unacknowledged writes at most; the workload waits beyond it. */
const MAX_IN_FLIGHT = 400;
/** How long one kill waits for its step before the broker is killed anyway (counted as a miss). */
const STEP_TIMEOUT_MS = 8_000;
/** How long a restarted broker gets to finish a cleaning (its cleaner-offset-checkpoint moving on). */
const CLEANING_TIMEOUT_MS = 15_000;

/** Where a cleaning is killed. */
export type KillStep = 'cleaned' | 'swap' | 'commit' | 'deleted' | 'random';
export const KILL_STEPS: readonly KillStep[] = ['cleaned', 'swap', 'commit', 'deleted', 'random'];
const STEP_PATTERN: Record<Exclude<KillStep, 'random'>, RegExp> = {
  cleaned: /\.cleaned$/,
  // The cleaner thread's groupend and index `.swap` files (a finished cleaning, its swap not committed yet).
  swap: /\.swap$/,
  // The commit on the main thread (a `.log.swap`): it lives for one directory fsync, so a kill may miss it.
  commit: /\.log\.swap$/,
  deleted: /\.deleted$/,
};

const BROKER_SETS: Record<string, string> = {
  'auto.create.topics.enable': 'false',
  'log.cleaner.backoff.ms': '50',
  // read and write together: a cleaning of a few segments takes a few hundred ms
  'log.cleaner.io.max.bytes.per.second': String(768 * 1024),
  'log.flush.interval.ms': '50',
};
const TOPIC_CONFIGS: Record<string, string> = {
  'cleanup.policy': 'compact',
  'segment.bytes': String(64 * 1024),
  'min.cleanable.dirty.ratio': '0.01',
  'delete.retention.ms': '300',
  'file.delete.delay.ms': '400',
};

/** One keyed write: a value (`<key>:<seq>:…`) or a tombstone (null). */
interface Write {
  seq: number;
  key: string;
  value: string | null;
  state: 'pending' | 'acked' | 'failed';
  offset: number;
}

/** Every write of the run, in the order sent (one partition: the order of the log among those appended). */
class WriteModel {
  readonly writes: Write[] = [];
  readonly byKey = new Map<string, Write[]>();
  constructor(private readonly rand: () => number) {}

  next(): Write {
    const key = `k${String(Math.floor(this.rand() * KEYS)).padStart(3, '0')}`;
    const seq = this.writes.length;
    const w: Write = { seq, key, value: this.rand() < TOMBSTONE_SHARE ? null : `${key}:${seq}:${VALUE_PAD}`, state: 'pending', offset: -1 };
    this.writes.push(w);
    let list = this.byKey.get(key);
    if (!list) this.byKey.set(key, (list = []));
    list.push(w);
    return w;
  }

  count(state: Write['state']): number {
    return this.writes.filter((w) => w.state === state).length;
  }
}

/** What checkCompactedRead found wrong (each list holds at most a few examples; counts are exact). */
export interface CompactionViolations {
  /** A key whose latest acknowledged value is neither read nor superseded by a later write of it. */
  lost: { count: number; examples: string[] };
  /** A value older than the key's latest acknowledged write read as its latest, or a record a cleaning had removed back. */
  resurrected: { count: number; examples: string[] };
  /** Offsets not strictly increasing. */
  nonMonotonic: { count: number; examples: string[] };
  /** An acknowledged offset holding another record, or a record that was never written. */
  inconsistent: { count: number; examples: string[] };
  /** `.cleaned` or `.swap` files from before the restart still present after it. */
  leftovers: { count: number; examples: string[] };
}

function collector(): { count: number; examples: string[] } {
  return { count: 0, examples: [] };
}
function add(c: { count: number; examples: string[] }, what: string): void {
  if (c.count++ < 5) c.examples.push(what);
}

export function violationCount(v: CompactionViolations): number {
  return v.lost.count + v.resurrected.count + v.nonMonotonic.count + v.inconsistent.count + v.leftovers.count;
}

/**
 * Checks a whole read of the partition after a restart against the writes and a read made before the kill:
 * - offsets strictly increasing; a record at an acknowledged offset is that write; every record was written;
 * - each key's last record is its latest acknowledged write or a later (unacknowledged) one; a key is absent
 *   only if that latest acknowledged write, or a later one, was a tombstone (or nothing of it was acknowledged);
 * - below the end of the read before the kill, no offset comes back that that read did not have (what a
 *   cleaning had removed stays removed).
 */
export function checkCompactedRead(model: WriteModel, read: FetchedRecord[], before: { offsets: Set<number>; end: number }, v: CompactionViolations): void {
  const ackedAt = new Map<number, Write>();
  for (const w of model.writes) if (w.state === 'acked') ackedAt.set(w.offset, w);
  const last = new Map<string, FetchedRecord>();
  let prev = -1;
  for (const r of read) {
    if (r.offset <= prev) add(v.nonMonotonic, `${prev} then ${r.offset}`);
    prev = r.offset;
    const acked = ackedAt.get(r.offset);
    if (acked && (acked.key !== r.key || acked.value !== r.value)) add(v.inconsistent, `offset ${r.offset}: read ${r.key}=${r.value?.slice(0, 12)}, acknowledged ${acked.key}=${acked.value?.slice(0, 12)}`);
    const seq = r.value === null ? -1 : Number(r.value.split(':')[1]);
    if (r.key === null || !model.byKey.has(r.key) || (r.value !== null && model.writes[seq]?.value !== r.value)) add(v.inconsistent, `offset ${r.offset}: ${r.key}=${r.value?.slice(0, 12)} was never written`);
    if (r.offset < before.end && !before.offsets.has(r.offset)) add(v.resurrected, `offset ${r.offset} (${r.key}) was cleaned away before the kill and is back`);
    if (r.key !== null) last.set(r.key, r);
  }
  for (const [key, writes] of model.byKey) {
    let latest = -1;
    for (let i = writes.length - 1; i >= 0; i--)
      if (writes[i]!.state === 'acked') {
        latest = i;
        break;
      }
    if (latest < 0) continue; // nothing acknowledged: any of its writes, or none, may be read
    const a = writes[latest]!;
    const r = last.get(key);
    if (r === undefined) {
      if (!writes.slice(latest).some((w) => w.value === null)) add(v.lost, `${key}: latest acknowledged ${a.value?.slice(0, 12) ?? 'tombstone'} at ${a.offset}, key absent`);
    } else if (r.offset < a.offset) {
      if (a.value === null) add(v.resurrected, `${key}: tombstoned at ${a.offset}, older ${r.value?.slice(0, 12) ?? 'tombstone'} at ${r.offset} read as latest`);
      else add(v.lost, `${key}: latest acknowledged at ${a.offset}, older ${r.value?.slice(0, 12) ?? 'tombstone'} at ${r.offset} read as latest`);
    } else if (r.offset > a.offset && !writes.slice(latest + 1).some((w) => w.state !== 'acked' && w.value === r.value)) {
      add(v.inconsistent, `${key}: ${r.value?.slice(0, 12) ?? 'tombstone'} at ${r.offset} after its latest acknowledged write is none of its later writes`);
    }
  }
}

/** The partition's entry of <dataDir>/cleaner-offset-checkpoint, or -1. */
export function cleanerCheckpoint(dataDir: string, topic = TOPIC, partition = 0): number {
  let text: string;
  try {
    text = readFileSync(join(dataDir, 'cleaner-offset-checkpoint'), 'utf8');
  } catch {
    return -1;
  }
  for (const line of text.split('\n').slice(2)) {
    const [t, p, o] = line.trim().split(/\s+/);
    if (t === topic && Number(p) === partition) return Number(o);
  }
  return -1;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function createTopic(port: number): Promise<void> {
  const c = await KafkaTestClient.connect(port);
  try {
    const configs = Object.entries(TOPIC_CONFIGS).map(([name, value]) => ({ name, value }));
    const r = await c.request(ApiKey.CreateTopics, 7, { timeoutMs: 10_000, topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: -1, assignments: [], configs }] });
    if (r.topics[0]!.errorCode !== 0) throw new Error(`CreateTopics: error ${r.topics[0]!.errorCode} ${r.topics[0]!.errorMessage ?? ''}`);
  } finally {
    c.close();
  }
}

async function readPartition(port: number): Promise<{ records: FetchedRecord[]; end: number }> {
  const c = await KafkaTestClient.connect(port);
  try {
    const r = await fetchAll(c, TOPIC, 0, 0);
    // A compacted log never moves its start: offset 0 out of range means segments were lost.
    if (r.errorCode !== 0) throw new Error(`Fetch from offset 0: error ${r.errorCode}${r.errorCode === 1 ? ' (OFFSET_OUT_OF_RANGE: the log lost its first segments)' : ''}`);
    if (r.highWatermark > 0 && r.nextOffset < r.highWatermark) throw new Error(`the read stopped at ${r.nextOffset}, below the high watermark ${r.highWatermark}`);
    return { records: r.records, end: r.highWatermark };
  } finally {
    c.close();
  }
}

/** Keyed writes with acks=all until stopped; each write's outcome lands in the model. */
function startWorkload(port: number, model: WriteModel): { stop: () => Promise<void> } {
  const producer = new Producer({ bootstrapServers: `127.0.0.1:${port}`, clientId: 'compaction-kill' }, { acks: 'all', retries: 0, lingerMs: 2, ackTimeoutMs: 5_000, allowAutoTopicCreation: false });
  const pending = new Set<Promise<void>>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (let i = 0; i < BURST && pending.size < MAX_IN_FLIGHT; i++) {
        const w = model.next();
        const p = producer.send({ topic: TOPIC, partition: 0, key: w.key, value: w.value }).then(
          (md) => {
            w.state = 'acked';
            w.offset = Number(md.offset);
          },
          () => {
            w.state = 'failed';
          },
        );
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
      await sleep(BURST_PAUSE_MS);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      // The broker is gone: what is still pending after a while was never acknowledged.
      await Promise.race([Promise.allSettled([...pending]), sleep(6_000)]);
      await Promise.race([producer.close().catch(() => undefined), sleep(2_000)]);
    },
  };
}

/** One kill: where it was aimed, what the partition directory held once the broker was dead. */
export interface KillRecord {
  step: KillStep;
  /** The step was reached (false: it timed out and the broker was killed anyway). */
  hit: boolean;
  /** ms from arming to the kill. */
  afterMs: number;
  /** Cleaning files present after the kill. */
  cleaned: number;
  swap: number;
  /** Whether a `.log.swap` was there (the swap committed, recovery completes it). */
  logSwap: boolean;
  deleted: number;
  /** Offset of the cleaner checkpoint before the kill and once the restarted broker cleaned again. */
  checkpointBefore: number;
  checkpointAfter: number;
  recordsRead: number;
  restartMs: number;
}

export interface CompactionKillResult {
  seed: number;
  kills: KillRecord[];
  violations: CompactionViolations;
  writes: { acked: number; failed: number; pending: number };
  /** Records in the partition and its end offset at the last read. */
  finalRecords: number;
  finalEnd: number;
  cleanerCheckpoint: number;
  /** The checkpoint when the last broker had started (the final one moved past it: it cleaned again). */
  lastStartCheckpoint: number;
}

/**
 * Runs `kills` kill-and-restart rounds (steps in turn: cleaned, swap, commit, deleted, random; the random
 * delays and the workload's keys from `seed`) on one data dir. Every round first waits for the running broker to have
 * completed a cleaning since it started (its cleaner-offset-checkpoint moved on), then reads the partition,
 * arms the kill, and after it restarts the broker and checks the read (checkCompactedRead).
 */
export async function runCompactionKill(o: { seed: number; kills: number; log: (line: string) => void }): Promise<CompactionKillResult> {
  const rand = mulberry32(o.seed);
  const model = new WriteModel(rand);
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-compaction-kill-'));
  const partDir = join(dataDir, `${TOPIC}-0`);
  const violations: CompactionViolations = { lost: collector(), resurrected: collector(), nonMonotonic: collector(), inconsistent: collector(), leftovers: collector() };
  const kills: KillRecord[] = [];
  let broker: ChildBroker | null = null;
  let last = { records: [] as FetchedRecord[], end: 0 };
  try {
    broker = await startChildBroker(dataDir, BROKER_SETS);
    await createTopic(broker.port);
    let checkpointAtStart = cleanerCheckpoint(dataDir);
    for (let k = 0; k < o.kills; k++) {
      const step = KILL_STEPS[k % KILL_STEPS.length]!;
      const workload = startWorkload(broker.port, model);
      // The broker cleans again after each restart before it is killed again.
      const t0 = Date.now();
      while (cleanerCheckpoint(dataDir) <= checkpointAtStart) {
        if (Date.now() - t0 > CLEANING_TIMEOUT_MS) throw new Error(`no cleaning completed within ${CLEANING_TIMEOUT_MS} ms of a start (checkpoint ${checkpointAtStart}): ${broker.stderr()}`);
        await sleep(20);
      }
      const checkpointBefore = cleanerCheckpoint(dataDir);
      const before = await readPartition(broker.port);
      const pid = broker.proc.pid!;
      const armedAt = Date.now();
      let hit = true;
      if (step === 'random') {
        await sleep(Math.floor(rand() * 1500));
        broker.proc.kill('SIGKILL');
      } else {
        const killer = await armFileKiller(pid, partDir, STEP_PATTERN[step], STEP_TIMEOUT_MS);
        const r = await killer.outcome;
        hit = r.killed;
        if (!hit) broker.proc.kill('SIGKILL');
      }
      const afterMs = Date.now() - armedAt;
      await broker.exited;
      const killedAt = Date.now();
      await workload.stop();
      const names = readdirSync(partDir);
      const rec: KillRecord = {
        step,
        hit,
        afterMs,
        cleaned: names.filter((n) => n.endsWith('.cleaned')).length,
        swap: names.filter((n) => n.endsWith('.swap')).length,
        logSwap: names.some((n) => n.endsWith('.log.swap')),
        deleted: names.filter((n) => n.endsWith('.deleted')).length,
        checkpointBefore,
        checkpointAfter: -1,
        recordsRead: 0,
        restartMs: 0,
      };
      const restartAt = Date.now();
      broker = await startChildBroker(dataDir, BROKER_SETS);
      rec.restartMs = Date.now() - restartAt;
      // Recovery removed or completed every swap: a `.cleaned` or `.swap` file older than the restart is a leftover
      // (a cleaning of the new broker may already be writing its own).
      for (const n of readdirSync(partDir))
        if (/\.(cleaned|swap)$/.test(n)) {
          let mtime = Infinity;
          try {
            mtime = statSync(join(partDir, n)).mtimeMs;
          } catch {
            continue; // gone meanwhile: the new broker's own cleaning moved on
          }
          if (mtime <= killedAt) add(violations.leftovers, `${n} after the kill at step ${step}`);
        }
      last = await readPartition(broker.port);
      rec.recordsRead = last.records.length;
      checkCompactedRead(model, last.records, { offsets: new Set(before.records.map((r) => r.offset)), end: before.end }, violations);
      checkpointAtStart = cleanerCheckpoint(dataDir);
      kills.push(rec);
      o.log(
        `kill ${k + 1}/${o.kills} at ${step}: ${hit ? 'hit' : 'MISSED'} after ${afterMs} ms; left .cleaned ${rec.cleaned}, .swap ${rec.swap}${rec.logSwap ? ' (committed)' : ''}, .deleted ${rec.deleted}; ` +
          `restart ${rec.restartMs} ms, ${rec.recordsRead} records read (end ${last.end}), checkpoint ${checkpointBefore} before; violations so far ${violationCount(violations)}`,
      );
    }
    // Once more: the last restarted broker cleans too.
    const workload = startWorkload(broker.port, model);
    const t0 = Date.now();
    while (cleanerCheckpoint(dataDir) <= checkpointAtStart && Date.now() - t0 < CLEANING_TIMEOUT_MS) await sleep(20);
    await workload.stop();
    const finalCheckpoint = cleanerCheckpoint(dataDir);
    for (let i = 0; i < kills.length; i++) kills[i]!.checkpointAfter = i + 1 < kills.length ? kills[i + 1]!.checkpointBefore : finalCheckpoint;
    return {
      seed: o.seed,
      kills,
      violations,
      writes: { acked: model.count('acked'), failed: model.count('failed'), pending: model.count('pending') },
      finalRecords: last.records.length,
      finalEnd: last.end,
      cleanerCheckpoint: finalCheckpoint,
      lastStartCheckpoint: checkpointAtStart,
    };
  } finally {
    if (broker && broker.proc.exitCode === null && broker.proc.signalCode === null) {
      broker.proc.kill('SIGKILL');
      await broker.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}
