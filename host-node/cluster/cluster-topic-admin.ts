// The topic admin operations of a broker in a cluster (CreateTopics, DeleteTopics, CreatePartitions, topic
// configs), whichever broker receives them, as Kafka's ZooKeeper-era brokers did: this broker validates the
// request, computes the replica assignment over the live brokers, writes the topic to etcd with a
// conditional transaction, and answers once the controller has acted on it (every partition has a leader;
// the topic is gone) as seen through this broker's ClusterImage. Deletion is asked of the controller through
// /admin/delete_topics/<t>.
import { ErrorCode } from '../../protocol/errors.js';
import { AssignmentError } from '../controller/assignment-error.js';
import { assignNewPartitions, assignReplicasToBrokers, validateReplicaAssignment, type AssignmentBroker } from '../controller/replica-assignment.js';
import type { BrokerConfig } from '../config/index.js';
import { invalidTopicNameReason, isInternalTopic, newTopicId, unifyCollisionChars } from '../topics/names.js';
import { AdminError, MAX_PARTITIONS_PER_TOPIC, type NewTopic, type TopicInfo } from '../topics/topic-registry.js';
import type { TopicConfigValues } from '../topics/topic-config.js';
import type { ClusterImage, TopicImage } from './cluster-image.js';
import type { EtcdMetadataStore } from './metadata-store.js';
import { waitForImage } from './image-wait.js';
import type { TopicAdmin } from '../topics/topic-admin.js';

/** Writes retried after a conflict with a concurrent change, and the pause between them. */
const MAX_WRITE_ATTEMPTS = 5;
const CONFLICT_BACKOFF_MS = 50;

export interface ClusterTopicAdminOptions {
  readonly store: EtcdMetadataStore;
  readonly image: ClusterImage;
  readonly config: BrokerConfig;
  /** Validates topic config overrides (INVALID_CONFIG) and resolves them over the broker defaults. */
  readonly checkConfigs: (overrides: Readonly<Record<string, string>>) => TopicConfigValues;
  /** How long an operation waits for the controller when the request gives no timeout. */
  readonly defaultTimeoutMs?: number;
}

/**
 * An etcd write of an admin request. etcd unreachable (down, cut off, or the client's circuit breaker
 * open after failures) is a timeout for the client, as Kafka answers when ZooKeeper does not respond,
 * not an unexpected server error.
 */
async function metadataWrite<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (e instanceof AdminError) throw e;
    throw new AdminError(ErrorCode.REQUEST_TIMED_OUT, `The cluster metadata store (etcd) did not take the change: ${(e as Error).message}`);
  }
}

export class ClusterTopicAdmin implements TopicAdmin {
  private readonly store: EtcdMetadataStore;
  private readonly image: ClusterImage;
  private readonly config: BrokerConfig;
  private readonly checkConfigs: ClusterTopicAdminOptions['checkConfigs'];
  private readonly defaultTimeoutMs: number;

  constructor(o: ClusterTopicAdminOptions) {
    this.store = o.store;
    this.image = o.image;
    this.config = o.config;
    this.checkConfigs = o.checkConfigs;
    this.defaultTimeoutMs = o.defaultTimeoutMs ?? 30_000;
  }

  /** The live brokers with their racks, for the replica assignment. */
  private liveBrokers(): AssignmentBroker[] {
    return [...this.image.brokers.values()].map((b) => ({ id: b.brokerId, rack: b.rack }));
  }

  topic(name: string): TopicInfo | undefined {
    const t = this.image.topics.get(name);
    return t && this.topicInfo(t);
  }

  /** The topic as the admin handlers report it. */
  topicInfo(t: TopicImage): TopicInfo {
    const configs = this.image.topicConfigs.get(t.name)?.config ?? {};
    return {
      name: t.name,
      topicId: t.topicId,
      partitions: t.partitions.length,
      replicationFactor: t.partitions[0]?.length ?? 0,
      configs,
      effective: this.checkConfigs(configs),
      isInternal: isInternalTopic(t.name),
      createdMs: 0,
    };
  }

