// CreatePartitions (api key 37), v0-3: grows a topic to `count` partitions. Not more than now →
// INVALID_PARTITIONS; assignments must list the new partitions only, each with this broker →
// INVALID_REPLICA_ASSIGNMENT; unknown topic → UNKNOWN_TOPIC_OR_PARTITION; a topic named twice →
// INVALID_REQUEST. validateOnly checks without creating.
import type { CreatePartitionsResponseCreatePartitionsTopicResultInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { ApiHandler } from '../registry.js';
import { duplicates, errorOf } from './admin-common.js';
import { CreatePartitionsApi } from '../../../protocol/generated/create-partitions.js';

export const createPartitionsHandler: ApiHandler<typeof ApiKey.CreatePartitions, 'topicAdmin' | 'log'> = {
  api: CreatePartitionsApi,
  async handle(request, ctx) {
    const reg = ctx.broker.topicAdmin;
    const dup = duplicates(request.topics, (t) => t.name);
    const results: CreatePartitionsResponseCreatePartitionsTopicResultInput[] = [];
    for (const t of request.topics) {
      if (dup.has(t.name)) {
        results.push({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' });
        continue;
      }
      try {
        await reg.createPartitions(t.name, t.count, t.assignments, request.validateOnly);
        results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (e) {
        results.push({ name: t.name, ...errorOf(e, ctx) });
      }
    }
    return { throttleTimeMs: 0, results };
  },
};
