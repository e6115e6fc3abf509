// startBroker(): config → the log directories' locks → meta.properties (cluster id) → handler registry → listeners. Returns the bound
// address and a close(). Used by the CLI and, in-process, by tests (port 0, 127.0.0.1).

import { hostname } from 'node:os';
import { BrokerConfig, type BrokerConfigSources } from './config/index.js';
import { formatEndpoint, type Endpoint } from './config/listeners.js';
import { TcpListener, type TcpListenerOptions } from './network/tcp-listener.js';
import { saslGateFor, saslListenerSettings } from './server/sasl-gate.js';
import { listenerSecurityOptions } from './server/listener-security.js';
import { DynamicListenerSsl } from './server/dynamic-ssl.js';
import { WS_LISTENER_NAME } from './config/ws-defs.js';
import type { SecurityProtocol } from './config/ssl-defs.js';
import { POOL_MAX_BYTES } from './network/frame-decoder.js';
import { LinearFrameArena } from '../storage/linear-frame-arena.js';
import { ApiKey } from '../protocol/generated/api.js';
import type { WebSocketListener } from './network/ws-listener.js';
import type { Connection } from './network/connection.js';
import type { ConnectionLimits } from './network/types.js';
import type { BrokerContext } from './server/context.js';
import type { SecurityStore } from './security/security-store.js';
import { KafkaDispatcher } from './server/dispatcher.js';
import { localClusterView } from './server/cluster-view.js';
import { localProducerIds } from './server/producer-ids.js';
import { registerDefaultHandlers } from './server/handlers/index.js';
import { loadOrCreateMetaProperties } from './server/meta-properties.js';
import { HandlerRegistry } from './server/registry.js';
import { RecordFormats } from './server/data/records.js';
import { brokerMetricsSource, type ControllerStatsView } from './server/metrics-source.js';
import type { TopicMetadataSource } from './topics/metadata.js';
import { TopicRegistry } from './topics/topic-registry.js';
import { attachGroupCoordinator } from './server/group-services.js';
import { createRequestAuthorization } from './server/authorization/index.js';
import { createLogger, type Logger } from './util/log.js';
import type { BrokerMetrics, MetricsServer } from './metrics/index.js';
import { newCore } from '../bindings/node-loader.js';
import { lockLogDirs, type LogDirLocks } from './storage/log-dir-lock.js';
import { createCleanerRunner } from './storage/cleaner-threads.js';
import { DynamicBrokerConfigs } from './server/dynamic-broker-config.js';
import { FileDynamicConfigStore } from './server/dynamic-config-file.js';
import { WasmStorageCore } from '../storage/wasm-storage-core.js';
import type { RivuletCore } from '../bindings/core.js';
import { ReplicaManager } from './replication/replica-manager.js';
import { StandardAuthorizer, parseSuperUsers } from './security/standard-authorizer.js';
import { attachClientQuotas, ipConnectionRates } from './server/quota-manager.js';
import { ConnectionQuotas, connectionQuotaConfig } from './network/connection-quotas.js';
import { FileSecurityStore } from './security/file-security-store.js';
import { registryLogSource } from './replication/registry-logs.js';
import type { ConnectToLeader, IsrStore, ReplicationConfig } from './replication/types.js';

export interface StartBrokerOptions {
  /** A loaded config; when absent one is loaded from `sets` + the flags below (no env, no file). */
  config?: BrokerConfig;
  /** Config keys to set (like --set), when `config` is absent. */
  sets?: BrokerConfigSources['sets'];
  host?: string;
  port?: number;
  dataDir?: string;
  log?: Logger;
  /** Change the handler registry before the listener starts (tests add or wrap handlers). */
  configureHandlers?: (registry: HandlerRegistry) => void;
  /** What Metadata lists (defaults to the topic registry). */
  metadata?: TopicMetadataSource;
  /** Observe connections (tests). */
  onConnection?: (c: Connection) => void;
  /**
   * Run a replica manager without etcd (tests): partition states are then pushed with
   * `context.replicaManager.applyPartitionStates`, ISR changes go to `isrStore`.
   */
  replication?: { isrStore: IsrStore; brokerEpoch: number; config?: Partial<ReplicationConfig>; connect?: ConnectToLeader };
}

