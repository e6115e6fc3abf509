// The KafkaController against the in-memory etcd model: new topics initialized, failover on broker loss
// and return, a deposed controller fenced, reassignment end to end, controlled shutdown, ElectLeaders,
// topic deletion, auto leader rebalance, and a queue overflow recovered by a Resync.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTROLLER_CONFIG } from '../../host-node/controller/controller.js';
import { keys, NO_LEADER, SimCluster } from './sim.js';

async function cluster(n: number, config = DEFAULT_CONTROLLER_CONFIG): Promise<SimCluster> {
  const c = new SimCluster(config);
  for (let id = 1; id <= n; id++) c.register(id);
  expect(c.claim(1)).not.toBeNull();
  await c.settle();
  return c;
}

const stateOf = (c: SimCluster, t: string, p: number) => {
  const s = c.state(t, p)!;
  return { leader: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr };
};

describe('KafkaController', () => {
  it('initializes new partitions: first live replica leads, live replicas in sync, epoch 0', async () => {
    const c = await cluster(3);
    c.createTopic('t', [
      [2, 3, 1],
      [3, 1, 2],
    ]);
    await c.settle();
    expect(stateOf(c, 't', 0)).toEqual({ leader: 2, leaderEpoch: 0, isr: [2, 3, 1] });
    expect(stateOf(c, 't', 1)).toEqual({ leader: 3, leaderEpoch: 0, isr: [3, 1, 2] });
    expect(c.state('t', 0)!.controllerEpoch).toBe(1);
  });

  it('fails over on broker loss, goes offline with the last ISR, and comes back with an ISR member', async () => {
    const c = await cluster(3);
    c.createTopic('t', [[1, 2]]);
    await c.settle();
    c.expire(1);
    c.claim(2);
    await c.settle();
    expect(stateOf(c, 't', 0)).toEqual({ leader: 2, leaderEpoch: 1, isr: [2] });
    c.expire(2);
    c.claim(3);
    await c.settle();
    expect(stateOf(c, 't', 0)).toEqual({ leader: NO_LEADER, leaderEpoch: 2, isr: [2] });
    c.register(1);
    await c.settle();
    expect(stateOf(c, 't', 0).leader, 'broker 1 is out of sync: no unclean election').toBe(NO_LEADER);
    c.register(2);
    await c.settle();
    expect(stateOf(c, 't', 0)).toEqual({ leader: 2, leaderEpoch: 3, isr: [2] });
  });

  it('elects uncleanly when the topic allows it', async () => {
    const c = await cluster(2);
    c.createTopic('u', [[1, 2]], { 'unclean.leader.election.enable': 'true' });
    await c.settle();
    c.leaderSetsIsr('u', 0, [1]);
    await c.settle();
    c.expire(1);
    c.claim(2);
    await c.settle();
    expect(stateOf(c, 'u', 0)).toEqual({ leader: 2, leaderEpoch: 1, isr: [2] });
  });

  it('a deposed controller is fenced: its writes are refused and it stops', async () => {
    const c = await cluster(3);
    const first = c.controllers[0]!;
    c.store.txn([], [{ del: keys.controller }]); // its lease expired while it still runs
    const second = c.claim(2)!;
    await c.settle();
    c.createTopic('t', [[1, 2, 3]]);
    c.expire(1);
    await c.settle();
    expect(first.controller.isActive).toBe(false);
    expect(second.controller.isActive).toBe(true);
    expect(first.port.accepted.every((w) => w.storeEpoch === '1')).toBe(true);
    expect(second.port.accepted.length).toBeGreaterThan(0);
    expect(stateOf(c, 't', 0)).toEqual({ leader: 2, leaderEpoch: 1, isr: [2, 3] });
    expect(c.state('t', 0)!.controllerEpoch).toBe(2);
  });

  it('reassigns: adding replicas, waits for the ISR, moves the leader, shrinks, completes', async () => {
    const c = await cluster(4);
    c.createTopic('t', [[1, 2]]);
    await c.settle();
    c.request(keys.reassign('t', 0), { target: [3, 4] });
    await c.settle();
    expect(c.topic('t')!.partitions[0]).toEqual({ replicas: [3, 4, 1, 2], adding: [3, 4], removing: [1, 2] });
    expect(c.store.kv.has(keys.reassign('t', 0))).toBe(false);
    c.leaderSetsIsr('t', 0, [1, 2, 3]);
    await c.settle();
    expect(c.topic('t')!.partitions[0]!.adding).toEqual([3, 4]);
    c.leaderSetsIsr('t', 0, [1, 2, 3, 4]);
    await c.settle();
    expect(c.topic('t')!.partitions[0]).toEqual({ replicas: [3, 4], adding: [], removing: [] });
    expect(stateOf(c, 't', 0)).toEqual({ leader: 3, leaderEpoch: 1, isr: [3, 4] });
  });

  it('cancels a reassignment back to the original replicas', async () => {
    const c = await cluster(3);
    c.createTopic('t', [[1, 2]]);
    await c.settle();
    c.request(keys.reassign('t', 0), { target: [3, 2] });
    await c.settle();
    c.leaderSetsIsr('t', 0, [1, 2, 3]);
    c.request(keys.reassign('t', 0), { target: [3, 2] }); // no-op rewrite is harmless
    await c.settle();
    expect(c.topic('t')!.partitions[0]).toEqual({ replicas: [3, 2], adding: [], removing: [] });
    c.request(keys.reassign('t', 0), { target: [1, 2] });
    await c.settle();
    expect(c.topic('t')!.partitions[0]).toEqual({ replicas: [1, 2, 3], adding: [1], removing: [3] });
    c.request(keys.reassign('t', 0), { target: null });
    await c.settle();
    // the original in the order the running reassignment kept it (target first), as Kafka's originReplicas
    expect(c.topic('t')!.partitions[0]).toEqual({ replicas: [2, 3], adding: [], removing: [] });
    expect(stateOf(c, 't', 0).isr).toEqual([2, 3]);
  });

  it('controlled shutdown moves leadership off the broker and clears the request', async () => {
    const c = await cluster(3);
    c.createTopic('t', [
      [1, 2, 3],
      [2, 1, 3],
      [1],
    ]);
    await c.settle();
    const epoch = c.store.kv.get(keys.broker(1))!.create;
    c.request(keys.shutdown(1), { broker_epoch: epoch });
    await c.settle();
    expect(stateOf(c, 't', 0)).toEqual({ leader: 2, leaderEpoch: 1, isr: [2, 3] });
    expect(stateOf(c, 't', 1)).toEqual({ leader: 2, leaderEpoch: 0, isr: [2, 3] });
    expect(stateOf(c, 't', 2), 'no other replica: it keeps leading').toEqual({ leader: 1, leaderEpoch: 0, isr: [1] });
    expect(c.store.kv.has(keys.shutdown(1))).toBe(false);
    c.request(keys.elect('t', 0), { type: 'preferred' });
    await c.settle();
    expect(stateOf(c, 't', 0).leader, 'no preferred election back to a broker shutting down').toBe(2);
  });

  it('runs ElectLeaders preferred and clears the request', async () => {
    const c = await cluster(2);
    c.createTopic('t', [[1, 2]]);
    await c.settle();
    c.expire(1);
    c.claim(2);
    await c.settle();
    c.register(1);
    c.leaderSetsIsr('t', 0, [2, 1]);
    await c.settle();
    expect(stateOf(c, 't', 0).leader).toBe(2);
    c.request(keys.elect('t', 0), { type: 'preferred' });
    await c.settle();
    expect(stateOf(c, 't', 0)).toEqual({ leader: 1, leaderEpoch: 2, isr: [2, 1] });
    expect(c.store.kv.has(keys.elect('t', 0))).toBe(false);
  });

  it('deletes a topic: states, topic, config and the request', async () => {
    const c = await cluster(2);
    c.createTopic('t', [[1], [2]], { 'retention.ms': '1' });
    await c.settle();
    c.request(keys.deletion('t'), {});
    await c.settle();
    expect([...c.store.kv.keys()].filter((k) => k.includes('/t'))).toEqual([]);
  });

  it('rebalances leadership back to preferred replicas beyond the imbalance percentage', async () => {
    const c = await cluster(2);
    c.createTopic('t', [
      [1, 2],
      [2, 1],
    ]);
    await c.settle();
    c.expire(1);
    c.claim(2);
    await c.settle();
    c.register(1);
    c.leaderSetsIsr('t', 0, [2, 1]);
    await c.settle();
    expect(stateOf(c, 't', 0).leader).toBe(2);
    c.current()!.controller.enqueue({ type: 'LeaderImbalanceCheck' });
    await c.settle();
    expect(stateOf(c, 't', 0).leader).toBe(1);
  });

  it('a queue overflow collapses into a Resync that still does all the work', async () => {
    const c = await cluster(3, { ...DEFAULT_CONTROLLER_CONFIG, maxQueuedEvents: 2 });
    for (let i = 0; i < 20; i++) c.createTopic(`t${i}`, [[1 + (i % 3), 1 + ((i + 1) % 3)]]);
    await c.settle();
    for (let i = 0; i < 20; i++) expect(c.state(`t${i}`, 0)?.leader, `t${i}`).toBe(1 + (i % 3));
  });
});
