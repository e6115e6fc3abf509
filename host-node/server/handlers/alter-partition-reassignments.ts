// AlterPartitionReassignments (api key 45), v0: per partition a target replica list (start a
// reassignment) or null (cancel one). The decisions come from the broker's PartitionReassignments
// service; a single broker accepts only [itself] — already the assignment, so it completes at once —
// and answers INVALID_REPLICA_ASSIGNMENT for other brokers, NO_REASSIGNMENT_IN_PROGRESS for a cancel,
// UNKNOWN_TOPIC_OR_PARTITION for a partition it does not have (partition-admin.ts).
import type { AlterPartitionReassignmentsResponseReassignableTopicResponseInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { AlterPartitionReassignmentsApi } from '../../../protocol/generated/alter-partition-reassignments.js';
import type { ApiHandler } from '../registry.js';
import { singleBrokerReassignments, type PartitionResult, type ReassignmentRequest } from '../partition-admin.js';

export const alterPartitionReassignmentsHandler: ApiHandler<typeof ApiKey.AlterPartitionReassignments, 'reassignments' | 'metadata' | 'nodeId'> = {
  api: AlterPartitionReassignmentsApi,
  async handle(request, ctx) {
    const reassignments = ctx.broker.reassignments ?? singleBrokerReassignments(ctx.broker.metadata, ctx.broker.nodeId);
    const requests: ReassignmentRequest[] = request.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, target: p.replicas })),
    );
    const results = await reassignments.alter(requests, request.timeoutMs);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses: byTopic(results) };
  },
};

/** Results grouped per topic, topics in the order they first appear. */
function byTopic(results: readonly PartitionResult[]): AlterPartitionReassignmentsResponseReassignableTopicResponseInput[] {
  const topics = new Map<string, { name: string; partitions: { partitionIndex: number; errorCode: number; errorMessage: string | null }[] }>();
  for (const r of results) {
    let t = topics.get(r.topic);
    if (!t) topics.set(r.topic, (t = { name: r.topic, partitions: [] }));
    t.partitions.push({ partitionIndex: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage });
  }
  return [...topics.values()];
}
