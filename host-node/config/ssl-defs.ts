// Security protocols of listeners and the broker's TLS settings, with Kafka's config names. Spread into
// BROKER_CONFIG_DEFS. Key stores and trust stores are read as PEM (files or inline values), as Kafka's
// `ssl.keystore.type=PEM` does, or as PKCS12 files; a listener may override any ssl.* key with
// `listener.name.<name>.ssl.*`.
import { ConfigError, eachOneOf, list, nullableList, nullableStr, oneOf, password, str } from './types.js';
import type { Endpoint } from './listeners.js';

/** Kafka's security protocols. */
export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
const SECURITY_PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/** Bound on the entries of listener.security.protocol.map (a broker has a handful of listeners). */
const MAX_PROTOCOL_MAP_ENTRIES = 64;

/** Parses `NAME:PROTOCOL,...` into upper-cased names → protocols, or returns the reason it is malformed. */
export function parseProtocolMap(entries: readonly string[]): Map<string, SecurityProtocol> | string {
  if (entries.length > MAX_PROTOCOL_MAP_ENTRIES) return `At most ${MAX_PROTOCOL_MAP_ENTRIES} entries are allowed`;
  const out = new Map<string, SecurityProtocol>();
  for (const e of entries) {
    const m = /^([A-Za-z0-9_-]+):([A-Za-z_]+)$/.exec(e.trim());
    if (!m) return `Invalid entry ${e} (expected LISTENER_NAME:SECURITY_PROTOCOL)`;
    const protocol = m[2]!.toUpperCase() as SecurityProtocol;
    if (!SECURITY_PROTOCOLS.includes(protocol)) return `Unknown security protocol ${m[2]} (one of ${SECURITY_PROTOCOLS.join(', ')})`;
    const name = m[1]!.toUpperCase();
    if (out.has(name)) return `Listener ${name} is mapped more than once`;
    out.set(name, protocol);
  }
  return out;
}

/** Every listener's name is mapped to a security protocol (all of Kafka's are served); throws a ConfigError otherwise. */
export function checkListenerProtocols(key: string, endpoints: readonly Endpoint[], map: ReadonlyMap<string, SecurityProtocol>): void {
  for (const e of endpoints) {
    const p = map.get(e.name);
    if (p === undefined)
      throw new ConfigError(key, `No security protocol defined for listener ${e.name} (add it to listener.security.protocol.map)`);
  }
}

export const SSL_CONFIG_DEFS = {
  'listener.security.protocol.map': list({
    default: ['PLAINTEXT:PLAINTEXT', 'SSL:SSL', 'SASL_PLAINTEXT:SASL_PLAINTEXT', 'SASL_SSL:SASL_SSL'],
    validate: (v) => {
      const m = parseProtocolMap(v);
      return typeof m === 'string' ? m : undefined;
    },
    importance: 'low',
    doc: 'Map between listener names and security protocols (NAME:PROTOCOL, comma-separated): PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.',
  }),
  'ssl.keystore.type': str({
    default: 'JKS',
    validate: oneOf('JKS', 'PKCS12', 'PEM'),
    importance: 'medium',
    doc: 'The file format of the key store: PEM or PKCS12 (JKS is refused: convert it with keytool -importkeystore -deststoretype PKCS12).',
  }),
  'ssl.keystore.location': nullableStr({
    importance: 'high',
    doc: 'The key store file: PEM (the private key and the certificate chain, the server certificate first) or PKCS12. Updating it dynamically (listener.name.<name>.ssl.keystore.location, even to the same value) reloads it.',
  }),
  'ssl.keystore.password': password({ importance: 'high', doc: 'The store password of the key store (PKCS12; unused for PEM).' }),
  'ssl.keystore.key': password({ importance: 'high', doc: 'The private key in PEM (PKCS#8), inline, instead of ssl.keystore.location.' }),
  'ssl.keystore.certificate.chain': password({ importance: 'high', doc: 'The certificate chain in PEM, inline, with ssl.keystore.key.' }),
  'ssl.key.password': password({ importance: 'high', doc: 'The password of an encrypted private key.' }),
  'ssl.truststore.type': str({
    default: 'JKS',
    validate: oneOf('JKS', 'PKCS12', 'PEM'),
    importance: 'medium',
    doc: 'The file format of the trust store: PEM or PKCS12 (JKS is refused).',
  }),
  'ssl.truststore.location': nullableStr({ importance: 'high', doc: 'A file (PEM or PKCS12) of the CA certificates that peer certificates are verified against.' }),
  'ssl.truststore.password': password({ importance: 'high', doc: 'The store password of the trust store (PKCS12; unused for PEM).' }),
  'ssl.truststore.certificates': password({ importance: 'high', doc: 'The trusted CA certificates in PEM, inline, instead of ssl.truststore.location.' }),
  'ssl.client.auth': str({
    default: 'none',
    validate: oneOf('none', 'requested', 'required'),
    importance: 'medium',
    doc: 'Whether SSL listeners ask clients for a certificate: none, requested (verified when sent) or required.',
  }),
  'ssl.principal.mapping.rules': str({
    default: 'DEFAULT',
    // Parsed (and refused when malformed) by security/ssl-principal-mapper.ts as the listener starts.
    importance: 'low',
    doc: 'Rules mapping the subject DN of a client certificate (RFC 2253) to a principal name: RULE:pattern/replacement/[LU] and DEFAULT, comma-separated; the first that matches wins (no match: the DN).',
  }),
  'ssl.endpoint.identification.algorithm': str({
    default: 'https',
    validate: (v) => (v === '' || v.toLowerCase() === 'https' ? undefined : 'Expected https or an empty value (no host name verification)'),
    importance: 'low',
    doc: 'How this broker checks the host name of a broker it connects to (replication): https (the certificate must name the host) or empty (not checked).',
  }),
  'ssl.enabled.protocols': list({
    default: ['TLSv1.2', 'TLSv1.3'],
    validate: (v, k) => eachOneOf('TLSv1.2', 'TLSv1.3')(v, k) ?? (v.length === 0 ? 'At least one protocol is required' : undefined),
    importance: 'medium',
    doc: 'The TLS versions SSL listeners accept.',
  }),
  'ssl.cipher.suites': nullableList({
    importance: 'low',
    doc: 'Cipher suites SSL listeners accept, as OpenSSL names them (TLS 1.3 suites have the same names as in Kafka, e.g. TLS_AES_256_GCM_SHA384). Empty or unset: the runtime defaults.',
  }),
};

/** The ssl.* keys (those a listener may override with listener.name.<name>.ssl.*). */
export type SslConfigKey = Extract<keyof typeof SSL_CONFIG_DEFS, `ssl.${string}`>;
export const SSL_KEYS = Object.keys(SSL_CONFIG_DEFS).filter((k): k is SslConfigKey => k.startsWith('ssl.'));
