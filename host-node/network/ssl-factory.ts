// Builds the TLS options of an SSL listener from its ssl.* settings, reading key stores and trust stores
// as Kafka reads `ssl.keystore.type=PEM` (a file or inline value holding the private key and the
// certificate chain; the CA certificates to verify peers against) or `PKCS12` (a file with
// ssl.keystore.password / ssl.truststore.password), ssl.client.auth, ssl.enabled.protocols and
// ssl.cipher.suites. The same stores make the TLS options of the broker as a client of another broker.

import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type ConnectionOptions as TlsConnectionOptions, type SecureContextOptions, type SecureVersion, type TlsOptions } from 'node:tls';
import { Pkcs12Error, pkcs12Certificates, pkcs12KeyAndCertificates } from './pkcs12-certificates.js';
import type { SslConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/types.js';

/** Bound on the PEM blocks read from one store (a chain plus a key is a handful). */
const MAX_PEM_BLOCKS = 256;

interface PemBlock {
  readonly label: string;
  readonly text: string;
}

/** The PEM blocks of `text` (`-----BEGIN <label>-----` … `-----END <label>-----`), in order. */
function pemBlocks(key: string, text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (out.length === MAX_PEM_BLOCKS) throw new ConfigError(key, `${key}: more than ${MAX_PEM_BLOCKS} PEM blocks`);
    out.push({ label: m[1]!, text: m[0] + '\n' });
  }
  return out;
}

function readPemFile(key: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(key, `Cannot read ${key} ${path}: ${(e as Error).message}`);
  }
}

const isKey = (b: PemBlock): boolean => b.label.endsWith('PRIVATE KEY');
const isCert = (b: PemBlock): boolean => b.label === 'CERTIFICATE';

function readBinaryFile(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError(key, `Cannot read ${key} ${path}: ${(e as Error).message}`);
  }
}

/** JKS is Java's own format: refused with what to use instead. */
function refuseJks(listener: string, key: 'ssl.keystore.type' | 'ssl.truststore.type'): never {
  throw new ConfigError(key, `Listener ${listener}: ${key} JKS is not supported (use PKCS12 or PEM; keytool -importkeystore -deststoretype PKCS12 converts a JKS store)`);
}

/** The key store's TLS options: the key and chain as PEM text, or a PKCS12 file as `pfx`. */
function keyStore(listener: string, ssl: SslConfig): Pick<TlsOptions, 'key' | 'cert' | 'pfx' | 'passphrase'> {
  const type = ssl['ssl.keystore.type'];
  if (type === 'JKS') refuseJks(listener, 'ssl.keystore.type');
  if (type === 'PKCS12') {
    const location = ssl['ssl.keystore.location'];
    if (location === null) throw new ConfigError('ssl.keystore.location', `Listener ${listener}: ssl.keystore.type PKCS12 needs ssl.keystore.location`);
    if (ssl['ssl.keystore.key'] !== null || ssl['ssl.keystore.certificate.chain'] !== null)
      throw new ConfigError('ssl.keystore.key', `Listener ${listener}: ssl.keystore.key and ssl.keystore.certificate.chain are PEM values (ssl.keystore.type=PEM)`);
    return { pfx: [{ buf: readBinaryFile('ssl.keystore.location', location), passphrase: ssl['ssl.keystore.password'] ?? '' }] };
  }
  return { ...pemKeyStore(listener, ssl), passphrase: ssl['ssl.key.password'] ?? undefined };
}

/** The private key and certificate chain of a PEM key store (file or inline), as PEM text. */
function pemKeyStore(listener: string, ssl: SslConfig): { key: string; cert: string } {
  const location = ssl['ssl.keystore.location'];
  const inlineKey = ssl['ssl.keystore.key'];
  const inlineChain = ssl['ssl.keystore.certificate.chain'];
  let blocks: PemBlock[];
  let from: string;
  if (location !== null) {
    if (inlineKey !== null || inlineChain !== null)
      throw new ConfigError('ssl.keystore.location', `Listener ${listener}: set either ssl.keystore.location or ssl.keystore.key with ssl.keystore.certificate.chain, not both`);
    from = 'ssl.keystore.location';
    blocks = pemBlocks(from, readPemFile(from, location));
  } else {
    if (inlineKey === null || inlineChain === null)
      throw new ConfigError('ssl.keystore.location', `Listener ${listener} (SSL) needs a key store: ssl.keystore.location, or ssl.keystore.key with ssl.keystore.certificate.chain`);
    from = 'ssl.keystore.key';
    blocks = [...pemBlocks('ssl.keystore.key', inlineKey), ...pemBlocks('ssl.keystore.certificate.chain', inlineChain)];
  }
  const keys = blocks.filter(isKey);
  const certs = blocks.filter(isCert);
  if (keys.length !== 1) throw new ConfigError(from, `Listener ${listener}: the key store must hold exactly one PEM private key (found ${keys.length})`);
  if (certs.length === 0) throw new ConfigError(from, `Listener ${listener}: the key store holds no PEM certificate`);
  return { key: keys[0]!.text, cert: certs.map((b) => b.text).join('') };
}

