// What a handler gets besides its decoded request: the broker's services, each named for what it is.
import type { DynamicBrokerConfigs } from './dynamic-broker-config.js';
import type { DynamicListenerSsl } from './dynamic-ssl.js';
import type { BrokerConfig } from '../config/index.js';
import type { Endpoint } from '../config/listeners.js';
import type { ConnectionInfo } from '../network/types.js';
import type { Logger } from '../util/log.js';
import type { TopicMetadataSource } from '../topics/metadata.js';
import type { TopicRegistry } from '../topics/topic-registry.js';
import type { LogManager } from '../../storage/index.js';
import type { HandlerRegistry } from './registry.js';
import type { RecordFormats } from './data/records.js';
import type { GroupCoordinator } from '../group/coordinator.js';
import type { BrokerMetrics } from '../metrics/broker-metrics.js';
import type { ClusterView } from './cluster-view.js';
import type { TopicAdmin } from '../topics/topic-admin.js';
import type { ProducerIdSource } from './producer-ids.js';
import type { LeaderElections, PartitionReassignments } from './partition-admin.js';
import type { ReplicaManager } from '../replication/replica-manager.js';
import type { SecurityStore } from '../security/security-store.js';
import type { Authorizer } from '../security/authorizer.js';

/** Broker-wide services shared by all handlers. */
export interface BrokerContext {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly rack: string | null;
  readonly config: BrokerConfig;
  /** Endpoints clients should connect to, resolved after binding (port 0 → actual port). */
  readonly advertisedListeners: readonly Endpoint[];
  /** The brokers of the cluster and its controller (this broker alone when it runs without a cluster). */
  readonly clusterView: ClusterView;
  /** The APIs this broker serves, at their versions (ApiVersions lists them). */
  readonly handlers: HandlerRegistry;
  /**
   * Every topic this broker hosts (host-node/topics/topic-registry.ts): `partitionLog(topic, p)` → Log |
   * undefined, `lookupPartition`, `topicConfig`, `topicNameById`, and the admin operations.
   */
  readonly topicRegistry: TopicRegistry;
  /** CreateTopics, DeleteTopics, CreatePartitions, topic configs: the topic registry, or the cluster's metadata in etcd. */
  readonly topicAdmin: TopicAdmin;
  /** Fresh producer ids for InitProducerId (unique across the cluster). */
  readonly producerIds: ProducerIdSource;
  /** What Metadata lists: the topic registry, unless the broker was started with another source (tests). */
  readonly metadata: TopicMetadataSource;
  /** Storage's LogManager, for what spans partitions (deferred checkpoints, a request's record views). */
  readonly logManager: LogManager;
  /** Produce checks and up-conversion, Fetch down-conversion: in the broker's WASM core. */
  readonly recordFormats: RecordFormats;
  readonly log: Logger;
  // The services a broker may run without are `X | undefined` rather than optional: a handler that
  // uses one must still declare it (a context lacking an optional key would pass for one that has it).
  /** The group coordinator (host-node/group/), once one is attached (attachGroupCoordinator). */
  groupCoordinator: GroupCoordinator | undefined;
  /** Prometheus metrics (host-node/metrics/), when `metrics.port` is not -1. Handlers bump its plain counters. */
  metrics: BrokerMetrics | undefined;
  // Optional on purpose: a broker that is the whole cluster leaves them out, and the handlers then answer
  // from its own metadata (partition-admin.ts: singleBrokerElections, singleBrokerReassignments).
  /** Leader elections (ElectLeaders), when a cluster runs them through its controller. */
  readonly elections?: LeaderElections;
  /** Partition reassignments (Alter/ListPartitionReassignments), when a cluster runs them through its controller. */
  readonly reassignments?: PartitionReassignments;
  /**
   * The replicated partitions (host-node/replication/), when the broker runs in a cluster. Undefined on a
   * single broker: the data handlers then serve the logs directly, as they always did.
   */
  replicaManager: ReplicaManager | undefined;
  /** ACLs, SCRAM credentials and client quotas: a file beside the logs on a single broker, etcd in a cluster. */
  readonly securityStore: SecurityStore;
  /** authorizer.class.name set: the ACL authorizer (undefined: no authorizer, everything is allowed, as in Kafka). */
  authorizer: Authorizer | undefined;
  /** With an authorizer: checks every request per resource before its handler runs (server/authorization/). */
  requestAuthorization: RequestAuthorization | undefined;
  /** Client quotas and the throttling they bring (undefined: none can apply). */
  quotas: RequestQuotas | undefined;
  /**
   * The TLS listeners' key store and trust store reload (dynamic BROKER ssl configs, KIP-226); set once the
   * listeners are bound. Absent: a change of those keys is refused.
   */
  dynamicSsl?: DynamicListenerSsl;
  /** The dynamic broker configs of the log cleaner and the log defaults (KIP-226); set at start-up. */
  dynamicConfig?: DynamicBrokerConfigs;
}

/**
 * What the authorization of one request decided: undefined = all allowed (serve as it is); `response` = denied
 * as a whole (answer that, the handler never runs); `request` + `complete` = the allowed part goes to the
 * handler, and complete() adds the denied part's errors to the handler's response.
 */
export type AuthorizationOutcome =
  | undefined
  | { readonly response: unknown }
  | { readonly request: unknown; readonly complete: (response: unknown) => unknown };

/** Asks the authorizer about a decoded request before the dispatcher hands it to its handler. */
export interface RequestAuthorization {
  check(apiKey: number, request: unknown, ctx: RequestContext): AuthorizationOutcome;
}

/** Client quotas as the dispatcher applies them, once per request. */
export interface RequestQuotas {
  /**
   * Records a served request against its client's quotas (request bytes, the response, the handler's time)
   * and returns how long to throttle it in ms (0 = not). The dispatcher puts that time in the response's
   * throttleTimeMs (when its schema has one and it is larger) and mutes the connection for it. `response` is
   * undefined for a request answered with nothing (acks=0 Produce: the connection is only muted);
   * `handlerNanos` is the handler's own (synchronous) time, not the time it waited; `request` is the decoded
   * request (a Fetch says whether a follower sent it).
   */
  record(ctx: RequestContext, requestBytes: number, response: unknown, handlerNanos: number, request?: unknown): number;
}

/** The name of one broker service (a key of BrokerContext): what a handler lists as a service it uses. */
export type BrokerService = keyof BrokerContext;

/**
 * One request's context. `U` names the broker services the code reading it may use: `broker` holds only
 * those, so touching another one fails to compile. The dispatcher builds it with the full BrokerContext,
 * which is assignable to every narrower RequestContext<U>.
 */
export interface RequestContext<U extends BrokerService = BrokerService> {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** The connection the request came on (no socket: id, addresses, listener, client software). */
  readonly connection: ConnectionInfo;
  /** The broker services this code declared (all of them by default). */
  readonly broker: Pick<BrokerContext, U>;
}
