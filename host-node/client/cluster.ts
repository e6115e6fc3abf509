// The client's view of a cluster: bootstrap servers, a metadata cache (brokers, controller, topics,
// partition leaders) refreshed on demand or when older than metadata.max.age.ms, and one connection per
// broker (created lazily, replaced when it fails).
import { ApiKey, type ResponseTypes } from '../../protocol/generated/index.js';
import { ZERO_UUID } from '../../protocol/wire/uuid.js';
import { Connection, parseHostPort, type ConnectionOptions } from './connection.js';
import type { ClientSecurityOptions } from './security.js';
import { KafkaClientError, KafkaConnectionError, KafkaProtocolError, needsMetadataRefresh, sleep } from '../../client/errors.js';

export interface ClusterOptions {
  /** 'host:port' list (array or comma-separated). */
  bootstrapServers: string | readonly string[];
  clientId?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Refresh cached metadata older than this (default 5 min, Kafka's metadata.max.age.ms). */
  metadataMaxAgeMs?: number;
  /** Attempts for retriable failures (default 5). */
  retries?: number;
  /** Wait between attempts (default 100 ms; Kafka's retry.backoff.ms). */
  retryBackoffMs?: number;
  maxInFlight?: number;
  /** security.protocol, TLS and SASL for every connection (default PLAINTEXT). */
  security?: ClientSecurityOptions;
  /** Extra connection options (version limits, …). */
  connection?: Partial<ConnectionOptions>;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  /** -1 when the partition has no leader. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  topicId: string;
  isInternal: boolean;
  /** Sorted by partition index. */
  partitions: PartitionInfo[];
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
  topics: TopicInfo[];
  /** Topics the broker reported an error for (UNKNOWN_TOPIC_OR_PARTITION, …), by name. */
  topicErrors: Map<string, number>;
}

type MetadataResponse = ResponseTypes[typeof ApiKey.Metadata];

export class Cluster {
  readonly clientId: string;
  readonly retries: number;
  readonly retryBackoffMs: number;
  private readonly bootstrap: Array<{ host: string; port: number }>;
  private readonly connOptions: Omit<ConnectionOptions, 'host' | 'port'>;
  private readonly metadataMaxAgeMs: number;
  private readonly connections = new Map<string, Promise<Connection>>();
  private brokers = new Map<number, BrokerInfo>();
  private topics = new Map<string, TopicInfo>();
  private _clusterId: string | null = null;
  private _controllerId = -1;
  private fetchedAt = 0;
  /** Topics whose metadata we keep current (those the client uses); null = all topics. */
  private readonly interest = new Set<string>();
  private refreshing: Promise<ClusterMetadata> | null = null;
  private closed = false;

  constructor(options: ClusterOptions) {
    const list = typeof options.bootstrapServers === 'string' ? options.bootstrapServers.split(',') : options.bootstrapServers;
    this.bootstrap = list.map((s) => s.trim()).filter((s) => s !== '').map((s) => parseHostPort(s));
    if (this.bootstrap.length === 0) throw new KafkaClientError('no bootstrap servers given');
    this.clientId = options.clientId ?? 'rivulet';
    this.retries = options.retries ?? 5;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
    this.metadataMaxAgeMs = options.metadataMaxAgeMs ?? 300_000;
    this.connOptions = {
      ...options.connection,
      clientId: this.clientId,
      connectTimeoutMs: options.connectTimeoutMs ?? options.connection?.connectTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs ?? options.connection?.requestTimeoutMs,
      maxInFlight: options.maxInFlight ?? options.connection?.maxInFlight,
      security: options.security ?? options.connection?.security,
    };
  }

  get clusterId(): string | null {
    return this._clusterId;
  }
  get controllerId(): number {
    return this._controllerId;
  }

  /** Connects to a bootstrap server and loads metadata for all topics. */
  async connect(): Promise<ClusterMetadata> {
    return this.refreshMetadata(null);
  }

  /** A connection to any broker: a known broker if metadata was loaded, else a bootstrap server. */
  async anyConnection(): Promise<Connection> {
    let last: unknown;
    const candidates: Array<{ host: string; port: number }> = [...this.brokers.values(), ...this.bootstrap];
    for (const c of candidates) {
      try {
        return await this.connectionTo(c.host, c.port);
      } catch (e) {
        last = e;
      }
    }
    throw last instanceof Error ? last : new KafkaClientError('no broker reachable');
  }

  /** The (shared) connection to host:port, opened on first use and replaced after it closes. */
  connectionTo(host: string, port: number): Promise<Connection> {
    if (this.closed) return Promise.reject(new KafkaClientError('client is closed'));
    const key = `${host}:${port}`;
    const existing = this.connections.get(key);
    if (existing) return existing;
    const p = Connection.connect({ ...this.connOptions, host, port });
    this.connections.set(key, p);
    p.then(
      (c) => c.onClose(() => this.connections.get(key) === p && this.connections.delete(key)),
      () => this.connections.get(key) === p && this.connections.delete(key),
    );
    return p;
  }

  /** Connection to a broker by node id (refreshing metadata once if the id is unknown). */
  async connectionToNode(nodeId: number): Promise<Connection> {
    let b = this.brokers.get(nodeId);
    if (!b) {
      await this.refreshMetadata();
      b = this.brokers.get(nodeId);
      if (!b) throw new KafkaClientError(`broker ${nodeId} is not in the cluster metadata`, true);
    }
    return this.connectionTo(b.host, b.port);
  }