/** The trusted CA certificates (file or inline), or undefined when no trust store is configured. */
function trustStore(listener: string, ssl: SslConfig): string | undefined {
  const location = ssl['ssl.truststore.location'];
  const inline = ssl['ssl.truststore.certificates'];
  if (location === null && inline === null) return undefined;
  const type = ssl['ssl.truststore.type'];
  if (type === 'JKS') refuseJks(listener, 'ssl.truststore.type');
  if (type === 'PKCS12') {
    if (location === null) throw new ConfigError('ssl.truststore.location', `Listener ${listener}: ssl.truststore.type PKCS12 needs ssl.truststore.location`);
    if (inline !== null) throw new ConfigError('ssl.truststore.certificates', `Listener ${listener}: ssl.truststore.certificates is a PEM value (ssl.truststore.type=PEM)`);
    let pem: string;
    try {
      pem = pkcs12Certificates(readBinaryFile('ssl.truststore.location', location), ssl['ssl.truststore.password'] ?? '');
    } catch (e) {
      if (!(e instanceof Pkcs12Error)) throw e;
      throw new ConfigError('ssl.truststore.location', `Listener ${listener}: cannot read the PKCS12 trust store ${location}: ${e.message}`);
    }
    if (pem === '') throw new ConfigError('ssl.truststore.location', `Listener ${listener}: the trust store holds no certificate`);
    return pem;
  }
  if (location !== null && inline !== null)
    throw new ConfigError('ssl.truststore.location', `Listener ${listener}: set either ssl.truststore.location or ssl.truststore.certificates, not both`);
  const key = location !== null ? 'ssl.truststore.location' : 'ssl.truststore.certificates';
  const certs = pemBlocks(key, location !== null ? readPemFile(key, location) : inline!).filter(isCert);
  if (certs.length === 0) throw new ConfigError(key, `Listener ${listener}: the trust store holds no PEM certificate`);
  return certs.map((b) => b.text).join('');
}

/** Node's TLS server options for an SSL listener named `listener`. Throws a ConfigError on a bad setting. */
export function sslServerOptions(listener: string, ssl: SslConfig): TlsOptions {
  const stores = keyStore(listener, ssl);
  const ca = trustStore(listener, ssl);
  const clientAuth = ssl['ssl.client.auth'];
  if (clientAuth !== 'none' && ca === undefined)
    throw new ConfigError('ssl.client.auth', `Listener ${listener}: ssl.client.auth=${clientAuth} needs a trust store (ssl.truststore.location or ssl.truststore.certificates)`);
  const versions = [...ssl['ssl.enabled.protocols']].sort() as SecureVersion[];
  const ciphers = ssl['ssl.cipher.suites'];
  const options: TlsOptions = {
    ...stores,
    ca,
    // requested: a certificate sent must verify (checked on the socket), none sent is fine.
    requestCert: clientAuth !== 'none',
    rejectUnauthorized: clientAuth === 'required',
    minVersion: versions[0],
    maxVersion: versions[versions.length - 1],
    ciphers: ciphers !== null && ciphers.length > 0 ? ciphers.join(':') : undefined,
  };
  checkSecureContext(listener, options);
  return options;
}

/**
 * Node's TLS client options for this broker connecting to another broker's `listener` (replication): the
 * listener's trust store to verify the other broker, its key store as the client certificate (sent when
 * the other side asks for one), its protocols and ciphers, and host name verification as
 * ssl.endpoint.identification.algorithm says.
 */
