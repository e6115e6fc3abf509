// FindCoordinator (api key 10), v0-6: a single node coordinates every group and every transactional id; in a
// cluster, a group's coordinator is the leader of its __consumer_offsets partition (group-services.ts).
// v0-3 ask for one key; v4+ for a batch (coordinatorKeys) answered per key. Key type 0 = group, 1 =
// transaction; anything else → INVALID_REQUEST. Like Kafka, the first group lookup creates __consumer_offsets.
import type { FindCoordinatorResponseCoordinatorInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { clusterCoordinatorFor, coordinatorOf } from '../group-services.js';
import type { ApiHandler } from '../registry.js';
import type { RequestContext } from '../context.js';
import { FindCoordinatorApi } from '../../../protocol/generated/find-coordinator.js';

const GROUP = 0;
const TRANSACTION = 1;

type Services = 'groupCoordinator' | 'nodeId' | 'advertisedListeners' | 'replicaManager' | 'metadata' | 'clusterView' | 'topicAdmin' | 'config' | 'log';

function lookup(key: string, keyType: number, ctx: RequestContext<Services>): FindCoordinatorResponseCoordinatorInput {
  const b = ctx.broker;
  const ep = b.advertisedListeners.find((e) => e.name === ctx.connection.listenerName) ?? b.advertisedListeners[0];
  const fail = (errorCode: number, errorMessage: string) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
  if (keyType !== GROUP && keyType !== TRANSACTION) return fail(ErrorCode.INVALID_REQUEST, `Unknown coordinator key type ${keyType}`);
  if (!ep) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'No listener to advertise');
  if (keyType === GROUP && b.replicaManager !== undefined) {
    const found = clusterCoordinatorFor(key, ctx.connection.listenerName, ctx);
    const node = found.errorCode === ErrorCode.NONE ? b.clusterView.node(found.nodeId, ctx.connection.listenerName) : undefined;
    if (node === undefined) return fail(found.errorCode === ErrorCode.NONE ? ErrorCode.COORDINATOR_NOT_AVAILABLE : found.errorCode, found.errorMessage ?? 'The coordinator is not available.');
    return { key, nodeId: node.nodeId, host: node.host, port: node.port, errorCode: ErrorCode.NONE, errorMessage: null };
  }
  if (keyType === GROUP) {
    const c = coordinatorOf(ctx);
    if (!c || !c.store.ensureTopic()) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
  }
  return { key, nodeId: b.nodeId, host: ep.host, port: ep.port, errorCode: ErrorCode.NONE, errorMessage: null };
}

export const findCoordinatorHandler: ApiHandler<typeof ApiKey.FindCoordinator, Services> = {
  api: FindCoordinatorApi,
  handle(request, ctx) {
    if (ctx.apiVersion >= 4) return { throttleTimeMs: 0, coordinators: request.coordinatorKeys.map((k) => lookup(k, request.keyType, ctx)) };
    const r = lookup(request.key, request.keyType, ctx);
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: ctx.apiVersion >= 1 && r.errorCode !== ErrorCode.NONE ? r.errorMessage : null,
      nodeId: r.nodeId,
      host: r.host,
      port: r.port,
    };
  },
};