  /** Connection to the controller (from Metadata's controllerId), or any broker if there is none. */
  async controllerConnection(): Promise<Connection> {
    if (this.fetchedAt === 0) await this.refreshMetadata();
    if (this._controllerId >= 0 && this.brokers.has(this._controllerId)) return this.connectionToNode(this._controllerId);
    return this.anyConnection();
  }

  /** Remembers topics the client works with, so refreshes include them. */
  addTopics(topics: Iterable<string>): void {
    for (const t of topics) this.interest.add(t);
  }

  /**
   * Loads metadata: `topics` null = every topic; undefined = the topics of interest (or all if none).
   * Concurrent calls share one request.
   */
  refreshMetadata(topics?: readonly string[] | null, opts: { allowAutoTopicCreation?: boolean } = {}): Promise<ClusterMetadata> {
    if (topics === undefined && this.refreshing && !opts.allowAutoTopicCreation) return this.refreshing;
    const list = topics === undefined ? (this.interest.size > 0 ? [...this.interest] : null) : topics;
    const run = this.withRetries('Metadata', async () => {
      const conn = await this.anyConnection();
      const v = conn.version(ApiKey.Metadata);
      const res = await conn.send(ApiKey.Metadata, {
        topics: list === null ? null : list.map((name) => ({ name, topicId: ZERO_UUID })),
        allowAutoTopicCreation: opts.allowAutoTopicCreation ?? false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      }, { version: v });
      return this.apply(res, list === null);
    });
    if (topics === undefined && !opts.allowAutoTopicCreation) {
      this.refreshing = run;
      const clear = () => {
        if (this.refreshing === run) this.refreshing = null;
      };
      run.then(clear, clear);
    }
    return run;
  }

  private apply(res: MetadataResponse, all: boolean): ClusterMetadata {
    this.brokers = new Map(res.brokers.map((b) => [b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }]));
    this._clusterId = res.clusterId;
    this._controllerId = res.controllerId;
    if (all) this.topics.clear();
    const topics: TopicInfo[] = [];
    const topicErrors = new Map<string, number>();
    for (const t of res.topics) {
      const name = t.name ?? '';
      if (t.errorCode !== 0 && t.partitions.length === 0) {
        topicErrors.set(name, t.errorCode);
        this.topics.delete(name);
        continue;
      }
      const info: TopicInfo = {
        name,
        topicId: t.topicId,
        isInternal: t.isInternal,
        partitions: t.partitions
          .map((p) => ({
            partition: p.partitionIndex,
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
            offlineReplicas: p.offlineReplicas,
            errorCode: p.errorCode,
          }))
          .sort((a, b) => a.partition - b.partition),
      };
      if (t.errorCode !== 0) topicErrors.set(name, t.errorCode);
      this.topics.set(name, info);
      topics.push(info);
    }
    this.fetchedAt = Date.now();
    return { clusterId: res.clusterId, controllerId: res.controllerId, brokers: [...this.brokers.values()], topics, topicErrors };
  }

  /**
   * Cached metadata of a topic (refresh first when stale or unknown). allowAutoTopicCreation asks the
   * broker to create a missing topic (when its auto.create.topics.enable allows), as Java producers do.
   */
  async topic(name: string, opts: { refresh?: boolean; allowAutoTopicCreation?: boolean } = {}): Promise<TopicInfo> {
    this.interest.add(name);
    const stale = Date.now() - this.fetchedAt > this.metadataMaxAgeMs;
    let t = this.topics.get(name);
    if (!t || opts.refresh || stale) {
      const md = await this.refreshMetadata(undefined, { allowAutoTopicCreation: opts.allowAutoTopicCreation });
      t = this.topics.get(name);
      if (!t) throw new KafkaProtocolError(md.topicErrors.get(name) ?? 3, `topic '${name}'`);
    }
    return t;
  }

  /** Cached topic metadata without any request (undefined when unknown or older than metadata.max.age.ms). */
  cachedTopic(name: string, opts: { allowStale?: boolean } = {}): TopicInfo | undefined {
    if (!opts.allowStale && Date.now() - this.fetchedAt > this.metadataMaxAgeMs) return undefined;
    return this.topics.get(name);
  }

  /** Known brokers (from the last metadata). */
  brokerList(): BrokerInfo[] {
    return [...this.brokers.values()];
  }

  /** Leader node id of a partition (refreshing metadata when it has none). */
  async leaderFor(topic: string, partition: number): Promise<number> {
    let t = await this.topic(topic);
    let p = t.partitions.find((x) => x.partition === partition);
    if (!p || p.leader < 0) {
      t = await this.topic(topic, { refresh: true });
      p = t.partitions.find((x) => x.partition === partition);
    }
    if (!p) throw new KafkaProtocolError(3, `${topic}-${partition}`);
    if (p.leader < 0) throw new KafkaProtocolError(5, `${topic}-${partition}`);
    return p.leader;
  }

  /**
   * Runs `fn`, retrying retriable failures (connection errors, timeouts, retriable Kafka errors) up to
   * `retries` times with backoff, refreshing metadata in between when the error calls for it.
   */
  async withRetries<T>(what: string, fn: (attempt: number) => Promise<T>, retries = this.retries): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(attempt);
      } catch (e) {
        if (this.closed || attempt >= retries || !(e instanceof KafkaClientError) || !e.retriable) throw e;
        await sleep(this.retryBackoffMs * Math.min(2 ** attempt, 10));
        if (what !== 'Metadata' && (e instanceof KafkaConnectionError || (e instanceof KafkaProtocolError && needsMetadataRefresh(e.code)))) {
          await this.refreshMetadata().catch(() => undefined);
        }
      }
    }
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close(), () => undefined)));
  }
}
