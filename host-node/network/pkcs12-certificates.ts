// The certificates of a PKCS12 trust store, and the key and certificates of a PKCS12 key store as PEM.
// Node's TLS reads a PKCS12 key store (`pfx`) but refuses one without a private key, which is what a
// trust store is; this reads the certificate bags of such a file so they can be given to TLS as `ca`, and
// the key bags for clients that take PEM only (gRPC, the etcd client). The container is walked here (DER); the cryptography is Node's:
// bags encrypted with PBES2 (PBKDF2 + AES-CBC, what OpenSSL 3 and keytool since JDK 18 write) are
// decrypted with crypto.pbkdf2Sync and createDecipheriv. Stores encrypted with the legacy PKCS#12 PBE
// schemes (RC2-40, 3DES) are refused with a message saying how to convert them.
import { X509Certificate, createDecipheriv, createPrivateKey, pbkdf2Sync } from 'node:crypto';

export class Pkcs12Error extends Error {
  override readonly name = 'Pkcs12Error';
}

/** Bounds: a trust store holds a few hundred CAs at most; DER nesting here is shallow. */
const MAX_CERTIFICATES = 4096;
const MAX_ITERATIONS = 10_000_000;

interface Tlv {
  readonly tag: number;
  readonly value: Buffer;
}

/** The DER elements of `buf`, in order (definite lengths only, as DER has). */
function elements(buf: Buffer): Tlv[] {
  const out: Tlv[] = [];
  let i = 0;
  while (i < buf.length) {
    if (i + 2 > buf.length) throw new Pkcs12Error('truncated DER element');
    const tag = buf[i++]!;
    if ((tag & 0x1f) === 0x1f) throw new Pkcs12Error('unsupported DER tag');
    let len = buf[i++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4 || i + n > buf.length) throw new Pkcs12Error('unsupported DER length');
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + buf[i++]!;
    }
    if (i + len > buf.length) throw new Pkcs12Error('truncated DER element');
    out.push({ tag, value: buf.subarray(i, i + len) });
    i += len;
  }
  return out;
}

function one(buf: Buffer, tag: number, what: string): Tlv {
  const e = elements(buf);
  if (e.length !== 1 || e[0]!.tag !== tag) throw new Pkcs12Error(`malformed ${what}`);
  return e[0]!;
}

function seq(t: Tlv | undefined, what: string): Tlv[] {
  if (t === undefined || t.tag !== 0x30) throw new Pkcs12Error(`malformed ${what}`);
  return elements(t.value);
}

function oid(t: Tlv | undefined): string {
  if (t === undefined || t.tag !== 0x06 || t.value.length === 0) throw new Pkcs12Error('malformed object identifier');
  const b = t.value;
  const parts = [Math.floor(b[0]! / 40), b[0]! % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

function integer(t: Tlv | undefined): number {
  if (t === undefined || t.tag !== 0x02 || t.value.length > 6) throw new Pkcs12Error('malformed integer');
  return t.value.readUIntBE(0, t.value.length);
}

/** An OCTET STRING's bytes, primitive or constructed (BER-style chunks some writers use). */
function octets(t: Tlv, primitiveTag = 0x04, constructedTag = 0x24): Buffer {
  if (t.tag === primitiveTag) return t.value;
  if (t.tag === constructedTag) return Buffer.concat(elements(t.value).map((c) => octets(c)));
  throw new Pkcs12Error('malformed octet string');
}

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
} as const;
const PRF: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
const CIPHERS: Record<string, { name: string; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
};

/** Decrypts an EncryptedContentInfo's content with PBES2. */
function decrypt(algorithm: Tlv[], encrypted: Buffer, password: string): Buffer {
  const algo = oid(algorithm[0]);
  if (algo !== OID.pbes2)
    throw new Pkcs12Error(`the store is encrypted with ${algo}, a legacy PKCS#12 scheme this broker does not read; convert it (openssl pkcs12 … -certpbe AES-256-CBC, or keytool -importkeystore) or use PEM`);
  const [kdf, scheme] = seq(algorithm[1], 'PBES2 parameters');
  const [kdfOid, kdfParams] = seq(kdf, 'key derivation');
  if (oid(kdfOid) !== OID.pbkdf2) throw new Pkcs12Error('unsupported PBES2 key derivation (PBKDF2 expected)');
  const p = seq(kdfParams, 'PBKDF2 parameters');
  const salt = octets(p[0]!);
  const iterations = integer(p[1]);
  if (iterations < 1 || iterations > MAX_ITERATIONS) throw new Pkcs12Error(`PBKDF2 iteration count ${iterations} out of bounds`);
  let rest = p.slice(2);
  if (rest[0]?.tag === 0x02) rest = rest.slice(1); // keyLength: implied by the cipher
  const prf = rest[0] === undefined ? 'sha1' : PRF[oid(seq(rest[0], 'PRF')[0])];
  if (prf === undefined) throw new Pkcs12Error('unsupported PBKDF2 PRF');
  const [cipherOid, ivTlv] = seq(scheme, 'encryption scheme');
  const cipher = CIPHERS[oid(cipherOid)];
  if (cipher === undefined || ivTlv === undefined) throw new Pkcs12Error('unsupported PBES2 cipher (AES-CBC expected)');
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, cipher.keyLength, prf);
  const d = createDecipheriv(cipher.name, key, octets(ivTlv));
  return Buffer.concat([d.update(encrypted), d.final()]);
}

