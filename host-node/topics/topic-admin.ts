// The topic admin operations the admin handlers call (CreateTopics, DeleteTopics, CreatePartitions, topic
// configs): the topic registry on a single broker; in a cluster, writes to the cluster metadata
// (host-node/cluster/cluster-topic-admin.ts). Both throw AdminError with Kafka's error code.
import type { NewTopic, TopicInfo } from './topic-registry.js';

/** The admin operations the admin handlers call (the topic registry implements them for a single broker). */
export interface TopicAdmin {
  /** A topic as the admin handlers report it (its overrides and effective config), or undefined. */
  topic(name: string): TopicInfo | undefined;
  createTopicAsync(spec: NewTopic, validateOnly?: boolean, timeoutMs?: number): Promise<TopicInfo>;
  deleteTopic(name: string): TopicInfo | Promise<TopicInfo>;
  createPartitions(name: string, count: number, assignments: readonly { brokerIds: readonly number[] }[] | null, validateOnly?: boolean): TopicInfo | Promise<TopicInfo>;
  setTopicConfigs(name: string, overrides: Readonly<Record<string, string>>, validateOnly?: boolean): TopicInfo | Promise<TopicInfo>;
}

