// Admin operations: topics (create, delete, list, describe, add partitions), configs (describe, alter,
// incremental alter), records (delete up to an offset), offsets (ListOffsets), leader elections,
// partition reassignments and ACLs (create, describe, delete); SCRAM credentials and client quotas. Each method throws a KafkaProtocolError (name + code + the broker's message) for
// the first resource that failed — except electLeaders and alterPartitionReassignments, whose per-partition
// outcomes are returned (tools report every partition), and the SCRAM credential methods, whose per-user
// outcomes are returned.
import { ApiKey } from '../../protocol/generated/index.js';
import { ZERO_UUID } from '../../protocol/wire/uuid.js';
import { Cluster, type ClusterOptions, type TopicInfo, type BrokerInfo } from './cluster.js';
import type { TopicPartition } from './consumer.js';
import { KafkaClientError, KafkaProtocolError, throwIfError } from '../../client/errors.js';
import type { AclBinding, AclBindingFilter } from '../security/acl.js';
import { randomBytes } from 'node:crypto';
import { saltedPassword } from '../security/scram.js';
import type { ScramMechanism } from '../security/security-store.js';

/** ConfigResource types (Kafka's ConfigResource.Type ids). */
export const ConfigResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;
/** IncrementalAlterConfigs operations. */
const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
/** ConfigSource ids in DescribeConfigs responses. */
export const ConfigSource = {
  UNKNOWN: 0, DYNAMIC_TOPIC_CONFIG: 1, DYNAMIC_BROKER_CONFIG: 2, DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5, DYNAMIC_BROKER_LOGGER_CONFIG: 6, CLIENT_METRICS_CONFIG: 7,
} as const;

/** Special ListOffsets timestamps. */
export const OffsetSpec = { LATEST: -1n, EARLIEST: -2n, MAX_TIMESTAMP: -3n } as const;

export interface NewTopic {
  name: string;
  /** -1 = the broker's num.partitions. */
  numPartitions?: number;
  /** -1 = the broker's default.replication.factor. */
  replicationFactor?: number;
  /** Explicit replica assignment: partition → broker ids (then numPartitions/replicationFactor must be -1). */
  assignments?: Record<number, number[]>;
  configs?: Record<string, string>;
}

export interface CreatedTopic {
  name: string;
  topicId: string;
  numPartitions: number;
  replicationFactor: number;
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  source: number;
  isSensitive: boolean;
  /** With includeSynonyms: every source of the value, highest precedence first. */
  synonyms: { name: string; value: string | null; source: number }[];
}

export interface ConfigResource {
  type: number;
  name: string;
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  leaderEpoch: number;
}

export interface TopicDescription extends TopicInfo {}

export interface ClusterDescription {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
}

/** ElectLeaders' election types (Kafka's ElectionType ids). */
export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

/** One partition's outcome of electLeaders / alterPartitionReassignments (errorCode 0 = done). */
export interface PartitionOutcome extends TopicPartition {
  errorCode: number;
  errorMessage: string | null;
}

/** A reassignment in progress (ListPartitionReassignments). */
export interface PartitionReassignment extends TopicPartition {
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

/** Kafka's ScramMechanism type ids on the wire. */
const SCRAM_MECHANISM_TYPES: Record<ScramMechanism, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };
const SCRAM_MECHANISM_NAMES = new Map<number, ScramMechanism>([[1, 'SCRAM-SHA-256'], [2, 'SCRAM-SHA-512']]);
/** Kafka's default iterations for a new SCRAM credential (kafka-configs.sh, ScramCredentialUpsertion). */
export const DEFAULT_SCRAM_ITERATIONS = 4096;

/** One change of alterUserScramCredentials: a new credential for `password` (salted here), or a deletion. */
export type UserScramCredentialAlteration =
  | { user: string; mechanism: ScramMechanism; password: string; iterations?: number }
  | { user: string; mechanism: ScramMechanism; delete: true };

