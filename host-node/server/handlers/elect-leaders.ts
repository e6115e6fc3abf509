// ElectLeaders (api key 43), v0-2: preferred (v0 always) or unclean leader elections for the listed
// partitions, or for every partition when the list is null (then only partitions that needed an election
// are answered). The decisions come from the broker's LeaderElections service; a single broker, which
// leads every partition, answers ELECTION_NOT_NEEDED (partition-admin.ts). An unknown election type is
// INVALID_REQUEST for the whole request.
import type { ElectLeadersResponseReplicaElectionResultInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { ElectLeadersApi } from '../../../protocol/generated/elect-leaders.js';
import type { ApiHandler } from '../registry.js';
import { ElectionType, singleBrokerElections, type PartitionResult, type TopicPartitionRef } from '../partition-admin.js';

export const electLeadersHandler: ApiHandler<typeof ApiKey.ElectLeaders, 'elections' | 'metadata' | 'nodeId'> = {
  api: ElectLeadersApi,
  async handle(request, ctx) {
    const type = ctx.apiVersion === 0 ? ElectionType.PREFERRED : request.electionType;
    if (type !== ElectionType.PREFERRED && type !== ElectionType.UNCLEAN) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] };
    }
    const elections = ctx.broker.elections ?? singleBrokerElections(ctx.broker.metadata, ctx.broker.nodeId);
    const partitions: TopicPartitionRef[] | null =
      request.topicPartitions === null ? null : request.topicPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
    const results = await elections.elect(type, partitions, request.timeoutMs);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: byTopic(results) };
  },
};

/** Results grouped per topic, topics in the order they first appear. */
function byTopic(results: readonly PartitionResult[]): ElectLeadersResponseReplicaElectionResultInput[] {
  const topics = new Map<string, { topic: string; partitionResult: { partitionId: number; errorCode: number; errorMessage: string | null }[] }>();
  for (const r of results) {
    let t = topics.get(r.topic);
    if (!t) topics.set(r.topic, (t = { topic: r.topic, partitionResult: [] }));
    t.partitionResult.push({ partitionId: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage });
  }
  return [...topics.values()];
}
