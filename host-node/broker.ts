// startBroker(): config → meta.properties (cluster id) → handler registry → listeners. Returns the bound
// address and a close(). Used by the CLI and, in-process, by tests (port 0, 127.0.0.1).

import { hostname } from 'node:os';
import { BrokerConfig, type BrokerConfigSources } from './config/index.js';
import { formatEndpoint, type Endpoint } from './config/listeners.js';
import { TcpListener } from './network/tcp-listener.js';
import { POOL_MAX_BYTES } from './network/frame-decoder.js';
import { LinearFrameArena } from '../storage/linear-frame-arena.js';
import { ApiKey } from '../protocol/generated/api.js';
import type { WebSocketListener } from './network/ws-listener.js';
import type { Connection } from './network/connection.js';
import type { BrokerContext } from './server/context.js';
import { KafkaDispatcher } from './server/dispatcher.js';
import { registerDefaultHandlers } from './server/handlers/index.js';
import { loadOrCreateMetaProperties } from './server/meta-properties.js';
import { HandlerRegistry } from './server/registry.js';
import { RecordFormats } from './server/data/records.js';
import { brokerMetricsSource } from './server/metrics-source.js';
import type { TopicMetadataSource } from './topics/metadata.js';
import { TopicRegistry } from './topics/topic-registry.js';
import { attachGroupCoordinator } from './server/group-services.js';
import { createLogger, type Logger } from './util/log.js';
import type { BrokerMetrics, MetricsServer } from './metrics/index.js';
import { newCore } from '../bindings/node.js';
import { WasmStorageCore } from '../storage/wasm-storage-core.js';

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
  const nodeId = config.nodeId;
  const meta = loadOrCreateMetaProperties(config.logDirs, nodeId, config.get('cluster.id'));
  if (meta.formatted) log.info(`formatted ${config.logDirs.join(', ')} with cluster.id ${meta.clusterId}, node.id ${nodeId}`);

  const handlers = registerDefaultHandlers(new HandlerRegistry());
  options.configureHandlers?.(handlers);

  // Topics and their logs: loads the topic records, opens every partition log under log.dirs (recovery
  // after an unclean shutdown, checkpoints), starts the retention and checkpoint timers.
  // One WASM core instance serves the whole broker: storage, the group coordinator's record encoding
  // and the data path's down-conversion all run in its linear memory.
  const core = newCore();
  const storageCore = new WasmStorageCore(core);
  const topicRegistry = new TopicRegistry({ config, nodeId, core: storageCore, log: log.child('topics') });

  const advertised: Endpoint[] = [];
  const context: BrokerContext = {
    nodeId,
    clusterId: meta.clusterId,
    rack: config.get('broker.rack'),
    config,
    advertisedListeners: advertised,
    handlers,
    topicRegistry,
    metadata: options.metadata ?? topicRegistry,
    logManager: topicRegistry.logManager,
    recordFormats: new RecordFormats(core),
    log,
    groupCoordinator: undefined,
    metrics: undefined,
  };
  // Groups and offsets: loads __consumer_offsets before the listeners accept anything (docs/groups.md).
  attachGroupCoordinator(context, { core });
  // Prometheus metrics (docs/metrics.md): counters handlers bump, read when /metrics is scraped.
  const metricsPort = config.get('metrics.port');
  // Loaded only when asked for: prom-client alone takes ~70 ms to load, a quarter of the start-up time.
  const metricsModule = metricsPort !== -1 ? await import('./metrics/index.js') : undefined;
  if (metricsModule) {
    const source = brokerMetricsSource(context.logManager, () => context.groupCoordinator);
    const m = (context.metrics = new metricsModule.BrokerMetrics(source));
    topicRegistry.onChange((c) => {
      if (c.type === 'deleted') m.forgetTopic(c.topic.name);
    });
  }
  const dispatcher = new KafkaDispatcher(context);
  const limits = {
    maxRequestBytes: config.get('socket.request.max.bytes'),
    maxQueuedRequests: config.get('queued.max.requests'),
    idleTimeoutMs: config.get('connections.max.idle.ms'),
  };

  // Produce frames that span socket reads are reassembled in the storage core's linear memory, so their
  // batches are copied once between socket and disk (storage/linear-frame-arena.ts).
  const frameArena = storageCore.linear
    ? new LinearFrameArena(storageCore.linear, { regionBytes: POOL_MAX_BYTES, maxRegions: 16, accepts: (apiKey) => apiKey === ApiKey.Produce })
    : undefined;
  const listeners: TcpListener[] = [];
  let metricsServer: MetricsServer | undefined;
  let wsListener: WebSocketListener | undefined;
  try {
    for (const ep of config.listeners) {
      listeners.push(
        await TcpListener.listen({
          name: ep.name,
          host: ep.host,
          port: ep.port,
          limits,
          dispatcher,
          log: log.child('network'),
          frameArena,
          onConnection: context.metrics ? countConnection(context.metrics, ep.name, options.onConnection) : options.onConnection,
        }),
      );
      context.metrics?.addListener(listeners[listeners.length - 1]!);
    }
    const wsPort = config.get('ws.port');
    if (wsPort !== -1) {
      // Loaded only when asked for, like the metrics: start-up time is mostly module loading.
      const { WebSocketListener } = await import('./network/ws-listener.js');
      wsListener = await WebSocketListener.listen({
        name: 'WEBSOCKET',
        host: config.get('ws.host'),
        port: wsPort,
        limits,
        dispatcher,
        log: log.child('network'),
        onConnection: options.onConnection,
      });
    }
    if (context.metrics && metricsModule) metricsServer = await metricsModule.startMetricsServer(context.metrics, config.get('metrics.host'), metricsPort, log.child('metrics'));
  } catch (e) {
    await metricsServer?.close();
    await wsListener?.close(0);
    await Promise.all(listeners.map((l) => l.close(0)));
    await context.groupCoordinator?.shutdown();
    await topicRegistry.close();
    throw e;
  }

  // Resolve what clients are told: advertised.listeners (or listeners), with port 0 → bound port and
  // an empty / wildcard host → this machine's name.
  for (const ep of config.advertisedListeners) {
    const bound = listeners.find((l) => l.name === ep.name);
    const port = ep.port === 0 && bound ? bound.port : ep.port;
    const host = ep.host === '' || ep.host === '0.0.0.0' || ep.host === '::' ? hostname() : ep.host;
    advertised.push({ name: ep.name, host, port });
  }
  for (const l of listeners) {
    const adv = advertised.find((a) => a.name === l.name);
    log.info(
      `broker node.id=${nodeId} cluster.id=${meta.clusterId} listening on ${formatEndpoint({ name: l.name, host: l.host, port: l.port })}` +
        (adv ? ` (advertised ${formatEndpoint(adv)})` : ''),
    );
  }
  if (wsListener) log.info(`Kafka over WebSocket at ${wsListener.url}${wsListener.demoUrl ? ` (demo page: ${wsListener.demoUrl})` : ''}`);
  if (metricsServer) log.info(`Prometheus metrics at ${metricsServer.url}`);

  let closing: Promise<void> | null = null;
  return {
    host: listeners[0]!.host,
    port: listeners[0]!.port,
    nodeId,
    clusterId: meta.clusterId,
    context,
    listeners,
    metrics: metricsServer,
    ws: wsListener,
    frameArena,
    close() {
      // Listeners first (no new requests), then a clean storage shutdown (flush, checkpoints, marker).
      // The group coordinator stops at the same time: waiting JoinGroup/SyncGroup requests are answered
      // (NOT_COORDINATOR) so their connections can drain.
      closing ??= Promise.all([context.groupCoordinator?.shutdown(), metricsServer?.close(), wsListener?.close(), ...listeners.map((l) => l.close())]).then(() => topicRegistry.close());
      return closing;
    },
  };
}

function countConnection(metrics: BrokerMetrics, listener: string, next: ((c: Connection) => void) | undefined): (c: Connection) => void {
  return (c) => {
    metrics.connectionAccepted(listener);
    next?.(c);
  };
}
