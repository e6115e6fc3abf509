// The topic registry: every topic this broker hosts (name, topic id, partition count, config overrides),
// persisted in the TopicStore, with each partition's Log in the storage layer's LogManager.
//
// Data-path handlers (Produce, Fetch, ListOffsets, DeleteRecords) use, via ctx.broker.topicRegistry:
//   partitionLog(topic, partition)   → Log | undefined (undefined: unknown topic/partition; throws
//                                      StorageError KAFKA_STORAGE_ERROR if the partition is offline)
//   lookupPartition(topic, partition) → { log } or { errorCode } (never throws)
//   topicConfig(topic)               → the effective TopicConfigValues (overrides over broker defaults)
//   topicNameById(id) / topic(name)  → for requests that name topics by id (Fetch v13+)
// Admin handlers use createTopic / deleteTopic / createPartitions / alterTopicConfigs / describe*.
// Metadata reads it as a TopicMetadataSource (listTopics, topicByName, topicById, autoCreateTopic).
//
// Every change happens synchronously (the files are small and written atomically), so two requests
// never see a half-made topic; deleted partitions are renamed away at once and removed in the background.
import type { BrokerConfig } from '../config/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { LogManager, StorageError, resolveLogConfig, type Log, type LogConfig, type StorageCore, type StorageFs } from '../../storage/index.js';
import { realFs } from '../storage/node-fs.js';
import type { CleanerRunner } from '../../storage/cleaner/clean-job.js';
import type { PartitionMetadata, TopicMetadata, TopicMetadataSource } from './metadata.js';
import type { TopicAdmin } from './topic-admin.js';
import type { Logger } from '../util/log.js';
import { invalidTopicNameReason, isInternalTopic, newTopicId, unifyCollisionChars } from './names.js';
import {
  TopicConfigError,
  defaultTopicConfig,
  logConfigOverrides,
  resolveTopicConfig,
  storageConfigOf,
  type TopicConfigValues,
} from './topic-config.js';
import { TopicStore, type StoredTopic } from './topic-store.js';

/** Rivulet's guard against one request creating an absurd number of partition directories. */
export const MAX_PARTITIONS_PER_TOPIC = 10_000;
/** createTopicAsync creates this many partitions per turn of the event loop. */
const CREATE_SLICE = 64;

/** A refused admin operation: a Kafka error code and message for the response. */
export class AdminError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

export interface TopicInfo {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level overrides, as strings (what DescribeConfigs reports as DYNAMIC_TOPIC_CONFIG). */
  readonly configs: Readonly<Record<string, string>>;
  /** Effective config: overrides over the broker defaults. */
  readonly effective: TopicConfigValues;
  readonly isInternal: boolean;
  readonly createdMs: number;
}

interface TopicEntry extends TopicInfo {
  metadata: TopicMetadata;
}

export interface NewTopic {
  name: string;
  /** -1 → num.partitions (not with assignments). */
  numPartitions: number;
  /** -1 → default.replication.factor (not with assignments). */
  replicationFactor: number;
  /** Explicit replica assignment: partition index → broker ids. */
  assignments?: readonly { partitionIndex: number; brokerIds: readonly number[] }[];
  configs?: readonly { name: string; value: string | null }[];
}

/** What changed, for listeners (e.g. the group coordinator forgetting offsets of a deleted topic). */
export interface TopicChange {
  type: 'created' | 'deleted' | 'partitions' | 'configs';
  topic: TopicInfo;
}

export interface TopicRegistryOptions {
  config: BrokerConfig;
  nodeId: number;
  log: Logger;
  /** The broker's storage core (its one WASM core instance). */
  core: StorageCore;
  fs?: StorageFs;
  now?: () => number;
  /** Run the storage timers (retention, checkpoints). Default true. */
  scheduler?: boolean;
  /** Where the log cleaner's cleanings run (the broker's cleaner threads), for the LogManager; closed by close(). */
  cleanerRunner?: CleanerRunner;
}

