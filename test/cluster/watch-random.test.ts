// Randomized: a writer makes a random sequence of metadata changes (topics created, updated and deleted,
// partition states written, brokers registered and closed) while etcd is restarted at random moments; a
// watching ClusterImage must end equal to a fresh snapshot and must have seen every single change.
// The seed is printed; RIVULET_SEED=<n> replays a run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdHandle } from '../helpers/etcd.js';
import { EtcdMetadataStore, type BrokerSession, type ControllerFence } from '../../host-node/cluster/metadata-store.js';
import { ClusterImage, type ImageChange } from '../../host-node/cluster/cluster-image.js';
import { mulberry32 } from '../helpers/seeded-random.js';

let etcd: EtcdHandle;
const stores: EtcdMetadataStore[] = [];
beforeAll(async () => {
  etcd = await startEtcd();
}, 30_000);
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await etcd?.stop();
});


/** Retries a call the etcd client refuses right after a restart (its circuit breaker stays open a while). */
async function retrying<T>(f: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await f();
    } catch (e) {
      if (i > 60) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function until(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const topicOf = (parts: number) => ({ topicId: 'BBBBBBBBBBBBBBBBBBBBBB', partitions: Array.from({ length: parts }, () => [1, 2, 3]), adding: new Map(), removing: new Map() });

describe('metadata watch under random writes and etcd restarts', () => {
  it('sees every change and ends equal to a fresh snapshot', async () => {
    const seed = Number(process.env.RIVULET_SEED ?? Date.now() % 1_000_000);
    console.log(`watch-random seed=${seed} (replay with RIVULET_SEED=${seed})`);
    const rand = mulberry32(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

    const reader = await EtcdMetadataStore.connect(`${etcd.connect}/rand`);
    const writer = await EtcdMetadataStore.connect(`${etcd.connect}/rand`);
    stores.push(reader, writer);
    const snap = await reader.loadSnapshot();
    const image = ClusterImage.fromSnapshot(snap);
    const changes: ImageChange[] = [];
    image.onChange((c) => changes.push(...c));
    reader.watch(snap.revision + 1, (b) => image.apply(b));

    const controllerSession = await writer.registerBroker({ brokerId: 0, endpoints: [{ name: 'PLAINTEXT', host: 'h', port: 1 }], rack: null }, 20_000);
    const fence = (await writer.tryClaimController(controllerSession)) as ControllerFence;
    const sessions = new Map<number, BrokerSession>();
    const topics = new Map<string, number>(); // name → partitions
    let stateWrites = 0;
    let topicWrites = 0;
    const ops = 80;
    const restarts = new Set([Math.floor(rand() * ops), Math.floor(rand() * ops)]);

    for (let i = 0; i < ops; i++) {
      if (restarts.has(i)) await etcd.restart();
      const r = rand();
      if (r < 0.3 || topics.size === 0) {
        const name = `t${i}`;
        const parts = 1 + Math.floor(rand() * 3);
        expect((await retrying(() => writer.createTopic(name, topicOf(parts), {}))).ok).toBe(true);
        topics.set(name, parts);
        topicWrites++;
      } else if (r < 0.65) {
        const name = pick([...topics.keys()]);
        const p = Math.floor(rand() * topics.get(name)!);
        const current = (await retrying(() => writer.loadSnapshot())).entries.find((e) => e.key === `/brokers/topics/${name}/partitions/${p}/state`);
        const state = { leader: pick([1, 2, 3]), leaderEpoch: i, isr: [1, 2, 3], controllerEpoch: fence.controllerEpoch, leaderRecoveryState: 0 };
        const w = await retrying(() => writer.putPartitionStates(fence, [{ topic: name, partition: p, state, expectedModRevision: current?.modRevision ?? 0 }]));
        expect(w.ok).toBe(true);
        stateWrites++;
      } else if (r < 0.8) {
        const name = pick([...topics.keys()]);
        expect((await retrying(() => writer.deleteTopicData(fence, name))).ok).toBe(true);
        topics.delete(name);
      } else {
        const id = 1 + Math.floor(rand() * 3);
        const s = sessions.get(id);
        if (s) {
          await s.close();
          sessions.delete(id);
        } else sessions.set(id, await retrying(() => writer.registerBroker({ brokerId: id, endpoints: [{ name: 'PLAINTEXT', host: 'h', port: 10 + id }], rack: null }, 20_000)));
      }
    }

    const final = await writer.loadSnapshot();
    await until(() => image.revision >= final.revision, `the image at revision ${final.revision}`);
    const fresh = ClusterImage.fromSnapshot(final);
    expect([...image.topics.keys()].sort()).toEqual([...topics.keys()].sort());
    expect([...image.topics.keys()].sort()).toEqual([...fresh.topics.keys()].sort());
    expect([...image.brokers.keys()].sort()).toEqual([...fresh.brokers.keys()].sort());
    expect([...image.brokers.keys()].sort()).toEqual([0, ...sessions.keys()].sort());
    const statesOf = (im: ClusterImage) => [...im.partitionStates].map(([t, m]) => [t, [...m].sort((a, b) => a[0] - b[0])]).sort();
    expect(statesOf(image)).toEqual(statesOf(fresh));
    // Every write was seen as its own change: none lost, none seen twice.
    expect(changes.filter((c) => c.type === 'partitionStateChanged')).toHaveLength(stateWrites);
    expect(changes.filter((c) => c.type === 'topicAdded')).toHaveLength(topicWrites);
    for (const s of sessions.values()) await s.close();
    await controllerSession.close();
  }, 120_000);
});
