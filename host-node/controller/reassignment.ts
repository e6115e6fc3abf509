// Partition reassignment steps with Kafka ≥ 2.4's adding/removing replicas (KIP-455). Start: replicas =
// target then the original's others, adding = target − original, removing = original − target. The
// new replicas catch up and join the ISR (their leader adds them); once every target replica is in the
// ISR the controller completes: a leader being removed hands over to the first live in-ISR target
// replica, the removed replicas leave the ISR, replicas = target. Cancel turns the target back into the
// original, and completes the same way.
import { ErrorCode } from '../../protocol/errors.js';
import { AssignmentError } from './assignment-error.js';
import { isElected, reassignPartitionLeaderElection } from './leader-election.js';
import { withLeader } from './partition-state-machine.js';
import { NO_LEADER, type LeaderAndIsr, type PartitionAssignment } from './types.js';

export function isReassigning(a: PartitionAssignment): boolean {
  return a.adding.length > 0 || a.removing.length > 0;
}

/** The replicas the partition ends with. */
export function targetReplicas(a: PartitionAssignment): number[] {
  return a.replicas.filter((id) => !a.removing.includes(id));
}

/** The replicas the partition had before the reassignment. */
export function originReplicas(a: PartitionAssignment): number[] {
  return a.replicas.filter((id) => !a.adding.includes(id));
}

/** A target replica list as AlterPartitionReassignments accepts it: non-empty, distinct, registered brokers. */
export function validateReassignmentTarget(target: readonly number[], brokers: ReadonlySet<number>): void {
  const bad = (m: string) => new AssignmentError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, m);
  if (target.length === 0) throw bad('Empty replica list specified in partition reassignment.');
  if (new Set(target).size !== target.length) throw bad(`Duplicate replica ids in partition reassignment replica list: ${target.join(',')}`);
  if (target.some((id) => id < 0)) throw bad(`Invalid broker id in replica list: ${target.join(',')}`);
  const unknown = target.filter((id) => !brokers.has(id));
  if (unknown.length > 0)
    throw bad(`Replica assignment has brokers that are not alive. Replica list: ${target.join(',')}, live broker list: ${[...brokers].sort((x, y) => x - y).join(',')}`);
}

/** Start (or redirect) a reassignment to `target`, counting from the original replicas. */
export function reassignTo(current: PartitionAssignment, target: readonly number[]): PartitionAssignment {
  const origin = originReplicas(current);
  const replicas = [...new Set([...target, ...origin])];
  return { replicas, adding: replicas.filter((id) => !origin.includes(id)), removing: replicas.filter((id) => !target.includes(id)) };
}

/** Cancel: the original replicas become the target again; NO_REASSIGNMENT_IN_PROGRESS when none runs. */
export function cancelReassignment(current: PartitionAssignment): PartitionAssignment {
  if (!isReassigning(current)) throw new AssignmentError(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, 'No partition reassignment is in progress.');
  const origin = originReplicas(current);
  return { replicas: [...origin, ...current.adding], adding: [], removing: [...current.adding] };
}

export function isReassignmentComplete(a: PartitionAssignment, isr: readonly number[]): boolean {
  return targetReplicas(a).every((id) => isr.includes(id));
}

export interface CompletedReassignment {
  readonly assignment: PartitionAssignment;
  readonly state: LeaderAndIsr;
}

/**
 * The last step, once every target replica is in the ISR: replicas = target, the ISR without the removed
 * replicas, the leader moved into the target when it is being removed or dead. An error when no target
 * replica is eligible to lead (the reassignment waits).
 */
export function completeReassignment(a: PartitionAssignment, state: LeaderAndIsr, live: ReadonlySet<number>, controllerEpoch: number): CompletedReassignment | { error: number } {
  const target = targetReplicas(a);
  if (!isReassignmentComplete(a, state.isr)) return { error: ErrorCode.REASSIGNMENT_IN_PROGRESS };
  const isr = state.isr.filter((id) => target.includes(id));
  let leader = state.leader;
  if (!target.includes(leader) || !live.has(leader)) {
    const e = reassignPartitionLeaderElection(target, isr, live);
    if (!isElected(e)) return e;
    leader = e.leader;
  }
  return { assignment: { replicas: target, adding: [], removing: [] }, state: withLeader(state, leader, isr, controllerEpoch) };
}

/**
 * Redirecting a running reassignment drops the replicas that are neither in the new target nor original:
 * they leave the ISR, and a leader among them hands over to the first live ISR member of `replicas`
 * (NO_LEADER when none). Null when the state does not change; refused when no ISR member would be left.
 */
export function stateWithoutReplicas(state: LeaderAndIsr, dropped: readonly number[], replicas: readonly number[], live: ReadonlySet<number>, controllerEpoch: number): LeaderAndIsr | null {
  if (!state.isr.some((id) => dropped.includes(id)) && !dropped.includes(state.leader)) return null;
  const isr = state.isr.filter((id) => !dropped.includes(id));
  if (isr.length === 0)
    throw new AssignmentError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The new target would drop every in-sync replica (${state.isr.join(',')}).`);
  if (!dropped.includes(state.leader)) return { leader: state.leader, leaderEpoch: state.leaderEpoch, isr, controllerEpoch };
  const e = reassignPartitionLeaderElection(replicas, isr, live);
  if (isElected(e)) return withLeader(state, e.leader, isr, controllerEpoch);
  return { leader: NO_LEADER, leaderEpoch: state.leaderEpoch + 1, isr, controllerEpoch };
}
