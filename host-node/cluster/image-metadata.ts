// What Metadata, DescribeCluster and FindCoordinator answer in a cluster: the brokers' registrations, the
// controller and the topics' partition states, read from the broker's ClusterImage (kept current by the
// etcd watch). Every broker answers for the whole cluster.
import { ErrorCode } from '../../protocol/errors.js';
import type { BrokerNode, ClusterView } from '../server/cluster-view.js';
import type { PartitionMetadata, TopicMetadata, TopicMetadataSource } from '../topics/metadata.js';
import { isInternalTopic } from '../topics/names.js';
import type { ClusterImage, TopicImage } from './cluster-image.js';

/** The brokers of the image as clients reach them on a listener; the controller from /controller. */
export function imageClusterView(image: ClusterImage): ClusterView {
  const nodeOf = (brokerId: number, listenerName: string): BrokerNode | undefined => {
    const b = image.brokers.get(brokerId);
    if (!b) return undefined;
    // A listener the broker does not register (the WebSocket listener) reaches it at its first endpoint.
    const ep = b.endpoints.find((e) => e.name === listenerName) ?? b.endpoints[0];
    return ep && { nodeId: brokerId, host: ep.host, port: ep.port, rack: b.rack };
  };
  return {
    brokers(listenerName) {
      const out: BrokerNode[] = [];
      for (const id of [...image.brokers.keys()].sort((a, b) => a - b)) {
        const n = nodeOf(id, listenerName);
        if (n) out.push(n);
      }
      return out;
    },
    node: nodeOf,
    controllerId: () => image.controller?.brokerId ?? -1,
  };
}

/** The replicas clients see for a partition: the assignment, with a reassignment's added replicas after it. */
export function replicasOf(topic: TopicImage, partition: number): number[] {
  const replicas = [...(topic.partitions[partition] ?? [])];
  for (const r of topic.adding.get(partition) ?? []) if (!replicas.includes(r)) replicas.push(r);
  return replicas;
}

/**
 * One topic's metadata from the image. A partition with no state yet (the controller has not elected its
 * first leader) or whose leader is not a live broker answers LEADER_NOT_AVAILABLE with leader -1, so clients
 * retry rather than connect to a broker that is gone.
 */
export function topicMetadataOf(image: ClusterImage, topic: TopicImage): TopicMetadata {
  const partitions: PartitionMetadata[] = [];
  for (let p = 0; p < topic.partitions.length; p++) {
    const replicas = replicasOf(topic, p);
    const offlineReplicas = replicas.filter((r) => !image.brokers.has(r));
    const state = image.partitionState(topic.name, p);
    if (!state) {
      partitions.push({ partition: p, leaderId: -1, leaderEpoch: -1, replicas, isr: [], offlineReplicas, errorCode: ErrorCode.LEADER_NOT_AVAILABLE });
      continue;
    }
    const live = state.leader >= 0 && image.brokers.has(state.leader);
    partitions.push({
      partition: p,
      leaderId: live ? state.leader : -1,
      leaderEpoch: state.leaderEpoch,
      replicas,
      isr: [...state.isr],
      offlineReplicas,
      ...(live ? {} : { errorCode: ErrorCode.LEADER_NOT_AVAILABLE }),
    });
  }
  return { name: topic.name, topicId: topic.topicId, isInternal: isInternalTopic(topic.name), partitions };
}

/**
 * Metadata's topics from the image, computed once per image revision. Auto-creation goes through
 * `autoCreate` (the cluster's topic admin), when given.
 */
export class ImageTopicMetadata implements TopicMetadataSource {
  private cachedAt = -1;
  private byName = new Map<string, TopicMetadata>();
  private byId = new Map<string, TopicMetadata>();

  constructor(
    private readonly image: ClusterImage,
    readonly autoCreateTopic?: (name: string) => Promise<TopicMetadata | number>,
  ) {}

  private refresh(): void {
    if (this.cachedAt === this.image.revision) return;
    this.byName = new Map();
    this.byId = new Map();
    for (const t of this.image.topics.values()) {
      const m = topicMetadataOf(this.image, t);
      this.byName.set(t.name, m);
      this.byId.set(t.topicId, m);
    }
    this.cachedAt = this.image.revision;
  }

  listTopics(): Iterable<TopicMetadata> {
    this.refresh();
    return this.byName.values();
  }

  topicByName(name: string): TopicMetadata | undefined {
    this.refresh();
    return this.byName.get(name);
  }

  topicById(topicId: string): TopicMetadata | undefined {
    this.refresh();
    return this.byId.get(topicId);
  }
}
