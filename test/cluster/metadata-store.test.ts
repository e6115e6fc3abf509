// The etcd metadata store against a real one-member etcd: broker sessions (epoch = create revision, one live
// registration per id, lease expiry, clean close), the controller claim and its fence, conditional ISR
// writes, the watch keeping a ClusterImage in step (also across an etcd restart), and chroot isolation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { startEtcd, type EtcdHandle } from '../helpers/etcd.js';
import { freePort } from '../helpers/ports.js';
import { BrokerIdInUseError, EtcdMetadataStore, type ControllerFence } from '../../host-node/cluster/metadata-store.js';
import { ClusterImage, type ImageChange } from '../../host-node/cluster/cluster-image.js';
import type { PartitionState, TopicAssignment } from '../../host-node/cluster/records.js';

let etcd: EtcdHandle;
const stores: EtcdMetadataStore[] = [];
let chrootSeq = 0;

beforeAll(async () => {
  etcd = await startEtcd();
}, 30_000);
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await etcd?.stop();
});

/** A store under a fresh chroot, so tests do not see each other's keys. */
async function store(root = `/t${++chrootSeq}`): Promise<EtcdMetadataStore> {
  const s = await EtcdMetadataStore.connect(`${etcd.connect}${root}`, { requestTimeoutMs: 3000 });
  stores.push(s);
  return s;
}
const reg = (brokerId: number) => ({ brokerId, endpoints: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9000 + brokerId }], rack: brokerId % 2 ? 'r1' : null });
const topic = (replicas: number[][]): TopicAssignment => ({ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: replicas, adding: new Map(), removing: new Map() });
const state = (leader: number, leaderEpoch: number, isr: number[], controllerEpoch = 1): PartitionState => ({ leader, leaderEpoch, isr, controllerEpoch, leaderRecoveryState: 0 });

async function until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An image of `s` kept current by its watch. */
async function liveImage(s: EtcdMetadataStore): Promise<{ image: ClusterImage; changes: ImageChange[] }> {
  const snap = await s.loadSnapshot();
  const image = ClusterImage.fromSnapshot(snap);
  const changes: ImageChange[] = [];
  image.onChange((c) => changes.push(...c));
  s.watch(snap.revision + 1, (b) => image.apply(b));
  return { image, changes };
}

describe('connect', () => {
  it('fails with a clear message when nothing answers at etcd.connect', async () => {
    const port = await freePort();
    await expect(EtcdMetadataStore.connect(`127.0.0.1:${port}`, { requestTimeoutMs: 1000 })).rejects.toThrow(new RegExp(`Cannot reach etcd at http://127.0.0.1:${port}`));
    await expect(EtcdMetadataStore.connect('127.0.0.1')).rejects.toThrow(/Invalid etcd.connect 127.0.0.1: Host 127.0.0.1: expected host:port/);
  }, 20_000);
});

describe('cluster id', () => {
  it('is created by the first broker and kept afterwards', async () => {
    const s = await store();
    expect(await s.getOrCreateClusterId('first-id-aaaaaaaaaaaaa')).toBe('first-id-aaaaaaaaaaaaa');
    expect(await s.getOrCreateClusterId('other-id-bbbbbbbbbbbbb')).toBe('first-id-aaaaaaaaaaaaa');
  });
});

