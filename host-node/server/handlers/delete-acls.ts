// DeleteAcls (api key 31), v0-3: removes the ACLs each filter matches (durable before the answer) and lists
// them per filter. A filter with an UNKNOWN field is INVALID_REQUEST (the others still apply); without an
// authorizer every filter is SECURITY_DISABLED, as in Kafka.
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { DeleteAclsApi } from '../../../protocol/generated/delete-acls.js';
import type { DeleteAclsResponseDeleteAclsFilterResultInput } from '../../../protocol/generated/delete-acls.js';
import type { AclBindingFilter } from '../../security/acl.js';
import { invalidFilterReason } from '../../security/acl-match.js';
import type { ApiHandler } from '../registry.js';
import { NO_AUTHORIZER_MESSAGE, aclToWire, filterFromWire } from './acl-common.js';

export const deleteAclsHandler: ApiHandler<typeof ApiKey.DeleteAcls, 'authorizer'> = {
  api: DeleteAclsApi,
  async handle(request, ctx) {
    const authorizer = ctx.broker.authorizer;
    if (authorizer === undefined)
      return {
        throttleTimeMs: 0,
        filterResults: request.filters.map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER_MESSAGE, matchingAcls: [] })),
      };
    const filters = request.filters.map(filterFromWire);
    const invalid = filters.map(invalidFilterReason);
    const valid: AclBindingFilter[] = filters.filter((_, i) => invalid[i] === null);
    const deleted = await authorizer.deleteAcls(valid);
    let next = 0;
    const filterResults: DeleteAclsResponseDeleteAclsFilterResultInput[] = invalid.map((reason) => {
      if (reason !== null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: reason, matchingAcls: [] };
      const r = deleted[next++]!;
      return {
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        matchingAcls: r.deleted.map((b) => ({ errorCode: ErrorCode.NONE, errorMessage: null, ...aclToWire(b) })),
      };
    });
    return { throttleTimeMs: 0, filterResults };
  },
};
