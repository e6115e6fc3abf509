// Reassignment steps (Kafka ≥ 2.4): start with adding/removing replicas, wait for the targets to join the
// ISR, complete (leader moved into the target when removed, removed replicas out of the ISR), cancel.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { AssignmentError } from '../../host-node/controller/assignment-error.js';
import {
  cancelReassignment,
  completeReassignment,
  isReassigning,
  isReassignmentComplete,
  originReplicas,
  reassignTo,
  targetReplicas,
  validateReassignmentTarget,
} from '../../host-node/controller/reassignment.js';
import type { LeaderAndIsr, PartitionAssignment } from '../../host-node/controller/types.js';

const plain = (replicas: number[]): PartitionAssignment => ({ replicas, adding: [], removing: [] });
const st = (leader: number, leaderEpoch: number, isr: number[]): LeaderAndIsr => ({ leader, leaderEpoch, isr, controllerEpoch: 2 });
const live = new Set([1, 2, 3, 4, 5, 6]);

describe('start', () => {
  it('puts the target first, then the original, with adding and removing', () => {
    const a = reassignTo(plain([1, 2, 3]), [4, 5, 3]);
    expect(a).toEqual({ replicas: [4, 5, 3, 1, 2], adding: [4, 5], removing: [1, 2] });
    expect(targetReplicas(a)).toEqual([4, 5, 3]);
    expect(originReplicas(a)).toEqual([3, 1, 2]);
    expect(isReassigning(a)).toBe(true);
  });
  it('a reordering only needs no catch-up', () => {
    const a = reassignTo(plain([1, 2, 3]), [3, 2, 1]);
    expect(a).toEqual(plain([3, 2, 1]));
    expect(isReassigning(a)).toBe(false);
  });
  it('a new target while one runs counts from the original', () => {
    const running = reassignTo(plain([1, 2, 3]), [4, 5, 6]);
    expect(reassignTo(running, [1, 2, 4])).toEqual({ replicas: [1, 2, 4, 3], adding: [4], removing: [3] });
  });
});

describe('complete', () => {
  const a = reassignTo(plain([1, 2, 3]), [4, 2]);
  it('waits until every target replica is in the ISR', () => {
    expect(isReassignmentComplete(a, [1, 2, 3])).toBe(false);
    expect(completeReassignment(a, st(1, 3, [1, 2, 3]), live, 5)).toEqual({ error: ErrorCode.REASSIGNMENT_IN_PROGRESS });
  });
  it('moves the leader into the target and shrinks to it', () => {
    expect(completeReassignment(a, st(1, 3, [1, 2, 3, 4]), live, 5)).toEqual({ assignment: plain([4, 2]), state: { leader: 4, leaderEpoch: 4, isr: [2, 4], controllerEpoch: 5 } });
  });
  it('keeps a leader that stays (same leader epoch)', () => {
    expect(completeReassignment(a, st(2, 3, [1, 2, 3, 4]), live, 5)).toEqual({ assignment: plain([4, 2]), state: { leader: 2, leaderEpoch: 3, isr: [2, 4], controllerEpoch: 5 } });
  });
  it('waits when no target replica can lead', () => {
    expect(completeReassignment(a, st(1, 3, [1, 2, 4]), new Set([1]), 5)).toEqual({ error: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE });
  });
});

describe('cancel', () => {
  it('turns the original back into the target', () => {
    const a = reassignTo(plain([1, 2, 3]), [4, 5, 3]);
    const c = cancelReassignment(a);
    expect(c).toEqual({ replicas: [3, 1, 2, 4, 5], adding: [], removing: [4, 5] });
    expect(targetReplicas(c)).toEqual([3, 1, 2]);
    expect(completeReassignment(c, st(4, 6, [1, 2, 3, 4]), live, 5)).toEqual({ assignment: plain([3, 1, 2]), state: { leader: 3, leaderEpoch: 7, isr: [1, 2, 3], controllerEpoch: 5 } });
  });
  it('refuses when nothing runs', () => {
    expect(() => cancelReassignment(plain([1]))).toThrowError(new AssignmentError(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, 'No partition reassignment is in progress.'));
  });
});

describe('target validation', () => {
  it.each([
    [[], 'Empty replica list specified in partition reassignment.'],
    [[1, 1], 'Duplicate replica ids in partition reassignment replica list: 1,1'],
    [[1, 9], 'Replica assignment has brokers that are not alive. Replica list: 1,9, live broker list: 1,2,3'],
  ])('%j', (target, message) => {
    try {
      validateReassignmentTarget(target, new Set([3, 1, 2]));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AssignmentError);
      expect((e as AssignmentError).code).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
      expect((e as AssignmentError).message).toBe(message);
    }
  });
});
