// The client side of SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677, as Kafka's ScramSaslClient speaks
// it) on WebCrypto (crypto.subtle: PBKDF2, HMAC, SHA), so one implementation serves every host: browsers,
// Workers, Node, Deno, Bun.
//
//   client-first   n,,n=<user>,r=<client nonce>
//   server-first   r=<client nonce + server nonce>,s=<salt>,i=<iterations>
//   client-final   c=biws,r=<nonce>,p=<ClientKey XOR HMAC(StoredKey, AuthMessage)>
//   server-final   v=<HMAC(ServerKey, AuthMessage)>   (or e=<error>)
//
// As Kafka's client: the server's nonce must extend ours, fewer than 4096 iterations is refused (a broker
// that asks for fewer is trying to make the password cheap to guess), and the server's signature must
// verify, so a broker that does not hold the credential cannot pass for one. Passwords are used as UTF-8
// without SASLprep, like Kafka's client. Error messages follow Kafka's ScramSaslClient.

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** Kafka's ScramMechanism.minIterations. */
export const SCRAM_CLIENT_MIN_ITERATIONS = 4096;
/** Bound on the iterations we are willing to compute (Kafka's maxIterations is 16384; PBKDF2 cost is linear). */
export const SCRAM_CLIENT_MAX_ITERATIONS = 16384;

const enc = new TextEncoder();
const dec = new TextDecoder();

function hashName(m: ScramMechanismName): 'SHA-256' | 'SHA-512' {
  return m === 'SCRAM-SHA-256' ? 'SHA-256' : 'SHA-512';
}

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** SCRAM's saslname: `=` and `,` escaped. */
function saslName(user: string): string {
  return user.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** The attributes of a SCRAM message (`a=value,b=value`), by their one-letter names. */
function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const m = /^([A-Za-z])=(.*)$/s.exec(part);
    if (!m) throw new ScramClientError(`malformed SCRAM message attribute "${part.slice(0, 40)}"`);
    if (!out.has(m[1]!)) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** The server's SCRAM messages did not add up (wrong nonce, too few iterations, bad signature, e=…). */
export class ScramClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScramClientError';
  }
}

/** WebCrypto's SubtleCrypto; browsers offer it only to secure contexts (https:// pages, localhost). */
function subtle(): SubtleCrypto {
  const s = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (s === undefined) throw new ScramClientError('SCRAM needs WebCrypto (crypto.subtle), which browsers offer only to secure contexts: serve the page over https:// (or from localhost)');
  return s;
}

/** `b` over an ArrayBuffer of its own, as WebCrypto's BufferSource wants (never a SharedArrayBuffer). */
function own(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b);
}

async function hmac(m: ScramMechanismName, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', own(key), { name: 'HMAC', hash: hashName(m) }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', k, own(data)));
}

/** Whether `a` and `b` hold the same bytes, in time that depends on their length only. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Hi(password, salt, i): PBKDF2 with the mechanism's HMAC, as long as its hash. */
export async function scramSaltedPassword(m: ScramMechanismName, password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', own(enc.encode(password)), 'PBKDF2', false, ['deriveBits']);
  const bits = m === 'SCRAM-SHA-256' ? 256 : 512;
  return new Uint8Array(await subtle().deriveBits({ name: 'PBKDF2', hash: hashName(m), salt: own(salt), iterations }, k, bits));
}

/** One SCRAM exchange: first() → client-first; final(serverFirst) → client-final; verify(serverFinal). Single-use. */
export class ScramClient {
  private readonly nonce: string;
  private clientFirstBare = '';
  private serverSignature: Uint8Array | null = null;

  constructor(
    readonly mechanism: ScramMechanismName,
    private readonly username: string,
    private readonly password: string,
    /** The client nonce (tests); 24 random bytes in base64 otherwise. */
    nonce?: string,
  ) {
    this.nonce = nonce ?? toBase64(crypto.getRandomValues(new Uint8Array(24)));
  }

  /** client-first-message: no channel binding, no authzid. */
  first(): Uint8Array {
    this.clientFirstBare = `n=${saslName(this.username)},r=${this.nonce}`;
    return enc.encode(`n,,${this.clientFirstBare}`);
  }

  /** client-final-message with the proof, for the server-first-message. */
  async final(serverFirstBytes: Uint8Array): Promise<Uint8Array> {
    const serverFirst = dec.decode(serverFirstBytes);
    const a = attributes(serverFirst);
    if (a.has('e')) throw new ScramClientError(`SCRAM authentication failed: ${a.get('e')}`);
    const nonce = a.get('r');
    const salt = a.get('s');
    const iterations = Number(a.get('i'));
    if (nonce === undefined || !nonce.startsWith(this.nonce) || nonce.length === this.nonce.length)
      throw new ScramClientError('Invalid SCRAM server nonce: it does not extend the client nonce');
    if (salt === undefined || salt === '') throw new ScramClientError('Invalid SCRAM server first message: no salt');
    if (!Number.isInteger(iterations)) throw new ScramClientError(`Invalid SCRAM server first message: iterations ${a.get('i')}`);
    if (iterations < SCRAM_CLIENT_MIN_ITERATIONS) throw new ScramClientError(`Requested iterations ${iterations} is less than the minimum ${SCRAM_CLIENT_MIN_ITERATIONS} for ${this.mechanism}`);
    if (iterations > SCRAM_CLIENT_MAX_ITERATIONS) throw new ScramClientError(`Requested iterations ${iterations} is more than the maximum ${SCRAM_CLIENT_MAX_ITERATIONS} for ${this.mechanism}`);
    const m = this.mechanism;
    let saltBytes: Uint8Array;
    try {
      saltBytes = fromBase64(salt);
    } catch {
      throw new ScramClientError(`Invalid SCRAM server first message: salt ${salt.slice(0, 40)}`);
    }
    const salted = await scramSaltedPassword(m, this.password, saltBytes, iterations);
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = enc.encode(`${this.clientFirstBare},${serverFirst},${withoutProof}`);
    const clientKey = await hmac(m, salted, enc.encode('Client Key'));
    const storedKey = new Uint8Array(await subtle().digest(hashName(m), own(clientKey)));
    const clientSignature = await hmac(m, storedKey, authMessage);
    const proof = new Uint8Array(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ clientSignature[i]!;
    this.serverSignature = await hmac(m, await hmac(m, salted, enc.encode('Server Key')), authMessage);
    return enc.encode(`${withoutProof},p=${toBase64(proof)}`);
  }

  /** Checks the server-final-message: throws unless it carries the server signature for this exchange. */
  verify(serverFinalBytes: Uint8Array): void {
    if (this.serverSignature === null) throw new ScramClientError('SCRAM server-final message before client-final');
    const a = attributes(dec.decode(serverFinalBytes));
    if (a.has('e')) throw new ScramClientError(`SCRAM authentication failed: ${a.get('e')}`);
    let v: Uint8Array;
    try {
      v = fromBase64(a.get('v') ?? '');
    } catch {
      v = new Uint8Array(0);
    }
    if (!sameBytes(v, this.serverSignature)) throw new ScramClientError('Invalid server signature in SCRAM server final message');
  }
}
