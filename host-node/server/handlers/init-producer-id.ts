// InitProducerId (api key 22), v0–5: idempotent producers only. A request without a transactional id gets a
// fresh producer id with epoch 0 (ctx.broker.producerIds: server/producer-ids.ts, or etcd's blocks in a cluster) — what Kafka's TransactionCoordinator does for a
// null transactional id, whatever producerId/epoch (KIP-360) the request carries. Transactions are not
// supported: a transactional id gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Produce answers.
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { ApiHandler } from '../registry.js';
import { InitProducerIdApi } from '../../../protocol/generated/init-producer-id.js';

export const initProducerIdHandler: ApiHandler<typeof ApiKey.InitProducerId, 'producerIds' | 'log'> = {
  api: InitProducerIdApi,
  async handle(request, ctx) {
    if (request.transactionalId !== null)
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    try {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: await ctx.broker.producerIds.generate(), producerEpoch: 0 };
    } catch (e) {
      // No id to give (etcd unreachable in a cluster): retriable for the client, as Kafka answers then.
      ctx.broker.log.warn(`InitProducerId: ${(e as Error).message}`);
      return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, producerId: -1n, producerEpoch: -1 };
    }
  },
};
