// A consumer group member SIGKILLed mid-stream: three confluent-kafka-python (librdkafka) consumers, each its
// own process, commit synchronously after every message; one is killed; after its session times out the
// coordinator moves its partitions to the two survivors, which finish the topic from the killed member's
// last committed offsets. Checks at-least-once delivery, that nothing already committed is consumed again,
// and that the final committed offsets are the log end offsets.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { startDataBroker, type DataBroker } from '../helpers/data-broker.js';

const PYTHON = '/usr/bin/python3';
const PY = join(import.meta.dirname, 'py', 'killable_member.py');
const PARTITIONS = 6;
const PER_PARTITION = 1000;
const TOTAL = PARTITIONS * PER_PARTITION;
const SESSION_MS = 6000;

type Consumed = { e: 'c'; p: number; o: number; k: string; v: string; t: number };
type Commit = { e: 'k' | 'kf'; p: number; o: number; t: number; err?: string };
type Ev = { e: 'assign' | 'revoke'; parts: number[]; t: number } | Consumed | Commit | { e: 'closed' };

interface Member {
  name: string;
  proc: ChildProcess;
  events: Ev[];
  stderr: string;
  exited: Promise<number | null>;
}

let b: DataBroker;
let admin: KafkaTestClient;

function runAsync(cmd: string, args: string[], timeoutMs: number, input?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (input !== undefined) p.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d) => (stdout += d));
    p.stderr!.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}

function startMember(topic: string, group: string, name: string): Member {
  const proc = spawn(PYTHON, [PY, b.bootstrap, topic, group, name, String(SESSION_MS), '2'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const m: Member = { name, proc, events: [], stderr: '', exited: new Promise((r) => proc.on('close', (code) => r(code))) };
  let buf = '';
  proc.stdout!.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line) m.events.push(JSON.parse(line));
    }
  });
  proc.stderr!.on('data', (d) => (m.stderr += d));
  return m;
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function committed(group: string, topic: string): Promise<bigint[]> {
  const r = await admin.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: group, topics: [{ name: topic, partitionIndexes: [...Array(PARTITIONS).keys()] }] }] });
  return r.groups[0]!.topics[0]!.partitions.map((p) => p.committedOffset);
}

beforeAll(async () => {
  // All three members should land in the first generation. The members ask for session.timeout.ms=6000, the
  // broker's default group.min.session.timeout.ms.
  b = await startDataBroker({ sets: { 'group.initial.rebalance.delay.ms': '1500' } });
  admin = await KafkaTestClient.connect(b.port);
});
afterAll(async () => {
  admin?.close();
  await b?.dispose();
});

