// __consumer_offsets under a flood of offset commits of the same few groups: the cleaner keeps the topic's
// partitions small (the last commit of each group/partition, not every commit), and a broker restarted on the
// same data dir loads every group's last committed offset and metadata, with a group deleted midway still
// gone (its tombstones cleaned away too, past a short delete.retention.ms), one committed to again after its
// deletion holding only that commit, one committed once before the flood kept. Commits come pipelined over raw
// connections, from simple consumers (generation -1) and from members of groups with a real generation
// (JoinGroup/SyncGroup). A million commit records take about 15-20 s here; RIVULET_OFFSETS_COMMITS changes
// how many.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { startDataBroker, type DataBroker } from '../helpers/data-broker.js';
import { assignment, subscription } from './helpers.js';
import { decodeKey, readSegment } from './independent-decoder.js';

const COMMITS = Number(process.env.RIVULET_OFFSETS_COMMITS ?? 1_000_000);
const SEGMENT_BYTES = 1 << 20;
const PARTITIONS = 4; // of the committed topic, one commit record each per request
const WINDOW = 64; // OffsetCommit requests in flight per connection
const BOUND_BYTES = 12 << 20; // the offsets topic's files on disk at any time, at most (3-5 MiB seen here)

const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-offsets-compaction-'));
const sets = {
  'group.initial.rebalance.delay.ms': '0',
  'offsets.topic.num.partitions': '2',
  'offsets.topic.segment.bytes': String(SEGMENT_BYTES),
  'log.cleaner.backoff.ms': '20',
  'log.cleaner.delete.retention.ms': '200',
  // Replaced segments wait this long as .deleted files (Kafka's file.delete.delay.ms): short, so that the
  // disk the topic takes is what the cleaner left and not a minute of replaced segments.
  'log.segment.delete.delay.ms': '200',
};
const open: (DataBroker | KafkaTestClient)[] = [];
afterAll(async () => {
  for (const x of open) if (x instanceof KafkaTestClient) x.close();
  for (const x of open) if (!(x instanceof KafkaTestClient)) await x.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Over the offsets topic's partition dirs: the bytes of its live segment files (.log), and the disk all its
 * files take (allocated blocks, as du counts them: the active segment's preallocated indexes are sparse;
 * replaced segments waiting as .deleted count), and how many files there are. A file removed while listed
 * counts no bytes.
 */
function offsetsTopicBytes(): { log: number; disk: number; files: number } {
  let log = 0;
  let disk = 0;
  let files = 0;
  for (const d of readdirSync(dataDir).filter((n) => n.startsWith('__consumer_offsets-'))) {
    for (const f of readdirSync(join(dataDir, d))) {
      files++;
      const st = statSync(join(dataDir, d, f), { throwIfNoEntry: false });
      if (st === undefined) continue;
      disk += st.blocks * 512;
      if (f.endsWith('.log')) log += st.size;
    }
  }
  return { log, disk, files };
}

/** The bytes of the live segment files of the offsets topic under `dir`. */
function offsetsTopicBytesIn(dir: string): number {
  let n = 0;
  for (const d of readdirSync(dir).filter((x) => x.startsWith('__consumer_offsets-')))
    for (const f of readdirSync(join(dir, d)).filter((x) => x.endsWith('.log'))) n += statSync(join(dir, d, f), { throwIfNoEntry: false })?.size ?? 0;
  return n;
}

/** The groups with any record (an offset commit, group metadata or a tombstone) in the offsets topic's live segments. */
function groupsInLog(): Set<string> {
  const out = new Set<string>();
  for (const d of readdirSync(dataDir).filter((n) => n.startsWith('__consumer_offsets-')))
    for (const f of readdirSync(join(dataDir, d)).filter((n) => n.endsWith('.log')))
      for (const r of readSegment(readFileSync(join(dataDir, d, f)))) out.add(decodeKey(r.key!).group);
  return out;
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A group committing: its connection, and the generation/member it commits with (-1/'' when simple). */
interface Committer {
  groupId: string;
  c: KafkaTestClient;
  generation: number;
  memberId: string;
}

const metadataOf = (groupId: string, partition: number, offset: bigint) => `${groupId}/${partition}@${offset}`;

/**
 * Sends OffsetCommit requests `from` until `to` for `g` (request i commits every partition of `topic` at
 * offset 10·(i+1) + partition), at most WINDOW in flight; every partition of every response must be
 * accepted. Returns the last offset committed to each partition.
 */
async function commitFlood(g: Committer, topic: string, from: number, to: number, sample: () => void): Promise<bigint[]> {
  const version = 8;
  const last: bigint[] = new Array(PARTITIONS).fill(-1n);
  const requests = to - from;
  let sent = 0;
  let received = 0;
  const send = () => {
    const offset = BigInt(from + sent + 1) * 10n;
    g.c.send(ApiKey.OffsetCommit, version, {
      groupId: g.groupId,
      generationIdOrMemberEpoch: g.generation,
      memberId: g.memberId,
      topics: [{ name: topic, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, committedOffset: offset + BigInt(p), committedLeaderEpoch: 0, committedMetadata: metadataOf(g.groupId, p, offset + BigInt(p)) })) }],
    });
    for (let p = 0; p < PARTITIONS; p++) last[p] = offset + BigInt(p);
    sent++;
  };
  while (sent < Math.min(WINDOW, requests)) send();
  while (received < requests) {
    const r = await g.c.recv(ApiKey.OffsetCommit, version, 30_000);
    received++;
    for (const p of r.body.topics[0]!.partitions) if (p.errorCode !== 0) throw new Error(`${g.groupId} commit #${received}: error ${p.errorCode}`);
    if (sent < requests) send();
    if (received % 1000 === 0) sample();
  }
  return last;
}

