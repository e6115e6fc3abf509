// Which brokers make up the cluster and which one is the controller, as Metadata, DescribeCluster and
// FindCoordinator report them. A single broker is its own cluster and controller (localClusterView); a
// broker in a cluster reads the brokers' registrations and the controller from the cluster metadata.
import type { Endpoint } from '../config/listeners.js';

/** A broker as clients reach it on one listener. */
export interface BrokerNode {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface ClusterView {
  /** The live brokers reachable on `listenerName`, by node id (a broker without that listener is left out, as Kafka does). */
  brokers(listenerName: string): BrokerNode[];
  /** One live broker on `listenerName`, or undefined. */
  node(brokerId: number, listenerName: string): BrokerNode | undefined;
  /** The active controller's node id, or -1 while there is none. */
  controllerId(): number;
}

/**
 * The single broker's view: itself, at its advertised endpoint for the listener asked about (or its first
 * advertised endpoint for a listener that has none, such as the WebSocket listener).
 */
export function localClusterView(nodeId: number, rack: string | null, advertised: readonly Endpoint[]): ClusterView {
  const self = (listenerName: string): BrokerNode | undefined => {
    const ep = advertised.find((e) => e.name === listenerName) ?? advertised[0];
    return ep && { nodeId, host: ep.host, port: ep.port, rack };
  };
  return {
    brokers: (listenerName) => {
      const n = self(listenerName);
      return n ? [n] : [];
    },
    node: (brokerId, listenerName) => (brokerId === nodeId ? self(listenerName) : undefined),
    controllerId: () => nodeId,
  };
}
