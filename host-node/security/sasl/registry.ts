// The SASL mechanisms the broker can serve, by IANA name: what `sasl.enabled.mechanisms` chooses from. Each
// entry builds a listener's SaslMechanismFactory from the broker's settings at start-up; a builder that
// throws (a JAAS configuration missing or malformed) refuses the start-up with its message.
// To add a mechanism: one entry here.
import type { BrokerConfig } from '../../config/broker-config.js';
import { ConfigError } from '../../config/types.js';
import { parseJaasConfig, PLAIN_LOGIN_MODULE, JaasConfigError, type JaasLoginModule } from '../jaas.js';
import type { ScramMechanism, SecurityStore } from '../security-store.js';
import type { SaslMechanismFactory } from './mechanism.js';
import { PLAIN, plainMechanism, plainUsers } from './plain.js';
import { scramMechanism } from './scram.js';

/** What a mechanism may read when it is set up for a listener. */
export interface SaslMechanismDeps {
  readonly config: BrokerConfig;
  readonly securityStore: SecurityStore;
  /**
   * The listener's JAAS login module for `mechanism` (listener.name.<l>.<mechanism>.sasl.jaas.config, else
   * sasl.jaas.config), or null when neither is set; throws a ConfigError naming the key when it does not parse.
   */
  jaas(listenerName: string, mechanism: string): JaasLoginModule | null;
}

/** Builds one listener's factory; throws ConfigError when the listener cannot serve the mechanism. */
export type SaslMechanismBuilder = (deps: SaslMechanismDeps, listenerName: string) => SaslMechanismFactory;

const scram =
  (mechanism: ScramMechanism): SaslMechanismBuilder =>
  (deps) =>
    scramMechanism(mechanism, (user, m) => deps.securityStore.current().scram.get(user)?.get(m));

export const SASL_MECHANISMS: ReadonlyMap<string, SaslMechanismBuilder> = new Map<string, SaslMechanismBuilder>([
  [PLAIN, plainBuilder],
  ['SCRAM-SHA-256', scram('SCRAM-SHA-256')],
  ['SCRAM-SHA-512', scram('SCRAM-SHA-512')],
]);

/** PLAIN: the users of the listener's PlainLoginModule entry; a listener without one does not start (as in Kafka). */
function plainBuilder(deps: SaslMechanismDeps, listenerName: string): SaslMechanismFactory {
  const module = deps.jaas(listenerName, PLAIN);
  const key = `listener.name.${listenerName.toLowerCase()}.plain.sasl.jaas.config`;
  if (module === null)
    throw new ConfigError(key, `SASL/PLAIN is enabled on listener ${listenerName} but no JAAS configuration was found: set ${key} (or sasl.jaas.config) to "${PLAIN_LOGIN_MODULE} required user_<name>=\\"<password>\\";"`);
  if (module.loginModule !== PLAIN_LOGIN_MODULE)
    throw new ConfigError(key, `SASL/PLAIN on listener ${listenerName} needs login module ${PLAIN_LOGIN_MODULE}, not ${module.loginModule}`);
  return plainMechanism(plainUsers(module.options));
}

/** The standard `jaas` of SaslMechanismDeps over a BrokerConfig. */
export function configJaas(config: BrokerConfig): SaslMechanismDeps['jaas'] {
  return (listenerName, mechanism) => {
    const found = config.saslJaasConfig(listenerName, mechanism);
    if (found === null) return null;
    try {
      return parseJaasConfig(found.text);
    } catch (e) {
      if (e instanceof JaasConfigError) throw new ConfigError(found.key, `Invalid value for configuration ${found.key}: ${e.message}`);
      throw e;
    }
  };
}