export interface RunningBroker {
  /** Address and port the first listener is bound to. */
  readonly host: string;
  readonly port: number;
  readonly nodeId: number;
  readonly clusterId: string;
  readonly context: BrokerContext;
  readonly listeners: readonly TcpListener[];
  /** The Prometheus endpoint (`metrics.port` not -1): its bound address and `url`. */
  readonly metrics?: MetricsServer;
  /** The Kafka-over-WebSocket listener (`ws.port` not -1). */
  readonly ws?: WebSocketListener;
  /** Where Produce frames that span socket reads are reassembled (the storage core's linear memory). */
  readonly frameArena?: LinearFrameArena;
  close(): Promise<void>;
}

export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const config =
    options.config ??
    BrokerConfig.load({ sets: options.sets, flags: { host: options.host, port: options.port, dataDir: options.dataDir } });
  const log = options.log ?? createLogger('rivulet');
  // One broker per log directory: the `.lock` files are taken before anything in the directories is read
  // or written, so a second broker on a directory in use stops here (LogDirLockedError).
  const dirLocks = lockLogDirs(config.logDirs);
  try {
    return await startOnLockedDirs(options, config, log, dirLocks);
  } catch (e) {
    dirLocks.release();
    throw e;
  }
}

/** The broker's start-up once its log directories are locked. */
async function startOnLockedDirs(options: StartBrokerOptions, config: BrokerConfig, log: Logger, dirLocks: LogDirLocks): Promise<RunningBroker> {
  // In a cluster (etcd.connect), the cluster id and the metadata come from etcd before anything is loaded.
  const clusterMode = config.get('etcd.connect') !== null ? await import('./cluster/cluster-mode.js') : undefined;
  const cluster = clusterMode ? await clusterMode.openClusterMetadata(config, log.child('cluster')) : undefined;
  try {
    return await startWithMetadata(options, config, log, dirLocks, clusterMode && cluster ? { mode: clusterMode, metadata: cluster } : undefined);
  } catch (e) {
    await cluster?.close();
    throw e;
  }
}

type ClusterModeModule = typeof import('./cluster/cluster-mode.js');
interface ClusterParts {
  readonly mode: ClusterModeModule;
  readonly metadata: import('./cluster/cluster-metadata.js').ClusterMetadata;
}

async function startWithMetadata(options: StartBrokerOptions, config: BrokerConfig, log: Logger, dirLocks: LogDirLocks, cluster: ClusterParts | undefined): Promise<RunningBroker> {
  const nodeId = config.nodeId;
  const meta = loadOrCreateMetaProperties(config.logDirs, nodeId, cluster?.metadata.clusterId ?? config.get('cluster.id'));
  if (meta.formatted) log.info(`formatted ${config.logDirs.join(', ')} with cluster.id ${meta.clusterId}, node.id ${nodeId}`);

  const securityStore = openSecurityStore(config, cluster);
  const handlers = registerDefaultHandlers(new HandlerRegistry());
  options.configureHandlers?.(handlers);

  // One WASM core instance serves the whole broker: storage, the group coordinator's record encoding
  // and the data path's down-conversion all run in its linear memory.
  const core = newCore();
  const storageCore = new WasmStorageCore(core);
  // Topics and their logs: loads the topic records, opens every partition log under log.dirs (recovery
  // after an unclean shutdown, checkpoints), starts the retention and checkpoint timers.
  // The dynamic broker configs (KIP-226) are in force before the logs open: a file beside the topic records,
  // or etcd's /config/brokers in a cluster.
  const dynamicConfigs = openDynamicConfigs(config, cluster, log);
  const topicRegistry = new TopicRegistry({ config, nodeId, core: storageCore, log: log.child('topics'), cleanerRunner: createCleanerRunner(config) });
  dynamicConfigs.attach(topicRegistry);
  // The advertised listeners are filled in once the listeners are bound.
  const advertised: Endpoint[] = [];
  const services = cluster?.mode.clusterServices(cluster.metadata, config, topicRegistry, log.child('cluster'));
  const context = createContext({ config, clusterId: meta.clusterId, handlers, topicRegistry, core, log, advertised, metadata: options.metadata, cluster: services, securityStore });
  context.dynamicConfig = dynamicConfigs.configs;
  if (options.replication) context.replicaManager = createReplicaManager(context, options.replication);
  const member = cluster?.mode.attachClusterReplication(context, cluster.metadata);
  // Groups and offsets: loads __consumer_offsets before the listeners accept anything (docs/groups.md); in a
  // cluster, follows the replica manager's leadership of its partitions.
  attachGroupCoordinator(context, { core });
  // Client quotas follow the security store: context.quotas is set only while a quota exists.
  attachClientQuotas(context);
  const metricsModule = await attachMetrics(context, topicRegistry, member);
  attachRequestAuthorization(context);
  const frameArena = createFrameArena(storageCore);
  const started = await startListeners(context, options.onConnection, metricsModule, frameArena);

  resolveAdvertisedListeners(config, started.listeners, advertised);
  logListening(context, started);
  const running = runningBroker(context, started, frameArena, dirLocks, member && cluster ? { member, metadata: cluster.metadata } : undefined);
  if (member) {
    // Registered once the endpoints are known; from then on the image drives the replicas and the controller.
    try {
      await member.start();
    } catch (e) {
      await running.close();
      throw e;
    }
  }
  return running;
}

