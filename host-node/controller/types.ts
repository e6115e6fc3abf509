// The cluster metadata the controller reads and decides on, in Kafka's ZooKeeper-era model: broker
// registrations (the broker epoch is the registration's create revision), topics with their replica
// assignment (adding/removing replicas while a reassignment runs), and per partition the leader, leader
// epoch and ISR (the partition epoch is the state key's mod revision). Plain data, no I/O.

/** The leader of a partition that has none (Kafka's LeaderAndIsr.NoLeader). */
export const NO_LEADER = -1;

export interface BrokerRegistration {
  readonly id: number;
  /** `broker.rack`, or null when the broker has none. */
  readonly rack: string | null;
  /** The registration key's create revision: a re-registered broker has a newer one. */
  readonly epoch: number;
}

/** What the controller writes in a partition state key. */
export interface LeaderAndIsr {
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  /** The controller epoch of the controller (or leader) that wrote it. */
  readonly controllerEpoch: number;
}

/** A partition state as read: LeaderAndIsr plus the key's mod revision (the partition epoch). */
export interface PartitionState extends LeaderAndIsr {
  readonly partitionEpoch: number;
}

/**
 * One partition's replicas. While a reassignment runs, `replicas` holds the target and the original
 * together (Kafka ≥ 2.4): `adding` are in the target only, `removing` in the original only.
 */
export interface PartitionAssignment {
  readonly replicas: readonly number[];
  readonly adding: readonly number[];
  readonly removing: readonly number[];
}

export interface TopicRecord {
  readonly name: string;
  readonly topicId: string;
  /** Index = partition id. */
  readonly partitions: readonly PartitionAssignment[];
}

/** A value together with the mod revision of the key it was read from (0: the key is absent). */
export interface Versioned<T> {
  readonly value: T;
  readonly modRevision: number;
}

export type ElectionType = 'preferred' | 'unclean';

/** `/admin/reassign/<t>/<p>`: a target replica list, or null to cancel the partition's reassignment. */
export interface ReassignmentRequest {
  readonly topic: string;
  readonly partition: number;
  readonly target: readonly number[] | null;
}

export interface ElectionRequest {
  readonly topic: string;
  readonly partition: number;
  readonly type: ElectionType;
}

export interface ShutdownRequest {
  readonly brokerId: number;
  readonly brokerEpoch: number;
}

/** Everything the controller knows, as read at one revision (Kafka's ControllerContext). */
export interface ControllerImage {
  readonly brokers: ReadonlyMap<number, BrokerRegistration>;
  readonly topics: ReadonlyMap<string, Versioned<TopicRecord>>;
  /** Topic name → its config overrides (`/config/topics/<t>`). */
  readonly topicConfigs: ReadonlyMap<string, Versioned<Readonly<Record<string, string>>>>;
  /** `${topic}/${partition}` → state; a partition without one has not been initialized yet. */
  readonly partitions: ReadonlyMap<string, PartitionState>;
  readonly deletions: ReadonlyMap<string, Versioned<null>>;
  /** `${topic}/${partition}` → request. */
  readonly reassignments: ReadonlyMap<string, Versioned<ReassignmentRequest>>;
  /** `${topic}/${partition}` → request. */
  readonly elections: ReadonlyMap<string, Versioned<ElectionRequest>>;
  /** Broker id → request. */
  readonly shutdowns: ReadonlyMap<number, Versioned<ShutdownRequest>>;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

export function emptyImage(): ControllerImage {
  return {
    brokers: new Map(),
    topics: new Map(),
    topicConfigs: new Map(),
    partitions: new Map(),
    deletions: new Map(),
    reassignments: new Map(),
    elections: new Map(),
    shutdowns: new Map(),
  };
}