describe('broker sessions', () => {
  it('broker epoch = create revision; a second live registration of the same id is refused', async () => {
    const s = await store();
    const raw = new Etcd3({ hosts: etcd.endpoint });
    try {
      const a = await s.registerBroker(reg(1), 5000);
      const res = await raw.get(`${s.root}/brokers/ids/1`).exec();
      expect(a.brokerEpoch).toBe(Number(res.kvs[0]!.create_revision));
      expect(JSON.parse(res.kvs[0]!.value.toString())).toMatchObject({ version: 5, host: '127.0.0.1', port: 9001, endpoints: ['PLAINTEXT://127.0.0.1:9001'], rack: 'r1' });
      await expect(s.registerBroker(reg(1), 5000)).rejects.toBeInstanceOf(BrokerIdInUseError);
      const b = await s.registerBroker(reg(2), 5000);
      expect(b.brokerEpoch).toBeGreaterThan(a.brokerEpoch);
      await a.close();
      await b.close();
    } finally {
      raw.close();
    }
  });

  it('a clean close removes the broker at once; an expired lease removes it after the session timeout', async () => {
    const s = await store();
    const { image, changes } = await liveImage(s);
    const a = await s.registerBroker(reg(1), 10_000);
    const b = await s.registerBroker(reg(2), 1000);
    await until(() => image.brokers.size === 2, 'both brokers in the image');
    expect(image.brokers.get(1)).toMatchObject({ brokerId: 1, brokerEpoch: a.brokerEpoch, rack: 'r1', endpoints: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9001 }] });

    const t0 = Date.now();
    await a.close();
    await until(() => !image.brokers.has(1), 'broker 1 gone after close', 2000);
    expect(Date.now() - t0).toBeLessThan(2000);

    // Broker 2 stops heart-beating (its lease is released, not revoked): etcd expires it.
    let lost: Error | undefined;
    b.on('lost', (e) => (lost = e));
    b.lease.release();
    const t1 = Date.now();
    await until(() => !image.brokers.has(2), 'broker 2 expired', 10_000);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(500);
    expect(changes.filter((c) => c.type === 'brokerRemoved').map((c) => (c as { brokerId: number }).brokerId)).toEqual([1, 2]);
    await until(() => lost !== undefined, 'the session reports the loss', 5000);
    const again = await b.reRegister();
    expect(again.brokerEpoch).toBeGreaterThan(b.brokerEpoch);
    await until(() => image.brokers.get(2)?.brokerEpoch === again.brokerEpoch, 'broker 2 back with a new epoch');
    await again.close();
  }, 30_000);
});

describe('closing the store', () => {
  it('ends its open broker sessions: their registrations go at once', async () => {
    const root = `/close${++chrootSeq}`;
    const observer = await store(root);
    const { image } = await liveImage(observer);
    const s = await EtcdMetadataStore.connect(`${etcd.connect}${root}`);
    await s.registerBroker(reg(1), 30_000);
    await s.registerBroker(reg(2), 30_000);
    await until(() => image.brokers.size === 2, 'both brokers registered');
    await s.close();
    await until(() => image.brokers.size === 0, 'both brokers gone', 2000);
  });
});

