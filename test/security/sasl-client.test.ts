// The Node client's SASL (its SCRAM client is client/scram.ts, tested on its own in test/client/scram.test.ts):
// whole exchanges over a socket with a stand-in broker that speaks SaslHandshake v1 / SaslAuthenticate and
// runs the server side of SCRAM with host-node/security/scram.ts's stored credentials: PLAIN and
// SCRAM-SHA-256/512 succeed, a wrong password gets SASL_AUTHENTICATION_FAILED, a server that does not know
// the password (a forged server signature) and too few iterations are refused by the client, an unknown
// mechanism gets UNSUPPORTED_SASL_MECHANISM with the broker's list, and a session lifetime brings a
// re-authentication on the same connection. The broker's own SASL gate is tested where it is built.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection } from '../../host-node/client/connection.js';
import { KafkaAuthenticationError, type SaslClientOptions } from '../../host-node/client/sasl-client.js';
import { KafkaProtocolError } from '../../client/errors.js';
import { decodeRequestFrame, encodeResponseFrame } from '../../protocol/frame.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { hash, hmac, newScramCredential } from '../../host-node/security/scram.js';
import type { ScramCredential, ScramMechanism } from '../../host-node/security/security-store.js';

/** A stand-in broker: SaslHandshake v1 and SaslAuthenticate with PLAIN and SCRAM over stored credentials. */
class SaslBroker {
  readonly server: Server;
  authentications = 0;
  port = 0;
  constructor(
    private readonly users: Map<string, string>,
    private readonly o: { forgeServerSignature?: boolean; iterations?: number; sessionLifetimeMs?: number } = {},
  ) {
    this.server = createServer((s) => this.serve(s));
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  private serve(socket: Socket): void {
    let buf = Buffer.alloc(0);
    let mechanism = '';
    let scram: { m: ScramMechanism; cred: ScramCredential; firstBare: string; serverFirst: string; nonce: string } | null = null;
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        const req = decodeRequestFrame(frame);
        const answer = (body: object): void => void socket.write(encodeResponseFrame(req.apiKey, req.apiVersion, req.header.correlationId, body as never));
        if (req.apiKey === ApiKey.SaslHandshake) {
          mechanism = req.body.mechanism;
          const known = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];
          answer({ errorCode: known.includes(mechanism) ? ErrorCode.NONE : ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: known });
        } else if (req.apiKey === ApiKey.SaslAuthenticate) {
          const token = Buffer.from(req.body.authBytes).toString('utf8');
          const fail = (): void => answer({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: 'Authentication failed: Invalid username or password', authBytes: new Uint8Array(0) });
          const ok = (bytes: string): void => answer({ errorCode: ErrorCode.NONE, authBytes: Buffer.from(bytes), sessionLifetimeMs: BigInt(this.o.sessionLifetimeMs ?? 0) });
          if (mechanism === 'PLAIN') {
            const [, user, password] = token.split('\0');
            if (this.users.get(user!) !== password) fail();
            else (this.authentications++, ok(''));
          } else if (scram === null) {
            const m = mechanism as ScramMechanism;
            const firstBare = token.slice(3);
            const user = /n=([^,]*)/.exec(firstBare)![1]!;
            const cred = newScramCredential(m, this.users.get(user) ?? randomBytes(8).toString('hex'), this.o.iterations ?? 4096);
            const nonce = /r=([^,]*)/.exec(firstBare)![1]! + randomBytes(12).toString('base64url');
            const serverFirst = `r=${nonce},s=${Buffer.from(cred.salt).toString('base64')},i=${cred.iterations}`;
            scram = { m, cred, firstBare, serverFirst, nonce };
            ok(serverFirst);
          } else {
            const { m, cred, firstBare, serverFirst } = scram;
            scram = null;
            const withoutProof = token.slice(0, token.indexOf(',p='));
            const proof = Buffer.from(token.slice(token.indexOf(',p=') + 3), 'base64');
            const authMessage = `${firstBare},${serverFirst},${withoutProof}`;
            const clientSignature = hmac(m, cred.storedKey, authMessage);
            const clientKey = Buffer.from(proof.map((b, i) => b ^ clientSignature[i]!));
            if (!hash(m, clientKey).equals(Buffer.from(cred.storedKey))) return fail();
            this.authentications++;
            const key = this.o.forgeServerSignature ? randomBytes(cred.serverKey.length) : cred.serverKey;
            ok(`v=${hmac(m, key, authMessage).toString('base64')}`);
          }
        } else if (req.apiKey === ApiKey.Metadata) {
          answer({ brokers: [], topics: [], clusterId: 'sasl', controllerId: -1 });
        } else socket.destroy();
      }
    });
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

async function saslBroker(o?: ConstructorParameters<typeof SaslBroker>[1]): Promise<SaslBroker> {
  const b = await new SaslBroker(new Map([['alice', 'alice-secret']]), o).listen();
  open.push(b);
  return b;
}

async function connect(b: SaslBroker, sasl: SaslClientOptions): Promise<Connection> {
  const c = await Connection.connect({ host: '127.0.0.1', port: b.port, skipApiVersions: true, security: { protocol: 'SASL_PLAINTEXT', sasl } });
  open.push(c);
  return c;
}

describe('SASL exchanges over a socket', () => {
  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`${mechanism}: the right password authenticates, a wrong one gets SASL_AUTHENTICATION_FAILED`, async () => {
      const b = await saslBroker();
      const c = await connect(b, { mechanism, username: 'alice', password: 'alice-secret' });
      expect((await c.send(ApiKey.Metadata, { topics: [] })).clusterId).toBe('sasl');
      expect(b.authentications).toBe(1);
      const e = await connect(b, { mechanism, username: 'alice', password: 'wrong' }).then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(KafkaProtocolError);
      expect((e as KafkaProtocolError).type).toBe('SASL_AUTHENTICATION_FAILED');
    });
  }

  it('refuses a server that cannot prove it knows the password, and one that asks for too few iterations', async () => {
    const forged = connect(await saslBroker({ forgeServerSignature: true }), { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-secret' });
    await expect(forged).rejects.toThrow(/Invalid server signature/);
    await expect(forged).rejects.toBeInstanceOf(KafkaAuthenticationError);
    const cheap = connect(await saslBroker({ iterations: 1024 }), { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'alice-secret' });
    await expect(cheap).rejects.toThrow(/Requested iterations 1024 is less than the minimum 4096 for SCRAM-SHA-512/);
    await expect(cheap).rejects.toBeInstanceOf(KafkaAuthenticationError);
  });

  it('an unknown mechanism gets UNSUPPORTED_SASL_MECHANISM naming what the broker offers', async () => {
    const b = await saslBroker();
    await expect(connect(b, { mechanism: 'GSSAPI' as 'PLAIN', username: 'a', password: 'b' })).rejects.toThrow(/Unsupported SASL mechanism GSSAPI/);
    const c = Connection.connect({ host: '127.0.0.1', port: b.port, skipApiVersions: true, security: { protocol: 'SASL_PLAINTEXT' } });
    await expect(c).rejects.toThrow(/needs a SASL mechanism/);
  });

  it('authenticates again on the same connection before the session lifetime ends', async () => {
    const b = await saslBroker({ sessionLifetimeMs: 400 });
    const c = await connect(b, { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-secret' });
    const deadline = Date.now() + 5000;
    while (b.authentications < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(b.authentications).toBeGreaterThanOrEqual(3);
    expect((await c.send(ApiKey.Metadata, { topics: [] })).clusterId).toBe('sasl');
  });
});
