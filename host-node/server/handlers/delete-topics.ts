// DeleteTopics (api key 20), v0-6: by name (v0-5 TopicNames; v6 Topics[].Name) or by topic id (v6).
// Unknown name → UNKNOWN_TOPIC_OR_PARTITION, unknown id → UNKNOWN_TOPIC_ID, a name or id given twice or
// both name and id in one entry → INVALID_REQUEST, delete.topic.enable=false → TOPIC_DELETION_DISABLED.
// The partitions are renamed `<topic>-<p>.<uuid>-delete` at once and removed in the background.
import type { DeleteTopicsResponseDeletableTopicResultInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { ZERO_UUID } from '../../../protocol/wire/uuid.js';
import type { ApiHandler } from '../registry.js';
import { duplicates, errorOf } from './admin-common.js';
import { DeleteTopicsApi } from '../../../protocol/generated/delete-topics.js';

export const deleteTopicsHandler: ApiHandler<typeof ApiKey.DeleteTopics, 'topicAdmin' | 'metadata' | 'log'> = {
  api: DeleteTopicsApi,
  async handle(request, ctx) {
    const reg = ctx.broker.topicAdmin;
    const entries: { name: string | null; topicId: string }[] =
      ctx.apiVersion >= 6 ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const dupNames = duplicates(
      entries.filter((e) => e.name !== null),
      (e) => e.name!,
    );
    const dupIds = duplicates(
      entries.filter((e) => e.name === null && e.topicId !== ZERO_UUID),
      (e) => e.topicId,
    );
    const responses: DeleteTopicsResponseDeletableTopicResultInput[] = [];
    for (const e of entries) {
      if (e.name !== null && e.topicId !== ZERO_UUID) {
        responses.push({ name: e.name, topicId: e.topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Topic name and topic ID can not both be specified.' });
        continue;
      }
      if (e.name === null && e.topicId === ZERO_UUID) {
        responses.push({ name: null, topicId: ZERO_UUID, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Neither topic name nor id were specified.' });
        continue;
      }
      if (e.name !== null && dupNames.has(e.name)) {
        responses.push({ name: e.name, topicId: ZERO_UUID, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' });
        continue;
      }
      if (e.name === null && dupIds.has(e.topicId)) {
        responses.push({ name: null, topicId: e.topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic id.' });
        continue;
      }
      let name = e.name;
      if (name === null) {
        name = ctx.broker.metadata.topicById(e.topicId)?.name ?? null;
        if (name === null) {
          responses.push({ name: null, topicId: e.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'This server does not host this topic ID.' });
          continue;
        }
      }
      try {
        const info = await reg.deleteTopic(name);
        responses.push({ name, topicId: info.topicId, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        responses.push({ name, topicId: e.topicId, ...errorOf(err, ctx) });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
};