async function joinAndSync(c: KafkaTestClient, groupId: string, topic: string): Promise<{ generation: number; memberId: string }> {
  const join1 = { groupId, sessionTimeoutMs: 600_000, rebalanceTimeoutMs: 30_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription([topic]) }], reason: null };
  let j = await c.request(ApiKey.JoinGroup, 9, join1);
  if (j.errorCode === 79) j = await c.request(ApiKey.JoinGroup, 9, { ...join1, memberId: j.memberId }); // MEMBER_ID_REQUIRED
  expect(j.errorCode).toBe(0);
  const a = assignment([{ topic, partitions: [...Array(PARTITIONS).keys()] }]);
  const s = await c.request(ApiKey.SyncGroup, 5, { groupId, generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: j.memberId, assignment: a }] });
  expect(s.errorCode).toBe(0);
  return { generation: j.generationId, memberId: j.memberId };
}

type Fetched = Map<string, { offset: bigint; metadata: string | null }>;

async function fetchAll(c: KafkaTestClient, groupId: string): Promise<Fetched> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const r = await c.request(ApiKey.OffsetFetch, 7, { groupId, topics: null, requireStable: false });
    if (r.errorCode === 14) {
      // COORDINATOR_LOAD_IN_PROGRESS: the partition is still being loaded
      await new Promise((res) => setTimeout(res, 10));
      continue;
    }
    expect(r.errorCode).toBe(0);
    const out: Fetched = new Map();
    for (const t of r.topics) for (const p of t.partitions) {
      expect(p.errorCode).toBe(0);
      out.set(`${t.name}-${p.partitionIndex}`, { offset: p.committedOffset, metadata: p.metadata });
    }
    return out;
  }
  throw new Error(`${groupId}: still loading`);
}

async function listGroups(c: KafkaTestClient): Promise<string[]> {
  return (await c.request(ApiKey.ListGroups, 4, { statesFilter: [] })).groups.map((g) => g.groupId).sort();
}

