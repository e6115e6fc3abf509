// What a Kafka listener's security protocol adds to its TCP listener: TLS options for SSL and SASL_SSL,
// and on SSL the principal of a verified client certificate, mapped by the listener's
// ssl.principal.mapping.rules.
import type { SecurityProtocol } from '../config/ssl-defs.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/types.js';
import type { TcpListenerOptions } from '../network/tcp-listener.js';
import { sslServerOptions } from '../network/ssl-factory.js';
import { userPrincipal } from '../security/principal.js';
import { SslPrincipalMapper } from '../security/ssl-principal-mapper.js';

export type ListenerSecurityOptions = Pick<TcpListenerOptions, 'tls' | 'securityProtocol' | 'sslPrincipal'>;

export function listenerSecurityOptions(config: BrokerConfig, listenerName: string, securityProtocol: SecurityProtocol = config.securityProtocol(listenerName)): ListenerSecurityOptions {
  if (securityProtocol !== 'SSL' && securityProtocol !== 'SASL_SSL') return { securityProtocol };
  const ssl = config.sslConfig(listenerName);
  let mapper: SslPrincipalMapper;
  try {
    mapper = SslPrincipalMapper.fromRules(ssl['ssl.principal.mapping.rules']);
  } catch (e) {
    throw new ConfigError('ssl.principal.mapping.rules', `Listener ${listenerName}: invalid ssl.principal.mapping.rules: ${(e as Error).message}`);
  }
  return {
    securityProtocol,
    tls: sslServerOptions(listenerName, ssl),
    sslPrincipal: (dn) => userPrincipal(mapper.getName(dn)),
  };
}