describe('heartbeats', () => {
  it('keep a session alive well past its lease TTL; an etcd unreachable for a whole session loses it', async () => {
    const s = await store();
    const session = await s.registerBroker(reg(1), 1000, 200);
    let lost: Error | undefined;
    session.on('lost', (e) => (lost = e));
    await new Promise((r) => setTimeout(r, 3000));
    expect(lost).toBeUndefined();
    expect(ClusterImage.fromSnapshot(await s.loadSnapshot()).brokers.get(1)?.brokerEpoch).toBe(session.brokerEpoch);

    etcd.pause();
    const t0 = Date.now();
    try {
      await until(() => lost !== undefined, 'the session lost while etcd is paused', 5000);
    } finally {
      etcd.resume();
    }
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(lost!.message).toMatch(/no etcd keep-alive succeeded for 1000 ms/);
    expect(session.alive).toBe(false);
    // etcd may still hold the old key for up to a TTL after it resumes: re-register until it has expired.
    let again;
    for (let i = 0; ; i++) {
      try {
        again = await session.reRegister();
        break;
      } catch (e) {
        if (i > 30) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(again.brokerEpoch).toBeGreaterThan(session.brokerEpoch);
    await again.close();
  }, 30_000);
});

describe('controller', () => {
  it('only one of several concurrent claimers wins, the epoch increments, a deposed controller is fenced', async () => {
    const root = `/claim${++chrootSeq}`;
    const s = await store(root);
    // Four brokers, each with its own etcd client, claim at the same moment.
    const brokers = await Promise.all([1, 2, 3, 4].map(() => store(root)));
    const sessions = await Promise.all(brokers.map((b, i) => b.registerBroker(reg(i + 1), 5000)));
    const claims = await Promise.all(sessions.map((x, i) => brokers[i]!.tryClaimController(x)));
    const winners = claims.filter((c): c is ControllerFence => c !== null);
    expect(winners).toHaveLength(1);
    const first = winners[0]!;
    expect(first.controllerEpoch).toBe(1);

    // The controller writes partition states, fenced by its epoch.
    let w = await s.putPartitionStates(first, [{ topic: 't', partition: 0, state: state(1, 0, [1, 2]), expectedModRevision: 0 }]);
    expect(w.ok).toBe(true);
    // Creating a state that exists is a conflict, not a fence.
    w = await s.putPartitionStates(first, [{ topic: 't', partition: 0, state: state(1, 0, [1, 2]), expectedModRevision: 0 }]);
    expect(w).toMatchObject({ ok: false, reason: 'conflict' });

    // The controller's broker dies: its session goes, so does /controller; another broker claims with epoch 2.
    const winnerSession = sessions[claims.indexOf(first)]!;
    await winnerSession.close();
    const others = sessions.filter((x) => x !== winnerSession);
    const second = (await Promise.all(others.map((x) => s.tryClaimController(x)))).filter((c) => c !== null);
    expect(second).toHaveLength(1);
    expect(second[0]!.controllerEpoch).toBe(2);

    const snap = await s.loadSnapshot();
    const ps = ClusterImage.fromSnapshot(snap).partitionState('t', 0)!;
    w = await s.putPartitionStates(first, [{ topic: 't', partition: 0, state: state(2, 1, [2]), expectedModRevision: ps.partitionEpoch }]);
    expect(w).toMatchObject({ ok: false, reason: 'fenced' });
    expect(await s.deleteTopicData(first, 't')).toMatchObject({ ok: false, reason: 'fenced' });
    w = await s.putPartitionStates(second[0]!, [{ topic: 't', partition: 0, state: state(2, 1, [2], 2), expectedModRevision: ps.partitionEpoch }]);
    expect(w.ok).toBe(true);
    // A claim while someone holds it fails; resign frees it.
    expect(await s.tryClaimController(others[0]!)).toBeNull();
    await s.resign(second[0]!);
    const third = (await Promise.all(others.map((x) => s.tryClaimController(x)))).filter((c) => c !== null);
    expect(third.map((c) => c.controllerEpoch)).toEqual([3]);
    for (const x of others) await x.close();
  }, 30_000);

  it('writes more partition states than one etcd transaction holds, each chunk fenced', async () => {
    const s = await store();
    const session = await s.registerBroker(reg(1), 5000);
    const fence = (await s.tryClaimController(session))!;
    const updates = Array.from({ length: 300 }, (_, p) => ({ topic: 'big', partition: p, state: state(1, 0, [1]), expectedModRevision: 0 }));
    expect(await s.putPartitionStates(fence, updates)).toMatchObject({ ok: true });
    const image = ClusterImage.fromSnapshot(await s.loadSnapshot());
    expect(image.partitionStates.get('big')?.size).toBe(300);
    await session.close();
  });
});

describe('partition state writes by the leader', () => {
  it('an ISR change fails on a stale partition epoch and returns the current state', async () => {
    const s = await store();
    const session = await s.registerBroker(reg(1), 5000);
    const fence = (await s.tryClaimController(session))!;
    expect((await s.createTopic('t', topic([[1, 2, 3]]), { 'min.insync.replicas': '2' })).ok).toBe(true);
    expect(await s.createTopic('t', topic([[1]]), {})).toEqual({ ok: false, reason: 'exists' });
    await s.putPartitionStates(fence, [{ topic: 't', partition: 0, state: state(1, 0, [1, 2, 3]), expectedModRevision: 0 }]);
    const epoch0 = ClusterImage.fromSnapshot(await s.loadSnapshot()).partitionState('t', 0)!.partitionEpoch;

    const shrink = await s.alterPartitionState('t', 0, state(1, 0, [1, 2]), epoch0);
    expect(shrink.ok).toBe(true);
    const epoch1 = (shrink as { partitionEpoch: number }).partitionEpoch;
    expect(epoch1).toBeGreaterThan(epoch0);
    const stale = await s.alterPartitionState('t', 0, state(1, 0, [1]), epoch0);
    expect(stale).toEqual({ ok: false, reason: 'conflict', current: { state: state(1, 0, [1, 2]), partitionEpoch: epoch1 } });

    // The leader's broker epoch is part of the compare: a leader whose registration changed is refused.
    const leader = { brokerId: 1, brokerEpoch: session.brokerEpoch };
    const grow = await s.alterPartitionState('t', 0, state(1, 0, [1, 2, 3]), epoch1, leader);
    expect(grow.ok).toBe(true);
    const epoch2 = (grow as { partitionEpoch: number }).partitionEpoch;
    await session.close();
    const again = await s.registerBroker(reg(1), 5000);
    const old = await s.alterPartitionState('t', 0, state(1, 0, [1]), epoch2, leader);
    expect(old).toEqual({ ok: false, reason: 'stale-broker-epoch', current: { state: state(1, 0, [1, 2, 3]), partitionEpoch: epoch2 } });
    expect((await s.alterPartitionState('t', 0, state(1, 0, [1]), epoch2, { brokerId: 1, brokerEpoch: again.brokerEpoch })).ok).toBe(true);
    await again.close();
  });
});

describe('watch', () => {
  it("keeps an image in step with another client's writes, across an etcd restart, without losing an event", async () => {
    const s = await store('/watched');
    const writer = await EtcdMetadataStore.connect(`${etcd.connect}/watched`);
    stores.push(writer);
    const { image, changes } = await liveImage(s);
    const session = await writer.registerBroker(reg(7), 10_000);
    const fence = (await writer.tryClaimController(session))!;
    await until(() => image.controller?.brokerId === 7 && image.controller.epoch === 1, 'the controller in the image');

    const topics = 20;
    for (let i = 0; i < topics / 2; i++) expect((await writer.createTopic(`t${i}`, topic([[7]]), {})).ok).toBe(true);
    await etcd.restart();
    for (let i = topics / 2; i < topics; i++) {
      for (let attempt = 0; ; attempt++) {
        try {
          expect((await writer.createTopic(`t${i}`, topic([[7]]), {})).ok).toBe(true);
          break;
        } catch (e) {
          if (attempt > 50) throw e; // the client's circuit breaker may refuse calls for a while after the restart
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
    await writer.putAdminRequest({ kind: 'deleteTopic', topic: 't0' });
    await until(() => image.topics.size === topics && image.adminRequests.size === 1, 'every topic and the request in the image', 30_000);
    const added = changes.filter((c) => c.type === 'topicAdded').map((c) => (c as { topic: string }).topic);
    expect(added.sort()).toEqual(Array.from({ length: topics }, (_, i) => `t${i}`).sort());
    expect(new Set(added).size).toBe(added.length);

    expect((await writer.deleteTopicData(fence, 't0')).ok).toBe(true);
    await until(() => !image.topics.has('t0') && image.adminRequests.size === 0, 't0 removed from the image');
    const fresh = ClusterImage.fromSnapshot(await s.loadSnapshot());
    expect(image.revision).toBe(fresh.revision);
    expect([...image.topics.keys()].sort()).toEqual([...fresh.topics.keys()].sort());
    await session.close();
  }, 60_000);
});

describe('watch after compaction', () => {
  it('reloads the snapshot (a reset) when etcd compacted past the revision asked for, then goes on', async () => {
    const s = await store();
    for (let i = 0; i < 3; i++) await s.createTopic(`c${i}`, topic([[1]]), {});
    const { revision } = await s.loadSnapshot();
    const raw = new Etcd3({ hosts: etcd.endpoint });
    try {
      await raw.kv.compact({ revision: String(revision), physical: true });
    } finally {
      raw.close();
    }
    const image = new ClusterImage();
    const kinds: string[] = [];
    const errors: Error[] = [];
    s.watch(1, (b) => (kinds.push(b.kind), image.apply(b)), (e) => errors.push(e));
    await until(() => kinds.includes('reset'), 'a reset after the compacted watch');
    expect(image.topics.size).toBe(3);
    expect(errors.map((e) => e.message).join()).toMatch(/etcd cancelled the metadata watch from revision 1 \(compacted/);
    await s.createTopic('after', topic([[1]]), {});
    await until(() => image.topics.has('after'), 'events after the reset');
    expect(kinds[0]).toBe('reset');
  }, 20_000);
});

describe('chroot', () => {
  it('two roots in one etcd do not see each other', async () => {
    const a = await store('/rv');
    const b = await store('/rv2');
    const sa = await a.registerBroker(reg(1), 5000);
    const sb = await b.registerBroker(reg(1), 5000); // the same id in another root is another cluster
    expect(await a.getOrCreateClusterId('cluster-a-aaaaaaaaaaaa')).toBe('cluster-a-aaaaaaaaaaaa');
    expect(await b.getOrCreateClusterId('cluster-b-bbbbbbbbbbbb')).toBe('cluster-b-bbbbbbbbbbbb');
    await a.createTopic('only-a', topic([[1]]), {});
    const ia = ClusterImage.fromSnapshot(await a.loadSnapshot());
    const ib = ClusterImage.fromSnapshot(await b.loadSnapshot());
    expect([...ia.topics.keys()]).toEqual(['only-a']);
    expect([...ib.topics.keys()]).toEqual([]);
    expect(ia.brokers.get(1)?.brokerEpoch).toBe(sa.brokerEpoch);
    expect(ib.brokers.get(1)?.brokerEpoch).toBe(sb.brokerEpoch);
    await sa.close();
    await sb.close();
  });
});
