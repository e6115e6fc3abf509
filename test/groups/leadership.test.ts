// A coordinator following the leadership of __consumer_offsets partitions (cluster mode): it serves a
// group only while it leads the group's partition and its groups are loaded, answers NOT_COORDINATOR /
// COORDINATOR_LOAD_IN_PROGRESS otherwise, forgets the groups when leadership moves (pending joins answered
// NOT_COORDINATOR), and reloads what was committed when it leads again. Real logs in a temp dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newCore } from '../../bindings/node.js';
import { GroupCoordinator } from '../../host-node/group/index.js';
import { realFs } from '../../host-node/storage/node-fs.js';
import { ErrorCode } from '../../protocol/errors.js';
import { LogManager, WasmStorageCore } from '../../storage/index.js';
import { ManualClock } from './manual-clock.js';
import { joinParams, offsetsLogsFromManager, settle, track } from './helpers.js';

const PARTITIONS = 5;
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

function coordinator(): GroupCoordinator {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-lead-'));
  const core = newCore();
  const lm = new LogManager({ config: { 'log.dirs': [dir] }, core: new WasmStorageCore(core), fs: realFs, scheduler: false });
  const c = new GroupCoordinator({
    core,
    logs: offsetsLogsFromManager(lm),
    config: { initialRebalanceDelayMs: 0, offsetsTopicPartitions: PARTITIONS },
    clock: new ManualClock(),
    followsLeadership: true,
  });
  c.start();
  cleanup = async () => {
    await c.shutdown();
    await lm.shutdown();
    rmSync(dir, { recursive: true, force: true });
  };
  return c;
}

const commit = (c: GroupCoordinator, groupId: string, offset: bigint) =>
  c.commitOffsets({
    groupId,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: 't', partitions: [{ partition: 0, offset, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] }],
  });

const fetched = (c: GroupCoordinator, groupId: string) => {
  const r = c.fetchOffsets(groupId, [{ name: 't', partitions: [0] }]);
  return { errorCode: r.errorCode, offset: r.topics[0]?.partitions[0]?.offset };
};

describe('a coordinator following leadership', () => {
  it('serves a group only while leading its loaded partition, and reloads the commits when it leads again', async () => {
    const c = coordinator();
    const g = 'orders-app';
    const p = c.partitionFor(g);
    expect(c.groupError(g)).toBe(ErrorCode.NOT_COORDINATOR);
    expect(fetched(c, g).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await c.join(joinParams(g))).errorCode).toBe(ErrorCode.NOT_COORDINATOR);

    c.onBecomeLeader(p);
    expect(c.groupError(g)).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(c.list().errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    await settle();
    expect(c.groupError(g)).toBe(ErrorCode.NONE);
    expect((await commit(c, g, 42n))[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(fetched(c, g)).toEqual({ errorCode: ErrorCode.NONE, offset: 42n });

    // A join waiting in the join phase when leadership moves away is answered NOT_COORDINATOR.
    const other = ['a', 'b', 'c', 'd', 'e', 'f'].map((s) => `other-${s}`).find((id) => c.partitionFor(id) !== p)!;
    const q = c.partitionFor(other);
    c.onBecomeLeader(q);
    await settle();
    const pending = track(c.join(joinParams(other, { rebalanceTimeoutMs: 60_000 })));
    await settle();
    expect(pending.done).toBe(false);
    c.onResign(q);
    await settle();
    expect(pending.done).toBe(true);
    expect(pending.value!.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(c.group(other)).toBeUndefined();
    // The group of the partition still led is untouched.
    expect(fetched(c, g)).toEqual({ errorCode: ErrorCode.NONE, offset: 42n });

    c.onResign(p);
    expect(c.group(g)).toBeUndefined();
    expect(fetched(c, g).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await commit(c, g, 50n))[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_COORDINATOR);

    c.onBecomeLeader(p);
    await settle();
    expect(fetched(c, g)).toEqual({ errorCode: ErrorCode.NONE, offset: 42n });
  });

  it('skips a load whose leadership ended before it ran', async () => {
    const c = coordinator();
    const g = 'short-lived';
    const p = c.partitionFor(g);
    c.onBecomeLeader(p);
    c.onResign(p);
    await settle();
    expect(c.groupError(g)).toBe(ErrorCode.NOT_COORDINATOR);
  });
});
