// ListPartitionReassignments (api key 46), v0: the reassignments in progress among the listed partitions
// (null = all), from the broker's PartitionReassignments service; a single broker never has one.
import type { ListPartitionReassignmentsResponseOngoingTopicReassignmentInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { ListPartitionReassignmentsApi } from '../../../protocol/generated/list-partition-reassignments.js';
import type { ApiHandler } from '../registry.js';
import { singleBrokerReassignments, type OngoingReassignment, type TopicPartitionRef } from '../partition-admin.js';

export const listPartitionReassignmentsHandler: ApiHandler<typeof ApiKey.ListPartitionReassignments, 'reassignments' | 'metadata' | 'nodeId'> = {
  api: ListPartitionReassignmentsApi,
  async handle(request, ctx) {
    const reassignments = ctx.broker.reassignments ?? singleBrokerReassignments(ctx.broker.metadata, ctx.broker.nodeId);
    const partitions: TopicPartitionRef[] | null =
      request.topics === null ? null : request.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
    const ongoing = await reassignments.list(partitions);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: byTopic(ongoing) };
  },
};

/** Ongoing reassignments grouped per topic, topics in the order they first appear. */
function byTopic(ongoing: readonly OngoingReassignment[]): ListPartitionReassignmentsResponseOngoingTopicReassignmentInput[] {
  const topics = new Map<string, { name: string; partitions: { partitionIndex: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }[] }>();
  for (const r of ongoing) {
    let t = topics.get(r.topic);
    if (!t) topics.set(r.topic, (t = { name: r.topic, partitions: [] }));
    t.partitions.push({ partitionIndex: r.partition, replicas: [...r.replicas], addingReplicas: [...r.adding], removingReplicas: [...r.removing] });
  }
  return [...topics.values()];
}