export class TopicRegistry implements TopicMetadataSource, TopicAdmin {
  readonly logManager: LogManager;
  private readonly config: BrokerConfig;
  private readonly nodeId: number;
  private readonly log: Logger;
  private readonly now: () => number;
  /** Where the LogManager's cleanings run (none: compacted logs are not cleaned). */
  readonly cleanerRunner: CleanerRunner | undefined;
  private readonly store: TopicStore;
  private defaults: TopicConfigValues;
  private readonly byName = new Map<string, TopicEntry>();
  private readonly byId = new Map<string, TopicEntry>();
  /** unifyCollisionChars(name) → name, for Kafka's `.`/`_` collision check. */
  private readonly collisions = new Map<string, string>();
  private readonly listeners = new Set<(c: TopicChange) => void>();
  /** Topics being created by createTopicAsync (their names are taken; not visible yet). */
  private readonly pending = new Map<string, StoredTopic>();
  /** Set once start-up is over (the stored records no longer stand in for the registry). */
  private loaded = false;

  constructor(o: TopicRegistryOptions) {
    this.config = o.config;
    this.nodeId = o.nodeId;
    this.log = o.log;
    this.now = o.now ?? Date.now;
    this.cleanerRunner = o.cleanerRunner;
    const fs = o.fs ?? realFs;
    this.defaults = defaultTopicConfig(o.config);
    this.store = new TopicStore(TopicStore.chooseLogDir(o.config.logDirs, fs), fs);

    // 1. The stored topics (before the logs load, so each log opens with its topic's config).
    const stored = this.store.loadAll((file, why) => this.log.error(`ignoring malformed topic file ${file}: ${why}`));
    const live = new Map<string, StoredTopic>();
    const deleting: StoredTopic[] = [];
    for (const t of stored) {
      if (t.deleting) deleting.push(t);
      else live.set(t.name, t);
    }
    const logOverrides = (topic: string): Partial<LogConfig> => {
      const t = live.get(topic);
      if (!t) return {};
      try {
        return logConfigOverrides(t.configs);
      } catch (e) {
        this.log.error(`topic ${topic}: ignoring invalid stored config: ${(e as Error).message}`);
        return {};
      }
    };

    // 2. The logs (recovery, checkpoints, clean-shutdown marker).
    this.logManager = new LogManager({
      config: storageConfigOf(o.config),
      core: o.core,
      fs,
      now: o.now,
      scheduler: o.scheduler ?? true,
      cleanerRunner: o.cleanerRunner,
      // The overrides of a topic whose log is being opened: the registry's, or while it is still loading,
      // the stored record's.
      topicConfig: (topic) => {
        const known = this.byName.get(topic) ?? this.pending.get(topic);
        if (known) return logOverridesOf(known.configs);
        return this.loaded ? {} : logOverrides(topic);
      },
    });
    const r = this.logManager.startup;
    if (r.uncleanDirs.length && r.logs > 0)
      this.log.warn(`unclean shutdown of ${r.uncleanDirs.join(', ')}: recovered ${r.recoveredSegments} segment(s), truncated ${r.truncatedBytes} byte(s)`);
    for (const f of r.failedLogs) this.log.error(`partition ${f.topic}-${f.partition} is offline: ${f.error}`);

    // 3. Reconcile: finish interrupted deletions, create missing partitions, adopt orphan directories.
    try {
      this.reconcile(live, deleting);
    } catch (e) {
      this.logManager.crash(); // stop its timers; the next start recovers as after a crash
      throw e;
    }
    this.loaded = true;
    if (this.byName.size > 0) {
      let parts = 0;
      for (const t of this.byName.values()) parts += t.partitions;
      this.log.info(`loaded ${this.byName.size} topic(s) with ${parts} partition(s) (records in ${this.store.dir})`);
    }
  }

