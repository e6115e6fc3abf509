// `rivulet groups` (host-node/cli/groups.ts) against an in-process broker.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, parseDuration } from '../../host-node/cli/groups.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { startDataBroker, type DataBroker } from '../helpers/data-broker.js';
import { assignment, subscription } from './helpers.js';

let b: DataBroker;
let c: KafkaTestClient;

async function groups(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(['--bootstrap-server', `127.0.0.1:${b.port}`, ...argv], {
    stdin: process.stdin,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  return { code, out, err };
}

function produce(topic: string, partition: number, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('kcat', ['-P', '-b', `127.0.0.1:${b.port}`, '-t', topic, '-p', String(partition)], { stdio: ['pipe', 'ignore', 'pipe'] });
    p.stdin.end(Array.from({ length: n }, (_, i) => `m${i}`).join('\n') + '\n');
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}`))));
  });
}

async function commit(groupId: string, offsets: Record<number, bigint>): Promise<void> {
  await c.request(ApiKey.OffsetCommit, 8, {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    topics: [{ name: 'ct', partitions: Object.entries(offsets).map(([p, o]) => ({ partitionIndex: Number(p), committedOffset: o })) }],
  });
}

async function committed(groupId: string): Promise<bigint[]> {
  const r = await c.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId, topics: [{ name: 'ct', partitionIndexes: [0, 1, 2] }] }] });
  return r.groups[0]!.topics[0]!.partitions.map((p) => p.committedOffset);
}

beforeAll(async () => {
  b = await startDataBroker({ sets: { 'group.initial.rebalance.delay.ms': '0' } });
  b.createTopic('ct', 3);
  for (let p = 0; p < 3; p++) await produce('ct', p, 5);
  c = await KafkaTestClient.connect(b.port);
});
afterAll(async () => {
  c?.close();
  await b?.dispose();
});

describe('rivulet groups', () => {
  it('--list and --describe of an inactive group (offsets, lag)', async () => {
    await commit('cg', { 0: 2n, 1: 5n });
    const l = await groups('--list');
    expect(l.code).toBe(0);
    expect(l.out.split('\n')).toContain('cg');
    const ls = await groups('--list', '--state');
    expect(ls.out).toMatch(/^GROUP\s+STATE\n/);
    expect(ls.out).toMatch(/\ncg\s+Empty\n/);
    const d = await groups('--describe', '--group', 'cg');
    expect(d.code).toBe(0);
    expect(d.out).toContain("Consumer group 'cg' has no active members.");
    expect(d.out).toMatch(/GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID\s+HOST\s+CLIENT-ID/);
    expect(d.out).toMatch(/cg\s+ct\s+0\s+2\s+5\s+3\s+-\s+-\s+-/);
    expect(d.out).toMatch(/cg\s+ct\s+1\s+5\s+5\s+0\s+-/);
    const missing = await groups('--describe', '--group', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("Consumer group 'nope' does not exist.");
  });

  it('--describe: committed partitions a topic no longer has show - without hiding the lag of the others', async () => {
    // Offsets of partitions the topic does not have: committed through the coordinator itself, which checks
    // no partition (OffsetCommit would refuse them, and deleting a topic removes its offsets).
    b.createTopic('shrunk', 1);
    const commit = await b.broker.context.groupCoordinator!.commitOffsets({
      groupId: 'cg-shrunk',
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [{ name: 'shrunk', partitions: [0, 1, 2].map((p) => ({ partition: p, offset: 1n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 })) }],
    });
    expect(commit[0]!.partitions.map((p) => p.errorCode)).toEqual([0, 0, 0]);
    await produce('shrunk', 0, 4);
    const d = await groups('--describe', '--group', 'cg-shrunk');
    expect(d.code, d.err).toBe(0);
    expect(d.out).toMatch(/cg-shrunk\s+shrunk\s+0\s+1\s+4\s+3\s+-/);
    expect(d.out).toMatch(/cg-shrunk\s+shrunk\s+2\s+1\s+-\s+-\s+-/);
  });

  it('--reset-offsets: dry run by default, --execute commits, specs clamp to the log', async () => {
    const dry = await groups('--reset-offsets', '--group', 'cg', '--topic', 'ct', '--to-earliest');
    expect(dry.code).toBe(0);
    expect(dry.err).toContain('WARN: No action will be performed as the --execute option is missing');
    expect(dry.out).toMatch(/GROUP\s+TOPIC\s+PARTITION\s+NEW-OFFSET/);
    expect(dry.out).toMatch(/cg\s+ct\s+2\s+0/);
    expect(await committed('cg')).toEqual([2n, 5n, -1n]);
    expect((await groups('--reset-offsets', '--group', 'cg', '--topic', 'ct', '--to-earliest', '--execute')).code).toBe(0);
    expect(await committed('cg')).toEqual([0n, 0n, 0n]);
    await groups('--reset-offsets', '--group', 'cg', '--topic', 'ct:1,2', '--to-offset', '100', '--execute');
    expect(await committed('cg')).toEqual([0n, 5n, 5n]);
    expect((await groups('--reset-offsets', '--group', 'cg', '--all-topics', '--shift-by', '-2', '--execute')).code).toBe(0);
    expect(await committed('cg')).toEqual([0n, 3n, 3n]);
    await groups('--reset-offsets', '--group', 'cg', '--topic', 'ct:0', '--to-latest', '--execute');
    expect(await committed('cg')).toEqual([5n, 3n, 3n]);
    await groups('--reset-offsets', '--group', 'cg', '--topic', 'ct', '--by-duration', 'PT1H', '--execute');
    expect(await committed('cg')).toEqual([0n, 0n, 0n]);
    expect(parseDuration('P1DT2H3M4.5S')).toBe(((24 + 2) * 60 + 3) * 60_000 + 4500);
    const usage = await groups('--reset-offsets', '--group', 'cg', '--topic', 'ct');
    expect(usage.code).toBe(1);
  });

  it('an active group: --describe --members/--state; reset and delete are refused', async () => {
    const body = { groupId: 'active', sessionTimeoutMs: 30000, rebalanceTimeoutMs: 30000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(['ct']) }] };
    const first = await c.request(ApiKey.JoinGroup, 5, body);
    const j = await c.request(ApiKey.JoinGroup, 5, { ...body, memberId: first.memberId });
    expect(j.errorCode).toBe(0);
    await c.request(ApiKey.SyncGroup, 3, { groupId: 'active', generationId: j.generationId, memberId: j.memberId, assignments: [{ memberId: j.memberId, assignment: assignment([{ topic: 'ct', partitions: [0, 1, 2] }]) }] });
    const m = await groups('--describe', '--group', 'active', '--members', '--verbose');
    expect(m.code).toBe(0);
    expect(m.out).toMatch(/GROUP\s+CONSUMER-ID\s+HOST\s+CLIENT-ID\s+#PARTITIONS\s+ASSIGNMENT/);
    expect(m.out).toContain(j.memberId);
    expect(m.out).toMatch(/\/127\.0\.0\.1\s+rivulet-test\s+3\s+ct\(0,1,2\)/);
    const s = await groups('--describe', '--group', 'active', '--state');
    expect(s.out).toMatch(/GROUP\s+COORDINATOR \(ID\)\s+ASSIGNMENT-STRATEGY\s+STATE\s+#MEMBERS/);
    expect(s.out).toMatch(/active\s+127\.0\.0\.1:\d+ \(1\)\s+range\s+Stable\s+1/);
    const o = await groups('--describe', '--group', 'active');
    expect(o.out).toMatch(new RegExp(`active\\s+ct\\s+0\\s+-\\s+5\\s+-\\s+${j.memberId}\\s+/127.0.0.1\\s+rivulet-test`));
    const r = await groups('--reset-offsets', '--group', 'active', '--topic', 'ct', '--to-earliest', '--execute');
    expect(r.code).toBe(1);
    expect(r.err).toContain("Assignments can only be reset if the group 'active' is inactive, but the current state is Stable.");
    const d = await groups('--delete', '--group', 'active');
    expect(d.code).toBe(1);
    expect(d.err).toContain("* Group 'active' could not be deleted due to: NON_EMPTY_GROUP");
  });

  it('--delete-offsets and --delete', async () => {
    await commit('cg2', { 0: 1n, 1: 1n });
    const o = await groups('--delete-offsets', '--group', 'cg2', '--topic', 'ct:0');
    expect(o.code).toBe(0);
    expect(o.out).toMatch(/TOPIC\s+PARTITION\s+STATUS\nct\s+0\s+Successful/);
    expect(await committed('cg2')).toEqual([-1n, 1n, -1n]);
    const d = await groups('--delete', '--group', 'cg2', '--group', 'cg');
    expect(d.code).toBe(0);
    expect(d.out).toContain("Deletion of requested consumer groups ('cg2', 'cg') was successful.");
    expect((await groups('--list')).out.split('\n')).not.toContain('cg');
  });
});
