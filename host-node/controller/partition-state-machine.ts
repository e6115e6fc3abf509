// Kafka's partition state changes as pure functions of (replicas, current state, live brokers): the new
// LeaderAndIsr to write, or null when nothing changes. The leader epoch grows by one on every change of
// leader (to NO_LEADER included) and stays when only the ISR changes; the partition epoch is the store's
// (the key's mod revision), not computed here.
import { invariant } from '../../common/invariant.js';
import { ErrorCode } from '../../protocol/errors.js';
import { isElected, controlledShutdownPartitionLeaderElection, offlinePartitionLeaderElection, preferredReplicaPartitionLeaderElection } from './leader-election.js';
import { NO_LEADER, type LeaderAndIsr } from './types.js';

export interface BrokerSets {
  /** Registered brokers. */
  readonly live: ReadonlySet<number>;
  /** Registered brokers in controlled shutdown: alive, but never chosen as a new leader. */
  readonly shuttingDown: ReadonlySet<number>;
}

/** A new partition: the first live replica leads, the live replicas form the ISR; null when none is live. */
export function initialLeaderAndIsr(replicas: readonly number[], live: ReadonlySet<number>, controllerEpoch: number): LeaderAndIsr | null {
  const isr = replicas.filter((id) => live.has(id));
  if (isr.length === 0) return null;
  return { leader: isr[0]!, leaderEpoch: 0, isr, controllerEpoch };
}

/**
 * After brokers came or went. Leader live: dead brokers leave the ISR, the leader and its epoch stay.
 * Leader dead (or none): offline election among live non-shutting-down replicas; with nobody eligible the
 * partition goes (or stays) offline: NO_LEADER with the last ISR kept, so a member of it can lead again
 * when it returns.
 */
export function stateAfterBrokerChange(replicas: readonly number[], state: LeaderAndIsr, brokers: BrokerSets, uncleanAllowed: boolean, controllerEpoch: number): LeaderAndIsr | null {
  const { live } = brokers;
  if (state.leader !== NO_LEADER && live.has(state.leader)) {
    if (state.isr.every((id) => live.has(id))) return null;
    return { leader: state.leader, leaderEpoch: state.leaderEpoch, isr: state.isr.filter((id) => live.has(id)), controllerEpoch };
  }
  const eligible = eligibleBrokers(brokers);
  const e = offlinePartitionLeaderElection(replicas, state.isr, eligible, uncleanAllowed);
  if (isElected(e)) return withLeader(state, e.leader, e.isr, controllerEpoch);
  if (state.leader === NO_LEADER) return null;
  return { leader: NO_LEADER, leaderEpoch: state.leaderEpoch + 1, isr: state.isr, controllerEpoch };
}

/**
 * Controlled shutdown of `broker`: a partition it leads moves to the first eligible ISR member (null when
 * there is none: it keeps leading until it stops); a partition it follows drops it from the ISR.
 */
export function stateForControlledShutdown(replicas: readonly number[], state: LeaderAndIsr, broker: number, brokers: BrokerSets, controllerEpoch: number): LeaderAndIsr | null {
  if (state.leader === broker) {
    const e = controlledShutdownPartitionLeaderElection(replicas, state.isr, brokers.live, new Set([...brokers.shuttingDown, broker]));
    return isElected(e) ? withLeader(state, e.leader, e.isr, controllerEpoch) : null;
  }
  if (!state.isr.includes(broker) || state.leader === NO_LEADER) return null;
  return { leader: state.leader, leaderEpoch: state.leaderEpoch, isr: state.isr.filter((id) => id !== broker), controllerEpoch };
}

/** ElectLeaders: the new state, or the Kafka error (ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ...). */
export function stateForElection(type: 'preferred' | 'unclean', replicas: readonly number[], state: LeaderAndIsr, brokers: BrokerSets, controllerEpoch: number): LeaderAndIsr | { error: number } {
  const eligible = eligibleBrokers(brokers);
  if (type === 'preferred') {
    const e = preferredReplicaPartitionLeaderElection(replicas, state.isr, eligible, state.leader);
    return isElected(e) ? withLeader(state, e.leader, e.isr, controllerEpoch) : e;
  }
  if (state.leader !== NO_LEADER && brokers.live.has(state.leader)) return { error: ErrorCode.ELECTION_NOT_NEEDED };
  const e = offlinePartitionLeaderElection(replicas, state.isr, eligible, true);
  return isElected(e) ? withLeader(state, e.leader, e.isr, controllerEpoch) : e;
}

/** A new leader (and ISR): the leader epoch grows when the leader changes. */
export function withLeader(state: LeaderAndIsr, leader: number, isr: readonly number[], controllerEpoch: number): LeaderAndIsr {
  invariant(isr.includes(leader), 'a new leader is in its ISR');
  return { leader, leaderEpoch: leader === state.leader ? state.leaderEpoch : state.leaderEpoch + 1, isr, controllerEpoch };
}

export function eligibleBrokers(brokers: BrokerSets): ReadonlySet<number> {
  if (brokers.shuttingDown.size === 0) return brokers.live;
  return new Set([...brokers.live].filter((id) => !brokers.shuttingDown.has(id)));
}
