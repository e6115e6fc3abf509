// AlterConfigs (api key 33), v0-2: replaces ALL overrides of a topic with the given set (Kafka's legacy,
// non-incremental semantics; entries with a null value are dropped). Values are validated (INVALID_CONFIG
// with Kafka's wording for an unknown name or a bad value), persisted, and applied to the live logs.
// BROKER resources: the TLS listeners' stores (server/dynamic-ssl.ts), any other key → INVALID_CONFIG. A resource named
// twice, or a key given twice → INVALID_REQUEST. validateOnly checks without applying.
import type { AlterConfigsResponseAlterConfigsResourceResponseInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { invalidTopicNameReason } from '../../topics/names.js';
import type { ApiHandler } from '../registry.js';
import { ResourceType, alterNonTopicResource, duplicateResources, errorOf, requestError } from './admin-common.js';
import { AlterConfigsApi } from '../../../protocol/generated/alter-configs.js';

export const alterConfigsHandler: ApiHandler<typeof ApiKey.AlterConfigs, 'topicAdmin' | 'nodeId' | 'log' | 'dynamicSsl' | 'dynamicConfig'> = {
  api: AlterConfigsApi,
  async handle(request, ctx) {
    const reg = ctx.broker.topicAdmin;
    const dup = duplicateResources(request.resources);
    const responses: AlterConfigsResponseAlterConfigsResourceResponseInput[] = await Promise.all(request.resources.map(async (res) => {
      const base = { resourceType: res.resourceType, resourceName: res.resourceName };
      const refused = requestError(res, dup);
      if (refused) return { ...base, ...refused };
      if (res.resourceType === ResourceType.TOPIC) {
        const bad = invalidTopicNameReason(res.resourceName);
        if (bad) return { ...base, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: bad };
        const overrides: Record<string, string> = {};
        for (const c of res.configs) if (c.value !== null) overrides[c.name] = c.value;
        try {
          await reg.setTopicConfigs(res.resourceName, overrides, request.validateOnly);
          return { ...base, errorCode: ErrorCode.NONE, errorMessage: null };
        } catch (e) {
          return { ...base, ...errorOf(e, ctx) };
        }
      }
      return { ...base, ...(await alterNonTopicResource(res, ctx, { incremental: false, validateOnly: request.validateOnly })) };
    }));
    return { throttleTimeMs: 0, responses };
  },
};
