// DescribeAcls (api key 29), v0-3: the ACLs matching one filter, grouped by resource pattern. A filter with
// an UNKNOWN field is INVALID_REQUEST; without an authorizer the answer is SECURITY_DISABLED, as in Kafka.
// (v0 carries no pattern type: its filter is LITERAL, the only kind of ACL a v0 client knows.)
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { DescribeAclsApi } from '../../../protocol/generated/describe-acls.js';
import type { DescribeAclsResponseDescribeAclsResourceInput } from '../../../protocol/generated/describe-acls.js';
import { invalidFilterReason } from '../../security/acl-match.js';
import type { ApiHandler } from '../registry.js';
import { NO_AUTHORIZER_MESSAGE, filterFromWire } from './acl-common.js';

export const describeAclsHandler: ApiHandler<typeof ApiKey.DescribeAcls, 'authorizer'> = {
  api: DescribeAclsApi,
  handle(request, ctx) {
    const authorizer = ctx.broker.authorizer;
    if (authorizer === undefined) return { throttleTimeMs: 0, errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER_MESSAGE, resources: [] };
    const filter = filterFromWire(request);
    const invalid = invalidFilterReason(filter);
    if (invalid !== null) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid, resources: [] };
    const byPattern = new Map<string, DescribeAclsResponseDescribeAclsResourceInput & { acls: NonNullable<DescribeAclsResponseDescribeAclsResourceInput['acls']> }>();
    for (const b of authorizer.describeAcls(filter)) {
      const p = b.pattern;
      const key = `${p.resourceType}\u0000${p.patternType}\u0000${p.name}`;
      let r = byPattern.get(key);
      if (r === undefined) byPattern.set(key, (r = { resourceType: p.resourceType, resourceName: p.name, patternType: p.patternType, acls: [] }));
      r.acls.push({ principal: b.entry.principal, host: b.entry.host, operation: b.entry.operation, permissionType: b.entry.permissionType });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: [...byPattern.values()] };
  },
};
