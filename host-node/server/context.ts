// What a handler gets besides its decoded request.
import type { BrokerConfig } from '../config/index.js';
import type { Endpoint } from '../config/listeners.js';
import type { ConnectionInfo } from '../network/types.js';
import type { Logger } from '../util/log.js';
import type { TopicRegistry } from '../topics/topic-registry.js';
import type { HandlerRegistry } from './registry.js';
import type { TopicMetadataSource } from './topics.js';
import type { GroupCoordinator } from '../group/coordinator.js';
import type { BrokerMetrics } from '../metrics/broker-metrics.js';

/** Broker-wide state shared by all handlers. The next issues add storage, groups, … here. */
export interface BrokerContext {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly rack: string | null;
  readonly config: BrokerConfig;
  /** Endpoints clients should connect to, resolved after binding (port 0 → actual port). */
  readonly advertisedListeners: readonly Endpoint[];
  readonly registry: HandlerRegistry;
  /** What Metadata lists; by default the same object as `logs`. */
  topics: TopicMetadataSource;
  /**
   * The topic registry and partition logs (host-node/topics/topic-registry.ts):
   * `logs.partitionLog(topic, p)` → Log | undefined, `logs.lookupPartition(topic, p)` → {log} | {errorCode},
   * `logs.topicConfig(topic)` → effective topic config, `logs.topicNameById(id)`, admin operations, and
   * `logs.logManager` (the storage LogManager).
   */
  readonly logs: TopicRegistry;
  readonly log: Logger;
  /** The group coordinator (host-node/group/), when one is attached (attachGroupCoordinator). */
  groups?: GroupCoordinator;
  /** Prometheus metrics (host-node/metrics/), when `metrics.port` is not -1. Handlers bump its plain counters. */
  metrics?: BrokerMetrics;
}

export interface RequestContext {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** The connection the request came on (no socket: id, addresses, listener, client software). */
  readonly connection: ConnectionInfo;
  readonly broker: BrokerContext;
}
