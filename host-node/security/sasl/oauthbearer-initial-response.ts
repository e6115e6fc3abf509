// The OAUTHBEARER client's initial response (RFC 7628 §3.1), parsed as strictly as Kafka's
// OAuthBearerClientInitialResponse:  n,[a=<saslname>],^A auth=Bearer <token> ^A [key=value ^A]* ^A
// where ^A is %x01. Sizes are bounded before anything is scanned.

/** The largest initial response accepted (a JWT with many claims is a few KiB). */
export const MAX_INITIAL_RESPONSE_BYTES = 65536;
/** The most key/value pairs (auth plus extensions) accepted. */
export const MAX_KEY_VALUE_PAIRS = 64;

export interface OAuthBearerInitialResponse {
  /** The authorization id (`a=`), unescaped; '' when absent. */
  readonly authorizationId: string;
  /** The bearer token (the JWT's compact serialization). */
  readonly tokenValue: string;
  /** SASL extensions (every key but auth), as sent. */
  readonly extensions: ReadonlyMap<string, string>;
}

/** Why an initial response was refused (logged at debug; the client only learns that authentication failed). */
export class InvalidInitialResponse extends Error {
  override readonly name = 'InvalidInitialResponse';
}

const SEP = '\x01';
// RFC 5801 saslname: UTF-8 without ',' and '=' except the escapes =2C and =3D (Kafka: [\x01-\x7F] minus those).
const SASLNAME_RE = /^(?:[\x01-\x2B\x2D-\x3C\x3E-\x7F]|=2C|=3D)+$/;
// RFC 7628 key and value (Kafka's patterns).
const KEY_RE = /^[A-Za-z]+$/;
const VALUE_RE = /^[\x21-\x7E \t\r\n]+$/;
// "Bearer <token>": the scheme is case-insensitive; the token is a b64token (Kafka: [-_.a-zA-Z0-9]+).
const AUTH_RE = /^(\w+) +([-_.a-zA-Z0-9]+)$/;

export function parseInitialResponse(bytes: Uint8Array): OAuthBearerInitialResponse {
  if (bytes.length > MAX_INITIAL_RESPONSE_BYTES) throw new InvalidInitialResponse(`Initial response of ${bytes.length} bytes exceeds ${MAX_INITIAL_RESPONSE_BYTES}`);
  // Every legal byte is ASCII; refusing others first keeps the decode lossless.
  for (const b of bytes) if (b === 0 || b > 0x7f) throw new InvalidInitialResponse('Invalid OAUTHBEARER client first message: non-ASCII byte');
  const msg = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

  // GS2 header: "n," then an optional "a=<saslname>" then ","; channel binding ('p', 'y') is not supported.
  if (!msg.startsWith('n,')) throw new InvalidInitialResponse('Invalid OAUTHBEARER client first message: GS2 header must start with "n,"');
  const comma = msg.indexOf(',', 2);
  if (comma < 0) throw new InvalidInitialResponse('Invalid OAUTHBEARER client first message: GS2 header not terminated');
  const authz = msg.slice(2, comma);
  let authorizationId = '';
  if (authz !== '') {
    if (!authz.startsWith('a=') || !SASLNAME_RE.test(authz.slice(2))) throw new InvalidInitialResponse('Invalid OAUTHBEARER client first message: invalid authorization id');
    authorizationId = authz.slice(2).replace(/=2C/g, ',').replace(/=3D/g, '=');
  }

  // Then ^A, the key/value pairs each ended by ^A, and a final ^A.
  const rest = msg.slice(comma + 1);
  if (!rest.startsWith(SEP) || !rest.endsWith(SEP + SEP) || rest.length < 3)
    throw new InvalidInitialResponse('Invalid OAUTHBEARER client first message: key/value section must start with ^A and end with ^A^A');
  const pairs = rest.slice(1, -2).split(SEP);
  if (pairs.length > MAX_KEY_VALUE_PAIRS) throw new InvalidInitialResponse(`Invalid OAUTHBEARER client first message: more than ${MAX_KEY_VALUE_PAIRS} key/value pairs`);
  let auth: string | undefined;
  const extensions = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    if (eq < 0 || !KEY_RE.test(key) || !VALUE_RE.test(value)) throw new InvalidInitialResponse('Invalid OAUTHBEARER client first message: malformed key/value pair');
    if (key === 'auth') {
      if (auth !== undefined) throw new InvalidInitialResponse("Invalid OAUTHBEARER client first message: 'auth' given twice");
      auth = value;
    } else {
      if (extensions.has(key)) throw new InvalidInitialResponse(`Invalid OAUTHBEARER client first message: extension ${key} given twice`);
      extensions.set(key, value);
    }
  }
  if (auth === undefined) throw new InvalidInitialResponse("Invalid OAUTHBEARER client first message: 'auth' not specified");
  const m = AUTH_RE.exec(auth);
  if (!m) throw new InvalidInitialResponse("Invalid OAUTHBEARER client first message: invalid 'auth' format");
  if (m[1]!.toLowerCase() !== 'bearer') throw new InvalidInitialResponse(`Invalid scheme in OAUTHBEARER client first message: ${m[1]}`);
  return { authorizationId, tokenValue: m[2]!, extensions };
}
