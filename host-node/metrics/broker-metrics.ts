// Broker metrics in Prometheus form, named after Kafka's JMX metrics as the Prometheus JMX exporter and
// kafka_exporter spell them (docs/metrics.md lists them all).
//
// Hot path: handlers and the dispatcher bump plain numbers on objects cached per topic / per API key — no
// label hashing, no allocation per request, nothing per record. prom-client's metrics are filled from those
// numbers (and from the MetricsSource: partition logs, consumer groups) only when /metrics is scraped, by
// `collect()`.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GroupOffsetStats, MetricsSource, PartitionLogStats, ReplicationStats } from './source.js';

/** Request latency buckets, in milliseconds (Kafka's RequestMetrics report ms). */
export const REQUEST_TIME_BUCKETS_MS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

export interface TopicStats {
  messagesIn: number;
  bytesIn: number;
  bytesOut: number;
}

interface ApiStats {
  name: string;
  requests: number;
  observe: (ms: number) => void;
}

export interface ListenerView {
  readonly name: string;
  readonly connections: { readonly size: number };
}

export class BrokerMetrics {
  readonly registry = new Registry();
  private readonly topics = new Map<string, TopicStats>();
  private readonly apis: (ApiStats | undefined)[] = [];
  private readonly listeners: ListenerView[] = [];
  private readonly accepted = new Map<string, number>();
  /** acks=all Produce requests waiting for durability (Kafka's Produce purgatory). */
  producePurgatory = 0;
  /** Fetch requests waiting in a long poll for min_bytes (Kafka's Fetch purgatory). */
  fetchPurgatory = 0;
  private readonly totalTime: Histogram<'request'>;

