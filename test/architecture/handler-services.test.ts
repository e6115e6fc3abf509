// A handler's ctx.broker holds only the services its ApiHandler<K, U> declares. The checks are the
// `@ts-expect-error` lines below: `npx tsc -p tsconfig.json` fails if any of them stops being an error (a
// handler could then reach a service it did not declare). The runtime part only checks that a full
// context still serves a narrow handler.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiKey } from '../../protocol/generated/api.js';
import { HeartbeatApi } from '../../protocol/generated/heartbeat.js';
import { coordinatorOf } from '../../host-node/server/group-services.js';
import type { BrokerContext, RequestContext } from '../../host-node/server/context.js';
import { HandlerRegistry, type ApiHandler } from '../../host-node/server/registry.js';

/** Declares only the logger. */
const logOnly: ApiHandler<typeof ApiKey.Heartbeat, 'log'> = {
  api: HeartbeatApi,
  handle(_request, ctx) {
    // @ts-expect-error topicRegistry is not declared
    void ctx.broker.topicRegistry;
    // @ts-expect-error a service the broker may lack (groupCoordinator) still has to be declared
    void ctx.broker.groupCoordinator;
    // @ts-expect-error nor can it be reached through a helper that needs it
    void coordinatorOf(ctx);
    ctx.broker.log.debug('heartbeat');
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE };
  },
};

/** Declares nothing: ctx.broker has no service at all. */
const none: ApiHandler<typeof ApiKey.Heartbeat> = {
  api: HeartbeatApi,
  handle(_request, ctx) {
    // @ts-expect-error nothing declared
    void ctx.broker.log;
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE };
  },
};

describe('handler services', () => {
  it('a full context serves a handler that declared fewer services', () => {
    const lines: string[] = [];
    const broker = { log: { debug: (m: string) => lines.push(m) } } as unknown as BrokerContext;
    const ctx = { apiKey: 12, apiVersion: 0, correlationId: 1, clientId: null, connection: null, broker } as unknown as RequestContext;
    const registry = new HandlerRegistry().register(logOnly);
    expect(registry.get(HeartbeatApi.apiKey)!.handler.handle({} as never, ctx)).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.NONE });
    expect(lines).toEqual(['heartbeat']);
    expect(none.handle({} as never, ctx)).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.NONE });
  });
});
