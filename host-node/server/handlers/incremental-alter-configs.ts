// IncrementalAlterConfigs (api key 44), v0-1: per-key SET / DELETE / APPEND / SUBTRACT on a topic's
// overrides. APPEND/SUBTRACT only for list configs (cleanup.policy), starting from the effective value.
// The result is validated like AlterConfigs (INVALID_CONFIG), persisted, and applied to the live logs.
// A key given twice, a resource named twice, or an unknown operation → INVALID_REQUEST; BROKER
// resources: the TLS listeners' key stores and trust stores (server/dynamic-ssl.ts), any other key → INVALID_CONFIG.
import type { IncrementalAlterConfigsResponseAlterConfigsResourceResponseInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { invalidTopicNameReason } from '../../topics/names.js';
import { TOPIC_CONFIG_DEFS, formatConfigValue, isTopicConfigKey } from '../../topics/topic-config.js';
import { AdminError } from '../../topics/topic-registry.js';
import type { ApiHandler } from '../registry.js';
import { ResourceType, alterNonTopicResource, duplicateResources, errorOf, requestError } from './admin-common.js';
import { IncrementalAlterConfigsApi } from '../../../protocol/generated/incremental-alter-configs.js';

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;
const OP_NAMES = ['set', 'delete', 'append', 'subtract'];

export const incrementalAlterConfigsHandler: ApiHandler<typeof ApiKey.IncrementalAlterConfigs, 'topicAdmin' | 'nodeId' | 'log' | 'dynamicSsl' | 'dynamicConfig'> = {
  api: IncrementalAlterConfigsApi,
  async handle(request, ctx) {
    const reg = ctx.broker.topicAdmin;
    const dup = duplicateResources(request.resources);
    const responses: IncrementalAlterConfigsResponseAlterConfigsResourceResponseInput[] = await Promise.all(request.resources.map(async (res) => {
      const base = { resourceType: res.resourceType, resourceName: res.resourceName };
      const refused = requestError(res, dup);
      if (refused) return { ...base, ...refused };
      const badOp = res.configs.find((c) => c.configOperation < SET || c.configOperation > SUBTRACT);
      if (badOp) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown alter config operation type ${badOp.configOperation}` };

      if (res.resourceType === ResourceType.TOPIC) {
        const bad = invalidTopicNameReason(res.resourceName);
        if (bad) return { ...base, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: bad };
        try {
          const t = reg.topic(res.resourceName);
          if (!t) throw new AdminError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${res.resourceName}' does not exist.`);
          const overrides: Record<string, string> = { ...t.configs };
          for (const c of res.configs) {
            if (!isTopicConfigKey(c.name)) throw new AdminError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${c.name}`);
            const isList = TOPIC_CONFIG_DEFS[c.name].type === 'list';
            switch (c.configOperation) {
              case SET:
                if (c.value === null) throw new AdminError(ErrorCode.INVALID_CONFIG, `Null value not supported for : ${c.name}`);
                overrides[c.name] = c.value;
                break;
              case DELETE:
                delete overrides[c.name];
                break;
              case APPEND:
              case SUBTRACT: {
                if (!isList)
                  throw new AdminError(ErrorCode.INVALID_CONFIG, `Config value ${OP_NAMES[c.configOperation]} is not allowed for config key: ${c.name}`);
                const current = (overrides[c.name] ?? formatConfigValue(t.effective[c.name]) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
                const items = (c.value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
                const next = c.configOperation === APPEND ? [...current, ...items.filter((i) => !current.includes(i))] : current.filter((i) => !items.includes(i));
                overrides[c.name] = next.join(',');
                break;
              }
            }
          }
          await reg.setTopicConfigs(res.resourceName, overrides, request.validateOnly);
          return { ...base, errorCode: ErrorCode.NONE, errorMessage: null };
        } catch (e) {
          return { ...base, ...errorOf(e, ctx) };
        }
      }
      return { ...base, ...(await alterNonTopicResource(res, ctx, { incremental: true, validateOnly: request.validateOnly })) };
    }));
    return { throttleTimeMs: 0, responses };
  },
};
