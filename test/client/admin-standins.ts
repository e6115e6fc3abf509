// Stand-ins for the admin APIs the real broker does not serve yet (CreateTopics, DeleteTopics,
// CreatePartitions, DescribeConfigs, IncrementalAlterConfigs, AlterConfigs), thin wrappers over the real
// topic registry (ctx.broker.topicRegistry). Each is registered only while the broker lacks that API, so the real
// handlers take over as they land. The data path (Produce, Fetch, ListOffsets, DeleteRecords) is the real one.
import { ApiKey, apis } from '../../protocol/generated/index.js';
import type { HandlerRegistry } from '../../host-node/server/registry.js';
import { AdminError } from '../../host-node/topics/topic-registry.js';
import { describeTopicConfigs } from '../../host-node/topics/topic-config.js';

const err = (e: unknown) => (e instanceof AdminError ? { errorCode: e.code, errorMessage: e.message } : { errorCode: -1, errorMessage: (e as Error).message });

export function registerAdminStandIns(r: HandlerRegistry): string[] {
  const added: string[] = [];
  const add: HandlerRegistry['register'] = (h) => {
    if (!r.get(h.api.apiKey)) {
      r.register(h);
      added.push(String(h.api.apiKey));
    }
    return r;
  };
  add({
    api: apis[ApiKey.CreateTopics],
    handle: (req, ctx) => ({
      topics: req.topics.map((t) => {
        try {
          const info = ctx.broker.topicRegistry.createTopic({ name: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor, assignments: t.assignments, configs: t.configs }, req.validateOnly);
          return { name: t.name, topicId: info.topicId, errorCode: 0, numPartitions: info.partitions, replicationFactor: info.replicationFactor };
        } catch (e) {
          return { name: t.name, ...err(e) };
        }
      }),
    }),
  });
  add({
    api: apis[ApiKey.DeleteTopics],
    handle: (req, ctx) => {
      const names = ctx.apiVersion < 6 ? req.topicNames : req.topics.map((t) => t.name ?? ctx.broker.topicRegistry.topicNameById(t.topicId) ?? '');
      return {
        responses: names.map((name) => {
          try {
            ctx.broker.topicRegistry.deleteTopic(name);
            return { name, errorCode: 0 };
          } catch (e) {
            return { name, ...err(e) };
          }
        }),
      };
    },
  });
  add({
    api: apis[ApiKey.CreatePartitions],
    handle: (req, ctx) => ({
      results: req.topics.map((t) => {
        try {
          ctx.broker.topicRegistry.createPartitions(t.name, t.count, t.assignments, req.validateOnly);
          return { name: t.name, errorCode: 0 };
        } catch (e) {
          return { name: t.name, ...err(e) };
        }
      }),
    }),
  });
  add({
    api: apis[ApiKey.DescribeConfigs],
    handle: (req, ctx) => ({
      results: req.resources.map((res) => {
        const t = ctx.broker.topicRegistry.topic(res.resourceName);
        if (res.resourceType !== 2 || !t) return { resourceType: res.resourceType, resourceName: res.resourceName, errorCode: 3, errorMessage: 'unknown topic', configs: [] };
        const all = describeTopicConfigs(ctx.broker.config, t.effective, t.configs);
        return {
          resourceType: 2,
          resourceName: res.resourceName,
          errorCode: 0,
          configs: all
            .filter((c) => !res.configurationKeys || res.configurationKeys.includes(c.name))
            .map((c) => ({ name: c.name, value: c.value, readOnly: c.readOnly, configSource: c.source, isSensitive: c.isSensitive })),
        };
      }),
    }),
  });
  add({
    api: apis[ApiKey.IncrementalAlterConfigs],
    handle: (req, ctx) => ({
      responses: req.resources.map((res) => {
        try {
          const t = ctx.broker.topicRegistry.topic(res.resourceName);
          if (!t) throw new AdminError(3, 'unknown topic');
          const next: Record<string, string> = { ...t.configs };
          for (const c of res.configs) {
            if (c.configOperation === 1) delete next[c.name];
            else next[c.name] = c.value ?? '';
          }
          ctx.broker.topicRegistry.setTopicConfigs(res.resourceName, next, req.validateOnly);
          return { resourceType: res.resourceType, resourceName: res.resourceName, errorCode: 0 };
        } catch (e) {
          return { resourceType: res.resourceType, resourceName: res.resourceName, ...err(e) };
        }
      }),
    }),
  });
  return added;
}
