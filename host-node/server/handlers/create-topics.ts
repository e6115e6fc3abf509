// CreateTopics (api key 19), v0-7. Each topic is validated and created on its own (Kafka's per-topic
// errors): INVALID_TOPIC_EXCEPTION (bad name, `.`/`_` collision), TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS,
// INVALID_REPLICATION_FACTOR (RF > 1: one broker), INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG, and
// INVALID_REQUEST for a name given twice, assignments together with a count/RF, or an internal topic name
// (__consumer_offsets, …: the broker creates those itself). -1 partitions or RF →
// num.partitions / default.replication.factor. validateOnly (v1+) checks without creating.
// v5+ answers with the partition count, RF and every config (value, source, read-only, sensitive); v7+ with
// the topic id. A single broker answers once the topic and its directories exist; a cluster once every
// partition has a leader, or after timeoutMs (REQUEST_TIMED_OUT; ≤ 0: at once, creation under way).
import type { CreateTopicsResponseCreatableTopicResultInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { isInternalTopic } from '../../topics/names.js';
import { describeTopicConfigs } from '../../topics/topic-config.js';
import type { ApiHandler } from '../registry.js';
import { duplicates, errorOf } from './admin-common.js';
import { CreateTopicsApi } from '../../../protocol/generated/create-topics.js';

export const createTopicsHandler: ApiHandler<typeof ApiKey.CreateTopics, 'topicAdmin' | 'config' | 'log'> = {
  api: CreateTopicsApi,
  async handle(request, ctx) {
    const reg = ctx.broker.topicAdmin;
    const dup = duplicates(request.topics, (t) => t.name);
    const validateOnly = ctx.apiVersion >= 1 && request.validateOnly;
    const topics: CreateTopicsResponseCreatableTopicResultInput[] = [];
    for (const t of request.topics) {
      if (dup.has(t.name)) {
        topics.push({
          name: t.name,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `Create topics request from client \`${ctx.clientId ?? ''}\` contains multiple entries for the following topics: ${t.name}`,
        });
        continue;
      }
      if (isInternalTopic(t.name)) {
        // Rivulet: the broker creates its internal topics itself, with the configs they need.
        topics.push({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Topic ${t.name} is an internal topic; the broker creates it.` });
        continue;
      }
      try {
        // Async: a topic with many partitions is created in slices, letting other requests through.
        const info = await reg.createTopicAsync(
          { name: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor, assignments: t.assignments, configs: t.configs },
          validateOnly,
          request.timeoutMs,
        );
        topics.push({
          name: t.name,
          topicId: info.topicId,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          numPartitions: info.partitions,
          replicationFactor: info.replicationFactor,
          configs: describeTopicConfigs(ctx.broker.config, info.effective, info.configs).map((c) => ({
            name: c.name,
            value: c.value,
            readOnly: c.readOnly,
            configSource: c.source,
            isSensitive: c.isSensitive,
          })),
        });
      } catch (e) {
        topics.push({ name: t.name, ...errorOf(e, ctx) });
      }
    }
    return { throttleTimeMs: 0, topics };
  },
};
