// The SASL gate with a mechanism of the test's own (as OAUTHBEARER will plug in): an asynchronous evaluation,
// a credential expiry that bounds the session even without connections.max.reauth.ms (as Kafka does for
// OAUTHBEARER tokens), and the gate's answers as frames, without a socket.
import { describe, expect, it } from 'vitest';
import { decodeResponseFrame, encodeRequestFrame } from '../../protocol/frame.js';
import { ApiKey } from '../../protocol/generated/api.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ConnectionInfo, DispatchResult } from '../../host-node/network/types.js';
import { ANONYMOUS, principalToString } from '../../host-node/security/principal.js';
import { SaslAuthenticationError, type SaslMechanismFactory } from '../../host-node/security/sasl/mechanism.js';
import { SaslGate } from '../../host-node/server/sasl-gate.js';
import { silentLogger } from '../../host-node/util/log.js';

/** A token mechanism: "ok:<user>:<ttl ms>" authenticates after a tick, anything else fails. */
const TOKEN: SaslMechanismFactory = {
  mechanism: 'X-TOKEN',
  create: () => ({
    mechanism: 'X-TOKEN',
    async evaluate(token) {
      await new Promise((r) => setTimeout(r, 5));
      const m = /^ok:([a-z]+):(\d+)$/.exec(Buffer.from(token).toString());
      if (!m) throw new SaslAuthenticationError('Authentication failed: bad token');
      return { response: new Uint8Array(0), complete: true, principal: { principalType: 'User', name: m[1]! }, credentialExpiresAtMs: Date.now() + Number(m[2]) };
    },
  }),
};

function fakeConnection(): ConnectionInfo & { closing: boolean } {
  return {
    id: 1,
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    localPort: 2,
    listenerName: 'SASL_PLAINTEXT',
    clientId: null,
    clientSoftwareName: null,
    clientSoftwareVersion: null,
    describe: () => '#1',
    security: { securityProtocol: 'SASL_PLAINTEXT', principal: ANONYMOUS, saslMechanism: null, peerCertificateSubject: null, gate: undefined },
    muteFor: () => undefined,
    closing: false,
    closeAfterResponses() {
      this.closing = true;
    },
  };
}

function gate(maxReauthMs = 0): SaslGate {
  return new SaslGate({ listenerName: 'SASL_PLAINTEXT', mechanisms: new Map([['X-TOKEN', TOKEN]]), maxReauthMs, failedAuthDelayMs: 0, maxReceiveBytes: 1 << 20, log: silentLogger });
}

/** Sends a request through the gate (frame without its size prefix, as the dispatcher hands it). */
async function through(g: SaslGate, conn: ConnectionInfo, apiKey: number, version: number, body: unknown): Promise<DispatchResult | undefined> {
  const f = encodeRequestFrame(apiKey as never, version, 7, 'gate-test', body as never).subarray(4);
  return g.intercept(f, apiKey, version, conn);
}

function decode<K extends ApiKey>(apiKey: K, version: number, r: DispatchResult | undefined) {
  expect(r).toBeInstanceOf(Uint8Array);
  return decodeResponseFrame(apiKey, version, (r as Uint8Array).subarray(4)).body;
}

describe('SASL gate with a pluggable mechanism', () => {
  it('serves an asynchronous mechanism and bounds the session by the credential expiry', async () => {
    const g = gate();
    const conn = fakeConnection();
    expect(await through(g, conn, ApiKey.ApiVersions, 0, {})).toBeUndefined();
    expect(decode(ApiKey.SaslHandshake, 1, await through(g, conn, ApiKey.SaslHandshake, 1, { mechanism: 'X-TOKEN' })).errorCode).toBe(0);
    const auth = decode(ApiKey.SaslAuthenticate, 2, await through(g, conn, ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('ok:carol:300') }));
    expect(auth.errorCode).toBe(0);
    expect(Number(auth.sessionLifetimeMs)).toBeGreaterThan(250);
    expect(Number(auth.sessionLifetimeMs)).toBeLessThanOrEqual(300);
    expect(`${principalToString(conn.security.principal)}/${conn.security.saslMechanism}`).toBe('User:carol/X-TOKEN');
    expect(await through(g, conn, ApiKey.Metadata, 1, { topics: null })).toBeUndefined();
    await new Promise((r) => setTimeout(r, 350));
    expect(await through(g, conn, ApiKey.Metadata, 1, { topics: null })).toBeNull();
    expect(conn.closing).toBe(true);
  });

  it('takes the shorter of connections.max.reauth.ms and the credential expiry, and re-authenticates with a new token', async () => {
    const g = gate(200);
    const conn = fakeConnection();
    await through(g, conn, ApiKey.SaslHandshake, 1, { mechanism: 'X-TOKEN' });
    const a = decode(ApiKey.SaslAuthenticate, 1, await through(g, conn, ApiKey.SaslAuthenticate, 1, { authBytes: Buffer.from('ok:carol:60000') }));
    expect(a.sessionLifetimeMs).toBe(200n);
    await new Promise((r) => setTimeout(r, 250));
    expect(decode(ApiKey.SaslHandshake, 1, await through(g, conn, ApiKey.SaslHandshake, 1, { mechanism: 'X-TOKEN' })).errorCode).toBe(0);
    const b = decode(ApiKey.SaslAuthenticate, 1, await through(g, conn, ApiKey.SaslAuthenticate, 1, { authBytes: Buffer.from('ok:carol:100') }));
    expect(Number(b.sessionLifetimeMs)).toBeLessThanOrEqual(100);
    expect(await through(g, conn, ApiKey.Metadata, 1, { topics: null })).toBeUndefined();
    expect(conn.closing).toBe(false);
  });

  it('answers a failed asynchronous evaluation with its message and serves nothing after it', async () => {
    const g = gate();
    const conn = fakeConnection();
    await through(g, conn, ApiKey.SaslHandshake, 1, { mechanism: 'X-TOKEN' });
    const r = decode(ApiKey.SaslAuthenticate, 0, await through(g, conn, ApiKey.SaslAuthenticate, 0, { authBytes: Buffer.from('expired') }));
    expect([r.errorCode, r.errorMessage]).toEqual([ErrorCode.SASL_AUTHENTICATION_FAILED, 'Authentication failed: bad token']);
    expect(conn.closing).toBe(true);
    expect(await through(g, conn, ApiKey.Metadata, 1, { topics: null })).toBeNull();
    expect(conn.security.principal).toBe(ANONYMOUS);
  });
});
