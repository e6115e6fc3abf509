// Builds the TLS options of an SSL listener from its ssl.* settings, reading key stores and trust stores
// as Kafka reads `ssl.keystore.type=PEM`: a file (or inline value) holding the private key and the
// certificate chain, the CA certificates to verify client certificates against, ssl.client.auth,
// ssl.enabled.protocols and ssl.cipher.suites.

import { readFileSync } from 'node:fs';
import type { SecureVersion, TlsOptions } from 'node:tls';
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

/** The private key and certificate chain of the key store (file or inline), as PEM text. */
function keyStore(listener: string, ssl: SslConfig): { key: string; cert: string } {
  if (ssl['ssl.keystore.type'] !== 'PEM')
    throw new ConfigError('ssl.keystore.type', `Listener ${listener}: ssl.keystore.type ${ssl['ssl.keystore.type']} is not supported (use PEM)`);
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
  if (ssl['ssl.truststore.type'] !== 'PEM')
    throw new ConfigError('ssl.truststore.type', `Listener ${listener}: ssl.truststore.type ${ssl['ssl.truststore.type']} is not supported (use PEM)`);
  if (location !== null && inline !== null)
    throw new ConfigError('ssl.truststore.location', `Listener ${listener}: set either ssl.truststore.location or ssl.truststore.certificates, not both`);
  const key = location !== null ? 'ssl.truststore.location' : 'ssl.truststore.certificates';
  const certs = pemBlocks(key, location !== null ? readPemFile(key, location) : inline!).filter(isCert);
  if (certs.length === 0) throw new ConfigError(key, `Listener ${listener}: the trust store holds no PEM certificate`);
  return certs.map((b) => b.text).join('');
}

/** Node's TLS server options for an SSL listener named `listener`. Throws a ConfigError on a bad setting. */
export function sslServerOptions(listener: string, ssl: SslConfig): TlsOptions {
  const { key, cert } = keyStore(listener, ssl);
  const ca = trustStore(listener, ssl);
  const clientAuth = ssl['ssl.client.auth'];
  if (clientAuth !== 'none' && ca === undefined)
    throw new ConfigError('ssl.client.auth', `Listener ${listener}: ssl.client.auth=${clientAuth} needs a trust store (ssl.truststore.location or ssl.truststore.certificates)`);
  const versions = [...ssl['ssl.enabled.protocols']].sort() as SecureVersion[];
  const ciphers = ssl['ssl.cipher.suites'];
  return {
    key,
    cert,
    passphrase: ssl['ssl.key.password'] ?? undefined,
    ca,
    // requested: a certificate sent must verify (checked on the socket), none sent is fine.
    requestCert: clientAuth !== 'none',
    rejectUnauthorized: clientAuth === 'required',
    minVersion: versions[0],
    maxVersion: versions[versions.length - 1],
    ciphers: ciphers !== null && ciphers.length > 0 ? ciphers.join(':') : undefined,
  };
}
