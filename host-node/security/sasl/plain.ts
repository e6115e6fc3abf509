// SASL/PLAIN (RFC 4616) as Kafka's PlainSaslServer serves it: one client token `authzid NUL username NUL
// password`, checked against the `user_<name>="<password>"` options of the listener's JAAS configuration
// (PlainLoginModule). The comparison takes the same time whether the user exists or not, and whatever the
// password's length. Error messages are Kafka's.
import { createHash, timingSafeEqual } from 'node:crypto';
import { userPrincipal } from '../principal.js';
import { SaslAuthenticationError, type SaslMechanismFactory, type SaslServer, type SaslStep } from './mechanism.js';

export const PLAIN = 'PLAIN';

/** Kafka's answer to a SaslException that is not a SaslAuthenticationException (a malformed exchange). */
export function genericFailure(mechanism: string): SaslAuthenticationError {
  return new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`);
}

/** The users a PlainLoginModule JAAS entry declares: `user_<name>` → password. */
export function plainUsers(options: ReadonlyMap<string, string>): Map<string, string> {
  const users = new Map<string, string>();
  for (const [k, v] of options) if (k.startsWith('user_') && k.length > 5) users.set(k.slice(5), v);
  return users;
}

/** A PLAIN factory over a fixed user table (the listener's JAAS users). */
export function plainMechanism(users: ReadonlyMap<string, string>): SaslMechanismFactory {
  // Passwords are compared as SHA-256 digests: equal lengths for timingSafeEqual, nothing learnt from the length.
  const digests = new Map([...users].map(([u, p]) => [u, digest(p)] as const));
  const unknownUser = digest('\0unknown user\0');
  return {
    mechanism: PLAIN,
    create(): SaslServer {
      let done = false;
      return {
        mechanism: PLAIN,
        evaluate(token: Uint8Array): SaslStep {
          if (done) throw new SaslAuthenticationError('Unexpected SASL/PLAIN token after the exchange completed');
          done = true;
          const tokens = Buffer.from(token.buffer, token.byteOffset, token.length).toString('utf8').split('\0');
          if (tokens.length !== 3) throw genericFailure(PLAIN);
          const [authzid, username, password] = tokens as [string, string, string];
          if (username === '') throw new SaslAuthenticationError('Authentication failed: username not specified');
          if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified');
          const expected = digests.get(username);
          const matches = timingSafeEqual(digest(password), expected ?? unknownUser) && expected !== undefined;
          if (!matches) throw new SaslAuthenticationError('Authentication failed: Invalid username or password');
          if (authzid !== '' && authzid !== username)
            throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
          return { response: new Uint8Array(0), complete: true, principal: userPrincipal(username) };
        },
      };
    },
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
