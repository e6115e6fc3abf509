// ElectLeaders and Alter/ListPartitionReassignments in a cluster: in-process brokers on a real etcd, real
// sockets, real log dirs. Preferred and unclean elections after brokers come and go, validation and
// cancellation of a reassignment (a held-back replica keeps it in progress), the auto leader rebalance,
// and the CLI tools (reassign-partitions --generate/--execute/--verify, leader-election) end to end.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElectionType, type Admin } from '../../host-node/client/admin.js';
import { Producer } from '../../host-node/client/producer.js';
import { run as leaderElection } from '../../host-node/cli/leader-election.js';
import { run as reassign } from '../../host-node/cli/reassign-partitions.js';
import { ErrorCode } from '../../protocol/errors.js';
import { tool } from '../helpers/cli-tool.js';
import { GatedCluster, waitForTopic } from './support/gated-cluster.js';

const RACKS: Record<number, string> = { 1: 'a', 2: 'a', 3: 'b', 4: 'b' };

async function produceSome(bootstrap: string, topic: string, n: number): Promise<void> {
  const producer = new Producer({ bootstrapServers: bootstrap }, { acks: 'all', lingerMs: 0 });
  try {
    await Promise.all(Array.from({ length: n }, (_, i) => producer.send({ topic, partition: 0, value: `v${i}` })));
  } finally {
    await producer.close();
  }
}

const codesOf = (rs: readonly { errorCode: number }[]) => rs.map((r) => r.errorCode);