/**
 * The dynamic broker configs, loaded into `config`; attach() gives them the topic registry their changes
 * reconfigure (and, in a cluster, starts following /config/brokers).
 */
function openDynamicConfigs(config: BrokerConfig, cluster: ClusterParts | undefined, log: Logger): { configs: DynamicBrokerConfigs; attach(registry: TopicRegistry): void } {
  const store = cluster ? new cluster.mode.EtcdDynamicConfigStore(cluster.metadata, config.nodeId) : new FileDynamicConfigStore(config.logDirs, config.nodeId);
  let registry: TopicRegistry | undefined;
  const configs = new DynamicBrokerConfigs({
    config,
    store,
    onChange: () => registry?.brokerConfigChanged(),
    onError: (m) => log.warn(m),
  });
  configs.load();
  return {
    configs,
    attach(r) {
      registry = r;
      if (cluster) cluster.mode.watchDynamicConfigs(cluster.metadata, config.nodeId, configs, store);
    },
  };
}

/** The started broker as its caller sees it, with a close() that shuts everything down once. */
function runningBroker(
  context: BrokerContext,
  started: StartedListeners,
  frameArena: LinearFrameArena | undefined,
  dirLocks: LogDirLocks,
  cluster: { member: import('./cluster/cluster-member.js').ClusterMember; metadata: ClusterParts['metadata'] } | undefined,
): RunningBroker {
  const { listeners, wsListener, metricsServer } = started;
  let closing: Promise<void> | null = null;
  return {
    host: listeners[0]!.host,
    port: listeners[0]!.port,
    nodeId: context.nodeId,
    clusterId: context.clusterId,
    context,
    listeners,
    metrics: metricsServer,
    ws: wsListener,
    frameArena,
    close() {
      // Listeners first (no new requests), then a clean storage shutdown (flush, checkpoints, marker),
      // then the log directories' locks. The group coordinator stops at the same time as the listeners:
      // waiting JoinGroup/SyncGroup requests are answered (NOT_COORDINATOR) so their connections can drain.
      // In a cluster, the controlled shutdown comes first, while the listeners still serve: leadership
      // moves away, then the broker leaves (its registration's lease revoked).
      closing ??= (cluster ? cluster.member.shutdown() : Promise.resolve())
        .then(() =>
          Promise.all([context.replicaManager?.shutdown(), context.groupCoordinator?.shutdown(), metricsServer?.close(), wsListener?.close(), ...listeners.map((l) => l.close())]),
        )
        .then(() => context.topicRegistry.close())
        .finally(() => context.securityStore.close())
        .finally(() => cluster?.metadata.close())
        .finally(() => dirLocks.release());
      return closing;
    },
  };
}

