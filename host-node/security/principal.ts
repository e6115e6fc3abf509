// Who a connection is: Kafka's KafkaPrincipal, a type and a name ("User:alice"). A plaintext or SSL
// connection without a client certificate is User:ANONYMOUS; SASL names the authenticated user; an SSL
// client certificate gives its distinguished name, mapped by ssl.principal.mapping.rules.

export interface KafkaPrincipal {
  /** "User" for every principal the broker builds (ACLs may also name "Group" etc., which never match one). */
  readonly principalType: string;
  readonly name: string;
}

export const USER_TYPE = 'User';
export const ANONYMOUS: KafkaPrincipal = Object.freeze({ principalType: USER_TYPE, name: 'ANONYMOUS' });

export function userPrincipal(name: string): KafkaPrincipal {
  return { principalType: USER_TYPE, name };
}

/** "User:alice", as ACLs and super.users write it. */
export function principalToString(p: KafkaPrincipal): string {
  return `${p.principalType}:${p.name}`;
}

/** Parses "Type:name" (the name may hold ':'); null when there is no type. "User:*" is the wildcard principal. */
export function parsePrincipal(s: string): KafkaPrincipal | null {
  const i = s.indexOf(':');
  if (i <= 0) return null;
  return { principalType: s.slice(0, i), name: s.slice(i + 1) };
}

export function samePrincipal(a: KafkaPrincipal, b: KafkaPrincipal): boolean {
  return a.principalType === b.principalType && a.name === b.name;
}
