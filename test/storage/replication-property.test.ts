// Randomized (seeded; the seed is printed, RIVULET_SEED=<n> replays it): two replicas trade leadership while
// the leader appends in its epoch, the follower resolves divergence through the epoch caches (KIP-101/279:
// OffsetForLeaderEpoch, then truncateTo), fetches with appendAsFollower, and either replica restarts cleanly or
// abruptly. After every fetch the follower's log is a prefix of the leader's, byte for byte, with the same
// epoch cache over that prefix; when fully caught up the two logs are identical.
import { afterEach, describe, expect, it } from 'vitest';
import type { Log } from '../../storage/log.js';
import { batch, cleanupTempDirs, openLog, tempDir } from './helpers/env.js';
import { mulberry32 } from '../helpers/seeded-random.js';

afterEach(cleanupTempDirs);


const CONFIG = { 'segment.bytes': 400, 'index.interval.bytes': 64 };

interface Replica {
  dir: string;
  log: Log;
}

function batches(log: Log): Buffer[] {
  const out: Buffer[] = [];
  for (let next = log.logStartOffset, i = 0; next < log.logEndOffset; i++) {
    if (i > 100_000) throw new Error('no progress');
    const raw = Buffer.from(log.readBytes(next, 1 << 20, 'log_end')!);
    for (let pos = 0; pos < raw.length; ) {
      const size = raw.readInt32BE(pos + 8) + 12;
      const base = Number(raw.readBigInt64BE(pos));
      if (base >= next) out.push(raw.subarray(pos, pos + size));
      next = base + raw.readInt32BE(pos + 23) + 1;
      pos += size;
    }
  }
  return out;
}

/**
 * KIP-279 divergence resolution, as Kafka's fetcher does it: ask the leader for the end of the follower's latest
 * epoch; when the leader answers with an epoch the follower does not know, cut to the follower's end of the
 * epoch below and ask again; when it knows it, cut to the smaller of the two ends and stop.
 */
function reconcile(follower: Log, leader: Log): void {
  for (let round = 0; round < 1000; round++) {
    const fe = follower.latestEpoch;
    if (fe < 0) return;
    const answer = leader.endOffsetForEpoch(fe);
    if (answer.leaderEpoch < 0) {
      follower.truncateTo(0);
      return;
    }
    const mine = follower.endOffsetForEpoch(answer.leaderEpoch);
    if (mine.leaderEpoch !== answer.leaderEpoch) {
      follower.truncateTo(Math.min(Math.max(mine.endOffset, 0), follower.logEndOffset));
      if (mine.leaderEpoch < 0) return;
      continue;
    }
    follower.truncateTo(Math.min(answer.endOffset, mine.endOffset, follower.logEndOffset));
    return;
  }
  throw new Error('divergence resolution did not converge');
}

function fetchSome(follower: Log, leader: Log, chunks: number, maxBytes: number): void {
  for (let i = 0; i < chunks && follower.logEndOffset < leader.logEndOffset; i++) {
    follower.appendAsFollower(leader.readBytes(follower.logEndOffset, maxBytes, 'log_end')!);
  }
}

function checkPrefix(follower: Log, leader: Log, where: string): void {
  const f = batches(follower);
  const l = batches(leader);
  expect(f.length, where).toBeLessThanOrEqual(l.length);
  for (let i = 0; i < f.length; i++) expect(f[i]!.equals(l[i]!), `${where}: batch ${i}`).toBe(true);
  // Over the records they share; an epoch that wrote nothing (a leadership with no appends) may differ.
  const end = follower.logEndOffset;
  const shared = (log: Log) => log.epochEntries().filter((e) => e.startOffset < end);
  expect(shared(follower), where).toEqual(shared(leader));
}

describe('replication property', () => {
  it('follower logs stay a prefix of the leader through leader changes, truncations and restarts', () => {
    const seed = Number(process.env.RIVULET_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`replication property seed=${seed} (replay with RIVULET_SEED=${seed})`);
    const rnd = mulberry32(seed);
    const pick = (n: number) => Math.floor(rnd() * n);
    const trials = 6;
    const steps = 60;
    for (let t = 0; t < trials; t++) {
      const replicas: Replica[] = [0, 1].map(() => {
        const dir = tempDir();
        return { dir, log: openLog({ dir, config: CONFIG }) };
      });
      let leader = 0;
      let epoch = 0;
      let written = 0;
      for (let s = 0; s < steps; s++) {
        const where = `seed ${seed} trial ${t} step ${s}`;
        const L = replicas[leader]!;
        const F = replicas[1 - leader]!;
        const op = pick(10);
        if (op < 5) {
          L.log.append(batch(`t${t}-${written++}`, 1 + pick(4), 1_700_000_000_000, pick(60)), { leaderEpoch: epoch });
        } else if (op < 8) {
          reconcile(F.log, L.log);
          fetchSome(F.log, L.log, 1 + pick(3), 80 + pick(400));
          checkPrefix(F.log, L.log, where);
        } else if (op === 8) {
          // Leader change: the follower takes over in a new epoch; the old leader's unreplicated tail diverges.
          leader = 1 - leader;
          epoch++;
          replicas[leader]!.log.maybeAssignEpochStartOffset(epoch, replicas[leader]!.log.logEndOffset);
        } else {
          const r = replicas[pick(2)]!;
          const clean = rnd() < 0.5;
          if (clean) r.log.close();
          else r.log.closeAbruptly();
          r.log = openLog({ dir: r.dir, config: CONFIG, clean, recoveryPoint: clean ? 0 : r.log.recoveryPoint });
        }
      }
      // Catch up fully: identical logs.
      const L = replicas[leader]!.log;
      const F = replicas[1 - leader]!.log;
      reconcile(F, L);
      fetchSome(F, L, 10_000, 1 << 16);
      checkPrefix(F, L, `seed ${seed} trial ${t} final`);
      expect(F.logEndOffset).toBe(L.logEndOffset);
      for (const r of replicas) r.log.close();
    }
  });
});
