// ApiVersions (api key 18): which APIs and versions this broker serves — exactly what the handler registry
// holds, so an API is advertised if and only if it has a handler.
//
// - v3+ requests carry the client's software name and version: recorded on the connection (shown in logs),
//   and validated like Kafka does (INVALID_REQUEST when malformed).
// - A version above ours never reaches this handler: the dispatcher answers it in v0 with UNSUPPORTED_VERSION
//   and our ranges (unsupportedVersionResponse below), so the client can retry with a version we know.
// - The response header is always v0, even for flexible versions (generated headerVersions() knows).

import type { ApiVersionsResponseInput } from '../../../protocol/generated/index.js';
import { ApiKey } from '../../../protocol/generated/api.js';
import type { ApiHandler, HandlerRegistry } from '../registry.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { ApiVersionsApi } from '../../../protocol/generated/api-versions.js';

/** Kafka's rule for ClientSoftwareName / ClientSoftwareVersion (ApiVersionsRequest.isValid). */
const SOFTWARE_RE = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

function apiKeys(registry: HandlerRegistry) {
  return registry.supported().map((s) => ({ apiKey: s.apiKey, minVersion: s.minVersion, maxVersion: s.maxVersion }));
}

/** The v0 body sent for an ApiVersions request whose version is above what we serve. */
export function unsupportedVersionResponse(registry: HandlerRegistry): ApiVersionsResponseInput {
  return { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: apiKeys(registry) };
}

export const apiVersionsHandler: ApiHandler<typeof ApiKey.ApiVersions, 'handlers'> = {
  api: ApiVersionsApi,
  handle(request, ctx) {
    if (ctx.apiVersion >= 3) {
      const conn = ctx.connection;
      conn.clientSoftwareName = request.clientSoftwareName;
      conn.clientSoftwareVersion = request.clientSoftwareVersion;
      if (!SOFTWARE_RE.test(request.clientSoftwareName) || !SOFTWARE_RE.test(request.clientSoftwareVersion)) {
        return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [], throttleTimeMs: 0 };
      }
    }
    return { errorCode: ErrorCode.NONE, apiKeys: apiKeys(ctx.broker.handlers), throttleTimeMs: 0 };
  },
};
