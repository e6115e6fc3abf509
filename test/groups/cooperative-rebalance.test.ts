// librdkafka's cooperative-sticky assignor (KIP-429) rebalancing incrementally against our classic-group
// coordinator: confluent-kafka-python consumers, each its own process (Debian's python3-confluent-kafka), while a
// producer process keeps writing to all six partitions. A joins alone and gets all six; B joins and A gives up
// only the partitions that move to B (its rebalance callback gets just that delta), keeps consuming the others
// without ever losing them, and the group ends 3+3; B closes and A gets B's partitions back by an incremental
// assign, again without losing its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { startDataBroker, type DataBroker } from '../helpers/data-broker.js';

const PYTHON = '/usr/bin/python3';
const PY = join(import.meta.dirname, 'py', 'cooperative_member.py');
const PARTITIONS = 6;
const ALL = [...Array(PARTITIONS).keys()];
const SESSION_MS = 6000;

type Delta = { e: 'assign' | 'revoke' | 'lost'; parts: number[]; t: number };
type Consumed = { e: 'c'; p: number; o: number; t: number };
type Ev = Delta | Consumed | { e: 'closed'; n?: number };

interface Proc {
  name: string;
  proc: ChildProcess;
  events: Ev[];
  stderr: string;
  exited: Promise<number | null>;
}

let b: DataBroker;
let admin: KafkaTestClient;

/** CLOCK_MONOTONIC in seconds, like Python's time.monotonic() (libuv's hrtime is CLOCK_MONOTONIC on Linux). */
const now = () => Number(process.hrtime.bigint()) / 1e9;

