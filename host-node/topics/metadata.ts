// What the Metadata API needs to know about topics. The topic registry (topic-registry.ts) implements
// TopicMetadataSource; tests may start a broker with a source of their own.

export interface PartitionMetadata {
  partition: number;
  leaderId: number;
  leaderEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
  offlineReplicas: readonly number[];
  /** Non-zero when the partition is unavailable (e.g. LEADER_NOT_AVAILABLE). */
  errorCode?: number;
}

export interface TopicMetadata {
  name: string;
  /** Kafka-style base64url UUID. */
  topicId: string;
  isInternal: boolean;
  partitions: readonly PartitionMetadata[];
}

export interface TopicMetadataSource {
  /** Every topic (Metadata with a null topic list). */
  listTopics(): Iterable<TopicMetadata>;
  topicByName(name: string): TopicMetadata | undefined;
  topicById(topicId: string): TopicMetadata | undefined;
  /**
   * Hook for auto.create.topics.enable: called for an unknown topic named in a Metadata request whose
   * AllowAutoTopicCreation is true. Returns the created topic, or an error code to report for it.
   * Absent → unknown topics are reported as UNKNOWN_TOPIC_OR_PARTITION.
   */
  autoCreateTopic?(name: string): Promise<TopicMetadata | number> | TopicMetadata | number;
}