describe('partition admin in a cluster', () => {
  let cluster: GatedCluster;
  let admin: Admin;
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-admin-cluster-'));

  beforeAll(async () => {
    cluster = await GatedCluster.start([]);
    for (const id of [1, 2, 3, 4]) await cluster.startBroker(id, { 'broker.rack': RACKS[id]! });
    admin = cluster.admin();
  }, 60_000);

  afterAll(async () => {
    await admin?.close();
    await cluster?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const restart = (id: number) => cluster.startBroker(id, { 'broker.rack': RACKS[id]! });

  it('moves leadership back to the preferred replica; a second election is not needed', async () => {
    await admin.createTopics([{ name: 'pref', assignments: { 0: [1, 2, 3], 1: [2, 3, 1] } }]);
    await waitForTopic(admin, 'pref', (t) => t.partitions.every((p) => p.leader === p.replicas[0] && p.isr.length === 3));
    await produceSome(cluster.bootstrap(), 'pref', 20);

    await cluster.stopBroker(1);
    await waitForTopic(admin, 'pref', (t) => t.partitions[0]!.leader === 2);
    await restart(1);
    await waitForTopic(admin, 'pref', (t) => t.partitions[0]!.isr.includes(1));
    expect((await admin.describeTopics(['pref']))[0]!.partitions[0]!.leader).toBe(2);

    const first = await admin.electLeaders(ElectionType.PREFERRED, [{ topic: 'pref', partition: 0 }]);
    expect(first).toEqual([{ topic: 'pref', partition: 0, errorCode: ErrorCode.NONE, errorMessage: null }]);
    const t = await waitForTopic(admin, 'pref', (d) => d.partitions[0]!.leader === 1, 5000);
    expect(t.partitions[0]!.leaderEpoch).toBeGreaterThanOrEqual(2);

    const second = await admin.electLeaders(ElectionType.PREFERRED, [{ topic: 'pref', partition: 0 }, { topic: 'pref', partition: 7 }, { topic: 'nope', partition: 0 }]);
    expect(codesOf(second)).toEqual([ErrorCode.ELECTION_NOT_NEEDED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    // Every partition already led by its preferred replica: nothing to answer for "all partitions".
    expect((await admin.electLeaders(ElectionType.PREFERRED, null)).filter((r) => r.topic === 'pref')).toEqual([]);
  }, 90_000);

  it('elects an out-of-sync replica only when asked (unclean), or by itself with unclean.leader.election.enable', async () => {
    await admin.createTopics([
      { name: 'lost', assignments: { 0: [1, 2] } },
      { name: 'lost-unclean', assignments: { 0: [1, 2] }, configs: { 'unclean.leader.election.enable': 'true' } },
    ]);
    for (const name of ['lost', 'lost-unclean']) await waitForTopic(admin, name, (t) => t.partitions[0]!.isr.length === 2);
    await cluster.stopBroker(2);
    for (const name of ['lost', 'lost-unclean']) await waitForTopic(admin, name, (t) => t.partitions[0]!.isr.join() === '1');
    await cluster.stopBroker(1);
    await waitForTopic(admin, 'lost', (t) => t.partitions[0]!.leader === -1);
    await restart(2);
    // With unclean elections allowed the controller elects broker 2 by itself; without, the partition stays offline.
    await waitForTopic(admin, 'lost-unclean', (t) => t.partitions[0]!.leader === 2);
    await new Promise((r) => setTimeout(r, 500));
    expect((await admin.describeTopics(['lost']))[0]!.partitions[0]!.leader).toBe(-1);

    const preferred = await admin.electLeaders(ElectionType.PREFERRED, [{ topic: 'lost', partition: 0 }]);
    expect(codesOf(preferred)).toEqual([ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE]);
    const unclean = await admin.electLeaders(ElectionType.UNCLEAN, [{ topic: 'lost', partition: 0 }, { topic: 'lost-unclean', partition: 0 }]);
    expect(codesOf(unclean)).toEqual([ErrorCode.NONE, ErrorCode.ELECTION_NOT_NEEDED]);
    const t = await waitForTopic(admin, 'lost', (d) => d.partitions[0]!.leader === 2, 5000);
    expect(t.partitions[0]!.isr).toEqual([2]);
    expect(codesOf(await admin.electLeaders(ElectionType.UNCLEAN, [{ topic: 'lost', partition: 0 }]))).toEqual([ErrorCode.ELECTION_NOT_NEEDED]);

    await restart(1);
    await waitForTopic(admin, 'lost', (d) => d.partitions[0]!.isr.length === 2);
  }, 90_000);

  it('validates reassignments, lists one in progress and cancels it', async () => {
    await admin.createTopics([{ name: 'cancel', assignments: { 0: [1, 2, 3] } }]);
    await waitForTopic(admin, 'cancel', (t) => t.partitions[0]!.isr.length === 3);
    await produceSome(cluster.bootstrap(), 'cancel', 10);

    const invalid = await admin.alterPartitionReassignments([
      { topic: 'cancel', partition: 0, replicas: [1, 2, 9] },
      { topic: 'cancel', partition: 0, replicas: [1, 1, 2] },
      { topic: 'cancel', partition: 3, replicas: [1, 2, 3] },
      { topic: 'cancel', partition: 0, replicas: null },
    ]);
    expect(codesOf(invalid)).toEqual([ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS]);
    expect(invalid[0]!.errorMessage).toMatch(/Unknown broker ids 9/);

    // Broker 4's replica fetches are held back: it cannot join the ISR, so the reassignment stays in progress.
    cluster.heldReplicas.add(4);
    try {
      expect(codesOf(await admin.alterPartitionReassignments([{ topic: 'cancel', partition: 0, replicas: [1, 2, 4] }]))).toEqual([ErrorCode.NONE]);
      const ongoing = await admin.listPartitionReassignments();
      expect(ongoing.map((o) => ({ ...o, replicas: [...o.replicas].sort() }))).toEqual([{ topic: 'cancel', partition: 0, replicas: [1, 2, 3, 4], addingReplicas: [4], removingReplicas: [3] }]);
      expect(await admin.listPartitionReassignments([{ topic: 'pref', partition: 0 }])).toEqual([]);
      await waitUntil(() => cluster.hasPartitionDir(4, 'cancel', 0), 'broker 4 creates its new replica');

      expect(codesOf(await admin.alterPartitionReassignments([{ topic: 'cancel', partition: 0, replicas: null }]))).toEqual([ErrorCode.NONE]);
      const t = await waitForTopic(admin, 'cancel', (d) => d.partitions[0]!.replicas.join() === '1,2,3');
      expect(t.partitions[0]!.isr.sort()).toEqual([1, 2, 3]);
      expect(await admin.listPartitionReassignments()).toEqual([]);
      await waitUntil(() => !cluster.hasPartitionDir(4, 'cancel', 0), "the cancelled replica's directory is removed");
      expect(codesOf(await admin.alterPartitionReassignments([{ topic: 'cancel', partition: 0, replicas: null }]))).toEqual([ErrorCode.NO_REASSIGNMENT_IN_PROGRESS]);
    } finally {
      cluster.release(4);
    }
  }, 90_000);

  it('reassign-partitions --generate (rack-aware), --execute, --verify and leader-election work against the cluster', async () => {
    await admin.createTopics([{ name: 'cli', assignments: { 0: [1, 2], 1: [2, 1], 2: [1, 2], 3: [2, 1] } }]);
    await waitForTopic(admin, 'cli', (t) => t.partitions.every((p) => p.isr.length === 2));
    await produceSome(cluster.bootstrap(), 'cli', 10);
    const bs = cluster.bootstrap();
    const topicsFile = join(dir, 'move.json');
    writeFileSync(topicsFile, JSON.stringify({ version: 1, topics: [{ topic: 'cli' }] }));

    const gen = await tool(reassign, ['--bootstrap-server', bs, '--generate', '--topics-to-move-json-file', topicsFile, '--broker-list', '1,2,3,4']);
    expect(gen.code, gen.err).toBe(0);
    const [current, proposed] = gen.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { partitions: { partition: number; replicas: number[] }[] });
    expect(current!.partitions.map((p) => p.replicas)).toEqual([[1, 2], [2, 1], [1, 2], [2, 1]]);
    expect(proposed!.partitions).toHaveLength(4);
    // Rack-aware: each partition gets one replica on rack a (brokers 1, 2) and one on rack b (3, 4).
    for (const p of proposed!.partitions) expect(p.replicas.map((id) => RACKS[id]).sort()).toEqual(['a', 'b']);
    const flat = await tool(reassign, ['--bootstrap-server', bs, '--generate', '--topics-to-move-json-file', topicsFile, '--broker-list', '3,4', '--disable-rack-aware']);
    expect(flat.code, flat.err).toBe(0);
    const flatPlan = JSON.parse(flat.out.trim().split('\n').at(-1)!) as { partitions: { replicas: number[] }[] };
    for (const p of flatPlan.partitions) expect([...p.replicas].sort()).toEqual([3, 4]);
    expect((await tool(reassign, ['--bootstrap-server', bs, '--generate', '--topics-to-move-json-file', topicsFile, '--broker-list', '1,9'])).err).toBe('Error: Unknown broker id 9\n');

    const planFile = join(dir, 'plan.json');
    writeFileSync(planFile, JSON.stringify(proposed));
    const exec = await tool(reassign, ['--bootstrap-server', bs, '--execute', '--reassignment-json-file', planFile]);
    expect(exec.code, exec.err).toBe(0);
    expect(exec.out).toMatch(/Successfully started partition reassignments for cli-0,cli-1,cli-2,cli-3/);
    const expected = proposed!.partitions.map((p) => p.replicas.join());
    await waitForTopic(admin, 'cli', (t) => t.partitions.every((p, i) => p.replicas.join() === expected[i]));
    const verify = await tool(reassign, ['--bootstrap-server', bs, '--verify', '--reassignment-json-file', planFile]);
    expect(verify.out).toBe(`Status of partition reassignment:\n${[0, 1, 2, 3].map((p) => `Reassignment of partition cli-${p} is completed.`).join('\n')}\n`);

    // Leadership off the preferred replica of cli-0, then back with the tool.
    const first = proposed!.partitions[0]!.replicas[0]!;
    await waitForTopic(admin, 'cli', (t) => t.partitions[0]!.isr.length === 2);
    await cluster.stopBroker(first);
    await waitForTopic(admin, 'cli', (t) => t.partitions[0]!.leader !== first && t.partitions[0]!.leader !== -1);
    await restart(first);
    await waitForTopic(admin, 'cli', (t) => t.partitions[0]!.isr.includes(first));
    const elect = await tool(leaderElection, ['--bootstrap-server', cluster.bootstrap(), '--election-type', 'preferred', '--topic', 'cli', '--partition', '0']);
    expect(elect).toEqual({ code: 0, out: 'Successfully completed leader election (PREFERRED) for partitions cli-0\n', err: '' });
    expect((await admin.describeTopics(['cli']))[0]!.partitions[0]!.leader).toBe(first);
    const again = await tool(leaderElection, ['--bootstrap-server', cluster.bootstrap(), '--election-type', 'preferred', '--topic', 'cli', '--partition', '0']);
    expect(again).toEqual({ code: 0, out: 'Valid replica already elected for partitions cli-0\n', err: '' });
  }, 120_000);
});

describe('auto leader rebalance in a cluster', () => {
  it('moves leadership back to the preferred replica by itself after the broker returns', async () => {
    const cluster = await GatedCluster.start([1, 2, 3], { 'auto.leader.rebalance.enable': 'true', 'leader.imbalance.check.interval.seconds': '1' });
    const admin = cluster.admin();
    try {
      await admin.createTopics([{ name: 'rebalance', assignments: { 0: [1, 2, 3] } }]);
      await waitForTopic(admin, 'rebalance', (t) => t.partitions[0]!.leader === 1 && t.partitions[0]!.isr.length === 3);
      await cluster.stopBroker(1);
      await waitForTopic(admin, 'rebalance', (t) => t.partitions[0]!.leader === 2);
      // Broker 1 may hold the controller; a restarted broker 1 comes back either way.
      await cluster.startBroker(1);
      const t = await waitForTopic(admin, 'rebalance', (d) => d.partitions[0]!.leader === 1, 20_000);
      expect(t.partitions[0]!.isr).toContain(1);
    } finally {
      await admin.close();
      await cluster.close();
    }
  }, 90_000);
});

async function waitUntil(ok: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