function start(name: string, args: string[]): Proc {
  const proc = spawn(PYTHON, [PY, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const m: Proc = { name, proc, events: [], stderr: '', exited: new Promise((r) => proc.on('close', (code) => r(code))) };
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

const member = (topic: string, group: string, name: string) => start(name, ['consume', b.bootstrap, topic, group, name, String(SESSION_MS)]);
/**
 * The rebalance callbacks that changed something. In cooperative mode librdkafka also calls the assign callback
 * with an empty delta at the end of every rebalance that added nothing to the member (e.g. A after giving up
 * partitions, B after the first of the two rebalances), so empty deltas are skipped.
 */
const deltas = (m: Proc, from = 0) =>
  m.events.slice(from).filter((e): e is Delta => (e.e === 'assign' || e.e === 'revoke' || e.e === 'lost') && e.parts.length > 0);
const consumed = (m: Proc) => m.events.filter((e): e is Consumed => e.e === 'c');

/** The partitions a member owns: the sum of its incremental assigns minus its revokes / losses. */
function owned(m: Proc): number[] {
  const s = new Set<number>();
  for (const d of deltas(m)) for (const p of d.parts) d.e === 'assign' ? s.add(p) : s.delete(p);
  return [...s].sort((x, y) => x - y);
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** ConsumerProtocolAssignment: int16 version, [topic string, [int32 partition]], user data (ignored). */
function decodeAssignment(buf: Uint8Array): number[] {
  if (buf.length === 0) return [];
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let o = 2;
  const parts: number[] = [];
  const topics = v.getInt32(o);
  o += 4;
  for (let t = 0; t < topics; t++) {
    o += 2 + v.getInt16(o);
    const n = v.getInt32(o);
    o += 4;
    for (let i = 0; i < n; i++, o += 4) parts.push(v.getInt32(o));
  }
  return parts.sort((x, y) => x - y);
}

async function describe_(group: string) {
  const d = await admin.request(ApiKey.DescribeGroups, 5, { groups: [group] });
  return d.groups[0]!;
}

/** A's records of partition p: offsets strictly consecutive (never re-fetched after a revoke / reset). */
function gapsAndRepeats(records: Consumed[], p: number): string[] {
  const os = records.filter((c) => c.p === p).map((c) => c.o);
  const bad: string[] = [];
  for (let i = 1; i < os.length; i++) if (os[i] !== os[i - 1]! + 1) bad.push(`p${p}: ${os[i - 1]} then ${os[i]}`);
  return bad;
}

beforeAll(async () => {
  b = await startDataBroker({ sets: { 'group.initial.rebalance.delay.ms': '300' } });
  admin = await KafkaTestClient.connect(b.port);
});
afterAll(async () => {
  admin?.close();
  await b?.dispose();
});

describe('librdkafka cooperative-sticky against the classic group coordinator', () => {
  it('rebalances incrementally: only moved partitions are revoked, the rest keep flowing', async () => {
    const topic = 'coop';
    const group = 'coop-group';
    b.createTopic(topic, PARTITIONS);
    const producer = start('producer', ['produce', b.bootstrap, topic, String(PARTITIONS), '5']);
    const procs: Proc[] = [producer];
    try {
      // 1. A alone: one incremental assign of all six partitions, records from all of them.
      const A = member(topic, group, 'A');
      procs.push(A);
      await waitFor('A to own all partitions', () => owned(A).length === PARTITIONS, 15000);
      expect(deltas(A)).toMatchObject([{ e: 'assign', parts: ALL }]);
      await waitFor('A to consume from every partition', () => ALL.every((p) => consumed(A).some((c) => c.p === p)), 10000);
      const g1 = await describe_(group);
      expect(g1.protocolType).toBe('consumer');
      expect(g1.protocolData).toBe('cooperative-sticky');

      // 2. B joins. Cooperative-sticky takes two rebalances: in the first A gives up what moves (revoke of the
      //    delta only), in the second B gets it.
      const aMark = A.events.length;
      const tJoin = now();
      const B = member(topic, group, 'B');
      procs.push(B);
      await waitFor(
        'a balanced 3+3 split',
        () => owned(A).length === PARTITIONS / 2 && owned(B).length === PARTITIONS / 2,
        20000,
      );
      await waitFor('B to consume from its partitions', () => owned(B).every((p) => consumed(B).some((c) => c.p === p)), 10000);
      const aParts = owned(A);
      const bParts = owned(B);
      expect([...aParts, ...bParts].sort((x, y) => x - y)).toEqual(ALL);
      // A: only revokes, each a subset of what went to B, together exactly B's partitions; never all six.
      const aJoin = deltas(A, aMark);
      expect(aJoin.length).toBeGreaterThan(0);
      for (const d of aJoin) {
        expect(d.e).toBe('revoke');
        expect(d.parts.length).toBeLessThan(PARTITIONS);
        for (const p of d.parts) expect(bParts).toContain(p);
      }
      expect([...new Set(aJoin.flatMap((d) => d.parts))].sort((x, y) => x - y)).toEqual(bParts);
      // B: only assigns, after A's revokes.
      const bDeltas = deltas(B);
      for (const d of bDeltas) expect(d.e).toBe('assign');
      const tRevoke = Math.min(...aJoin.map((d) => d.t));
      const tBAssign = Math.min(...bDeltas.map((d) => d.t));
      expect(tBAssign).toBeGreaterThanOrEqual(tRevoke);
      // The coordinator's view agrees: two members, each with its own three partitions.
      const g2 = await describe_(group);
      expect(g2.groupState).toBe('Stable');
      expect(g2.protocolData).toBe('cooperative-sticky');
      const byClient = Object.fromEntries(g2.members.map((m) => [m.clientId, decodeAssignment(m.memberAssignment)]));
      expect(byClient).toEqual({ A: aParts, B: bParts });
      // Records kept flowing to A on the partitions it kept while B joined (it never stopped to rejoin eagerly).
      const aKeptDuringJoin = consumed(A).filter((c) => aParts.includes(c.p) && c.t > tJoin && c.t < tBAssign);
      expect(aKeptDuringJoin.length).toBeGreaterThan(0);
      // ... without a pause: the producer writes every 5 ms, and the longest gap between two of A's records on
      // its kept partitions from B's start until B's assignment is ~50 ms (the second rebalance alone, from A's
      // revoke to B's assign, takes 0.5-1 s here; an eager member would stop for all of it).
      const ts = [tJoin, ...aKeptDuringJoin.map((c) => c.t), tBAssign];
      const maxGap = Math.max(...ts.slice(1).map((t, i) => t - ts[i]!));
      expect(maxGap).toBeLessThan(0.75);

      // 3. B closes: it revokes its partitions and leaves; A gets exactly those by an incremental assign.
      const aMark2 = A.events.length;
      B.proc.stdin!.write('stop\n');
      expect(await B.exited, B.stderr).toBe(0);
      expect(B.events.at(-1)).toEqual({ e: 'closed' });
      await waitFor('A to own all partitions again', () => owned(A).length === PARTITIONS, 20000);
      expect(deltas(A, aMark2)).toMatchObject([{ e: 'assign', parts: bParts }]);
      const g3 = await describe_(group);
      expect(g3.members.map((m) => [m.clientId, decodeAssignment(m.memberAssignment)])).toEqual([['A', ALL]]);
      const tBack = (deltas(A, aMark2)[0] as Delta).t;
      await waitFor('A to consume B\'s partitions', () => bParts.every((p) => consumed(A).some((c) => c.p === p && c.t > tBack)), 10000);

      // 4. A never lost anything, and never re-read a record of the partitions it kept (no revoke + reset).
      expect(deltas(A).filter((d) => d.e === 'lost')).toEqual([]);
      const aRecords = consumed(A);
      expect(aParts.flatMap((p) => gapsAndRepeats(aRecords, p))).toEqual([]);
      for (const p of aParts) expect(aRecords.find((c) => c.p === p)!.o).toBe(0);

      for (const p of [A, producer]) p.proc.stdin!.write('stop\n');
      expect(await A.exited, A.stderr).toBe(0);
      expect(await producer.exited, producer.stderr).toBe(0);
      expect(A.events.at(-1)).toEqual({ e: 'closed' });
    } finally {
      for (const m of procs) if (m.proc.exitCode === null && m.proc.signalCode === null) m.proc.kill('SIGKILL');
    }
  });
});