describe('__consumer_offsets under constant commits', () => {
  it('stays bounded while the cleaner runs, and a restarted broker loads the last commit of every group', { timeout: 600_000 }, async () => {
    const topic = 'flood';
    const b1 = await startDataBroker({ dataDir, sets });
    open.push(b1);
    b1.createTopic(topic, PARTITIONS);
    const cleaner = b1.broker.context.logManager.cleaner;
    expect(cleaner).not.toBeNull();

    const committers: Committer[] = [];
    for (const [groupId, member] of [['simple-a', false], ['simple-b', false], ['member-c', true], ['member-d', true]] as const) {
      const c = await KafkaTestClient.connect(b1.port);
      open.push(c);
      const gen = member ? await joinAndSync(c, groupId, topic) : { generation: -1, memberId: '' };
      if (member) expect(gen.generation).toBeGreaterThan(0);
      committers.push({ groupId, c, generation: gen.generation, memberId: gen.memberId });
    }

    // Groups committed and then deleted midway: 'doomed' must stay deleted after the restart, 'phoenix'
    // commits one partition again after its deletion and must come back with that partition only.
    const doomed = committers[0]!.c;
    for (const groupId of ['doomed', 'phoenix'])
      for (let i = 0; i < 50; i++) {
        const r = await doomed.request(ApiKey.OffsetCommit, 8, { groupId, generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: topic, partitions: [{ partitionIndex: i % PARTITIONS, committedOffset: BigInt(i) }] }] });
        expect(r.topics[0]!.partitions[0]!.errorCode).toBe(0);
      }

    // The bytes one request's commit records take in the log, before any roll or cleaning.
    const before = offsetsTopicBytes().log;
    const calibrate = 200;
    // 'calibration' commits only now: its records must survive every cleaning of the flood after it.
    const calibrated = await commitFlood({ ...committers[0]!, groupId: 'calibration' }, topic, 0, calibrate, () => {});
    const bytesPerRequest = (offsetsTopicBytes().log - before) / calibrate;
    expect(bytesPerRequest).toBeGreaterThan(0);
    expect(offsetsTopicBytes().log).toBeLessThan(SEGMENT_BYTES); // nothing rolled or cleaned yet

    const requestsPerGroup = Math.ceil(COMMITS / PARTITIONS / committers.length);
    let maxLog = 0;
    let maxDisk = 0;
    let maxFiles = 0;
    const sample = () => {
      const s = offsetsTopicBytes();
      maxLog = Math.max(maxLog, s.log);
      maxDisk = Math.max(maxDisk, s.disk);
      maxFiles = Math.max(maxFiles, s.files);
    };
    const half = Math.floor(requestsPerGroup / 2);
    const t0 = Date.now();
    await Promise.all(committers.map((g) => commitFlood(g, topic, 0, half, sample)));
    const deleted = await doomed.request(ApiKey.DeleteGroups, 2, { groupsNames: ['doomed', 'phoenix'] });
    expect(deleted.results.map((r) => r.errorCode)).toEqual([0, 0]);
    const reborn = await doomed.request(ApiKey.OffsetCommit, 8, { groupId: 'phoenix', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: topic, partitions: [{ partitionIndex: 1, committedOffset: 7777n, committedMetadata: 'again' }] }] });
    expect(reborn.topics[0]!.partitions[0]!.errorCode).toBe(0);
    const lasts = await Promise.all(committers.map((g) => commitFlood(g, topic, half, requestsPerGroup, sample)));
    const seconds = (Date.now() - t0) / 1000;
    const commits = requestsPerGroup * PARTITIONS * committers.length;

    // Let the cleaner catch up with the last rolled segments.
    await waitFor('a cleaning after the flood', async () => {
      sample();
      return offsetsTopicBytes().log < 2 * SEGMENT_BYTES * Number(sets['offsets.topic.num.partitions']);
    });
    // The deleted group's tombstones go with a cleaning once delete.retention.ms passed, as everything before.
    await waitFor("the deleted group's tombstones cleaned away", () => !groupsInLog().has('doomed'));
    sample();
    const uncompacted = bytesPerRequest * requestsPerGroup * committers.length;
    const counters = { ...cleaner!.counters };
    console.log(
      `offsets compaction: ${commits} commits (${requestsPerGroup * committers.length} requests) in ${seconds.toFixed(1)} s = ${Math.round(commits / seconds)} commits/s; ` +
        `__consumer_offsets at most ${maxLog} bytes of segments, ${maxDisk} on disk, ${maxFiles} files, now ${offsetsTopicBytes().log}; uncompacted ~${Math.round(uncompacted)}; ` +
        `cleanings ${counters.cleanings} (abandoned ${counters.abandoned}, failed ${counters.failures}), records read ${counters.recordsRead} kept ${counters.recordsKept}`,
    );
    expect(counters.failures).toBe(0);
    expect(counters.cleanings).toBeGreaterThanOrEqual(Math.floor(uncompacted / SEGMENT_BYTES / 4));
    expect(maxDisk).toBeLessThan(BOUND_BYTES);
    expect(maxDisk).toBeLessThan(uncompacted / 4);
    // Segments, indexes and producer snapshots of replaced segments go too (no file per rolled segment stays).
    expect(maxFiles).toBeLessThan(60);

    const expected = new Map<string, Fetched>([
      ['calibration', new Map(calibrated.map((offset, p) => [`${topic}-${p}`, { offset, metadata: metadataOf('calibration', p, offset) }]))],
      ['phoenix', new Map([[`${topic}-1`, { offset: 7777n, metadata: 'again' }]])],
    ]);
    for (const [i, g] of committers.entries()) {
      const m: Fetched = new Map();
      lasts[i]!.forEach((offset, p) => m.set(`${topic}-${p}`, { offset, metadata: metadataOf(g.groupId, p, offset) }));
      expected.set(g.groupId, m);
      expect(await fetchAll(g.c, g.groupId)).toEqual(m);
    }

    for (const x of open.splice(0)) if (x instanceof KafkaTestClient) x.close();
    await b1.close();

    const t1 = Date.now();
    const b2 = await startDataBroker({ dataDir, sets });
    open.push(b2);
    const c2 = await KafkaTestClient.connect(b2.port);
    open.push(c2);
    for (const [groupId, m] of expected) expect(await fetchAll(c2, groupId)).toEqual(m);
    console.log(`offsets compaction: restarted and fetched every group in ${Date.now() - t1} ms`);
    expect(await fetchAll(c2, 'doomed')).toEqual(new Map());
    expect(await listGroups(c2)).toEqual([...expected.keys()].sort());

    // The groups with members load Stable with them (their last GroupMetadata record survived the cleanings).
    const members = committers.filter((g) => g.generation > 0);
    const described = await c2.request(ApiKey.DescribeGroups, 5, { groups: members.map((g) => g.groupId), includeAuthorizedOperations: false });
    expect(described.groups.map((d) => ({ group: d.groupId, state: d.groupState, members: d.members.map((x) => x.memberId) }))).toEqual(
      members.map((g) => ({ group: g.groupId, state: 'Stable', members: [g.memberId] })),
    );
    // A member loaded with its group commits again with the generation it joined with.
    const m = members[0]!;
    const again = await commitFlood({ ...m, c: c2 }, topic, requestsPerGroup, requestsPerGroup + 1, () => {});
    expect((await fetchAll(c2, m.groupId)).get(`${topic}-0`)).toEqual({ offset: again[0], metadata: metadataOf(m.groupId, 0, again[0]!) });
  });
});

