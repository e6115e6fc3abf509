// The client side of SASL for tests that speak the protocol themselves: PLAIN tokens, a SCRAM client
// (RFC 5802, over the broker's own SCRAM math), and the SaslHandshake + SaslAuthenticate exchange over a
// KafkaTestClient (v1: tokens in SaslAuthenticate; v0: bare size-prefixed tokens).
import { randomBytes } from 'node:crypto';
import { ApiKey } from '../../protocol/generated/api.js';
import { hash, hmac, saltedPassword } from '../../host-node/security/scram.js';
import type { ScramMechanism } from '../../host-node/security/security-store.js';
import type { KafkaTestClient } from '../helpers/broker.js';

export const plainToken = (user: string, password: string, authzid = ''): Buffer => Buffer.from(`${authzid}\0${user}\0${password}`, 'utf8');

/** One SCRAM client exchange: first() → client-first; final(serverFirst) → client-final; verify(serverFinal). */
export class ScramClient {
  private readonly clientNonce = randomBytes(18).toString('base64');
  private clientFirstBare = '';
  private authMessage = '';
  private salted: Buffer | null = null;

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly user: string,
    private readonly password: string,
    private readonly extensions = '',
  ) {}

  first(): Buffer {
    this.clientFirstBare = `n=${this.user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${this.clientNonce}${this.extensions}`;
    return Buffer.from(`n,,${this.clientFirstBare}`);
  }

  /** `repeatNonce`: write the final nonce as librdkafka before 2.2 does, its own nonce before the server's whole one. */
  final(serverFirst: Buffer | string, repeatNonce = false): Buffer {
    const sf = serverFirst.toString();
    const m = /^r=([^,]+),s=([^,]+),i=(\d+)/.exec(sf);
    if (!m || !m[1]!.startsWith(this.clientNonce)) throw new Error(`bad server-first ${sf}`);
    this.salted = saltedPassword(this.mechanism, this.password, Buffer.from(m[2]!, 'base64'), Number(m[3]));
    const withoutProof = `c=biws,r=${repeatNonce ? this.clientNonce : ''}${m[1]}`;
    this.authMessage = `${this.clientFirstBare},${sf},${withoutProof}`;
    const clientKey = hmac(this.mechanism, this.salted, 'Client Key');
    const sig = hmac(this.mechanism, hash(this.mechanism, clientKey), this.authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ sig[i]!;
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** Whether the server-final proves the server knew the credential. */
  verify(serverFinal: Buffer | string): boolean {
    const expected = hmac(this.mechanism, hmac(this.mechanism, this.salted!, 'Server Key'), this.authMessage).toString('base64');
    return serverFinal.toString() === `v=${expected}`;
  }
}

export interface AuthOutcome {
  handshakeError: number;
  mechanisms: string[];
  errorCode: number;
  errorMessage: string | null;
  sessionLifetimeMs: bigint;
}

/** SaslHandshake v1 + SaslAuthenticate (version `authVersion`) with PLAIN or SCRAM; returns the last answers. */
export async function authenticate(c: KafkaTestClient, mechanism: string, user: string, password: string, authVersion = 2): Promise<AuthOutcome> {
  const hs = await c.request(ApiKey.SaslHandshake, 1, { mechanism });
  const out: AuthOutcome = { handshakeError: hs.errorCode, mechanisms: hs.mechanisms, errorCode: -1, errorMessage: null, sessionLifetimeMs: 0n };
  if (hs.errorCode !== 0) return out;
  const step = async (token: Buffer) => {
    const r = await c.request(ApiKey.SaslAuthenticate, authVersion, { authBytes: token });
    out.errorCode = r.errorCode;
    out.errorMessage = r.errorMessage;
    out.sessionLifetimeMs = r.sessionLifetimeMs;
    return r;
  };
  if (mechanism === 'PLAIN') {
    await step(plainToken(user, password));
    return out;
  }
  const scram = new ScramClient(mechanism as ScramMechanism, user, password);
  const r1 = await step(scram.first());
  if (r1.errorCode !== 0) return out;
  const r2 = await step(scram.final(Buffer.from(r1.authBytes)));
  if (r2.errorCode === 0 && !scram.verify(Buffer.from(r2.authBytes))) throw new Error('server signature does not verify');
  return out;
}
