// Kafka's PartitionLeaderElectionAlgorithms: who leads a partition after a failure, a reassignment, a
// preferred election or a controlled shutdown, and the ISR that goes with it. Each returns the new
// {leader, isr} or, when nobody is eligible, the Kafka error that says why.
import { ErrorCode } from '../../protocol/errors.js';

export interface Election {
  readonly leader: number;
  readonly isr: readonly number[];
  /** True when the leader was taken from outside the ISR (an unclean election). */
  readonly unclean: boolean;
}

export type ElectionResult = Election | { readonly error: number };

export function isElected(r: ElectionResult): r is Election {
  return !('error' in r);
}

/**
 * Leader lost: the first replica in assignment order that is live and in the ISR; the ISR loses its dead
 * members. Unclean (allowed): the first live replica, alone in the ISR.
 */
export function offlinePartitionLeaderElection(assignment: readonly number[], isr: readonly number[], live: ReadonlySet<number>, uncleanAllowed: boolean): ElectionResult {
  const clean = assignment.find((id) => live.has(id) && isr.includes(id));
  if (clean !== undefined) return { leader: clean, isr: isr.filter((id) => live.has(id)), unclean: false };
  if (uncleanAllowed) {
    const any = assignment.find((id) => live.has(id));
    if (any !== undefined) return { leader: any, isr: [any], unclean: true };
  }
  return { error: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE };
}

/** Reassignment: the first target replica that is live and in the ISR; the ISR is kept. */
export function reassignPartitionLeaderElection(target: readonly number[], isr: readonly number[], live: ReadonlySet<number>): ElectionResult {
  const leader = target.find((id) => live.has(id) && isr.includes(id));
  return leader === undefined ? { error: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE } : { leader, isr, unclean: false };
}

/**
 * Preferred: the head of the assignment when it is live and in the ISR. Already leading →
 * ELECTION_NOT_NEEDED; not eligible → PREFERRED_LEADER_NOT_AVAILABLE.
 */
export function preferredReplicaPartitionLeaderElection(assignment: readonly number[], isr: readonly number[], live: ReadonlySet<number>, currentLeader: number): ElectionResult {
  const head = assignment[0];
  if (head === undefined) return { error: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE };
  if (head === currentLeader) return { error: ErrorCode.ELECTION_NOT_NEEDED };
  if (!live.has(head) || !isr.includes(head)) return { error: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE };
  return { leader: head, isr, unclean: false };
}

/**
 * Controlled shutdown: the first replica that is live, in the ISR and not shutting down; the brokers
 * shutting down leave the ISR.
 */
export function controlledShutdownPartitionLeaderElection(assignment: readonly number[], isr: readonly number[], live: ReadonlySet<number>, shuttingDown: ReadonlySet<number>): ElectionResult {
  const leader = assignment.find((id) => live.has(id) && isr.includes(id) && !shuttingDown.has(id));
  if (leader === undefined) return { error: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE };
  return { leader, isr: isr.filter((id) => !shuttingDown.has(id)), unclean: false };
}