interface ContextParts {
  readonly config: BrokerConfig;
  readonly clusterId: string;
  readonly handlers: HandlerRegistry;
  readonly topicRegistry: TopicRegistry;
  readonly core: RivuletCore;
  readonly log: Logger;
  readonly advertised: readonly Endpoint[];
  /** What Metadata lists, when not the topic registry. */
  readonly metadata: TopicMetadataSource | undefined;
  /** In a cluster: the brokers, the topics and the topic admin from the cluster metadata. */
  readonly cluster: import('./cluster/cluster-mode.js').ClusterServices | undefined;
  readonly securityStore: SecurityStore;
}

/**
 * ACLs, SCRAM credentials and client quotas: etcd in a cluster, else `security-metadata.json` in the first
 * log directory (loaded here, at start-up: a file that does not parse stops the broker).
 */
function openSecurityStore(config: BrokerConfig, cluster: ClusterParts | undefined): SecurityStore {
  return cluster?.metadata.security ?? FileSecurityStore.open(config.logDirs[0]!);
}

/** The broker context the handlers are served from; the group coordinator and the metrics are attached after. */
function createContext({ config, clusterId, handlers, topicRegistry, core, log, advertised, metadata, cluster, securityStore }: ContextParts): BrokerContext {
  // authorizer.class.name is validated at load: non-empty means the built-in ACL authorizer.
  const authorizer =
    config.get('authorizer.class.name') === ''
      ? undefined
      : new StandardAuthorizer(securityStore, {
          superUsers: parseSuperUsers(config.get('super.users')),
          allowEveryoneIfNoAclFound: config.get('allow.everyone.if.no.acl.found'),
        });
  return {
    nodeId: config.nodeId,
    clusterId,
    rack: config.get('broker.rack'),
    config,
    advertisedListeners: advertised,
    clusterView: cluster?.clusterView ?? localClusterView(config.nodeId, config.get('broker.rack'), advertised),
    handlers,
    topicRegistry,
    topicAdmin: cluster?.topicAdmin ?? topicRegistry,
    producerIds: cluster?.producerIds ?? localProducerIds(config),
    metadata: metadata ?? cluster?.metadata ?? topicRegistry,
    logManager: topicRegistry.logManager,
    recordFormats: new RecordFormats(core),
    log,
    groupCoordinator: undefined,
    metrics: undefined,
    replicaManager: undefined,
    securityStore,
    authorizer,
    requestAuthorization: undefined,
    quotas: undefined,
    ...(cluster ? { elections: cluster.elections, reassignments: cluster.reassignments } : {}),
  };
}

/** With an authorizer (authorizer.class.name), every request is authorized per resource before its handler runs. */
function attachRequestAuthorization(context: BrokerContext): void {
  if (context.authorizer !== undefined) context.requestAuthorization = createRequestAuthorization(context.authorizer);
}

/** A replica manager over the broker's topic registry (partition states come from the caller). */
function createReplicaManager(context: BrokerContext, r: NonNullable<StartBrokerOptions['replication']>): ReplicaManager {
  return new ReplicaManager({
    brokerId: context.nodeId,
    brokerEpoch: () => r.brokerEpoch,
    logs: registryLogSource(context.topicRegistry, context.log.child('replication')),
    isrStore: r.isrStore,
    config: r.config,
    logger: context.log.child('replication'),
    // Loaded on first use: a single broker never pays for the client's modules at start-up.
    connect: r.connect ?? (async (o) => (await import('./client/connection.js')).Connection.connect(o)),
  });
}

type MetricsModule = typeof import('./metrics/index.js');

/**
 * Prometheus metrics (docs/metrics.md), when `metrics.port` is not -1: counters handlers bump, read when
 * /metrics is scraped. Returns the metrics module for starting the HTTP server, or undefined.
 */
