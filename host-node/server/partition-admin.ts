// The decisions behind ElectLeaders, AlterPartitionReassignments and ListPartitionReassignments, as two
// services the handlers call: LeaderElections and PartitionReassignments. A broker in a cluster supplies
// implementations that go through the controller; a single broker uses the ones below, which answer what
// Kafka answers when the cluster is one broker (it leads every partition, so nothing ever needs to move).
import { ErrorCode } from '../../protocol/errors.js';
import type { PartitionMetadata, TopicMetadataSource } from '../topics/metadata.js';

/** ElectLeaders' ElectionType (Kafka's ids: 0 preferred, 1 unclean). */
export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;
export type ElectionType = (typeof ElectionType)[keyof typeof ElectionType];

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

/** The outcome for one partition: an error code (ELECTION_NOT_NEEDED when its leader already fits) and message. */
export interface PartitionResult extends TopicPartitionRef {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export interface LeaderElections {
  /**
   * Elects leaders of `partitions` (null = every partition; then only those that needed an election are
   * answered). Resolves once the elections are done or `timeoutMs` passed.
   */
  elect(type: ElectionType, partitions: readonly TopicPartitionRef[] | null, timeoutMs: number): Promise<PartitionResult[]>;
}

/** A target replica list for a partition; null cancels the partition's ongoing reassignment. */
export interface ReassignmentRequest extends TopicPartitionRef {
  readonly target: readonly number[] | null;
}

/** A reassignment in progress: the full replica set while it runs, and which replicas come and go. */
export interface OngoingReassignment extends TopicPartitionRef {
  readonly replicas: readonly number[];
  readonly adding: readonly number[];
  readonly removing: readonly number[];
}

export interface PartitionReassignments {
  /** Starts (or cancels) reassignments; one result per request, in request order. */
  alter(requests: readonly ReassignmentRequest[], timeoutMs: number): Promise<PartitionResult[]>;
  /** Reassignments in progress among `partitions` (null = all). */
  list(partitions: readonly TopicPartitionRef[] | null): Promise<OngoingReassignment[]>;
}

const NO_SUCH_PARTITION = 'The partition does not exist.';

function partitionOf(metadata: TopicMetadataSource, ref: TopicPartitionRef): PartitionMetadata | undefined {
  return metadata.topicByName(ref.topic)?.partitions.find((p) => p.partition === ref.partition);
}

/** Elections on a broker that is the whole cluster: this broker leads every partition it has. */
export function singleBrokerElections(metadata: TopicMetadataSource, nodeId: number): LeaderElections {
  const outcome = (type: ElectionType, ref: TopicPartitionRef): PartitionResult => {
    const p = partitionOf(metadata, ref);
    if (!p) return { ...ref, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: NO_SUCH_PARTITION };
    return { ...ref, ...electionOutcome(type, p, nodeId) };
  };
  return {
    async elect(type, partitions) {
      if (partitions !== null) return partitions.map((ref) => outcome(type, ref));
      const needed: PartitionResult[] = [];
      for (const t of metadata.listTopics()) {
        for (const p of t.partitions) {
          const r = { topic: t.name, partition: p.partition, ...electionOutcome(type, p, nodeId) };
          if (r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED) needed.push(r);
        }
      }
      return needed;
    },
  };
}

/**
 * Preferred: not needed when the head of the assignment leads; otherwise it could lead only if it were this
 * broker. Unclean: not needed while there is a leader; a leaderless partition can take this broker when it is
 * a replica.
 */
function electionOutcome(type: ElectionType, p: PartitionMetadata, nodeId: number): { errorCode: number; errorMessage: string | null } {
  if (type === ElectionType.PREFERRED) {
    if (p.leaderId >= 0 && p.leaderId === p.replicas[0]) return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: null };
    return { errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: `Failed to elect leader for partition: preferred replica ${p.replicas[0]} is not alive` };
  }
  if (p.leaderId >= 0) return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: null };
  if (p.replicas.includes(nodeId)) return { errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, errorMessage: 'The partition is offline on its only broker.' };
  return { errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, errorMessage: 'No live replica of the partition.' };
}

/**
 * Reassignments on a broker that is the whole cluster: the only valid target is [this broker], which every
 * partition already has, so it completes at once and none is ever in progress.
 */
export function singleBrokerReassignments(metadata: TopicMetadataSource, nodeId: number): PartitionReassignments {
  return {
    async alter(requests) {
      return requests.map((r) => {
        if (!partitionOf(metadata, r)) return { topic: r.topic, partition: r.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: NO_SUCH_PARTITION };
        if (r.target === null) return { topic: r.topic, partition: r.partition, errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: null };
        const invalid = invalidTarget(r.target, new Set([nodeId]));
        return { topic: r.topic, partition: r.partition, errorCode: invalid ? ErrorCode.INVALID_REPLICA_ASSIGNMENT : ErrorCode.NONE, errorMessage: invalid };
      });
    },
    async list() {
      return [];
    },
  };
}

/** Why a target replica list cannot be used (empty, repeated, negative or unknown broker ids), or null when it can. */
export function invalidTarget(target: readonly number[], liveBrokers: ReadonlySet<number>): string | null {
  if (target.length === 0) return 'Empty replica list specified in partition reassignment.';
  if (new Set(target).size !== target.length) return `Duplicate replica ids in partition reassignment replica list: ${target.join(',')}`;
  if (target.some((id) => id < 0)) return `Invalid broker id in replica list: ${target.join(',')}`;
  const unknown = target.filter((id) => !liveBrokers.has(id));
  if (unknown.length > 0) return `Unknown broker ids ${unknown.join(',')} in replica list ${target.join(',')}; live brokers: ${[...liveBrokers].sort((a, b) => a - b).join(',')}`;
  return null;
}