  constructor(private readonly source: MetricsSource, o: { defaultMetrics?: boolean } = {}) {
    // Registered in the order the exposition lists them.
    if (o.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.registerTopicMetrics();
    this.totalTime = this.registerRequestMetrics();
    this.registerPurgatoryMetrics();
    this.registerSocketServerMetrics();
    this.registerLogMetrics();
    this.registerReplicationMetrics();
    this.registerConsumerGroupMetrics();
  }

  /** Kafka's BrokerTopicMetrics: per-topic counters the data path bumps. */
  private registerTopicMetrics(): void {
    const reg = this.registry;
    const topics = this.topics;
    const topicCounter = (name: string, help: string, field: keyof TopicStats) =>
      new Counter({
        name,
        help,
        labelNames: ['topic'] as const,
        registers: [reg],
        collect() {
          this.reset();
          for (const [topic, s] of topics) this.inc({ topic }, s[field]);
        },
      });
    topicCounter('kafka_server_brokertopicmetrics_messagesin_total', 'Records appended by Produce, per topic (Kafka BrokerTopicMetrics MessagesInPerSec).', 'messagesIn');
    topicCounter('kafka_server_brokertopicmetrics_bytesin_total', 'Record bytes received in Produce requests, per topic (Kafka BrokerTopicMetrics BytesInPerSec).', 'bytesIn');
    topicCounter('kafka_server_brokertopicmetrics_bytesout_total', 'Record bytes sent in Fetch responses, per topic (Kafka BrokerTopicMetrics BytesOutPerSec).', 'bytesOut');
  }

  /** Kafka's RequestMetrics: requests per API and their total time (the histogram `requestDone` feeds). */
  private registerRequestMetrics(): Histogram<'request'> {
    const reg = this.registry;
    const apis = this.apis;
    new Counter({
      name: 'kafka_network_requestmetrics_requests_total',
      help: 'Requests received, per API (Kafka RequestMetrics RequestsPerSec).',
      labelNames: ['request'] as const,
      registers: [reg],
      collect() {
        this.reset();
        for (const a of apis) if (a !== undefined && a.requests > 0) this.inc({ request: a.name }, a.requests);
      },
    });
    return new Histogram({
      name: 'kafka_network_requestmetrics_totaltimems',
      help: 'Time from a request being decoded to its response being ready, in milliseconds, per API (Kafka RequestMetrics TotalTimeMs).',
      labelNames: ['request'] as const,
      buckets: REQUEST_TIME_BUCKETS_MS,
      registers: [reg],
    });
  }

  /** Kafka's DelayedOperationPurgatory sizes: requests the Produce and Fetch handlers hold. */
  private registerPurgatoryMetrics(): void {
    const self = this;
    new Gauge({
      name: 'kafka_server_delayedoperationpurgatory_purgatorysize',
      help: 'Requests waiting: Produce = acks=all requests waiting for durability, Fetch = long-poll fetches waiting for min_bytes (Kafka DelayedOperationPurgatory PurgatorySize).',
      labelNames: ['delayedOperation'] as const,
      registers: [this.registry],
      collect() {
        this.set({ delayedOperation: 'Produce' }, self.producePurgatory);
        this.set({ delayedOperation: 'Fetch' }, self.fetchPurgatory);
      },
    });
  }

  /** Kafka's socket-server-metrics: open and accepted connections per listener. */
  private registerSocketServerMetrics(): void {
    const reg = this.registry;
    const listeners = this.listeners;
    const accepted = this.accepted;
    new Gauge({
      name: 'kafka_server_socket_server_metrics_connection_count',
      help: 'Open client connections, per listener (Kafka socket-server-metrics connection-count).',
      labelNames: ['listener'] as const,
      registers: [reg],
      collect() {
        this.reset();
        for (const l of listeners) this.set({ listener: l.name }, l.connections.size);
      },
    });
    new Counter({
      name: 'kafka_server_socket_server_metrics_connection_creation_total',
      help: 'Client connections accepted, per listener (Kafka socket-server-metrics connection-creation-total).',
      labelNames: ['listener'] as const,
      registers: [reg],
      collect() {
        this.reset();
        for (const [listener, n] of accepted) this.inc({ listener }, n);
      },
    });
  }

  /** Partition logs, read from the source at scrape time. */
  private registerLogMetrics(): void {
    const reg = this.registry;
    const source = this.source;
    const logGauge = (name: string, help: string, read: (l: PartitionLogStats) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['topic', 'partition'] as const,
        registers: [reg],
        collect() {
          this.reset();
          for (const l of source.partitionLogs()) this.set({ topic: l.topic, partition: String(l.partition) }, read(l));
        },
      });
    logGauge('kafka_log_log_size', 'Bytes of the partition log on disk, all segments (Kafka kafka.log Log Size).', (l) => l.size);
    logGauge('kafka_log_log_logendoffset', 'Offset the next appended record gets (Kafka kafka.log Log LogEndOffset).', (l) => l.logEndOffset);
    logGauge('kafka_log_log_logstartoffset', 'First offset still in the log (Kafka kafka.log Log LogStartOffset).', (l) => l.logStartOffset);
  }

