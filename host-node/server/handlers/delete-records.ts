// DeleteRecords (api key 21), v0–2: moves each partition's log start offset to the given offset (-1 = the high
// watermark) with Log.deleteRecordsBefore; segments wholly below it are deleted by storage. An offset above
// the high watermark → OFFSET_OUT_OF_RANGE. The response carries the new low watermark (log start offset).
import type {
  DeleteRecordsRequest,
  DeleteRecordsResponseDeleteRecordsPartitionResultInput,
  DeleteRecordsResponseDeleteRecordsTopicResultInput,
  DeleteRecordsResponseInput,
} from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { ApiHandler } from '../registry.js';
import type { RequestContext } from '../context.js';
import { findLog } from '../data/partitions.js';
import { partitionErrorOf } from '../data/errors.js';
import { DeleteRecordsApi } from '../../../protocol/generated/delete-records.js';

export const deleteRecordsHandler: ApiHandler<typeof ApiKey.DeleteRecords, 'topicRegistry' | 'logManager' | 'log'> = {
  api: DeleteRecordsApi,
  handle(request, ctx) {
    // One checkpoint write for the whole request, however many partitions it moves.
    return ctx.broker.logManager.withCheckpointsDeferred(() => deleteRecords(request, ctx));
  },
};

function deleteRecords(request: DeleteRecordsRequest, ctx: RequestContext<'topicRegistry' | 'log'>): DeleteRecordsResponseInput {
  const topics: DeleteRecordsResponseDeleteRecordsTopicResultInput[] = [];
  for (const t of request.topics) {
    const partitions: DeleteRecordsResponseDeleteRecordsPartitionResultInput[] = [];
    for (const p of t.partitions) {
      try {
        const log = findLog(ctx.broker, t.name, p.partitionIndex);
        if (log === undefined) {
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
          continue;
        }
        const offset = Number(p.offset);
        if (offset < -1) {
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE });
          continue;
        }
        const low = log.deleteRecordsBefore(offset);
        partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: BigInt(low), errorCode: ErrorCode.NONE });
      } catch (e) {
        partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: partitionErrorOf(e, ctx.broker.log, `DeleteRecords ${t.name}-${p.partitionIndex}`).code });
      }
    }
    topics.push({ name: t.name, partitions });
  }
  return { throttleTimeMs: 0, topics };
}
