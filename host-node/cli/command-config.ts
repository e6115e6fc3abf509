// `--command-config <file>`: a Kafka client properties file, as Kafka's tools take it, turned into the Node
// client's security options. Read: security.protocol; ssl.truststore.* and ssl.keystore.* (PEM or PKCS12
// files, or PEM inline with ssl.truststore.certificates / ssl.keystore.key + ssl.keystore.certificate.chain),
// ssl.key.password, ssl.endpoint.identification.algorithm, ssl.enabled.protocols, ssl.cipher.suites;
// sasl.mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) with the username and password of sasl.jaas.config.
// Other client properties in the file are left to the tool. A store whose type is not given (Kafka's
// default is JKS) is read by its content: PEM text or PKCS12; a Java KeyStore is refused, naming PKCS12/PEM.
import { readFileSync } from 'node:fs';
import type { SecureVersion } from 'node:tls';
import { parseProperties } from '../config/properties.js';
import { pkcs12Certificates } from '../network/pkcs12-certificates.js';
import type { ClientSecurityOptions, ClientSslOptions, SecurityProtocol } from '../client/security.js';
import { SASL_CLIENT_MECHANISMS, type SaslMechanismName } from '../client/sasl-client.js';
import { jaasCredentials, parseJaasConfig } from '../security/jaas.js';

/** A client property file that cannot be used (printed as the tool's error). */
export class CommandConfigError extends Error {
  override readonly name = 'CommandConfigError';
}

/** The option every tool that talks to a broker takes, for its parseArgs table. */
export const COMMAND_CONFIG_OPTION = { 'command-config': { type: 'string' } } as const;

/** Reads a `--command-config` file into the client's security options (undefined path: PLAINTEXT, no options). */
export function commandConfigSecurity(path: string | undefined): ClientSecurityOptions | undefined {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CommandConfigError(`Cannot read the command config ${path}: ${(e as Error).message}`);
  }
  return clientSecurityFromProperties(parseProperties(text));
}

const PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/** Kafka client properties → the client's security options. Throws CommandConfigError. */
export function clientSecurityFromProperties(props: ReadonlyMap<string, string>): ClientSecurityOptions {
  const protocol = (props.get('security.protocol') ?? 'PLAINTEXT').trim().toUpperCase() as SecurityProtocol;
  if (!PROTOCOLS.includes(protocol)) throw new CommandConfigError(`Invalid value ${props.get('security.protocol')} for configuration security.protocol (one of ${PROTOCOLS.join(', ')})`);
  const out: ClientSecurityOptions = { protocol };
  if (protocol === 'SSL' || protocol === 'SASL_SSL') out.ssl = sslOptions(props);
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') out.sasl = saslOptions(props);
  return out;
}

type StoreType = 'PEM' | 'PKCS12';

function readStore(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CommandConfigError(`Cannot read ${key} ${path}: ${(e as Error).message}`);
  }
}

/** The store's type: as configured (PEM, PKCS12), or, unset or JKS, what the file holds. */
function storeType(typeKey: string, configured: string | undefined, content: Buffer): StoreType {
  const t = configured?.trim().toUpperCase();
  if (t === 'PEM' || t === 'PKCS12') return t;
  if (t !== undefined && t !== 'JKS') throw new CommandConfigError(`Invalid value ${configured} for configuration ${typeKey} (PKCS12 or PEM)`);
  if (content.subarray(0, 4096).toString('latin1').includes('-----BEGIN ')) return 'PEM';
  if (content.length >= 4 && content.readUInt32BE(0) === 0xfeedfeed)
    throw new CommandConfigError(`${typeKey} JKS is not supported: convert the store to PKCS12 (keytool -importkeystore -deststoretype PKCS12) or PEM`);
  return 'PKCS12';
}

function sslOptions(props: ReadonlyMap<string, string>): ClientSslOptions {
  const ssl: ClientSslOptions = {};
  const trustLocation = props.get('ssl.truststore.location');
  const trustInline = props.get('ssl.truststore.certificates');
  if (trustLocation !== undefined && trustLocation !== '') {
    const content = readStore('ssl.truststore.location', trustLocation);
    if (storeType('ssl.truststore.type', props.get('ssl.truststore.type'), content) === 'PEM') ssl.ca = content.toString('utf8');
    else {
      try {
        ssl.ca = pkcs12Certificates(content, props.get('ssl.truststore.password') ?? '');
      } catch (e) {
        throw new CommandConfigError(`Cannot read the PKCS12 trust store ${trustLocation}: ${(e as Error).message}`);
      }
    }
  } else if (trustInline !== undefined) ssl.ca = trustInline;

  const keyLocation = props.get('ssl.keystore.location');
  if (keyLocation !== undefined && keyLocation !== '') {
    const content = readStore('ssl.keystore.location', keyLocation);
    if (storeType('ssl.keystore.type', props.get('ssl.keystore.type'), content) === 'PEM') {
      // One PEM file with the private key and the certificate chain: Node picks each out of it.
      ssl.key = content;
      ssl.cert = content;
      ssl.passphrase = props.get('ssl.key.password');
    } else {
      ssl.pfx = content;
      ssl.passphrase = props.get('ssl.keystore.password') ?? '';
    }
  } else if (props.has('ssl.keystore.key')) {
    ssl.key = props.get('ssl.keystore.key');
    ssl.cert = props.get('ssl.keystore.certificate.chain');
    ssl.passphrase = props.get('ssl.key.password');
    if (ssl.cert === undefined) throw new CommandConfigError('ssl.keystore.key needs ssl.keystore.certificate.chain');
  }

  const alg = props.get('ssl.endpoint.identification.algorithm');
  if (alg !== undefined) {
    if (alg.trim() !== '' && alg.trim().toLowerCase() !== 'https') throw new CommandConfigError(`Invalid value ${alg} for configuration ssl.endpoint.identification.algorithm (https or empty)`);
    ssl.endpointIdentificationAlgorithm = alg.trim();
  }
  const protocols = listProp(props.get('ssl.enabled.protocols'));
  if (protocols !== undefined) {
    const bad = protocols.find((p) => p !== 'TLSv1.2' && p !== 'TLSv1.3');
    if (bad !== undefined || protocols.length === 0) throw new CommandConfigError(`Invalid value ${props.get('ssl.enabled.protocols')} for configuration ssl.enabled.protocols (TLSv1.2, TLSv1.3)`);
    ssl.enabledProtocols = protocols as SecureVersion[];
  }
  const ciphers = listProp(props.get('ssl.cipher.suites'));
  if (ciphers !== undefined && ciphers.length > 0) ssl.cipherSuites = ciphers;
  return ssl;
}

function listProp(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function saslOptions(props: ReadonlyMap<string, string>): ClientSecurityOptions['sasl'] {
  const mechanism = (props.get('sasl.mechanism') ?? 'GSSAPI').trim().toUpperCase();
  if (!(SASL_CLIENT_MECHANISMS as readonly string[]).includes(mechanism))
    throw new CommandConfigError(`sasl.mechanism ${mechanism}${props.has('sasl.mechanism') ? '' : ' (the default)'} is not supported by this client: set PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`);
  const jaas = props.get('sasl.jaas.config');
  if (jaas === undefined) throw new CommandConfigError(`sasl.mechanism ${mechanism} needs sasl.jaas.config with the username and password`);
  try {
    return { mechanism: mechanism as SaslMechanismName, ...jaasCredentials(parseJaasConfig(jaas)) };
  } catch (e) {
    throw new CommandConfigError((e as Error).message);
  }
}
