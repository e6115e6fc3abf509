// SaslAuthenticate (api key 36), v0-2, as the dispatcher sees it: the SASL gate (server/sasl-gate.ts) serves
// every token of an authentication, so a request that reaches this handler comes after authentication, or on
// a listener without SASL. Kafka answers ILLEGAL_SASL_STATE with this message, and so does this.
import { ErrorCode } from '../../../protocol/errors.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import { SaslAuthenticateApi } from '../../../protocol/generated/sasl-authenticate.js';
import type { ApiHandler } from '../registry.js';

export const saslAuthenticateHandler: ApiHandler<typeof ApiKey.SaslAuthenticate> = {
  api: SaslAuthenticateApi,
  handle() {
    return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate request received after successful authentication', authBytes: new Uint8Array(0) };
  },
};