  private reconcile(live: Map<string, StoredTopic>, deleting: StoredTopic[]): void {
    const onDisk = this.logManager.partitionsByTopic();
    for (const t of deleting) {
      this.deleteLogsQuietly(t.name, onDisk.get(t.name) ?? []);
      onDisk.delete(t.name);
      if (live.has(t.name)) continue;
      this.store.remove(t.name);
      this.log.info(`finished deleting topic ${t.name}`);
    }
    for (const t of live.values()) {
      const parts = onDisk.get(t.name) ?? [];
      onDisk.delete(t.name);
      const max = parts.length ? parts[parts.length - 1]! : -1;
      if (max + 1 > t.partitions) {
        this.log.warn(`topic ${t.name}: found partition ${max} on disk beyond its ${t.partitions} partition(s); keeping ${max + 1}`);
        t.partitions = max + 1;
        this.store.write(t);
      }
      if (this.byId.has(t.topicId)) {
        const id = newTopicId();
        this.log.warn(`topic ${t.name}: topic id ${t.topicId} is already used by ${this.byId.get(t.topicId)!.name}; giving it ${id}`);
        t.topicId = id;
        this.store.write(t);
      }
      let configs = t.configs;
      try {
        resolveTopicConfig(this.defaults, configs);
      } catch (e) {
        this.log.error(`topic ${t.name}: dropping invalid stored config: ${(e as Error).message}`);
        configs = {};
      }
      this.install(t, configs);
      this.ensurePartitions(t.name, t.topicId, 0, t.partitions);
    }
    for (const [name, parts] of onDisk) {
      if (invalidTopicNameReason(name) !== undefined) continue;
      let topicId: string | null = null;
      for (const p of parts) {
        try {
          topicId ??= this.logManager.topicId(name, p);
        } catch {
          /* malformed partition.metadata: rewritten below */
        }
      }
      const t: StoredTopic = {
        version: 1,
        name,
        topicId: topicId && !this.byId.has(topicId) ? topicId : newTopicId(),
        partitions: parts[parts.length - 1]! + 1,
        replicationFactor: 1,
        configs: {},
        createdMs: this.now(),
      };
      this.log.warn(`adopting partition directories of topic ${name} with no topic record (${t.partitions} partition(s), id ${t.topicId})`);
      this.store.write(t);
      this.install(t, {});
      this.ensurePartitions(name, t.topicId, 0, t.partitions);
    }
  }

  // ---- data path -----------------------------------------------------------------------------------

  /**
   * The Log of a partition, or undefined when this broker has no such topic/partition.
   * Throws StorageError (code KAFKA_STORAGE_ERROR) when the partition's directory failed to load.
   */
  partitionLog(topic: string, partition: number): Log | undefined {
    const t = this.byName.get(topic);
    if (!t || !Number.isInteger(partition) || partition < 0 || partition >= t.partitions) return undefined;
    return this.logManager.logFor(topic, partition);
  }

