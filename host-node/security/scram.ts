// SCRAM credentials (RFC 5802, RFC 7677) with Node's crypto: the salted password, and the stored and server
// keys that are all a broker keeps. The SASL exchange itself is in sasl/.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { ScramCredential, ScramMechanism } from './security-store.js';

/** Kafka's bounds on SCRAM iterations (ScramMechanism.minIterations / maxIterations). */
export const SCRAM_MIN_ITERATIONS = 4096;
export const SCRAM_MAX_ITERATIONS = 16384;

export function scramHash(mechanism: ScramMechanism): 'sha256' | 'sha512' {
  return mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
}

export function scramKeyLength(mechanism: ScramMechanism): number {
  return mechanism === 'SCRAM-SHA-256' ? 32 : 64;
}

/** Hi(password, salt, i): PBKDF2 with the mechanism's HMAC. */
export function saltedPassword(mechanism: ScramMechanism, password: string, salt: Uint8Array, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, scramKeyLength(mechanism), scramHash(mechanism));
}

export function hmac(mechanism: ScramMechanism, key: Uint8Array, data: Uint8Array | string): Buffer {
  return createHmac(scramHash(mechanism), key).update(data).digest();
}

export function hash(mechanism: ScramMechanism, data: Uint8Array): Buffer {
  return createHash(scramHash(mechanism)).update(data).digest();
}

/** The credential kept for a salted password (what AlterUserScramCredentials carries). */
export function credentialFromSaltedPassword(mechanism: ScramMechanism, salt: Uint8Array, salted: Uint8Array, iterations: number): ScramCredential {
  const clientKey = hmac(mechanism, salted, 'Client Key');
  return {
    salt: Buffer.from(salt),
    storedKey: hash(mechanism, clientKey),
    serverKey: hmac(mechanism, salted, 'Server Key'),
    iterations,
  };
}

/** A fresh credential for `password` (a random salt, as kafka-configs.sh makes one). */
export function newScramCredential(mechanism: ScramMechanism, password: string, iterations: number, salt: Uint8Array = randomBytes(32)): ScramCredential {
  return credentialFromSaltedPassword(mechanism, salt, saltedPassword(mechanism, password, salt, iterations), iterations);
}
