// Seeded random runs of the controller's world: brokers expire, return and bounce, controllers lose their
// lease while still running and others claim, topics are created, grown and deleted, leaders change their
// ISR, reassignments, elections and controlled shutdowns are requested. After every committed transaction
// and every step the invariants hold; at the end, with every broker back and every ISR full, every
// partition is led and every request is done. RIVULET_SEED=<seed> replays a run.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTROLLER_CONFIG } from '../../host-node/controller/controller.js';
import { assignNewPartitions, assignReplicasToBrokers } from '../../host-node/controller/replica-assignment.js';
import { keys, NO_LEADER, parseState, readImage, SimCluster, topicJson, type Op } from './sim.js';
import { rng, testSeed, type Rng } from './random.js';

const BROKERS = [1, 2, 3, 4, 5];
const TOPICS = ['a', 'b', 'c'];

function stateKey(k: string): { topic: string; partition: number } | null {
  const p = k.split('/');
  return p[1] === 'brokers' && p[2] === 'topics' && p[6] === 'state' ? { topic: p[3]!, partition: Number(p[5]) } : null;
}

/**
 * Checks each committed transaction: leader epochs never decrease, a leader change bumps it, and (unclean
 * off) a new leader is a member of the previous ISR.
 */
function watchTransactions(c: SimCluster, unclean: boolean): void {
  c.store.beforeCommit = (ops: readonly Op[]) => {
    for (const op of ops) {
      if (!('put' in op) || stateKey(op.put) === null) continue;
      const prev = c.store.kv.get(op.put);
      if (prev === undefined) continue;
      const before = parseState(prev);
      const after = parseState({ value: op.value, create: 0, mod: 0 });
      if (after.leaderEpoch < before.leaderEpoch) c.violations.push(`${op.put}: leader epoch ${before.leaderEpoch} → ${after.leaderEpoch}`);
      if (after.leader !== before.leader && after.leaderEpoch <= before.leaderEpoch)
        c.violations.push(`${op.put}: leader ${before.leader} → ${after.leader} without a new leader epoch (${after.leaderEpoch})`);
      if (!unclean && after.leader !== NO_LEADER && after.leader !== before.leader && !before.isr.includes(after.leader))
        c.violations.push(`${op.put}: leader ${after.leader} outside the last ISR ${before.isr.join(',')}`);
    }
  };
}

function checkImage(c: SimCluster, ctx: string): void {
  const img = readImage(c.store);
  for (const [key, s] of img.partitions) {
    const [topic, p] = [key.slice(0, key.lastIndexOf('/')), Number(key.slice(key.lastIndexOf('/') + 1))];
    const a = img.topics.get(topic)?.value.partitions[p];
    expect(a, `${ctx} state of a partition its topic has: ${key}`).toBeDefined();
    expect(s.isr.every((id) => a!.replicas.includes(id)), `${ctx} ${key}: ISR ${s.isr} ⊆ replicas ${a!.replicas}`).toBe(true);
    if (s.leader !== NO_LEADER) expect(s.isr.includes(s.leader), `${ctx} ${key}: leader ${s.leader} ∈ ISR ${s.isr}`).toBe(true);
    if (c.current() !== undefined && s.leader !== NO_LEADER) expect(img.brokers.has(s.leader), `${ctx} ${key}: leader ${s.leader} is registered`).toBe(true);
  }
  const deposed = c.controllers.flatMap((x) => x.port.accepted.filter((w) => w.storeEpoch !== JSON.stringify(String(w.epoch))));
  expect(deposed, `${ctx} writes accepted from a deposed controller`).toEqual([]);
  expect(c.violations, ctx).toEqual([]);
}

