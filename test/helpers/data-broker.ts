// A broker with storage and topics on a given (or temp) data dir, for the real-client and fault tests
// (sarama, crash, full disk, bad input). startBroker() opens the topic registry (context.topicRegistry); this adds
// createTopic(), the data dir, and a tap on handlers to see which API versions and record formats a real
// client used.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker, type StartBrokerOptions } from '../../host-node/broker.js';
import { BrokerConfig } from '../../host-node/config/index.js';
import type { ApiKey, RequestTypes } from '../../protocol/generated/index.js';
import type { BrokerService, RequestContext } from '../../host-node/server/context.js';
import type { ApiHandler, HandlerRegistry } from '../../host-node/server/registry.js';
import type { TopicRegistry } from '../../host-node/topics/index.js';
import { createLogger, silentLogger, type Logger } from '../../host-node/util/log.js';

export interface DataBroker {
  readonly broker: RunningBroker;
  readonly port: number;
  readonly bootstrap: string;
  readonly dataDir: string;
  readonly topics: TopicRegistry;
  createTopic(name: string, partitions?: number, configs?: Record<string, string>): void;
  /** Stops the broker: listeners, then a clean storage shutdown. Keeps the data dir. */
  close(): Promise<void>;
  /** close(), then remove the data dir if this helper made it. */
  dispose(): Promise<void>;
}

export interface DataBrokerOptions {
  /** Defaults to a new temp dir (removed by dispose()). */
  dataDir?: string;
  /** Broker config keys (like --set). */
  sets?: Record<string, string>;
  port?: number;
  log?: Logger;
  configureHandlers?: StartBrokerOptions['configureHandlers'];
}

export async function startDataBroker(o: DataBrokerOptions = {}): Promise<DataBroker> {
  const madeDir = o.dataDir === undefined;
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'rivulet-data-'));
  const log = o.log ?? (process.env.RIVULET_TEST_LOG ? createLogger('test', 'debug') : silentLogger);
  const config = BrokerConfig.load({ sets: { 'node.id': '1', ...o.sets }, flags: { host: '127.0.0.1', port: o.port ?? 0, dataDir } });
  const broker = await startBroker({ config, log, configureHandlers: o.configureHandlers });
  const topics = broker.context.topicRegistry;
  return {
    broker,
    port: broker.port,
    bootstrap: `127.0.0.1:${broker.port}`,
    dataDir,
    topics,
    createTopic(name, partitions = 1, configs = {}) {
      topics.createTopic({ name, numPartitions: partitions, replicationFactor: 1, configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) });
    },
    close: () => broker.close(),
    async dispose() {
      await broker.close();
      if (madeDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Calls `observe(request, ctx)` before the registered handler of `apiKey` serves each request (for tests that
 * check which version / record format a client used). Use inside `configureHandlers`.
 */
export function tapHandler<K extends ApiKey>(registry: HandlerRegistry, apiKey: K, observe: (request: RequestTypes[K], ctx: RequestContext) => void): void {
  const entry = registry.get(apiKey);
  if (!entry) throw new Error(`no handler registered for api key ${apiKey}`);
  const inner = entry.handler as unknown as ApiHandler<K, BrokerService>;
  const tapped: ApiHandler<K, BrokerService> = {
    ...inner,
    handle(request, ctx) {
      observe(request, ctx);
      return inner.handle(request, ctx);
    },
  };
  // The registry has no replace(); the entry object is the registry's own, so swap its handler in place.
  (entry as { handler: ApiHandler }).handler = tapped as unknown as ApiHandler;
}
