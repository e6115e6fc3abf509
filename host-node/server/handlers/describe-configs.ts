// DescribeConfigs (api key 32), v0-4.
// - TOPIC resources: every topic config (Kafka's names) with its effective value and source:
//   DYNAMIC_TOPIC_CONFIG (a topic override), STATIC_BROKER_CONFIG (a broker synonym set in
//   server.properties / env / --set, e.g. log.retention.hours) or DEFAULT_CONFIG.
// - BROKER resources (this node's id): every broker config, the dynamic ones (config/dynamic-defs.ts, and
//   the TLS stores of dynamic-ssl.ts) writable with their sources DYNAMIC_BROKER_CONFIG / DYNAMIC_DEFAULT_BROKER_CONFIG; '' lists the
//   cluster-wide dynamic defaults.
// Synonyms (v1+) when IncludeSynonyms, Kafka's order (topic override, dynamic broker, dynamic default,
// static broker, default); config type
// (v3+); documentation (v3+) when IncludeDocumentation. v0 reports isDefault (source DEFAULT_CONFIG).
// Unknown topic → UNKNOWN_TOPIC_OR_PARTITION, bad name → INVALID_TOPIC_EXCEPTION, another broker id or an
// unsupported resource type → INVALID_REQUEST.
import type { DescribeConfigsResponseDescribeConfigsResultInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { invalidTopicNameReason } from '../../topics/names.js';
import { ConfigSource, describeBrokerConfigs, describeDefaultBrokerConfigs, describeTopicConfigs, type DescribedConfig } from '../../topics/topic-config.js';
import type { BrokerConfigKey } from '../../config/broker-config.js';
import { isDynamicBrokerConfigKey } from '../../config/dynamic-defs.js';
import { dynamicSslKey } from '../dynamic-ssl.js';
import type { ApiHandler } from '../registry.js';
import { ResourceType, checkBrokerResource } from './admin-common.js';
import { DescribeConfigsApi } from '../../../protocol/generated/describe-configs.js';

export const describeConfigsHandler: ApiHandler<typeof ApiKey.DescribeConfigs, 'topicAdmin' | 'config' | 'nodeId' | 'dynamicConfig'> = {
  api: DescribeConfigsApi,
  handle(request, ctx) {
    const b = ctx.broker;
    const v = ctx.apiVersion;
    const synonyms = v >= 1 && request.includeSynonyms;
    const docs = v >= 3 && request.includeDocumentation;
    const results: DescribeConfigsResponseDescribeConfigsResultInput[] = request.resources.map((res) => {
      const base = { resourceType: res.resourceType, resourceName: res.resourceName };
      let configs: DescribedConfig[];
      if (res.resourceType === ResourceType.TOPIC) {
        const bad = invalidTopicNameReason(res.resourceName);
        if (bad) return { ...base, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: bad, configs: [] };
        // The topic admin: this broker's registry, or in a cluster the topic's configs in the cluster metadata.
        const t = b.topicAdmin.topic(res.resourceName);
        if (!t) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${res.resourceName}' does not exist.`, configs: [] };
        configs = describeTopicConfigs(b.config, t.effective, t.configs);
      } else if (res.resourceType === ResourceType.BROKER) {
        const err = checkBrokerResource(res.resourceName, ctx);
        if (err) return { ...base, ...err, configs: [] };
        configs =
          res.resourceName === ''
            ? describeDefaultBrokerConfigs(b.config, Object.keys(b.dynamicConfig?.stored.default ?? {}) as BrokerConfigKey[])
            : describeBrokerConfigs(b.config, (k) => isDynamicBrokerConfigKey(k) || dynamicSslKey(k) !== null);
      } else if (res.resourceType === ResourceType.BROKER_LOGGER) {
        // Kafka lists its log4j loggers here; Rivulet has one logger level, not per-class loggers.
        if (res.resourceName === '') return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Broker id must not be empty', configs: [] };
        const err = checkBrokerResource(res.resourceName, ctx);
        if (err) return { ...base, ...err, configs: [] };
        configs = [];
      } else {
        return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type: ${res.resourceType}`, configs: [] };
      }
      if (res.configurationKeys !== null) {
        const wanted = new Set(res.configurationKeys);
        configs = configs.filter((c) => wanted.has(c.name));
      }
      return {
        ...base,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        configs: configs.map((c) => ({
          name: c.name,
          value: c.value,
          readOnly: c.readOnly,
          isSensitive: c.isSensitive,
          ...(v === 0 ? { isDefault: c.source === ConfigSource.DEFAULT_CONFIG } : { configSource: c.source, synonyms: synonyms ? c.synonyms : [] }),
          ...(v >= 3 ? { configType: c.configType, documentation: docs ? c.documentation : null } : {}),
        })),
      };
    });
    return { throttleTimeMs: 0, results };
  },
};
