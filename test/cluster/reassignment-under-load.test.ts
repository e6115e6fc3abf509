// The fault (i), "reassigns partitions under load": an RF 3 partition moves to another set of three
// brokers (its leader among those leaving) while an acks=all producer keeps writing. Every acknowledged
// record is read back at its offset, the new replicas hold byte-identical logs, the old replica's
// directory is removed, and `reassign-partitions --verify` reports the move completed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Consumer } from '../../host-node/client/consumer.js';
import { Producer } from '../../host-node/client/producer.js';
import { run as reassign } from '../../host-node/cli/reassign-partitions.js';
import { tool } from '../helpers/cli-tool.js';
import { logBytes } from '../replication/client.js';
import { GatedCluster, waitForTopic } from './support/gated-cluster.js';

const TOPIC = 'moving';
const dec = new TextDecoder();

/** Sends records with up to `inFlight` unacknowledged until stopped; the acknowledged ones by offset. */
function startLoad(bootstrap: string, inFlight: number): { acked: Map<bigint, string>; failed: () => number; stop: () => Promise<void> } {
  const producer = new Producer({ bootstrapServers: bootstrap }, { acks: 'all', lingerMs: 2, retries: 20, retryBackoffMs: 100 });
  const acked = new Map<bigint, string>();
  let failed = 0;
  let stopped = false;
  const worker = async (w: number) => {
    for (let i = 0; !stopped && i < 1_000_000; i++) {
      const value = `w${w}-${i}`;
      try {
        const md = await producer.send({ topic: TOPIC, partition: 0, value });
        if (acked.has(md.offset)) throw new Error(`offset ${md.offset} acknowledged twice (${acked.get(md.offset)}, ${value})`);
        acked.set(md.offset, value);
      } catch (e) {
        if ((e as Error).message.includes('acknowledged twice')) throw e;
        failed++;
      }
    }
  };
  const workers = Array.from({ length: inFlight }, (_, w) => worker(w));
  return {
    acked,
    failed: () => failed,
    stop: async () => {
      stopped = true;
      await Promise.all(workers);
      await producer.close();
    },
  };
}

async function consumeAll(bootstrap: string, until: bigint): Promise<Map<bigint, string>> {
  const consumer = new Consumer({ bootstrapServers: bootstrap }, { autoOffsetReset: 'earliest', maxWaitMs: 100 });
  const seen = new Map<bigint, string>();
  let last = -1n;
  try {
    consumer.assign([{ topic: TOPIC, partition: 0, start: 'earliest' }]);
    for (let i = 0; i < 2000 && last + 1n < until; i++) {
      for (const r of await consumer.poll()) {
        expect(r.offset, 'consumed offsets strictly increase').toBeGreaterThan(last);
        last = r.offset;
        seen.set(r.offset, dec.decode(r.value!));
      }
    }
  } finally {
    await consumer.close();
  }
  return seen;
}

async function waitUntil(ok: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('reassignment under load', () => {
  it('moves an RF 3 partition to another broker set while acks=all writes go on, losing nothing', async () => {
    const cluster = await GatedCluster.start([1, 2, 3, 4]);
    const admin = cluster.admin();
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-reassign-load-'));
    try {
      await admin.createTopics([{ name: TOPIC, assignments: { 0: [1, 2, 3] }, configs: { 'min.insync.replicas': '2' } }]);
      await waitForTopic(admin, TOPIC, (t) => t.partitions[0]!.leader === 1 && t.partitions[0]!.isr.length === 3);
      const load = startLoad(cluster.bootstrap(), 8);
      await waitUntil(() => load.acked.size >= 300, '300 records are acknowledged');

      const plan = join(dir, 'plan.json');
      writeFileSync(plan, JSON.stringify({ version: 1, partitions: [{ topic: TOPIC, partition: 0, replicas: [2, 3, 4], log_dirs: ['any', 'any', 'any'] }] }));
      const exec = await tool(reassign, ['--bootstrap-server', cluster.bootstrap(), '--execute', '--reassignment-json-file', plan]);
      expect(exec.code, exec.err).toBe(0);
      const moved = await waitForTopic(admin, TOPIC, (t) => t.partitions[0]!.replicas.join() === '2,3,4' && t.partitions[0]!.isr.length === 3, 30_000);
      expect(moved.partitions[0]!.leader).not.toBe(1);
      const ackedAtMove = load.acked.size;
      await waitUntil(() => load.acked.size >= ackedAtMove + 300, '300 more records are acknowledged after the move');
      await load.stop();
      console.log(`reassignment under load: ${load.acked.size} acknowledged, ${load.failed()} failed sends`);

      const verify = await tool(reassign, ['--bootstrap-server', cluster.bootstrap(), '--verify', '--reassignment-json-file', plan]);
      expect(verify.out).toBe(`Status of partition reassignment:\nReassignment of partition ${TOPIC}-0 is completed.\n`);
      await waitUntil(() => !cluster.hasPartitionDir(1, TOPIC, 0), "broker 1's replica directory is removed");
      expect(cluster.hasPartitionDir(4, TOPIC, 0)).toBe(true);

      // The new replicas converge on the same log, byte for byte.
      const logOf = (id: number) => cluster.brokers.get(id)!.context.topicRegistry.partitionLog(TOPIC, 0)!;
      await waitUntil(() => new Set([2, 3, 4].map((id) => logOf(id).logEndOffset)).size === 1, 'the replicas have the same log end offset');
      const bytes = [2, 3, 4].map((id) => logBytes(logOf(id)));
      expect(bytes[0]!.length).toBeGreaterThan(0);
      expect(bytes[1]!.equals(bytes[0]!)).toBe(true);
      expect(bytes[2]!.equals(bytes[0]!)).toBe(true);

      // Every acknowledged record is read back at the offset it was acknowledged with.
      const maxAcked = [...load.acked.keys()].reduce((a, b) => (a > b ? a : b));
      const seen = await consumeAll(cluster.bootstrap(), maxAcked + 1n);
      const lost = [...load.acked].filter(([offset, value]) => seen.get(offset) !== value);
      expect(lost, 'acknowledged records lost or changed').toEqual([]);
    } finally {
      await admin.close();
      await cluster.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
