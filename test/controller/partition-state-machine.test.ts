// The exact partition states the controller writes: new partitions, broker loss with the leader staying
// or going, offline partitions (NO_LEADER, last ISR kept) coming back, unclean elections, controlled
// shutdown and ElectLeaders.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import {
  initialLeaderAndIsr,
  stateAfterBrokerChange,
  stateForControlledShutdown,
  stateForElection,
} from '../../host-node/controller/partition-state-machine.js';
import { NO_LEADER, type LeaderAndIsr } from '../../host-node/controller/types.js';

const CE = 7;
const st = (leader: number, leaderEpoch: number, isr: number[]): LeaderAndIsr => ({ leader, leaderEpoch, isr, controllerEpoch: 3 });
const sets = (live: number[], shuttingDown: number[] = []) => ({ live: new Set(live), shuttingDown: new Set(shuttingDown) });

describe('new partitions', () => {
  it('first live replica leads, live replicas form the ISR, epoch 0', () => {
    expect(initialLeaderAndIsr([3, 1, 2], new Set([1, 2, 3]), CE)).toEqual({ leader: 3, leaderEpoch: 0, isr: [3, 1, 2], controllerEpoch: CE });
    expect(initialLeaderAndIsr([3, 1, 2], new Set([1, 2]), CE)).toEqual({ leader: 1, leaderEpoch: 0, isr: [1, 2], controllerEpoch: CE });
    expect(initialLeaderAndIsr([3], new Set([1, 2]), CE)).toBeNull();
  });
});

describe('broker changes', () => {
  it.each([
    ['nothing changes', [1, 2, 3], st(1, 4, [1, 2, 3]), [1, 2, 3], false, null],
    ['a follower dies: ISR shrinks, leader and epoch stay', [1, 2, 3], st(1, 4, [1, 2, 3]), [1, 2], false, st(1, 4, [1, 2])],
    ['the leader dies: next ISR member in assignment order, epoch + 1', [1, 2, 3], st(1, 4, [3, 1, 2]), [2, 3], false, st(2, 5, [3, 2])],
    ['leader and followers die', [1, 2, 3], st(1, 4, [1, 2, 3]), [3], false, st(3, 5, [3])],
    ['every ISR member dies: offline, last ISR kept, epoch + 1', [1, 2, 3], st(1, 4, [1, 2]), [3], false, st(NO_LEADER, 5, [1, 2])],
    ['offline stays offline', [1, 2, 3], st(NO_LEADER, 5, [1, 2]), [3], false, null],
    ['an ISR member returns: it leads', [1, 2, 3], st(NO_LEADER, 5, [1, 2]), [2, 3], false, st(2, 6, [2])],
    ['unclean: first live replica, alone in the ISR', [1, 2, 3], st(1, 4, [1, 2]), [3], true, st(3, 5, [3])],
    ['unclean with nobody live: offline', [1, 2, 3], st(1, 4, [1]), [], true, st(NO_LEADER, 5, [1])],
  ])('%s', (_name, replicas, state, live, unclean, expected) => {
    const got = stateAfterBrokerChange(replicas, state, sets(live), unclean, 3);
    expect(got).toEqual(expected);
  });

  it('does not elect a broker in controlled shutdown', () => {
    expect(stateAfterBrokerChange([1, 2, 3], st(1, 4, [1, 2, 3]), sets([2, 3], [2]), false, 3)).toEqual(st(3, 5, [3]));
  });

  it('stamps the controller epoch of the writer', () => {
    expect(stateAfterBrokerChange([1, 2], st(1, 0, [1, 2]), sets([2]), false, CE)?.controllerEpoch).toBe(CE);
  });
});

describe('controlled shutdown', () => {
  it.each([
    ['leader moves to the next ISR member, leaves the ISR', st(1, 2, [1, 2, 3]), 1, [1, 2, 3], st(2, 3, [2, 3])],
    ['a follower leaves the ISR', st(2, 2, [1, 2, 3]), 1, [1, 2, 3], st(2, 2, [2, 3])],
    ['no other ISR member: the leader stays', st(1, 2, [1]), 1, [1, 2, 3], null],
    ['not in the ISR: nothing', st(2, 2, [2, 3]), 1, [1, 2, 3], null],
  ])('%s', (_name, state, broker, live, expected) => {
    expect(stateForControlledShutdown([1, 2, 3], state, broker, sets(live, [broker]), 3)).toEqual(expected);
  });
});

describe('ElectLeaders', () => {
  it('preferred moves leadership to the head of the assignment', () => {
    expect(stateForElection('preferred', [1, 2, 3], st(2, 5, [1, 2, 3]), sets([1, 2, 3]), 3)).toEqual(st(1, 6, [1, 2, 3]));
    expect(stateForElection('preferred', [1, 2, 3], st(1, 5, [1, 2, 3]), sets([1, 2, 3]), 3)).toEqual({ error: ErrorCode.ELECTION_NOT_NEEDED });
    expect(stateForElection('preferred', [1, 2, 3], st(2, 5, [2, 3]), sets([1, 2, 3]), 3)).toEqual({ error: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE });
  });
  it('unclean elects a live out-of-sync replica for an offline partition only', () => {
    expect(stateForElection('unclean', [1, 2, 3], st(NO_LEADER, 5, [1]), sets([2, 3]), 3)).toEqual(st(2, 6, [2]));
    expect(stateForElection('unclean', [1, 2, 3], st(1, 5, [1]), sets([1, 2, 3]), 3)).toEqual({ error: ErrorCode.ELECTION_NOT_NEEDED });
    expect(stateForElection('unclean', [1, 2, 3], st(NO_LEADER, 5, [1]), sets([]), 3)).toEqual({ error: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE });
  });
});