  async createTopicAsync(spec: NewTopic, validateOnly = false, timeoutMs = this.defaultTimeoutMs): Promise<TopicInfo> {
    const { name } = spec;
    const bad = invalidTopicNameReason(name);
    if (bad) throw new AdminError(ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
    if (this.image.topics.has(name)) throw new AdminError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const unified = unifyCollisionChars(name);
    for (const other of this.image.topics.keys())
      if (unifyCollisionChars(other) === unified) throw new AdminError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' collides with existing topic: ${other}`);
    const configs: Record<string, string> = {};
    for (const c of spec.configs ?? []) {
      if (c.value === null) throw new AdminError(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${c.name}`);
      configs[c.name] = c.value;
    }
    const effective = this.checkConfigs(configs);
    const partitions = this.assignmentFor(spec);
    const topicId = newTopicId();
    const info: TopicInfo = {
      name,
      topicId,
      partitions: partitions.length,
      replicationFactor: partitions[0]!.length,
      configs,
      effective,
      isInternal: isInternalTopic(name),
      createdMs: Date.now(),
    };
    if (validateOnly) return info;
    const r = await metadataWrite(() => this.store.createTopic(name, { topicId, partitions, adding: new Map(), removing: new Map() }, configs));
    if (!r.ok)
      throw new AdminError(ErrorCode.TOPIC_ALREADY_EXISTS, r.reason === 'exists' ? `Topic '${name}' already exists.` : `Topic '${name}' is marked for deletion.`);
    await this.waitForLeaders(name, partitions.length, r.revision, timeoutMs);
    return info;
  }

  /** The replica lists of a new topic: the request's explicit assignment, validated, or Kafka's spread over the live brokers. */
  private assignmentFor(spec: NewTopic): number[][] {
    try {
      const explicit = spec.assignments ?? [];
      if (explicit.length > 0) {
        if (spec.numPartitions !== -1 || spec.replicationFactor !== -1)
          throw new AdminError(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
        const byIndex = [...explicit].sort((a, b) => a.partitionIndex - b.partitionIndex);
        byIndex.forEach((a, i) => {
          if (a.partitionIndex !== i) throw new AdminError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be a consecutive 0-based integer sequence');
        });
        const assignment = byIndex.map((a) => [...a.brokerIds]);
        validateReplicaAssignment(assignment, new Set(this.image.brokers.keys()));
        return assignment;
      }
      const n = spec.numPartitions === -1 ? this.config.get('num.partitions') : spec.numPartitions;
      const rf = spec.replicationFactor === -1 ? this.config.get('default.replication.factor') : spec.replicationFactor;
      if (n <= 0) throw new AdminError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
      if (rf <= 0) throw new AdminError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
      if (n > MAX_PARTITIONS_PER_TOPIC) throw new AdminError(ErrorCode.INVALID_PARTITIONS, `Rivulet allows at most ${MAX_PARTITIONS_PER_TOPIC} partitions per topic (asked for ${n}).`);
      return assignReplicasToBrokers(this.liveBrokers(), n, rf);
    } catch (e) {
      throw e instanceof AssignmentError ? new AdminError(e.code, e.message) : e;
    }
  }

  async deleteTopic(name: string, timeoutMs = this.defaultTimeoutMs): Promise<TopicInfo> {
    if (!this.config.get('delete.topic.enable')) throw new AdminError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
    const t = this.image.topics.get(name);
    if (!t) throw new AdminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    if (isInternalTopic(name)) throw new AdminError(ErrorCode.INVALID_REQUEST, `Topic ${name} is an internal topic and cannot be deleted.`);
    const info = this.topicInfo(t);
    await metadataWrite(() => this.store.putAdminRequest({ kind: 'deleteTopic', topic: name }));
    const gone = await waitForImage(this.image, (img) => !img.topics.has(name) || img.topics.get(name)!.topicId !== t.topicId, timeoutMs);
    if (!gone) throw new AdminError(ErrorCode.REQUEST_TIMED_OUT, `Topic ${name} is marked for deletion; the controller has not finished deleting it yet.`);
    return info;
  }

  async createPartitions(
    name: string,
    count: number,
    assignments: readonly { brokerIds: readonly number[] }[] | null,
    validateOnly = false,
    timeoutMs = this.defaultTimeoutMs,
  ): Promise<TopicInfo> {
    const t = this.image.topics.get(name);
    if (!t) throw new AdminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    if (isInternalTopic(name)) throw new AdminError(ErrorCode.INVALID_REQUEST, `Topic ${name} is an internal topic; its partition count cannot change.`);
    const old = t.partitions.length;
    if (count < old) throw new AdminError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${old} partitions, which is higher than the requested ${count}.`);
    if (count === old) throw new AdminError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${old} partitions.`);
    if (count > MAX_PARTITIONS_PER_TOPIC) throw new AdminError(ErrorCode.INVALID_PARTITIONS, `Rivulet allows at most ${MAX_PARTITIONS_PER_TOPIC} partitions per topic (asked for ${count}).`);
    let added: number[][];
    try {
      if (assignments !== null) {
        if (assignments.length !== count - old)
          throw new AdminError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${count - old} additional partition(s), but only ${assignments.length} assignment(s) were specified.`);
        added = assignments.map((a) => [...a.brokerIds]);
        validateReplicaAssignment(added, new Set(this.image.brokers.keys()), t.partitions[0]?.length);
      } else added = assignNewPartitions(this.liveBrokers(), t.partitions, count);
    } catch (e) {
      throw e instanceof AssignmentError ? new AdminError(e.code, e.message) : e;
    }
    const info = { ...this.topicInfo(t), partitions: count };
    if (validateOnly) return info;
    const r = await metadataWrite(() => this.store.updateTopic(name, { topicId: t.topicId, partitions: [...t.partitions, ...added], adding: t.adding, removing: t.removing }, t.modRevision));
    // The topic moved since this broker read it (a reassignment step, another CreatePartitions): the client retries.
    if (!r.ok) throw new AdminError(ErrorCode.REASSIGNMENT_IN_PROGRESS, `Topic ${name} changed while its partitions were being created; try again.`);
    await this.waitForLeaders(name, count, r.revision, timeoutMs);
    return info;
  }

  async setTopicConfigs(name: string, overrides: Readonly<Record<string, string>>, validateOnly = false): Promise<TopicInfo> {
    const t = this.image.topics.get(name);
    if (!t) throw new AdminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    const effective = this.checkConfigs(overrides);
    const info = { ...this.topicInfo(t), configs: { ...overrides }, effective };
    if (validateOnly) return info;
    // The last writer wins, as Kafka's config changes do: a conflict only means this image was behind.
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const r = await metadataWrite(() => this.store.updateTopicConfig(name, overrides, this.image.topicConfigs.get(name)?.modRevision ?? 0));
      if (r.ok) {
        await waitForImage(this.image, (img) => img.revision >= r.revision, this.defaultTimeoutMs);
        return info;
      }
      await waitForImage(this.image, () => false, CONFLICT_BACKOFF_MS);
    }
    throw new AdminError(ErrorCode.UNKNOWN_SERVER_ERROR, `The configs of topic ${name} kept changing while being written.`);
  }

  /** Waits until this broker's image has the topic (at least at `revision`) with a leader for every partition. */
  private async waitForLeaders(name: string, partitions: number, revision: number, timeoutMs: number): Promise<void> {
    if (timeoutMs <= 0) return; // Kafka: a non-positive timeout answers at once, the creation under way
    const ready = await waitForImage(
      this.image,
      (img) => {
        if (img.revision < revision) return false;
        for (let p = 0; p < partitions; p++) if ((img.partitionState(name, p)?.leader ?? -1) < 0) return false;
        return true;
      },
      timeoutMs,
    );
    if (!ready) throw new AdminError(ErrorCode.REQUEST_TIMED_OUT, `Topic ${name} was written, but not every partition had a leader within ${timeoutMs} ms.`);
  }
}
