// Client-quota entities as DescribeClientQuotas and AlterClientQuotas carry them: (entity type, name or
// null for the default) pairs with Kafka's type names "user", "client-id" and "ip".
import type { QuotaEntity } from '../../security/security-store.js';

export const USER = 'user';
export const CLIENT_ID = 'client-id';
export const IP = 'ip';

export interface EntityComponent {
  readonly entityType: string;
  readonly entityName: string | null;
}

/** The wire components of an entity, in the order user, client-id, ip. */
export function entityComponents(e: QuotaEntity): EntityComponent[] {
  const out: EntityComponent[] = [];
  if (e.user !== undefined) out.push({ entityType: USER, entityName: e.user });
  if (e.clientId !== undefined) out.push({ entityType: CLIENT_ID, entityName: e.clientId });
  if (e.ip !== undefined) out.push({ entityType: IP, entityName: e.ip });
  return out;
}

/** A name of the entity's type (undefined: the entity has no component of that type). */
export function entityNameOf(e: QuotaEntity, type: string): string | null | undefined {
  return type === USER ? e.user : type === CLIENT_ID ? e.clientId : type === IP ? e.ip : undefined;
}
