// How brokers reach each other (replication): the listener they connect to, by name
// (inter.broker.listener.name) or by security protocol (security.inter.broker.protocol, the listener named
// after it), and the SASL mechanism of a SASL_* inter-broker listener. Kafka's rules: at most one of the two
// is set, the default is PLAINTEXT, and the listener must be among the advertised ones.
import { ConfigError, nullableStr, oneOf, str } from './types.js';
import type { Endpoint } from './listeners.js';
import type { SecurityProtocol } from './ssl-defs.js';

export const INTER_BROKER_CONFIG_DEFS = {
  'inter.broker.listener.name': nullableStr({
    validate: (v) => (v !== null && !/^[A-Za-z0-9_-]+$/.test(v) ? 'Expected a listener name' : undefined),
    importance: 'medium',
    doc: 'The listener brokers use to reach each other (replication). Set this or security.inter.broker.protocol, not both.',
  }),
  'security.inter.broker.protocol': str({
    default: 'PLAINTEXT',
    validate: oneOf('PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'),
    importance: 'medium',
    doc: 'The security protocol brokers use to reach each other: the listener named after it. Set this or inter.broker.listener.name, not both.',
  }),
  'sasl.mechanism.inter.broker.protocol': str({
    default: 'GSSAPI',
    importance: 'medium',
    doc: 'The SASL mechanism brokers authenticate to each other with on a SASL_* inter-broker listener (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; the credentials are the username and password options of the listener\'s JAAS config).',
  }),
};

/**
 * The inter-broker listener's name, checked as Kafka checks it: not both keys set explicitly, and the
 * listener among `advertised`. Throws a ConfigError otherwise.
 */
export function interBrokerListenerName(
  o: { listenerName: string | null; protocol: string; protocolSetExplicitly: boolean },
  advertised: readonly Endpoint[],
  protocolOf: (name: string) => SecurityProtocol,
): string {
  if (o.listenerName !== null && o.protocolSetExplicitly)
    throw new ConfigError('inter.broker.listener.name', 'Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.');
  const name = (o.listenerName ?? o.protocol).toUpperCase();
  if (!advertised.some((e) => e.name === name)) {
    const key = o.listenerName !== null ? 'inter.broker.listener.name' : 'security.inter.broker.protocol';
    throw new ConfigError(
      key,
      `${key} must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are ${advertised.map((e) => e.name).join(',')}`,
    );
  }
  protocolOf(name);
  return name;
}
