// The client side of inter-broker links, without brokers: which security a replica fetcher connects with
// for each inter-broker protocol (SASL_* credentials from the listener's JAAS config, the mechanism from
// sasl.mechanism.inter.broker.protocol). The SASL_SSL cluster itself: inter-broker-sasl.test.ts.
import { describe, expect, it } from 'vitest';
import type { BrokerConfig } from '../../host-node/config/broker-config.js';
import { interBrokerLink } from '../../host-node/cluster/inter-broker-security.js';

/** The parts of a BrokerConfig interBrokerLink reads, for a listener of `protocol` (no TLS stores needed for SASL_PLAINTEXT). */
function configWith(protocol: string, mechanism: string): BrokerConfig {
  return {
    interBrokerListenerName: 'INTERNAL',
    securityProtocol: () => protocol,
    sslConfig: () => {
      throw new Error('no TLS here');
    },
    get: (k: string) => (k === 'sasl.mechanism.inter.broker.protocol' ? mechanism : undefined),
  } as unknown as BrokerConfig;
}

describe('inter-broker link security', () => {
  const jaas = (listener: string, mechanism: string): string | null =>
    listener === 'INTERNAL' && mechanism === 'SCRAM-SHA-512' ? 'org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="b-secret";' : null;

  it('SASL_PLAINTEXT: the mechanism and the JAAS config\'s username and password', () => {
    expect(interBrokerLink(configWith('SASL_PLAINTEXT', 'SCRAM-SHA-512'), jaas)).toEqual({
      listenerName: 'INTERNAL',
      security: { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'SCRAM-SHA-512', username: 'broker', password: 'b-secret' } },
    });
    expect(interBrokerLink(configWith('PLAINTEXT', 'GSSAPI'), undefined)).toEqual({ listenerName: 'INTERNAL', security: { protocol: 'PLAINTEXT' } });
  });

  it('refuses GSSAPI (Kafka\'s default), a listener without a JAAS config, and a JAAS config without credentials', () => {
    expect(() => interBrokerLink(configWith('SASL_PLAINTEXT', 'GSSAPI'), jaas)).toThrow(/sasl.mechanism.inter.broker.protocol GSSAPI is not supported between brokers/);
    expect(() => interBrokerLink(configWith('SASL_PLAINTEXT', 'PLAIN'), jaas)).toThrow(/listener\.name\.internal\.plain\.sasl\.jaas\.config/);
    expect(() => interBrokerLink(configWith('SASL_PLAINTEXT', 'PLAIN'), () => 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="x";')).toThrow(/username and password/);
  });
});