describe('a SIGKILLed member of a librdkafka group', () => {
  it('its partitions move to the survivors, which finish from its last commits; nothing committed is consumed again', async () => {
    const topic = 'killed-member';
    const group = 'killed-member-group';
    b.createTopic(topic, PARTITIONS);
    for (let p = 0; p < PARTITIONS; p++) {
      const input = Array.from({ length: PER_PARTITION }, (_, o) => `k${p}-${o}:p${p}-m${o}`).join('\n') + '\n';
      const r = await runAsync('kcat', ['-P', '-b', b.bootstrap, '-t', topic, '-p', String(p), '-K:'], 30000, input);
      expect(r.status, r.stderr).toBe(0);
    }
    const members = ['m0', 'm1', 'm2'].map((n) => startMember(topic, group, n));
    const [victim, ...survivors] = members as [Member, Member, Member];
    try {
      // Kill m0 once it has committed a good part of its share (and while everyone still has work left).
      await waitFor('m0 to commit 150 messages', () => victim.events.filter((e) => e.e === 'k').length >= 150, 20000);
      const assigns = members.map((m) => m.events.filter((e) => e.e === 'assign'));
      victim.proc.kill('SIGKILL');
      await victim.exited;
      // What the coordinator holds for m0's partitions right after the kill (nobody else owns them until its
      // session times out). m0 may have died between the broker acknowledging a commit and printing it.
      const atKill = await committed(group, topic);
      // Its partitions at the moment it died: its last assignment (range assignor, eager).
      const lastAssign = assigns[0]!.at(-1) as { parts: number[] } | undefined;
      expect(lastAssign, 'm0 never got an assignment').toBeDefined();
      const victimParts = lastAssign!.parts;
      expect(victimParts.length).toBeGreaterThan(0);

      // The survivors finish the topic once the coordinator has evicted m0 (session timeout).
      await waitFor('all offsets committed', async () => (await committed(group, topic)).every((o) => o === BigInt(PER_PARTITION)), 35000);
      for (const s of survivors) s.proc.stdin!.write('stop\n');
      const codes = await Promise.all(survivors.map((s) => s.exited));
      for (const [i, s] of survivors.entries()) expect(codes[i], s.stderr).toBe(0);
      for (const s of survivors) expect(s.events.at(-1)).toEqual({ e: 'closed' });

      // 1. Every record was consumed at least once, with the key and value it was produced with.
      const consumed = members.flatMap((m) => m.events.filter((e): e is Consumed => e.e === 'c').map((e) => ({ ...e, m: m.name })));
      for (const c of consumed) {
        expect(c.k).toBe(`k${c.p}-${c.o}`);
        expect(c.v).toBe(`p${c.p}-m${c.o}`);
      }
      expect(new Set(consumed.map((c) => `${c.p}:${c.o}`)).size).toBe(TOTAL);

      // 2. Everything from the killed member's last acknowledged commit on its partitions was consumed by a
      //    survivor after the kill.
      const victimCommits = victim.events.filter((e): e is Commit => e.e === 'k');
      const killT = Math.max(...victim.events.filter((e): e is Ev & { t: number } => 't' in e).map((e) => e.t));
      for (const p of victimParts) {
        const printed = Math.max(0, ...victimCommits.filter((k) => k.p === p).map((k) => k.o));
        const consumedByVictim = Math.max(-1, ...consumed.filter((c) => c.m === 'm0' && c.p === p).map((c) => c.o));
        const last = atKill[p]! < 0n ? 0 : Number(atKill[p]!);
        expect(last).toBeGreaterThanOrEqual(printed);
        expect(last).toBeLessThanOrEqual(consumedByVictim + 1);
        const bySurvivors = new Set(consumed.filter((c) => c.m !== 'm0' && c.p === p && c.t > killT).map((c) => c.o));
        const missing = [];
        for (let o = last; o < PER_PARTITION; o++) if (!bySurvivors.has(o)) missing.push(o);
        expect(missing, `partition ${p} after m0's last commit ${last}`).toEqual([]);
        // At most what m0 consumed after its last acknowledged commit is consumed twice (at-least-once).
        const firstSurvivor = Math.min(...bySurvivors);
        expect(firstSurvivor).toBeGreaterThanOrEqual(last);
      }

      // 3. No record below an acknowledged committed offset was consumed (by anyone) after that commit.
      const commits = members.flatMap((m) => m.events.filter((e): e is Commit => e.e === 'k'));
      const violations: string[] = [];
      for (let p = 0; p < PARTITIONS; p++) {
        const ks = commits.filter((k) => k.p === p).sort((a, b) => a.t - b.t);
        for (const c of consumed.filter((c) => c.p === p)) {
          // the highest commit acknowledged before this record was handed to the application
          let hw = 0;
          for (const k of ks) {
            if (k.t >= c.t) break;
            hw = Math.max(hw, k.o);
          }
          if (c.o < hw) violations.push(`${c.m} consumed ${p}:${c.o} after ${hw} was committed`);
        }
      }
      expect(violations).toEqual([]);
      // Duplicates exist only where a record was consumed but its commit was never acknowledged.
      const dupes = consumed.length - TOTAL;
      const unacked = members.reduce((n, m) => n + m.events.filter((e) => e.e === 'c').length - m.events.filter((e) => e.e === 'k').length, 0);
      expect(dupes).toBeLessThanOrEqual(unacked);

      // 4. The final committed offsets are the log end offsets, and m0 is gone from the group.
      expect(await committed(group, topic)).toEqual(Array(PARTITIONS).fill(BigInt(PER_PARTITION)));
      const ends = await admin.request(ApiKey.ListOffsets, 5, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: [...Array(PARTITIONS).keys()].map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n })) }],
      });
      expect(ends.topics[0]!.partitions.map((p) => p.offset)).toEqual(Array(PARTITIONS).fill(BigInt(PER_PARTITION)));
    } finally {
      for (const m of members) if (m.proc.exitCode === null && m.proc.signalCode === null) m.proc.kill('SIGKILL');
    }
  });
});