/** A user's outcome (errorCode 0 = done). */
export interface UserOutcome {
  user: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface UserScramCredentialsDescription extends UserOutcome {
  /** The mechanisms the user has a credential for, with their iterations (empty on an error). */
  credentials: Array<{ mechanism: ScramMechanism | 'UNKNOWN'; iterations: number }>;
}

/** A client-quota entity: entity type ('user', 'client-id', 'ip') → name, null for the default entity. */
export type ClientQuotaEntity = Record<string, string | null>;

/** DescribeClientQuotas match types. */
export const QuotaMatchType = { EXACT: 0, DEFAULT: 1, ANY: 2 } as const;

export interface ClientQuotaFilterComponent {
  entityType: string;
  /** EXACT (with `match`), DEFAULT (the default entity) or ANY (any named entity). */
  matchType: number;
  match?: string | null;
}

export interface ClientQuotaAlteration {
  entity: ClientQuotaEntity;
  /** key → value, or null to remove the key. */
  ops: Record<string, number | null>;
}

export interface AdminOptions {
  /** Broker-side timeout for topic operations (default 30 s). */
  timeoutMs?: number;
}

export class Admin {
  readonly cluster: Cluster;
  private readonly owned: boolean;
  private readonly timeoutMs: number;

  /** Use an existing Cluster (shared connections) or options to create one. */
  constructor(cluster: Cluster | ClusterOptions, options: AdminOptions = {}) {
    this.owned = !(cluster instanceof Cluster);
    this.cluster = cluster instanceof Cluster ? cluster : new Cluster(cluster);
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async connect(): Promise<void> {
    await this.cluster.connect();
  }

  async close(): Promise<void> {
    if (this.owned) await this.cluster.close();
  }

  /** Cluster id, controller and brokers (Metadata). */
  async describeCluster(): Promise<ClusterDescription> {
    const md = await this.cluster.refreshMetadata([]);
    return { clusterId: md.clusterId, controllerId: md.controllerId, brokers: md.brokers };
  }

  /** Creates topics (CreateTopics, sent to the controller). */
  async createTopics(topics: NewTopic[], opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<CreatedTopic[]> {
    const res = await this.cluster.withRetries('CreateTopics', async () => {
      const conn = await this.cluster.controllerConnection();
      const r = await conn.send(ApiKey.CreateTopics, {
        topics: topics.map((t) => ({
          name: t.name,
          numPartitions: t.assignments ? -1 : (t.numPartitions ?? -1),
          replicationFactor: t.assignments ? -1 : (t.replicationFactor ?? -1),
          assignments: Object.entries(t.assignments ?? {}).map(([p, ids]) => ({ partitionIndex: Number(p), brokerIds: ids })),
          configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
        timeoutMs: opts.timeoutMs ?? this.timeoutMs,
        validateOnly: opts.validateOnly ?? false,
      });
      const notController = r.topics.find((t) => t.errorCode === 41);
      if (notController) throw new KafkaProtocolError(41, `create topic '${notController.name}'`, notController.errorMessage);
      return r;
    });
    for (const t of res.topics) throwIfError(t.errorCode, `create topic '${t.name}'`, t.errorMessage);
    this.cluster.addTopics(topics.map((t) => t.name));
    return res.topics.map((t) => ({ name: t.name, topicId: t.topicId, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor }));
  }

  /** Deletes topics by name (DeleteTopics, sent to the controller). */
  async deleteTopics(names: string[], opts: { timeoutMs?: number } = {}): Promise<void> {
    const res = await this.cluster.withRetries('DeleteTopics', async () => {
      const conn = await this.cluster.controllerConnection();
      const v = conn.version(ApiKey.DeleteTopics);
      const r = await conn.send(
        ApiKey.DeleteTopics,
        v >= 6 ? { topics: names.map((name) => ({ name, topicId: ZERO_UUID })), timeoutMs: opts.timeoutMs ?? this.timeoutMs } : { topicNames: names, timeoutMs: opts.timeoutMs ?? this.timeoutMs },
        { version: v },
      );
      const nc = r.responses.find((t) => t.errorCode === 41);
      if (nc) throw new KafkaProtocolError(41, `delete topic '${nc.name}'`, nc.errorMessage);
      return r;
    });
    for (const t of res.responses) throwIfError(t.errorCode, `delete topic '${t.name}'`, t.errorMessage);
  }

  /** Topic names (Metadata for all topics); internal topics only when asked. */
  async listTopics(opts: { includeInternal?: boolean } = {}): Promise<string[]> {
    const md = await this.cluster.refreshMetadata(null);
    return md.topics.filter((t) => opts.includeInternal || !t.isInternal).map((t) => t.name).sort();
  }

  /** Topic metadata (Metadata): partitions, leaders, replicas, ISR. Omitted names = every topic. */
  async describeTopics(names?: string[]): Promise<TopicDescription[]> {
    const md = await this.cluster.refreshMetadata(names && names.length > 0 ? names : null);
    if (names) {
      for (const n of names) {
        const code = md.topicErrors.get(n);
        if (code !== undefined && !md.topics.some((t) => t.name === n)) throw new KafkaProtocolError(code, `describe topic '${n}'`);
      }
    }
    return md.topics.slice().sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Raises topics' partition counts (CreatePartitions). */
  async createPartitions(topics: Array<{ topic: string; count: number; assignments?: number[][] }>, opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const res = await this.cluster.withRetries('CreatePartitions', async () => {
      const conn = await this.cluster.controllerConnection();
      const r = await conn.send(ApiKey.CreatePartitions, {
        topics: topics.map((t) => ({ name: t.topic, count: t.count, assignments: t.assignments ? t.assignments.map((brokerIds) => ({ brokerIds })) : null })),
        timeoutMs: opts.timeoutMs ?? this.timeoutMs,
        validateOnly: opts.validateOnly ?? false,
      });
      const nc = r.results.find((t) => t.errorCode === 41);
      if (nc) throw new KafkaProtocolError(41, `create partitions for '${nc.name}'`, nc.errorMessage);
      return r;
    });
    for (const t of res.results) throwIfError(t.errorCode, `create partitions for '${t.name}'`, t.errorMessage);
  }

  /** Configs of topics/brokers (DescribeConfigs). `keys` null = all. */
  async describeConfigs(resources: Array<ConfigResource & { keys?: string[] | null }>, opts: { includeSynonyms?: boolean; includeDocumentation?: boolean } = {}): Promise<Array<ConfigResource & { configs: ConfigEntry[] }>> {
    const conn = await this.connectionForConfig(resources);
    const res = await conn.send(ApiKey.DescribeConfigs, {
      resources: resources.map((r) => ({ resourceType: r.type, resourceName: r.name, configurationKeys: r.keys ?? null })),
      includeSynonyms: opts.includeSynonyms ?? false,
      includeDocumentation: opts.includeDocumentation ?? false,
    });
    return res.results.map((r) => {
      throwIfError(r.errorCode, `describe configs of ${resourceLabel(r.resourceType)} '${r.resourceName}'`, r.errorMessage);
      return {
        type: r.resourceType,
        name: r.resourceName,
        configs: r.configs.map((c) => ({ name: c.name, value: c.value, readOnly: c.readOnly, isDefault: c.isDefault || c.configSource === ConfigSource.DEFAULT_CONFIG, source: c.configSource, isSensitive: c.isSensitive, synonyms: (c.synonyms ?? []).map((y) => ({ name: y.name, value: y.value, source: y.source })) })),
      };
    });
  }

  /** Replaces the whole dynamic config of each resource (AlterConfigs, legacy semantics). */
  async alterConfigs(resources: Array<ConfigResource & { configs: Record<string, string | null> }>, opts: { validateOnly?: boolean } = {}): Promise<void> {
    const conn = await this.connectionForConfig(resources);
    const res = await conn.send(ApiKey.AlterConfigs, {
      resources: resources.map((r) => ({ resourceType: r.type, resourceName: r.name, configs: Object.entries(r.configs).map(([name, value]) => ({ name, value })) })),
      validateOnly: opts.validateOnly ?? false,
    });
    for (const r of res.responses) throwIfError(r.errorCode, `alter configs of ${resourceLabel(r.resourceType)} '${r.resourceName}'`, r.errorMessage);
  }

  /** Sets/deletes/appends/subtracts individual keys (IncrementalAlterConfigs). */
  async incrementalAlterConfigs(
    resources: Array<ConfigResource & { ops: Array<{ name: string; op?: number; value?: string | null }> }>,
    opts: { validateOnly?: boolean } = {},
  ): Promise<void> {
    const conn = await this.connectionForConfig(resources);
    const res = await conn.send(ApiKey.IncrementalAlterConfigs, {
      resources: resources.map((r) => ({
        resourceType: r.type,
        resourceName: r.name,
        configs: r.ops.map((o) => ({ name: o.name, configOperation: o.op ?? AlterConfigOp.SET, value: o.value ?? null })),
      })),
      validateOnly: opts.validateOnly ?? false,
    });
    for (const r of res.responses) throwIfError(r.errorCode, `alter configs of ${resourceLabel(r.resourceType)} '${r.resourceName}'`, r.errorMessage);
  }

  /**
   * Elects leaders (ElectLeaders, sent to the controller): ElectionType.PREFERRED or UNCLEAN, for
   * `partitions` or, when null, every partition (then the broker answers only those that needed one).
   * Per-partition outcomes are returned; ELECTION_NOT_NEEDED (84) means the right leader already leads.
   */
  async electLeaders(type: number, partitions: TopicPartition[] | null, opts: { timeoutMs?: number } = {}): Promise<PartitionOutcome[]> {
    const conn = await this.cluster.controllerConnection();
    if (type !== ElectionType.PREFERRED && conn.version(ApiKey.ElectLeaders) < 1) throw new KafkaClientError('the broker supports preferred leader elections only (ElectLeaders v0)');
    const res = await conn.send(ApiKey.ElectLeaders, { electionType: type, topicPartitions: partitions === null ? null : groupPartitions(partitions), timeoutMs: opts.timeoutMs ?? this.timeoutMs });
    throwIfError(res.errorCode, 'elect leaders');
    return res.replicaElectionResults.flatMap((t) => t.partitionResult.map((p) => ({ topic: t.topic, partition: p.partitionId, errorCode: p.errorCode, errorMessage: p.errorMessage })));
  }

  /**
   * Starts reassignments to the given replica lists, or cancels them where `replicas` is null
   * (AlterPartitionReassignments, sent to the controller). Per-partition outcomes are returned.
   */
  async alterPartitionReassignments(reassignments: Array<TopicPartition & { replicas: number[] | null }>, opts: { timeoutMs?: number } = {}): Promise<PartitionOutcome[]> {
    const topics = new Map<string, Array<{ partitionIndex: number; replicas: number[] | null }>>();
    for (const r of reassignments) topics.set(r.topic, [...(topics.get(r.topic) ?? []), { partitionIndex: r.partition, replicas: r.replicas }]);
    const conn = await this.cluster.controllerConnection();
    const res = await conn.send(ApiKey.AlterPartitionReassignments, {
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
      topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
    });
    throwIfError(res.errorCode, 'alter partition reassignments', res.errorMessage);
    return res.responses.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode, errorMessage: p.errorMessage })));
  }

  /** Reassignments in progress among `partitions` (omitted or null = all) (ListPartitionReassignments). */
  async listPartitionReassignments(partitions: TopicPartition[] | null = null, opts: { timeoutMs?: number } = {}): Promise<PartitionReassignment[]> {
    const conn = await this.cluster.controllerConnection();
    const res = await conn.send(ApiKey.ListPartitionReassignments, {
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
      topics: partitions === null ? null : groupPartitions(partitions).map((t) => ({ name: t.topic, partitionIndexes: t.partitions })),
    });
    throwIfError(res.errorCode, 'list partition reassignments', res.errorMessage);
    return res.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas })),
    );
  }

  /**
   * Adds ACLs (CreateAcls). Throws for the first one the broker refused (SECURITY_DISABLED when it runs
   * without an authorizer, INVALID_REQUEST for an ACL Kafka would not store). ACL requests all go to the
   * controller, so a tool that changes and then lists ACLs reads its own writes.
   */
  async createAcls(bindings: readonly AclBinding[]): Promise<void> {
    if (bindings.length === 0) return;
    const conn = await this.cluster.controllerConnection();
    const res = await conn.send(ApiKey.CreateAcls, {
      creations: bindings.map((b) => ({
        resourceType: b.pattern.resourceType,
        resourceName: b.pattern.name,
        resourcePatternType: b.pattern.patternType,
        principal: b.entry.principal,
        host: b.entry.host,
        operation: b.entry.operation,
        permissionType: b.entry.permissionType,
      })),
    });
    res.results.forEach((r, i) => throwIfError(r.errorCode, `create ACL ${i + 1} of ${bindings.length}`, r.errorMessage));
  }

  /** The ACLs matching `filter` (DescribeAcls). */
  async describeAcls(filter: AclBindingFilter): Promise<AclBinding[]> {
    const conn = await this.cluster.controllerConnection();
    const res = await conn.send(ApiKey.DescribeAcls, aclFilterToWire(filter));
    throwIfError(res.errorCode, 'describe ACLs', res.errorMessage);
    return res.resources.flatMap((r) =>
      r.acls.map((a) => ({
        pattern: { resourceType: r.resourceType, name: r.resourceName, patternType: r.patternType } as AclBinding['pattern'],
        entry: { principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType } as AclBinding['entry'],
      })),
    );
  }

  /** Removes the ACLs each filter matches (DeleteAcls); returns, per filter, the ACLs it removed. */
  async deleteAcls(filters: readonly AclBindingFilter[]): Promise<AclBinding[][]> {
    if (filters.length === 0) return [];
    const conn = await this.cluster.controllerConnection();
    const res = await conn.send(ApiKey.DeleteAcls, { filters: filters.map(aclFilterToWire) });
    return res.filterResults.map((f, i) => {
      throwIfError(f.errorCode, `delete ACLs (filter ${i + 1} of ${filters.length})`, f.errorMessage);
      return f.matchingAcls.map((a) => ({
        pattern: { resourceType: a.resourceType, name: a.resourceName, patternType: a.patternType } as AclBinding['pattern'],
        entry: { principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType } as AclBinding['entry'],
      }));
    });
  }

  /**
   * Creates, replaces or deletes users' SCRAM credentials (AlterUserScramCredentials). Passwords never leave
   * this process: each is salted here with a fresh random salt, and only the salted password is sent (the
   * broker derives and keeps the stored and server keys). Per-user outcomes are returned.
   */
  async alterUserScramCredentials(alterations: readonly UserScramCredentialAlteration[]): Promise<UserOutcome[]> {
    const deletions: Array<{ name: string; mechanism: number }> = [];
    const upsertions: Array<{ name: string; mechanism: number; iterations: number; salt: Uint8Array; saltedPassword: Uint8Array }> = [];
    for (const a of alterations) {
      if ('delete' in a) deletions.push({ name: a.user, mechanism: SCRAM_MECHANISM_TYPES[a.mechanism] });
      else {
        const iterations = a.iterations ?? DEFAULT_SCRAM_ITERATIONS;
        const salt = randomBytes(32);
        upsertions.push({ name: a.user, mechanism: SCRAM_MECHANISM_TYPES[a.mechanism], iterations, salt, saltedPassword: saltedPassword(a.mechanism, a.password, salt, iterations) });
      }
    }
    const conn = await this.cluster.controllerConnection();
    const res = await conn.send(ApiKey.AlterUserScramCredentials, { deletions, upsertions });
    return res.results.map((r) => ({ user: r.user, errorCode: r.errorCode, errorMessage: r.errorMessage }));
  }

  /** The SCRAM mechanisms and iterations of `users` (omitted or empty = every user with a credential). */
  async describeUserScramCredentials(users?: readonly string[]): Promise<UserScramCredentialsDescription[]> {
    const conn = await this.cluster.controllerConnection();
    const res = await conn.send(ApiKey.DescribeUserScramCredentials, { users: users && users.length > 0 ? users.map((name) => ({ name })) : null });
    throwIfError(res.errorCode, 'describe SCRAM credentials', res.errorMessage);
    return res.results.map((r) => ({
      user: r.user,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      credentials: r.credentialInfos.map((c) => ({ mechanism: SCRAM_MECHANISM_NAMES.get(c.mechanism) ?? 'UNKNOWN', iterations: c.iterations })),
    }));
  }

  /** Quota entities matching the filter and their values (DescribeClientQuotas). */
  async describeClientQuotas(components: readonly ClientQuotaFilterComponent[], opts: { strict?: boolean } = {}): Promise<Array<{ entity: ClientQuotaEntity; values: Record<string, number> }>> {
    const conn = await this.cluster.controllerConnection();
    const res = await conn.send(ApiKey.DescribeClientQuotas, {
      components: components.map((c) => ({ entityType: c.entityType, matchType: c.matchType, match: c.match ?? null })),
      strict: opts.strict ?? false,
    });
    throwIfError(res.errorCode, 'describe client quotas', res.errorMessage);
    return (res.entries ?? []).map((e) => ({
      entity: Object.fromEntries(e.entity.map((c) => [c.entityType, c.entityName])),
      values: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
    }));
  }

  /** Sets (number) and removes (null) quota values of entities (AlterClientQuotas). */
  async alterClientQuotas(alterations: readonly ClientQuotaAlteration[], opts: { validateOnly?: boolean } = {}): Promise<void> {
    const conn = await this.cluster.controllerConnection();
    const res = await conn.send(ApiKey.AlterClientQuotas, {
      entries: alterations.map((a) => ({
        entity: Object.entries(a.entity).map(([entityType, entityName]) => ({ entityType, entityName })),
        ops: Object.entries(a.ops).map(([key, value]) => ({ key, value: value ?? 0, remove: value === null })),
      })),
      validateOnly: opts.validateOnly ?? false,
    });
    for (const e of res.entries)
      throwIfError(e.errorCode, `alter client quotas of ${e.entity.map((c) => `${c.entityType}=${c.entityName ?? '<default>'}`).join(',')}`, e.errorMessage);
  }

  /** Broker configs go to that broker; topic configs to any broker (the controller when known). */
  private async connectionForConfig(resources: ConfigResource[]) {
    const broker = resources.find((r) => r.type === ConfigResourceType.BROKER && r.name !== '');
    if (broker) return this.cluster.connectionToNode(Number(broker.name));
    return this.cluster.controllerConnection();
  }

  /**
   * Deletes records below `offset` (-1 = high watermark) per partition (DeleteRecords to each leader).
   * Returns the new low watermarks.
   */
  async deleteRecords(topic: string, partitions: Array<{ partition: number; offset: bigint }>, opts: { timeoutMs?: number } = {}): Promise<Array<{ partition: number; lowWatermark: bigint }>> {
    const out: Array<{ partition: number; lowWatermark: bigint }> = [];
    await this.perLeader(topic, partitions, async (conn, parts) => {
      const res = await conn.send(ApiKey.DeleteRecords, {
        topics: [{ name: topic, partitions: parts.map((p) => ({ partitionIndex: p.partition, offset: p.offset })) }],
        timeoutMs: opts.timeoutMs ?? this.timeoutMs,
      });
      for (const t of res.topics) {
        for (const p of t.partitions) {
          throwIfError(p.errorCode, `delete records of ${topic}-${p.partitionIndex}`);
          out.push({ partition: p.partitionIndex, lowWatermark: p.lowWatermark });
        }
      }
    });
    return out.sort((a, b) => a.partition - b.partition);
  }

  /**
   * Offsets by timestamp for partitions of a topic (ListOffsets to each leader): OffsetSpec.EARLIEST,
   * LATEST, MAX_TIMESTAMP or a timestamp in ms (first offset whose timestamp is ≥ it; -1 when none).
   * Omitted partitions = all partitions of the topic.
   */
  async listOffsets(topic: string, spec: bigint | number, partitions?: number[], opts: { isolationLevel?: number } = {}): Promise<TopicPartitionOffset[]> {
    const t = await this.cluster.topic(topic);
    const ps = partitions ?? t.partitions.map((p) => p.partition);
    return listOffsets(this.cluster, topic, ps.map((partition) => ({ partition, timestamp: BigInt(spec) })), opts.isolationLevel ?? 0);
  }

  /** Groups partitions by leader and runs fn per leader, retrying leader moves. */
  private async perLeader<P extends { partition: number }>(topic: string, parts: P[], fn: (conn: Awaited<ReturnType<Cluster['connectionToNode']>>, parts: P[]) => Promise<void>): Promise<void> {
    await this.cluster.withRetries('perLeader', async () => {
      const byLeader = new Map<number, P[]>();
      for (const p of parts) {
        const leader = await this.cluster.leaderFor(topic, p.partition);
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
      }
      await Promise.all([...byLeader].map(async ([leader, ps]) => fn(await this.cluster.connectionToNode(leader), ps)));
    });
  }
}

