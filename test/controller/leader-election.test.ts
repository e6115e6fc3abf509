// Kafka's leader election algorithms, as tables: offline (clean, unclean fallback), reassignment,
// preferred, controlled shutdown.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import {
  controlledShutdownPartitionLeaderElection,
  offlinePartitionLeaderElection,
  preferredReplicaPartitionLeaderElection,
  reassignPartitionLeaderElection,
} from '../../host-node/controller/leader-election.js';

const s = (...ids: number[]) => new Set(ids);
const NONE = { error: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE };

describe('offline partition election', () => {
  it.each([
    // assignment, isr, live, unclean, expected
    [[1, 2, 3], [1, 2, 3], s(2, 3), false, { leader: 2, isr: [2, 3], unclean: false }],
    [[1, 2, 3], [3, 2], s(2, 3), false, { leader: 2, isr: [3, 2], unclean: false }],
    [[1, 2, 3], [1, 3], s(2, 3), false, { leader: 3, isr: [3], unclean: false }],
    [[1, 2, 3], [1], s(2, 3), false, NONE],
    [[1, 2, 3], [1], s(2, 3), true, { leader: 2, isr: [2], unclean: true }],
    [[1, 2, 3], [1, 3], s(2, 3), true, { leader: 3, isr: [3], unclean: false }],
    [[1, 2, 3], [1, 2, 3], s(), true, NONE],
  ])('%j isr %j live %o unclean %s', (assignment, isr, live, unclean, expected) => {
    expect(offlinePartitionLeaderElection(assignment, isr, live, unclean)).toEqual(expected);
  });
});

describe('reassignment election', () => {
  it.each([
    [[4, 5, 6], [1, 4, 5, 6], s(1, 4, 5, 6), { leader: 4, isr: [1, 4, 5, 6], unclean: false }],
    [[4, 5, 6], [1, 5, 6], s(1, 4, 5, 6), { leader: 5, isr: [1, 5, 6], unclean: false }],
    [[4, 5, 6], [1, 4, 5, 6], s(1, 6), { leader: 6, isr: [1, 4, 5, 6], unclean: false }],
    [[4, 5], [1, 4, 5], s(1), NONE],
  ])('target %j isr %j live %o', (target, isr, live, expected) => {
    expect(reassignPartitionLeaderElection(target, isr, live)).toEqual(expected);
  });
});

describe('preferred election', () => {
  it.each([
    [[1, 2, 3], [1, 2, 3], s(1, 2, 3), 2, { leader: 1, isr: [1, 2, 3], unclean: false }],
    [[1, 2, 3], [1, 2, 3], s(1, 2, 3), 1, { error: ErrorCode.ELECTION_NOT_NEEDED }],
    [[1, 2, 3], [2, 3], s(1, 2, 3), 2, { error: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE }],
    [[1, 2, 3], [1, 2, 3], s(2, 3), 2, { error: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE }],
  ])('%j isr %j live %o leader %i', (assignment, isr, live, leader, expected) => {
    expect(preferredReplicaPartitionLeaderElection(assignment, isr, live, leader)).toEqual(expected);
  });
});

describe('controlled shutdown election', () => {
  it.each([
    [[1, 2, 3], [1, 2, 3], s(1, 2, 3), s(1), { leader: 2, isr: [2, 3], unclean: false }],
    [[1, 2, 3], [1, 3], s(1, 2, 3), s(1), { leader: 3, isr: [3], unclean: false }],
    [[1, 2, 3], [1, 2, 3], s(1, 2, 3), s(1, 2), { leader: 3, isr: [3], unclean: false }],
    [[1, 2, 3], [1, 2], s(1, 3), s(1), NONE],
    [[1], [1], s(1), s(1), NONE],
  ])('%j isr %j live %o shutting down %o', (assignment, isr, live, down, expected) => {
    expect(controlledShutdownPartitionLeaderElection(assignment, isr, live, down)).toEqual(expected);
  });
});
