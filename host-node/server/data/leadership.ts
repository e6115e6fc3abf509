// What the data handlers tell a client that reached a broker which does not lead a partition (KIP-951):
// the leaders' endpoints, from the replica manager's view of the cluster.
import type { ReplicaManager } from '../../replication/replica-manager.js';

export interface NodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** The endpoints of the brokers named as leaders in NOT_LEADER_OR_FOLLOWER answers (those whose address is known). */
export function notLeaderEndpoints(rm: ReplicaManager, leaderIds: ReadonlySet<number>): NodeEndpoint[] {
  const out: NodeEndpoint[] = [];
  for (const id of leaderIds) {
    const b = rm.brokerEndpoint(id);
    if (b !== undefined) out.push({ nodeId: b.id, host: b.host, port: b.port, rack: b.rack });
  }
  return out;
}