async function attachMetrics(context: BrokerContext, topicRegistry: TopicRegistry, controller: ControllerStatsView | undefined): Promise<MetricsModule | undefined> {
  if (context.config.get('metrics.port') === -1) return undefined;
  // Loaded only when asked for: prom-client alone takes ~70 ms to load, a quarter of the start-up time.
  const metricsModule = await import('./metrics/index.js');
  const source = brokerMetricsSource({
    logManager: context.logManager,
    groups: () => context.groupCoordinator,
    replicaManager: () => context.replicaManager,
    minInsyncReplicas: (topic) => topicRegistry.topicConfig(topic)?.['min.insync.replicas'] ?? topicRegistry.defaultTopicConfig()['min.insync.replicas'],
    controller,
  });
  const m = (context.metrics = new metricsModule.BrokerMetrics(source));
  topicRegistry.onChange((c) => {
    if (c.type === 'deleted') m.forgetTopic(c.topic.name);
  });
  return metricsModule;
}

/**
 * Produce frames that span socket reads are reassembled in the storage core's linear memory, so their
 * batches are copied once between socket and disk (storage/linear-frame-arena.ts).
 */
function createFrameArena(storageCore: WasmStorageCore): LinearFrameArena | undefined {
  return storageCore.linear
    ? new LinearFrameArena(storageCore.linear, { regionBytes: POOL_MAX_BYTES, maxRegions: 16, accepts: (apiKey) => apiKey === ApiKey.Produce })
    : undefined;
}

interface StartedListeners {
  readonly listeners: TcpListener[];
  readonly wsListener: WebSocketListener | undefined;
  readonly metricsServer: MetricsServer | undefined;
}

/**
 * Binds the Kafka listeners, the WebSocket listener and the metrics server. When one fails, what was
 * started is closed again (and the group coordinator and the topics with it) before the error is rethrown.
 */
async function startListeners(
  context: BrokerContext,
  onConnection: ((c: Connection) => void) | undefined,
  metricsModule: MetricsModule | undefined,
  frameArena: LinearFrameArena | undefined,
): Promise<StartedListeners> {
  const { config, log } = context;
  const dispatcher = new KafkaDispatcher(context);
  const limits = requestLimits(config);
  const listeners: TcpListener[] = [];
  let metricsServer: MetricsServer | undefined;
  let wsListener: WebSocketListener | undefined;
  try {
    const connectionQuotas = await connectionLimits(context);
    for (const ep of config.listeners) {
      listeners.push(
        await TcpListener.listen({
          name: ep.name,
          host: ep.host,
          port: ep.port,
          ...listenerSecurity(context, ep.name),
          limits,
          dispatcher,
          log: log.child('network'),
          frameArena,
          connectionQuotas,
          onConnection: context.metrics ? countConnection(context.metrics, ep.name, onConnection) : onConnection,
        }),
      );
      context.metrics?.addListener(listeners[listeners.length - 1]!);
    }
    context.dynamicSsl = new DynamicListenerSsl(config, listeners);
    wsListener = await listenWebSocket(context, limits, dispatcher, onConnection, connectionQuotas);
    if (context.metrics && metricsModule)
      metricsServer = await metricsModule.startMetricsServer(context.metrics, config.get('metrics.host'), config.get('metrics.port'), log.child('metrics'));
  } catch (e) {
    await metricsServer?.close();
    await wsListener?.close(0);
    await Promise.all(listeners.map((l) => l.close(0)));
    await context.groupCoordinator?.shutdown();
    await context.replicaManager?.shutdown();
    await context.topicRegistry.close();
    throw e;
  }
  return { listeners, wsListener, metricsServer };
}

/**
 * A listener's security: its protocol, TLS for SSL and SASL_SSL, and the SASL gate of SASL_PLAINTEXT and
 * SASL_SSL connections (a SASL listener that cannot serve any enabled mechanism refuses the start-up).
 */
function listenerSecurity(
  context: BrokerContext,
  name: string,
  securityProtocol: SecurityProtocol = context.config.securityProtocol(name),
): Pick<TcpListenerOptions, 'securityProtocol' | 'tls' | 'sslPrincipal' | 'gateFor'> {
  const { config } = context;
  const security = listenerSecurityOptions(config, name, securityProtocol);
  const sasl = security.securityProtocol === 'SASL_PLAINTEXT' || security.securityProtocol === 'SASL_SSL';
  const gateFor = sasl ? saslGateFor(saslListenerSettings(config, context.securityStore, name, context.log.child('sasl'))) : undefined;
  return { ...security, gateFor };
}