  /**
   * Kafka's ReplicaManager and KafkaController gauges, and the ISR change rates as counters. The first one
   * collected reads the source once per scrape; the others use that row.
   */
  private registerReplicationMetrics(): void {
    const reg = this.registry;
    const source = this.source;
    let stats: ReplicationStats | undefined;
    const read = (first: boolean): ReplicationStats => {
      if (first || stats === undefined) stats = source.replication();
      return stats;
    };
    const gauge = (name: string, help: string, field: keyof ReplicationStats, first = false) =>
      new Gauge({
        name,
        help,
        registers: [reg],
        collect() {
          this.set(read(first)[field]);
        },
      });
    const counter = (name: string, help: string, field: keyof ReplicationStats) =>
      new Counter({
        name,
        help,
        registers: [reg],
        collect() {
          this.reset();
          this.inc(read(false)[field]);
        },
      });
    gauge('kafka_server_replicamanager_underreplicatedpartitions', 'Partitions this broker leads whose ISR is smaller than their replica set (Kafka ReplicaManager UnderReplicatedPartitions).', 'underReplicatedPartitions', true);
    gauge('kafka_server_replicamanager_underminisrpartitioncount', 'Partitions this broker leads whose ISR is smaller than min.insync.replicas (Kafka ReplicaManager UnderMinIsrPartitionCount).', 'underMinIsrPartitions');
    gauge('kafka_server_replicamanager_leadercount', 'Partitions this broker leads (Kafka ReplicaManager LeaderCount).', 'leaderCount');
    gauge('kafka_server_replicamanager_partitioncount', 'Partitions this broker holds a replica of (Kafka ReplicaManager PartitionCount).', 'partitionCount');
    counter('kafka_server_replicamanager_isrshrinks_total', 'ISR shrinks made by this broker as leader (Kafka ReplicaManager IsrShrinksPerSec).', 'isrShrinks');
    counter('kafka_server_replicamanager_isrexpands_total', 'ISR expands made by this broker as leader (Kafka ReplicaManager IsrExpandsPerSec).', 'isrExpands');
    gauge('kafka_controller_kafkacontroller_activecontrollercount', '1 on the active controller, 0 elsewhere (Kafka KafkaController ActiveControllerCount).', 'activeController');
    gauge('kafka_controller_kafkacontroller_offlinepartitionscount', 'Partitions without a live leader, reported by the active controller (Kafka KafkaController OfflinePartitionsCount).', 'offlinePartitions');
  }

  /**
   * Consumer groups: committed offsets vs high watermark, computed at scrape time (the lag gauge is
   * collected first and leaves its rows for the current-offset gauge).
   */
  private registerConsumerGroupMetrics(): void {
    const reg = this.registry;
    const source = this.source;
    let rows: GroupOffsetStats[] = [];
    new Gauge({
      name: 'kafka_consumergroup_lag',
      help: 'High watermark minus the committed offset, per group and partition (as kafka_exporter and kafka-consumer-groups.sh compute it).',
      labelNames: ['group', 'topic', 'partition'] as const,
      registers: [reg],
      collect() {
        this.reset();
        rows = [...source.groupOffsets()];
        for (const r of rows) if (r.highWatermark !== undefined) this.set({ group: r.group, topic: r.topic, partition: String(r.partition) }, r.highWatermark - r.offset);
      },
    });
    new Gauge({
      name: 'kafka_consumergroup_current_offset',
      help: 'Committed offset, per group and partition.',
      labelNames: ['group', 'topic', 'partition'] as const,
      registers: [reg],
      collect() {
        this.reset();
        for (const r of rows) this.set({ group: r.group, topic: r.topic, partition: String(r.partition) }, r.offset);
        rows = [];
      },
    });
    new Gauge({
      name: 'kafka_consumergroup_members',
      help: 'Members of each consumer group.',
      labelNames: ['group'] as const,
      registers: [reg],
      collect() {
        this.reset();
        for (const g of source.groups()) this.set({ group: g.group }, g.members);
      },
    });
  }

  /** Stats of one topic (created on first use; handlers may keep the object). */
  topic(name: string): TopicStats {
    let s = this.topics.get(name);
    if (s === undefined) this.topics.set(name, (s = { messagesIn: 0, bytesIn: 0, bytesOut: 0 }));
    return s;
  }

  /** A topic was deleted: its counters go too. */
  forgetTopic(name: string): void {
    this.topics.delete(name);
  }

  /** Counts a request of `apiKey` (named `name`); returns the start time for `requestDone`. */
  requestStart(apiKey: number, name: string): number {
    let a = this.apis[apiKey];
    if (a === undefined) this.apis[apiKey] = a = { name, requests: 0, observe: this.totalTime.labels(name).observe };
    a.requests++;
    return performance.now();
  }

  requestDone(apiKey: number, start: number): void {
    this.apis[apiKey]?.observe(performance.now() - start);
  }

  addListener(l: ListenerView): void {
    this.listeners.push(l);
  }

  connectionAccepted(listener: string): void {
    this.accepted.set(listener, (this.accepted.get(listener) ?? 0) + 1);
  }

  /** The exposition text (what /metrics serves). */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
