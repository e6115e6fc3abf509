// InitProducerId (api key 22), v0–5: idempotent producers only. A request without a transactional id gets a
// fresh producer id with epoch 0 (server/producer-ids.ts) — what Kafka's TransactionCoordinator does for a
// null transactional id, whatever producerId/epoch (KIP-360) the request carries. Transactions are not
// supported: a transactional id gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Produce answers.
import { ApiKey } from '../../../protocol/generated/api.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { ApiHandler } from '../registry.js';
import { producerIds } from '../producer-ids.js';
import { InitProducerIdApi } from '../../../protocol/generated/init-producer-id.js';

export const initProducerIdHandler: ApiHandler<typeof ApiKey.InitProducerId, 'config'> = {
  api: InitProducerIdApi,
  handle(request, ctx) {
    if (request.transactionalId !== null)
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: producerIds(ctx.broker).generate(), producerEpoch: 0 };
  },
};
