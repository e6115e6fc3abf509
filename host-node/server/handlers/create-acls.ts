// CreateAcls (api key 30), v0-3: adds ACLs through the authorizer, which stores them (durable before the
// answer). One result per creation, in order: INVALID_REQUEST for an ACL Kafka would refuse (a pattern
// type other than LITERAL / PREFIXED, UNKNOWN / ANY fields, an empty name, a principal without a type, a
// cluster not named kafka-cluster). Without an authorizer every creation is SECURITY_DISABLED, as in Kafka.
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { CreateAclsApi } from '../../../protocol/generated/create-acls.js';
import type { AclBinding } from '../../security/acl.js';
import type { ApiHandler } from '../registry.js';
import { NO_AUTHORIZER_MESSAGE } from './acl-common.js';

export const createAclsHandler: ApiHandler<typeof ApiKey.CreateAcls, 'authorizer'> = {
  api: CreateAclsApi,
  async handle(request, ctx) {
    const authorizer = ctx.broker.authorizer;
    if (authorizer === undefined)
      return { throttleTimeMs: 0, results: request.creations.map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER_MESSAGE })) };
    const bindings: AclBinding[] = request.creations.map((c) => ({
      pattern: { resourceType: c.resourceType as AclBinding['pattern']['resourceType'], name: c.resourceName, patternType: c.resourcePatternType as AclBinding['pattern']['patternType'] },
      entry: {
        principal: c.principal,
        host: c.host,
        operation: c.operation as AclBinding['entry']['operation'],
        permissionType: c.permissionType as AclBinding['entry']['permissionType'],
      },
    }));
    const results = await authorizer.createAcls(bindings);
    return { throttleTimeMs: 0, results: results.map((r) => ({ errorCode: r.errorCode, errorMessage: r.errorMessage })) };
  },
};
