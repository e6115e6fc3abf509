// What a handler gets besides its decoded request.
import type { BrokerConfig } from '../config/index.js';
import type { Endpoint } from '../config/listeners.js';
import type { ConnectionInfo } from '../network/types.js';
import type { Logger } from '../util/log.js';
import type { HandlerRegistry } from './registry.js';
import type { TopicMetadataSource } from './topics.js';

/** Broker-wide state shared by all handlers. The next issues add storage, groups, … here. */
export interface BrokerContext {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly rack: string | null;
  readonly config: BrokerConfig;
  /** Endpoints clients should connect to, resolved after binding (port 0 → actual port). */
  readonly advertisedListeners: readonly Endpoint[];
  readonly registry: HandlerRegistry;
  topics: TopicMetadataSource;
  readonly log: Logger;
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
