// How this broker connects to another broker (replication): to the inter-broker listener's endpoint, with
// that listener's security protocol. TLS uses the listener's trust store to verify the other broker and
// its key store as the client certificate (sent when the other side asks for one); SASL_* uses
// sasl.mechanism.inter.broker.protocol with the username and password options of the listener's JAAS
// config for that mechanism, as Kafka does.
import type { BrokerConfig, SslConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/types.js';
import type { ClientSecurityOptions } from '../client/security.js';
import { SASL_CLIENT_MECHANISMS, type SaslMechanismName } from '../client/sasl-client.js';
import { sslClientOptions } from '../network/ssl-factory.js';
import { jaasCredentials, parseJaasConfig } from '../security/jaas.js';

/**
 * The JAAS config a listener authenticates `mechanism` with: `listener.name.<listener>.<mechanism>.sasl.jaas.config`,
 * else `sasl.jaas.config`; null when neither is set. Supplied by whatever reads the SASL configs.
 */
export type JaasConfigLookup = (listenerName: string, mechanism: string) => string | null;

export interface InterBrokerLink {
  /** The listener other brokers are reached on (upper-cased). */
  readonly listenerName: string;
  /** The client security of a connection to another broker's endpoint of that listener. */
  readonly security: ClientSecurityOptions;
}

/** The inter-broker listener and its client security. Throws a ConfigError when it cannot be set up. */
export function interBrokerLink(config: BrokerConfig, jaasConfigOf: JaasConfigLookup | undefined, sslConfigOf: (listenerName: string) => SslConfig = (l) => config.sslConfig(l)): InterBrokerLink {
  const listenerName = config.interBrokerListenerName;
  const protocol = config.securityProtocol(listenerName);
  const security: ClientSecurityOptions = { protocol };
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    // The listener's stores as they are now: a key store reloaded dynamically is the client certificate too.
    const ssl = sslConfigOf(listenerName);
    security.ssl = { tls: sslClientOptions(listenerName, ssl, ssl['ssl.endpoint.identification.algorithm']) };
  }
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mechanism = config.get('sasl.mechanism.inter.broker.protocol');
    // A broker connects to another with its own client, so it offers that client's mechanisms.
    if (!(SASL_CLIENT_MECHANISMS as readonly string[]).includes(mechanism))
      throw new ConfigError('sasl.mechanism.inter.broker.protocol', `sasl.mechanism.inter.broker.protocol ${mechanism} is not supported between brokers (one of ${SASL_CLIENT_MECHANISMS.join(', ')})`);
    const jaas = jaasConfigOf?.(listenerName, mechanism) ?? null;
    const key = `listener.name.${listenerName.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`;
    if (jaas === null) throw new ConfigError(key, `The inter-broker listener ${listenerName} (${protocol}) needs the credentials brokers log in with: the username and password options of ${key} (or sasl.jaas.config)`);
    try {
      security.sasl = { mechanism: mechanism as SaslMechanismName, ...jaasCredentials(parseJaasConfig(jaas)) };
    } catch (e) {
      throw new ConfigError(key, `${key}: ${(e as Error).message}`);
    }
  }
  return { listenerName, security };
}