export function sslClientOptions(listener: string, ssl: SslConfig, endpointIdentification: string): TlsConnectionOptions {
  const hasKeyStore = ssl['ssl.keystore.location'] !== null || ssl['ssl.keystore.key'] !== null;
  const versions = [...ssl['ssl.enabled.protocols']].sort() as SecureVersion[];
  const ciphers = ssl['ssl.cipher.suites'];
  const options: TlsConnectionOptions = {
    ...(hasKeyStore ? keyStore(listener, ssl) : {}),
    ca: trustStore(listener, ssl),
    rejectUnauthorized: true,
    minVersion: versions[0],
    maxVersion: versions[versions.length - 1],
    ciphers: ciphers !== null && ciphers.length > 0 ? ciphers.join(':') : undefined,
  };
  // Empty ssl.endpoint.identification.algorithm: the chain is verified, the host name is not.
  if (endpointIdentification === '') options.checkServerIdentity = () => undefined;
  checkSecureContext(listener, options);
  return options;
}

/** Builds a secure context from `options` once, so a wrong password or a key that does not fit its certificate is a ConfigError now. */
function checkSecureContext(listener: string, options: SecureContextOptions): void {
  try {
    createSecureContext(options);
  } catch (e) {
    const key = options.pfx !== undefined ? 'ssl.keystore.location' : 'ssl.keystore.key';
    throw new ConfigError(key, `Listener ${listener}: cannot use the key store or trust store: ${(e as Error).message}`);
  }
}

/** A key store or trust store file outside a listener (etcd.ssl.*): its settings and the config keys they came from. */
export interface StoreFile {
  readonly location: string;
  /** PEM or PKCS12 (JKS is refused); null: PKCS12 for a .p12 or .pfx file, else PEM (as ZooKeeper's X509Util guesses). */
  readonly type: string | null;
  readonly password: string | null;
  readonly locationKey: string;
  readonly typeKey: string;
}

function storeType(store: StoreFile): 'PEM' | 'PKCS12' {
  const type = store.type ?? (/\.(p12|pfx)$/i.test(store.location) ? 'PKCS12' : 'PEM');
  if (type === 'JKS') throw new ConfigError(store.typeKey, `${store.typeKey} JKS is not supported (use PKCS12 or PEM; keytool -importkeystore -deststoretype PKCS12 converts a JKS store)`);
  if (type !== 'PEM' && type !== 'PKCS12') throw new ConfigError(store.typeKey, `${store.typeKey} ${type}: expected PEM or PKCS12`);
  return type;
}

/**
 * The private key (unencrypted PKCS#8 PEM) and certificate chain (PEM) of a key store file, for TLS stacks
 * that take PEM text only. A PEM key encrypted under `password` is decrypted here.
 */
export function keyStoreFileAsPem(store: StoreFile): { key: string; certChain: string } {
  const k = store.locationKey;
  if (storeType(store) === 'PKCS12') {
    try {
      const { key, certs } = pkcs12KeyAndCertificates(readBinaryFile(k, store.location), store.password ?? '');
      if (certs === '') throw new Pkcs12Error('the key store holds no certificate');
      return { key, certChain: certs };
    } catch (e) {
      if (!(e instanceof Pkcs12Error)) throw e;
      throw new ConfigError(k, `Cannot read the PKCS12 key store ${k} ${store.location}: ${e.message}`);
    }
  }
  const blocks = pemBlocks(k, readPemFile(k, store.location));
  const keys = blocks.filter(isKey);
  const certs = blocks.filter(isCert);
  if (keys.length !== 1) throw new ConfigError(k, `${k} ${store.location}: the key store must hold exactly one PEM private key (found ${keys.length})`);
  if (certs.length === 0) throw new ConfigError(k, `${k} ${store.location}: the key store holds no PEM certificate`);
  let key: string;
  try {
    key = createPrivateKey({ key: keys[0]!.text, passphrase: store.password ?? undefined }).export({ format: 'pem', type: 'pkcs8' }).toString();
  } catch (e) {
    throw new ConfigError(k, `${k} ${store.location}: cannot read the private key: ${(e as Error).message}`);
  }
  return { key, certChain: certs.map((b) => b.text).join('') };
}

/** The CA certificates (PEM) of a trust store file. */
export function trustStoreFileAsPem(store: StoreFile): string {
  const k = store.locationKey;
  let pem: string;
  if (storeType(store) === 'PKCS12') {
    try {
      pem = pkcs12Certificates(readBinaryFile(k, store.location), store.password ?? '');
    } catch (e) {
      if (!(e instanceof Pkcs12Error)) throw e;
      throw new ConfigError(k, `Cannot read the PKCS12 trust store ${k} ${store.location}: ${e.message}`);
    }
  } else pem = pemBlocks(k, readPemFile(k, store.location)).filter(isCert).map((b) => b.text).join('');
  if (pem === '') throw new ConfigError(k, `${k} ${store.location}: the trust store holds no certificate`);
  return pem;
}