  /** Like partitionLog, but never throws: the Log, or the Kafka error code to answer for the partition. */
  lookupPartition(topic: string, partition: number): { log: Log; errorCode: 0 } | { log: undefined; errorCode: number } {
    try {
      const log = this.partitionLog(topic, partition);
      return log ? { log, errorCode: 0 } : { log: undefined, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    } catch (e) {
      return { log: undefined, errorCode: e instanceof StorageError ? e.code : ErrorCode.KAFKA_STORAGE_ERROR };
    }
  }

  /** The effective config of a topic (message.timestamp.type, max.message.bytes, retention.ms, …). */
  topicConfig(topic: string): TopicConfigValues | undefined {
    return this.byName.get(topic)?.effective;
  }

  /** Broker-level defaults of every topic config. */
  defaultTopicConfig(): TopicConfigValues {
    return this.defaults;
  }

  topic(name: string): TopicInfo | undefined {
    return this.byName.get(name);
  }

  topicInfoById(topicId: string): TopicInfo | undefined {
    return this.byId.get(topicId);
  }

  topicNameById(topicId: string): string | undefined {
    return this.byId.get(topicId)?.name;
  }

  topics(): IterableIterator<TopicInfo> {
    return this.byName.values();
  }

  // ---- TopicMetadataSource (Metadata) --------------------------------------------------------------

  listTopics(): Iterable<TopicMetadata> {
    return [...this.byName.values()].map((e) => e.metadata);
  }

  topicByName(name: string): TopicMetadata | undefined {
    return this.byName.get(name)?.metadata;
  }

  topicById(topicId: string): TopicMetadata | undefined {
    return this.byId.get(topicId)?.metadata;
  }

  /** auto.create.topics.enable: a topic with num.partitions and the default configs. */
  autoCreateTopic(name: string): TopicMetadata | number {
    const existing = this.byName.get(name);
    if (existing) return existing.metadata;
    if (!this.config.get('auto.create.topics.enable')) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (invalidTopicNameReason(name) !== undefined) return ErrorCode.INVALID_TOPIC_EXCEPTION;
    if (isInternalTopic(name)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION; // created by their owners (group coordinator, …)
    if (this.pending.has(name)) return ErrorCode.LEADER_NOT_AVAILABLE; // being created right now
    try {
      this.createTopic({ name, numPartitions: -1, replicationFactor: -1 });
      this.log.info(`auto-created topic ${name} with ${this.config.get('num.partitions')} partition(s)`);
      return this.byName.get(name)!.metadata;
    } catch (e) {
      if (e instanceof AdminError) return e.code;
      this.log.error(`auto-creating topic ${name} failed: ${(e as Error).message}`);
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }

  /** Calls `listener` after every change (create, delete, new partitions, configs). Returns an unsubscribe. */
  onChange(listener: (c: TopicChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(type: TopicChange['type'], topic: TopicInfo): void {
    for (const l of this.listeners) {
      try {
        l({ type, topic });
      } catch (e) {
        this.log.error(`topic ${type} listener failed: ${(e as Error).message}`);
      }
    }
  }

  // ---- admin ---------------------------------------------------------------------------------------

  /**
   * Validates and (unless validateOnly) creates a topic. Throws AdminError with Kafka's code for bad input.
   * Returns what was (or would be) created.
   */
  createTopic(spec: NewTopic, validateOnly = false): TopicInfo {
    const { t, effective } = this.planTopic(spec);
    if (validateOnly) return { ...t, effective, isInternal: isInternalTopic(t.name) };
    this.pending.set(t.name, t);
    try {
      persist(() => this.store.write(t), `Creating topic ${t.name}`);
      try {
        this.ensurePartitions(t.name, t.topicId, 0, t.partitions, true, t.configs);
      } catch (e) {
        this.rollBackCreate(t);
        throw new AdminError(e instanceof StorageError ? e.code : ErrorCode.KAFKA_STORAGE_ERROR, `Creating topic ${t.name} failed: ${(e as Error).message}`);
      }
    } finally {
      this.pending.delete(t.name);
    }
    return this.finishCreate(t);
  }

  /**
   * Like createTopic, but creates the partitions in slices of CREATE_SLICE with a turn of the event loop
   * between them, so a topic with thousands of partitions (each costs a few fsyncs) does not stall every
   * other connection. The topic becomes visible only once all its partitions exist; meanwhile its name is
   * taken (TOPIC_ALREADY_EXISTS, and LEADER_NOT_AVAILABLE from Metadata auto-creation).
   */
  async createTopicAsync(spec: NewTopic, validateOnly = false): Promise<TopicInfo> {
    const { t, effective } = this.planTopic(spec);
    if (validateOnly || t.partitions <= CREATE_SLICE) return this.createTopic(spec, validateOnly);
    void effective;
    this.pending.set(t.name, t);
    try {
      persist(() => this.store.write(t), `Creating topic ${t.name}`);
      try {
        for (let from = 0; from < t.partitions; from += CREATE_SLICE) {
          if (from > 0) await new Promise<void>((resolve) => setImmediate(resolve));
          this.ensurePartitions(t.name, t.topicId, from, Math.min(t.partitions, from + CREATE_SLICE), true, t.configs);
        }
      } catch (e) {
        this.rollBackCreate(t);
        throw new AdminError(e instanceof StorageError ? e.code : ErrorCode.KAFKA_STORAGE_ERROR, `Creating topic ${t.name} failed: ${(e as Error).message}`);
      }
    } finally {
      this.pending.delete(t.name);
    }
    return this.finishCreate(t);
  }

  /** Is a topic of this name being created right now (createTopicAsync)? */
  isBeingCreated(name: string): boolean {
    return this.pending.has(name);
  }

  /** Validates a new topic (Kafka's rules and errors) and plans its record. */
  private planTopic(spec: NewTopic): { t: StoredTopic; effective: TopicConfigValues } {
    const { name } = spec;
    const bad = invalidTopicNameReason(name);
    if (bad) throw new AdminError(ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
    if (this.byName.has(name) || this.pending.has(name)) throw new AdminError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const unified = unifyCollisionChars(name);
    const collides = this.collisions.get(unified) ?? [...this.pending.keys()].find((n) => unifyCollisionChars(n) === unified);
    if (collides !== undefined) throw new AdminError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' collides with existing topic: ${collides}`);

    const assignments = spec.assignments ?? [];
    let partitions: number;
    let rf: number;
    if (assignments.length > 0) {
      if (spec.numPartitions !== -1 || spec.replicationFactor !== -1)
        throw new AdminError(
          ErrorCode.INVALID_REQUEST,
          'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
        );
      const seen = new Set<number>();
      for (const a of assignments) {
        if (seen.has(a.partitionIndex)) throw new AdminError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Partition ${a.partitionIndex} is assigned twice.`);
        seen.add(a.partitionIndex);
      }
      for (let i = 0; i < assignments.length; i++)
        if (!seen.has(i)) throw new AdminError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be a consecutive 0-based integer sequence');
      rf = assignments[0]!.brokerIds.length;
      for (const a of assignments) this.checkReplicas(a.brokerIds, rf, a.partitionIndex);
      partitions = assignments.length;
    } else {
      partitions = spec.numPartitions === -1 ? this.config.get('num.partitions') : spec.numPartitions;
      rf = spec.replicationFactor === -1 ? this.config.get('default.replication.factor') : spec.replicationFactor;
      if (partitions <= 0) throw new AdminError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
      if (rf <= 0) throw new AdminError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
      if (rf > 1)
        throw new AdminError(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only 1 broker(s) are registered.`,
        );
    }
    if (partitions > MAX_PARTITIONS_PER_TOPIC)
      throw new AdminError(ErrorCode.INVALID_PARTITIONS, `Rivulet allows at most ${MAX_PARTITIONS_PER_TOPIC} partitions per topic (asked for ${partitions}).`);

    const configs: Record<string, string> = {};
    for (const c of spec.configs ?? []) {
      if (c.value === null) throw new AdminError(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${c.name}`);
      configs[c.name] = c.value;
    }
    const effective = this.checkConfigs(configs);
    return { t: { version: 1, name, topicId: newTopicId(), partitions, replicationFactor: rf, configs, createdMs: this.now() }, effective };
  }

  /** Undo of a failed create: nothing of a half-created topic stays. */
  private rollBackCreate(t: StoredTopic): void {
    this.deleteLogsQuietly(t.name, range(t.partitions));
    try {
      this.store.remove(t.name);
    } catch {
      /* the next start finds the partitions missing and creates them */
    }
  }

  private finishCreate(t: StoredTopic): TopicInfo {
    const entry = this.install(t, t.configs);
    this.log.info(`created topic ${t.name} (${t.partitions} partition(s), id ${t.topicId})`);
    this.emit('created', entry);
    return entry;
  }

  /** Deletes a topic: its partitions are renamed away at once and removed in the background. */
  deleteTopic(name: string, o: { allowInternal?: boolean } = {}): TopicInfo {
    if (!this.config.get('delete.topic.enable')) throw new AdminError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
    const e = this.byName.get(name);
    if (!e) throw new AdminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    // Rivulet refuses (Kafka lets an admin do it and breaks its own coordinators).
    if (e.isInternal && !o.allowInternal) throw new AdminError(ErrorCode.INVALID_REQUEST, `Topic ${name} is an internal topic and cannot be deleted.`);
    const stored = this.toStored(e);
    persist(() => this.store.write({ ...stored, deleting: true }), `Deleting topic ${name}`);
    this.uninstall(e);
    this.deleteLogsQuietly(name, range(e.partitions));
    try {
      this.store.remove(name);
    } catch (err) {
      // The record says "deleting": the next start-up finishes the job.
      this.log.error(`removing the record of deleted topic ${name}: ${(err as Error).message}`);
    }
    this.log.info(`deleted topic ${name} (id ${e.topicId})`);
    this.emit('deleted', e);
    return e;
  }

  /** Grows a topic to `count` partitions. */
  createPartitions(name: string, count: number, assignments: readonly { brokerIds: readonly number[] }[] | null, validateOnly = false): TopicInfo {
    const e = this.byName.get(name);
    if (!e) throw new AdminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    // Growing __consumer_offsets would move groups to other partitions; Rivulet refuses.
    if (e.isInternal) throw new AdminError(ErrorCode.INVALID_REQUEST, `Topic ${name} is an internal topic; its partition count cannot change.`);
    if (count < e.partitions)
      throw new AdminError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${e.partitions} partitions, which is higher than the requested ${count}.`);
    if (count === e.partitions) throw new AdminError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${e.partitions} partitions.`);
    if (count > MAX_PARTITIONS_PER_TOPIC)
      throw new AdminError(ErrorCode.INVALID_PARTITIONS, `Rivulet allows at most ${MAX_PARTITIONS_PER_TOPIC} partitions per topic (asked for ${count}).`);
    if (assignments !== null) {
      const added = count - e.partitions;
      if (assignments.length !== added)
        throw new AdminError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Attempted to add ${added} additional partition(s), but only ${assignments.length} assignment(s) were specified.`,
        );
      assignments.forEach((a, i) => this.checkReplicas(a.brokerIds, e.replicationFactor, e.partitions + i));
    }
    if (validateOnly) return { ...e, partitions: count };
    const old = e.partitions;
    const t = { ...this.toStored(e), partitions: count };
    persist(() => this.store.write(t), `Creating partitions of ${name}`);
    const entry = this.install(t, e.configs);
    try {
      this.ensurePartitions(name, e.topicId, old, count, true);
    } catch (err) {
      throw new AdminError(err instanceof StorageError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR, `Creating partitions of ${name} failed: ${(err as Error).message}`);
    }
    this.log.info(`topic ${name}: ${old} → ${count} partitions`);
    this.emit('partitions', entry);
    return entry;
  }

  /**
   * The log of a partition this broker replicates for the cluster, created when missing: the topic (its id
   * known from the cluster metadata) is recorded here, or grown to hold `partition`. A topic of that name
   * with another id is a different topic: AdminError UNKNOWN_TOPIC_ID (the caller removes the old one first).
   */
  ensureReplicaLog(spec: { topic: string; topicId: string; partition: number; replicationFactor: number }): Log {
    const { topic, topicId, partition } = spec;
    const e = this.byName.get(topic);
    if (e !== undefined && e.topicId !== topicId)
      throw new AdminError(ErrorCode.UNKNOWN_TOPIC_ID, `topic ${topic} here has id ${e.topicId}, the cluster's has ${topicId}`);
    if (e === undefined || partition >= e.partitions) {
      const stored: StoredTopic = e
        ? { ...this.toStored(e), partitions: partition + 1, replicationFactor: spec.replicationFactor }
        : { version: 1, name: topic, topicId, partitions: partition + 1, replicationFactor: spec.replicationFactor, configs: {}, createdMs: this.now() };
      persist(() => this.store.write(stored), `Recording replica ${topic}-${partition}`);
      this.ensurePartitions(topic, topicId, e?.partitions ?? 0, stored.partitions, true, stored.configs);
      const entry = this.install(stored, stored.configs);
      this.emit(e ? 'partitions' : 'created', entry);
    } else this.ensurePartitions(topic, topicId, partition, partition + 1, true);
    return this.logManager.logFor(topic, partition)!;
  }

  /** Replaces a topic's overrides (validated; persisted; applied to the live logs). */
  setTopicConfigs(name: string, overrides: Readonly<Record<string, string>>, validateOnly = false): TopicInfo {
    const e = this.byName.get(name);
    if (!e) throw new AdminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    const effective = this.checkConfigs(overrides);
    if (validateOnly) return { ...e, configs: { ...overrides }, effective };
    const t = { ...this.toStored(e), configs: { ...overrides } };
    persist(() => this.store.write(t), `Altering the configs of ${name}`);
    const entry = this.install(t, t.configs);
    this.logManager.updateTopicConfig(name, logOverridesOf(t.configs));
    this.log.info(`topic ${name}: configs ${JSON.stringify(t.configs)}`);
    this.emit('configs', entry);
    return entry;
  }

  /**
   * The broker's config changed (dynamic broker configs, already in `config`): the defaults of topic configs
   * are derived again, every topic's effective config with them (its overrides still win), every log gets
   * its new config, and the cleaner its new threads, buffers, throttle and backoff.
   */
  brokerConfigChanged(): void {
    this.defaults = defaultTopicConfig(this.config);
    for (const e of [...this.byName.values()]) {
      let effective: TopicConfigValues;
      try {
        effective = resolveTopicConfig(this.defaults, e.configs);
      } catch {
        continue; // overrides are validated when set; one that no longer resolves keeps the topic as it was
      }
      const entry: TopicEntry = { ...e, effective };
      this.byName.set(e.name, entry);
      this.byId.set(e.topicId, entry);
    }
    this.logManager.reconfigure(storageConfigOf(this.config));
  }

  /** Stops the storage layer cleanly (flush, checkpoints, clean-shutdown marker), then the cleaner threads it was given. */
  async close(): Promise<void> {
    try {
      await this.logManager.shutdown();
    } finally {
      await this.cleanerRunner?.close();
    }
  }

  // ---- internals -----------------------------------------------------------------------------------

  /** Parses overrides and checks them against the storage layer's own rules; throws INVALID_CONFIG. */
  checkConfigs(overrides: Readonly<Record<string, string>>): TopicConfigValues {
    try {
      const effective = resolveTopicConfig(this.defaults, overrides);
      resolveLogConfig(this.logManager.defaults, logConfigOverrides(overrides));
      return effective;
    } catch (e) {
      if (e instanceof TopicConfigError || e instanceof Error) throw new AdminError(ErrorCode.INVALID_CONFIG, e.message);
      throw e;
    }
  }

  private checkReplicas(brokerIds: readonly number[], rf: number, partition: number): void {
    if (brokerIds.length === 0) throw new AdminError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Partition ${partition} has an empty replica list.`);
    if (new Set(brokerIds).size !== brokerIds.length)
      throw new AdminError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Duplicate brokers not allowed in replica assignment: ${brokerIds.join(', ')} for partition id ${partition}.`);
    if (brokerIds.length !== rf)
      throw new AdminError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes a partition with ${brokerIds.length} replica(s), but this is not consistent with previous partitions, which have ${rf} replica(s).`);
    const unknown = brokerIds.filter((b) => b !== this.nodeId);
    if (unknown.length)
      throw new AdminError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${unknown[0]}, but no such broker is registered.`);
  }

  private install(t: StoredTopic, configs: Readonly<Record<string, string>>): TopicEntry {
    const old = this.byName.get(t.name);
    if (old) this.byId.delete(old.topicId);
    const partitions: PartitionMetadata[] = [];
    for (let p = 0; p < t.partitions; p++)
      partitions.push({ partition: p, leaderId: this.nodeId, leaderEpoch: 0, replicas: [this.nodeId], isr: [this.nodeId], offlineReplicas: [] });
    const isInternal = isInternalTopic(t.name);
    const entry: TopicEntry = {
      name: t.name,
      topicId: t.topicId,
      partitions: t.partitions,
      replicationFactor: t.replicationFactor,
      configs: { ...configs },
      effective: resolveTopicConfig(this.defaults, configs),
      isInternal,
      createdMs: t.createdMs,
      metadata: { name: t.name, topicId: t.topicId, isInternal, partitions },
    };
    this.byName.set(t.name, entry);
    this.byId.set(t.topicId, entry);
    this.collisions.set(unifyCollisionChars(t.name), t.name);
    return entry;
  }

  private uninstall(e: TopicEntry): void {
    this.byName.delete(e.name);
    this.byId.delete(e.topicId);
    if (this.collisions.get(unifyCollisionChars(e.name)) === e.name) this.collisions.delete(unifyCollisionChars(e.name));
  }

  private toStored(e: TopicInfo): StoredTopic {
    return { version: 1, name: e.name, topicId: e.topicId, partitions: e.partitions, replicationFactor: e.replicationFactor, configs: { ...e.configs }, createdMs: e.createdMs };
  }

  /**
   * Makes sure partitions [from, to) have a log and a `partition.metadata` with the topic id. With
   * `strict`, an error is thrown; otherwise (start-up) a failing partition is logged and left offline.
   */
  private ensurePartitions(name: string, topicId: string, from: number, to: number, strict = false, configs?: Readonly<Record<string, string>>): void {
    const overrides = logOverridesOf(configs ?? this.byName.get(name)?.configs ?? {});
    for (let p = from; p < to; p++) {
      try {
        this.logManager.getOrCreateLog(name, p, overrides);
        let onDisk: string | null = null;
        try {
          onDisk = this.logManager.topicId(name, p);
        } catch {
          onDisk = null;
        }
        if (onDisk !== topicId) {
          if (onDisk !== null) this.log.warn(`partition ${name}-${p}: partition.metadata has topic id ${onDisk}, expected ${topicId}; rewriting`);
          this.logManager.setTopicId(name, p, topicId);
        }
      } catch (e) {
        if (strict) throw e;
        this.log.error(`partition ${name}-${p}: ${(e as Error).message}`);
      }
    }
  }

  /** Deletes a topic's partitions in one go (one directory fsync and checkpoint write for all of them). */
  private deleteLogsQuietly(topic: string, partitions: readonly number[]): void {
    if (partitions.length === 0) return;
    this.logManager
      .deleteLogs(partitions.map((partition) => ({ topic, partition })))
      .catch((e: unknown) => this.log.error(`removing partitions of ${topic}: ${(e as Error).message}`));
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Runs a write of the topic store; an I/O failure becomes KAFKA_STORAGE_ERROR (nothing was changed). */
function persist(write: () => void, what: string): void {
  try {
    write();
  } catch (e) {
    throw new AdminError(ErrorCode.KAFKA_STORAGE_ERROR, `${what} failed: ${(e as Error).message}`);
  }
}

function logOverridesOf(configs: Readonly<Record<string, string>>): Partial<LogConfig> {
  try {
    return logConfigOverrides(configs);
  } catch {
    return {};
  }
}
