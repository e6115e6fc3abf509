// SASL/SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka's ScramSaslServer serves them:
//
//   client-first  n,[a=<authzid>],n=<saslname>,r=<client nonce>[,<extensions>]
//   server-first  r=<client nonce><server nonce>,s=<salt base64>,i=<iterations>
//   client-final  c=<base64 of the GS2 header>,r=<nonce>[,<extensions>],p=<proof base64>
//   server-final  v=<server signature base64>
//
// Credentials come from the security store (what AlterUserScramCredentials keeps: salt, stored key, server
// key, iterations). No channel binding ("n" only). The `tokenauth` extension (delegation tokens) is refused.
// A user without a credential gets a made-up salt and iteration count and fails only at the final step, with
// the message a wrong password gets, so the exchange does not tell which users exist.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { userPrincipal } from '../principal.js';
import { hash, hmac } from '../scram.js';
import type { ScramCredential, ScramMechanism } from '../security-store.js';
import { SaslAuthenticationError, type SaslMechanismFactory, type SaslServer, type SaslStep } from './mechanism.js';
import { genericFailure } from './plain.js';

/** Looks up a user's credential for a mechanism (the security store's current image). */
export type ScramCredentialLookup = (user: string, mechanism: ScramMechanism) => ScramCredential | undefined;

const CLIENT_FIRST = /^n,(?:a=([^,]*))?,n=([^,]*),r=([^,]+)((?:,[A-Za-z]+=[^,]*)*)$/;
const CLIENT_FINAL = /^c=([^,]*),r=([^,]*)((?:,[A-Za-z]+=[^,]*)*),p=([A-Za-z0-9+/=]+)$/;
/** Iterations told to a client whose user has no credential (Kafka's minimum, the common choice). */
const FAKE_ITERATIONS = 4096;
/** Keyed per process: a made-up salt is the same for one user on every attempt, as a real one would be. */
const fakeSaltKey = randomBytes(32);

export function scramMechanism(mechanism: ScramMechanism, lookup: ScramCredentialLookup): SaslMechanismFactory {
  return { mechanism, create: () => new ScramSaslServer(mechanism, lookup) };
}

class ScramSaslServer implements SaslServer {
  private state: 'client-first' | 'client-final' | 'done' = 'client-first';
  private username = '';
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private credential: ScramCredential | undefined;
  /** Set when the exchange must fail at the final step whatever the proof (unknown user, token auth). */
  private doomed = false;

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly lookup: ScramCredentialLookup,
  ) {}

  evaluate(token: Uint8Array): SaslStep {
    const text = Buffer.from(token.buffer, token.byteOffset, token.length).toString('utf8');
    switch (this.state) {
      case 'client-first':
        return this.clientFirst(text);
      case 'client-final':
        return this.clientFinal(text);
      default:
        throw genericFailure(this.mechanism);
    }
  }

  private clientFirst(text: string): SaslStep {
    this.state = 'done';
    const m = CLIENT_FIRST.exec(text);
    if (m === null) throw genericFailure(this.mechanism);
    const [, authzid, saslName, clientNonce, extensions] = m as unknown as [string, string | undefined, string, string, string];
    const username = decodeSaslName(saslName);
    if (username === null || username === '') throw genericFailure(this.mechanism);
    if (authzid !== undefined && authzid !== '' && authzid !== username)
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    const ext = parseExtensions(extensions);
    if (ext === null) throw genericFailure(this.mechanism);
    // Delegation tokens are not served: such an exchange goes on as for an unknown user and fails at the end.
    if (ext.get('tokenauth')?.toLowerCase() === 'true') this.doomed = true;

    const credential = this.doomed ? undefined : this.lookup(username, this.mechanism);
    if (credential === undefined) this.doomed = true;
    this.credential = credential;
    this.username = username;
    this.gs2Header = text.slice(0, text.indexOf(',', text.indexOf(',') + 1) + 1);
    this.clientFirstBare = text.slice(this.gs2Header.length);
    this.nonce = clientNonce + randomBytes(24).toString('base64');
    const salt = credential?.salt ?? createHmac('sha256', fakeSaltKey).update(`${this.mechanism}\0${username}`).digest();
    const iterations = credential?.iterations ?? FAKE_ITERATIONS;
    this.serverFirst = `r=${this.nonce},s=${Buffer.from(salt).toString('base64')},i=${iterations}`;
    this.state = 'client-final';
    return { response: Buffer.from(this.serverFirst, 'utf8'), complete: false };
  }

  private clientFinal(text: string): SaslStep {
    this.state = 'done';
    const m = CLIENT_FINAL.exec(text);
    if (m === null) throw genericFailure(this.mechanism);
    const [, channelBinding, nonce, extensions, proofB64] = m as unknown as [string, string, string, string, string];
    if (parseExtensions(extensions) === null) throw genericFailure(this.mechanism);
    if (channelBinding !== Buffer.from(this.gs2Header, 'utf8').toString('base64')) throw genericFailure(this.mechanism);
    // Kafka checks that the nonce ends with the server-first's: librdkafka before 2.2 sends its client nonce
    // twice (its own, then the server's, which starts with it), and Kafka accepts that.
    if (!nonce.endsWith(this.nonce)) throw genericFailure(this.mechanism);
    const proof = Buffer.from(proofB64, 'base64');
    // Strict base64 (as Java's decoder is): Node's decoder accepts missing or extra padding.
    if (proof.toString('base64') !== proofB64) throw genericFailure(this.mechanism);
    const credential = this.credential;
    if (this.doomed || credential === undefined || proof.length !== credential.storedKey.length) throw genericFailure(this.mechanism);

    const authMessage = `${this.clientFirstBare},${this.serverFirst},${text.slice(0, text.lastIndexOf(',p='))}`;
    const clientSignature = hmac(this.mechanism, credential.storedKey, authMessage);
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    if (!timingSafeEqual(hash(this.mechanism, clientKey), credential.storedKey)) throw genericFailure(this.mechanism);

    const serverSignature = hmac(this.mechanism, credential.serverKey, authMessage);
    return { response: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), complete: true, principal: userPrincipal(this.username) };
  }
}

/** RFC 5802 saslname: "=2C" is ',', "=3D" is '='; any other '=' is malformed (null). */
export function decodeSaslName(s: string): string | null {
  if (/=(?!2C|3D)/.test(s)) return null;
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** ",k=v,k=v" → map; null when malformed or a key repeats. */
function parseExtensions(s: string): Map<string, string> | null {
  const out = new Map<string, string>();
  if (s === '') return out;
  for (const part of s.slice(1).split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const k = part.slice(0, eq);
    if (out.has(k)) return null;
    out.set(k, part.slice(eq + 1));
  }
  return out;
}