/** ListOffsets for (partition, timestamp) pairs of one topic, sent to each partition's leader. */
export async function listOffsets(cluster: Cluster, topic: string, parts: Array<{ partition: number; timestamp: bigint }>, isolationLevel = 0): Promise<TopicPartitionOffset[]> {
  return cluster.withRetries('ListOffsets', async () => {
    const byLeader = new Map<number, Array<{ partition: number; timestamp: bigint }>>();
    for (const p of parts) {
      const leader = await cluster.leaderFor(topic, p.partition);
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    }
    const out: TopicPartitionOffset[] = [];
    await Promise.all(
      [...byLeader].map(async ([leader, ps]) => {
        const conn = await cluster.connectionToNode(leader);
        const res = await conn.send(ApiKey.ListOffsets, {
          replicaId: -1,
          isolationLevel,
          topics: [{ name: topic, partitions: ps.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: -1, timestamp: p.timestamp })) }],
        });
        for (const t of res.topics) {
          for (const p of t.partitions) {
            throwIfError(p.errorCode, `list offsets of ${topic}-${p.partitionIndex}`);
            const offset = p.oldStyleOffsets.length > 0 ? p.oldStyleOffsets[0]! : p.offset;
            out.push({ topic, partition: p.partitionIndex, offset, timestamp: p.timestamp, leaderEpoch: p.leaderEpoch });
          }
        }
      }),
    );
    return out.sort((a, b) => a.partition - b.partition);
  });
}

/** Partitions grouped per topic, topics in the order they first appear. */
function groupPartitions(partitions: readonly TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  return [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps }));
}

/** DescribeAcls / DeleteAcls filter fields. */
function aclFilterToWire(f: AclBindingFilter) {
  return {
    resourceTypeFilter: f.resourceType,
    resourceNameFilter: f.name,
    patternTypeFilter: f.patternType,
    principalFilter: f.principal,
    hostFilter: f.host,
    operation: f.operation,
    permissionType: f.permissionType,
  };
}

function resourceLabel(type: number): string {
  return type === ConfigResourceType.TOPIC ? 'topic' : type === ConfigResourceType.BROKER ? 'broker' : `resource type ${type}`;
}
