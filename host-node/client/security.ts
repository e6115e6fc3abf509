// A client connection's security, as Kafka's client configs describe it: security.protocol (PLAINTEXT,
// SSL, SASL_PLAINTEXT, SASL_SSL), TLS settings (trusted CAs, a client certificate, host name
// verification with ssl.endpoint.identification.algorithm) and the SASL mechanism with its credentials.
// cli/command-config.ts builds these from a Kafka client properties file.
import { isIP } from 'node:net';
import type { ConnectionOptions as TlsConnectionOptions, SecureVersion } from 'node:tls';
import { KafkaClientError } from '../../client/errors.js';
import type { SecurityProtocol } from '../config/ssl-defs.js';
import type { SaslClientOptions } from './sasl-client.js';

export type { SecurityProtocol };

export interface ClientSslOptions {
  /** Trusted CA certificates in PEM (ssl.truststore.*); default: Node's bundled root CAs. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** The client certificate chain in PEM (ssl.keystore.*), sent when the broker asks for one. */
  cert?: string | Buffer;
  /** The client certificate's private key in PEM. */
  key?: string | Buffer;
  /** A PKCS12 key store instead of cert and key. */
  pfx?: Buffer;
  /** The password of an encrypted key (ssl.key.password) or of the PKCS12 key store. */
  passphrase?: string;
  /** ssl.endpoint.identification.algorithm: 'https' (the default) checks the broker's host name against its certificate; '' does not. */
  endpointIdentificationAlgorithm?: string;
  /** ssl.enabled.protocols (default TLSv1.2 and TLSv1.3). */
  enabledProtocols?: readonly SecureVersion[];
  /** ssl.cipher.suites, OpenSSL names. */
  cipherSuites?: readonly string[];
  /** Anything else Node's tls.connect takes, applied last (e.g. a prepared secureContext). */
  tls?: TlsConnectionOptions;
}

export interface ClientSecurityOptions {
  /** security.protocol (default PLAINTEXT). */
  protocol: SecurityProtocol;
  /** SSL and SASL_SSL. */
  ssl?: ClientSslOptions;
  /** SASL_PLAINTEXT and SASL_SSL: the mechanism and credentials. */
  sasl?: SaslClientOptions;
}

export const usesTls = (s: ClientSecurityOptions | undefined): boolean => s?.protocol === 'SSL' || s?.protocol === 'SASL_SSL';
export const usesSasl = (s: ClientSecurityOptions | undefined): boolean => s?.protocol === 'SASL_PLAINTEXT' || s?.protocol === 'SASL_SSL';

/** Refuses combinations a connection cannot be made with (SASL_* without credentials). */
export function checkClientSecurity(s: ClientSecurityOptions | undefined): void {
  if (s === undefined) return;
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(s.protocol))
    throw new KafkaClientError(`Unknown security.protocol ${String(s.protocol)} (one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)`);
  if (usesSasl(s) && s.sasl === undefined) throw new KafkaClientError(`security.protocol ${s.protocol} needs a SASL mechanism and credentials`);
  const alg = s.ssl?.endpointIdentificationAlgorithm;
  if (alg !== undefined && alg !== '' && alg.toLowerCase() !== 'https')
    throw new KafkaClientError(`Unsupported ssl.endpoint.identification.algorithm ${alg} (https or empty)`);
}

/** Node's tls.connect options for a connection to host:port under `ssl`. */
export function tlsConnectOptions(host: string, port: number, ssl: ClientSslOptions = {}): TlsConnectionOptions {
  const versions = [...(ssl.enabledProtocols ?? ['TLSv1.2', 'TLSv1.3'])].sort() as SecureVersion[];
  const o: TlsConnectionOptions = {
    host,
    port,
    // SNI carries host names only (RFC 6066).
    servername: isIP(host) === 0 ? host : undefined,
    ca: ssl.ca,
    cert: ssl.cert,
    key: ssl.key,
    pfx: ssl.pfx,
    passphrase: ssl.passphrase,
    rejectUnauthorized: true,
    minVersion: versions[0],
    maxVersion: versions[versions.length - 1],
    ciphers: ssl.cipherSuites !== undefined && ssl.cipherSuites.length > 0 ? ssl.cipherSuites.join(':') : undefined,
  };
  if (ssl.endpointIdentificationAlgorithm === '') o.checkServerIdentity = () => undefined;
  return { ...o, ...ssl.tls };
}