/** What a PKCS12 file holds: certificates (DER) and private keys (PKCS#8 DER, decrypted). */
interface Pkcs12Contents {
  readonly certs: Buffer[];
  readonly keys: Buffer[];
}

/** The certificates and private keys of a SafeContents. */
function bagsOf(safeContents: Buffer, out: Pkcs12Contents, password: string): void {
  for (const bag of elements(one(safeContents, 0x30, 'SafeContents').value)) {
    const [bagId, bagValue] = seq(bag, 'SafeBag');
    if (bagValue === undefined || bagValue.tag !== 0xa0) continue;
    const id = oid(bagId);
    if (id === OID.keyBag || id === OID.pkcs8ShroudedKeyBag) {
      if (out.keys.length === MAX_CERTIFICATES) throw new Pkcs12Error(`more than ${MAX_CERTIFICATES} keys`);
      const info = one(bagValue.value, 0x30, 'key bag');
      if (id === OID.keyBag) out.keys.push(Buffer.from(bagValue.value));
      else {
        // EncryptedPrivateKeyInfo: the same PBES2 as the encrypted contents.
        const [algorithm, encrypted] = seq(info, 'EncryptedPrivateKeyInfo');
        out.keys.push(decryptOrExplain(seq(algorithm, 'key encryption algorithm'), octets(encrypted!), password));
      }
      continue;
    }
    if (id !== OID.certBag) continue;
    const [certId, certValue] = seq(one(bagValue.value, 0x30, 'CertBag'), 'CertBag');
    if (oid(certId) !== OID.x509Certificate || certValue === undefined || certValue.tag !== 0xa0) continue;
    if (out.certs.length === MAX_CERTIFICATES) throw new Pkcs12Error(`more than ${MAX_CERTIFICATES} certificates`);
    out.certs.push(octets(one(certValue.value, 0x04, 'certificate')));
  }
}

function decryptOrExplain(algorithm: Tlv[], encrypted: Buffer, password: string): Buffer {
  try {
    return decrypt(algorithm, encrypted, password);
  } catch (e) {
    if (e instanceof Pkcs12Error) throw e;
    throw new Pkcs12Error('cannot decrypt the store: wrong password, or a damaged file');
  }
}

/** Walks a PKCS12 file. Throws Pkcs12Error when it cannot be read with `password`. */
function readPkcs12(pfx: Buffer, password: string): Pkcs12Contents {
  const out: Pkcs12Contents = { certs: [], keys: [] };
  try {
    const [version, authSafe] = seq(one(pfx, 0x30, 'PFX'), 'PFX');
    if (integer(version) !== 3) throw new Pkcs12Error('not a PKCS12 (version 3) file');
    const [type, content] = seq(authSafe, 'authSafe');
    if (oid(type) !== OID.data || content?.tag !== 0xa0) throw new Pkcs12Error('unsupported authSafe (public-key integrity is not supported)');
    const authenticatedSafe = octets(one(content.value, content.value[0] === 0x24 ? 0x24 : 0x04, 'authSafe content'));
    for (const ci of elements(one(authenticatedSafe, 0x30, 'AuthenticatedSafe').value)) {
      const [ciType, ciContent] = seq(ci, 'ContentInfo');
      if (ciContent === undefined || ciContent.tag !== 0xa0) continue;
      const t = oid(ciType);
      if (t === OID.data) bagsOf(octets(elements(ciContent.value)[0]!), out, password);
      else if (t === OID.encryptedData) {
        const [, eci] = seq(one(ciContent.value, 0x30, 'EncryptedData'), 'EncryptedData');
        const [, algorithm, enc] = seq(eci, 'EncryptedContentInfo');
        if (enc === undefined) continue;
        bagsOf(decryptOrExplain(seq(algorithm, 'encryption algorithm'), octets(enc, 0x80, 0xa0), password), out, password);
      }
    }
  } catch (e) {
    if (e instanceof Pkcs12Error) throw e;
    throw new Pkcs12Error(`cannot read the store: ${(e as Error).message}`);
  }
  return out;
}

/** The certificates of a PKCS12 file as PEM text. Throws Pkcs12Error when it cannot be read with `password`. */
export function pkcs12Certificates(pfx: Buffer, password: string): string {
  return readPkcs12(pfx, password).certs.map((der) => new X509Certificate(der).toString()).join('');
}

/**
 * The one private key (PKCS#8 PEM) and the certificates (PEM, in the file's order) of a PKCS12 key store,
 * for TLS stacks that take PEM only (gRPC). Throws Pkcs12Error when it cannot be read or holds no single key.
 */
export function pkcs12KeyAndCertificates(pfx: Buffer, password: string): { key: string; certs: string } {
  const { certs, keys } = readPkcs12(pfx, password);
  if (keys.length !== 1) throw new Pkcs12Error(`the key store must hold exactly one private key (found ${keys.length})`);
  let key: string;
  try {
    key = createPrivateKey({ key: keys[0]!, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
  } catch (e) {
    throw new Pkcs12Error(`cannot read the private key: ${(e as Error).message}`);
  }
  return { key, certs: certs.map((der) => new X509Certificate(der).toString()).join('') };
}