describe('__consumer_offsets restarted while cleanings run', () => {
  it('loads every group exactly after each of several restarts in the middle of a flood', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-offsets-restarts-'));
    const topic = 'flood';
    const groups = ['g0', 'g1', 'g2'];
    const expected = new Map<string, Fetched>();
    let cleanings = 0;
    let abandoned = 0;
    try {
      for (let cycle = 0; cycle < 6; cycle++) {
        const b = await startDataBroker({ dataDir: dir, sets });
        const clients: KafkaTestClient[] = [];
        try {
          if (cycle === 0) b.createTopic(topic, PARTITIONS);
          const c0 = await KafkaTestClient.connect(b.port);
          clients.push(c0);
          // What the last broker committed is what this one loaded.
          expect(await listGroups(c0)).toEqual([...expected.keys()].sort());
          for (const [g, m] of expected) expect(await fetchAll(c0, g)).toEqual(m);

          // The previous cycle's own group is deleted; this cycle's is committed once.
          if (cycle > 0) {
            expect((await c0.request(ApiKey.DeleteGroups, 2, { groupsNames: [`cycle-${cycle - 1}`] })).results[0]!.errorCode).toBe(0);
            expected.delete(`cycle-${cycle - 1}`);
          }
          const own = await commitFlood({ groupId: `cycle-${cycle}`, c: c0, generation: -1, memberId: '' }, topic, cycle, cycle + 1, () => {});
          expected.set(`cycle-${cycle}`, new Map(own.map((o, p) => [`${topic}-${p}`, { offset: o, metadata: metadataOf(`cycle-${cycle}`, p, o) }])));

          const lasts = await Promise.all(
            groups.map(async (groupId) => {
              const c = await KafkaTestClient.connect(b.port);
              clients.push(c);
              return commitFlood({ groupId, c, generation: -1, memberId: '' }, topic, cycle * 5000, (cycle + 1) * 5000, () => {});
            }),
          );
          groups.forEach((g, i) => expected.set(g, new Map(lasts[i]!.map((o, p) => [`${topic}-${p}`, { offset: o, metadata: metadataOf(g, p, o) }]))));
          const counters = b.broker.context.logManager.cleaner!.counters;
          expect(counters.failures).toBe(0);
          cleanings += counters.cleanings;
          abandoned += counters.abandoned;
        } finally {
          for (const c of clients) c.close();
          await b.close(); // right after the last commit: a cleaning may be under way
        }
      }
      console.log(`offsets restarts: 6 restarts, ${cleanings} cleanings, ${abandoned} abandoned at a shutdown`);
      expect(cleanings).toBeGreaterThanOrEqual(6);
      const b = await startDataBroker({ dataDir: dir, sets });
      const c = await KafkaTestClient.connect(b.port);
      try {
        expect(await listGroups(c)).toEqual([...expected.keys()].sort());
        for (const [g, m] of expected) expect(await fetchAll(c, g)).toEqual(m);
      } finally {
        c.close();
        await b.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('__consumer_offsets written without a cleaner, then cleaned while the coordinator loads it', () => {
  it('loads the same groups during and after the first cleanings', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-offsets-late-cleaner-'));
    const topic = 'flood';
    const groups = ['late-a', 'late-b', 'late-c', 'late-d'];
    const expected = new Map<string, Fetched>();
    try {
      const b1 = await startDataBroker({ dataDir: dir, sets: { ...sets, 'log.cleaner.enable': 'false' } });
      const clients: KafkaTestClient[] = [];
      try {
        expect(b1.broker.context.logManager.cleaner).toBeNull();
        b1.createTopic(topic, PARTITIONS);
        const lasts = await Promise.all(
          groups.map(async (groupId) => {
            const c = await KafkaTestClient.connect(b1.port);
            clients.push(c);
            return commitFlood({ groupId, c, generation: -1, memberId: '' }, topic, 0, 20_000, () => {});
          }),
        );
        groups.forEach((g, i) => expected.set(g, new Map(lasts[i]!.map((o, p) => [`${topic}-${p}`, { offset: o, metadata: metadataOf(g, p, o) }]))));
      } finally {
        for (const c of clients) c.close();
        await b1.close();
      }
      const uncleaned = offsetsTopicBytesIn(dir);

      // The cleaner starts with the broker, on the same partitions the coordinator is loading.
      const t0 = Date.now();
      const b2 = await startDataBroker({ dataDir: dir, sets });
      const c2 = await KafkaTestClient.connect(b2.port);
      let loadMs = 0;
      let cleaned = 0;
      try {
        for (const [g, m] of expected) expect(await fetchAll(c2, g)).toEqual(m);
        loadMs = Date.now() - t0;
        const cleaner = b2.broker.context.logManager.cleaner!;
        await waitFor('the first cleanings', () => offsetsTopicBytesIn(dir) < uncleaned / 4, 60_000);
        expect(cleaner.counters.failures).toBe(0);
        cleaned = offsetsTopicBytesIn(dir);
        for (const [g, m] of expected) expect(await fetchAll(c2, g)).toEqual(m);
      } finally {
        c2.close();
        await b2.close();
      }
      console.log(`offsets late cleaner: ${uncleaned} bytes uncleaned, loaded in ${loadMs} ms with the cleaner starting, ${cleaned} bytes once cleaned`);

      const b3 = await startDataBroker({ dataDir: dir, sets });
      const c3 = await KafkaTestClient.connect(b3.port);
      try {
        expect(await listGroups(c3)).toEqual(groups);
        for (const [g, m] of expected) expect(await fetchAll(c3, g)).toEqual(m);
      } finally {
        c3.close();
        await b3.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
