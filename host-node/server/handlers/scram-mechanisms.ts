// Kafka's ScramMechanism type ids, as AlterUserScramCredentials and DescribeUserScramCredentials carry them.
import type { ScramMechanism } from '../../security/security-store.js';

const BY_TYPE: ReadonlyMap<number, ScramMechanism> = new Map([
  [1, 'SCRAM-SHA-256'],
  [2, 'SCRAM-SHA-512'],
]);

/** The mechanism of a type id, or undefined for 0 (UNKNOWN) and any other id. */
export function scramMechanismOf(type: number): ScramMechanism | undefined {
  return BY_TYPE.get(type);
}

export function scramMechanismType(mechanism: ScramMechanism): number {
  return mechanism === 'SCRAM-SHA-256' ? 1 : 2;
}