async function step(c: SimCluster, r: Rng): Promise<string> {
  const live = c.live();
  const dead = BROKERS.filter((b) => !live.includes(b));
  const img = readImage(c.store);
  const topics = [...img.topics.keys()];
  const anyPartition = () => {
    const t = r.pick(topics);
    return { t, p: r.int(img.topics.get(t)!.value.partitions.length) };
  };
  const roll = r.int(14);
  if (roll === 0 && live.length > 0) return (c.expire(r.pick(live)), 'expire');
  if (roll === 1 && dead.length > 0) return (c.register(r.pick(dead)), 'register');
  if (roll === 2 && live.length > 0) {
    const id = r.pick(live);
    c.expire(id);
    c.register(id);
    return 'bounce';
  }
  if (roll === 3) return (c.store.txn([], [{ del: keys.controller }]), 'controller lease lost');
  if (roll === 4 && live.length > 0) return (c.claim(r.pick(live)), 'claim');
  if (roll === 5 && live.length > 0) {
    const name = r.pick(TOPICS);
    if (img.topics.has(name) || img.deletions.has(name)) return 'noop';
    const brokers = live.map((id) => ({ id, rack: null }));
    const rf = 1 + r.int(Math.min(3, live.length));
    c.createTopic(name, assignReplicasToBrokers(brokers, 1 + r.int(3), rf, { random: r.next }), r.chance(0.2) ? { 'retention.ms': '1000' } : {});
    return `create ${name}`;
  }
  if (topics.length === 0) return 'noop';
  if (roll === 6) {
    const t = r.pick(topics);
    const cur = img.topics.get(t)!;
    const rf = cur.value.partitions[0]!.replicas.length;
    if (rf > live.length || img.deletions.has(t)) return 'noop';
    const added = assignNewPartitions(live.map((id) => ({ id, rack: null })), cur.value.partitions.map((a) => a.replicas), cur.value.partitions.length + 1, r.next);
    const next = { ...cur.value, partitions: [...cur.value.partitions, ...added.map((replicas) => ({ replicas, adding: [], removing: [] }))] };
    c.store.txn([{ key: keys.topic(t), mod: cur.modRevision }], [{ put: keys.topic(t), value: topicJson(next) }]);
    return `grow ${t}`;
  }
  if (roll === 7) return (c.request(keys.deletion(r.pick(topics)), {}), 'delete');
  if (roll === 8) {
    const { t, p } = anyPartition();
    const pool = r.chance(0.5) ? live : BROKERS;
    const target = pool.filter(() => r.chance(0.5)).slice(0, 3);
    c.request(keys.reassign(t, p), { target: r.chance(0.2) ? null : target });
    return `reassign ${t}/${p}`;
  }
  if (roll === 9) {
    const { t, p } = anyPartition();
    c.request(keys.elect(t, p), { type: 'preferred' });
    return `elect ${t}/${p}`;
  }
  if (roll === 10 && live.length > 0) {
    const id = r.pick(live);
    c.request(keys.shutdown(id), { broker_epoch: c.store.kv.get(keys.broker(id))!.create });
    return `shutdown ${id}`;
  }
  if (roll === 11) for (const x of c.controllers) x.controller.enqueue({ type: 'LeaderImbalanceCheck' });
  if (roll >= 11) {
    const { t, p } = anyPartition();
    const s = c.state(t, p);
    const a = img.topics.get(t)!.value.partitions[p]!;
    if (s === undefined || s.leader === NO_LEADER || !live.includes(s.leader)) return 'noop';
    const follower = r.pick(a.replicas.filter((id) => id !== s.leader));
    if (follower === undefined) return 'noop';
    const isr = s.isr.includes(follower) ? s.isr.filter((id) => id !== follower) : live.includes(follower) ? [...s.isr, follower] : s.isr;
    c.leaderSetsIsr(t, p, isr);
    return `isr ${t}/${p} → ${isr}`;
  }
  return 'noop';
}

/** Every broker back, a controller claimed, every ISR full: all led, nothing pending. */
async function heal(c: SimCluster, ctx: string): Promise<void> {
  for (const id of BROKERS) if (!c.live().includes(id)) c.register(id);
  await c.settle();
  if (c.current() === undefined) {
    c.store.txn([], [{ del: keys.controller }]);
    c.claim(BROKERS[0]!);
  }
  await c.settle();
  for (let round = 0; round < 5; round++) {
    const img = readImage(c.store);
    for (const [name, { value: t }] of img.topics)
      t.partitions.forEach((a, p) => {
        const s = c.state(name, p);
        if (s !== undefined && s.leader !== NO_LEADER && s.isr.length < a.replicas.length) c.leaderSetsIsr(name, p, [...a.replicas]);
      });
    await c.settle();
  }
  const img = readImage(c.store);
  for (const [name, { value: t }] of img.topics)
    t.partitions.forEach((a, p) => {
      expect(a.adding.length + a.removing.length, `${ctx} ${name}/${p} reassignment finished`).toBe(0);
      expect(c.state(name, p)?.leader, `${ctx} ${name}/${p} is led`).not.toBe(NO_LEADER);
      expect(c.state(name, p), `${ctx} ${name}/${p} has a state`).toBeDefined();
    });
  expect([...c.store.kv.keys()].filter((k) => k.startsWith('/admin/')), `${ctx} requests left`).toEqual([]);
}

describe('controller simulation (seeded)', () => {
  it.each([
    ['unclean off', false],
    ['unclean on', true],
  ])('random runs, %s', async (_name, unclean) => {
    const base = testSeed();
    console.log(`controller simulation (${_name}) seed=${base} (RIVULET_SEED=${base} replays)`);
    const seen = { deposed: 0, leaderChanges: 0 };
    for (let run = 0; run < 30; run++) {
      const seed = (base + run) >>> 0;
      const r = rng(seed);
      const c = new SimCluster({ ...DEFAULT_CONTROLLER_CONFIG, uncleanLeaderElectionEnable: unclean }, () => r.int(3));
      watchTransactions(c, unclean);
      for (const id of BROKERS) c.register(id);
      c.claim(1);
      await c.settle();
      const history: string[] = [];
      for (let i = 0; i < 120; i++) {
        history.push(await step(c, r));
        await c.settle();
        checkImage(c, `seed=${seed} step=${i} (${history.slice(-5).join('; ')})`);
      }
      await heal(c, `seed=${seed} healed`);
      checkImage(c, `seed=${seed} healed`);
      seen.deposed += c.controllers.filter((x) => !x.controller.isActive).length;
      seen.leaderChanges += [...readImage(c.store).partitions.values()].reduce((n, s) => n + s.leaderEpoch, 0);
    }
    console.log(`controller simulation (${_name}): ${seen.deposed} deposed controllers, ${seen.leaderChanges} leader epochs at the end`);
    expect(seen.deposed, 'runs where a controller was deposed').toBeGreaterThan(0);
    expect(seen.leaderChanges, 'runs with leader changes').toBeGreaterThan(0);
  });
});
