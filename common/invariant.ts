// Invariant assertions, shared by every package: a failed one is a bug in Rivulet, never a client's error,
// so it throws an InvariantViolation that handlers answer with UNKNOWN_SERVER_ERROR (or that fails a test)
// instead of letting a wrong state go on.

export class InvariantViolation extends Error {
  constructor(what: string) {
    super(`invariant violated: ${what}`);
    this.name = 'InvariantViolation';
  }
}

/** Throws an InvariantViolation naming `what` unless `cond` holds. */
export function invariant(cond: unknown, what: string): asserts cond {
  if (!cond) throw new InvariantViolation(what);
}

/**
 * The error invariant() throws, for hot paths whose message interpolates values:
 * `if (!cond) throw invariantViolation(`…${x}`)` builds the string only when the check fails
 * (invariant(cond, `…${x}`) would build it on every call).
 */
export function invariantViolation(what: string): InvariantViolation {
  return new InvariantViolation(what);
}