/**
 * max.connections, max.connections.per.ip(.overrides), max.connection.creation.rate (broker-wide and per
 * listener) and the IP entities' connection_creation_rate quotas (which follow the security store): one
 * ConnectionQuotas shared by every listener.
 */
async function connectionLimits(context: BrokerContext): Promise<ConnectionQuotas> {
  const { config, securityStore } = context;
  const names = [...config.listeners.map((l) => l.name), ...(config.get('ws.port') === -1 ? [] : ['WEBSOCKET'])];
  const quotas = new ConnectionQuotas(await connectionQuotaConfig(config, names));
  quotas.updateIpConnectionRates(ipConnectionRates(securityStore.current().quotas));
  securityStore.onChange((image) => quotas.updateIpConnectionRates(ipConnectionRates(image.quotas)));
  return quotas;
}

/** What every connection of a Kafka or WebSocket listener is held to. */
function requestLimits(config: BrokerConfig): ConnectionLimits {
  return {
    maxRequestBytes: config.get('socket.request.max.bytes'),
    maxQueuedRequests: config.get('queued.max.requests'),
    idleTimeoutMs: config.get('connections.max.idle.ms'),
  };
}

/**
 * The Kafka-over-WebSocket listener, when `ws.port` is not -1: listener WEBSOCKET, secured by
 * ws.security.protocol with its listener.name.websocket.* settings, open to the ws.allowed.origins pages.
 */
async function listenWebSocket(
  context: BrokerContext,
  limits: ConnectionLimits,
  dispatcher: KafkaDispatcher,
  onConnection: ((c: Connection) => void) | undefined,
  connectionQuotas: ConnectionQuotas,
): Promise<WebSocketListener | undefined> {
  const wsPort = context.config.get('ws.port');
  if (wsPort === -1) return undefined;
  // Loaded only when asked for, like the metrics: start-up time is mostly module loading.
  const { WebSocketListener } = await import('./network/ws-listener.js');
  return WebSocketListener.listen({
    name: WS_LISTENER_NAME,
    host: context.config.get('ws.host'),
    port: wsPort,
    ...listenerSecurity(context, WS_LISTENER_NAME, context.config.get('ws.security.protocol') as SecurityProtocol),
    allowedOrigins: context.config.get('ws.allowed.origins'),
    limits,
    dispatcher,
    log: context.log.child('network'),
    onConnection,
    connectionQuotas,
  });
}

/**
 * What clients are told: advertised.listeners (or listeners), with port 0 → bound port and an empty /
 * wildcard host → this machine's name.
 */
function resolveAdvertisedListeners(config: BrokerConfig, listeners: readonly TcpListener[], advertised: Endpoint[]): void {
  for (const ep of config.advertisedListeners) {
    const bound = listeners.find((l) => l.name === ep.name);
    const port = ep.port === 0 && bound ? bound.port : ep.port;
    const host = ep.host === '' || ep.host === '0.0.0.0' || ep.host === '::' ? hostname() : ep.host;
    advertised.push({ name: ep.name, host, port });
  }
}

function logListening(context: BrokerContext, { listeners, wsListener, metricsServer }: StartedListeners): void {
  const { log, nodeId, clusterId, advertisedListeners, config } = context;
  log.info(`data in ${config.logDirs.join(', ')} (log.dirs)`);
  for (const l of listeners) {
    const adv = advertisedListeners.find((a) => a.name === l.name);
    log.info(
      `broker node.id=${nodeId} cluster.id=${clusterId} listening on ${formatEndpoint({ name: l.name, host: l.host, port: l.port })}` +
        (adv ? ` (advertised ${formatEndpoint(adv)})` : ''),
    );
  }
  if (wsListener) log.info(`Kafka over WebSocket at ${wsListener.url}${wsListener.demoUrl ? ` (demo page: ${wsListener.demoUrl})` : ''}`);
  if (metricsServer) log.info(`Prometheus metrics at ${metricsServer.url}`);
}

function countConnection(metrics: BrokerMetrics, listener: string, next: ((c: Connection) => void) | undefined): (c: Connection) => void {
  return (c) => {
    metrics.connectionAccepted(listener);
    next?.(c);
  };
}
