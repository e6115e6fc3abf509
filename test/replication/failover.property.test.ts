// Randomized failovers between three in-process brokers (seeded; the seed is printed, RIVULET_SEED
// replays it): produces with acks=all and acks=1, clean elections from the live ISR, brokers stopped and
// restarted. Checked at the end, once every replica is back in sync: every record acknowledged to acks=all
// is in the log at the offset it was given, and every replica's log is byte-identical to the leader's.
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { decodeBatches } from '../../bindings/node.js';
import type { Connection } from '../../host-node/client/connection.js';
import { startCluster, waitFor, type TestCluster } from './harness.js';
import { batch, logBytes, partitionOf, produce } from './client.js';
import { mulberry32 } from '../helpers/seeded-random.js';

const T = 'chaos';
const IDS = [1, 2, 3];
const STEPS = 30;
let cluster: TestCluster | null = null;

afterEach(async () => {
  await cluster?.close();
  cluster = null;
});


/** offset → value of every record in `bytes`. */
function recordsOf(bytes: Uint8Array): Map<number, string> {
  const out = new Map<number, string>();
  for (const b of decodeBatches(bytes)) for (const r of b.records) out.set(Number(r.offset), Buffer.from(r.value!).toString());
  return out;
}

describe('randomized failover', () => {
  it('loses no acks=all record and leaves identical replicas', async () => {
    const seed = Number(process.env.RIVULET_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`failover.property seed=${seed} (replay with RIVULET_SEED=${seed})`);
    const rand = mulberry32(seed);
    const pick = <X>(xs: readonly X[]): X => xs[Math.floor(rand() * xs.length)]!;
    const c = (cluster = await startCluster(IDS, { config: { replicaLagTimeMaxMs: 300, replicaFetchBackoffMs: 50, replicaFetchWaitMaxMs: 100 } }));
    let state = c.publish({ topic: T, partition: 0, replicas: IDS, isr: IDS, leader: 1, leaderEpoch: 0 });
    const stopped = new Set<number>();
    const conns = new Map<number, Connection>();
    const conn = async (id: number) => conns.get(id) ?? conns.set(id, await c.connect(id)).get(id)!;
    const acked = new Map<number, string>();
    let next = 0;
    const done: string[] = [];
    const inFlight: Promise<void>[] = [];

    for (let step = 0; step < STEPS; step++) {
      const action = pick(['produce', 'produce', 'produce', 'elect', 'stop', 'restart'] as const);
      const leader = state.leader;
      if (action === 'produce' && !stopped.has(leader)) {
        const acks = rand() < 0.7 ? -1 : 1;
        const n = 1 + Math.floor(rand() * 5);
        const tag = `s${step}-`;
        if (!(await conn(leader)).isOpen) conns.delete(leader);
        const from = next;
        next += n;
        const answered = produce(await conn(leader), T, batch(n, from, tag), acks, 2000).then(
          (resp) => {
            const r = partitionOf(resp);
            if (acks === -1 && r.errorCode === ErrorCode.NONE) for (let i = 0; i < n; i++) acked.set(Number(r.baseOffset) + i, `${tag}${from + i}`);
          },
          () => {}, // the connection went with its broker: not acknowledged
        );
        // Some produces stay in flight across the next steps (elections, stops) instead of being awaited.
        if (rand() < 0.3) inFlight.push(answered);
        else await answered;
      } else if (action === 'elect') {
        const live = (c.store.get(T, 0)!.isr as number[]).filter((id) => !stopped.has(id));
        const candidate = IDS.find((id) => live.includes(id) && id !== leader);
        if (candidate === undefined) {
          done.push('no-candidate');
          continue;
        }
        state = c.publish({ topic: T, partition: 0, replicas: IDS, isr: live, leader: candidate, leaderEpoch: state.leaderEpoch + 1 });
      } else if (action === 'stop' && stopped.size === 0) {
        const id = pick(IDS);
        conns.get(id)?.close();
        conns.delete(id);
        stopped.add(id);
        await c.stop(id);
      } else if (action === 'restart' && stopped.size > 0) {
        const id = [...stopped][0]!;
        stopped.delete(id);
        await c.restart(id);
      }
      done.push(action);
      state = c.store.get(T, 0)!;
    }

    await Promise.all(inFlight);
    console.log(`seed=${seed}: ${done.join(' ')}; ${acked.size} acks=all records, ${next} sent, final epoch ${state.leaderEpoch}`);
    for (const id of [...stopped]) await c.restart(id);
    if (!c.store.get(T, 0)!.isr.includes(c.store.get(T, 0)!.leader)) throw new Error('leader outside the ISR');
    const leaderId = c.store.get(T, 0)!.leader;
    const logOf = (id: number) => c.brokers.get(id)!.context.topicRegistry.partitionLog(T, 0)!;
    await waitFor(
      'every replica in sync',
      () => c.partition(leaderId, T).isr.length === 3 && IDS.every((id) => logOf(id).logEndOffset === logOf(leaderId).logEndOffset),
      20_000,
    );
    const leaderBytes = logBytes(logOf(leaderId));
    for (const id of IDS) expect(logBytes(logOf(id)).equals(leaderBytes), `replica ${id} equals leader ${leaderId} (seed ${seed})`).toBe(true);
    const inLog = recordsOf(leaderBytes);
    for (const [offset, value] of acked) expect(inLog.get(offset), `acked offset ${offset} (seed ${seed})`).toBe(value);
    expect(acked.size).toBeGreaterThan(0);
  }, 120_000);
});
