// The broker's SASL settings, with Kafka's config names and defaults. Spread into BROKER_CONFIG_DEFS. A
// listener may override sasl.enabled.mechanisms with `listener.name.<name>.sasl.enabled.mechanisms` and give
// each mechanism its JAAS configuration with `listener.name.<name>.<mechanism>.sasl.jaas.config` (the
// mechanism lower-cased, e.g. `listener.name.sasl_ssl.plain.sasl.jaas.config`), as Kafka reads them.
import { atLeast, int, list, long, password, str } from './types.js';

/** Bound on the mechanisms one listener enables (Kafka knows five). */
const MAX_MECHANISMS = 16;

export const SASL_CONFIG_DEFS = {
  'sasl.enabled.mechanisms': list({
    default: ['GSSAPI'],
    validate: (v) =>
      v.length > MAX_MECHANISMS ? `At most ${MAX_MECHANISMS} mechanisms are allowed` : v.find((m) => !/^[A-Z0-9_-]{1,20}$/.test(m)) !== undefined ? 'Mechanism names are upper-case IANA names (e.g. PLAIN, SCRAM-SHA-256)' : undefined,
    importance: 'medium',
    doc: 'The SASL mechanisms SASL listeners accept. Served: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (GSSAPI/Kerberos is not: a SASL listener that enables nothing servable is refused at start-up).',
  }),
  'sasl.jaas.config': password({
    importance: 'medium',
    doc: 'JAAS login context for SASL listeners, as Kafka writes it: `<LoginModule class> required key="value" ...;`. PLAIN reads its users from `user_<name>="<password>"` options. A listener and mechanism may have their own with listener.name.<listener>.<mechanism>.sasl.jaas.config.',
  }),
  'sasl.mechanism.inter.broker.protocol': str({
    default: 'GSSAPI',
    importance: 'medium',
    doc: 'SASL mechanism used for communication between brokers (declared for compatibility; links between brokers do not authenticate yet).',
  }),
  'sasl.server.max.receive.size': int({
    default: 524288,
    validate: atLeast(1),
    importance: 'low',
    doc: 'The largest request accepted before and during SASL authentication, in bytes.',
  }),
  'connections.max.reauth.ms': long({
    default: 0,
    validate: atLeast(0),
    importance: 'medium',
    doc: 'When positive, the longest a SASL session may last: clients that support re-authentication (KIP-368) are told the session lifetime and re-authenticate within it; a request arriving on an expired session closes the connection. 0 disables re-authentication.',
  }),
  'connection.failed.authentication.delay.ms': int({
    default: 100,
    validate: atLeast(0),
    importance: 'low',
    doc: 'How long the answer to a failed authentication is held back before the connection is closed (slows down password guessing).',
  }),
};

/** The sasl.* keys a listener may override with listener.name.<name>.sasl.enabled.mechanisms. */
export const SASL_LISTENER_KEYS = ['sasl.enabled.mechanisms'] as const;
export type SaslListenerKey = (typeof SASL_LISTENER_KEYS)[number];
