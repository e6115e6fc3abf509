// SaslHandshake (api key 17), v0-1, as the dispatcher sees it: on a SASL listener the connection's SASL gate
// (server/sasl-gate.ts) serves every handshake that belongs to an authentication, so one that reaches this
// handler is out of place — on a PLAINTEXT or SSL listener, or on a connection already authenticated
// without re-authentication enabled. Kafka answers ILLEGAL_SASL_STATE there, and so does this.
import { ErrorCode } from '../../../protocol/errors.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { SaslHandshakeApi } from '../../../protocol/generated/sasl-handshake.js';
import type { ApiHandler } from '../registry.js';

export const saslHandshakeHandler: ApiHandler<typeof ApiKey.SaslHandshake> = {
  api: SaslHandshakeApi,
  handle() {
    return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
  },
};
