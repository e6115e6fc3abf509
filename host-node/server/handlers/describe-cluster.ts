// DescribeCluster (api key 60), v0-1: the brokers (ctx.broker.clusterView), cluster id and controller — what Java's
// Admin.describeCluster() uses when the broker advertises it. This is a broker endpoint: asking it for
// controllers (EndpointType 2) is MISMATCHED_ENDPOINT_TYPE, an unknown type UNSUPPORTED_ENDPOINT_TYPE
// (both INVALID_REQUEST in v0), as Kafka answers. Served to anyone; the cluster's authorized operations (when
// asked) are 0 to a principal that may not DESCRIBE the cluster (authorized-operations.ts).

import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { ApiHandler } from '../registry.js';
import { clusterAuthorizedOperations, OPERATIONS_NOT_REQUESTED } from '../authorized-operations.js';
import { DescribeClusterApi } from '../../../protocol/generated/describe-cluster.js';

const BROKERS = 1;
const CONTROLLERS = 2;

export const describeClusterHandler: ApiHandler<typeof ApiKey.DescribeCluster, 'clusterId' | 'clusterView' | 'authorizer'> = {
  api: DescribeClusterApi,
  handle(request, ctx) {
    const b = ctx.broker;
    const type = request.endpointType;
    if (type !== BROKERS) {
      const v0 = ctx.apiVersion === 0;
      return type === CONTROLLERS
        ? {
            errorCode: v0 ? ErrorCode.INVALID_REQUEST : ErrorCode.MISMATCHED_ENDPOINT_TYPE,
            errorMessage: `The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER`,
          }
        : { errorCode: v0 ? ErrorCode.INVALID_REQUEST : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: `Unsupported endpoint type ${type}` };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: BROKERS,
      clusterId: b.clusterId,
      controllerId: b.clusterView.controllerId(),
      brokers: b.clusterView.brokers(ctx.connection.listenerName).map((n) => ({ brokerId: n.nodeId, host: n.host, port: n.port, rack: n.rack })),
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations ? clusterAuthorizedOperations(ctx) : OPERATIONS_NOT_REQUESTED,
    };
  },
};
