// Network faults on a real cluster: three `rivulet broker` processes, a real etcd, confluent-kafka-python
// idempotent acks=all producers, and the history checker (lost, duplicates, offsets holding two values, ...).
//
// How the faults are made. A broker cut off from the others: TCP proxies the test owns (tcp-proxy.ts), no
// root needed. Every broker advertises `127.0.0.1:<its listener proxy>`, so clients and the other brokers'
// fetchers reach it only through that proxy, and its `etcd.connect` points at a proxy of its own. The cut
// is `cut('silent')` on both: open connections stay open but no byte moves, like a partition where packets
// are dropped. What stays up: the cut broker's own fetches from the other leaders (they go through those
// leaders' proxies), so the cut is "nobody reaches it and it reaches no etcd" — which is what makes it a
// deposed leader that still believes it leads. etcd down: SIGSTOP of the etcd process (its sockets stay
// open, nothing answers), or SIGKILL and a restart on the same data dir.
//
// What Rivulet promises, and these tests check:
// - A cut broker loses its etcd session after broker.session.timeout.ms; the controller (another broker,
//   or a new one if the cut broker was it) elects new leaders from the ISR with a new leader epoch. The cut
//   broker cannot shrink its ISR without etcd, so an acks=all write that reaches it waits for followers
//   that no longer fetch from it and fails: it acknowledges nothing. Healed, it registers again (a new
//   broker epoch), follows the new leaders, truncates its divergent tail, and rejoins every ISR.
// - etcd down, short or long, changes no leader while it is down: leaders keep serving acks=all writes
//   with the ISR they have (an ISR change would need etcd, so a write that needs one waits), every broker
//   reports the same leaders, admin requests (CreateTopics) fail during the outage and succeed after.
//   A short outage (< broker.session.timeout.ms) keeps every broker session. A long one (> the session
//   timeout) is what Kafka does when its brokers' ZooKeeper sessions expire: each broker notices it had no
//   keep-alive for a whole session and registers again once etcd is back (a new broker epoch); the old
//   leases expire, the controller is claimed again, and partitions whose leader was not yet registered
//   again may get new leaders — through the epochs, never losing an acknowledged write.
import { beforeAll, describe, expect, it } from 'vitest';
import { anomalyNames, describeAnomalies } from './support/history.js';
import { ensureBuilt } from './support/processes.js';
import { trialRow } from './support/campaigns/campaign.js';
import { trial as partitionTrial } from './support/campaigns/cluster-partition.js';
import { trial as etcdDownTrial, type EtcdDownTrialResult } from './support/campaigns/cluster-etcd-down.js';

beforeAll(() => ensureBuilt(), 180_000);

const seedOf = (name: string) => {
  const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 1_000_000));
  console.log(`${name} seed=${seed} (SEED=${seed} replays)`);
  return seed;
};

describe('a broker cut off from clients, peers and etcd', () => {
  it('loses leadership, acknowledges nothing while cut, and rejoins with a new broker epoch: nothing lost', async () => {
    const r = await partitionTrial({ seed: seedOf('cluster-partition'), log: (l) => console.log(l), durationS: 18 });
    const c = r.check;
    console.log(JSON.stringify(trialRow(0, r)));
    expect(r.ackedAtCut, 'writes were acknowledged before the cut').toBeGreaterThan(0);
    expect(r.electedMs, 'new leaders within the session timeout and a few seconds').toBeLessThan(3000 + 15_000);
    expect(r.directWrite, 'the deposed leader acknowledged a write after the new epoch began').not.toBe(0);
    expect(r.ackedWhileCut, 'writes went on on the new leaders during the cut').toBeGreaterThan(0);
    expect(r.epochAfter, 'the healed broker registered again with a new broker epoch').toBeGreaterThan(r.epochBefore);
    expect(c.lostChecked, 'the final read reached the end offsets').toBe(true);
    expect(anomalyNames(c), describeAnomalies(c)).toEqual([]);
    expect(c.lost.count).toBe(0);
    expect(c.inconsistentOffsets.count).toBe(0);
    expect(c.duplicates.count).toBe(0);
  }, 150_000);
});

describe('etcd down', () => {
  const common = (r: EtcdDownTrialResult) => {
    const c = r.check;
    console.log(JSON.stringify(trialRow(0, r)));
    expect(r.ackedDuring, 'acks=all writes went on on unchanged leaders while etcd was down').toBeGreaterThan(0);
    expect(r.leadersKeptDuring, 'every broker reported the same leaders and epochs as before, during the outage').toBe(true);
    expect(r.createDuring, 'a CreateTopics succeeded while etcd was down').not.toBe(0);
    expect(r.createdAfter, 'the topic asked for during the outage exists with leaders after it').toBe(true);
    expect(c.lostChecked, 'the final read reached the end offsets').toBe(true);
    expect(anomalyNames(c), describeAnomalies(c)).toEqual([]);
    expect(c.lost.count).toBe(0);
    expect(c.duplicates.count).toBe(0);
  };

  it('a short outage (SIGSTOP, shorter than the session timeout): writes go on, no leader changes, sessions survive', async () => {
    const r = await etcdDownTrial({ seed: seedOf('etcd-down short'), log: (l) => console.log(l), length: 'short', kind: 'pause' });
    common(r);
    expect(r.sessionsKept, 'every broker kept its broker epoch').toBe(true);
    expect(r.leadersChangedAfter, 'no partition changed leader or leader epoch').toBe(0);
  }, 120_000);

  it('a long outage (SIGKILL, restart on the data dir after more than the session timeout): brokers register again, nothing lost', async () => {
    const r = await etcdDownTrial({ seed: seedOf('etcd-down long'), log: (l) => console.log(l), length: 'long', kind: 'kill' });
    common(r);
    expect(r.sessionsKept, 'every broker registered again with a new broker epoch').toBe(false);
  }, 150_000);
});
