// Kafka's ControllerContext: the controller's in-memory copy of the metadata, updated from the events it
// receives and from its own committed writes (so the next write compares the right revisions).
import { invariantViolation } from '../../common/invariant.js';
import type { MetadataWrite } from './controller-port.js';
import type { BrokerSets } from './partition-state-machine.js';
import {
  partitionKey,
  type BrokerRegistration,
  type ControllerImage,
  type ElectionRequest,
  type PartitionState,
  type ReassignmentRequest,
  type ShutdownRequest,
  type TopicRecord,
  type Versioned,
} from './types.js';

export class ControllerContext {
  readonly brokers: Map<number, BrokerRegistration>;
  readonly topics: Map<string, Versioned<TopicRecord>>;
  readonly topicConfigs: Map<string, Versioned<Readonly<Record<string, string>>>>;
  readonly partitions: Map<string, PartitionState>;
  readonly deletions: Map<string, Versioned<null>>;
  readonly reassignments: Map<string, Versioned<ReassignmentRequest>>;
  readonly elections: Map<string, Versioned<ElectionRequest>>;
  readonly shutdowns: Map<number, Versioned<ShutdownRequest>>;
  /** Brokers in controlled shutdown (by id → the broker epoch that asked), until they re-register or expire. */
  readonly shuttingDown = new Map<number, number>();

  constructor(
    image: ControllerImage,
    readonly controllerEpoch: number,
    readonly fence: number,
  ) {
    this.brokers = new Map(image.brokers);
    this.topics = new Map(image.topics);
    this.topicConfigs = new Map(image.topicConfigs);
    this.partitions = new Map(image.partitions);
    this.deletions = new Map(image.deletions);
    this.reassignments = new Map(image.reassignments);
    this.elections = new Map(image.elections);
    this.shutdowns = new Map(image.shutdowns);
  }

  /** A fresh read of the store, keeping who is shutting down (that lives only here). */
  reloaded(image: ControllerImage): ControllerContext {
    const next = new ControllerContext(image, this.controllerEpoch, this.fence);
    for (const [id, epoch] of this.shuttingDown) if (image.brokers.get(id)?.epoch === epoch) next.shuttingDown.set(id, epoch);
    return next;
  }

  brokerSets(): BrokerSets {
    return { live: new Set(this.brokers.keys()), shuttingDown: new Set(this.shuttingDown.keys()) };
  }

  /** The topic's `unclean.leader.election.enable` override, else the broker default. */
  uncleanAllowed(topic: string, brokerDefault: boolean): boolean {
    const v = this.topicConfigs.get(topic)?.value['unclean.leader.election.enable'];
    return v === undefined ? brokerDefault : v === 'true';
  }

  /** Applies writes the store accepted at `revision`. */
  apply(writes: readonly MetadataWrite[], revision: number): void {
    for (const w of writes) this.applyOne(w, revision);
  }

  private applyOne(w: MetadataWrite, revision: number): void {
    switch (w.kind) {
      case 'putPartitionState':
        this.partitions.set(partitionKey(w.topic, w.partition), { ...w.state, partitionEpoch: revision });
        return;
      case 'deletePartitionState':
        this.partitions.delete(partitionKey(w.topic, w.partition));
        return;
      case 'putTopic':
        this.topics.set(w.topic.name, { value: w.topic, modRevision: revision });
        return;
      case 'deleteTopic':
        this.topics.delete(w.topic);
        return;
      case 'deleteTopicConfig':
        this.topicConfigs.delete(w.topic);
        return;
      case 'deleteDeletionRequest':
        this.deletions.delete(w.topic);
        return;
      case 'deleteReassignmentRequest':
        this.reassignments.delete(partitionKey(w.topic, w.partition));
        return;
      case 'deleteElectionRequest':
        this.elections.delete(partitionKey(w.topic, w.partition));
        return;
      case 'deleteShutdownRequest':
        this.shutdowns.delete(w.brokerId);
        return;
      default:
        throw invariantViolation(`unknown metadata write ${(w as { kind: string }).kind}`);
    }
  }
}
